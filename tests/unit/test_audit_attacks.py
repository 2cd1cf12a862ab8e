"""The issue's attacks, played against the audit FILE with sqlite3 as a dishonest
employee with file access would: drop the triggers, then edit, delete, rewrite.

Each attack is played on a lane whose chain is keyed (a keyring holds its key)
and on one without a keyring (a plain chain, where a head printed earlier is the
anchor). Every one must be found by `verify()`, and the message must name what:
the entry, or the person and the field.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pos_app.services.audit_log import (
    AuditAction,
    AuditBreak,
    AuditCheck,
    AuditQuery,
    KeyStatus,
    NewAuditEntry,
    StaffRecord,
)
from pos_app.storage.audit import SqliteAuditLog
from tests.support.file_keyring import MemoryChainKeys

T0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
ANN_HASH = "scrypt$16384$8$1$QW5uU2FsdA==$QW5uSGFzaEFubkhhc2g="
BOB_HASH = "scrypt$16384$8$1$Qm9iU2FsdA==$Qm9iSGFzaEJvYkhhc2g="
FORGED_HASH = "scrypt$16384$8$1$RXZlU2FsdA==$RXZlSGFzaEV2ZUhhc2g="
RECOVERY_HASH = "scrypt$16384$8$1$UmVjU2FsdA==$UmVjSGFzaFJlY0hhc2g="

Row = list[object]


def entry(
    action: str, subject: str | None = None, minutes: int = 0, **detail: int
) -> NewAuditEntry:
    return NewAuditEntry(
        at=T0 + timedelta(minutes=minutes),
        who="Bob",
        lane="1",
        action=action,
        subject=subject,
        detail=detail,
        outcome="ok",
    )


@dataclass
class Shop:
    """A lane's audit file after a morning's work, and how to open it again."""

    path: Path
    keys: MemoryChainKeys | None
    head_before: str  # the head printed on yesterday's report
    refund_seq: int  # an entry holding an amount

    def open(self) -> SqliteAuditLog:
        return SqliteAuditLog(self.path, self.keys, lane="1")

    def verify(self, head: str | None = None) -> AuditCheck:
        with self.open() as log:
            return log.verify(head)


@pytest.fixture(params=["keyed", "no_keyring"])
def shop(request: pytest.FixtureRequest, tmp_path: Path) -> Shop:
    return make_shop(tmp_path, MemoryChainKeys() if request.param == "keyed" else None)


@pytest.fixture
def keyed_shop(tmp_path: Path) -> Shop:
    return make_shop(tmp_path, MemoryChainKeys())


@pytest.fixture
def plain_shop(tmp_path: Path) -> Shop:
    return make_shop(tmp_path, None)


def make_shop(tmp_path: Path, keys: MemoryChainKeys | None) -> Shop:
    path = tmp_path / "audit.sqlite3"
    with SqliteAuditLog(path, keys, lane="1") as log:
        ann = log.save_staff(
            None,
            StaffRecord(None, "Ann", "cashier", True, ANN_HASH, 0, None),
            entry(AuditAction.STAFF_ADDED, "Ann"),
        )
        log.save_staff(
            None,
            StaffRecord(None, "Bob", "manager", True, BOB_HASH, 0, None),
            entry(AuditAction.STAFF_ADDED, "Bob"),
        )
        assert log.save_recovery_hash(None, RECOVERY_HASH, entry(AuditAction.RECOVERY_CODE_SET))
        refund = log.append(entry(AuditAction.REFUND, "op_1", 5, amount_cents=1500))
        log.append(entry(AuditAction.REFUND, "op_2", 6, amount_cents=2500))
        assert ann is not None
        locked = replace(ann, failed_tries=10, locked_until=T0 + timedelta(minutes=40))
        assert log.save_staff(ann, locked, entry(AuditAction.PIN_LOCKED, "Ann", 10)) is not None
        head_before = log.head().short
        log.append(entry(AuditAction.VOID, "op_3", 20, amount_cents=900))
        log.append(entry(AuditAction.REFUND, "op_4", 21, amount_cents=4000))
        assert log.verify().ok
        assert log.key_status() is (KeyStatus.KEYED if keys else KeyStatus.NO_KEYRING)
    return Shop(path, keys, head_before, refund.seq)


def sql(path: Path) -> sqlite3.Connection:
    """The file as the sqlite3 tool opens it, the append-only triggers dropped."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
    return conn


