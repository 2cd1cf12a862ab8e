"""`PgStoreLink`: the store's database as a lane's sync task writes to and pulls from.

One connection, opened on first use and again after a failure (a store that
went away and came back is simply reconnected to); its schema version is
checked once per connection. Calls are serialized on that connection.

`send` writes a whole batch in ONE transaction, idempotently:

- the lane: inserted if new, refused when another computer (another
  `lane_uid`) already sends under its name; `last_seen`, `pending` and
  `app_version` noted.
- operations and tickets: upsert by id, only when the record's `updated_at`
  is not older than the row's (a resend of an older state never goes back);
  a ticket whose row was written gets its lines replaced.
- shifts: upsert by id; a closed shift never reopens.
- events, cash movements, audit entries: written once (`ON CONFLICT DO
  NOTHING`); audit entries move the lane's audit head forward, never back.
- staff: upsert by `lower(name)` when the record's `changed_at` is newer.

Every row carries the SENDING lane's name. Each kind goes in one
`executemany` (pipelined by psycopg), in the batch's order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from pos_app.services.store_ports import (
    JsonValue,
    LaneIdentity,
    RecordKind,
    SharedStaff,
    StoreRecord,
    StoreRefusedError,
)
from pos_app.storage.store.connection import (
    CONNECT_TIMEOUT_SECONDS,
    StoreAddress,
    connect,
    store_errors,
)
from pos_app.storage.store.schema import check_schema

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

__all__ = ["LANE_TAKEN_TEXT", "PgStoreLink"]

log = logging.getLogger("pos_app.storage.store")

LANE_TAKEN_TEXT: Final = (
    "Another computer already sends as lane '{lane}' to this store; give this lane another"
    " name (POS_LANE or Settings)"
)

_OPERATION_COLUMNS: Final = (
    "id", "kind", "amount_cents", "status", "flow", "terminal_id", "description", "sale_id",
    "session_id", "payment_id", "refund_id", "original_id", "refund_mode", "reason",
    "card_brand", "card_last4", "decline_code", "decline_message", "served_by", "approved_by",
    "ticket_id", "shift_id", "created_at", "updated_at",
)  # fmt: skip
_TICKET_COLUMNS: Final = (
    "id", "status", "subtotal_cents", "sale_discount_cents", "sale_discount_reason",
    "tax_cents", "total_cents", "served_by", "discount_approved_by", "cancelled_by",
    "shift_id", "description", "created_at", "updated_at",
)  # fmt: skip
_LINE_COLUMNS: Final = (
    "line_no", "name", "item_code", "quantity", "unit_price_cents", "discount_cents",
    "discount_reason",
)  # fmt: skip
_SHIFT_COLUMNS: Final = (
    "id", "opened_at", "opened_by", "float_cents", "float_count", "closed_at", "closed_by",
    "counted_cents", "expected_cents", "count",
)  # fmt: skip
_JSON_COLUMNS: Final = frozenset({"float_count", "count"})
_EVENT_COLUMNS: Final = ("seq", "operation_id", "at", "status", "detail")
_CASH_COLUMNS: Final = (
    "id", "shift_id", "kind", "amount_cents", "at", "person", "reason", "ticket_id",
    "tendered_cents", "change_cents", "approved_by",
)  # fmt: skip
_AUDIT_COLUMNS: Final = (
    "seq", "at", "who", "action", "subject", "detail", "outcome", "prev_hash", "hash", "mac",
)  # fmt: skip


def _insert(table: str, columns: Sequence[str]) -> str:
    """INSERT of the sending lane (first) and `columns`, named placeholders."""
    names = ", ".join(("lane", *columns))
    values = ", ".join(f"%({column})s" for column in ("lane", *columns))
    return f"INSERT INTO {table} ({names}) VALUES ({values})"


def _updates(columns: Sequence[str]) -> str:
    return ", ".join(f"{column} = EXCLUDED.{column}" for column in ("lane", *columns))


_LANE_SQL: Final = (
    "INSERT INTO lanes (name, lane_uid, pending, app_version)"
    " VALUES (%(name)s, %(uid)s, %(pending)s, %(app_version)s)"
    " ON CONFLICT (name) DO UPDATE SET last_seen = now(), pending = EXCLUDED.pending,"
    " app_version = EXCLUDED.app_version WHERE lanes.lane_uid = EXCLUDED.lane_uid"
    " RETURNING name"
)
_OPERATION_SQL: Final = (
    f"{_insert('operations', _OPERATION_COLUMNS)} ON CONFLICT (id) DO UPDATE SET"
    f" {_updates(_OPERATION_COLUMNS[1:])} WHERE EXCLUDED.updated_at >= operations.updated_at"
)
_TICKET_SQL: Final = (
    f"{_insert('tickets', _TICKET_COLUMNS)} ON CONFLICT (id) DO UPDATE SET"
    f" {_updates(_TICKET_COLUMNS[1:])} WHERE EXCLUDED.updated_at >= tickets.updated_at"
    " RETURNING id"
)
_LINES_DELETE_SQL: Final = "DELETE FROM ticket_lines WHERE ticket_id = ANY(%s)"
_LINE_SQL: Final = (
    f"INSERT INTO ticket_lines (ticket_id, {', '.join(_LINE_COLUMNS)})"
    f" VALUES (%(ticket_id)s, {', '.join(f'%({column})s' for column in _LINE_COLUMNS)})"
)
# A closed shift never reopens: its closing columns keep the first close that arrived.
_SHIFT_SQL: Final = (
    f"{_insert('shifts', _SHIFT_COLUMNS)} ON CONFLICT (id) DO UPDATE SET"
    " lane = EXCLUDED.lane, opened_at = EXCLUDED.opened_at, opened_by = EXCLUDED.opened_by,"
    " float_cents = EXCLUDED.float_cents, float_count = EXCLUDED.float_count, "
    + ", ".join(
        f"{column} = CASE WHEN shifts.closed_at IS NULL THEN EXCLUDED.{column}"
        f" ELSE shifts.{column} END"
        for column in ("closed_by", "counted_cents", "expected_cents", "count", "closed_at")
    )
)
_EVENT_SQL: Final = f"{_insert('operation_events', _EVENT_COLUMNS)} ON CONFLICT DO NOTHING"
_CASH_SQL: Final = f"{_insert('cash_movements', _CASH_COLUMNS)} ON CONFLICT DO NOTHING"
_AUDIT_SQL: Final = f"{_insert('audit_entries', _AUDIT_COLUMNS)} ON CONFLICT DO NOTHING"
_AUDIT_HEAD_SQL: Final = (
    "UPDATE lanes SET audit_head_seq = %(seq)s, audit_head_hash = %(hash)s"
    " WHERE name = %(lane)s AND audit_head_seq < %(seq)s"
)
_STAFF_SQL: Final = (
    "INSERT INTO staff (name_key, name, role, active, pin_hash, failed_tries, locked_until,"
    " changed_at, changed_by_lane) VALUES (%(name_key)s, %(name)s, %(role)s, %(active)s,"
    " %(pin_hash)s, %(failed_tries)s, %(locked_until)s,"
    " COALESCE(%(changed_at)s::timestamptz, clock_timestamp()), %(lane)s)"
    " ON CONFLICT (name_key) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role,"
    " active = EXCLUDED.active, pin_hash = EXCLUDED.pin_hash,"
    " failed_tries = EXCLUDED.failed_tries, locked_until = EXCLUDED.locked_until,"
    " changed_at = EXCLUDED.changed_at, changed_by_lane = EXCLUDED.changed_by_lane"
    " WHERE EXCLUDED.changed_at > staff.changed_at"
)
_STAFF_COLUMNS: Final = (
    "name, role, active, pin_hash, failed_tries, locked_until, changed_at, changed_by_lane"
)


def _row(lane: str, columns: Sequence[str], data: Mapping[str, JsonValue]) -> dict[str, Any]:
    """The parameters of one record's row: the sending lane, then its columns (a missing
    key is NULL; the JSON columns as jsonb)."""
    from psycopg.types.json import Jsonb

    row: dict[str, Any] = {"lane": lane}
    for column in columns:
        value = data.get(column)
        row[column] = Jsonb(value) if column in _JSON_COLUMNS and value is not None else value
    return row


class PgStoreLink:
    """`StoreLink` on a PostgreSQL store: one connection, opened lazily, re-opened after a
    failure; every psycopg error comes out as StoreUnavailableError or StoreRefusedError."""

    def __init__(
        self, address: StoreAddress, *, connect_timeout: float = CONNECT_TIMEOUT_SECONDS
    ) -> None:
        self._address = address
        self._connect_timeout = connect_timeout
        self._conn: psycopg.AsyncConnection[TupleRow] | None = None
        self._lock = asyncio.Lock()

    @property
    def address(self) -> StoreAddress:
        """Where the store is (its URL without the password)."""
        return self._address

    async def _connection(self) -> psycopg.AsyncConnection[TupleRow]:
        if self._conn is not None and not self._conn.closed:
            return self._conn
        conn = await connect(self._address, timeout=self._connect_timeout)
        try:
            async with store_errors(self._address):
                await check_schema(conn, host=self._address.host)
        except BaseException:
            await conn.close()
            raise
        self._conn = conn
        log.info("connected to the store's database at %s", self._address.host)
        return conn

    async def _forget(self) -> None:
        """Drop the connection after a failure: the next call opens a new one."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except Exception:  # a broken connection may fail to close; it is gone anyway
                log.debug("closing a broken store connection failed", exc_info=True)

    async def _run(self, work: Any) -> Any:
        """Run `work(conn)` in one transaction on the connection, mapping the errors; a
        connection that failed is dropped (a refusal keeps it: the connection is fine)."""
        async with self._lock:
            conn = await self._connection()
            try:
                async with store_errors(self._address), conn.transaction():
                    return await work(conn)
            except StoreRefusedError:
                raise
            except BaseException:
                # Lost, timed out, cancelled mid-statement (a drain's deadline) or a
                # bug: the connection's state is unknown, so the next call opens anew.
                await self._forget()
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    # psycopg may turn a cancellation inside executemany's pipeline into
                    # an AssertionError of its own: the caller asked to stop, say that.
                    raise asyncio.CancelledError from None
                raise

    # -- the lane's records --------------------------------------------------------------

    async def send(self, lane: LaneIdentity, records: Sequence[StoreRecord], pending: int) -> None:
        """Write `records` and note the lane as seen, all in one transaction."""

        async def work(conn: psycopg.AsyncConnection[TupleRow]) -> None:
            await self._note_lane(conn, lane, pending)
            await _write_records(conn, lane.name, records)

        await self._run(work)

    async def heartbeat(self, lane: LaneIdentity, pending: int) -> None:
        """Note the lane as seen now, with `pending` records waiting."""

        async def work(conn: psycopg.AsyncConnection[TupleRow]) -> None:
            await self._note_lane(conn, lane, pending)

        await self._run(work)

    @staticmethod
    async def _note_lane(
        conn: psycopg.AsyncConnection[TupleRow], lane: LaneIdentity, pending: int
    ) -> None:
        cur = await conn.execute(
            _LANE_SQL,
            {
                "name": lane.name,
                "uid": lane.uid,
                "pending": pending,
                "app_version": lane.app_version,
            },
        )
        if await cur.fetchone() is None:
            log.warning(
                "the store refused lane %r: its name is taken by another lane_uid", lane.name
            )
            raise StoreRefusedError(LANE_TAKEN_TEXT.format(lane=lane.name))

    # -- shared data ---------------------------------------------------------------------

    async def staff_since(self, changed_after: datetime | None) -> list[SharedStaff]:
        """People changed after a time (None: everyone), oldest change first."""

        async def work(conn: psycopg.AsyncConnection[TupleRow]) -> list[SharedStaff]:
            if changed_after is None:
                cur = await conn.execute(
                    f"SELECT {_STAFF_COLUMNS} FROM staff ORDER BY changed_at, name_key"
                )
            else:
                cur = await conn.execute(
                    f"SELECT {_STAFF_COLUMNS} FROM staff WHERE changed_at > %s"
                    " ORDER BY changed_at, name_key",
                    (changed_after,),
                )
            return [
                SharedStaff(
                    name=name,
                    role=role,
                    active=bool(active),
                    pin_hash=pin_hash,
                    failed_tries=int(failed_tries),
                    locked_until=locked_until,
                    changed_at=changed_at,
                    changed_by_lane=changed_by_lane,
                )
                for (
                    name, role, active, pin_hash, failed_tries, locked_until, changed_at,
                    changed_by_lane,
                ) in await cur.fetchall()
            ]  # fmt: skip

        result: list[SharedStaff] = await self._run(work)
        return result

    async def catalog(self) -> tuple[str, datetime] | None:
        """The store's catalog (TOML) and when it last changed; None when it has none."""

        async def work(conn: psycopg.AsyncConnection[TupleRow]) -> tuple[str, datetime] | None:
            cur = await conn.execute("SELECT toml, changed_at FROM catalog WHERE id = 1")
            row = await cur.fetchone()
            return None if row is None else (str(row[0]), row[1])

        result: tuple[str, datetime] | None = await self._run(work)
        return result

    async def put_catalog(self, toml_text: str, changed_by: str) -> None:
        """Replace the store's catalog."""

        async def work(conn: psycopg.AsyncConnection[TupleRow]) -> None:
            await conn.execute(
                "INSERT INTO catalog (id, toml, changed_at, changed_by)"
                " VALUES (1, %s, clock_timestamp(), %s) ON CONFLICT (id) DO UPDATE SET"
                " toml = EXCLUDED.toml, changed_at = EXCLUDED.changed_at,"
                " changed_by = EXCLUDED.changed_by",
                (toml_text, changed_by),
            )

        await self._run(work)

    async def store_settings(self) -> dict[str, JsonValue]:
        """The settings every lane of the store shares."""

        async def work(conn: psycopg.AsyncConnection[TupleRow]) -> dict[str, JsonValue]:
            cur = await conn.execute("SELECT key, value FROM store_settings ORDER BY key")
            return {str(key): value for key, value in await cur.fetchall()}

        result: dict[str, JsonValue] = await self._run(work)
        return result

    async def put_store_settings(self, values: Mapping[str, JsonValue], changed_by: str) -> None:
        """Change some of the shared settings (a None value removes one)."""
        from psycopg.types.json import Jsonb

        async def work(conn: psycopg.AsyncConnection[TupleRow]) -> None:
            for key, value in values.items():
                if value is None:
                    await conn.execute("DELETE FROM store_settings WHERE key = %s", (key,))
                    continue
                await conn.execute(
                    "INSERT INTO store_settings (key, value, changed_at, changed_by)"
                    " VALUES (%s, %s, clock_timestamp(), %s) ON CONFLICT (key) DO UPDATE SET"
                    " value = EXCLUDED.value, changed_at = EXCLUDED.changed_at,"
                    " changed_by = EXCLUDED.changed_by",
                    (key, Jsonb(value), changed_by),
                )

        await self._run(work)

    # -- the audit head ------------------------------------------------------------------

    async def audit_head(self, lane: str) -> tuple[int, str] | None:
        """The lane's audit head as the store has it; None before any entry."""

        async def work(conn: psycopg.AsyncConnection[TupleRow]) -> tuple[int, str] | None:
            cur = await conn.execute(
                "SELECT audit_head_seq, audit_head_hash FROM lanes WHERE name = %s", (lane,)
            )
            row = await cur.fetchone()
            if row is None or row[1] is None or not row[0]:
                return None
            return int(row[0]), str(row[1])

        result: tuple[int, str] | None = await self._run(work)
        return result

    async def audit_hash(self, lane: str, seq: int) -> str | None:
        """The hash of one of the lane's entries as the store has it."""

        async def work(conn: psycopg.AsyncConnection[TupleRow]) -> str | None:
            cur = await conn.execute(
                "SELECT hash FROM audit_entries WHERE lane = %s AND seq = %s", (lane, seq)
            )
            row = await cur.fetchone()
            return None if row is None else str(row[0])

        result: str | None = await self._run(work)
        return result

    async def close(self) -> None:
        """Close the connection (the next call would open a new one)."""
        async with self._lock:
            await self._forget()


