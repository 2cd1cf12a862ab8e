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

Every row carries the SENDING lane's name. Each kind goes in ONE statement,
its rows as one JSON array unpacked by `jsonb_to_recordset` (a 500-record
batch is about seven statements, ~30 ms on loopback; `tests/bench/
bench_store_link.py`); a row the batch names twice goes once, as its last state.
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

# Each table's columns as a record carries them, with their types (for jsonb_to_recordset).
_OPERATION_COLUMNS: Final = (
    ("id", "text"), ("kind", "text"), ("amount_cents", "bigint"), ("status", "text"),
    ("flow", "text"), ("terminal_id", "text"), ("description", "text"), ("sale_id", "text"),
    ("session_id", "text"), ("payment_id", "text"), ("refund_id", "text"),
    ("original_id", "text"), ("refund_mode", "text"), ("reason", "text"),
    ("card_brand", "text"), ("card_last4", "text"), ("decline_code", "text"),
    ("decline_message", "text"), ("served_by", "text"), ("approved_by", "text"),
    ("ticket_id", "text"), ("shift_id", "text"), ("created_at", "timestamptz"),
    ("updated_at", "timestamptz"),
)  # fmt: skip
_TICKET_COLUMNS: Final = (
    ("id", "text"), ("status", "text"), ("subtotal_cents", "bigint"),
    ("sale_discount_cents", "bigint"), ("sale_discount_reason", "text"),
    ("tax_cents", "bigint"), ("total_cents", "bigint"), ("served_by", "text"),
    ("discount_approved_by", "text"), ("cancelled_by", "text"), ("shift_id", "text"),
    ("description", "text"), ("created_at", "timestamptz"), ("updated_at", "timestamptz"),
)  # fmt: skip
_LINE_COLUMNS: Final = (
    ("ticket_id", "text"), ("line_no", "integer"), ("name", "text"), ("item_code", "text"),
    ("quantity", "integer"), ("unit_price_cents", "bigint"), ("discount_cents", "bigint"),
    ("discount_reason", "text"),
)  # fmt: skip
_SHIFT_COLUMNS: Final = (
    ("id", "text"), ("opened_at", "timestamptz"), ("opened_by", "text"),
    ("float_cents", "bigint"), ("float_count", "jsonb"), ("closed_at", "timestamptz"),
    ("closed_by", "text"), ("counted_cents", "bigint"), ("expected_cents", "bigint"),
    ("count", "jsonb"),
)  # fmt: skip
_EVENT_COLUMNS: Final = (
    ("seq", "bigint"), ("operation_id", "text"), ("at", "timestamptz"), ("status", "text"),
    ("detail", "text"),
)  # fmt: skip
_CASH_COLUMNS: Final = (
    ("id", "text"), ("shift_id", "text"), ("kind", "text"), ("amount_cents", "bigint"),
    ("at", "timestamptz"), ("person", "text"), ("reason", "text"), ("ticket_id", "text"),
    ("tendered_cents", "bigint"), ("change_cents", "bigint"), ("approved_by", "text"),
)  # fmt: skip
_AUDIT_COLUMNS: Final = (
    ("seq", "bigint"), ("at", "timestamptz"), ("who", "text"), ("action", "text"),
    ("subject", "text"), ("detail", "text"), ("outcome", "text"), ("prev_hash", "text"),
    ("hash", "text"), ("mac", "text"),
)  # fmt: skip
_STAFF_COLUMNS_TYPED: Final = (
    ("name_key", "text"), ("name", "text"), ("role", "text"), ("active", "boolean"),
    ("pin_hash", "text"), ("failed_tries", "integer"), ("locked_until", "timestamptz"),
    ("changed_at", "timestamptz"),
)  # fmt: skip

Columns = Sequence[tuple[str, str]]


def _bulk_insert(table: str, columns: Columns, *, lane: bool = True) -> str:
    """One INSERT of every row of a kind: the rows go as one JSON array (one parameter,
    one statement, however many rows), the sending lane as another."""
    names = [name for name, _ in columns]
    typed = ", ".join(f"{name} {kind}" for name, kind in columns)
    target = ", ".join((["lane"] if lane else []) + names)
    values = ", ".join((["%(lane)s"] if lane else []) + [f"r.{name}" for name in names])
    return (
        f"INSERT INTO {table} ({target}) SELECT {values}"
        f" FROM jsonb_to_recordset(%(rows)s) AS r({typed})"
    )