def attacker_sha256(row: Row) -> str:
    """The public v1 seal, as the attacker recomputes it (about as long as this)."""
    fields = ["pos-audit-v1", *row[:9]]
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()


def attacker_hmac(key: bytes) -> Callable[[Row], str]:
    def seal(row: Row) -> str:
        fields = ["pos-audit-v2-hmac", *row[:9]]
        canonical = json.dumps(fields, separators=(",", ":")).encode()
        return hmac.new(key, canonical, hashlib.sha256).hexdigest()

    return seal


def rewrite(
    path: Path, change: Callable[[list[Row]], list[Row]], seal: Callable[[Row], str], mac: str
) -> None:
    """Change the entries, then renumber, relink and reseal every one and move the head:
    a consistent chain, made without the app."""
    columns = "seq, at, who, lane, action, subject, detail, outcome, prev_hash, hash, mac"
    with sql(path) as conn:
        rows = [list(r) for r in conn.execute(f"SELECT {columns} FROM audit_entries ORDER BY seq")]
        rows = change(rows)
        conn.execute("DELETE FROM audit_entries")
        prev = "0" * 64
        for number, row in enumerate(rows, start=1):
            row[0], row[8], row[10] = number, prev, mac
            row[9] = prev = seal(row)
            conn.execute(
                f"INSERT INTO audit_entries ({columns}) VALUES ({','.join('?' * 11)})", row
            )
        conn.execute("UPDATE lane_state SET head_seq = ?, head_hash = ?", (len(rows), prev))


def set_amount(seq: int, cents: int) -> Callable[[list[Row]], list[Row]]:
    def change(rows: list[Row]) -> list[Row]:
        detail = json.loads(str(rows[seq - 1][6]))
        detail["amount_cents"] = cents
        rows[seq - 1][6] = json.dumps(detail, sort_keys=True, separators=(",", ":"))
        return rows

    return change


def assert_found(check: AuditCheck, reason: AuditBreak, *words: str) -> None:
    assert not check.ok, check
    assert check.reason is reason, check
    for word in words:
        assert word in check.message, check.message


# -- the entries ---------------------------------------------------------------------------


def test_an_edited_amount_is_found_naming_the_entry(shop: Shop) -> None:
    seq = shop.refund_seq
    with sql(shop.path) as conn:
        conn.execute(
            "UPDATE audit_entries SET detail = json_set(detail, '$.amount_cents', 1) WHERE seq = ?",
            (seq,),
        )
    check = shop.verify()
    reason = AuditBreak.NOT_KEYED if shop.keys else AuditBreak.CONTENT_CHANGED
    assert_found(check, reason, f"entry {seq} was changed after it was written")
    assert check.broken_seq == seq


def test_a_deleted_entry_is_found_naming_it(shop: Shop) -> None:
    seq = shop.refund_seq
    with sql(shop.path) as conn:
        conn.execute("DELETE FROM audit_entries WHERE seq = ?", (seq,))
    check = shop.verify()
    assert_found(check, AuditBreak.MISSING, f"entry {seq} is missing")
    assert check.broken_seq == seq


def test_a_chain_rewritten_with_plain_sha256_fails_where_it_was_keyed(keyed_shop: Shop) -> None:
    rewrite(keyed_shop.path, set_amount(keyed_shop.refund_seq, 1), attacker_sha256, "sha256")
    check = keyed_shop.verify()
    assert_found(check, AuditBreak.NOT_KEYED, "entry 1 ", "not signed")
    assert check.broken_seq == 1  # the first entry: the one that keyed the log


