"""The local outbox of a lane in a store: the `Outbox` port on the journal and the audit log.

Both files keep an `outbox (seq, kind, ref)` table filled by triggers in the
same transaction as the write itself (journal schema v5, audit schema v3), but
only once `enable_outbox()` turned them on (`outbox_state.enabled`): a lane
without a store writes no outbox rows. A row names what changed (a kind and
the changed row's key), not its content: each record is built from the row's
CURRENT content when it is read for sending, so a batch naming one row twice
sends it once, at its first place, and a row changed after it was read is
queued again by its own change. `acknowledge` forgets what the store has.

Records carry the store table's columns (see `pos_app.storage.store.schema`,
`StoreRecord`): times as the files keep them (ISO 8601 UTC with offset), counts
by denomination as JSON objects, booleans as bool; the lane's own name is not in
them (the store writes the sending lane's).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Final, TypeVar

from pos_app.services.store_ports import JsonValue, OutboxBatch, RecordKind, StoreRecord
from pos_app.storage.sqlite_file import SqliteFile

__all__ = [
    "AUDIT_BACKFILL",
    "JOURNAL_BACKFILL",
    "OutboxTables",
    "audit_records",
    "journal_records",
]

#: Everything already in the journal, queued once when the lane joins, oldest first:
#: shifts, tickets, operations, events, cash.
JOURNAL_BACKFILL: Final = (
    "INSERT INTO outbox (kind, ref) SELECT 'shift', id FROM shifts ORDER BY opened_ms, rowid",
    "INSERT INTO outbox (kind, ref) SELECT 'ticket', id FROM tickets ORDER BY created_ms, seq",
    "INSERT INTO outbox (kind, ref)"
    " SELECT 'operation', id FROM operations ORDER BY created_ms, rowid",
    "INSERT INTO outbox (kind, ref) SELECT 'event', CAST(seq AS TEXT) FROM operation_events"
    " ORDER BY seq",
    "INSERT INTO outbox (kind, ref) SELECT 'cash', id FROM cash_movements ORDER BY at_ms, rowid",
)
#: Everything already in the audit file: its people, then its entries.
AUDIT_BACKFILL: Final = (
    "INSERT INTO outbox (kind, ref) SELECT 'staff', name FROM staff ORDER BY id",
    "INSERT INTO outbox (kind, ref) SELECT 'audit', CAST(seq AS TEXT) FROM audit_entries"
    " ORDER BY seq",
)

T = TypeVar("T")


class OutboxTables(SqliteFile):
    """The `Outbox` port on a SQLite file with the outbox tables (a mixin for
    `SqliteJournal` and `SqliteAuditLog`); subclasses name their source, what joining
    queues (`outbox_backfill`) and how records are read (`_read_records`)."""

    outbox_name: ClassVar[str] = ""
    outbox_backfill: ClassVar[Sequence[str]] = ()
    #: Called after each write committed from the event loop (the sync task's nudge).
    on_queued: Callable[[], None] | None = None

    @property
    def outbox_source(self) -> str:
        """Which file this outbox is kept in: "journal" or "audit"."""
        return self.outbox_name

    def _read_records(
        self, conn: sqlite3.Connection, kind: RecordKind, refs: Sequence[str]
    ) -> dict[str, StoreRecord]:
        """The records of `refs` (of one kind) by ref, from the rows' current content;
        a ref whose row is gone is left out."""
        raise NotImplementedError

    # -- state ------------------------------------------------------------------------

    def outbox_enabled(self) -> bool:
        """Whether writes queue their records (the lane joined a store)."""
        with self._lock:
            row = self._conn.execute("SELECT enabled FROM outbox_state WHERE id = 1").fetchone()
        return bool(row and row[0])

    def lane_uid(self) -> str | None:
        """The random id this file got when its lane first joined a store (None before)."""
        with self._lock:
            row = self._conn.execute("SELECT lane_uid FROM outbox_state WHERE id = 1").fetchone()
        return None if row is None or row[0] is None else str(row[0])

    async def enable_outbox(self) -> None:
        """Queue from now on, and queue everything written before once, oldest first, in
        one transaction; the first time, give the file its `lane_uid`. Again: nothing."""
        if not self.outbox_enabled():
            await self._write_soon(self._enable)

    def enable_outbox_now(self) -> None:
        """`enable_outbox` off the event loop's write path (waits for the lock): for the
        audit log, whose writes all wait so."""
        if not self.outbox_enabled():
            with self._write() as conn:
                self._enable(conn)

    def _enable(self, conn: sqlite3.Connection) -> None:
        enabled, uid = conn.execute(
            "SELECT enabled, lane_uid FROM outbox_state WHERE id = 1"
        ).fetchone()
        if enabled:
            return  # another process joined it meanwhile
        conn.execute(
            "UPDATE outbox_state SET enabled = 1, lane_uid = ? WHERE id = 1",
            (uid or uuid.uuid4().hex,),
        )
        for statement in self.outbox_backfill:
            conn.execute(statement)

    async def _write_soon(self, work: Callable[[sqlite3.Connection], T]) -> T:
        result = await super()._write_soon(work)
        if self.on_queued is not None:
            self.on_queued()
        return result

    # -- the port ---------------------------------------------------------------------

    def outbox_batch(self, limit: int) -> OutboxBatch | None:
        """Up to `limit` waiting records, oldest first, each once (at its first place)
        with its row's current content; None when nothing waits."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN")  # one snapshot: the queue and the rows agree
            try:
                queued = conn.execute(
                    "SELECT seq, kind, ref FROM outbox ORDER BY seq LIMIT ?", (max(limit, 1),)
                ).fetchall()
                if not queued:
                    return None
                order = _first_places(queued)
                by_kind: dict[RecordKind, list[str]] = {}
                for kind, ref in order:
                    by_kind.setdefault(kind, []).append(ref)
                found: dict[tuple[RecordKind, str], StoreRecord] = {}
                for kind, refs in by_kind.items():
                    for ref, record in self._read_records(conn, kind, refs).items():
                        found[(kind, _ref_key(kind, ref))] = record
            finally:
                conn.execute("COMMIT")
        records = [found[place] for place in order if place in found]
        return OutboxBatch(self.outbox_source, records, int(queued[-1][0]))

    async def acknowledge(self, last_seq: int) -> None:
        """Forget every record up to `last_seq` (the store has them)."""
        await self._write_soon(
            lambda conn: conn.execute("DELETE FROM outbox WHERE seq <= ?", (last_seq,))
        )

    def outbox_count(self) -> int:
        """How many records wait (a row changed twice counts twice until sent)."""
        return self.outbox_count_after(0)

    def outbox_count_after(self, last_seq: int) -> int:
        """How many records wait after a batch ending at `last_seq` (what a batch tells
        the store is left once it is taken).

        Two index look-ups, not a count: seq only grows and `acknowledge` only takes
        from the front, so the waiting rows are one unbroken run of numbers (counting
        200,000 rows took 5 to 15 ms, on the loop, several times a batch)."""
        with self._lock:
            low, high = self._conn.execute(
                "SELECT (SELECT min(seq) FROM outbox), (SELECT max(seq) FROM outbox)"
            ).fetchone()
        if high is None:
            return 0
        return max(int(high) - max(int(low) - 1, last_seq), 0)