def _updates(columns: Columns) -> str:
    return ", ".join(f"{name} = EXCLUDED.{name}" for name in ("lane", *(n for n, _ in columns)))


_LANE_SQL: Final = (
    "INSERT INTO lanes (name, lane_uid, pending, app_version)"
    " VALUES (%(name)s, %(uid)s, %(pending)s, %(app_version)s)"
    " ON CONFLICT (name) DO UPDATE SET last_seen = now(), pending = EXCLUDED.pending,"
    " app_version = EXCLUDED.app_version WHERE lanes.lane_uid = EXCLUDED.lane_uid"
    " RETURNING name"
)
_OPERATION_SQL: Final = (
    f"{_bulk_insert('operations', _OPERATION_COLUMNS)} ON CONFLICT (id) DO UPDATE SET"
    f" {_updates(_OPERATION_COLUMNS[1:])} WHERE EXCLUDED.updated_at >= operations.updated_at"
)
_TICKET_SQL: Final = (
    f"{_bulk_insert('tickets', _TICKET_COLUMNS)} ON CONFLICT (id) DO UPDATE SET"
    f" {_updates(_TICKET_COLUMNS[1:])} WHERE EXCLUDED.updated_at >= tickets.updated_at"
    " RETURNING id"
)
_LINES_DELETE_SQL: Final = "DELETE FROM ticket_lines WHERE ticket_id = ANY(%s)"
_LINE_SQL: Final = _bulk_insert("ticket_lines", _LINE_COLUMNS, lane=False)
# A closed shift never reopens: its closing columns keep the first close that arrived.
_SHIFT_SQL: Final = (
    f"{_bulk_insert('shifts', _SHIFT_COLUMNS)} ON CONFLICT (id) DO UPDATE SET"
    " lane = EXCLUDED.lane, opened_at = EXCLUDED.opened_at, opened_by = EXCLUDED.opened_by,"
    " float_cents = EXCLUDED.float_cents, float_count = EXCLUDED.float_count, "
    + ", ".join(
        f"{column} = CASE WHEN shifts.closed_at IS NULL THEN EXCLUDED.{column}"
        f" ELSE shifts.{column} END"
        for column in ("closed_by", "counted_cents", "expected_cents", "count", "closed_at")
    )
)
_EVENT_SQL: Final = f"{_bulk_insert('operation_events', _EVENT_COLUMNS)} ON CONFLICT DO NOTHING"
_CASH_SQL: Final = f"{_bulk_insert('cash_movements', _CASH_COLUMNS)} ON CONFLICT DO NOTHING"
_AUDIT_SQL: Final = f"{_bulk_insert('audit_entries', _AUDIT_COLUMNS)} ON CONFLICT DO NOTHING"
_AUDIT_HEAD_SQL: Final = (
    "UPDATE lanes SET audit_head_seq = %(seq)s, audit_head_hash = %(hash)s"
    " WHERE name = %(lane)s AND audit_head_seq < %(seq)s"
)
_STAFF_SQL: Final = (
    "INSERT INTO staff (name_key, name, role, active, pin_hash, failed_tries, locked_until,"
    " changed_at, changed_by_lane) SELECT r.name_key, r.name, r.role, r.active, r.pin_hash,"
    " r.failed_tries, r.locked_until, COALESCE(r.changed_at, clock_timestamp()), %(lane)s"
    " FROM jsonb_to_recordset(%(rows)s) AS r("
    + ", ".join(f"{name} {kind}" for name, kind in _STAFF_COLUMNS_TYPED)
    + ") ON CONFLICT (name_key) DO UPDATE SET name = EXCLUDED.name, role = EXCLUDED.role,"
    " active = EXCLUDED.active, pin_hash = EXCLUDED.pin_hash,"
    " failed_tries = EXCLUDED.failed_tries, locked_until = EXCLUDED.locked_until,"
    " changed_at = EXCLUDED.changed_at, changed_by_lane = EXCLUDED.changed_by_lane"
    " WHERE EXCLUDED.changed_at > staff.changed_at"
)
_STAFF_COLUMNS: Final = (
    "name, role, active, pin_hash, failed_tries, locked_until, changed_at, changed_by_lane"
)


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
                    # psycopg may surface a cancellation mid-statement as an error of its
                    # own (an AssertionError in a pipeline): the caller asked to stop.
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


