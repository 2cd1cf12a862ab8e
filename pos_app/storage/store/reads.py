"""The manager's view of the store: every lane's history and the store's day (`StoreView`).

`PgStoreView` reads what the lanes sent (`PgStoreLink.send`) back as the
domain's records: `Operation` (with its lane), `Ticket` with its lines,
`CashMovement`, `Shift` and `JournalEntry`. Every query walks one of the
schema's indexes (see `schema.py`): the history by time (or by lane and time),
an id through its own index, a person through the `lower(...)` indexes, a
description through the trigram index; a day by time, its lines by ticket and
the refunds of its payments by payment id. `explain` prints PostgreSQL's plan
of any of them, for measurements.

One connection, opened on first use and again after a failure, in UTC (every
time comes back aware, in UTC, as the journal gives them). Reads run in
read-only transactions; a day is read in one REPEATABLE READ snapshot, so its
operations, sales and cash agree with each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.tickets import (
    CashMovement,
    CashMovementKind,
    Shift,
    Ticket,
    TicketLine,
    TicketStatus,
)
from pos_app.services.ports import HistoryQuery, JournalEntry, Operation
from pos_app.services.store_ports import StoreDay, StoreStatus, StoreTicket
from pos_app.storage.store.connection import (
    CONNECT_TIMEOUT_SECONDS,
    StoreAddress,
    connect,
    store_errors,
)

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

__all__ = ["CASH_ROW_KINDS", "PgStoreView", "history_sql"]

log = logging.getLogger("pos_app.storage.store.reads")

OPERATION_COLUMNS: Final = (
    "id",
    "lane",
    "kind",
    "amount_cents",
    "status",
    "flow",
    "terminal_id",
    "description",
    "sale_id",
    "session_id",
    "payment_id",
    "refund_id",
    "original_id",
    "refund_mode",
    "reason",
    "card_brand",
    "card_last4",
    "decline_code",
    "decline_message",
    "served_by",
    "approved_by",
    "ticket_id",
    "shift_id",
    "created_at",
    "updated_at",
)
TICKET_COLUMNS: Final = (
    "id",
    "lane",
    "status",
    "subtotal_cents",
    "sale_discount_cents",
    "sale_discount_reason",
    "tax_cents",
    "total_cents",
    "served_by",
    "discount_approved_by",
    "cancelled_by",
    "shift_id",
    "description",
    "created_at",
    "updated_at",
)
LINE_COLUMNS: Final = (
    "ticket_id",
    "name",
    "item_code",
    "quantity",
    "unit_price_cents",
    "discount_cents",
    "discount_reason",
)
CASH_COLUMNS: Final = (
    "lane",
    "id",
    "shift_id",
    "kind",
    "amount_cents",
    "at",
    "person",
    "reason",
    "ticket_id",
    "tendered_cents",
    "change_cents",
    "approved_by",
)
SHIFT_COLUMNS: Final = (
    "id",
    "lane",
    "opened_at",
    "opened_by",
    "float_cents",
    "float_count",
    "closed_at",
    "closed_by",
    "counted_cents",
    "expected_cents",
    "count",
)
# The drawer's movements the history shows (a sale's cash part, cash given back).
CASH_ROW_KINDS: Final = (
    CashMovementKind.SALE.value,
    CashMovementKind.REFUND.value,
    CashMovementKind.CANCEL_RETURN.value,
)
_OPS: Final = ", ".join(f"o.{column}" for column in OPERATION_COLUMNS)
_SELECT_OPS: Final = f"SELECT {_OPS} FROM operations o"
_NEWEST_FIRST: Final = "ORDER BY o.created_at DESC, o.id DESC"
_SELECT_TICKETS: Final = f"SELECT {', '.join(TICKET_COLUMNS)} FROM tickets"
_SELECT_CASH: Final = f"SELECT {', '.join(CASH_COLUMNS)} FROM cash_movements"
_SELECT_SHIFTS: Final = f"SELECT {', '.join(SHIFT_COLUMNS)} FROM shifts"
# The day's operations, and every other operation on their payments (a refund made
# another day, the charge of a refund made today): reconciliation needs both. UNION ALL
# with the day left out of the second part: no sort to remove duplicates of wide rows.
_IN_DAY: Final = (
    "o.created_at >= %(since)s AND o.created_at < %(until)s"
    " AND (%(lane)s::text IS NULL OR o.lane = %(lane)s)"
)
_DAY_OPERATIONS: Final = (
    f"WITH day AS MATERIALIZED ({_SELECT_OPS} WHERE {_IN_DAY}) "
    "SELECT * FROM day UNION ALL "
    f"{_SELECT_OPS} WHERE o.payment_id IN "
    "(SELECT payment_id FROM day WHERE payment_id IS NOT NULL) "
    f"AND NOT ({_IN_DAY}) "
    "ORDER BY created_at, id"
)


class PgStoreView:
    """`StoreView` on the store's database (see the module's docstring). Raises
    StoreUnavailableError when it cannot be reached, StoreRefusedError when it refuses."""

    def __init__(
        self, address: StoreAddress, *, connect_timeout: float = CONNECT_TIMEOUT_SECONDS
    ) -> None:
        self.address = address
        self._timeout = connect_timeout
        self._conn: psycopg.AsyncConnection[TupleRow] | None = None
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        """Close the connection (the next read opens another)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            await conn.close()

    # -- StoreView ----------------------------------------------------------------------

    async def history(self, query: HistoryQuery, lane: str | None = None) -> list[Operation]:
        """Operations of every lane (or one), newest first, filtered as the lane's own
        history is (`SqliteJournal.history`); each carries its lane."""
        sql, params = history_sql(query, lane)
        rows = await self._fetch(sql, params)
        return [_operation(row) for row in rows]

    async def cash_history(
        self, query: HistoryQuery, lane: str | None = None
    ) -> list[tuple[str, CashMovement]]:
        """The drawer's sales, refunds and cash returned (with their lane), newest first,
        in the query's window, for its amount, person and text; at most limit + offset
        (the caller merges them with the operations and pages)."""
        sql, params = cash_sql(query, lane)
        rows = await self._fetch(sql, params)
        return [(str(row[0]), _movement(row[1:])) for row in rows]

    async def entries(self, lane: str, operation_id: str) -> list[JournalEntry]:
        """One operation's state changes, oldest first."""
        rows = await self._fetch(
            "SELECT operation_id, at, status, detail FROM operation_events"
            " WHERE operation_id = %s AND lane = %s ORDER BY seq",
            (operation_id, lane),
        )
        return [JournalEntry(str(r[0]), r[1], str(r[2]), r[3]) for r in rows]

    async def ticket(self, ticket_id: str) -> StoreTicket | None:
        """One sale of any lane, with its lines, its card parts and what went back of them
        (on any lane), and its cash."""
        async with self._reading() as conn:
            cur = await conn.execute(f"{_SELECT_TICKETS} WHERE id = %s", (ticket_id,))
            row = await cur.fetchone()
            if row is None:
                return None
            lines = await _lines(conn, [ticket_id])
            cur = await conn.execute(
                f"{_SELECT_OPS} WHERE o.ticket_id = %(id)s UNION "
                f"{_SELECT_OPS} WHERE o.kind <> 'charge' AND o.payment_id IN ("
                "SELECT payment_id FROM operations WHERE ticket_id = %(id)s"
                " AND kind = 'charge' AND payment_id IS NOT NULL) ORDER BY created_at, id",
                {"id": ticket_id},
            )
            operations = [_operation(r) for r in await cur.fetchall()]
            cur = await conn.execute(
                f"{_SELECT_CASH} WHERE ticket_id = %s ORDER BY at, id", (ticket_id,)
            )
            cash = [_movement(r[1:]) for r in await cur.fetchall()]
        ticket = _ticket(row, lines.get(ticket_id, ()))
        return StoreTicket(ticket.lane, ticket, operations, cash)

    async def operation(self, operation_id: str) -> Operation | None:
        """One operation of any lane."""
        rows = await self._fetch(f"{_SELECT_OPS} WHERE o.id = %s", (operation_id,))
        return _operation(rows[0]) if rows else None

    async def day(self, since: datetime, until: datetime, lane: str | None = None) -> StoreDay:
        """Everything of [since, until) for one lane or the whole store, in one snapshot:
        the operations (with every other operation on their payments), the sales with
        their lines, the cash movements, the shifts they belong to, the lanes covered and
        their audit heads."""
        window = {"since": since, "until": until, "lane": lane}
        async with self._reading(snapshot=True) as conn:
            cur = await conn.execute(_DAY_OPERATIONS, window)
            operations = [_operation(r) for r in await cur.fetchall()]
            cur = await conn.execute(
                f"{_SELECT_TICKETS} WHERE created_at >= %(since)s AND created_at < %(until)s"
                " AND (%(lane)s::text IS NULL OR lane = %(lane)s) ORDER BY created_at, id",
                window,
            )
            ticket_rows = await cur.fetchall()
            lines = await _lines(conn, [str(r[0]) for r in ticket_rows])
            cur = await conn.execute(
                f"{_SELECT_CASH} WHERE at >= %(since)s AND at < %(until)s"
                " AND (%(lane)s::text IS NULL OR lane = %(lane)s) ORDER BY at, id",
                window,
            )
            cash = [_movement(r[1:]) for r in await cur.fetchall()]
            shift_ids = sorted(
                {m.shift_id for m in cash} | {str(r[11]) for r in ticket_rows if r[11]}
            )
            cur = await conn.execute(f"{_SELECT_SHIFTS} WHERE id = ANY(%s)", (shift_ids,))
            shifts = [_shift(r) for r in await cur.fetchall()]
            cur = await conn.execute(
                "SELECT name, audit_head_seq, audit_head_hash FROM lanes"
                " WHERE %(lane)s::text IS NULL OR name = %(lane)s ORDER BY name",
                window,
            )
            lane_rows = await cur.fetchall()
        tickets = [_ticket(r, lines.get(str(r[0]), ())) for r in ticket_rows]
        names = sorted(
            {str(r[0]) for r in lane_rows}
            | {op.lane for op in operations if op.lane and (lane is None or op.lane == lane)}
        )
        heads = {str(name): f"{seq}:{str(head)[:20]}" for name, seq, head in lane_rows if head}
        return StoreDay(operations, tickets, cash, shifts, names if lane is None else [lane], heads)

    async def lane_names(self) -> list[str]:
        """Every lane the store has seen, by name."""
        rows = await self._fetch("SELECT name FROM lanes ORDER BY name", ())
        return [str(r[0]) for r in rows]

    async def status(self) -> StoreStatus:
        """The schema version and every lane."""
        from pos_app.storage.store.schema import read_status

        async with self._session() as conn:
            return await read_status(conn)

    # -- diagnostics ----------------------------------------------------------------------

    async def explain(self, sql: str, params: Any = None, *, analyze: bool = True) -> list[str]:
        """PostgreSQL's plan of one query (with `analyze`, run and timed), a line a step."""
        head = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
        rows = await self._fetch(head + sql, params)
        return [str(r[0]) for r in rows]

    # -- plumbing -------------------------------------------------------------------------

    async def _fetch(self, sql: str, params: Any) -> list[tuple[Any, ...]]:
        async with self._reading() as conn:
            cur = await conn.execute(sql.encode(), params)
            return list(await cur.fetchall())

    @contextlib.asynccontextmanager
    async def _reading(
        self, *, snapshot: bool = False, transaction: bool = True
    ) -> AsyncIterator[psycopg.AsyncConnection[TupleRow]]:
        """The connection (opened if need be) for one read, under the lock, in a read-only
        transaction (REPEATABLE READ for a `snapshot`), psycopg's errors as the store's. A
        connection that failed is dropped: the next read opens another."""
        async with self._lock:
            conn: psycopg.AsyncConnection[TupleRow] | None = None
            try:
                async with store_errors(self.address):
                    conn = await self._connection()
                    if transaction:
                        level = "REPEATABLE READ" if snapshot else "READ COMMITTED"
                        await conn.execute(f"SET TRANSACTION ISOLATION LEVEL {level} READ ONLY")
                    yield conn
                    await conn.commit()
            except BaseException:
                await self._after_failure(conn)
                raise

    def _session(self) -> contextlib.AbstractAsyncContextManager[Any]:
        return self._reading(transaction=False)

    async def _after_failure(self, conn: psycopg.AsyncConnection[TupleRow] | None) -> None:
        """Roll back; a connection that cannot be used any more is closed and forgotten."""
        if conn is None:
            return
        try:
            if not conn.closed and not conn.broken:
                await conn.rollback()
                return
        except Exception:  # a connection that cannot roll back is dropped
            log.debug("rolling back a store read failed", exc_info=True)
        self._conn = None
        try:
            await conn.close()
        except Exception:  # a broken connection closes as it can
            log.debug("closing a failed store connection", exc_info=True)

    async def _connection(self) -> psycopg.AsyncConnection[TupleRow]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            from pos_app.storage.store.schema import check_schema

            conn = await connect(self.address, timeout=self._timeout)
            try:
                await conn.execute("SET TIME ZONE 'UTC'")
                await conn.commit()
                await check_schema(conn)
            except BaseException:
                await conn.close()
                raise
            self._conn = conn
        return self._conn