async def _write_records(
    conn: psycopg.AsyncConnection[TupleRow], lane: str, records: Sequence[StoreRecord]
) -> None:
    """Every record of a batch, one `executemany` per kind, each kind in the batch's order."""
    by_kind: dict[RecordKind, list[Mapping[str, JsonValue]]] = {}
    for record in records:
        by_kind.setdefault(RecordKind(record.kind), []).append(record.data)
    async with conn.cursor() as cur:
        if shifts := by_kind.get(RecordKind.SHIFT):
            await cur.executemany(_SHIFT_SQL, [_row(lane, _SHIFT_COLUMNS, d) for d in shifts])
        if tickets := by_kind.get(RecordKind.TICKET):
            await _write_tickets(cur, lane, tickets)
        if operations := by_kind.get(RecordKind.OPERATION):
            rows = [_row(lane, _OPERATION_COLUMNS, d) for d in operations]
            await cur.executemany(_OPERATION_SQL, rows)
        if events := by_kind.get(RecordKind.EVENT):
            await cur.executemany(_EVENT_SQL, [_row(lane, _EVENT_COLUMNS, d) for d in events])
        if cash := by_kind.get(RecordKind.CASH):
            await cur.executemany(_CASH_SQL, [_row(lane, _CASH_COLUMNS, d) for d in cash])
        if audit := by_kind.get(RecordKind.AUDIT):
            await cur.executemany(_AUDIT_SQL, [_row(lane, _AUDIT_COLUMNS, d) for d in audit])
            head = max(audit, key=lambda d: int(str(d["seq"])))
            await cur.execute(
                _AUDIT_HEAD_SQL, {"lane": lane, "seq": int(str(head["seq"])), "hash": head["hash"]}
            )
        if staff := by_kind.get(RecordKind.STAFF):
            rows = [
                {
                    **_row(lane, ("name", "role", "active", "pin_hash", "failed_tries"), d),
                    "name_key": str(d["name"]).lower(),
                    "locked_until": d.get("locked_until"),
                    "changed_at": d.get("changed_at"),
                }
                for d in staff
            ]
            await cur.executemany(_STAFF_SQL, rows)


async def _write_tickets(
    cur: psycopg.AsyncCursor[TupleRow], lane: str, tickets: Sequence[Mapping[str, JsonValue]]
) -> None:
    """Upsert the tickets; those whose row was written get their lines replaced."""
    await cur.executemany(
        _TICKET_SQL, [_row(lane, _TICKET_COLUMNS, d) for d in tickets], returning=True
    )
    written: set[str] = set()
    while True:
        written.update(str(row[0]) for row in await cur.fetchall())
        if not cur.nextset():
            break
    if not written:
        return
    lines: dict[str, list[dict[str, Any]]] = {}
    for data in tickets:
        ticket_id = str(data["id"])
        if ticket_id in written:
            raw = data.get("lines") or []
            assert isinstance(raw, list), "a ticket's lines are a list"
            lines[ticket_id] = [
                {"ticket_id": ticket_id, **{c: line.get(c) for c in _LINE_COLUMNS}}
                for line in raw
                if isinstance(line, dict)
            ]  # the last state of a ticket sent twice in one batch wins
    await cur.execute(_LINES_DELETE_SQL, (list(lines),))
    rows = [row for ticket_lines in lines.values() for row in ticket_lines]
    if rows:
        await cur.executemany(_LINE_SQL, rows)
