"""The SQLite audit log: append-only, hash-chained, and an edit made behind its back shows."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pos_app.domain.errors import InvalidInputError
from pos_app.services.audit_log import (
    AuditAction,
    AuditBreak,
    AuditHead,
    AuditLog,
    AuditQuery,
    KeyStatus,
    NewAuditEntry,
    StaffRecord,
    StaffStore,
)
from pos_app.storage.audit import (
    GENESIS_HASH,
    SCHEMA_VERSION,
    AuditLogError,
    SqliteAuditLog,
    entry_hash,
)
from pos_app.storage.audit_schema import MIGRATED_OWNER, V1_STATEMENTS
from tests.support.file_keyring import MemoryChainKeys

T0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


def entry(
    minutes: int = 0,
    *,
    action: str = "refund",
    subject: str | None = "op_1",
    who: str = "manager",
    outcome: str = "approved",
    **detail: str | int | None,
) -> NewAuditEntry:
    return NewAuditEntry(
        at=T0 + timedelta(minutes=minutes),
        who=who,
        lane="1",
        action=action,
        subject=subject,
        detail=detail or {"amount_cents": 1500},
        outcome=outcome,
    )


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "audit.sqlite3"


@pytest.fixture
def audit(path: Path) -> Iterator[SqliteAuditLog]:
    with SqliteAuditLog(path) as log:
        yield log


def fill(audit: SqliteAuditLog, count: int) -> None:
    for index in range(count):
        audit.append(entry(index, subject=f"op_{index + 1}"))


def raw(path: Path) -> sqlite3.Connection:
    """A plain connection, as someone with the file and the sqlite3 tool would have."""
    return sqlite3.connect(path, isolation_level=None)


def test_it_implements_both_ports(audit: SqliteAuditLog) -> None:
    log: AuditLog = audit
    store: StaffStore = audit
    assert log is audit
    assert store is audit


def test_a_new_file_has_its_schema_wal_and_full_sync(audit: SqliteAuditLog, path: Path) -> None:
    assert audit.schema_version == SCHEMA_VERSION == 3
    with raw(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert audit._conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert audit.verify().ok
    assert audit.verify().checked == 0


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_the_file_is_private_to_its_owner(audit: SqliteAuditLog, path: Path) -> None:
    assert path.stat().st_mode & 0o077 == 0


def test_entries_are_chained_and_numbered(audit: SqliteAuditLog) -> None:
    first = audit.append(entry(0))
    second = audit.append(entry(1, action="void", subject="op_2", outcome="approved"))
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert first.at == T0
    assert first.detail == '{"amount_cents":1500}'
    assert first.hash == entry_hash(
        1, first.at.isoformat(timespec="microseconds"), "manager", "1", "refund", "op_1",
        first.detail, "approved", GENESIS_HASH,
    )  # fmt: skip
    assert audit.verify().ok
    assert audit.verify().checked == 2


def test_the_table_refuses_update_and_delete(audit: SqliteAuditLog, path: Path) -> None:
    fill(audit, 3)
    with raw(path) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE audit_entries SET outcome = 'declined' WHERE seq = 2")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM audit_entries WHERE seq = 3")
    assert audit.verify().ok


def test_an_edited_row_is_found_by_its_number(audit: SqliteAuditLog, path: Path) -> None:
    fill(audit, 5)
    with raw(path) as conn:
        conn.execute("DROP TRIGGER audit_entries_no_update")
        conn.execute("UPDATE audit_entries SET outcome = 'declined' WHERE seq = 3")
    check = audit.verify()
    assert not check.ok
    assert (check.broken_seq, check.reason) == (3, AuditBreak.CONTENT_CHANGED)
    assert check.checked == 2
    assert check.message == "entry 3 was changed after it was written"


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(
    audit: SqliteAuditLog, path: Path
) -> None:
    fill(audit, 5)
    with raw(path) as conn:
        conn.execute("DROP TRIGGER audit_entries_no_update")
        row = conn.execute("SELECT * FROM audit_entries WHERE seq = 2").fetchone()
        forged = entry_hash(*row[:6], '{"amount_cents":1}', row[7], row[8])
        conn.execute(
            "UPDATE audit_entries SET detail = ?, hash = ? WHERE seq = 2",
            ('{"amount_cents":1}', forged),
        )
    check = audit.verify()
    assert (check.ok, check.broken_seq, check.reason) == (False, 3, AuditBreak.CHAIN_BROKEN)
    assert check.message == "entry 3 does not follow entry 2"


def test_a_deleted_row_in_the_middle_is_reported_missing(audit: SqliteAuditLog, path: Path) -> None:
    fill(audit, 5)
    with raw(path) as conn:
        conn.execute("DROP TRIGGER audit_entries_no_delete")
        conn.execute("DELETE FROM audit_entries WHERE seq = 4")
    check = audit.verify()
    assert (check.ok, check.broken_seq, check.reason) == (False, 4, AuditBreak.MISSING)


def test_deleting_the_newest_rows_is_reported(audit: SqliteAuditLog, path: Path) -> None:
    fill(audit, 5)
    with raw(path) as conn:
        conn.execute("DROP TRIGGER audit_entries_no_delete")
        conn.execute("DELETE FROM audit_entries WHERE seq >= 4")
    check = audit.verify()
    assert (check.ok, check.broken_seq, check.reason) == (False, 4, AuditBreak.TRUNCATED)
    # The log keeps working, and the gap stays visible.
    assert audit.append(entry(9)).seq == 6
    assert audit.verify().reason is AuditBreak.MISSING
    assert audit.verify().broken_seq == 4


def test_a_row_added_outside_the_app_is_reported(audit: SqliteAuditLog, path: Path) -> None:
    fill(audit, 2)
    last = audit.entries(AuditQuery(limit=1))[0]
    fields = (3, last.at.isoformat(), "manager", "1", "override", None, "{}", "ok")
    with raw(path) as conn:
        conn.execute(
            "INSERT INTO audit_entries (seq, at, who, lane, action, subject, detail, outcome,"
            " prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*fields, last.hash, entry_hash(*fields, last.hash)),
        )
    check = audit.verify()
    assert (check.ok, check.broken_seq, check.reason) == (False, 3, AuditBreak.HEAD_MISMATCH)


def test_entries_survive_reopening_and_the_chain_continues(path: Path) -> None:
    with SqliteAuditLog(path) as audit:
        fill(audit, 2)
    with SqliteAuditLog(path) as audit:
        assert audit.append(entry(5)).seq == 3
        assert audit.verify().ok
        assert [e.seq for e in audit.entries(AuditQuery())] == [3, 2, 1]


def test_a_newer_schema_is_refused_untouched(path: Path) -> None:
    with SqliteAuditLog(path):
        pass
    with raw(path) as conn:
        conn.execute("PRAGMA user_version = 7")
    with pytest.raises(AuditLogError, match="newer version"):
        SqliteAuditLog(path)
    with raw(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 7


def test_filters_newest_first_with_paging(audit: SqliteAuditLog) -> None:
    audit.append(entry(0, subject="op_a"))
    audit.append(entry(10, action="void", subject="op_b"))
    audit.append(entry(20, action="pin_failed", subject=None, who="cashier", outcome="wrong"))
    audit.append(entry(30, subject="op_a", outcome="declined"))
    everything = audit.entries(AuditQuery())
    assert [e.seq for e in everything] == [4, 3, 2, 1]
    assert [e.seq for e in audit.entries(AuditQuery(subject="op_a"))] == [4, 1]
    assert [e.seq for e in audit.entries(AuditQuery(actions=("void", "pin_failed")))] == [3, 2]
    window = AuditQuery(since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=30))
    assert [e.seq for e in audit.entries(window)] == [3, 2]
    # Times in another zone mean the same instant.
    paris = T0.astimezone(ZoneInfo("Europe/Paris"))
    assert [e.seq for e in audit.entries(AuditQuery(until=paris + timedelta(minutes=1)))] == [1]
    assert [e.seq for e in audit.entries(AuditQuery(limit=2, offset=1))] == [3, 2]
    assert audit.count(AuditQuery(subject="op_a", limit=1)) == 2


def test_naive_times_are_refused(audit: SqliteAuditLog) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        audit.append(NewAuditEntry(datetime(2025, 1, 1), "manager", "1", "refund", None, {}, "ok"))
    assert audit.count(AuditQuery()) == 0


def test_export_writes_every_entry_oldest_first_with_hashes(
    audit: SqliteAuditLog, tmp_path: Path
) -> None:
    fill(audit, 3)
    audit.append(entry(4, subject='=HYPERLINK("http://x")', reason='a, "quoted"\nline'))
    target = tmp_path / "audit.csv"
    assert audit.export_csv(target) == 4
    assert not (tmp_path / "audit.csv.part").exists()
    with target.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["seq"] for row in rows] == ["1", "2", "3", "4"]
    assert list(rows[0]) == [
        "seq", "at", "who", "lane", "action", "subject", "detail", "outcome", "prev_hash", "hash",
        "mac",
    ]  # fmt: skip
    stored = {e.seq: e for e in audit.entries(AuditQuery())}
    assert rows[2]["hash"] == stored[3].hash
    assert rows[2]["prev_hash"] == stored[2].hash
    assert rows[3]["detail"] == stored[4].detail  # commas, quotes, newlines survive
    assert rows[3]["subject"] == '\'=HYPERLINK("http://x")'  # never a live formula
    assert stored[4].subject == '=HYPERLINK("http://x")'


def test_export_to_a_stream_with_a_filter(audit: SqliteAuditLog) -> None:
    fill(audit, 3)
    stream = io.StringIO()
    assert audit.export_csv(stream, AuditQuery(subject="op_2")) == 1
    assert stream.getvalue().splitlines()[1].startswith("2,")


def test_opening_the_same_file_twice_shares_one_chain(path: Path) -> None:
    with SqliteAuditLog(path) as lane_1, SqliteAuditLog(path) as lane_2:
        lane_1.append(entry(0))
        lane_2.append(entry(1))
        lane_1.append(entry(2))
        assert lane_2.verify().ok
        assert lane_2.verify().checked == 3
    assert os.path.exists(path)


# -- staff -------------------------------------------------------------------------------------

ANN_HASH = "scrypt$16384$8$1$QW5uU2FsdA==$QW5uSGFzaA=="
NEW_HASH = "scrypt+pepper$16384$8$1$TmV3U2FsdA==$TmV3SGFzaA=="


def person(name: str = "Ann", role: str = "cashier", pin_hash: str = ANN_HASH) -> StaffRecord:
    return StaffRecord(None, name, role, True, pin_hash, 0, None)


def add(audit: SqliteAuditLog, record: StaffRecord) -> StaffRecord:
    saved = audit.save_staff(None, record, entry(action="staff_added", subject=record.name))
    assert saved is not None
    return saved


def test_a_person_is_added_with_an_entry_committing_to_the_row(audit: SqliteAuditLog) -> None:
    ann = add(audit, person())
    assert ann.id is not None
    assert ann == StaffRecord(ann.id, "Ann", "cashier", True, ANN_HASH, 0, None)
    assert audit.find_staff("ANN") == ann
    (added,) = audit.entries(AuditQuery(actions=("staff_added",)))
    detail = json.loads(added.detail)
    assert detail["amount_cents"] == 1500  # the caller's detail is kept
    assert detail["state.staff"] == ann.id
    assert (detail["state.role"], detail["state.active"], detail["state.failed_tries"]) == (
        "cashier", True, 0,
    )  # fmt: skip
    assert ANN_HASH not in added.detail  # the PIN hash only as a digest
    assert len(detail["state.hash_digest"]) == 64
    assert audit.verify().ok


def test_the_staff_list_is_ordered_by_name_whatever_the_case(audit: SqliteAuditLog) -> None:
    for name in ("bob", "Ann", "Cid"):
        add(audit, person(name))
    assert [p.name for p in audit.list_staff()] == ["Ann", "bob", "Cid"]
    assert audit.find_staff("nobody") is None


def test_a_name_is_taken_whatever_its_case_and_nothing_is_written(audit: SqliteAuditLog) -> None:
    add(audit, person())
    before = audit.count(AuditQuery())
    assert audit.save_staff(None, person("ANN"), entry(action="staff_added")) is None
    assert audit.count(AuditQuery()) == before


def test_a_change_from_a_stale_row_is_refused(audit: SqliteAuditLog) -> None:
    ann = add(audit, person())
    locked = replace(ann, failed_tries=10, locked_until=T0 + timedelta(minutes=30))
    assert audit.save_staff(ann, locked, entry(action="pin_locked")) == locked
    before = audit.count(AuditQuery())
    # Another lane's view from before the lock: refused, nothing written.
    assert audit.save_staff(ann, replace(ann, failed_tries=1), entry(action="pin_failed")) is None
    assert audit.count(AuditQuery()) == before
    assert audit.find_staff("Ann") == locked


def test_the_database_refuses_a_pin_that_is_not_a_hash_and_writes_no_entry(
    audit: SqliteAuditLog,
) -> None:
    with pytest.raises(AuditLogError) as refused:
        audit.save_staff(None, person(pin_hash="735190"), entry(action="staff_added"))
    assert isinstance(refused.value.__cause__, sqlite3.IntegrityError)
    with pytest.raises(AuditLogError):
        audit.save_staff(None, person(role="boss"), entry(action="staff_added"))
    assert audit.list_staff() == []
    assert audit.count(AuditQuery()) == 0


def test_staff_and_their_lock_survive_a_restart(path: Path) -> None:
    until = T0 + timedelta(minutes=30)
    with SqliteAuditLog(path) as audit:
        ann = add(audit, person())
        audit.save_staff(ann, replace(ann, failed_tries=10, locked_until=until), entry())
    with SqliteAuditLog(path) as audit:
        stored = audit.find_staff("ann")
        assert stored is not None
        assert (stored.failed_tries, stored.locked_until) == (10, until)
        assert audit.verify().ok


def test_an_old_pin_hash_does_not_linger_in_the_file(path: Path) -> None:
    old, new = "scrypt$16$1$1$b2xkb2xkb2xk$T0xESEFTSA==", "scrypt$16$1$1$bmV3bmV3$TkVXSEFTSA=="
    with SqliteAuditLog(path) as store:
        ann = add(store, person(pin_hash=old))
        store.save_staff(ann, replace(ann, pin_hash=new), entry(action="pin_changed"))
    data = b"".join(p.read_bytes() for p in path.parent.iterdir())
    assert new.encode() in data
    assert old.encode() not in data


def test_the_recovery_hash_is_replaced_only_from_the_expected_one(audit: SqliteAuditLog) -> None:
    first, second = "scrypt$16$1$1$YQ==$Yg==", "scrypt$16$1$1$Yw==$ZA=="
    assert audit.load_recovery_hash() is None
    assert audit.save_recovery_hash(None, first, entry(action="recovery_code_set"))
    assert not audit.save_recovery_hash(None, second, entry())  # another lane set one
    assert audit.load_recovery_hash() == first
    assert audit.save_recovery_hash(first, second, entry(action="owner_recovered"))
    assert audit.load_recovery_hash() == second
    assert audit.count(AuditQuery()) == 2
    assert first not in "".join(e.detail for e in audit.entries(AuditQuery()))
    assert audit.verify().ok


# -- the v1 migration ----------------------------------------------------------------------------

V1_PIN = "scrypt$16384$8$1$djFTYWx0$djFIYXNo"


def v1_file(path: Path, *, pin_hash: str | None, tries: int = 0, until: str | None = None) -> str:
    """A schema v1 file as shops have it, built by the v1 statements: two entries, the
    manager PIN and its lock. Returns the last entry's hash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with raw(path) as conn:
        for statement in V1_STATEMENTS:
            conn.execute(statement)
        conn.execute("PRAGMA user_version = 1")
        prev = GENESIS_HASH
        for seq in (1, 2):
            fields = (seq, T0.isoformat(timespec="microseconds"), "manager", "1", "refund",
                      f"op_{seq}", '{"amount_cents":100}', "approved")  # fmt: skip
            digest = entry_hash(*fields, prev)
            conn.execute("INSERT INTO audit_entries VALUES (?,?,?,?,?,?,?,?,?,?)",
                         (*fields, prev, digest))  # fmt: skip
            prev = digest
        conn.execute(
            "UPDATE manager_state SET pin_hash = ?, failed_tries = ?, locked_until = ?,"
            " head_seq = 2, head_hash = ?",
            (pin_hash, tries, until, prev),
        )
    return prev