# -- SQL ------------------------------------------------------------------------------------


def history_sql(query: HistoryQuery, lane: str | None = None) -> tuple[str, dict[str, Any]]:
    """The SELECT of `PgStoreView.history` and its parameters.

    `since` inclusive, `until` exclusive; `text` a case-insensitive part of the
    description (the trigram index) or a whole operation, sale, payment or refund id
    (their indexes); `person` a whole name, any case, that served or approved it.
    """
    if query.offset < 0:
        raise ValueError(f"offset must not be negative: {query.offset}")
    where, params = _common_filters(query, lane, "o.created_at", "o.lane")
    if query.card_last4 is not None:
        where.append("o.card_last4 = %(last4)s")
        params["last4"] = query.card_last4
    if query.statuses:
        where.append("o.status = ANY(%(statuses)s)")
        params["statuses"] = [str(s) for s in query.statuses]
    if query.kinds:
        where.append("o.kind = ANY(%(kinds)s)")
        params["kinds"] = [str(k) for k in query.kinds]
    if query.amount_cents is not None:
        where.append("o.amount_cents = %(amount)s")
        params["amount"] = query.amount_cents
    text = (query.text or "").strip()
    if text:
        where.append(
            "(o.id = %(text)s OR o.sale_id = %(text)s OR o.payment_id = %(text)s"
            " OR o.refund_id = %(text)s OR o.description ILIKE %(pattern)s)"
        )
        params["text"], params["pattern"] = text, _contains(text)
    person = _person_key(query.person)
    if person is not None:
        where.append(
            "(lower(o.served_by) = lower(%(person)s) OR lower(o.approved_by) = lower(%(person)s))"
        )
        params["person"] = person
    sql = _SELECT_OPS
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" {_NEWEST_FIRST} LIMIT %(limit)s OFFSET %(offset)s"
    params["limit"], params["offset"] = max(query.limit, 0), query.offset
    return sql, params


