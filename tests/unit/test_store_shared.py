"""What the lanes of a store share, against a store in memory: staff merged by the newest
change (a lockout and an unlock reach every lane, a stale pull changes nothing, the
audit entry names the lane that changed it), the catalog and the shared settings taken
into the lane's files, and the lane's audit chain compared with the store's copy."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pos_app.domain.staff import StaffRole
from pos_app.domain.store_shared import STORE_CATALOG_FILE, STORE_SETTINGS_FILE
from pos_app.resources import load_catalog
from pos_app.services.audit_log import AuditAction, AuditEntry, AuditQuery
from pos_app.services.manager import ManagerService
from pos_app.services.sign_in import SignInStatus
from pos_app.services.store_shared import (
    STORE_WHO,
    CatalogPull,
    SettingsPull,
    StaffPull,
    StoreAuditState,
    compare_audit_with_store,
    settings_toml,
)
from pos_app.storage.audit import SqliteAuditLog
from tests.support.manager import FAST_SCRYPT, Clock
from tests.support.shared_store import MemoryStoreLink
from tests.support.staff_screens import (
    CASHIER,
    CASHIER_PIN,
    OWNER,
    OWNER_PIN,
    WRONG,
    add_staff,
)

CATALOG = '[[item]]\ncode = "A1"\nname = "Tea"\nprice = "2.50"\n'
OTHER_CATALOG = '[[item]]\ncode = "B2"\nname = "Cake"\nprice = "3.75"\n'


class Lane:
    """One lane of the store: its audit log (PINs plain, as in a store) and staff service."""

    def __init__(self, name: str, clock: Clock) -> None:
        self.name = name
        self.log = SqliteAuditLog(":memory:", lane=name, shared_pins=True)
        self.service = ManagerService(
            self.log, self.log, lane=name, clock=clock, scrypt=FAST_SCRYPT
        )
        self.cursor: dict[str, str] = {}
        self.pull = StaffPull(
            self.log,
            name,
            (lambda: self.cursor.get("staff"), lambda v: self.cursor.__setitem__("staff", v)),
            now=clock,
        )

    def send_staff(self, store: MemoryStoreLink) -> None:
        """What the lane's outbox does for its people."""
        for record in self.log.list_staff():
            store.put_person(record, self.name)

    def synced(self) -> list[AuditEntry]:
        return self.log.entries(AuditQuery(actions=(AuditAction.STAFF_SYNCED.value,)))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> MemoryStoreLink:
    return MemoryStoreLink()


@pytest.fixture
def lanes(clock: Clock, store: MemoryStoreLink) -> Iterator[tuple[Lane, Lane]]:
    """Lane 1 with the staff (sent to the store), lane 2 that took them."""
    one, two = Lane("lane-1", clock), Lane("lane-2", clock)
    add_staff(one.service)
    one.send_staff(store)
    asyncio.run(two.pull.pull(store))
    yield one, two
    one.log.close()
    two.log.close()


def lock(lane: Lane, name: str, pin: str) -> None:
    for _ in range(20):
        if lane.service.sign_in(WRONG, name).status is SignInStatus.LOCKED:
            lane.service.sign_in(pin, name)  # locked: refused whatever the PIN
            return
    raise AssertionError(f"{name} was never locked")


def test_a_person_added_on_one_lane_signs_in_on_another(lanes: tuple[Lane, Lane]) -> None:
    one, two = lanes
    assert [r.name for r in two.log.list_staff()] == [r.name for r in one.log.list_staff()]
    result = two.service.sign_in(CASHIER_PIN, CASHIER)
    assert result.status is SignInStatus.SIGNED_IN
    added = [e for e in two.synced() if e.subject == CASHIER]
    assert len(added) == 1
    assert added[0].who == STORE_WHO
    assert added[0].lane == "lane-2"
    assert added[0].outcome == "added"
    assert json.loads(added[0].detail)["changed_by_lane"] == "lane-1"
    assert two.log.verify().ok


def test_a_lockout_on_one_lane_reaches_the_other(
    lanes: tuple[Lane, Lane], store: MemoryStoreLink
) -> None:
    one, two = lanes
    lock(two, CASHIER, CASHIER_PIN)
    two.send_staff(store)
    asyncio.run(one.pull.pull(store))
    bob = one.log.find_staff(CASHIER)
    assert bob is not None
    assert bob.locked_until is not None
    assert one.service.sign_in(CASHIER_PIN, CASHIER).status is SignInStatus.LOCKED
    entry = [e for e in one.synced() if e.subject == CASHIER][-1]
    detail = json.loads(entry.detail)
    assert detail["changed_by_lane"] == "lane-2"
    assert "locked_until" in detail["fields"]
    assert "failed_tries" in detail["fields"]
    assert detail["locked_until"] == bob.locked_until.isoformat()
    assert one.log.verify().ok