def test_a_v1_pin_becomes_an_owner_named_manager_with_its_lock(path: Path) -> None:
    until = (T0 + timedelta(minutes=30)).isoformat(timespec="microseconds")
    v1_head = v1_file(path, pin_hash=V1_PIN, tries=10, until=until)
    with SqliteAuditLog(path, lane="3", clock=lambda: T0) as audit:
        assert audit.schema_version == SCHEMA_VERSION
        (owner,) = audit.list_staff()
        assert (owner.name, owner.role, owner.active, owner.pin_hash) == (
            MIGRATED_OWNER, "owner", True, V1_PIN,
        )  # fmt: skip
        assert (owner.failed_tries, owner.locked_until) == (10, T0 + timedelta(minutes=30))
        entries = audit.entries(AuditQuery())
        assert [e.action for e in entries] == [AuditAction.STAFF_MIGRATED, "refund", "refund"]
        assert entries[1].hash == v1_head  # v1 entries keep their hashes
        migrated = entries[0]
        assert (migrated.who, migrated.lane, migrated.subject) == ("till", "3", "Manager")
        assert json.loads(migrated.detail)["state.failed_tries"] == 10
        check = audit.verify()
        assert (check.ok, check.checked) == (True, 3)
    with raw(path) as conn:  # the old table and its PIN columns are gone
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "manager_state" not in tables
    assert {"audit_entries", "staff", "lane_state"} <= tables