def cash_sql(query: HistoryQuery, lane: str | None = None) -> tuple[str, dict[str, Any]]:
    """The SELECT of `PgStoreView.cash_history` (by time, newest first) and its parameters."""
    where, params = _common_filters(query, lane, "at", "lane")
    where.append("kind = ANY(%(cash_kinds)s)")
    params["cash_kinds"] = list(CASH_ROW_KINDS)
    if query.amount_cents is not None:
        where.append("amount_cents = %(amount)s")
        params["amount"] = query.amount_cents
    text = (query.text or "").strip()
    if text:
        # Every branch an index can answer (with the reason's trigram index): a sale's
        # own reason is not searched, which the service's filter checks row by row.
        where.append("(id = %(text)s OR ticket_id = %(text)s OR reason ILIKE %(pattern)s)")
        params["text"], params["pattern"] = text, _contains(text)
    person = _person_key(query.person)
    if person is not None:
        where.append(
            "(lower(person) = lower(%(person)s) OR lower(approved_by) = lower(%(person)s))"
        )
        params["person"] = person
    sql = f"{_SELECT_CASH} WHERE {' AND '.join(where)} ORDER BY at DESC, id DESC LIMIT %(limit)s"
    params["limit"] = max(query.limit, 0) + max(query.offset, 0)
    return sql, params


