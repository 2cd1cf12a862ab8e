"""Where the sandbox keeps its objects: in memory, optionally mirrored to SQLite.

Objects are plain JSON-ready dicts. Keys starting with an underscore are the
simulator's own bookkeeping and never leave through the API. With a state
file every write is mirrored at once, so a demo keeps its history across
restarts and a killed sandbox loses nothing it had answered.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

Record = dict[str, Any]

KINDS = (
    "terminal",
    "payment_intent",
    "checkout",
    "payment",
    "refund",
    "session",
    "idempotency",
)


class Store:
    """Collections of records by kind and id, with insertion order kept."""

    def __init__(self, path: Path | None = None) -> None:
        self._data: dict[str, dict[str, Record]] = {kind: {} for kind in KINDS}
        self._db: sqlite3.Connection | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS objects ("
                " kind TEXT NOT NULL, id TEXT NOT NULL, seq INTEGER NOT NULL,"
                " body TEXT NOT NULL, PRIMARY KEY (kind, id))"
            )
            for kind, object_id, body in self._db.execute(
                "SELECT kind, id, body FROM objects ORDER BY seq"
            ):
                if kind in self._data:
                    self._data[kind][object_id] = json.loads(body)

    @property
    def persistent(self) -> bool:
        """Whether writes reach a state file."""
        return self._db is not None

    def is_empty(self) -> bool:
        """True before anything was stored (a new state file, or memory)."""
        return not any(self._data.values())

    def get(self, kind: str, object_id: str) -> Record | None:
        """The record, or None."""
        return self._data[kind].get(object_id)

    def all(self, kind: str) -> Iterator[Record]:
        """Every record of a kind, oldest first."""
        return iter(list(self._data[kind].values()))

    def count(self, kind: str) -> int:
        """How many records of a kind exist."""
        return len(self._data[kind])

    def put(self, kind: str, record: Record) -> Record:
        """Insert or replace a record (and mirror it to the state file)."""
        object_id = record["id"]
        self._data[kind][object_id] = record
        if self._db is not None:
            self._db.execute(
                "INSERT INTO objects (kind, id, seq, body) VALUES (?, ?,"
                " (SELECT COALESCE(MAX(seq), 0) + 1 FROM objects), ?)"
                " ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
                (kind, object_id, json.dumps(record, separators=(",", ":"))),
            )
        return record

    def clear(self) -> None:
        """Forget everything, in memory and in the state file."""
        for records in self._data.values():
            records.clear()
        if self._db is not None:
            self._db.execute("DELETE FROM objects")

    def close(self) -> None:
        """Close the state file."""
        if self._db is not None:
            self._db.close()
            self._db = None