def test_a_v1_file_without_a_pin_migrates_to_no_staff(path: Path) -> None:
    v1_file(path, pin_hash=None)
    with SqliteAuditLog(path) as audit:
        assert audit.list_staff() == []
        assert audit.count(AuditQuery()) == 2
        assert audit.head().seq == 2
        assert audit.verify().ok


def test_a_v1_file_opened_with_a_keyring_is_keyed_after_the_migration(path: Path) -> None:
    v1_file(path, pin_hash=V1_PIN)
    keys = MemoryChainKeys()
    with SqliteAuditLog(path, keys) as audit:
        newest = audit.entries(AuditQuery(limit=2))
        assert [(e.action, e.mac) for e in newest] == [
            (AuditAction.CHAIN_KEYED, "hmac-sha256"), (AuditAction.STAFF_MIGRATED, "sha256"),
        ]  # fmt: skip
        assert audit.key_status() is KeyStatus.KEYED
        assert audit.verify().ok


# -- the keyed chain ---------------------------------------------------------------------------


def test_without_a_keyring_the_chain_is_plain_and_says_so(path: Path) -> None:
    with SqliteAuditLog(path, MemoryChainKeys(present=False)) as audit:
        fill(audit, 2)
        assert {e.mac for e in audit.entries(AuditQuery())} == {"sha256"}
        assert audit.key_status() is KeyStatus.NO_KEYRING
        assert audit.pepper() is None
        check = audit.verify()
        assert (check.ok, check.key_status) == (True, KeyStatus.NO_KEYRING)


