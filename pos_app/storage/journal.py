"""The crash-safe journal of every charge, refund and void (SQLite, WAL).

One row per operation in `operations`, and an append-only `operation_events`
log of its status changes. Every write commits before the method returns,
with `synchronous=FULL`, so an acknowledged write survives a crash or a power
cut. Several lanes (processes) may share one file: writes take the write lock
up front (`BEGIN IMMEDIATE`). The writes are coroutines that never hold the
event loop waiting for that lock: each attempt waits a few ms at most, and
between attempts the loop runs on, until the lock is free or 10 s have passed
(then `JournalError`, an `UnavailableError`). Reads stay plain calls: in WAL
mode they never wait on a writer.

Times are stored twice: ISO 8601 UTC text (exact, readable, and ordered as
text) and integer epoch milliseconds (for indexed range queries). Datetimes
passed in must be timezone-aware; datetimes returned are aware, in UTC.

Nothing about a card beyond its brand and last four digits is ever stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, Final

from pos_app.domain.payment_flow import PaymentKind, PaymentState, StateName
from pos_app.services.ports import HistoryQuery, JournalEntry, Operation
from pos_app.services.store_ports import RecordKind, StoreRecord
from pos_app.storage.migrations import JournalError, fold, migrate
from pos_app.storage.outbox import JOURNAL_BACKFILL, OutboxTables, journal_records
from pos_app.storage.stamps import epoch_ms as _epoch_ms
from pos_app.storage.stamps import from_iso as _from_iso
from pos_app.storage.stamps import iso as _iso
from pos_app.storage.tickets import TicketTables

__all__ = ["DONE_STATUSES", "JournalError", "SqliteJournal"]

# `unresolved` is final for the dialog but not for the journal: it waits for a
# "check again", so `unfinished()` keeps returning it.
DONE_STATUSES: Final = frozenset(
    {StateName.APPROVED, StateName.DECLINED, StateName.CANCELLED, StateName.TIMED_OUT}
)
_OPEN_STATUSES: Final = tuple(sorted(s.value for s in StateName if s not in DONE_STATUSES))

# Operation fields in declaration order; the row has the same columns plus the
# epoch-ms copies of the two datetimes and the folded description and names.
_FIELDS: Final = tuple(f.name for f in fields(Operation))
_COLUMNS: Final = ", ".join(_FIELDS)
_SELECT: Final = f"SELECT {_COLUMNS} FROM operations"
_INSERT: Final = (
    f"INSERT INTO operations ({_COLUMNS}, created_ms, updated_ms, description_fold, "
    "served_by_fold, approved_by_fold) "
    f"VALUES ({', '.join('?' * (len(_FIELDS) + 5))})"
)
_UPDATE: Final = (
    "UPDATE operations SET "
    + ", ".join(f"{name} = ?" for name in _FIELDS if name != "id")
    + ", created_ms = ?, updated_ms = ?, description_fold = ?, served_by_fold = ?,"
    " approved_by_fold = ? WHERE id = ?"
)
_INSERT_EVENT: Final = (
    "INSERT INTO operation_events (operation_id, at, at_ms, status, detail) VALUES (?, ?, ?, ?, ?)"
)
# A charge is found by its own sale or payment; refunds and voids also carry the
# charge's ids, so they only match on their own refund id.
_FIND_CHARGE: Final = (
    f"{_SELECT} WHERE kind = 'charge' AND sale_id = :id "
    f"UNION ALL {_SELECT} WHERE kind = 'charge' AND payment_id = :id "
    "ORDER BY created_at DESC LIMIT 1"
)
_FIND_REFUND: Final = f"{_SELECT} WHERE refund_id = :id ORDER BY created_ms DESC LIMIT 1"
_ID_ROWIDS: Final = " UNION ALL ".join(
    f"SELECT rowid FROM operations WHERE {column} = ?"
    for column in ("id", "sale_id", "payment_id", "refund_id")
)
# Ties on the millisecond fall back to insertion order.
_NEWEST_FIRST: Final = "ORDER BY created_ms DESC, rowid DESC"


class SqliteJournal(TicketTables, OutboxTables):
    """The `Journal` port on SQLite: one connection, committed on every write.

    Also the `TicketStore` port (`TicketTables`): tickets, shifts and cash
    movements live in the same file, under the same write lock. And the `Outbox`
    port (`OutboxTables`) of a lane in a store: its records wait in the same file.

    `path` is a file (its folder is created) or ":memory:" for tests. Use it as
    a context manager or call `close()`.
    """

    what = "journal"
    error = JournalError
    extra_pragmas = ("foreign_keys = ON",)
    attempt_busy_ms = 5
    outbox_name = "journal"
    outbox_backfill = JOURNAL_BACKFILL

    def _prepare(self) -> None:
        migrate(self._conn)

    def _read_records(
        self, conn: sqlite3.Connection, kind: RecordKind, refs: Sequence[str]
    ) -> dict[str, StoreRecord]:
        return journal_records(conn, kind, refs)

    # -- writes -------------------------------------------------------------------

    async def begin(self, operation: Operation) -> None:
        """Record a new operation and its first event; committed when this returns."""
        await self.begin_many((operation,))

    async def begin_many(self, operations: Iterable[Operation]) -> int:
        """Record new operations, each with its first event, in one transaction.

        For imports and benchmarks; all or nothing. Returns how many were recorded.
        """
        rows = [(operation, _row_values(operation)) for operation in operations]

        def insert(conn: sqlite3.Connection) -> int:
            for operation, values in rows:
                try:
                    conn.execute(_INSERT, values)
                except sqlite3.IntegrityError as exc:
                    if "UNIQUE" not in str(exc):
                        raise
                    raise JournalError(f"operation {operation.id} is already journaled") from exc
                self._append_event(conn, operation.id, operation.status, None)
            return len(rows)

        return await self._write_soon(insert)

    async def update(self, operation: Operation, detail: str | None = None) -> None:
        """Save every field of the operation and append its status with the current time.

        `updated_at` is saved as given; `record_state` is the one that bumps it.
        """
        values = _row_values(operation)

        def save(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(_UPDATE, (*values[1:], operation.id))
            if cursor.rowcount != 1:
                raise JournalError(f"operation {operation.id} is not in the journal")
            self._append_event(conn, operation.id, operation.status, detail)

        await self._write_soon(save)

    async def record_state(self, operation: Operation, state: PaymentState) -> None:
        """Copy the state onto the operation and `update` it, unless nothing changed.

        A field the state does not know (None) never erases one the operation
        has. Polling calls this every second, so an unchanged state writes nothing.
        """
        seen: dict[str, str | None] = {
            "status": state.name.value,
            "sale_id": state.intent_id,
            "payment_id": state.payment_id,
            "refund_id": state.refund_id,
            "card_brand": state.card_brand,
            "card_last4": _last_four(state.card_last4),
            "decline_code": state.decline_code,
            "decline_message": state.decline_message,
            "terminal_id": state.terminal_id,
        }
        changes = {
            name: value
            for name, value in seen.items()
            if value is not None and getattr(operation, name) != value
        }
        if not changes:
            return
        for name, value in changes.items():
            setattr(operation, name, value)
        operation.updated_at = datetime.now(UTC)
        await self.update(operation, state.trouble)

    # -- reads --------------------------------------------------------------------

    def get(self, operation_id: str) -> Operation | None:
        """One operation, or None."""
        return self._one(f"{_SELECT} WHERE id = ?", (operation_id,))

    def unfinished(self) -> list[Operation]:
        """Operations not yet approved, declined, cancelled or timed out, oldest first.

        `unresolved` is included: it waits for a "check again".
        """
        marks = ", ".join("?" * len(_OPEN_STATUSES))
        return self._many(
            f"{_SELECT} WHERE status IN ({marks}) ORDER BY created_ms, rowid", _OPEN_STATUSES
        )

    def history(self, query: HistoryQuery) -> list[Operation]:
        """Operations matching every filter of the query, newest first.

        `since` is inclusive and `until` exclusive; `text` matches a
        case-insensitive part of the description or a whole operation,
        sale, payment or refund id; `person` a whole name (any case) that
        served or approved the operation.
        """
        sql, params = _history_sql(query)
        return self._many(sql, params)

    def entries(self, operation_id: str) -> list[JournalEntry]:
        """The status changes of one operation, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT operation_id, at, status, detail FROM operation_events "
                "WHERE operation_id = ? ORDER BY seq",
                (operation_id,),
            ).fetchall()
        return [
            JournalEntry(operation_id=row[0], at=_from_iso(row[1]), status=row[2], detail=row[3])
            for row in rows
        ]

    def find_by_justifi_id(self, justifi_id: str) -> Operation | None:
        """The charge whose sale or payment has this id, else the refund/void with it."""
        found = self._one(_FIND_CHARGE, {"id": justifi_id})
        return found if found is not None else self._one(_FIND_REFUND, {"id": justifi_id})

    def people(self) -> list[str]:
        """Every name that served or approved an operation, in its latest spelling,
        sorted case-insensitively.

        Each name index is skipped through one distinct name at a time, so this
        costs a few look-ups per person, not a pass over every operation.
        """
        spelled: dict[str, tuple[int, str]] = {}
        with self._lock:
            for column in ("served_by", "approved_by"):
                for key, name, created_ms in self._conn.execute(_latest_names(column)):
                    if key not in spelled or created_ms > spelled[key][0]:
                        spelled[key] = (created_ms, name)
        return [spelled[key][1] for key in sorted(spelled)]

    # -- diagnostics ----------------------------------------------------------------

    def explain_history(self, query: HistoryQuery) -> list[str]:
        """SQLite's query plan for `history(query)`, one line per step."""
        return self._explain(*_history_sql(query))

    def explain_find_by_justifi_id(self) -> list[str]:
        """SQLite's query plans for the two look-ups of `find_by_justifi_id`."""
        return self._explain(_FIND_CHARGE, {"id": "x"}) + self._explain(_FIND_REFUND, {"id": "x"})

    def explain_people(self) -> list[str]:
        """SQLite's query plans for `people()` (both name columns)."""
        return [
            line
            for column in ("served_by", "approved_by")
            for line in self._explain(_latest_names(column), ())
        ]

    # -- plumbing -------------------------------------------------------------------

    @staticmethod
    def _append_event(
        conn: sqlite3.Connection, operation_id: str, status: str, detail: str | None
    ) -> None:
        now = datetime.now(UTC)
        conn.execute(_INSERT_EVENT, (operation_id, _iso(now), _epoch_ms(now), status, detail))

    def _operations_where(self, condition: str, params: Sequence[Any]) -> list[Operation]:
        return self._many(f"{_SELECT} WHERE {condition} ORDER BY created_ms, rowid", params)

    def _one(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> Operation | None:
        with self._lock:
            row = self._conn.execute(sql, params).fetchone()
        return None if row is None else _operation(row)

    def _many(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[Operation]:
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [_operation(row) for row in rows]

    def _explain(self, sql: str, params: Sequence[Any] | dict[str, Any]) -> list[str]:
        with self._lock:
            rows = self._conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
        return [str(row[3]) for row in rows]


def _latest_names(column: str) -> str:
    """Each distinct folded name of `column` (skipping through its index) with the
    spelling and time of its newest operation."""
    fold_column = f"{column}_fold"
    return (
        f"WITH RECURSIVE keys(k) AS ("
        f"SELECT min({fold_column}) FROM operations "
        f"UNION ALL SELECT (SELECT min({fold_column}) FROM operations WHERE {fold_column} > k) "
        f"FROM keys WHERE k IS NOT NULL) "
        f"SELECT k, (SELECT {column} FROM operations WHERE {fold_column} = k "
        f"{_NEWEST_FIRST} LIMIT 1), "
        f"(SELECT max(created_ms) FROM operations WHERE {fold_column} = k) "
        f"FROM keys WHERE k IS NOT NULL"
    )


# -- query building -------------------------------------------------------------------


def _history_sql(query: HistoryQuery) -> tuple[str, list[Any]]:
    """The SELECT for `history` and its parameters."""
    if query.offset < 0:
        raise ValueError(f"offset must not be negative: {query.offset}")
    where: list[str] = []
    params: list[Any] = []
    # The ms column gives the index range; the ISO text (ordered as text) makes
    # the bound exact below the millisecond.
    if query.since is not None:
        where.append("created_ms >= ? AND created_at >= ?")
        params += [_epoch_ms(query.since), _iso(query.since)]
    if query.until is not None:
        where.append("created_ms <= ? AND created_at < ?")
        params += [_epoch_ms(query.until), _iso(query.until)]
    if query.amount_cents is not None:
        where.append("amount_cents = ?")
        params.append(query.amount_cents)
    if query.card_last4 is not None:
        where.append("card_last4 = ?")
        params.append(query.card_last4)
    if query.statuses:
        where.append(f"status IN ({', '.join('?' * len(query.statuses))})")
        params += [str(s) for s in query.statuses]
    if query.kinds:
        where.append(f"kind IN ({', '.join('?' * len(query.kinds))})")
        params += [str(k) for k in query.kinds]
    text = (query.text or "").strip()
    if text:
        # The id look-ups run once through their indexes; the substring test
        # then needs only the time index's columns (rowid, folded description).
        where.append(f"(rowid IN ({_ID_ROWIDS}) OR instr(description_fold, ?) > 0)")
        params += [text, text, text, text, fold(text)]
    limit = max(query.limit, 0)
    person = _person_key(query.person)
    if person is not None:
        return _person_sql(person, where, params, limit, query.offset)
    sql = _SELECT
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" {_NEWEST_FIRST} LIMIT ? OFFSET ?"
    params += [limit, query.offset]
    return sql, params


def _person_sql(
    person: str, where: list[str], params: list[Any], limit: int, offset: int
) -> tuple[str, list[Any]]:
    """The history SELECT for one person: who served it or who approved it.

    Each name index is walked newest first with the other filters and stops at
    the page's end, so a frequent name costs a page, not every row it has, and
    a rare one only its own rows.
    """
    others = "".join(f" AND {condition}" for condition in where)
    branches = " UNION ALL ".join(
        f"SELECT r FROM (SELECT rowid AS r FROM operations WHERE {column} = ?{others} "
        f"{_NEWEST_FIRST} LIMIT ?)"
        for column in ("served_by_fold", "approved_by_fold")
    )
    sql = f"{_SELECT} WHERE rowid IN ({branches}) {_NEWEST_FIRST} LIMIT ? OFFSET ?"
    branch_params = [person, *params, limit + offset]
    return sql, [*branch_params, *branch_params, limit, offset]


# -- rows and values ------------------------------------------------------------------


def _row_values(op: Operation) -> tuple[Any, ...]:
    """The INSERT parameters for an operation, in `_INSERT` order."""
    values: list[Any] = []
    for name in _FIELDS:
        value = getattr(op, name)
        if name in ("created_at", "updated_at"):
            value = _iso(value)
        elif name == "card_last4":
            value = _last_four(value)
        elif name == "kind":
            value = PaymentKind(value).value
        elif name == "status":
            value = str(value)
        values.append(value)
    return (
        *values,
        _epoch_ms(op.created_at),
        _epoch_ms(op.updated_at),
        fold(op.description),
        _person_key(op.served_by),
        _person_key(op.approved_by),
    )


def _person_key(name: str | None) -> str | None:
    """The form a person's name is matched in: stripped and case-folded; None when blank."""
    key = fold((name or "").strip())
    return key or None


def _operation(row: Sequence[Any]) -> Operation:
    data = dict(zip(_FIELDS, row, strict=True))
    data["kind"] = PaymentKind(data["kind"])
    data["created_at"] = _from_iso(data["created_at"])
    data["updated_at"] = _from_iso(data["updated_at"])
    return Operation(**data)


def _last_four(value: str | None) -> str | None:
    """Only ever the last four digits: a longer number is cut, anything else dropped."""
    if value is None:
        return None
    digits = "".join(ch for ch in value if ch.isascii() and ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else None