def _rows(
    columns: Columns, records: Sequence[Mapping[str, JsonValue]], key: str | None = None
) -> Any:
    """The records' columns as one JSON array (a missing key is null). With `key`, a row
    named twice in the batch goes once, as its last state (one INSERT ... ON CONFLICT DO
    UPDATE may not touch a row twice)."""
    from psycopg.types.json import Jsonb

    names = [name for name, _ in columns]
    rows = [{name: data.get(name) for name in names} for data in records]
    if key is not None:
        rows = list({str(row[key]): row for row in rows}.values())
    return Jsonb(rows)


async def _write_records(
    conn: psycopg.AsyncConnection[TupleRow], lane: str, records: Sequence[StoreRecord]
) -> None:
    """Every record of a batch: one statement per kind (its rows as one JSON array)."""
    by_kind: dict[RecordKind, list[Mapping[str, JsonValue]]] = {}
    for record in records:
        by_kind.setdefault(RecordKind(record.kind), []).append(record.data)
    async with conn.cursor() as cur:
        if shifts := by_kind.get(RecordKind.SHIFT):
            await cur.execute(
                _SHIFT_SQL, {"lane": lane, "rows": _rows(_SHIFT_COLUMNS, shifts, "id")}
            )
        if tickets := by_kind.get(RecordKind.TICKET):
            await _write_tickets(cur, lane, tickets)
        if operations := by_kind.get(RecordKind.OPERATION):
            rows = _rows(_OPERATION_COLUMNS, operations, "id")
            await cur.execute(_OPERATION_SQL, {"lane": lane, "rows": rows})
        if events := by_kind.get(RecordKind.EVENT):
            await cur.execute(_EVENT_SQL, {"lane": lane, "rows": _rows(_EVENT_COLUMNS, events)})
        if cash := by_kind.get(RecordKind.CASH):
            await cur.execute(_CASH_SQL, {"lane": lane, "rows": _rows(_CASH_COLUMNS, cash)})
        if audit := by_kind.get(RecordKind.AUDIT):
            await cur.execute(_AUDIT_SQL, {"lane": lane, "rows": _rows(_AUDIT_COLUMNS, audit)})
            head = max(audit, key=lambda d: int(str(d["seq"])))
            await cur.execute(
                _AUDIT_HEAD_SQL, {"lane": lane, "seq": int(str(head["seq"])), "hash": head["hash"]}
            )
        if staff := by_kind.get(RecordKind.STAFF):
            people = [{**d, "name_key": str(d["name"]).lower()} for d in staff]
            rows = _rows(_STAFF_COLUMNS_TYPED, people, "name_key")
            await cur.execute(_STAFF_SQL, {"lane": lane, "rows": rows})


async def _write_tickets(
    cur: psycopg.AsyncCursor[TupleRow], lane: str, tickets: Sequence[Mapping[str, JsonValue]]
) -> None:
    """Upsert the tickets; those whose row was written get their lines replaced (by the
    last state of a ticket the batch names twice)."""
    await cur.execute(_TICKET_SQL, {"lane": lane, "rows": _rows(_TICKET_COLUMNS, tickets, "id")})
    written = {str(row[0]) for row in await cur.fetchall()}
    if not written:
        return
    lines: dict[str, list[Mapping[str, JsonValue]]] = {}
    for data in tickets:
        ticket_id = str(data["id"])
        if ticket_id in written:
            raw = data.get("lines") or []
            assert isinstance(raw, list), "a ticket's lines are a list"
            lines[ticket_id] = [
                {**line, "ticket_id": ticket_id} for line in raw if isinstance(line, dict)
            ]
    await cur.execute(_LINES_DELETE_SQL, (list(lines),))
    rows = [line for ticket_lines in lines.values() for line in ticket_lines]
    if rows:
        await cur.execute(_LINE_SQL, {"rows": _rows(_LINE_COLUMNS, rows)})