def test_with_a_keyring_every_entry_is_signed_from_the_keying_on(path: Path) -> None:
    keys = MemoryChainKeys()
    with SqliteAuditLog(path, keys) as audit:
        fill(audit, 3)
        entries = audit.entries(AuditQuery())
        assert entries[-1].action == AuditAction.CHAIN_KEYED
        chain_id = json.loads(entries[-1].detail)["chain_id"]
        assert chain_id in keys.secrets
        assert {e.mac for e in entries} == {"hmac-sha256"}
        check = audit.verify()
        assert (check.ok, check.checked, check.key_status) == (True, 4, KeyStatus.KEYED)
        pepper = audit.pepper()
    assert pepper is not None
    assert len(pepper) == 32
    assert pepper != keys.secrets[chain_id]  # derived, not the secret itself
    with SqliteAuditLog(path, keys) as audit:  # a restart: same key, no second keying
        assert audit.pepper() == pepper
        assert audit.count(AuditQuery(actions=(AuditAction.CHAIN_KEYED,))) == 1


def test_an_up_to_date_keyed_log_opens_while_another_lane_holds_the_write_lock(
    path: Path,
) -> None:
    keys = MemoryChainKeys()
    with SqliteAuditLog(path, keys) as audit:
        fill(audit, 1)
    with raw(path) as other:
        other.execute("BEGIN IMMEDIATE")  # a CLI lane in the middle of a write
        try:
            started = time.monotonic()
            with SqliteAuditLog(path, keys, write_deadline=0.5) as audit:
                assert audit.key_status() is KeyStatus.KEYED
                assert audit.count(AuditQuery()) == 2
            # Waiting for the lock would have taken the 10 s busy timeout, then failed.
            assert time.monotonic() - started < 5
        finally:
            other.execute("ROLLBACK")