def test_a_chain_rewritten_with_a_wrong_key_fails_at_the_first_entry(keyed_shop: Shop) -> None:
    forged = attacker_hmac(secrets.token_bytes(32))
    rewrite(keyed_shop.path, set_amount(keyed_shop.refund_seq, 1), forged, "hmac-sha256")
    check = keyed_shop.verify()
    assert_found(check, AuditBreak.NOT_KEYED, "entry 1 ", "signature does not match")
    assert check.broken_seq == 1


def test_a_chain_rewritten_without_its_keyed_entries_fails(keyed_shop: Shop) -> None:
    def drop_keying(rows: list[Row]) -> list[Row]:
        return [row for row in rows if row[4] != AuditAction.CHAIN_KEYED]

    rewrite(keyed_shop.path, drop_keying, attacker_sha256, "sha256")
    check = keyed_shop.verify()
    assert_found(check, AuditBreak.NOT_KEYED, "keyring holds the log's key")


def test_a_consistent_rewrite_of_a_plain_chain_is_found_by_the_printed_head(
    plain_shop: Shop,
) -> None:
    rewrite(plain_shop.path, set_amount(plain_shop.refund_seq, 1), attacker_sha256, "sha256")
    assert plain_shop.verify().ok  # without a key, only a head kept elsewhere shows it
    seq = int(plain_shop.head_before.split(":")[0])
    check = plain_shop.verify(head=plain_shop.head_before)
    assert_found(check, AuditBreak.HEAD_NOT_FOUND, plain_shop.head_before, f"entry {seq}")
    assert check.broken_seq == seq
    with plain_shop.open() as log:
        assert log.key_status() is KeyStatus.NO_KEYRING


def test_a_rewrite_also_loses_a_head_taken_before_it_when_keyed(keyed_shop: Shop) -> None:
    rewrite(keyed_shop.path, set_amount(keyed_shop.refund_seq, 1), attacker_sha256, "sha256")
    check = keyed_shop.verify(head=keyed_shop.head_before)
    assert not check.ok  # the key finds it first; the head would too
    assert check.reason is AuditBreak.NOT_KEYED


def test_deleting_the_newest_entries_is_found(shop: Shop) -> None:
    with sql(shop.path) as conn:
        last = conn.execute("SELECT max(seq) FROM audit_entries").fetchone()[0]
        conn.execute("DELETE FROM audit_entries WHERE seq > ?", (last - 2,))
    check = shop.verify()
    assert_found(check, AuditBreak.TRUNCATED, f"entry {last - 1} and later ones were deleted")


def test_deleting_the_newest_entries_and_moving_the_head_is_found_by_the_printed_head(
    shop: Shop,
) -> None:
    head_seq = int(shop.head_before.split(":")[0])
    with sql(shop.path) as conn:
        conn.execute("DELETE FROM audit_entries WHERE seq >= ?", (head_seq,))
        prev = conn.execute("SELECT seq, hash FROM audit_entries ORDER BY seq DESC").fetchone()
        conn.execute("UPDATE lane_state SET head_seq = ?, head_hash = ?", prev)
    check = shop.verify(head=shop.head_before)
    assert_found(check, AuditBreak.HEAD_NOT_FOUND, shop.head_before, f"entry {head_seq} and later")
    # Without the head: the deleted entry had locked Ann, and her row still says so.
    assert_found(shop.verify(), AuditBreak.STATE_CHANGED, "the lockout of Ann was changed")