def test_an_unlock_reaches_the_other_lane(lanes: tuple[Lane, Lane], store: MemoryStoreLink) -> None:
    one, two = lanes
    lock(two, CASHIER, CASHIER_PIN)
    two.send_staff(store)
    asyncio.run(one.pull.pull(store))
    owner = one.service.authorize(OWNER, OWNER_PIN)
    one.service.unlock(CASHIER, by=owner)
    one.send_staff(store)
    asyncio.run(two.pull.pull(store))
    assert two.service.sign_in(CASHIER_PIN, CASHIER).status is SignInStatus.SIGNED_IN


def test_a_stale_pull_changes_nothing(lanes: tuple[Lane, Lane], store: MemoryStoreLink) -> None:
    _one, two = lanes
    before = store.staff[CASHIER.lower()]
    lock(two, CASHIER, CASHIER_PIN)  # newer on lane 2, not sent yet
    head = two.log.head()
    asyncio.run(two.pull.pull(store))  # the store still has the older row
    bob = two.log.find_staff(CASHIER)
    assert bob is not None
    assert bob.locked_until is not None
    assert bob.changed_at is not None
    assert bob.changed_at > before.changed_at
    assert two.log.head() == head  # nothing written, no entry


def test_pulling_again_writes_nothing(lanes: tuple[Lane, Lane], store: MemoryStoreLink) -> None:
    _, two = lanes
    head = two.log.head()
    asyncio.run(two.pull.pull(store))
    asyncio.run(two.pull.pull(store))
    assert two.log.head() == head
    newest = max(p.changed_at for p in store.staff.values())
    assert two.cursor["staff"] == newest.isoformat()


def test_a_change_sent_late_is_still_taken(
    lanes: tuple[Lane, Lane], store: MemoryStoreLink
) -> None:
    """A lane away from the store sends a change stamped before the newest one another
    lane already took: the pull still takes it (it reads every person)."""
    one, two = lanes
    lock(two, CASHIER, CASHIER_PIN)  # lane 2 is away: its lock waits in its outbox
    owner = one.service.authorize(OWNER, OWNER_PIN)
    one.service.add_person("Dee Fox", StaffRole.CASHIER, "9753", by=owner)
    one.send_staff(store)
    asyncio.run(one.pull.pull(store))  # lane 1's cursor is now past lane 2's lock
    two.send_staff(store)  # lane 2 is back
    asyncio.run(one.pull.pull(store))
    bob = one.log.find_staff(CASHIER)
    assert bob is not None
    assert bob.locked_until is not None


def test_catalog_pull_writes_the_lane_copy_once(
    tmp_path: Path, store: MemoryStoreLink, monkeypatch: pytest.MonkeyPatch
) -> None:
    pull = CatalogPull(tmp_path)
    asyncio.run(pull.pull(store))  # the store has none: nothing
    assert not (tmp_path / STORE_CATALOG_FILE).exists()
    (tmp_path / "catalog.toml").write_text(OTHER_CATALOG, encoding="utf-8")
    assert [i.code for i in load_catalog(tmp_path).items] == ["B2"]
    store.catalog_text = (CATALOG, datetime.now(UTC))
    asyncio.run(pull.pull(store))
    assert (tmp_path / STORE_CATALOG_FILE).read_text(encoding="utf-8") == CATALOG
    assert [i.code for i in load_catalog(tmp_path).items] == ["A1"]  # the store's wins

    writes: list[Path] = []
    monkeypatch.setattr("pos_app.services.store_shared.write_atomically", writes.append)
    asyncio.run(pull.pull(store))
    assert writes == []  # unchanged: not written again


def test_a_catalog_the_parser_refuses_is_not_taken(tmp_path: Path, store: MemoryStoreLink) -> None:
    pull = CatalogPull(tmp_path)
    store.catalog_text = (CATALOG, datetime.now(UTC))
    asyncio.run(pull.pull(store))
    store.catalog_text = ('[[item]]\ncode = "X"\nname = "Bad"\nprice = 2.5\n', datetime.now(UTC))
    asyncio.run(pull.pull(store))
    assert (tmp_path / STORE_CATALOG_FILE).read_text(encoding="utf-8") == CATALOG