def test_a_keyed_chain_read_without_the_keyring_is_key_missing(path: Path) -> None:
    keys = MemoryChainKeys()
    with SqliteAuditLog(path, keys) as audit:
        fill(audit, 2)
    with SqliteAuditLog(path) as audit:
        assert audit.key_status() is KeyStatus.KEY_MISSING
        check = audit.verify()
        assert (check.ok, check.key_status) == (True, KeyStatus.KEY_MISSING)
        assert "could not be checked" in check.message
        # An entry written here cannot be signed: on the computer with the key, that
        # is a downgrade, and the check says which entry.
        written = audit.append(entry(5))
    with SqliteAuditLog(path, keys) as audit:
        check = audit.verify()
        assert (check.reason, check.broken_seq) == (AuditBreak.NOT_KEYED, written.seq)


def test_a_keyring_that_lost_the_key_starts_a_new_keyed_part(path: Path) -> None:
    keys = MemoryChainKeys()
    with SqliteAuditLog(path, keys) as audit:
        fill(audit, 2)
    keys.forget_all()
    with SqliteAuditLog(path, keys) as audit:
        (rekeyed, first) = audit.entries(AuditQuery(actions=(AuditAction.CHAIN_KEYED,)))
        assert json.loads(rekeyed.detail)["replaces"] == json.loads(first.detail)["chain_id"]
        audit.append(entry(9))
        assert audit.key_status() is KeyStatus.KEY_MISSING  # the first part stays unchecked
        check = audit.verify()
        assert check.ok
        assert "the signatures of 3 entries could not be checked" in check.message


