"""Tickets (sales paid in parts), shifts and the drawer's cash movements, in the journal.

`TicketTables` is the `TicketStore` port on the journal's SQLite file:
`SqliteJournal` inherits it, so these records share the journal's file,
connection and write lock, and a cash part can complete its ticket in the same
transaction as the movement that pays it. Schema: migration step 4.

Rules worth knowing:
- Each write is one transaction (`_write_soon`: the event loop runs on while
  another lane holds the lock), committed and synced before it returns.
- Cash movements are append-only: triggers refuse an UPDATE or a DELETE.
- At most one open shift per lane: a partial unique index refuses a second
  one even from another process; that is an `InvalidInputError` with the
  sentence a cashier reads.
- Counts by denomination are JSON text ({"2000": 3}); they come back with int keys.
- Datetimes passed in must be aware; those read back are aware, in UTC.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from pos_app.domain.errors import InvalidInputError
from pos_app.domain.tickets import (
    CashMovement,
    Shift,
    Ticket,
    TicketLine,
    TicketStatus,
)
from pos_app.services.ports import Operation
from pos_app.storage.migrations import JournalError
from pos_app.storage.sqlite_file import SqliteFile
from pos_app.storage.stamps import epoch_ms, iso
from pos_app.storage.ticket_rows import (
    INSERT_LINE,
    INSERT_MOVEMENT,
    INSERT_SHIFT,
    INSERT_TICKET,
    LINE_COLUMNS,
    MOVEMENT_COLUMNS,
    SHIFT_COLUMNS,
    TICKET_COLUMNS,
    count_text,
    line_from_row,
    line_values,
    movement_from_row,
    movement_values,
    shift_from_row,
    shift_values,
    ticket_from_row,
    ticket_values,
)

__all__ = ["SHIFT_ALREADY_CLOSED", "SHIFT_ALREADY_OPEN", "TicketTables"]

SHIFT_ALREADY_OPEN: Final = "A shift is already open on this lane."
SHIFT_ALREADY_CLOSED: Final = "This shift is already closed."

# Ties on the millisecond fall back to insertion order.
_OLDEST_FIRST: Final = "ORDER BY created_ms, rowid"


class TicketTables(SqliteFile):
    """The `TicketStore` port: tickets, shifts and cash movements in the journal's file.

    A mixin for `SqliteJournal`, which provides the schema (`migrate`) and
    `_operations_where` (the journal's own operation rows).
    """

    # -- writes -------------------------------------------------------------------

    async def add_ticket(self, ticket: Ticket) -> None:
        """Record a new ticket with its lines; committed when this returns."""
        await self.add_many(tickets=(ticket,))

    async def add_many(
        self,
        *,
        shifts: Iterable[Shift] = (),
        tickets: Iterable[Ticket] = (),
        movements: Iterable[CashMovement] = (),
    ) -> None:
        """Record shifts, then tickets, then cash movements, all in one transaction.

        For imports and benchmarks; all or nothing. A second open shift on a lane
        is refused as `add_shift` refuses it.
        """
        shift_rows = [shift_values(shift) for shift in shifts]
        ticket_rows = [(ticket_values(t), line_values(t)) for t in tickets]
        movement_rows = [movement_values(movement) for movement in movements]

        def insert(conn: sqlite3.Connection) -> None:
            for values in shift_rows:
                _insert_shift(conn, values)
            for values, lines in ticket_rows:
                seq = _insert_unique(conn, INSERT_TICKET, values, f"ticket {values[0]}")
                conn.executemany(INSERT_LINE, [(seq, *line) for line in lines])
            for values in movement_rows:
                _insert_unique(conn, INSERT_MOVEMENT, values, f"cash movement {values[0]}")

        await self._write_soon(insert)

    async def set_ticket_status(
        self,
        ticket_id: str,
        status: TicketStatus,
        *,
        at: datetime,
        cancelled_by: str | None = None,
    ) -> None:
        """Move a ticket to `status` at `at`; `cancelled_by` is kept when given."""
        values = (TicketStatus(status).value, iso(at), epoch_ms(at), cancelled_by, ticket_id)

        def save(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                "UPDATE tickets SET status = ?, updated_at = ?, updated_ms = ?,"
                " cancelled_by = coalesce(?, cancelled_by) WHERE id = ?",
                values,
            )
            if cursor.rowcount != 1:
                raise JournalError(f"ticket {ticket_id} is not in the journal")

        await self._write_soon(save)

    async def add_cash_movement(
        self, movement: CashMovement, *, complete_ticket: bool = False
    ) -> None:
        """Append a cash movement; with `complete_ticket`, its ticket turns COMPLETE in
        the same transaction (both are written, or neither)."""
        if complete_ticket and movement.ticket_id is None:
            raise ValueError("complete_ticket needs a movement with a ticket_id")
        values = movement_values(movement)
        completion = (iso(movement.at), epoch_ms(movement.at), movement.ticket_id)

        def save(conn: sqlite3.Connection) -> None:
            _insert_unique(conn, INSERT_MOVEMENT, values, f"cash movement {movement.id}")
            if not complete_ticket:
                return
            cursor = conn.execute(
                "UPDATE tickets SET status = 'complete', updated_at = ?, updated_ms = ?"
                " WHERE id = ?",
                completion,
            )
            if cursor.rowcount != 1:
                raise JournalError(f"ticket {movement.ticket_id} is not in the journal")

        await self._write_soon(save)

    async def add_shift(self, shift: Shift) -> None:
        """Record an opened shift; InvalidInputError if its lane has one open already."""
        values = shift_values(shift)
        await self._write_soon(lambda conn: _insert_shift(conn, values))

    async def close_shift(self, shift: Shift) -> None:
        """Save a shift's close (closed_at and by, counted, expected, the count).

        InvalidInputError when it was closed already (by another lane, say).
        """
        if shift.closed_at is None:
            raise ValueError(f"shift {shift.id} has no closed_at to save")
        values = (
            iso(shift.closed_at),
            epoch_ms(shift.closed_at),
            shift.closed_by,
            shift.counted_cents,
            shift.expected_cents,
            count_text(shift.count),
            shift.id,
        )

        def save(conn: sqlite3.Connection) -> None:
            cursor = conn.execute(
                "UPDATE shifts SET closed_at = ?, closed_ms = ?, closed_by = ?,"
                " counted_cents = ?, expected_cents = ?, count = ?"
                " WHERE id = ? AND closed_at IS NULL",
                values,
            )
            if cursor.rowcount == 1:
                return
            if conn.execute("SELECT 1 FROM shifts WHERE id = ?", (shift.id,)).fetchone():
                raise InvalidInputError(SHIFT_ALREADY_CLOSED)
            raise JournalError(f"shift {shift.id} is not in the journal")

        await self._write_soon(save)

    # -- reads: tickets -------------------------------------------------------------

    def ticket(self, ticket_id: str) -> Ticket | None:
        """One ticket with its lines, or None."""
        found = self._tickets("id = ?", (ticket_id,))
        return found[0] if found else None

    def open_tickets(self, *, lane: str | None = None) -> list[Ticket]:
        """Tickets still OPEN (of one lane, when given), oldest first."""
        if lane is None:
            return self._tickets("status = 'open'", ())
        return self._tickets("status = 'open' AND lane = ?", (lane,))

    def tickets_between(self, since: datetime, until: datetime) -> list[Ticket]:
        """Tickets created from `since` (inclusive) to `until` (exclusive), oldest first."""
        # The ms column gives the index range; the ISO text makes the edges exact.
        return self._tickets(
            "created_ms >= ? AND created_at >= ? AND created_ms <= ? AND created_at < ?",
            (epoch_ms(since), iso(since), epoch_ms(until), iso(until)),
        )

    def shift_tickets(self, shift_id: str) -> list[Ticket]:
        """The tickets of one shift, oldest first."""
        return self._tickets("shift_id = ?", (shift_id,))

    # -- reads: shifts --------------------------------------------------------------

    def current_shift(self, lane: str) -> Shift | None:
        """The lane's open shift, or None."""
        found = self._shifts("WHERE lane = ? AND closed_at IS NULL", (lane,))
        return found[0] if found else None

    def shift(self, shift_id: str) -> Shift | None:
        """One shift, or None."""
        found = self._shifts("WHERE id = ?", (shift_id,))
        return found[0] if found else None

    def recent_shifts(self, lane: str, limit: int = 20) -> list[Shift]:
        """The lane's shifts, newest first (at most `limit`)."""
        return self._shifts(
            "WHERE lane = ? ORDER BY opened_ms DESC, rowid DESC LIMIT ?", (lane, max(limit, 0))
        )

    # -- reads: cash and operations -------------------------------------------------

    def cash_movements(
        self,
        *,
        shift_id: str | None = None,
        ticket_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[CashMovement]:
        """Cash movements matching every filter given, oldest first.

        `since` is inclusive and `until` exclusive.
        """
        sql, params = _movements_sql(shift_id, ticket_id, since, until)
        with self._lock:
            rows = self._conn.execute(sql, params).fetchall()
        return [movement_from_row(row) for row in rows]

    def ticket_operations(self, ticket_id: str) -> list[Operation]:
        """The journal's operations (card parts, refunds, voids) of one ticket, oldest first."""
        return self._operations_where("ticket_id = ?", (ticket_id,))

    def shift_operations(self, shift_id: str) -> list[Operation]:
        """The journal's operations of one shift, oldest first."""
        return self._operations_where("shift_id = ?", (shift_id,))

    # -- diagnostics ----------------------------------------------------------------

    def explain_ticket_queries(self) -> dict[str, list[str]]:
        """SQLite's query plans for the counter's ticket, shift and cash reads."""
        plans = {
            "open_tickets": (f"SELECT id FROM tickets WHERE status = 'open' {_OLDEST_FIRST}", ()),
            "shift_tickets": (f"SELECT id FROM tickets WHERE shift_id = ? {_OLDEST_FIRST}", ("s",)),
            "ticket lines": (
                "SELECT name FROM ticket_lines WHERE ticket_seq IN"
                " (SELECT seq FROM tickets WHERE shift_id = ?) ORDER BY ticket_seq, line_no",
                ("s",),
            ),
            "current_shift": (
                "SELECT id FROM shifts WHERE lane = ? AND closed_at IS NULL",
                ("lane",),
            ),
            "cash_movements(shift_id)": _movements_sql("s", None, None, None),
            "cash_movements(ticket_id)": _movements_sql(None, "t", None, None),
            "ticket_operations": (
                f"SELECT id FROM operations WHERE ticket_id = ? {_OLDEST_FIRST}",
                ("t",),
            ),
            "shift_operations": (
                f"SELECT id FROM operations WHERE shift_id = ? {_OLDEST_FIRST}",
                ("s",),
            ),
        }
        explained: dict[str, list[str]] = {}
        with self._lock:
            for name, (sql, params) in plans.items():
                rows = self._conn.execute(f"EXPLAIN QUERY PLAN {sql}", params).fetchall()
                explained[name] = [str(row[3]) for row in rows]
        return explained

    # -- plumbing -------------------------------------------------------------------

    def _operations_where(self, condition: str, params: Sequence[Any]) -> list[Operation]:
        """The journal's operations matching `condition`, oldest first (the journal's rows)."""
        raise NotImplementedError

    def _tickets(self, condition: str, params: Sequence[Any]) -> list[Ticket]:
        """Tickets matching `condition` with their lines, oldest first (two reads)."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT seq, {TICKET_COLUMNS} FROM tickets WHERE {condition} {_OLDEST_FIRST}",
                params,
            ).fetchall()
            if not rows:
                return []
            line_rows = self._conn.execute(
                f"SELECT ticket_seq, {LINE_COLUMNS} FROM ticket_lines WHERE ticket_seq IN"
                f" (SELECT seq FROM tickets WHERE {condition}) ORDER BY ticket_seq, line_no",
                params,
            ).fetchall()
        lines: defaultdict[int, list[TicketLine]] = defaultdict(list)
        for seq, name, quantity, price, code, discount, reason in line_rows:
            lines[seq].append(line_from_row(name, quantity, price, code, discount, reason))
        return [ticket_from_row(row, tuple(lines[row[0]])) for row in rows]

    def _shifts(self, tail: str, params: Sequence[Any]) -> list[Shift]:
        with self._lock:
            rows = self._conn.execute(f"SELECT {SHIFT_COLUMNS} FROM shifts {tail}", params)
            return [shift_from_row(row) for row in rows.fetchall()]


# -- writes ---------------------------------------------------------------------------


def _insert_unique(conn: sqlite3.Connection, sql: str, values: Sequence[Any], what: str) -> int:
    """Insert one row and return its rowid; a duplicate id is a plain JournalError."""
    try:
        cursor = conn.execute(sql, values)
    except sqlite3.IntegrityError as exc:
        if "UNIQUE" not in str(exc):
            raise
        raise JournalError(f"{what} is already journaled") from exc
    return cursor.lastrowid or 0


def _insert_shift(conn: sqlite3.Connection, values: Sequence[Any]) -> None:
    try:
        conn.execute(INSERT_SHIFT, values)
    except sqlite3.IntegrityError as exc:
        # The partial unique index on lane (open shifts only) names the column.
        if "shifts.lane" in str(exc):
            raise InvalidInputError(SHIFT_ALREADY_OPEN) from exc
        if "UNIQUE" in str(exc):
            raise JournalError(f"shift {values[0]} is already journaled") from exc
        raise


# -- queries --------------------------------------------------------------------------


def _movements_sql(
    shift_id: str | None,
    ticket_id: str | None,
    since: datetime | None,
    until: datetime | None,
) -> tuple[str, list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if shift_id is not None:
        where.append("shift_id = ?")
        params.append(shift_id)
    if ticket_id is not None:
        where.append("ticket_id = ?")
        params.append(ticket_id)
    if since is not None:
        where.append("at_ms >= ? AND at >= ?")
        params += [epoch_ms(since), iso(since)]
    if until is not None:
        where.append("at_ms <= ? AND at < ?")
        params += [epoch_ms(until), iso(until)]
    sql = f"SELECT {MOVEMENT_COLUMNS} FROM cash_movements"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql + " ORDER BY at_ms, rowid", params