def _ref_key(kind: RecordKind, ref: str) -> str:
    # A person's name is case-insensitive (the staff table's NOCASE).
    return ref.casefold() if kind is RecordKind.STAFF else ref


def _first_places(queued: Iterable[tuple[int, str, str]]) -> list[tuple[RecordKind, str]]:
    """Each (kind, ref) once, at its first place."""
    seen: dict[tuple[RecordKind, str], None] = {}
    for _seq, kind_text, ref in queued:
        kind = RecordKind(kind_text)
        seen.setdefault((kind, _ref_key(kind, ref)), None)
    return list(seen)


# -- the journal's records ---------------------------------------------------------------

_OPERATION_COLUMNS: Final = (
    "id", "kind", "amount_cents", "status", "flow", "terminal_id", "description", "sale_id",
    "session_id", "payment_id", "refund_id", "original_id", "refund_mode", "reason",
    "card_brand", "card_last4", "decline_code", "decline_message", "served_by", "approved_by",
    "ticket_id", "shift_id", "created_at", "updated_at",
)  # fmt: skip
_EVENT_COLUMNS: Final = ("seq", "operation_id", "at", "status", "detail")
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
_CASH_COLUMNS: Final = (
    "id", "shift_id", "kind", "amount_cents", "at", "person", "reason", "ticket_id",
    "tendered_cents", "change_cents", "approved_by",
)  # fmt: skip
_AUDIT_COLUMNS: Final = (
    "seq", "at", "who", "action", "subject", "detail", "outcome", "prev_hash", "hash", "mac",
)  # fmt: skip
_STAFF_COLUMNS: Final = (
    "name", "role", "active", "pin_hash", "failed_tries", "locked_until", "changed_at",
)  # fmt: skip