def test_two_lanes_opening_a_file_not_keyed_yet_at_once_key_it_once(path: Path) -> None:
    """Lane B asks the keyring for the chain's key (none yet); before it takes the write
    lock, lane A opens and keys the file. B must find A's key, not start a second keyed
    part as if the keyring had lost it."""
    keys = MemoryChainKeys()
    with SqliteAuditLog(path) as audit:  # the file exists, not keyed yet
        fill(audit, 1)

    class Racing(MemoryChainKeys):
        def load(self, chain_id: str) -> bytes | None:
            found = keys.load(chain_id)
            if found is None and not keys.secrets:
                SqliteAuditLog(path, keys).close()  # lane A, in between
            return found

        def create(self, chain_id: str) -> bytes | None:
            return keys.create(chain_id)

        def keyed_chain(self, file_id: str) -> str | None:
            return keys.keyed_chain(file_id)

        def remember_keyed_chain(self, file_id: str, chain_id: str) -> bool:
            return keys.remember_keyed_chain(file_id, chain_id)

    with SqliteAuditLog(path, Racing()) as audit:  # lane B
        assert audit.count(AuditQuery(actions=(AuditAction.CHAIN_KEYED,))) == 1
        assert audit.key_status() is KeyStatus.KEYED
        assert audit.verify().ok
    assert len(keys.secrets) == 1


