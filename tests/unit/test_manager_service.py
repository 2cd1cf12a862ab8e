"""ManagerService: PIN set-up, sign-in, lockout across restarts, idle sign-out, the audit trail."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from pos_app.domain.errors import NotPermittedError
from pos_app.domain.pin import PRODUCTION_SCRYPT, PinError, PinProblem, ScryptParams
from pos_app.services.audit_log import AuditAction, AuditEntry, AuditQuery
from pos_app.services.manager import (
    ManagerRequiredError,
    ManagerService,
    ManagerStatus,
    SignInStatus,
)
from pos_app.services.refunds import RefundMode, RefundRequest
from pos_app.storage.audit import SqliteAuditLog
from tests.support.manager import FAST_SCRYPT, T0, Clock

PIN = "735190"
WRONG = "246813"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[SqliteAuditLog]:
    with SqliteAuditLog(data_dir / "audit.sqlite3") as log:
        yield log


@pytest.fixture
def clock() -> Clock:
    return Clock()


def service_on(store: SqliteAuditLog, clock: Clock, lane: str = "1") -> ManagerService:
    return ManagerService(store, store, lane=lane, clock=clock, scrypt=FAST_SCRYPT)


@pytest.fixture
def service(store: SqliteAuditLog, clock: Clock) -> ManagerService:
    return service_on(store, clock)


@pytest.fixture
def with_pin(service: ManagerService) -> ManagerService:
    assert service.set_pin(None, PIN).ok
    service.sign_out()
    return service


def trail(store: SqliteAuditLog) -> list[AuditEntry]:
    """Every entry, oldest first."""
    return list(reversed(store.entries(AuditQuery(limit=1000))))


def actions(store: SqliteAuditLog) -> list[tuple[str, str, str]]:
    return [(e.action, e.who, e.outcome) for e in trail(store)]


# -- no PIN yet -----------------------------------------------------------------------


def test_without_a_pin_nothing_is_allowed(service: ManagerService) -> None:
    assert service.status() is ManagerStatus.NO_PIN
    assert not service.is_manager()
    with pytest.raises(ManagerRequiredError) as caught:
        service.require_manager()
    assert caught.value.status is ManagerStatus.NO_PIN
    assert service.sign_in("2580").status is SignInStatus.NO_PIN
    with pytest.raises(ManagerRequiredError):
        service.audit_entries()


def test_setting_the_first_pin_signs_that_person_in(
    service: ManagerService, store: SqliteAuditLog, clock: Clock
) -> None:
    result = service.set_pin(None, PIN)
    assert result.ok
    assert service.status() is ManagerStatus.SIGNED_IN
    service.require_manager()
    stored = store.load_pin_hash()
    assert stored is not None
    assert stored.startswith("scrypt$16$1$1$")
    [entry] = trail(store)
    assert (entry.action, entry.who, entry.lane, entry.outcome) == ("pin_set", "manager", "1", "ok")
    assert entry.at == clock.now


def test_a_guessable_or_malformed_new_pin_is_refused(service: ManagerService) -> None:
    with pytest.raises(PinError) as caught:
        service.set_pin(None, "1234")
    assert caught.value.problem is PinProblem.TOO_SIMPLE
    with pytest.raises(PinError):
        service.set_pin(None, "12")
    assert service.status() is ManagerStatus.NO_PIN


def test_a_stale_set_up_screen_cannot_overwrite_a_pin_set_meanwhile(
    store: SqliteAuditLog, clock: Clock
) -> None:
    lane_1, lane_2 = service_on(store, clock, "1"), service_on(store, clock, "2")
    assert lane_2.status() is ManagerStatus.NO_PIN  # lane 2 shows its set-up screen
    assert lane_1.set_pin(None, PIN).ok
    stored = store.load_pin_hash()
    result = lane_2.set_pin(None, "2580")
    assert result.status is SignInStatus.PIN_ALREADY_SET
    assert store.load_pin_hash() == stored
    assert not lane_2.is_manager()
    assert lane_2.sign_in(PIN).ok


def test_the_production_cost_is_the_default(store: SqliteAuditLog) -> None:
    service = ManagerService(store, store, lane="1")
    assert service.scrypt is PRODUCTION_SCRYPT
    assert service.set_pin(None, PIN).ok
    stored = store.load_pin_hash()
    assert stored is not None
    assert stored.startswith("scrypt$16384$8$1$")


# -- signing in -----------------------------------------------------------------------


def test_the_right_pin_signs_in_and_is_audited(
    with_pin: ManagerService, store: SqliteAuditLog
) -> None:
    assert with_pin.status() is ManagerStatus.SIGNED_OUT
    result = with_pin.sign_in(PIN)
    assert (result.status, result.tries_left) == (SignInStatus.SIGNED_IN, 10)
    assert with_pin.is_manager()
    assert actions(store)[-1] == ("sign_in", "manager", "ok")


def test_a_wrong_pin_says_how_many_tries_are_left_and_is_audited(
    with_pin: ManagerService, store: SqliteAuditLog
) -> None:
    result = with_pin.sign_in(WRONG)
    assert (result.status, result.tries_left, result.max_tries) == (SignInStatus.WRONG, 9, 10)
    assert not with_pin.is_manager()
    failed = trail(store)[-1]
    assert (failed.action, failed.who, failed.outcome) == ("pin_failed", "cashier", "wrong")
    assert json.loads(failed.detail) == {"purpose": "sign_in", "tries_left": 9}
    assert with_pin.sign_in(WRONG).tries_left == 8


def test_an_entry_that_cannot_be_a_pin_uses_no_try(
    with_pin: ManagerService, store: SqliteAuditLog
) -> None:
    before = len(trail(store))
    result = with_pin.sign_in("12")
    assert (result.status, result.problem) == (SignInStatus.INVALID, PinProblem.TOO_SHORT)
    assert with_pin.tries_left() == 10
    assert len(trail(store)) == before


def test_ten_wrong_pins_lock_for_thirty_minutes(
    with_pin: ManagerService, store: SqliteAuditLog, clock: Clock
) -> None:
    for left in range(9, 0, -1):
        assert with_pin.sign_in(WRONG).tries_left == left
    clock.advance(seconds=30)
    locked = with_pin.sign_in(WRONG)
    assert locked.status is SignInStatus.LOCKED
    assert locked.locked_until == clock.now + timedelta(minutes=30)
    assert with_pin.status() is ManagerStatus.LOCKED
    assert actions(store)[-2:] == [
        ("pin_failed", "cashier", "wrong"),
        ("pin_locked", "cashier", "locked"),
    ]
    assert json.loads(trail(store)[-1].detail) == {
        "locked_until": locked.locked_until.isoformat(),
        "wrong_tries": 10,
    }

    # Even the right PIN is refused now, without being checked; that is audited too.
    clock.advance(minutes=29, seconds=59)
    refused = with_pin.sign_in(PIN)
    assert (refused.status, refused.locked_until) == (SignInStatus.LOCKED, locked.locked_until)
    assert not with_pin.is_manager()
    assert actions(store)[-1] == ("pin_failed", "cashier", "locked")
    with pytest.raises(ManagerRequiredError) as caught:
        with_pin.require_manager()
    assert caught.value.locked_until == locked.locked_until

    clock.advance(seconds=1)
    assert with_pin.status() is ManagerStatus.SIGNED_OUT
    assert with_pin.tries_left() == 10
    assert with_pin.sign_in(PIN).ok


def test_the_lock_survives_a_restart(data_dir: Path, clock: Clock) -> None:
    path = data_dir / "audit.sqlite3"
    with SqliteAuditLog(path) as store:
        service = service_on(store, clock)
        service.set_pin(None, PIN)
        service.sign_out()
        for _ in range(10):
            service.sign_in(WRONG)
    clock.advance(minutes=5)
    with SqliteAuditLog(path) as store:  # the app restarted
        again = service_on(store, clock)
        assert again.status() is ManagerStatus.LOCKED
        assert again.sign_in(PIN).status is SignInStatus.LOCKED
        assert again.locked_until() == T0 + timedelta(minutes=30)


def test_the_count_survives_a_restart_and_is_shared_by_lanes(
    store: SqliteAuditLog, clock: Clock
) -> None:
    lane_1 = service_on(store, clock, "1")
    lane_1.set_pin(None, PIN)
    lane_1.sign_out()
    for _ in range(6):
        lane_1.sign_in(WRONG)
    lane_2 = service_on(store, clock, "2")
    assert lane_2.sign_in(WRONG).tries_left == 3
    assert trail(store)[-1].lane == "2"


def test_a_right_pin_resets_the_count(with_pin: ManagerService) -> None:
    for _ in range(9):
        with_pin.sign_in(WRONG)
    assert with_pin.sign_in(PIN).ok
    with_pin.sign_out()
    assert with_pin.sign_in(WRONG).tries_left == 9


def test_a_hash_with_old_costs_is_upgraded_on_the_next_right_pin(
    store: SqliteAuditLog, clock: Clock
) -> None:
    service_on(store, clock).set_pin(None, PIN)
    stronger = ManagerService(
        store, store, lane="1", clock=clock, scrypt=ScryptParams(n=2**5, r=2, p=1)
    )
    assert stronger.sign_in(PIN).ok
    stored = store.load_pin_hash()
    assert stored is not None
    assert stored.startswith("scrypt$32$2$1$")
    stronger.sign_out()
    assert stronger.sign_in(PIN).ok


# -- changing the PIN -----------------------------------------------------------------


def test_changing_the_pin_needs_the_old_one(
    with_pin: ManagerService, store: SqliteAuditLog
) -> None:
    wrong = with_pin.set_pin(WRONG, "2580")
    assert (wrong.status, wrong.tries_left) == (SignInStatus.WRONG, 9)
    assert actions(store)[-1] == ("pin_failed", "cashier", "wrong")
    assert json.loads(trail(store)[-1].detail)["purpose"] == "change_pin"
    assert with_pin.set_pin("", "2580").status is SignInStatus.INVALID
    assert with_pin.set_pin(None, "2580").status is SignInStatus.PIN_ALREADY_SET
    assert with_pin.set_pin(PIN, "2580").ok
    assert actions(store)[-1] == ("pin_changed", "manager", "ok")
    with_pin.sign_out()
    assert with_pin.sign_in(PIN).status is SignInStatus.WRONG
    assert with_pin.sign_in("2580").ok


def test_a_bad_new_pin_costs_no_try(with_pin: ManagerService) -> None:
    with pytest.raises(PinError):
        with_pin.set_pin(WRONG, "1111")
    assert with_pin.tries_left() == 10


# -- session --------------------------------------------------------------------------


def test_fifteen_idle_minutes_sign_the_manager_out(
    with_pin: ManagerService, store: SqliteAuditLog, clock: Clock
) -> None:
    with_pin.sign_in(PIN)
    clock.advance(minutes=14, seconds=59)
    assert with_pin.is_manager()
    assert with_pin.touch()
    clock.advance(minutes=14, seconds=59)
    with_pin.require_manager()  # activity too
    assert with_pin.session_expires_at == clock.now + timedelta(minutes=15)
    clock.advance(minutes=15)
    assert not with_pin.is_manager()
    assert with_pin.status() is ManagerStatus.SIGNED_OUT
    assert not with_pin.touch()  # too late: sign in again
    with pytest.raises(ManagerRequiredError) as caught:
        with_pin.require_manager()
    assert caught.value.status is ManagerStatus.SIGNED_OUT
    ends = [e for e in trail(store) if e.action == "sign_out"]
    assert json.loads(ends[-1].detail) == {"reason": "idle"}
    assert ends[-1].at == clock.now
    assert len(ends) == 2  # the fixture's sign-out and this one, audited once


def test_sign_out_ends_the_session(with_pin: ManagerService, store: SqliteAuditLog) -> None:
    with_pin.sign_in(PIN)
    with_pin.sign_out()
    assert not with_pin.is_manager()
    assert actions(store)[-1] == ("sign_out", "manager", "ok")
    before = len(trail(store))
    with_pin.sign_out()  # nobody to sign out: nothing audited
    assert len(trail(store)) == before


# -- audit ----------------------------------------------------------------------------


def test_record_notes_who_where_and_what(
    with_pin: ManagerService, store: SqliteAuditLog, clock: Clock
) -> None:
    cashier = with_pin.record(AuditAction.VOID, "op_7", {"amount_cents": 900}, "declined")
    assert (cashier.who, cashier.lane, cashier.action, cashier.subject) == (
        "cashier",
        "1",
        "void",
        "op_7",
    )
    with_pin.sign_in(PIN)
    clock.advance(minutes=1)
    refund = with_pin.record(
        AuditAction.REFUND, "op_8", {"amount_cents": 1500, "mode": "card"}, "approved"
    )
    assert refund.who == "manager"
    assert refund.at == clock.now
    assert json.loads(refund.detail) == {"amount_cents": 1500, "mode": "card"}
    assert refund.outcome == "approved"
    assert with_pin.audit_entries(AuditQuery(subject="op_8")) == [refund]


@pytest.mark.parametrize("key", ["pin", "new_pin", "client-secret", "Password", "access_token"])
def test_record_refuses_details_that_name_a_secret(with_pin: ManagerService, key: str) -> None:
    with pytest.raises(ValueError, match="never hold secrets"):
        with_pin.record(AuditAction.SETTINGS_CHANGE, "settings", {key: "x"})


def test_viewing_checking_and_exporting_need_a_manager(
    with_pin: ManagerService, store: SqliteAuditLog, tmp_path: Path
) -> None:
    for call in (
        with_pin.audit_entries,
        with_pin.count_audit,
        with_pin.verify_audit,
        lambda: with_pin.export_audit(tmp_path / "a.csv"),
    ):
        with pytest.raises(ManagerRequiredError):
            call()
    assert not (tmp_path / "a.csv").exists()

    with_pin.sign_in(PIN)
    check = with_pin.verify_audit()
    assert check.ok
    assert actions(store)[-1] == ("audit_check", "manager", "ok")
    count = with_pin.export_audit(tmp_path / "a.csv")
    assert count == with_pin.count_audit() - 1  # the export itself is audited after it
    assert actions(store)[-1] == ("audit_export", "manager", "ok")
    assert json.loads(trail(store)[-1].detail) == {"entries": count, "file": "a.csv"}


def test_a_broken_chain_is_reported_and_the_check_audited(
    with_pin: ManagerService, store: SqliteAuditLog
) -> None:
    with_pin.sign_in(PIN)
    with_pin.record(AuditAction.REFUND, "op_1", {"amount_cents": 100}, "approved")
    with sqlite3.connect(store.path, isolation_level=None) as conn:
        conn.execute("DROP TRIGGER audit_entries_no_update")
        conn.execute("UPDATE audit_entries SET detail = '{\"amount_cents\":9}' WHERE seq = 4")
    check = with_pin.verify_audit()
    assert (check.ok, check.broken_seq) == (False, 4)
    last = trail(store)[-1]
    assert (last.action, last.outcome) == ("audit_check", "broken")
    assert json.loads(last.detail)["broken_seq"] == 4


def test_no_pin_or_secret_is_stored_or_logged_in_plain_text(
    data_dir: Path, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    new_pin = "90817263"
    with SqliteAuditLog(data_dir / "audit.sqlite3") as store:
        service = service_on(store, clock)
        service.set_pin(None, PIN)
        service.sign_out()
        for _ in range(10):
            service.sign_in(WRONG)  # ends in a lockout
        clock.advance(minutes=31)
        service.set_pin(PIN, new_pin)
        service.export_audit(data_dir / "export.csv")
        # While open (the WAL holds recent pages) and after closing.
        snapshots = [b"".join(p.read_bytes() for p in sorted(data_dir.iterdir()))]
    snapshots.append(b"".join(p.read_bytes() for p in sorted(data_dir.iterdir())))
    for data in snapshots:
        assert b"scrypt$" in data  # the store was really read
        for secret in (PIN, WRONG, new_pin):
            assert secret.encode("ascii") not in data
            assert secret.encode("utf-16-le") not in data
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "locked after 10 wrong tries" in logged
    for secret in (PIN, WRONG, new_pin):
        assert secret not in logged


def test_the_clock_must_be_aware(store: SqliteAuditLog) -> None:
    service = ManagerService(store, store, lane="1", clock=lambda: datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        service.status()


# -- refunds and voids: one authorisation and one audit trail for the window and the CLI --


def test_authorize_signs_in_or_says_why_not_in_one_sentence(
    service: ManagerService, clock: Clock
) -> None:
    with pytest.raises(ManagerRequiredError) as no_pin:
        service.authorize(PIN)
    assert no_pin.value.status is ManagerStatus.NO_PIN
    assert isinstance(no_pin.value, NotPermittedError)
    assert "no manager PIN is set yet" in no_pin.value.message

    assert service.set_pin(None, PIN).ok
    service.sign_out()
    with pytest.raises(ManagerRequiredError) as wrong:
        service.authorize(WRONG)
    assert wrong.value.message == "wrong manager PIN (9 tries left); nothing was sent"
    assert not service.is_manager()

    service.authorize(PIN)
    assert service.is_manager()


def test_authorize_names_the_time_the_lock_ends(with_pin: ManagerService) -> None:
    for _ in range(with_pin.policy.max_tries - 1):
        assert with_pin.sign_in(WRONG).status is SignInStatus.WRONG
    with pytest.raises(ManagerRequiredError) as locked:
        with_pin.authorize(WRONG)
    until = with_pin.locked_until()
    assert until is not None
    assert locked.value.status is ManagerStatus.LOCKED
    assert locked.value.message == (
        f"manager PIN entry is locked until {until.astimezone().strftime('%H:%M')}"
        " after too many tries"
    )


@pytest.mark.parametrize(
    ("request_", "action"),
    [
        (RefundRequest(RefundMode.CARD, 500, None, "duplicate"), "refund"),
        (RefundRequest(RefundMode.TERMINAL, 725, "trm_2", None), "refund"),
        (RefundRequest(RefundMode.VOID, 1200, None, None), "void"),
    ],
)
def test_a_refund_is_audited_when_sent_and_with_its_outcome(
    with_pin: ManagerService, store: SqliteAuditLog, request_: RefundRequest, action: str
) -> None:
    with_pin.authorize(PIN)
    with_pin.record_refund("py_1", request_)
    with_pin.record_refund("py_1", request_, "approved")

    sent, done = trail(store)[-2:]
    assert [(e.action, e.who, e.subject, e.outcome) for e in (sent, done)] == [
        (action, "manager", "py_1", "requested"),
        (action, "manager", "py_1", "approved"),
    ]
    assert json.loads(done.detail) == {
        "amount_cents": request_.amount_cents,
        "mode": request_.mode.value,
        "terminal_id": request_.terminal_id,
        "reason": request_.reason,
    }