#: Keys per look-up: past a few hundred, SQLite's planner scans the table instead of
#: seeking each key (a batch of 500 took 30 ms on a 100,000-sale journal, not 3).
_CHUNK: Final = 100


def _chunks(refs: Sequence[Any]) -> list[Sequence[Any]]:
    return [refs[start : start + _CHUNK] for start in range(0, len(refs), _CHUNK)]


def _rows(
    conn: sqlite3.Connection, table: str, columns: Sequence[str], key: str, refs: Sequence[Any]
) -> list[dict[str, JsonValue]]:
    found: list[dict[str, JsonValue]] = []
    for chunk in _chunks(refs):
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT {', '.join(columns)} FROM {table} WHERE {key} IN ({marks})"
        found += [dict(zip(columns, row, strict=True)) for row in conn.execute(sql, list(chunk))]
    return found


def _counts(data: dict[str, JsonValue], *names: str) -> dict[str, JsonValue]:
    for name in names:
        text = data[name]
        data[name] = None if text is None else json.loads(str(text))
    return data


def journal_records(
    conn: sqlite3.Connection, kind: RecordKind, refs: Sequence[str]
) -> dict[str, StoreRecord]:
    """The journal's records of one kind, by ref."""
    if kind is RecordKind.OPERATION:
        rows = _rows(conn, "operations", _OPERATION_COLUMNS, "id", refs)
        return {str(r["id"]): StoreRecord(kind, str(r["id"]), r) for r in rows}
    if kind is RecordKind.EVENT:
        seqs = [int(ref) for ref in refs]
        rows = _rows(conn, "operation_events", _EVENT_COLUMNS, "seq", seqs)
        return {str(r["seq"]): StoreRecord(kind, str(r["seq"]), r) for r in rows}
    if kind is RecordKind.TICKET:
        return _tickets(conn, refs)
    if kind is RecordKind.SHIFT:
        rows = _rows(conn, "shifts", _SHIFT_COLUMNS, "id", refs)
        return {
            str(r["id"]): StoreRecord(kind, str(r["id"]), _counts(r, "float_count", "count"))
            for r in rows
        }
    if kind is RecordKind.CASH:
        rows = _rows(conn, "cash_movements", _CASH_COLUMNS, "id", refs)
        return {str(r["id"]): StoreRecord(kind, str(r["id"]), r) for r in rows}
    raise ValueError(f"the journal keeps no {kind.value} records")


def _tickets(conn: sqlite3.Connection, refs: Sequence[str]) -> dict[str, StoreRecord]:
    tickets = _rows(conn, "tickets", _TICKET_COLUMNS, "id", refs)
    lines: dict[str, list[JsonValue]] = {str(t["id"]): [] for t in tickets}
    for chunk in _chunks(refs):
        marks = ", ".join("?" * len(chunk))
        for row in conn.execute(
            f"SELECT ticket_id, {', '.join(_LINE_COLUMNS)} FROM ticket_lines"
            f" WHERE ticket_seq IN (SELECT seq FROM tickets WHERE id IN ({marks}))"
            " ORDER BY ticket_seq, line_no",
            list(chunk),
        ):
            lines[str(row[0])].append(dict(zip(_LINE_COLUMNS, row[1:], strict=True)))
    return {
        str(t["id"]): StoreRecord(
            RecordKind.TICKET, str(t["id"]), {**t, "lines": lines[str(t["id"])]}
        )
        for t in tickets
    }


# -- the audit file's records ------------------------------------------------------------


def audit_records(
    conn: sqlite3.Connection, kind: RecordKind, refs: Sequence[str]
) -> dict[str, StoreRecord]:
    """The audit file's records of one kind (entries and people), by ref."""
    if kind is RecordKind.AUDIT:
        seqs = [int(ref) for ref in refs]
        rows = _rows(conn, "audit_entries", _AUDIT_COLUMNS, "seq", seqs)
        return {str(r["seq"]): StoreRecord(kind, str(r["seq"]), r) for r in rows}
    if kind is RecordKind.STAFF:
        rows = _rows(conn, "staff", _STAFF_COLUMNS, "name", refs)
        found: dict[str, StoreRecord] = {}
        for row in rows:
            row["active"] = bool(row["active"])
            found[str(row["name"])] = StoreRecord(kind, str(row["name"]), row)
        return found
    raise ValueError(f"the audit log keeps no {kind.value} records")