def _common_filters(
    query: HistoryQuery, lane: str | None, time_column: str, lane_column: str
) -> tuple[list[str], dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {}
    if lane is not None:
        where.append(f"{lane_column} = %(lane)s")
        params["lane"] = lane
    if query.since is not None:
        where.append(f"{time_column} >= %(since)s")
        params["since"] = query.since
    if query.until is not None:
        where.append(f"{time_column} < %(until)s")
        params["until"] = query.until
    return where, params


def _contains(text: str) -> str:
    """An ILIKE pattern for `text` anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _person_key(name: str | None) -> str | None:
    """A name as typed, stripped (the server lowers it as its `lower(...)` indexes do, so
    both sides fold alike whatever the database's locale); None when blank."""
    key = (name or "").strip()
    return key or None


async def _lines(
    conn: psycopg.AsyncConnection[TupleRow], ticket_ids: Sequence[str]
) -> dict[str, tuple[TicketLine, ...]]:
    """The lines of some sales, in order, by sale."""
    if not ticket_ids:
        return {}
    cur = await conn.execute(
        f"SELECT {', '.join(LINE_COLUMNS)} FROM ticket_lines WHERE ticket_id = ANY(%s)"
        " ORDER BY ticket_id, line_no",
        (list(ticket_ids),),
    )
    found: dict[str, list[TicketLine]] = {}
    for ticket_id, name, item_code, quantity, unit, discount, reason in await cur.fetchall():
        found.setdefault(str(ticket_id), []).append(
            TicketLine(
                name=str(name),
                quantity=int(quantity),
                unit_price_cents=int(unit),
                item_code=item_code,
                discount_cents=int(discount),
                discount_reason=reason,
            )
        )
    return {ticket_id: tuple(lines) for ticket_id, lines in found.items()}


# -- rows -----------------------------------------------------------------------------------


def _operation(row: Sequence[Any]) -> Operation:
    data = dict(zip(OPERATION_COLUMNS, row, strict=True))
    data["kind"] = PaymentKind(data["kind"])
    data["amount_cents"] = int(data["amount_cents"])
    return Operation(**data)


def _ticket(row: Sequence[Any], lines: tuple[TicketLine, ...]) -> Ticket:
    data = dict(zip(TICKET_COLUMNS, row, strict=True))
    return Ticket(
        id=str(data["id"]),
        lane=str(data["lane"]),
        status=TicketStatus(data["status"]),
        lines=lines,
        subtotal_cents=int(data["subtotal_cents"]),
        sale_discount_cents=int(data["sale_discount_cents"]),
        tax_cents=int(data["tax_cents"]),
        total_cents=int(data["total_cents"]),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        sale_discount_reason=data["sale_discount_reason"],
        served_by=data["served_by"],
        discount_approved_by=data["discount_approved_by"],
        cancelled_by=data["cancelled_by"],
        shift_id=data["shift_id"],
        description=data["description"],
    )


def _movement(row: Sequence[Any]) -> CashMovement:
    """A cash movement from its columns (CASH_COLUMNS without the lane)."""
    data = dict(zip(CASH_COLUMNS[1:], row, strict=True))
    return CashMovement(
        id=str(data["id"]),
        shift_id=str(data["shift_id"]),
        kind=CashMovementKind(data["kind"]),
        amount_cents=int(data["amount_cents"]),
        at=data["at"],
        person=data["person"],
        reason=data["reason"],
        ticket_id=data["ticket_id"],
        tendered_cents=_int_or_none(data["tendered_cents"]),
        change_cents=_int_or_none(data["change_cents"]),
        approved_by=data["approved_by"],
    )


def _shift(row: Sequence[Any]) -> Shift:
    data = dict(zip(SHIFT_COLUMNS, row, strict=True))
    return Shift(
        id=str(data["id"]),
        lane=str(data["lane"]),
        opened_at=data["opened_at"],
        opened_by=data["opened_by"],
        float_cents=int(data["float_cents"]),
        closed_at=data["closed_at"],
        closed_by=data["closed_by"],
        counted_cents=_int_or_none(data["counted_cents"]),
        expected_cents=_int_or_none(data["expected_cents"]),
        count=_count(data["count"]),
        float_count=_count(data["float_count"]),
    )


def _count(value: Any) -> dict[int, int] | None:
    """A drawer count as JSON (denomination -> pieces) back to cents -> pieces."""
    if not isinstance(value, dict):
        return None
    return {int(cents): int(pieces) for cents, pieces in value.items()}


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