def test_a_downgraded_entry_after_the_keyed_point_is_found(keyed_shop: Shop) -> None:
    seq = keyed_shop.refund_seq

    # Relabel the tail from `seq` on as unkeyed with recomputed SHA-256 seals: the part
    # before keeps its signatures, so the chain is consistent but for the labels.
    columns = "seq, at, who, lane, action, subject, detail, outcome, prev_hash, hash, mac"
    with sql(keyed_shop.path) as conn:
        rows = [list(r) for r in conn.execute(f"SELECT {columns} FROM audit_entries ORDER BY seq")]
        prev = str(rows[seq - 2][9])
        for row in rows[seq - 1 :]:
            row[8], row[10] = prev, "sha256"
            row[9] = prev = attacker_sha256(row)
            conn.execute(
                "UPDATE audit_entries SET prev_hash = ?, hash = ?, mac = ? WHERE seq = ?",
                (row[8], row[9], row[10], row[0]),
            )
        conn.execute("UPDATE lane_state SET head_hash = ?", (prev,))
    check = keyed_shop.verify()
    assert_found(check, AuditBreak.NOT_KEYED, f"entry {seq} is not signed", "keyed at entry 1")
    assert check.broken_seq == seq


# -- the state the chain commits to ------------------------------------------------------


def test_a_replaced_pin_hash_is_found_naming_the_person(shop: Shop) -> None:
    with sql(shop.path) as conn:
        conn.execute("UPDATE staff SET pin_hash = ? WHERE name = 'Ann'", (FORGED_HASH,))
    assert_found(shop.verify(), AuditBreak.STATE_CHANGED, "the PIN hash of Ann was changed")


def test_a_cleared_pin_hash_is_found(shop: Shop) -> None:
    with sql(shop.path) as conn:
        conn.execute("UPDATE staff SET pin_hash = 'scrypt$' WHERE name = 'Bob'")
    assert_found(shop.verify(), AuditBreak.STATE_CHANGED, "the PIN hash of Bob was changed")


def test_a_reset_lockout_is_found(shop: Shop) -> None:
    with sql(shop.path) as conn:
        conn.execute("UPDATE staff SET failed_tries = 0, locked_until = NULL WHERE name = 'Ann'")
    assert_found(shop.verify(), AuditBreak.STATE_CHANGED, "the lockout of Ann was reset")


def test_a_promoted_cashier_is_found(shop: Shop) -> None:
    with sql(shop.path) as conn:
        conn.execute("UPDATE staff SET role = 'owner' WHERE name = 'Ann'")
    assert_found(shop.verify(), AuditBreak.STATE_CHANGED, "the role of Ann was changed")


def test_a_person_added_by_hand_is_found(shop: Shop) -> None:
    with sql(shop.path) as conn:
        conn.execute(
            "INSERT INTO staff (name, role, active, pin_hash, failed_tries, created_at)"
            " VALUES ('Eve', 'owner', 1, ?, 0, '2025-03-14T09:00:00+00:00')",
            (FORGED_HASH,),
        )
    check = shop.verify()
    assert_found(check, AuditBreak.STATE_CHANGED, "Eve was added outside the app")
    assert check.broken_seq is None


def test_a_person_deleted_by_hand_is_found(shop: Shop) -> None:
    with sql(shop.path) as conn:
        conn.execute("DELETE FROM staff WHERE name = 'Bob'")
    assert_found(shop.verify(), AuditBreak.STATE_CHANGED, "Bob was removed outside the app")


def test_a_replaced_recovery_hash_is_found(shop: Shop) -> None:
    with sql(shop.path) as conn:
        conn.execute("UPDATE lane_state SET recovery_hash = ?", (FORGED_HASH,))
    assert_found(shop.verify(), AuditBreak.STATE_CHANGED, "recovery code was changed")


def test_state_changes_made_through_the_app_stay_intact(shop: Shop) -> None:
    with shop.open() as log:
        ann = log.find_staff("ann")
        assert ann is not None
        unlocked = replace(ann, failed_tries=0, locked_until=None)
        assert log.save_staff(ann, unlocked, entry(AuditAction.STAFF_UNLOCKED, "Ann", 30))
        assert log.verify().ok