def test_settings_pull_keeps_the_shared_keys_only(tmp_path: Path, store: MemoryStoreLink) -> None:
    from pos_app.config import read_store_settings

    pull = SettingsPull(tmp_path)
    store.settings = {
        "tax_rate_bps": 825,
        "receipt_header": 'Corner "Shop"\nMain St',
        "lane": "not-shared",
        "currency": "cad",
    }
    asyncio.run(pull.pull(store))
    path = tmp_path / STORE_SETTINGS_FILE
    assert read_store_settings(path) == {
        "tax_rate_bps": 825,
        "receipt_header": 'Corner "Shop"\nMain St',
        "currency": "cad",
    }
    store.settings = {}
    asyncio.run(pull.pull(store))
    assert not path.exists()  # the store shares none: each lane's own apply again


def test_a_value_the_rules_refuse_is_left_out_when_read(tmp_path: Path) -> None:
    from pos_app.config import read_store_settings

    path = tmp_path / STORE_SETTINGS_FILE
    text = settings_toml({"tax_rate_bps": 99999, "idle_sign_out_minutes": 20})
    assert text is not None
    path.write_text(text, encoding="utf-8")
    assert read_store_settings(path) == {"idle_sign_out_minutes": 20}


def test_store_settings_apply_between_the_environment_and_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pos_app.config import SettingsFileStore, load_settings, save_settings, settings_path

    monkeypatch.setenv("POS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("POS_CONFIG_DIR", str(tmp_path / "config"))
    for name in ("POS_STORE_URL", "POS_TAX_RATE_BPS", "POS_RECEIPT_HEADER"):
        monkeypatch.delenv(name, raising=False)
    save_settings({"tax_rate_bps": 500, "receipt_header": "Lane"}, settings_path())
    (tmp_path / "data").mkdir()
    text = settings_toml({"tax_rate_bps": 825, "receipt_header": "Store"})
    assert text is not None
    (tmp_path / "data" / STORE_SETTINGS_FILE).write_text(text, encoding="utf-8")
    files = SettingsFileStore()

    assert load_settings().tax_rate_bps == 500  # not in a store: the file is not read
    assert files.store_fields() == frozenset()

    monkeypatch.setenv("POS_STORE_URL", "postgresql://pos@store-server/pos_store")
    settings = load_settings()
    assert (settings.tax_rate_bps, settings.receipt_header) == (825, "Store")
    assert files.store_fields() == {"tax_rate_bps", "receipt_header"}
    assert {"tax_rate_bps", "receipt_header"} <= files.locked_fields()

    monkeypatch.setenv("POS_TAX_RATE_BPS", "100")  # the environment wins over the store
    assert load_settings().tax_rate_bps == 100
    assert files.store_fields() == {"receipt_header"}
    assert "tax_rate_bps" in files.locked_fields()


# -- the audit chain against the store's copy ------------------------------------------------


@pytest.fixture
def audited(clock: Clock) -> Iterator[ManagerService]:
    with SqliteAuditLog(":memory:", lane="lane-1") as log:
        service = ManagerService(log, log, lane="lane-1", clock=clock, scrypt=FAST_SCRYPT)
        add_staff(service)
        yield service


def _log(service: ManagerService) -> SqliteAuditLog:
    log = service._audit
    assert isinstance(log, SqliteAuditLog)
    return log


def test_a_chain_the_store_has_matches(audited: ManagerService, store: MemoryStoreLink) -> None:
    store.put_audit(_log(audited), "lane-1")
    check = asyncio.run(compare_audit_with_store(audited, store, "lane-1"))
    assert check.state is StoreAuditState.MATCHES
    assert check.ok
    audited.record(AuditAction.SETTINGS_CHANGE, None, {"what": "x"})
    check = asyncio.run(compare_audit_with_store(audited, store, "lane-1"))
    assert check.ok
    assert "1 newer entry is still to be sent" in check.message


def test_a_rewritten_entry_is_found(audited: ManagerService, store: MemoryStoreLink) -> None:
    store.put_audit(_log(audited), "lane-1")
    head = audited.audit_head().seq
    for seq in range(3, head + 1):  # the store's copy from entry 3 on differs from the lane's
        store.rewrite_audit("lane-1", seq, f"{seq:064x}")
    check = asyncio.run(compare_audit_with_store(audited, store, "lane-1"))
    assert check.state is StoreAuditState.DIFFERS
    assert not check.ok
    assert check.differs_at == 3
    assert "does not match the store's copy (entry 3 differs)" in check.message


def test_a_cut_file_is_found(audited: ManagerService, store: MemoryStoreLink) -> None:
    store.put_audit(_log(audited), "lane-1")
    head = audited.audit_head().seq
    store.audit["lane-1"][head + 1] = "f" * 64  # the store has one more than the file
    check = asyncio.run(compare_audit_with_store(audited, store, "lane-1"))
    assert not check.ok
    assert check.differs_at == head + 1


def test_nothing_sent_yet_and_an_unreachable_store_keep_the_local_verdict(
    audited: ManagerService, store: MemoryStoreLink
) -> None:
    check = asyncio.run(compare_audit_with_store(audited, store, "lane-1"))
    assert check.state is StoreAuditState.NOT_SENT
    assert check.ok
    store.down = True
    check = asyncio.run(compare_audit_with_store(audited, store, "lane-1"))
    assert check.state is StoreAuditState.UNREACHABLE
    assert check.ok
    assert "cannot be reached" in check.message


def test_audit_hash_reads_the_lane_entry(audited: ManagerService) -> None:
    log = _log(audited)
    entries = {e.seq: e.hash for e in log.entries(AuditQuery(limit=1000))}
    assert all(audited.audit_hash(seq) == digest for seq, digest in entries.items())
    assert audited.audit_hash(0) is None
    assert audited.audit_hash(max(entries) + 1) is None


# -- the command line's values ---------------------------------------------------------------


def test_store_settings_from_the_command_line_follow_the_settings_rules() -> None:
    from pos_app.cli_store_shared import parse_store_settings
    from pos_app.domain.errors import InvalidInputError

    assert parse_store_settings(["tax_rate_bps=825", "receipt_header=A\\nB", "currency="]) == {
        "tax_rate_bps": 825,
        "receipt_header": "A\nB",
        "currency": None,
    }
    for bad in ("tax_rate_bps=lots", "idle_sign_out_minutes=0", "currency=eur", "lane=x", "tax"):
        with pytest.raises(InvalidInputError):
            parse_store_settings([bad])


def test_the_lane_own_change_come_back_writes_nothing(
    lanes: tuple[Lane, Lane], store: MemoryStoreLink
) -> None:
    """The store's row stamped exactly as the lane's (its own change come back): nothing."""
    one, _ = lanes
    head = one.log.head()
    bob = one.log.find_staff(CASHIER)
    assert bob is not None
    assert bob.changed_at is not None
    kept = store.staff[CASHIER.lower()]
    store.staff[CASHIER.lower()] = replace(kept, changed_at=bob.changed_at)
    asyncio.run(one.pull.pull(store))
    assert one.log.head() == head


def test_a_pin_peppered_before_the_lane_joined_still_signs_in_and_becomes_plain(
    tmp_path: Path, clock: Clock
) -> None:
    """A lane with a keyring joins a store: its people's PINs were peppered with this
    computer's key. They still sign in, and the PIN is re-hashed plain (so it reaches
    the other lanes)."""
    from tests.support.file_keyring import MemoryChainKeys

    keys = MemoryChainKeys()
    path = tmp_path / "audit.sqlite3"
    with SqliteAuditLog(path, keys, lane="lane-1") as alone:
        service = ManagerService(alone, alone, lane="lane-1", clock=clock, scrypt=FAST_SCRYPT)
        add_staff(service)
        before = alone.find_staff(CASHIER)
        assert before is not None
        assert before.pin_hash.startswith("scrypt+pepper$")
    with SqliteAuditLog(path, keys, lane="lane-1", shared_pins=True) as joined:
        service = ManagerService(joined, joined, lane="lane-1", clock=clock, scrypt=FAST_SCRYPT)
        assert service.sign_in(WRONG, CASHIER).status is SignInStatus.WRONG
        assert service.sign_in(CASHIER_PIN, CASHIER).status is SignInStatus.SIGNED_IN
        after = joined.find_staff(CASHIER)
        assert after is not None
        assert after.pin_hash.startswith("scrypt$")
        service.sign_out()
        assert service.sign_in(CASHIER_PIN).status is SignInStatus.SIGNED_IN  # by PIN alone
        assert joined.verify().ok
