"""A lane as the single-manager-PIN version left it: a schema v1 audit file, built by the v1
statements, with one refund entry and the manager PIN. Opening it migrates it to an owner
named "Manager" (`MIGRATED_OWNER`) with that PIN, and no recovery code."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from pos_app.domain.pin import hash_pin
from pos_app.storage.audit import GENESIS_HASH, entry_hash
from pos_app.storage.audit_schema import MIGRATED_OWNER, V1_STATEMENTS
from tests.support.manager import FAST_SCRYPT

__all__ = ["MIGRATED_OWNER", "OLD_PIN", "v1_audit_file"]

OLD_PIN = "2580"  # the old manager PIN had 4 digits


def v1_audit_file(path: Path, pin: str = OLD_PIN) -> Path:
    """Write a v1 audit file at `path` whose manager PIN is `pin` (a cheap scrypt cost)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in V1_STATEMENTS:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        at = datetime(2025, 3, 14, 9, 0, tzinfo=UTC).isoformat(timespec="microseconds")
        fields = (1, at, "manager", "1", "refund", "op_1", '{"amount_cents":100}', "approved")
        digest = entry_hash(*fields, GENESIS_HASH)
        conn.execute(
            "INSERT INTO audit_entries VALUES (?,?,?,?,?,?,?,?,?,?)",
            (*fields, GENESIS_HASH, digest),
        )
        conn.execute(
            "UPDATE manager_state SET pin_hash = ?, head_seq = 1, head_hash = ?",
            (hash_pin(pin, FAST_SCRYPT), digest),
        )
    finally:
        conn.close()
    return path