def test_deleting_the_keyed_entry_and_all_after_it_is_found_while_the_keyring_has_the_key(
    tmp_path: Path,
) -> None:
    path, keys = tmp_path / "audit.sqlite3", MemoryChainKeys()
    with SqliteAuditLog(path, lane="1") as log:  # a lane that ran without a keyring first
        for minute in range(3):
            log.append(entry(AuditAction.REFUND, f"op_{minute}", minute, amount_cents=100))
    with SqliteAuditLog(path, keys, lane="1") as log:  # then the keyring appeared
        keyed = log.head().seq
        log.append(entry(AuditAction.REFUND, "op_9", 9, amount_cents=5000))
        assert log.verify().ok
    with sql(path) as conn:  # back to the plain part, head and all
        conn.execute("DELETE FROM audit_entries WHERE seq >= ?", (keyed,))
        last = conn.execute("SELECT seq, hash FROM audit_entries ORDER BY seq DESC").fetchone()
        conn.execute("UPDATE lane_state SET head_seq = ?, head_hash = ?", last)
    for _ in range(2):  # reopening does not "heal" it with a new keyed entry
        with SqliteAuditLog(path, keys, lane="1") as log:
            check = log.verify()
            assert_found(check, AuditBreak.NOT_KEYED, "keyring holds the log's key")
            assert log.head().seq == keyed - 1


# -- a replaced chain id: the keyring remembers which chain this computer keyed the file as --


def chain_id(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("SELECT chain_id FROM lane_state").fetchone()[0])


def set_chain_id(path: Path, new: str) -> None:
    with sql(path) as conn:
        conn.execute("UPDATE lane_state SET chain_id = ?", (new,))


def replaced(before: str, now: str) -> str:
    return (
        f"this computer keyed this audit log as chain {before}; the file now says {now}:"
        " the log was replaced or rewritten"
    )


def drop_keying_and_edit(seq: int) -> Callable[[list[Row]], list[Row]]:
    """Drop the CHAIN_KEYED entry (the chain then reads as never keyed) and set the
    amount of the refund that was entry `seq`, one place earlier once it is gone."""

    def change(rows: list[Row]) -> list[Row]:
        kept = [row for row in rows if row[4] != AuditAction.CHAIN_KEYED]
        return set_amount(seq - 1, 1)(kept)

    return change


@pytest.mark.parametrize("reopened", [True, False], ids=["reopened", "while_running"])
def test_a_replaced_chain_id_with_the_chain_rewritten_plain_is_found(
    keyed_shop: Shop, reopened: bool
) -> None:
    """The attack the keyring alone could not see: a fresh chain id, the whole chain
    rewritten as plain SHA-256 without its CHAIN_KEYED entry, the head moved. The file
    then reads as a lane never keyed; what the keyring remembers of this file says
    otherwise."""
    assert keyed_shop.keys is not None
    keyed_as = chain_id(keyed_shop.path)
    swapped = secrets.token_hex(16)
    running = None if reopened else keyed_shop.open()  # the app, open across the attack
    try:
        rewrite(
            keyed_shop.path, drop_keying_and_edit(keyed_shop.refund_seq), attacker_sha256,
            "sha256",
        )  # fmt: skip
        set_chain_id(keyed_shop.path, swapped)
        with sqlite3.connect(keyed_shop.path) as conn:
            written = conn.execute("SELECT head_seq, head_hash FROM lane_state").fetchone()
        for _ in range(2):  # opening again does not key the swapped chain: still found
            log = running or keyed_shop.open()
            try:
                head = log.head()
                check = log.verify()
                assert_found(check, AuditBreak.NOT_KEYED, replaced(keyed_as, swapped))
                assert check.broken_seq is None
                assert check.key_status is KeyStatus.KEY_MISSING
                assert log.key_status() is KeyStatus.KEY_MISSING
            finally:
                if running is None:
                    log.close()
            assert (head.seq, head.hash) == written  # nothing was written at open
    finally:
        if running is not None:
            running.close()
    assert chain_id(keyed_shop.path) == swapped
    assert swapped not in keyed_shop.keys.secrets  # no key was made for it
    assert list(keyed_shop.keys.files.values()) == [keyed_as]  # the memory is not moved


