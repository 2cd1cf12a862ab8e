"""ManagerService: the owner's set-up, people and roles, per-person PINs and lockouts,
the till session, approvals, recovery and the audit trail each of them leaves.

On the real audit file (`SqliteAuditLog`) with an in-memory keyring: every test
that changes a person's row can also ask `verify()` whether the change was
committed to by the chain.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from pos_app.domain.errors import InvalidInputError, NotPermittedError, UnavailableError
from pos_app.domain.pin import PinError
from pos_app.domain.staff import Person, StaffRole
from pos_app.services.audit_log import (
    AuditAction,
    AuditEntry,
    AuditQuery,
    KeyStatus,
    NewAuditEntry,
    StaffRecord,
)
from pos_app.services.manager import (
    ManagerRequiredError,
    ManagerService,
    ManagerStatus,
    SignInStatus,
)
from pos_app.services.refunds import RefundMode, RefundRequest
from pos_app.storage.audit import SqliteAuditLog
from tests.support.file_keyring import MemoryChainKeys
from tests.support.manager import FAST_SCRYPT, T0, Clock

OWNER_PIN = "735190"
MANAGER_PIN = "864209"
CASHIER_PIN = "2580"
WRONG = "246813"

Store = SqliteAuditLog


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def keys() -> MemoryChainKeys:
    return MemoryChainKeys()


@pytest.fixture
def audit_file(tmp_path: Path) -> Path:
    return tmp_path / "audit.sqlite3"


def open_store(audit_file: Path, keys: MemoryChainKeys, clock: Clock) -> SqliteAuditLog:
    return SqliteAuditLog(audit_file, keys, lane="1", clock=clock)


@pytest.fixture
def store(audit_file: Path, keys: MemoryChainKeys, clock: Clock) -> Iterator[Store]:
    with open_store(audit_file, keys, clock) as log:
        yield log


def service_on(store: Store, clock: Clock, lane: str = "1") -> ManagerService:
    return ManagerService(store, store, lane=lane, clock=clock, scrypt=FAST_SCRYPT)


@pytest.fixture
def service(store: Store, clock: Clock) -> ManagerService:
    return service_on(store, clock)


@pytest.fixture
def shop(service: ManagerService) -> ManagerService:
    """A lane with an owner (Olga), a manager (Max) and a cashier (Cat); nobody signed in."""
    service.create_owner("Olga", OWNER_PIN)
    olga = service.require_manager()
    service.add_person("Max", StaffRole.MANAGER, MANAGER_PIN, by=olga)
    service.add_person("Cat", StaffRole.CASHIER, CASHIER_PIN, by=olga)
    service.sign_out()
    return service


def trail(store: Store) -> list[AuditEntry]:
    """Every entry, oldest first."""
    return list(reversed(store.entries(AuditQuery(limit=1000))))


def last(store: Store, action: AuditAction) -> AuditEntry:
    return store.entries(AuditQuery(actions=(action.value,), limit=1))[0]


def person(service: ManagerService, name: str) -> Person:
    found = service.person(name)
    assert found is not None
    return found


def pin_hash(store: Store, name: str) -> str:
    record = store.find_staff(name)
    assert record is not None
    return record.pin_hash


def committed(store: Store) -> bool:
    """Whether the staff rows are what the chain committed to (nothing changed aside)."""
    check = store.verify()
    assert check.ok, check.message
    return check.ok


def no_pin_anywhere(store: Store, *pins: str) -> None:
    for entry in trail(store):
        for pin in pins:
            assert pin not in f"{entry.who}{entry.subject}{entry.detail}{entry.outcome}"


class LosingRaces:
    """The store, where the next `losses` staff writes find the row changed by another lane."""

    def __init__(self, store: Store, losses: int) -> None:
        self.store = store
        self.losses = losses

    def save_staff(
        self, expected: StaffRecord | None, new: StaffRecord, entry: NewAuditEntry
    ) -> StaffRecord | None:
        if self.losses:
            self.losses -= 1
            return None
        return self.store.save_staff(expected, new, entry)

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)


# -- the first owner ------------------------------------------------------------------


def test_a_lane_without_staff_allows_nothing(service: ManagerService) -> None:
    assert not service.has_staff()
    assert service.status() is ManagerStatus.NO_STAFF
    assert service.current() is None
    with pytest.raises(ManagerRequiredError) as caught:
        service.require_manager()
    assert caught.value.status is ManagerStatus.NO_STAFF
    assert service.sign_in(OWNER_PIN).status is SignInStatus.NO_STAFF


def test_the_first_owner_gets_a_recovery_code_once_and_is_signed_in(
    service: ManagerService, store: Store
) -> None:
    code = service.create_owner("  Olga ", OWNER_PIN)
    assert [len(group) for group in code.split("-")] == [4, 4, 4, 4]
    owner = service.current()
    assert owner is not None
    assert (owner.name, owner.role, owner.can_approve) == ("Olga", StaffRole.OWNER, True)
    assert service.has_recovery_code()
    # Only hashes are kept: neither the code nor the PIN is anywhere in the store.
    recovery_hash = store.load_recovery_hash()
    assert recovery_hash is not None
    assert code.replace("-", "") not in recovery_hash
    assert pin_hash(store, "Olga").startswith("scrypt+pepper$")  # the keyring's pepper
    no_pin_anywhere(store, OWNER_PIN, code, code.replace("-", ""))
    assert [(e.action, e.who) for e in trail(store) if e.action != "chain_keyed"] == [
        ("staff_added", "Olga"),
        ("recovery_code_set", "Olga"),
        ("sign_in", "Olga"),
    ]
    with pytest.raises(NotPermittedError, match="already has its owner"):
        service.create_owner("Eve", "918273")


@pytest.mark.parametrize(
    ("name", "pin", "error"),
    [
        ("Olga", "2580", PinError),  # an owner's PIN has 6 digits at least
        ("Olga", "123456", PinError),
        ("", OWNER_PIN, InvalidInputError),
        ("Olga\nTotal", OWNER_PIN, InvalidInputError),
    ],
)
def test_a_refused_owner_writes_nothing(
    service: ManagerService, store: Store, name: str, pin: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        service.create_owner(name, pin)
    assert not service.has_staff()
    assert [e.action for e in trail(store)] in ([], ["chain_keyed"])


# -- people -----------------------------------------------------------------------------


def test_who_may_add_whom(shop: ManagerService) -> None:
    olga, max_, cat = (person(shop, n) for n in ("Olga", "Max", "Cat"))
    assert shop.add_person("Mo", StaffRole.OWNER, "918273", by=olga).role is StaffRole.OWNER
    assert shop.add_person("Cy", StaffRole.CASHIER, "3691", by=max_).role is StaffRole.CASHIER
    with pytest.raises(NotPermittedError, match="Max may not add a manager"):
        shop.add_person("Mia", StaffRole.MANAGER, "918273", by=max_)
    with pytest.raises(NotPermittedError):
        shop.add_person("Cy2", StaffRole.CASHIER, "3692", by=cat)
    with pytest.raises(InvalidInputError, match="already someone called CAT"):
        shop.add_person("CAT", StaffRole.CASHIER, "3692", by=olga)
    with pytest.raises(PinError, match="at least 6 digits"):
        shop.add_person("Mia", StaffRole.MANAGER, "3692", by=olga)
    names = [(p.name, p.role.value) for p in shop.people()]
    assert names == [
        ("Cat", "cashier"),
        ("Cy", "cashier"),
        ("Max", "manager"),
        ("Mo", "owner"),
        ("Olga", "owner"),
    ]


def test_a_person_removed_meanwhile_cannot_act(shop: ManagerService) -> None:
    olga = person(shop, "Olga")
    max_ = person(shop, "Max")
    shop.disable("Max", by=olga)
    with pytest.raises(NotPermittedError):
        shop.add_person("Cy", StaffRole.CASHIER, "3691", by=max_)  # a stale Person object


def test_disable_and_enable_and_never_the_last_owner(shop: ManagerService, store: Store) -> None:
    olga, max_ = person(shop, "Olga"), person(shop, "Max")
    assert not shop.disable("Cat", by=max_).active
    assert [p.name for p in shop.people(include_disabled=False)] == ["Max", "Olga"]
    assert shop.sign_in(CASHIER_PIN, "Cat").status is SignInStatus.DISABLED
    assert shop.sign_in(CASHIER_PIN).status is SignInStatus.WRONG  # alone: nobody active has it
    assert shop.enable("Cat", by=olga).active
    assert shop.sign_in(CASHIER_PIN, "Cat").ok
    with pytest.raises(NotPermittedError, match="Max may not disable Olga"):
        shop.disable("Olga", by=max_)
    with pytest.raises(NotPermittedError, match="last active owner"):
        shop.disable("Olga", by=olga)
    actions = [(e.action, e.who, e.subject) for e in trail(store)]
    assert ("staff_disabled", "Max", "Cat") in actions
    assert ("staff_enabled", "Olga", "Cat") in actions
    assert committed(store)


def test_a_person_disabled_on_another_lane_is_signed_out_here(
    shop: ManagerService, store: Store, clock: Clock
) -> None:
    assert shop.sign_in(CASHIER_PIN, "Cat").ok
    other_lane = service_on(store, clock, lane="2")
    other_lane.disable("Cat", by=person(other_lane, "Olga"))
    assert shop.current() is None
    entry = last(store, AuditAction.SIGN_OUT)
    assert (entry.who, json.loads(entry.detail)["reason"]) == ("Cat", "disabled")


# -- sign-in ------------------------------------------------------------------------------


def test_sign_in_by_name_or_by_the_pin_alone(shop: ManagerService, store: Store) -> None:
    result = shop.sign_in(CASHIER_PIN, "cat")  # any case
    assert result.ok
    assert result.person is not None
    assert result.person.name == "Cat"
    assert shop.current() == result.person
    alone = shop.sign_in(MANAGER_PIN)  # switching person: one PIN
    assert alone.ok
    assert shop.current() == person(shop, "Max")
    sign_ins = [e.who for e in trail(store) if e.action == "sign_in"]
    assert sign_ins == ["Olga", "Cat", "Max"]  # Olga: set up as the first owner
    no_pin_anywhere(store, CASHIER_PIN, MANAGER_PIN)


def test_a_pin_shared_by_two_people_never_says_whose(shop: ManagerService, store: Store) -> None:
    shop.add_person("Cy", StaffRole.CASHIER, CASHIER_PIN, by=person(shop, "Olga"))
    shop.sign_out()
    result = shop.sign_in(CASHIER_PIN)
    assert result.status is SignInStatus.AMBIGUOUS
    assert result.person is None
    assert shop.current() is None
    entry = last(store, AuditAction.PIN_FAILED)
    assert (entry.subject, entry.outcome) == (None, "ambiguous")
    assert "Cat" not in entry.detail
    assert "Cy" not in entry.detail
    assert shop.sign_in(CASHIER_PIN, "Cy").ok  # with the name it works
    shop.sign_out()
    for _ in range(12):  # two people with one PIN never lock the lane
        assert shop.sign_in(CASHIER_PIN).status is SignInStatus.AMBIGUOUS
    assert shop.locked_until() is None


def test_wrong_pins_alone_lock_the_lane_not_a_person(shop: ManagerService, clock: Clock) -> None:
    for left in range(9, 0, -1):
        result = shop.sign_in(WRONG)
        assert (result.status, result.tries_left) == (SignInStatus.WRONG, left)
    locked = shop.sign_in(WRONG)
    assert locked.status is SignInStatus.LOCKED
    assert locked.locked_until == T0 + timedelta(minutes=30)
    # Even the right PIN alone is refused now, without being checked ...
    assert shop.sign_in(MANAGER_PIN).status is SignInStatus.LOCKED
    assert shop.status() is ManagerStatus.LOCKED
    # ... but nobody's own count moved: with a name it works.
    assert person(shop, "Max").failed_tries == 0
    assert shop.sign_in(MANAGER_PIN, "Max").ok
    clock.advance(minutes=29, seconds=59)
    assert shop.locked_until() == T0 + timedelta(minutes=30)
    clock.advance(seconds=1)
    assert (shop.locked_until(), shop.tries_left()) == (None, 10)
    shop.sign_out()
    assert shop.sign_in(MANAGER_PIN).ok


def test_an_entry_that_cannot_be_a_pin_uses_no_try(shop: ManagerService) -> None:
    result = shop.sign_in("12", "Cat")
    assert result.status is SignInStatus.INVALID
    assert person(shop, "Cat").failed_tries == 0
    assert shop.sign_in("", None).status is SignInStatus.INVALID


def test_an_unknown_name_is_audited_and_counts_nothing(shop: ManagerService, store: Store) -> None:
    assert shop.sign_in(CASHIER_PIN, "Zed").status is SignInStatus.UNKNOWN
    entry = last(store, AuditAction.PIN_FAILED)
    assert (entry.subject, entry.outcome, entry.who) == ("Zed", "unknown", "till")


# -- lockout per person ------------------------------------------------------------------


def test_ten_wrong_tries_lock_that_person_for_thirty_minutes_across_restarts(
    shop: ManagerService, store: Store, clock: Clock, audit_file: Path, keys: MemoryChainKeys
) -> None:
    for left in range(9, 0, -1):
        result = shop.sign_in(WRONG, "Max")
        assert (result.status, result.tries_left) == (SignInStatus.WRONG, left)
    locked = shop.sign_in(WRONG, "Max")
    assert locked.status is SignInStatus.LOCKED
    assert locked.locked_until == T0 + timedelta(minutes=30)
    failed = [e for e in trail(store) if e.action == "pin_failed"]
    assert len(failed) == 10
    assert {e.subject for e in failed} == {"Max"}
    assert last(store, AuditAction.PIN_LOCKED).subject == "Max"
    # A restart (the file opened again) keeps the lock ...
    store.close()
    store = open_store(audit_file, keys, clock)
    restarted = service_on(store, clock)
    refused = restarted.sign_in(MANAGER_PIN, "Max")
    assert refused.status is SignInStatus.LOCKED
    assert last(store, AuditAction.PIN_FAILED).outcome == "locked"
    # ... the PIN alone does not find a locked person (that would say whose it is) ...
    assert restarted.sign_in(MANAGER_PIN).status is SignInStatus.WRONG
    # ... other people are not locked ...
    assert restarted.sign_in(CASHIER_PIN, "Cat").ok
    # ... and after 30 minutes Max signs in again.
    clock.advance(minutes=30)
    assert restarted.sign_in(MANAGER_PIN, "Max").ok
    assert person(restarted, "Max").failed_tries == 0
    assert committed(store)
    store.close()


def test_a_right_pin_clears_the_count_in_the_committed_row(
    shop: ManagerService, store: Store
) -> None:
    shop.sign_in(WRONG, "Cat")
    assert person(shop, "Cat").failed_tries == 1
    assert shop.sign_in(CASHIER_PIN, "Cat").ok
    assert person(shop, "Cat").failed_tries == 0
    assert committed(store)


def test_only_an_owner_unlocks(shop: ManagerService, store: Store) -> None:
    for _ in range(10):
        shop.sign_in(WRONG, "Cat")
    assert person(shop, "Cat").locked_until is not None
    with pytest.raises(NotPermittedError):
        shop.unlock("Cat", by=person(shop, "Max"))
    unlocked = shop.unlock("Cat", by=person(shop, "Olga"))
    assert (unlocked.failed_tries, unlocked.locked_until) == (0, None)
    entry = last(store, AuditAction.STAFF_UNLOCKED)
    assert (entry.who, entry.subject) == ("Olga", "Cat")
    assert committed(store)
    assert shop.sign_in(CASHIER_PIN, "Cat").ok


def test_a_try_lost_to_another_lane_is_counted_on_its_count(
    shop: ManagerService, store: Store
) -> None:
    racing = ManagerService(
        store, LosingRaces(store, losses=2), lane="1", clock=shop._clock, scrypt=FAST_SCRYPT
    )
    assert racing.sign_in(WRONG, "Cat").tries_left == 9
    assert person(shop, "Cat").failed_tries == 1
    failed = [e for e in trail(store) if e.action == "pin_failed"]
    assert len(failed) == 1  # the lost writes wrote nothing


# -- authorize (the CLI's --as) ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "pin", "says"),
    [
        ("Zed", MANAGER_PIN, "nobody called Zed works on this lane"),
        ("Cat", CASHIER_PIN, "Cat is not a manager"),
        ("Max", WRONG, "wrong PIN for Max (9 tries left); nothing was sent"),
    ],
)
def test_authorize_says_why_not(shop: ManagerService, name: str, pin: str, says: str) -> None:
    with pytest.raises(ManagerRequiredError) as caught:
        shop.authorize(name, pin)
    assert caught.value.message.startswith(says)
    assert shop.current() is None


def test_authorize_counts_down_to_one_try_then_names_the_lock(shop: ManagerService) -> None:
    for _ in range(8):
        shop.sign_in(WRONG, "Max")
    with pytest.raises(ManagerRequiredError, match=r"\(1 try left\); nothing was sent"):
        shop.authorize("Max", WRONG)
    with pytest.raises(ManagerRequiredError, match="PIN entry for Max is locked until"):
        shop.authorize("Max", WRONG)
    with pytest.raises(ManagerRequiredError, match="locked until") as caught:
        shop.authorize("Max", MANAGER_PIN)  # the right PIN is not even checked
    assert caught.value.status is ManagerStatus.LOCKED


def test_authorize_signs_the_person_in_for_the_command(shop: ManagerService, store: Store) -> None:
    max_ = shop.authorize("Max", MANAGER_PIN)
    assert shop.current() == max_
    cat = shop.authorize("Cat", CASHIER_PIN, need_approver=False)  # a sale needs no approver
    assert cat.name == "Cat"
    shop.record(AuditAction.OVERRIDE, "sale-1")
    assert last(store, AuditAction.OVERRIDE).who == "Cat"


# -- the till session ---------------------------------------------------------------------


def test_idle_sign_out_is_audited(shop: ManagerService, store: Store, clock: Clock) -> None:
    assert shop.sign_in(MANAGER_PIN, "Max").ok
    assert shop.session_expires_at == T0 + timedelta(minutes=15)
    clock.advance(minutes=10)
    assert shop.touch()
    clock.advance(minutes=14)
    assert shop.require_manager().name == "Max"  # activity too
    clock.advance(minutes=15)
    assert shop.current() is None
    entry = last(store, AuditAction.SIGN_OUT)
    assert (entry.who, json.loads(entry.detail)["reason"]) == ("Max", "idle")
    assert not shop.touch()
    shop.record(AuditAction.OVERRIDE, "sale-2")
    assert last(store, AuditAction.OVERRIDE).who == "till"


def test_a_signed_in_cashier_is_not_an_approver(shop: ManagerService) -> None:
    assert shop.sign_in(CASHIER_PIN, "Cat").ok
    assert shop.status() is ManagerStatus.NOT_APPROVER
    assert not shop.is_manager()
    with pytest.raises(ManagerRequiredError) as caught:
        shop.require_manager()
    assert caught.value.status is ManagerStatus.NOT_APPROVER
    assert "Cat is not a manager" in caught.value.message


def test_sign_out_is_audited_with_the_name(shop: ManagerService, store: Store) -> None:
    assert shop.sign_in(OWNER_PIN, "Olga").ok
    shop.sign_out()
    assert shop.current() is None
    assert last(store, AuditAction.SIGN_OUT).who == "Olga"


# -- approvals ------------------------------------------------------------------------------


def test_a_manager_approves_at_a_cashiers_till(shop: ManagerService, store: Store) -> None:
    assert shop.sign_in(CASHIER_PIN, "Cat").ok
    approver = shop.approve(MANAGER_PIN, "Max")
    assert approver.name == "Max"
    assert shop.current() == person(shop, "Cat")  # still Cat's till
    entry = last(store, AuditAction.APPROVAL)
    assert (entry.who, entry.subject) == ("Cat", "Max")
    assert json.loads(entry.detail)["approved_by"] == "Max"
    request = RefundRequest(RefundMode.CARD, 1250, None, "damaged")
    shop.record_refund("py_1", request, approved_by=approver)
    refund = last(store, AuditAction.REFUND)
    assert (refund.who, json.loads(refund.detail)["approved_by"]) == ("Cat", "Max")


def test_the_pin_alone_approves_too_but_never_a_cashiers(shop: ManagerService) -> None:
    assert shop.sign_in(CASHIER_PIN, "Cat").ok
    assert shop.approve(OWNER_PIN).name == "Olga"
    with pytest.raises(ManagerRequiredError, match="that PIN is not a manager's") as caught:
        shop.approve(CASHIER_PIN)  # whose it is, is not said
    assert "Cat" not in caught.value.message
    with pytest.raises(ManagerRequiredError, match="nothing was approved"):
        shop.approve(WRONG, "Max")
    assert person(shop, "Max").failed_tries == 1


def test_record_says_till_when_nobody_is_signed_in(shop: ManagerService, store: Store) -> None:
    shop.record(AuditAction.SETTINGS_CHANGE, detail={"fields": "lane"})
    entry = last(store, AuditAction.SETTINGS_CHANGE)
    assert entry.who == "till"
    assert "approved_by" not in json.loads(entry.detail)
    with pytest.raises(ValueError, match="secrets"):
        shop.record(AuditAction.OVERRIDE, detail={"pin": "1234"})


# -- PINs -------------------------------------------------------------------------------------


def test_own_pin_change_needs_the_old_pin(shop: ManagerService, store: Store) -> None:
    with pytest.raises(InvalidInputError, match="current PIN"):
        shop.set_pin("Cat", "3691")
    with pytest.raises(ManagerRequiredError, match="9 tries left"):
        shop.set_pin("Cat", "3691", old="9999")
    assert person(shop, "Cat").failed_tries == 1
    shop.set_pin("Cat", "3691", old=CASHIER_PIN)
    assert person(shop, "Cat").failed_tries == 0
    assert shop.sign_in("3691", "Cat").ok
    assert not shop.sign_in(CASHIER_PIN, "Cat").ok
    entry = last(store, AuditAction.PIN_CHANGED)
    assert (entry.who, entry.subject) == ("Cat", "Cat")
    no_pin_anywhere(store, "3691", CASHIER_PIN)


def test_who_may_set_someone_elses_pin(shop: ManagerService, store: Store) -> None:
    olga, max_, cat = (person(shop, n) for n in ("Olga", "Max", "Cat"))
    shop.set_pin("Cat", "3691", by=max_)
    assert (last(store, AuditAction.PIN_CHANGED).who, shop.sign_in("3691", "Cat").ok) == (
        "Max",
        True,
    )
    with pytest.raises(NotPermittedError):
        shop.set_pin("Olga", "918273", by=max_)
    with pytest.raises(NotPermittedError):
        shop.set_pin("Max", "918273", by=cat)
    shop.set_pin("Max", "918273", by=olga)
    assert shop.sign_in("918273", "Max").ok
    with pytest.raises(PinError, match="at least 6"):
        shop.set_pin("Max", "3691", by=olga)


# -- recovery ---------------------------------------------------------------------------------


def test_the_recovery_code_resets_the_owners_pin_once(
    service: ManagerService, store: Store
) -> None:
    code = service.create_owner("Olga", OWNER_PIN)
    service.sign_out()
    for _ in range(10):
        service.sign_in(WRONG, "Olga")  # locked out, then forgot the PIN
    new_code = service.recover_owner(code.lower(), "918273")
    assert new_code != code
    olga = person(service, "Olga")
    assert (olga.failed_tries, olga.locked_until) == (0, None)
    assert service.sign_in("918273", "Olga").ok
    with pytest.raises(NotPermittedError, match="not the recovery code"):
        service.recover_owner(code, "529371")  # used once
    assert service.recover_owner(new_code, "529371")
    recovered = last(store, AuditAction.OWNER_RECOVERED)
    assert (recovered.subject, recovered.outcome) == ("Olga", "ok")
    no_pin_anywhere(store, "918273", code, new_code)


def test_wrong_recovery_codes_lock_the_lane(
    service: ManagerService, store: Store, clock: Clock
) -> None:
    code = service.create_owner("Olga", OWNER_PIN)
    for _ in range(9):
        with pytest.raises(NotPermittedError, match="not the recovery code"):
            service.recover_owner("AAAA-AAAA-AAAA-AAAA", "918273")
    with pytest.raises(NotPermittedError, match="Too many wrong recovery codes"):
        service.recover_owner("AAAA-AAAA-AAAA-AAAA", "918273")
    restarted = service_on(store, clock)
    with pytest.raises(NotPermittedError, match="Too many"):
        restarted.recover_owner(code, "918273")  # even the right code, for 30 minutes
    assert last(store, AuditAction.OWNER_RECOVERED).outcome == "locked"
    clock.advance(minutes=30)
    assert restarted.recover_owner(code, "918273")


def test_a_typo_in_the_new_pin_costs_no_recovery_try(service: ManagerService, store: Store) -> None:
    code = service.create_owner("Olga", OWNER_PIN)
    with pytest.raises(PinError):
        service.recover_owner(code, "1234")
    assert store.count(AuditQuery(actions=("owner_recovered",))) == 0


def test_an_owner_makes_a_new_recovery_code(shop: ManagerService) -> None:
    with pytest.raises(NotPermittedError):
        shop.reset_recovery_code(by=person(shop, "Max"))
    code = shop.reset_recovery_code(by=person(shop, "Olga"))
    assert shop.recover_owner(code, "918273")


# -- pepper -----------------------------------------------------------------------------------


def test_without_a_keyring_pins_are_plain_and_peppered_once_one_appears(
    audit_file: Path, clock: Clock
) -> None:
    keys = MemoryChainKeys(present=False)
    with open_store(audit_file, keys, clock) as store:
        service_on(store, clock).create_owner("Olga", OWNER_PIN)
        assert pin_hash(store, "Olga").startswith("scrypt$")
        assert service_on(store, clock).key_status() is KeyStatus.NO_KEYRING
    keys.present = True  # the keyring appeared
    with open_store(audit_file, keys, clock) as store:
        service = service_on(store, clock)
        assert service.sign_in(OWNER_PIN, "Olga").ok
        assert pin_hash(store, "Olga").startswith("scrypt+pepper$")
        assert committed(store)
        service.sign_out()
        assert service.sign_in(OWNER_PIN).ok


def test_a_pin_peppered_elsewhere_cannot_be_checked_here(
    audit_file: Path, keys: MemoryChainKeys, clock: Clock
) -> None:
    with open_store(audit_file, keys, clock) as store:
        service_on(store, clock).create_owner("Olga", OWNER_PIN)
    keys.forget_all()  # this computer's keyring lost the key
    with open_store(audit_file, keys, clock) as store:
        service = service_on(store, clock)
        assert service.key_status() is KeyStatus.KEY_MISSING
        with pytest.raises(UnavailableError, match="keyring does not hold"):
            service.sign_in(OWNER_PIN, "Olga")
        assert person(service, "Olga").failed_tries == 0  # not counted as a wrong try
        with pytest.raises(UnavailableError, match="keyring does not hold"):
            service.sign_in(OWNER_PIN)


def test_one_unreadable_hash_does_not_stop_the_pin_alone(
    shop: ManagerService, audit_file: Path
) -> None:
    with sqlite3.connect(audit_file) as raw:  # an edit outside the app
        raw.execute("UPDATE staff SET pin_hash = 'scrypt$edited' WHERE name = 'Max'")
    assert shop.sign_in(CASHIER_PIN).ok


# -- audit calls ------------------------------------------------------------------------------


def test_the_audit_log_is_read_by_approvers_only(shop: ManagerService) -> None:
    with pytest.raises(ManagerRequiredError):
        shop.audit_entries()
    assert shop.sign_in(CASHIER_PIN, "Cat").ok
    with pytest.raises(ManagerRequiredError):
        shop.verify_audit()
    assert shop.sign_in(MANAGER_PIN, "Max").ok
    assert shop.count_audit() == len(shop.audit_entries(AuditQuery(limit=1000)))
    assert shop.verify_audit().ok


def test_check_and_export_need_no_session(
    shop: ManagerService, store: Store, tmp_path: Path
) -> None:
    check = shop.check_audit()
    assert check.ok
    entry = last(store, AuditAction.AUDIT_CHECK)
    assert (entry.who, entry.outcome) == ("till", "ok")
    assert shop.export_audit(tmp_path / "audit.csv") > 0
    assert shop.export_audit(tmp_path / "audit.json", fmt="json") > 0
    assert json.loads((tmp_path / "audit.json").read_text())
    with pytest.raises(ValueError, match="csv or json"):
        shop.export_audit(tmp_path / "audit.xml", fmt="xml")
    assert shop.audit_head().seq == len(trail(store))


def test_a_head_taken_earlier_is_checked_against_the_chain(
    shop: ManagerService, store: Store
) -> None:
    earlier = shop.audit_head()
    shop.sign_in(CASHIER_PIN, "Cat")
    check = shop.check_audit(earlier.short)
    assert check.ok
    assert check.head is not None
    assert check.head.seq > earlier.seq
    bogus = shop.check_audit(f"{earlier.seq}:{'0' * 20}")
    assert not bogus.ok
    entry = last(store, AuditAction.AUDIT_CHECK)
    assert (entry.outcome, json.loads(entry.detail)["head_given"]) == (
        "broken",
        f"{earlier.seq}:{'0' * 20}",
    )


def test_check_pin_signs_nobody_in_but_counts_and_audits(
    shop: ManagerService, store: Store
) -> None:
    result = shop.check_pin("Max", MANAGER_PIN)
    assert result.ok
    assert shop.current() is None
    entry = last(store, AuditAction.SIGN_IN)
    assert (entry.subject, entry.outcome) == ("Max", "checked")
    assert shop.check_pin("Max", WRONG).tries_left == 9
    assert person(shop, "Max").failed_tries == 1


def test_a_locked_approver_is_named_as_locked(shop: ManagerService) -> None:
    assert shop.sign_in(CASHIER_PIN, "Cat").ok
    for _ in range(10):
        shop.sign_in(WRONG, "Max")  # a wrong PIN does not end Cat's session
    assert shop.current() == person(shop, "Cat")
    with pytest.raises(ManagerRequiredError, match="PIN entry for Max is locked until") as caught:
        shop.approve(MANAGER_PIN, "Max")
    assert caught.value.locked_until == T0 + timedelta(minutes=30)


def test_without_a_recovery_code_recovery_says_so(shop: ManagerService, audit_file: Path) -> None:
    with sqlite3.connect(audit_file) as raw:  # as on a lane migrated from one manager PIN
        raw.execute("UPDATE lane_state SET recovery_hash = NULL")
    with pytest.raises(NotPermittedError, match="No recovery code was set"):
        shop.recover_owner("7KQ2-M9XD-3F0T-R81C", "918273")
