"""The tamper-evident audit log and the manager PIN state, in their own SQLite file.

`audit_entries` is append-only: triggers refuse UPDATE and DELETE. Triggers
can be dropped by anyone holding the file, so each entry also carries the
SHA-256 of its fields and of the entry before it (`prev_hash`), and
`verify()` recomputes the chain and names the first entry that does not fit.
The last entry's number and hash are kept apart in `manager_state` (the
"head"), so deleting the newest entries shows too.

What the chain cannot show: someone with the file who rewrites an entry and
recomputes every hash after it, head included. Printing or sending the head
hash elsewhere (the export's last row carries it) anchors the chain against
that.

`manager_state` (one row) holds the manager PIN as a salted scrypt hash (a
CHECK refuses anything else) and the wrong-try count and lock, so a restart
keeps the lock. The file is created readable by its owner only, and freed
pages are zeroed (`secure_delete`), so an old PIN hash does not linger.

Every write commits before the method returns (WAL, `synchronous=FULL`).
Several lanes may share the file: writes take the lock up front and wait.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sqlite3
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TextIO

from pos_app.domain.pin import LockState
from pos_app.services.audit_log import AuditBreak, AuditCheck, AuditEntry, AuditQuery, NewAuditEntry
from pos_app.storage.sqlite_file import SqliteFile

__all__ = ["GENESIS_HASH", "SCHEMA_VERSION", "AuditLogError", "SqliteAuditLog", "entry_hash"]

GENESIS_HASH: Final = "0" * 64
_HASH_VERSION: Final = "pos-audit-v1"
_EXPORT_BATCH: Final = 500
_COLUMNS: Final = ("seq", "at", "who", "lane", "action", "subject", "detail", "outcome")
_SELECT: Final = f"SELECT {', '.join(_COLUMNS)}, prev_hash, hash FROM audit_entries"
# Cells a spreadsheet would run as a formula (CSV injection); see `export_csv`.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


class AuditLogError(Exception):
    """The audit file cannot be opened or written (unknown schema, I/O)."""


@dataclass(frozen=True)
class _Step:
    version: int
    statements: tuple[str, ...]


_MIGRATIONS: Final = (
    _Step(
        version=1,
        statements=(
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
        ),
    ),
)
SCHEMA_VERSION: Final = _MIGRATIONS[-1].version


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def entry_hash(
    seq: int,
    at: str,
    who: str,
    lane: str,
    action: str,
    subject: str | None,
    detail: str,
    outcome: str,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of an entry's stored fields and the previous entry's hash.

    The encoding is a JSON array (ASCII only, no spaces): unambiguous whatever
    the fields contain, and easy to recompute from an export in any language.
    """
    fields = [_HASH_VERSION, seq, at, who, lane, action, subject, detail, outcome, prev_hash]
    canonical = json.dumps(fields, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _entry(row: tuple[Any, ...]) -> AuditEntry:
    seq, at, who, lane, action, subject, detail, outcome, prev_hash, hash_ = row
    return AuditEntry(
        seq=seq,
        at=datetime.fromisoformat(at),
        who=who,
        lane=lane,
        action=action,
        subject=subject,
        detail=detail,
        outcome=outcome,
        prev_hash=prev_hash,
        hash=hash_,
    )


def _where(query: AuditQuery) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if query.subject is not None:
        clauses.append("subject = ?")
        params.append(query.subject)
    if query.actions:
        clauses.append(f"action IN ({', '.join('?' * len(query.actions))})")
        params.extend(query.actions)
    if query.since is not None:
        clauses.append("at >= ?")
        params.append(_iso(query.since))
    if query.until is not None:
        clauses.append("at < ?")
        params.append(_iso(query.until))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _spreadsheet_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


class SqliteAuditLog(SqliteFile):
    """The `AuditLog` and `PinStore` ports on one SQLite file.

    `path` is a file (its folder is created) or ":memory:" for tests. Use it
    as a context manager or call `close()`.
    """

    what = "audit log"
    error = AuditLogError
    extra_pragmas = ("secure_delete = ON",)

    def _create(self, path: Path) -> None:
        _create_private(path)

    def _prepare(self) -> None:
        for step in _MIGRATIONS:
            with self._write() as conn:
                # Read under the write lock: another lane may have migrated meanwhile.
                current = int(conn.execute("PRAGMA user_version").fetchone()[0])
                if current > SCHEMA_VERSION:
                    raise AuditLogError(
                        f"the audit log was written by a newer version of the app (schema "
                        f"{current}, this app knows up to {SCHEMA_VERSION}); update the app"
                    )
                if current >= step.version:
                    continue
                for statement in step.statements:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {step.version:d}")

    # -- audit log ----------------------------------------------------------------------

    def append(self, entry: NewAuditEntry) -> AuditEntry:
        """Append one entry after the head; committed when this returns."""
        detail = json.dumps(
            dict(entry.detail), sort_keys=True, separators=(",", ":"), allow_nan=False
        )
        at = _iso(entry.at)
        with self._write() as conn:
            seq, prev_hash = self._next_link(conn)
            fields = (seq, at, entry.who, entry.lane, entry.action, entry.subject, detail)
            digest = entry_hash(*fields, entry.outcome, prev_hash)
            conn.execute(
                "INSERT INTO audit_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*fields, entry.outcome, prev_hash, digest),
            )
            conn.execute(
                "UPDATE manager_state SET head_seq = ?, head_hash = ? WHERE id = 1", (seq, digest)
            )
        return _entry((*fields, entry.outcome, prev_hash, digest))

    @staticmethod
    def _next_link(conn: sqlite3.Connection) -> tuple[int, str]:
        """The next sequence number and the hash it chains to.

        Normally the head. If the head and the table disagree (someone edited
        the file), appending still works, past both; `verify()` reports the break.
        """
        head_seq, head_hash = conn.execute(
            "SELECT head_seq, head_hash FROM manager_state WHERE id = 1"
        ).fetchone()
        last = conn.execute("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
        row = last.fetchone()
        if row is not None and row[0] > head_seq:
            return int(row[0]) + 1, str(row[1])
        return int(head_seq) + 1, str(head_hash)

    def entries(self, query: AuditQuery) -> list[AuditEntry]:
        """Entries matching the query, newest first."""
        where, params = _where(query)
        sql = f"{_SELECT}{where} ORDER BY seq DESC LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._conn.execute(sql, (*params, query.limit, query.offset)).fetchall()
        return [_entry(row) for row in rows]

    def count(self, query: AuditQuery) -> int:
        """How many entries match (limit and offset ignored)."""
        where, params = _where(query)
        with self._lock:
            row = self._conn.execute(f"SELECT count(*) FROM audit_entries{where}", params)
            return int(row.fetchone()[0])

    def verify(self) -> AuditCheck:
        """Recompute every hash from the first entry; the first break, or ok."""
        checked = 0
        prev_hash = GENESIS_HASH
        with self._lock:
            head_seq, head_hash = self._conn.execute(
                "SELECT head_seq, head_hash FROM manager_state WHERE id = 1"
            ).fetchone()
            for row in self._conn.execute(f"{_SELECT} ORDER BY seq"):
                seq = row[0]
                expected = checked + 1
                if seq != expected:
                    return _broken(checked, expected, AuditBreak.MISSING)
                if row[8] != prev_hash:
                    return _broken(checked, seq, AuditBreak.CHAIN_BROKEN)
                if entry_hash(*row[:9]) != row[9]:
                    return _broken(checked, seq, AuditBreak.CONTENT_CHANGED)
                prev_hash = row[9]
                checked += 1
        if head_seq > checked:
            return _broken(checked, checked + 1, AuditBreak.TRUNCATED)
        if head_seq < checked:  # entries were added without going through the app
            return _broken(checked, head_seq + 1, AuditBreak.HEAD_MISMATCH)
        if head_hash != prev_hash:  # the newest entry was replaced
            return _broken(checked, checked, AuditBreak.HEAD_MISMATCH)
        return AuditCheck(ok=True, checked=checked, message=f"{checked} entries intact")

    def export_csv(self, target: Path | TextIO, query: AuditQuery | None = None) -> int:
        """Write matching entries (all by default), oldest first, with their hashes.

        A path is written through a temporary file and renamed, so a failed
        export never leaves half a file. Cells that a spreadsheet would run as
        a formula get a leading apostrophe (CSV injection); the stored entries
        and their hashes are unchanged.
        """
        if isinstance(target, Path):
            partial = target.with_name(target.name + ".part")
            try:
                with partial.open("w", encoding="utf-8", newline="") as stream:
                    count = self._write_csv(stream, query)
                partial.replace(target)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            return count
        return self._write_csv(target, query)

    def _write_csv(self, stream: TextIO, query: AuditQuery | None) -> int:
        where, params = _where(query or AuditQuery())
        writer = csv.writer(stream)
        writer.writerow((*_COLUMNS, "prev_hash", "hash"))
        count = 0
        with self._lock:
            cursor = self._conn.execute(f"{_SELECT}{where} ORDER BY seq", params)
            while batch := cursor.fetchmany(_EXPORT_BATCH):
                writer.writerows([_spreadsheet_safe(value) for value in row] for row in batch)
                count += len(batch)
        return count

    # -- PIN store ----------------------------------------------------------------------

    def load_pin_hash(self) -> str | None:
        """The stored `scrypt$...` hash, or None if no PIN was ever set."""
        with self._lock:
            row = self._conn.execute("SELECT pin_hash FROM manager_state WHERE id = 1")
            value = row.fetchone()[0]
        return None if value is None else str(value)

    def replace_pin_hash(self, expected: str | None, new: str) -> bool:
        """Store `new` if the stored hash is still `expected`; False if another lane won."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE manager_state SET pin_hash = ? WHERE id = 1 AND pin_hash IS ?",
                (new, expected),
            )
            return cursor.rowcount == 1

    def load_lock(self) -> LockState:
        """The wrong-try count and lock as stored."""
        with self._lock:
            return self._read_lock(self._conn)

    def update_lock(self, change: Callable[[LockState], LockState]) -> LockState:
        """Apply `change` to the stored lock state in one write transaction."""
        with self._write() as conn:
            state = change(self._read_lock(conn))
            until = None if state.locked_until is None else _iso(state.locked_until)
            conn.execute(
                "UPDATE manager_state SET failed_tries = ?, locked_until = ? WHERE id = 1",
                (state.failed_tries, until),
            )
        return state

    @staticmethod
    def _read_lock(conn: sqlite3.Connection) -> LockState:
        tries, until = conn.execute(
            "SELECT failed_tries, locked_until FROM manager_state WHERE id = 1"
        ).fetchone()
        locked_until = None if until is None else datetime.fromisoformat(until)
        return LockState(failed_tries=int(tries), locked_until=locked_until)


def _broken(checked: int, seq: int, reason: AuditBreak) -> AuditCheck:
    messages = {
        AuditBreak.MISSING: f"entry {seq} is missing: entries were deleted",
        AuditBreak.CHAIN_BROKEN: f"entry {seq} does not follow entry {seq - 1}",
        AuditBreak.CONTENT_CHANGED: f"entry {seq} was changed after it was written",
        AuditBreak.TRUNCATED: f"entry {seq} and later ones were deleted",
        AuditBreak.HEAD_MISMATCH: f"entry {seq} is not the last entry the app wrote",
    }
    return AuditCheck(
        ok=False, checked=checked, broken_seq=seq, reason=reason, message=messages[reason]
    )


def _create_private(path: Path) -> None:
    """Create the file (and its folder) readable by its owner only; SQLite's -wal and
    -shm files copy these permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