def test_a_replaced_chain_id_is_found_even_with_the_keyed_entries_left_in(
    keyed_shop: Shop,
) -> None:
    """Only the chain id swapped: the keyed entries stay and cannot be checked under the
    new id, which without the memory read as a keyring that lost the key."""
    keyed_as, swapped = chain_id(keyed_shop.path), secrets.token_hex(16)
    with keyed_shop.open() as log:
        pepper = log.pepper()
    assert pepper is not None
    set_chain_id(keyed_shop.path, swapped)
    check = keyed_shop.verify()
    assert_found(check, AuditBreak.NOT_KEYED, replaced(keyed_as, swapped))
    with keyed_shop.open() as log:
        assert log.count(AuditQuery(actions=(AuditAction.CHAIN_KEYED,))) == 1  # no re-keying
        # The PINs were peppered with this computer's key for the lane, not the file's
        # claim: people can still sign in to look into it.
        assert log.pepper() == pepper


def test_a_chain_id_that_is_not_one_is_not_echoed_as_written(keyed_shop: Shop) -> None:
    keyed_as = chain_id(keyed_shop.path)
    set_chain_id(keyed_shop.path, "\x1b[2J; the log is intact. " * 4)
    check = keyed_shop.verify()
    assert_found(check, AuditBreak.NOT_KEYED, f"keyed this audit log as chain {keyed_as};")
    assert "\x1b" not in check.message
    said = "the file now says '\\x1b[2J; the log is intact. \\x1b[2J; the log i':"
    assert said in check.message


def test_a_chain_id_that_is_not_one_is_replaced_at_the_first_keying(plain_shop: Shop) -> None:
    """A lane that ran without a keyring, its chain id edited to blanks (which name no
    keyring entry), keyed on a computer that remembers nothing of it: keyed under a
    fresh chain id, and intact."""
    set_chain_id(plain_shop.path, " " * 16)
    keys = MemoryChainKeys()
    check = replace(plain_shop, keys=keys).verify()
    assert (check.ok, check.key_status) == (True, KeyStatus.KEYED), check
    fresh = chain_id(plain_shop.path)
    assert fresh.strip()
    assert list(keys.files.values()) == [fresh]


@pytest.mark.parametrize("new_chain", ["fresh", "another_lanes"])
def test_a_forged_re_keying_is_not_taken_for_one_made_here(
    keyed_shop: Shop, tmp_path: Path, new_chain: str
) -> None:
    """A re-keying made here moves what the keyring remembers. A forged one (a CHAIN_KEYED
    entry naming a new chain that `replaces` this one, marked signed but not with the new
    chain's key, and the tail rewritten under it) is not one, even when the chain it names
    is one whose key this keyring holds (another lane's)."""
    assert keyed_shop.keys is not None
    keyed_as, forged_id = chain_id(keyed_shop.path), secrets.token_hex(16)
    if new_chain == "another_lanes":
        forged_id = chain_id(make_shop(tmp_path / "two", keyed_shop.keys).path)
    forged = attacker_hmac(secrets.token_bytes(32))

    def take_over(rows: list[Row]) -> list[Row]:
        keying = [*rows[0]]
        keying[4] = AuditAction.CHAIN_KEYED.value
        keying[6] = json.dumps({"chain_id": forged_id, "replaces": keyed_as}, sort_keys=True)
        return [*rows[:2], keying, *set_amount(keyed_shop.refund_seq, 1)(rows)[2:]]

    columns = "seq, at, who, lane, action, subject, detail, outcome, prev_hash, hash, mac"
    with sql(keyed_shop.path) as conn:
        rows = [list(r) for r in conn.execute(f"SELECT {columns} FROM audit_entries ORDER BY seq")]
    rows = take_over(rows)
    with sql(keyed_shop.path) as conn:  # the first two entries keep their true signatures
        conn.execute("DELETE FROM audit_entries WHERE seq > 2")
        prev = str(rows[1][9])
        for number, row in enumerate(rows[2:], start=3):
            row[0], row[8], row[10] = number, prev, "hmac-sha256"
            row[9] = prev = forged(row)
            conn.execute(
                f"INSERT INTO audit_entries ({columns}) VALUES ({','.join('?' * 11)})", row
            )
        conn.execute("UPDATE lane_state SET head_seq = ?, head_hash = ?", (len(rows), prev))
    set_chain_id(keyed_shop.path, forged_id)
    check = keyed_shop.verify()
    assert_found(check, AuditBreak.NOT_KEYED, replaced(keyed_as, forged_id))


