"""The audit file's schema, as ordered steps, and how its rows read back.

The schema version lives in `PRAGMA user_version`; each step runs in one
write transaction with its version bump (`SqliteAuditLog._prepare`). Never edit
a step that has shipped: v1 files exist in shops.

- v1: the append-only `audit_entries` and `manager_state` (the single manager
  PIN, its lock, the head).
- v2: `audit_entries.mac` (how an entry is sealed), `staff` (named people, each
  with a salted scrypt PIN hash, plain or peppered, their wrong tries and lock),
  and `lane_state` (the head, the chain id naming the keyring's secret, the
  owner's recovery hash). v1's manager PIN and its lock become an owner named
  "Manager" (`migrate_v1_pin`; the log appends the STAFF_MIGRATED entry), and
  `manager_state` is dropped.
- v3: the outbox of a lane in a store (`outbox`, `outbox_state`, filled by triggers
  on `audit_entries` and `staff` only while enabled; see `storage.outbox`),
  `staff.changed_at` (the newest change of a person wins across the store's lanes:
  triggers stamp every local change that leaves it NULL or unchanged, so a row
  pulled from the store keeps the store's stamp), and `store_state` (the pull
  cursors).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from pos_app.services.audit_log import StaffRecord
from pos_app.storage.audit_chain import GENESIS_HASH, MAC_HMAC, MAC_SHA256, StaffState

__all__ = [
    "MIGRATED_OWNER",
    "MIGRATIONS",
    "RECORD_COLUMNS",
    "SCHEMA_VERSION",
    "STAFF_COLUMNS",
    "V1_STATEMENTS",
    "Step",
    "iso",
    "migrate_v1_pin",
    "record_from_row",
    "state_from_row",
]

MIGRATED_OWNER: Final = "Manager"
STAFF_COLUMNS: Final = "id, name, role, active, pin_hash, failed_tries, locked_until"
#: A person as the port's record: what the chain commits to, and when it last changed.
RECORD_COLUMNS: Final = f"{STAFF_COLUMNS}, changed_at"


@dataclass(frozen=True)
class Step:
    """One schema step; `then` moves data by code in the same transaction and returns
    the staff row that an entry must record (the log appends it), if any."""

    version: int
    statements: tuple[str, ...]
    then: Callable[[sqlite3.Connection, datetime], StaffState | None] | None = None


V1_STATEMENTS: Final = (
    """
    CREATE TABLE audit_entries (
        seq       INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        who       TEXT NOT NULL,
        lane      TEXT NOT NULL,
        action    TEXT NOT NULL,
        subject   TEXT,
        detail    TEXT NOT NULL,
        outcome   TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
    )
    """,
    "CREATE INDEX ix_audit_at ON audit_entries (at)",
    "CREATE INDEX ix_audit_subject ON audit_entries (subject, seq)",
    """
    CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
    BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END
    """,
    """
    CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
    BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END
    """,
    """
    CREATE TABLE manager_state (
        id           INTEGER PRIMARY KEY CHECK (id = 1),
        pin_hash     TEXT CHECK (pin_hash IS NULL OR pin_hash LIKE 'scrypt$%$%$%$%$%'),
        failed_tries INTEGER NOT NULL DEFAULT 0 CHECK (failed_tries >= 0),
        locked_until TEXT,
        head_seq     INTEGER NOT NULL DEFAULT 0,
        head_hash    TEXT NOT NULL
    )
    """,
    f"INSERT INTO manager_state (id, head_hash) VALUES (1, '{GENESIS_HASH}')",
)

_V2_STATEMENTS: Final = (
    f"""
    ALTER TABLE audit_entries ADD COLUMN mac TEXT NOT NULL DEFAULT '{MAC_SHA256}'
        CHECK (mac IN ('{MAC_SHA256}', '{MAC_HMAC}'))
    """,
    "CREATE INDEX ix_audit_action ON audit_entries (action, seq)",
    """
    CREATE TABLE staff (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
        role         TEXT NOT NULL CHECK (role IN ('cashier', 'manager', 'owner')),
        active       INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
        pin_hash     TEXT NOT NULL
            CHECK (pin_hash GLOB 'scrypt$*' OR pin_hash GLOB 'scrypt+pepper$*'),
        failed_tries INTEGER NOT NULL DEFAULT 0 CHECK (failed_tries >= 0),
        locked_until TEXT,
        created_at   TEXT NOT NULL
    )
    """,
    """
    CREATE TABLE lane_state (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        chain_id      TEXT NOT NULL CHECK (length(chain_id) >= 16),
        recovery_hash TEXT CHECK (recovery_hash IS NULL OR recovery_hash GLOB 'scrypt*$*'),
        head_seq      INTEGER NOT NULL,
        head_hash     TEXT NOT NULL
    )
    """,
    """
    INSERT INTO lane_state (id, chain_id, head_seq, head_hash)
    SELECT 1, lower(hex(randomblob(16))), head_seq, head_hash FROM manager_state
    """,
)


def iso(moment: datetime) -> str:
    """A time as stored: UTC, ISO 8601 with microseconds; naive times are refused."""
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def record_from_row(row: tuple[Any, ...]) -> StaffRecord:
    """A `staff` row (RECORD_COLUMNS) as the port's record."""
    id_, name, role, active, pin_hash, tries, until, changed = row
    return StaffRecord(
        id=id_,
        name=name,
        role=role,
        active=bool(active),
        pin_hash=pin_hash,
        failed_tries=tries,
        locked_until=None if until is None else datetime.fromisoformat(until),
        changed_at=None if changed is None else datetime.fromisoformat(changed),
    )


