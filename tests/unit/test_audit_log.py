"""The SQLite audit log: append-only, hash-chained, and an edit made behind its back shows."""

from __future__ import annotations

import csv
import io
import os
import sqlite3
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pos_app.domain.pin import LockState
from pos_app.services.audit_log import AuditBreak, AuditLog, AuditQuery, NewAuditEntry
from pos_app.services.manager import PinStore
from pos_app.storage.audit import (
    GENESIS_HASH,
    SCHEMA_VERSION,
    AuditLogError,
    SqliteAuditLog,
    entry_hash,
)

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
    store: PinStore = audit
    assert log is audit
    assert store is audit


def test_a_new_file_has_its_schema_wal_and_full_sync(audit: SqliteAuditLog, path: Path) -> None:
    assert audit.schema_version == SCHEMA_VERSION == 1
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
            "INSERT INTO audit_entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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


def test_the_pin_state_starts_empty_and_persists(path: Path) -> None:
    until = T0 + timedelta(minutes=30)
    with SqliteAuditLog(path) as store:
        assert store.load_pin_hash() is None
        assert store.load_lock() == LockState()
        assert store.replace_pin_hash(None, "scrypt$16$1$1$c2FsdA==$aGFzaA==")
        assert store.update_lock(lambda s: LockState(s.failed_tries + 10, until)).failed_tries == 10
    with SqliteAuditLog(path) as store:  # a restart
        assert store.load_pin_hash() == "scrypt$16$1$1$c2FsdA==$aGFzaA=="
        assert store.load_lock() == LockState(10, until)


def test_the_pin_hash_is_replaced_only_from_the_expected_one(audit: SqliteAuditLog) -> None:
    first, second = "scrypt$16$1$1$YQ==$Yg==", "scrypt$16$1$1$Yw==$ZA=="
    assert audit.replace_pin_hash(None, first)
    assert not audit.replace_pin_hash(None, second)  # another lane set one meanwhile
    assert audit.load_pin_hash() == first
    assert audit.replace_pin_hash(first, second)
    assert audit.load_pin_hash() == second


def test_the_database_refuses_a_pin_that_is_not_a_hash(audit: SqliteAuditLog) -> None:
    with pytest.raises(AuditLogError) as refused:
        audit.replace_pin_hash(None, "735190")
    assert isinstance(refused.value.__cause__, sqlite3.IntegrityError)
    assert audit.load_pin_hash() is None


def test_an_old_pin_hash_does_not_linger_in_the_file(path: Path) -> None:
    old, new = "scrypt$16$1$1$b2xkb2xkb2xk$T0xESEFTSA==", "scrypt$16$1$1$bmV3bmV3$TkVXSEFTSA=="
    with SqliteAuditLog(path) as store:
        store.replace_pin_hash(None, old)
        store.replace_pin_hash(old, new)
    data = b"".join(p.read_bytes() for p in path.parent.iterdir())
    assert new.encode() in data
    assert old.encode() not in data


def test_opening_the_same_file_twice_shares_one_chain(path: Path) -> None:
    with SqliteAuditLog(path) as lane_1, SqliteAuditLog(path) as lane_2:
        lane_1.append(entry(0))
        lane_2.append(entry(1))
        lane_1.append(entry(2))
        assert lane_2.verify().ok
        assert lane_2.verify().checked == 3
    assert os.path.exists(path)