def test_another_lanes_file_put_in_place_of_this_one_is_found(tmp_path: Path) -> None:
    """Two lanes on one computer, one keyring: each file is remembered as its own chain,
    so lane 2's file (signed, intact, with its own key) copied over lane 1's is found."""
    keys = MemoryChainKeys()
    one, two = make_shop(tmp_path / "one", keys), make_shop(tmp_path / "two", keys)
    assert len(keys.files) == 2
    assert one.verify().ok
    assert two.verify().ok
    first, second = chain_id(one.path), chain_id(two.path)
    assert first != second
    one.path.write_bytes(two.path.read_bytes())
    assert_found(one.verify(), AuditBreak.NOT_KEYED, replaced(first, second))
    assert two.verify().ok


def test_a_rewrite_under_a_new_chain_id_is_also_found_by_the_printed_head(
    keyed_shop: Shop,
) -> None:
    """On a computer that remembers nothing of this file (a new one, or a keyring that
    lost everything) the swapped file reads as a lane keyed for the first time: only the
    head printed on paper finds the rewrite there."""
    rewrite(keyed_shop.path, drop_keying_and_edit(keyed_shop.refund_seq), attacker_sha256, "sha256")
    set_chain_id(keyed_shop.path, secrets.token_hex(16))
    elsewhere = replace(keyed_shop, keys=MemoryChainKeys())
    assert elsewhere.verify().ok
    check = elsewhere.verify(head=keyed_shop.head_before)
    assert_found(check, AuditBreak.HEAD_NOT_FOUND, keyed_shop.head_before)


def test_a_plain_rewrite_after_the_key_was_deleted_from_the_keyring_is_found(
    keyed_shop: Shop,
) -> None:
    """The chain id kept, the key deleted from the keyring, the chain rewritten plain
    without its CHAIN_KEYED entry: this computer remembers keying this file as that
    chain, so the file is not keyed afresh as a new lane's would be."""
    assert keyed_shop.keys is not None
    keyed_as = chain_id(keyed_shop.path)
    rewrite(keyed_shop.path, drop_keying_and_edit(keyed_shop.refund_seq), attacker_sha256, "sha256")
    keyed_shop.keys.forget(keyed_as)
    for _ in range(2):
        check = keyed_shop.verify()
        assert_found(check, AuditBreak.NOT_KEYED, "remembers keying this log", "no entry is signed")
    assert chain_id(keyed_shop.path) == keyed_as
    assert keyed_as not in keyed_shop.keys.secrets


# -- ...while what a shop really does stays intact ----------------------------------------


def test_a_new_lane_keys_itself_and_remembers_its_chain(tmp_path: Path) -> None:
    keys = MemoryChainKeys()
    path = tmp_path / "audit.sqlite3"
    with SqliteAuditLog(path, keys, lane="1") as log:
        assert log.key_status() is KeyStatus.KEYED
        assert log.count(AuditQuery(actions=(AuditAction.CHAIN_KEYED,))) == 1
    assert list(keys.files.values()) == [chain_id(path)]
    assert chain_id(path) in keys.secrets
    with SqliteAuditLog(path, keys, lane="1") as log:
        assert log.verify().ok


