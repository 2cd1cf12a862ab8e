"""The journal's schema, as an ordered list of migration steps.

The schema version lives in `PRAGMA user_version`. Each step runs in its own
`BEGIN IMMEDIATE` transaction together with the version bump, so a crash
mid-step leaves the file at the previous version, and two processes opening
the same file at once apply a step only once. A file written by a newer app
(a version this code does not know) is refused, never touched.

Append new steps at the end; never edit a step that has shipped.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from pos_app.domain.errors import UnavailableError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "JournalError", "Migration", "migrate", "schema_version"]


class JournalError(UnavailableError):
    """The journal cannot do what was asked (unknown schema, unknown operation, I/O, or
    another program held it past the write deadline)."""


@dataclass(frozen=True)
class Migration:
    """One schema step: the SQL that takes the file from `version - 1` to `version`."""

    version: int
    summary: str
    statements: tuple[str, ...]


_V1_TABLES = Migration(
    version=1,
    summary="operations and their append-only events",
    statements=(
        """
        CREATE TABLE operations (
            id              TEXT PRIMARY KEY,
            kind            TEXT NOT NULL,
            amount_cents    INTEGER NOT NULL,
            status          TEXT NOT NULL,
            flow            TEXT NOT NULL,
            terminal_id     TEXT,
            description     TEXT,
            lane            TEXT,
            create_key      TEXT NOT NULL,
            send_key        TEXT NOT NULL,
            sale_id         TEXT,
            session_id      TEXT,
            payment_id      TEXT,
            refund_id       TEXT,
            original_id     TEXT,
            refund_mode     TEXT,
            reason          TEXT,
            card_brand      TEXT,
            card_last4      TEXT
                CHECK (card_last4 IS NULL OR card_last4 GLOB '[0-9][0-9][0-9][0-9]'),
            decline_code    TEXT,
            decline_message TEXT,
            created_at      TEXT NOT NULL,
            created_ms      INTEGER NOT NULL,
            updated_at      TEXT NOT NULL,
            updated_ms      INTEGER NOT NULL
        )
        """,
        "CREATE INDEX ix_operations_created ON operations (created_ms)",
        """
        CREATE TABLE operation_events (
            seq          INTEGER PRIMARY KEY AUTOINCREMENT,
            operation_id TEXT NOT NULL REFERENCES operations (id),
            at           TEXT NOT NULL,
            at_ms        INTEGER NOT NULL,
            status       TEXT NOT NULL,
            detail       TEXT
        )
        """,
        "CREATE INDEX ix_events_operation ON operation_events (operation_id, seq)",
        # The event log is evidence: refuse edits at the database level too.
        """
        CREATE TRIGGER operation_events_no_update BEFORE UPDATE ON operation_events
        BEGIN SELECT RAISE(ABORT, 'operation_events is append-only'); END
        """,
        """
        CREATE TRIGGER operation_events_no_delete BEFORE DELETE ON operation_events
        BEGIN SELECT RAISE(ABORT, 'operation_events is append-only'); END
        """,
    ),
)

_V2_HISTORY = Migration(
    version=2,
    summary="history search: case-folded description and lookup indexes",
    statements=(
        # Case-insensitive search needs Unicode case folding, which SQLite's LIKE
        # lacks; the folded copy is written by the app (see `fold` below).
        "ALTER TABLE operations ADD COLUMN description_fold TEXT",
        "UPDATE operations SET description_fold = pos_fold(description)",
        # The time index carries the folded description, so a text search reads
        # only this index and touches the table just for the rows it returns.
        "DROP INDEX ix_operations_created",
        "CREATE INDEX ix_operations_created ON operations (created_ms, description_fold)",
        "CREATE INDEX ix_operations_last4 ON operations (card_last4, created_ms)",
        "CREATE INDEX ix_operations_amount ON operations (amount_cents, created_ms)",
        "CREATE INDEX ix_operations_status ON operations (status, created_ms)",
        "CREATE INDEX ix_operations_sale ON operations (sale_id)",
        "CREATE INDEX ix_operations_payment ON operations (payment_id)",
        "CREATE INDEX ix_operations_refund ON operations (refund_id)",
    ),
)

_V3_PEOPLE = Migration(
    version=3,
    summary="who: the person who served and the one who approved each operation",
    statements=(
        # Nullable: operations journaled before named staff have no person.
        "ALTER TABLE operations ADD COLUMN served_by TEXT",
        "ALTER TABLE operations ADD COLUMN approved_by TEXT",
        # The history's person filter matches a whole name, case-insensitively
        # (Unicode case folding, written by the app as for the description).
        "ALTER TABLE operations ADD COLUMN served_by_fold TEXT",
        "ALTER TABLE operations ADD COLUMN approved_by_fold TEXT",
        "CREATE INDEX ix_operations_served ON operations (served_by_fold, created_ms)",
        "CREATE INDEX ix_operations_approved ON operations (approved_by_fold, created_ms)",
    ),
)

_V4_TICKETS = Migration(
    version=4,
    summary="sales paid in parts (tickets), shifts and the drawer's cash movements",
    statements=(
        # A card part names its sale and the shift it belongs to (None: the day's).
        "ALTER TABLE operations ADD COLUMN ticket_id TEXT",
        "ALTER TABLE operations ADD COLUMN shift_id TEXT",
        # Partial: most operations journaled before tickets have neither.
        "CREATE INDEX ix_operations_ticket ON operations (ticket_id, created_ms)"
        " WHERE ticket_id IS NOT NULL",
        "CREATE INDEX ix_operations_shift ON operations (shift_id, created_ms)"
        " WHERE shift_id IS NOT NULL",
        """
        CREATE TABLE shifts (
            id            TEXT PRIMARY KEY,
            lane          TEXT NOT NULL,
            opened_at     TEXT NOT NULL,
            opened_ms     INTEGER NOT NULL,
            opened_by     TEXT,
            float_cents   INTEGER NOT NULL CHECK (float_cents >= 0),
            float_count   TEXT,
            closed_at     TEXT,
            closed_ms     INTEGER,
            closed_by     TEXT,
            counted_cents INTEGER CHECK (counted_cents IS NULL OR counted_cents >= 0),
            expected_cents INTEGER,
            count         TEXT
        )
        """,
        # At most one open shift per lane, even with two processes on one file.
        "CREATE UNIQUE INDEX ix_shifts_open_lane ON shifts (lane) WHERE closed_at IS NULL",
        "CREATE INDEX ix_shifts_lane ON shifts (lane, opened_ms)",
        """
        CREATE TABLE tickets (
            seq                  INTEGER PRIMARY KEY,
            id                   TEXT NOT NULL UNIQUE,
            lane                 TEXT NOT NULL,
            status               TEXT NOT NULL
                CHECK (status IN ('open', 'complete', 'cancelled')),
            subtotal_cents       INTEGER NOT NULL,
            sale_discount_cents  INTEGER NOT NULL DEFAULT 0 CHECK (sale_discount_cents >= 0),
            sale_discount_reason TEXT,
            tax_cents            INTEGER NOT NULL,
            total_cents          INTEGER NOT NULL CHECK (total_cents >= 0),
            served_by            TEXT,
            discount_approved_by TEXT,
            cancelled_by         TEXT,
            shift_id             TEXT REFERENCES shifts (id),
            description          TEXT,
            created_at           TEXT NOT NULL,
            created_ms           INTEGER NOT NULL,
            updated_at           TEXT NOT NULL,
            updated_ms           INTEGER NOT NULL
        )
        """,
        # Start-up resumes the open tickets: a few rows among every sale ever made.
        "CREATE INDEX ix_tickets_open ON tickets (created_ms) WHERE status = 'open'",
        "CREATE INDEX ix_tickets_shift ON tickets (shift_id, created_ms)",
        "CREATE INDEX ix_tickets_created ON tickets (created_ms)",
        # Lines are kept in the order their tickets were written (by the ticket's
        # seq, not its random id), so a shift's lines sit together in the file.
        """
        CREATE TABLE ticket_lines (
            ticket_seq       INTEGER NOT NULL REFERENCES tickets (seq),
            line_no          INTEGER NOT NULL,
            ticket_id        TEXT NOT NULL REFERENCES tickets (id),
            name             TEXT NOT NULL,
            item_code        TEXT,
            quantity         INTEGER NOT NULL,
            unit_price_cents INTEGER NOT NULL,
            discount_cents   INTEGER NOT NULL DEFAULT 0 CHECK (discount_cents >= 0),
            discount_reason  TEXT,
            PRIMARY KEY (ticket_seq, line_no)
        ) WITHOUT ROWID
        """,
        """
        CREATE TABLE cash_movements (
            id             TEXT PRIMARY KEY,
            shift_id       TEXT NOT NULL REFERENCES shifts (id),
            kind           TEXT NOT NULL CHECK (kind IN
                ('sale', 'refund', 'cancel_return', 'paid_in', 'paid_out', 'no_sale')),
            amount_cents   INTEGER NOT NULL CHECK (amount_cents >= 0),
            at             TEXT NOT NULL,
            at_ms          INTEGER NOT NULL,
            person         TEXT,
            reason         TEXT,
            ticket_id      TEXT REFERENCES tickets (id),
            tendered_cents INTEGER,
            change_cents   INTEGER,
            approved_by    TEXT
        )
        """,
        "CREATE INDEX ix_cash_shift ON cash_movements (shift_id, at_ms)",
        "CREATE INDEX ix_cash_ticket ON cash_movements (ticket_id, at_ms)"
        " WHERE ticket_id IS NOT NULL",
        "CREATE INDEX ix_cash_at ON cash_movements (at_ms)",
        # The drawer's record is evidence, like the event log: refuse edits here too.
        """
        CREATE TRIGGER cash_movements_no_update BEFORE UPDATE ON cash_movements
        BEGIN SELECT RAISE(ABORT, 'cash_movements is append-only'); END
        """,
        """
        CREATE TRIGGER cash_movements_no_delete BEFORE DELETE ON cash_movements
        BEGIN SELECT RAISE(ABORT, 'cash_movements is append-only'); END
        """,
    ),
)


def _outbox_trigger(table: str, event: str, kind: str, ref: str) -> str:
    """A trigger queuing (kind, ref) in the outbox after each `event` on `table`, while
    the lane is in a store (`outbox_state.enabled`)."""
    return (
        f"CREATE TRIGGER outbox_{table}_{event.lower()} AFTER {event} ON {table}"
        " WHEN (SELECT enabled FROM outbox_state) = 1"
        f" BEGIN INSERT INTO outbox (kind, ref) VALUES ('{kind}', {ref}); END"
    )


_V5_OUTBOX = Migration(
    version=5,
    summary="the outbox: records waiting to be sent to the store (filled only in a store)",
    statements=(
        # Filled by the triggers below in the same transaction as the write itself; a
        # record is built from its row's current content when it is sent.
        """
        CREATE TABLE outbox (
            seq  INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            ref  TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE outbox_state (
            id       INTEGER PRIMARY KEY CHECK (id = 1),
            enabled  INTEGER NOT NULL DEFAULT 0 CHECK (enabled IN (0, 1)),
            lane_uid TEXT
        )
        """,
        "INSERT INTO outbox_state (id) VALUES (1)",
        _outbox_trigger("operations", "INSERT", "operation", "NEW.id"),
        _outbox_trigger("operations", "UPDATE", "operation", "NEW.id"),
        _outbox_trigger("tickets", "INSERT", "ticket", "NEW.id"),
        _outbox_trigger("tickets", "UPDATE", "ticket", "NEW.id"),
        _outbox_trigger("shifts", "INSERT", "shift", "NEW.id"),
        _outbox_trigger("shifts", "UPDATE", "shift", "NEW.id"),
        _outbox_trigger("operation_events", "INSERT", "event", "CAST(NEW.seq AS TEXT)"),
        _outbox_trigger("cash_movements", "INSERT", "cash", "NEW.id"),
    ),
)

MIGRATIONS: tuple[Migration, ...] = (_V1_TABLES, _V2_HISTORY, _V3_PEOPLE, _V4_TICKETS, _V5_OUTBOX)
SCHEMA_VERSION = MIGRATIONS[-1].version


def fold(text: str | None) -> str | None:
    """The form descriptions are searched in (Unicode case folding)."""
    return None if text is None else text.casefold()


def schema_version(conn: sqlite3.Connection) -> int:
    """The version recorded in the file (0 for a new, empty database)."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(
    conn: sqlite3.Connection,
    migrations: tuple[Migration, ...] = MIGRATIONS,
    *,
    target: int | None = None,
) -> int:
    """Apply every step above the file's version (up to `target`); returns the new version.

    `conn` must be in autocommit mode (`isolation_level=None`): each step opens
    its own transaction. Raises `JournalError` when the file is newer than the
    code, without changing it.
    """
    known = migrations[-1].version if migrations else 0
    goal = known if target is None else target
    conn.create_function("pos_fold", 1, fold, deterministic=True)
    _refuse_newer(conn, known)
    for step in migrations:
        if step.version > goal:
            break
        if schema_version(conn) >= step.version:
            # Already there: no write lock, so opening an up-to-date file never
            # waits for another lane's write.
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            _apply(conn, step, known)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    return schema_version(conn)


def _apply(conn: sqlite3.Connection, step: Migration, known: int) -> None:
    """Run one step inside the caller's write transaction, unless the file has it already."""
    # Re-read under the write lock: another process may have migrated meanwhile.
    current = schema_version(conn)
    if current > known:
        raise _newer_error(current, known)
    if current >= step.version:
        return
    if current != step.version - 1:
        raise JournalError(
            f"journal schema is at version {current}; cannot apply step {step.version}"
        )
    for statement in step.statements:
        conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {step.version:d}")


def _refuse_newer(conn: sqlite3.Connection, known: int) -> None:
    current = schema_version(conn)
    if current > known:
        raise _newer_error(current, known)


def _newer_error(current: int, known: int) -> JournalError:
    return JournalError(
        f"the journal was written by a newer version of the app (schema {current}, "
        f"this app knows up to {known}); update the app to open it"
    )