def state_from_row(row: tuple[Any, ...]) -> StaffState:
    """A `staff` row (STAFF_COLUMNS) as the chain commits to it."""
    id_, name, role, active, pin_hash, tries, until = row
    return StaffState(id_, name, role, bool(active), pin_hash, tries, until)


def migrate_v1_pin(conn: sqlite3.Connection, at: datetime) -> StaffState | None:
    """v1's single manager PIN (and its lock) becomes an owner named "Manager"; the
    old table's PIN columns are cleared and the table dropped (freed pages are zeroed)."""
    pin_hash, tries, until = conn.execute(
        "SELECT pin_hash, failed_tries, locked_until FROM manager_state WHERE id = 1"
    ).fetchone()
    conn.execute("UPDATE manager_state SET pin_hash = NULL, failed_tries = 0, locked_until = NULL")
    conn.execute("DROP TABLE manager_state")
    if pin_hash is None:
        return None
    cursor = conn.execute(
        "INSERT INTO staff (name, role, active, pin_hash, failed_tries, locked_until,"
        " created_at) VALUES (?, 'owner', 1, ?, ?, ?, ?)",
        (MIGRATED_OWNER, pin_hash, tries, until, iso(at)),
    )
    return StaffState(int(cursor.lastrowid or 0), MIGRATED_OWNER, "owner", True, pin_hash,
                      tries, until)  # fmt: skip


#: Now in UTC as the app writes times (`iso`): ISO 8601 with microseconds and offset.
_NOW_SQL: Final = "strftime('%Y-%m-%dT%H:%M:%f000+00:00', 'now')"


def _outbox_trigger(table: str, event: str, kind: str, ref: str) -> str:
    return (
        f"CREATE TRIGGER outbox_{table}_{event.lower()} AFTER {event} ON {table}"
        " WHEN (SELECT enabled FROM outbox_state) = 1"
        f" BEGIN INSERT INTO outbox (kind, ref) VALUES ('{kind}', {ref}); END"
    )


_V3_STATEMENTS: Final = (
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
    "CREATE TABLE store_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # When a person last changed; a file from before the store knows only their creation.
    "ALTER TABLE staff ADD COLUMN changed_at TEXT",
    "UPDATE staff SET changed_at = created_at",
    # Every local change is stamped: an insert or update leaving changed_at NULL or as
    # it was gets now (the app stamps its own writes to the microsecond first; these
    # catch any other writer). A pulled row sets the store's stamp and keeps it.
    f"""
    CREATE TRIGGER staff_stamp_insert AFTER INSERT ON staff WHEN NEW.changed_at IS NULL
    BEGIN UPDATE staff SET changed_at = {_NOW_SQL} WHERE id = NEW.id; END
    """,
    f"""
    CREATE TRIGGER staff_stamp_update AFTER UPDATE ON staff
    WHEN NEW.changed_at IS NULL OR NEW.changed_at IS OLD.changed_at
    BEGIN UPDATE staff SET changed_at = {_NOW_SQL} WHERE id = NEW.id; END
    """,
    _outbox_trigger("audit_entries", "INSERT", "audit", "CAST(NEW.seq AS TEXT)"),
    _outbox_trigger("staff", "INSERT", "staff", "NEW.name"),
    _outbox_trigger("staff", "UPDATE", "staff", "NEW.name"),
)

MIGRATIONS: Final = (
    Step(version=1, statements=V1_STATEMENTS),
    Step(version=2, statements=_V2_STATEMENTS, then=migrate_v1_pin),
    Step(version=3, statements=_V3_STATEMENTS),
)
SCHEMA_VERSION: Final = MIGRATIONS[-1].version
