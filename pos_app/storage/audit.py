"""The tamper-evident audit log, the staff and the lane's keys, in their own SQLite file.

`audit_entries` is append-only: triggers refuse UPDATE and DELETE. Triggers
can be dropped by anyone holding the file, so each entry is also sealed over
its fields and the seal of the entry before it (`prev_hash`), and `verify()`
recomputes the chain and names the first entry that does not fit (the rules
are in `pos_app.storage.audit_chain`).

- Keyed: where the OS keyring keeps a secret (`ChainKeys`), the lane's
  `chain_id` names it, the first entry written with it is CHAIN_KEYED, and
  every entry from there on is an HMAC-SHA256 with a key derived from it. A
  chain rewritten without the key fails `verify()`, and so does a downgrade.
- Unkeyed (no keyring): plain SHA-256. Someone with the file can rewrite the
  chain and every hash after it; a head printed earlier (`head().short`, on
  every end-of-day report) then no longer appears: `verify(head=...)` says so.
- Which chain this file is: the keyring also remembers, per audit file, the
  chain this computer keyed it as (`ChainKeys.keyed_chain`, under a hash of
  the file's resolved path; the rules are in `pos_app.storage.audit_keyring`).
  A file that now names another chain (its `chain_id` replaced, the keyed
  part rewritten plain and its CHAIN_KEYED dropped, or another file put in
  its place) is left as found at open, never keyed afresh, and fails
  `verify()` naming both chains. A re-keying made here (the keyring lost the
  key) moves what is remembered.
- What stays out of reach: a file this computer remembers nothing of (a new
  lane, a keyring that lost everything, a file moved to another computer or to
  another folder) is trusted on first use, as before; a rewrite made before
  that reads as a lane keyed for the first time. The printed head finds it.
  The path, not an id kept in the file, names the file in the keyring because
  whoever holds the file can rewrite anything in it; the cost is that a moved
  folder starts afresh (its chain key is still found, so it stays KEYED).
- `lane_state` (one row) keeps the head as the app last wrote it, so deleting
  the newest entries shows, the `chain_id` and the owner's recovery hash.
- `staff` holds each person's salted scrypt PIN hash (a CHECK refuses anything
  else), wrong-try count and lock. Every write of a row or of the recovery hash
  appends its entry in the same transaction, committing to the state written;
  `verify()` compares each row with its last commitment.

The file is created readable by its owner only, and freed pages are zeroed
(`secure_delete`), so an old PIN hash does not linger. Every write commits
before the method returns (WAL, `synchronous=FULL`); writes wait for the lock
(`_write`), so several lanes may share the file.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TextIO

from pos_app.services.audit_log import (
    AuditAction,
    AuditCheck,
    AuditEntry,
    AuditHead,
    AuditQuery,
    ChainKeys,
    DetailValue,
    KeyStatus,
    NewAuditEntry,
    StaffRecord,
)
from pos_app.services.store_ports import RecordKind, StoreRecord
from pos_app.storage.audit_chain import (
    GENESIS_HASH,
    MAC_HMAC,
    MAC_SHA256,
    ChainWalk,
    StaffState,
    chain_id_of,
    derive_mac_key,
    derive_pepper,
    entry_hash,
    entry_mac,
    head_not_found,
    is_chain_id,
    parse_head,
    recovery_commitment,
    replaced_break,
    staff_commitment,
    state_break,
)
from pos_app.storage.audit_export import EXPORT_COLUMNS, to_target, write_csv, write_json
from pos_app.storage.audit_keyring import FileKeys
from pos_app.storage.audit_schema import (
    MIGRATED_OWNER,
    MIGRATIONS,
    RECORD_COLUMNS,
    SCHEMA_VERSION,
    STAFF_COLUMNS,
    iso,
    record_from_row,
    state_from_row,
)
from pos_app.storage.outbox import AUDIT_BACKFILL, OutboxTables, audit_records
from pos_app.storage.sqlite_file import BUSY_TIMEOUT_S

__all__ = [
    "GENESIS_HASH",
    "MIGRATED_OWNER",
    "SCHEMA_VERSION",
    "AuditLogError",
    "SqliteAuditLog",
    "entry_hash",
]

_SYSTEM_WHO: Final = "till"
_EXPORT_BATCH: Final = 500
_SELECT: Final = f"SELECT {', '.join(EXPORT_COLUMNS)} FROM audit_entries"
_INSERT: Final = (
    f"INSERT INTO audit_entries ({', '.join(EXPORT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(EXPORT_COLUMNS))})"
)


class AuditLogError(Exception):
    """The audit file cannot be opened or written (unknown schema, I/O)."""


def _entry(row: tuple[Any, ...]) -> AuditEntry:
    seq, at, who, lane, action, subject, detail, outcome, prev_hash, hash_, mac = row
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
        mac=mac,
    )


def _detail_json(detail: dict[str, DetailValue]) -> str:
    return json.dumps(detail, sort_keys=True, separators=(",", ":"), allow_nan=False)


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
        params.append(iso(query.since))
    if query.until is not None:
        clauses.append("at < ?")
        params.append(iso(query.until))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class SqliteAuditLog(OutboxTables):
    """The `AuditLog` and `StaffStore` ports on one SQLite file.

    `path` is a file (its folder is created) or ":memory:" for tests. `keys`
    keeps the chain's secret (None: no keyring, a plain chain). `lane` and
    `clock` stamp the entries the log writes itself (the v1 migration, keying).
    `shared_pins` (a lane in a store): PINs are hashed plain, without this
    computer's pepper, because the store's staff sign in on every lane.
    Also the `Outbox` port of a lane in a store (entries and people), and the
    store's pull cursors (`store_value`). Use it as a context manager or call
    `close()`.
    """

    what = "audit log"
    error = AuditLogError
    extra_pragmas = ("secure_delete = ON",)
    outbox_name = "audit"
    outbox_backfill = AUDIT_BACKFILL

    def __init__(
        self,
        path: Path | str,
        keys: ChainKeys | None = None,
        *,
        lane: str = "",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        write_deadline: float = BUSY_TIMEOUT_S,
        shared_pins: bool = False,
    ) -> None:
        self._keys = FileKeys(keys)
        self._lane = lane
        self._clock = clock
        self.shared_pins = shared_pins
        super().__init__(path, write_deadline=write_deadline)

    def _read_records(
        self, conn: sqlite3.Connection, kind: RecordKind, refs: Sequence[str]
    ) -> dict[str, StoreRecord]:
        return audit_records(conn, kind, refs)

    def store_value(self, key: str) -> str | None:
        """A value kept for the store (a pull cursor), or None."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM store_state WHERE key = ?", (key,))
            found = row.fetchone()
        return None if found is None else str(found[0])

    def set_store_value(self, key: str, value: str) -> None:
        """Keep a value for the store (committed when this returns)."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO store_state (key, value) VALUES (?, ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def _create(self, path: Path) -> None:
        _create_private(path)

    def _prepare(self) -> None:
        self._migrate()
        keys = self._keys
        keys.open(self.path)
        if not keys.usable:
            return
        # The keyring is asked outside a write transaction: a keyed log opens without
        # taking the write lock, and a keyring slow to answer holds up no other lane.
        with self._lock:
            chain_id = self._chain_id(self._conn)
            if keys.replaced(self._conn, chain_id) is not None:
                return  # not the chain this computer keyed: left as found, verify() says so
        if keys.secret(chain_id) is None:  # not keyed yet, or this keyring lost the key
            with self._write() as conn:
                chain_id = self._key_the_chain(conn)
        if keys.secret(chain_id) is not None and keys.remembered != chain_id:
            keys.remember(chain_id)  # after the keying committed, or keyed before this

    def _migrate(self) -> None:
        """Bring the schema up to date; an up-to-date file opens without the write lock."""
        with self._lock:
            if int(self._conn.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION:
                return
        for step in MIGRATIONS:
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
                migrated = None if step.then is None else step.then(conn, self._clock())
                if migrated is not None:
                    self._record_migration(conn, migrated)
                conn.execute(f"PRAGMA user_version = {step.version:d}")

    # -- keys ---------------------------------------------------------------------------

    @staticmethod
    def _chain_id(conn: sqlite3.Connection) -> str:
        return str(conn.execute("SELECT chain_id FROM lane_state WHERE id = 1").fetchone()[0])

    def _key_the_chain(self, conn: sqlite3.Connection) -> str:
        """Make the chain keyed from here on, if it is not yet (or its key is lost); the
        chain id in force after.

        A chain already keyed with this lane's key is left alone. A chain with no
        CHAIN_KEYED entry whose key this keyring holds, or that it remembers keying
        this file as, is never "healed" with a new entry: that is what deleting the
        keyed entries looks like, and `verify()` reports it.
        """
        chain_id = self._chain_id(conn)
        # Asked again under the write lock: another lane may have keyed the file since.
        if self._keys.ask_again(chain_id) is not None:
            return chain_id
        keyed = conn.execute(
            "SELECT count(*) FROM audit_entries WHERE action = ? AND mac = ?",
            (AuditAction.CHAIN_KEYED.value, MAC_HMAC),
        ).fetchone()[0]
        if not keyed and self._keys.remembered == chain_id:
            return chain_id
        replaces: str | None = None
        if keyed:  # keyed with a key this keyring lost: a new chain id, a new segment
            replaces = chain_id
            chain_id = os.urandom(16).hex()
        elif not is_chain_id(chain_id):  # not one this app wrote: no keyring user for it
            chain_id = os.urandom(16).hex()
        if self._keys.create(chain_id) is None:
            return chain_id
        conn.execute("UPDATE lane_state SET chain_id = ? WHERE id = 1", (chain_id,))
        detail: dict[str, DetailValue] = {"chain_id": chain_id}
        if replaces is not None:
            detail["replaces"] = replaces
        self._append(
            conn,
            NewAuditEntry(
                at=self._clock(),
                who=_SYSTEM_WHO,
                lane=self._lane,
                action=AuditAction.CHAIN_KEYED,
                subject=None,
                detail=detail,
                outcome="ok",
            ),
        )
        return chain_id

    def pepper(self) -> bytes | None:
        """The PIN pepper, derived from this lane's chain key; None without one, or with
        `shared_pins`. When the file names another chain than the one this computer keyed
        it as, the key of the one it keyed (the PINs were peppered with it)."""
        return None if self.shared_pins else self.kept_pepper()

    def kept_pepper(self) -> bytes | None:
        """This computer's pepper even with `shared_pins`, so a PIN set before the lane
        joined a store still checks (and is then re-hashed plain); None without one."""
        with self._lock:
            chain_id = self._chain_id(self._conn)
            chain_id = self._keys.replaced(self._conn, chain_id) or chain_id
            secret = self._keys.secret(chain_id)
        return None if secret is None else derive_pepper(secret)

    def key_status(self) -> KeyStatus:
        """KEYED when this computer holds the key of every keyed part of the chain (and
        the file names the chain this computer keyed it as)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT detail FROM audit_entries WHERE action = ? AND mac = ?",
                (AuditAction.CHAIN_KEYED.value, MAC_HMAC),
            ).fetchall()
            chain_id = self._chain_id(self._conn)
            if self._keys.replaced(self._conn, chain_id) is not None:
                return KeyStatus.KEY_MISSING
            own = self._keys.secret(chain_id)
        if not rows:
            return KeyStatus.KEYED if own is not None else KeyStatus.NO_KEYRING
        ids = [chain_id_of(row[0]) for row in rows]
        if own is None or any(i is None or self._keys.secret(i) is None for i in ids):
            return KeyStatus.KEY_MISSING
        return KeyStatus.KEYED

    # -- audit log ----------------------------------------------------------------------

    def append(self, entry: NewAuditEntry) -> AuditEntry:
        """Append one entry after the head; committed when this returns."""
        with self._write() as conn:
            return self._append(conn, entry)

    def _append(self, conn: sqlite3.Connection, entry: NewAuditEntry) -> AuditEntry:
        """Seal and insert one entry in the caller's transaction, and move the head."""
        detail = _detail_json(dict(entry.detail))
        at = iso(entry.at)
        seq, prev_hash = self._next_link(conn)
        fields = (seq, at, entry.who, entry.lane, entry.action, entry.subject, detail)
        secret = self._keys.secret(self._chain_id(conn))
        if secret is None:
            mac, seal = MAC_SHA256, entry_hash(*fields, entry.outcome, prev_hash)
        else:
            mac = MAC_HMAC
            seal = entry_mac(derive_mac_key(secret), *fields, entry.outcome, prev_hash)
        row = (*fields, entry.outcome, prev_hash, seal, mac)
        conn.execute(_INSERT, row)
        conn.execute("UPDATE lane_state SET head_seq = ?, head_hash = ? WHERE id = 1", (seq, seal))
        return _entry(row)

    @staticmethod
    def _next_link(conn: sqlite3.Connection) -> tuple[int, str]:
        """The next sequence number and the seal it chains to.

        Normally the head. If the head and the table disagree (someone edited
        the file), appending still works, past both; `verify()` reports the break.
        """
        head_seq, head_hash = conn.execute(
            "SELECT head_seq, head_hash FROM lane_state WHERE id = 1"
        ).fetchone()
        last = conn.execute("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
        row = last.fetchone()
        if row is not None and row[0] > head_seq:
            return int(row[0]) + 1, str(row[1])
        return int(head_seq) + 1, str(head_hash)

    def head(self) -> AuditHead:
        """The newest entry as the app last wrote it (0 and the genesis hash when empty)."""
        with self._lock:
            seq, seal = self._conn.execute(
                "SELECT head_seq, head_hash FROM lane_state WHERE id = 1"
            ).fetchone()
        return AuditHead(seq=int(seq), hash=str(seal))

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

    def verify(self, head: str | None = None) -> AuditCheck:
        """Recompute every seal from the first entry, then the head as the app wrote
        it, then `head` (taken earlier, e.g. from a printed report), then the staff
        rows and the recovery hash against their last commitments. The first break,
        or ok. A malformed `head` raises ValueError before anything is read."""
        wanted = None if head is None else parse_head(head)
        with self._lock, self._snapshot() as conn:
            walk = ChainWalk(key_for=self._keys.secret)
            for row in conn.execute(f"{_SELECT} ORDER BY seq"):
                if not walk.feed(row):
                    break
            head_seq, head_hash = conn.execute(
                "SELECT head_seq, head_hash FROM lane_state WHERE id = 1"
            ).fetchone()
            own_id = self._chain_id(conn)
            own_secret = self._keys.secret(own_id)
            replaced = self._keys.replaced(conn, own_id)
            found = None
            if wanted is not None:
                found = self._find_head(conn, wanted.seq, wanted.prefix)
            rows = conn.execute(f"SELECT {STAFF_COLUMNS} FROM staff ORDER BY id").fetchall()
            staff = [state_from_row(row) for row in rows]
            recovery = conn.execute("SELECT recovery_hash FROM lane_state WHERE id = 1")
            recovery_hash = recovery.fetchone()[0]
        status = KeyStatus.KEY_MISSING if replaced else self._status(walk, own_secret)
        current = AuditHead(seq=walk.last_seq, hash=walk.last_hash)

        found_break = (
            (None if replaced is None else replaced_break(replaced, own_id))
            or walk.broken
            or walk.head_break(head_seq, head_hash)
            or walk.keying_break(own_id, own_secret is not None, self._keys.remembered == own_id)
            or (
                None
                if wanted is None or found is True
                else head_not_found(wanted.describe(), wanted.seq, found, walk.checked)
            )
            or state_break(walk, staff, recovery_hash)
        )
        if found_break is not None:
            seq, reason, problem = found_break
            return AuditCheck(
                ok=False,
                checked=walk.checked,
                broken_seq=seq,
                reason=reason,
                message=problem,
                head=current,
                key_status=status,
            )
        message = f"{walk.checked} entries intact"
        if walk.unchecked:
            message += (
                f"; the signatures of {walk.unchecked} entries could not be checked: their key"
                " is not in this computer's keyring"
            )
        return AuditCheck(
            ok=True, checked=walk.checked, message=message, head=current, key_status=status
        )

    def _status(self, walk: ChainWalk, own_secret: bytes | None) -> KeyStatus:
        if walk.unchecked or (walk.keyed_ids and own_secret is None):
            return KeyStatus.KEY_MISSING
        return KeyStatus.KEYED if own_secret is not None else KeyStatus.NO_KEYRING

    @staticmethod
    def _find_head(conn: sqlite3.Connection, seq: int | None, prefix: str) -> bool | int | None:
        """True when the chain holds the head; else the seq of the entry now at that
        number (int), or None when there is none. The empty log's head (0 and the
        genesis hash) is in every chain."""
        if seq in (0, None) and GENESIS_HASH.startswith(prefix):
            return True
        if seq is not None:
            row = conn.execute("SELECT hash FROM audit_entries WHERE seq = ?", (seq,)).fetchone()
            if row is None:
                return None
            return True if str(row[0]).startswith(prefix) else seq
        row = conn.execute(
            "SELECT seq FROM audit_entries WHERE substr(hash, 1, ?) = ? LIMIT 1",
            (len(prefix), prefix),
        ).fetchone()
        return True if row is not None else None

    @contextmanager
    def _snapshot(self) -> Iterator[sqlite3.Connection]:
        """One read transaction, so a check sees one state of the file."""
        conn = self._conn
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    # -- export ---------------------------------------------------------------------------

    def export_csv(self, target: Path | TextIO, query: AuditQuery | None = None) -> int:
        """Write matching entries (all by default), oldest first, with their seals, as
        CSV (see `audit_export.write_csv`); returns how many."""
        where, params = _where(query or AuditQuery())
        return to_target(
            target, lambda stream: write_csv(stream, self._batches(where, params)), newline=""
        )

    def export_json(self, target: Path | TextIO) -> int:
        """Write every entry, oldest first, with the head and the key status, as JSON
        (see `audit_export.write_json`); returns how many."""
        head, status = self.head(), self.key_status()
        return to_target(
            target, lambda stream: write_json(stream, head, status, self._batches("", []))
        )

    def _batches(self, where: str, params: list[Any]) -> Iterator[list[Any]]:
        with self._lock:
            cursor = self._conn.execute(f"{_SELECT}{where} ORDER BY seq", params)
            while batch := cursor.fetchmany(_EXPORT_BATCH):
                yield batch

    # -- staff ------------------------------------------------------------------------------

    def list_staff(self) -> list[StaffRecord]:
        """Everyone, ordered by name (case-insensitive)."""
        with self._lock:
            sql = f"SELECT {RECORD_COLUMNS} FROM staff ORDER BY name, id"
            rows = self._conn.execute(sql).fetchall()
        return [record_from_row(row) for row in rows]

    def find_staff(self, name: str) -> StaffRecord | None:
        """The person of that name, whatever its case, or None."""
        with self._lock:
            row = self._conn.execute(f"SELECT {RECORD_COLUMNS} FROM staff WHERE name = ?", (name,))
            found = row.fetchone()
        return None if found is None else record_from_row(found)

    def save_staff(
        self, expected: StaffRecord | None, new: StaffRecord, entry: NewAuditEntry
    ) -> StaffRecord | None:
        """Write `new` if the stored row still equals `expected` (None: nobody of that name
        yet) and append `entry` committing to it, in one transaction; the stored record,
        or None when another lane changed it meanwhile (nothing written)."""
        until = None if new.locked_until is None else iso(new.locked_until)
        values = (new.name, new.role, int(new.active), new.pin_hash, new.failed_tries, until)
        with self._write() as conn:
            if expected is None:
                taken = conn.execute("SELECT 1 FROM staff WHERE name = ?", (new.name,))
                if new.id is not None or taken.fetchone() is not None:
                    return None
                changed = _changed_at(new.changed_at, None)
                cursor = conn.execute(
                    "INSERT INTO staff (name, role, active, pin_hash, failed_tries, locked_until,"
                    " created_at, changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (*values, iso(entry.at), iso(changed)),
                )
                staff_id = int(cursor.lastrowid or 0)
            else:
                stored = conn.execute(
                    f"SELECT {RECORD_COLUMNS} FROM staff WHERE id = ?", (expected.id,)
                ).fetchone()
                if (
                    stored is None
                    or record_from_row(stored) != expected
                    or new.id
                    not in (
                        None,
                        expected.id,
                    )
                ):
                    return None
                staff_id = int(stored[0])
                changed = _changed_at(new.changed_at, record_from_row(stored).changed_at)
                conn.execute(
                    "UPDATE staff SET name = ?, role = ?, active = ?, pin_hash = ?,"
                    " failed_tries = ?, locked_until = ?, changed_at = ? WHERE id = ?",
                    (*values, iso(changed), staff_id),
                )
            row = (staff_id, *values)
            commitment = staff_commitment(state_from_row(row))
            self._append(conn, _with_detail(entry, commitment))
            return record_from_row((*row, iso(changed)))

    def load_recovery_hash(self) -> str | None:
        """The owner's recovery code hash, or None before one is set."""
        with self._lock:
            row = self._conn.execute("SELECT recovery_hash FROM lane_state WHERE id = 1")
            value = row.fetchone()[0]
        return None if value is None else str(value)

    def save_recovery_hash(self, expected: str | None, new: str, entry: NewAuditEntry) -> bool:
        """Store `new` if the stored hash is still `expected`, appending `entry` committing
        to it, in one transaction; False when another lane changed it meanwhile."""
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE lane_state SET recovery_hash = ? WHERE id = 1 AND recovery_hash IS ?",
                (new, expected),
            )
            if cursor.rowcount != 1:
                return False
            self._append(conn, _with_detail(entry, recovery_commitment(new)))
            return True

    def _record_migration(self, conn: sqlite3.Connection, owner: StaffState) -> None:
        """The STAFF_MIGRATED entry for v1's manager PIN, now the owner "Manager"."""
        entry = NewAuditEntry(
            at=self._clock(),
            who=_SYSTEM_WHO,
            lane=self._lane,
            action=AuditAction.STAFF_MIGRATED,
            subject=owner.name,
            detail={"from_schema": 1},
            outcome="ok",
        )
        self._append(conn, _with_detail(entry, staff_commitment(owner)))


def _changed_at(given: datetime | None, stored: datetime | None) -> datetime:
    """When a saved person changed: the stamp given when it is a new one (a row taken
    from the store keeps the store's), else now, always after the stored stamp (so the
    store, where the newest change wins, takes every local change)."""
    if given is not None and given != stored:
        return given
    now = datetime.now(UTC)
    if stored is not None and now <= stored:
        now = stored + timedelta(microseconds=1)
    return now


def _with_detail(entry: NewAuditEntry, extra: dict[str, DetailValue]) -> NewAuditEntry:
    return NewAuditEntry(
        at=entry.at,
        who=entry.who,
        lane=entry.lane,
        action=entry.action,
        subject=entry.subject,
        detail={**entry.detail, **extra},
        outcome=entry.outcome,
    )


def _create_private(path: Path) -> None:
    """Create the file (and its folder) readable by its owner only; SQLite's -wal and
    -shm files copy these permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