# -- the head ----------------------------------------------------------------------------------


def test_the_head_is_the_newest_entry(audit: SqliteAuditLog) -> None:
    assert audit.head() == AuditHead(0, GENESIS_HASH)
    fill(audit, 3)
    newest = audit.entries(AuditQuery(limit=1))[0]
    assert audit.head() == AuditHead(3, newest.hash)
    assert audit.head().short == f"3:{newest.hash[:20]}"
    assert audit.verify().head == audit.head()


def test_a_head_taken_earlier_is_found_in_any_form(audit: SqliteAuditLog) -> None:
    fill(audit, 3)
    head = audit.head()
    fill(audit, 2)  # the chain grew since the report was printed
    for given in (head.short, head.hash, head.hash[:12].upper(), f" {head.short} "):
        assert audit.verify(head=given).ok, given


def test_the_empty_logs_head_is_in_every_chain(audit: SqliteAuditLog) -> None:
    empty = audit.head().short
    fill(audit, 2)
    assert audit.verify(head=empty).ok


def test_a_head_that_is_not_in_the_chain_is_reported(audit: SqliteAuditLog) -> None:
    fill(audit, 3)
    check = audit.verify(head="7:" + "ab" * 10)
    assert (check.ok, check.reason, check.broken_seq) == (False, AuditBreak.HEAD_NOT_FOUND, 7)
    assert "it ends at entry 3" in check.message
    check = audit.verify(head="ab" * 8)
    assert (check.reason, check.broken_seq) == (AuditBreak.HEAD_NOT_FOUND, None)


@pytest.mark.parametrize("given", ["", "3", "3:abc", "xyz" * 5, "3:" + "g" * 20, "a" * 65])
def test_a_malformed_head_is_refused_with_a_sentence(audit: SqliteAuditLog, given: str) -> None:
    with pytest.raises(InvalidInputError, match="at least 12 hex digits"):
        audit.verify(head=given)


# -- the JSON export ---------------------------------------------------------------------------


def test_the_json_export_has_the_head_the_key_status_and_every_entry(
    audit: SqliteAuditLog, tmp_path: Path
) -> None:
    fill(audit, 3)
    target = tmp_path / "audit.json"
    assert audit.export_json(target) == 3
    assert not (tmp_path / "audit.json.part").exists()
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["head"] == {"seq": 3, "hash": audit.head().hash, "short": audit.head().short}
    assert data["key_status"] == "no_keyring"
    assert [e["seq"] for e in data["entries"]] == [1, 2, 3]
    second = data["entries"][1]
    names = ("seq", "at", "who", "lane", "action", "subject", "detail", "outcome", "prev_hash")
    fields = [second[name] for name in names]
    assert entry_hash(*fields) == second["hash"]  # anyone can recompute it


def test_an_empty_log_exports_as_valid_json(audit: SqliteAuditLog) -> None:
    stream = io.StringIO()
    assert audit.export_json(stream) == 0
    assert json.loads(stream.getvalue())["entries"] == []