def test_a_keyring_that_lost_everything_starts_a_new_keyed_part_as_before(
    keyed_shop: Shop,
) -> None:
    assert keyed_shop.keys is not None
    first = chain_id(keyed_shop.path)
    keyed_shop.keys.forget_all()
    for _ in range(2):
        check = keyed_shop.verify()
        assert (check.ok, check.key_status) == (True, KeyStatus.KEY_MISSING), check
    second = chain_id(keyed_shop.path)
    assert second != first
    assert list(keyed_shop.keys.files.values()) == [second]


def test_a_keyring_that_lost_only_the_key_moves_what_it_remembers(keyed_shop: Shop) -> None:
    assert keyed_shop.keys is not None
    first = chain_id(keyed_shop.path)
    keyed_shop.keys.forget(first)
    with keyed_shop.open() as log:
        rekeyed = log.entries(AuditQuery(actions=(AuditAction.CHAIN_KEYED,), limit=1))[0]
        assert json.loads(rekeyed.detail)["replaces"] == first
        assert log.verify().ok
    second = chain_id(keyed_shop.path)
    assert list(keyed_shop.keys.files.values()) == [second]
    assert keyed_shop.verify().ok  # and again, opened anew


def test_a_re_keying_whose_memory_was_not_kept_is_recognised_and_remembered(
    keyed_shop: Shop,
) -> None:
    """The app stopped after the re-keying entry was written and before the keyring noted
    the new chain: the entry is signed with a key this keyring holds, so it is one made
    here, not a replaced file."""
    keys = keyed_shop.keys
    assert keys is not None
    first = chain_id(keyed_shop.path)
    keys.forget(first)
    with keyed_shop.open() as log:
        second = chain_id(keyed_shop.path)
        (file_id,) = keys.files
        keys.files[file_id] = first  # as if the keyring had not been told yet
        assert log.verify().ok  # the running app: ok
    assert keyed_shop.verify().ok  # reopened: ok, and remembered now
    assert keys.files == {file_id: second}


def test_a_lane_keyed_before_files_were_remembered_is_remembered_when_opened(
    keyed_shop: Shop,
) -> None:
    assert keyed_shop.keys is not None
    keyed_shop.keys.files.clear()  # an older app kept only the key
    assert keyed_shop.verify().ok
    assert list(keyed_shop.keys.files.values()) == [chain_id(keyed_shop.path)]


def test_a_file_moved_to_a_new_computer_is_key_missing_as_before(
    keyed_shop: Shop, tmp_path: Path
) -> None:
    assert keyed_shop.keys is not None
    remembered_there = dict(keyed_shop.keys.files)
    moved = tmp_path / "new_computer" / "audit.sqlite3"
    moved.parent.mkdir()
    moved.write_bytes(keyed_shop.path.read_bytes())
    here = Shop(moved, MemoryChainKeys(), keyed_shop.head_before, keyed_shop.refund_seq)
    check = here.verify()
    assert (check.ok, check.key_status) == (True, KeyStatus.KEY_MISSING), check
    assert here.keys is not None
    assert list(here.keys.files.values()) == [chain_id(moved)]  # its new keyed part
    assert keyed_shop.keys.files == remembered_there
    assert keyed_shop.verify().ok  # the original, on the first computer


def test_a_folder_moved_on_the_same_computer_stays_keyed(keyed_shop: Shop, tmp_path: Path) -> None:
    """The memory is per path: at a new path nothing is remembered yet, the chain's key is
    still in the keyring, so the lane stays KEYED and the new path is remembered."""
    assert keyed_shop.keys is not None
    moved = tmp_path / "moved" / "audit.sqlite3"
    moved.parent.mkdir()
    keyed_shop.path.rename(moved)
    here = replace(keyed_shop, path=moved)
    check = here.verify()
    assert (check.ok, check.key_status) == (True, KeyStatus.KEYED), check
    assert list(keyed_shop.keys.files.values()) == [chain_id(moved)] * 2
