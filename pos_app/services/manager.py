"""The manager PIN, the manager session, and the one writer of the audit log.

Two roles work a lane: anybody at the till is a cashier; a manager is whoever
signed in with the shop's manager PIN. Refunds, voids, settings and overrides
ask for a manager (`require_manager`). Every one of them, every failed PIN and
every lockout is written to the audit log with who, when, lane, what and the
outcome. A refund or void is authorised and audited here for the window and
the CLI alike (`authorize`, `record_refund`).

`pos_app.storage.audit.SqliteAuditLog` implements `PinStore` below and the
`AuditLog` port (`pos_app.services.audit_log`); the window and the tests use
only `ManagerService`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Final, Protocol

from pos_app.domain.errors import NotPermittedError
from pos_app.domain.pin import (
    IDLE_TIMEOUT,
    PRODUCTION_SCRYPT,
    AttemptKind,
    AttemptOutcome,
    LockPolicy,
    LockState,
    ManagerSession,
    PinProblem,
    Role,
    ScryptParams,
    check_new_pin,
    hash_pin,
    needs_rehash,
    pin_format_problem,
    verify_pin,
)
from pos_app.services.audit_log import (
    AuditAction,
    AuditCheck,
    AuditEntry,
    AuditLog,
    AuditQuery,
    DetailValue,
    NewAuditEntry,
    check_detail,
)
from pos_app.services.refunds import RefundRequest

__all__ = [
    "ManagerRequiredError",
    "ManagerService",
    "ManagerStatus",
    "PinStore",
    "SignInResult",
    "SignInStatus",
]

log = logging.getLogger("pos_app.services.manager")

# What a refused refund or void says (the CLI prints it after "pos-app: ").
NO_PIN_TEXT: Final = (
    "no manager PIN is set yet: a manager sets one in the till first"
    " (it asks the first time a manager tool is opened)"
)
LOCKED_TEXT: Final = "manager PIN entry is locked until {until} after too many tries"
SIGN_IN_TEXT: Final = "a manager must sign in first"
WRONG_PIN_TEXT: Final = "wrong manager PIN{left}; nothing was sent"


class PinStore(Protocol):
    """Where the PIN hash and the lock state live (so a restart keeps the lock)."""

    def load_pin_hash(self) -> str | None:
        """The stored `scrypt$...` hash, or None if no PIN was ever set."""
        ...

    def replace_pin_hash(self, expected: str | None, new: str) -> bool:
        """Store `new` if the stored hash is still `expected` (atomic); False if not."""
        ...

    def load_lock(self) -> LockState:
        """The wrong-try count and lock."""
        ...

    def update_lock(self, change: Callable[[LockState], LockState]) -> LockState:
        """Apply `change` to the stored lock state atomically; returns the new state."""
        ...


# -- service --------------------------------------------------------------------------


class ManagerStatus(StrEnum):
    """Where the lane stands with the manager PIN."""

    NO_PIN = "no_pin"  # no PIN was ever set: the first manager action sets one
    SIGNED_OUT = "signed_out"
    LOCKED = "locked"
    SIGNED_IN = "signed_in"


class SignInStatus(StrEnum):
    """What one PIN entry came to."""

    SIGNED_IN = "signed_in"
    WRONG = "wrong"
    LOCKED = "locked"
    INVALID = "invalid"  # not 4 to 8 digits: no try used
    NO_PIN = "no_pin"  # no PIN set yet: set one first
    PIN_ALREADY_SET = "pin_already_set"  # another lane set the first PIN meanwhile


@dataclass(frozen=True)
class SignInResult:
    """The outcome of `sign_in` or `set_pin`; never carries the PIN."""

    status: SignInStatus
    tries_left: int | None = None
    locked_until: datetime | None = None
    problem: PinProblem | None = None
    max_tries: int | None = None

    @property
    def ok(self) -> bool:
        """Whether a manager is now signed in."""
        return self.status is SignInStatus.SIGNED_IN


class ManagerRequiredError(NotPermittedError):
    """A manager action was asked for without a signed-in manager; `message` says why
    (no PIN yet, PIN entry locked, a wrong PIN, or nobody signed in)."""

    def __init__(
        self,
        status: ManagerStatus,
        locked_until: datetime | None = None,
        message: str | None = None,
    ) -> None:
        super().__init__(message or _required_text(status, locked_until))
        self.status = status
        self.locked_until = locked_until


def _required_text(status: ManagerStatus, locked_until: datetime | None) -> str:
    if status is ManagerStatus.NO_PIN:
        return NO_PIN_TEXT
    if status is ManagerStatus.LOCKED and locked_until is not None:
        return LOCKED_TEXT.format(until=locked_until.astimezone().strftime("%H:%M"))
    return SIGN_IN_TEXT


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ManagerService:
    """The manager PIN, the manager session and the audit log of one lane.

    The PIN: if none was ever set, `status()` is `NO_PIN`, `is_manager()` is
    False and `require_manager()` raises with `NO_PIN`: the window then asks
    for a new PIN (`set_pin(None, new)`), and setting it signs that person in.
    Nothing is allowed just because no PIN exists.

    Wrong PINs: the 10th wrong one in a row locks PIN entry for 30 minutes,
    on every lane sharing the store and across restarts. Every failed entry
    and the lockout are audited (never the PIN typed). An entry that is not
    4 to 8 digits is refused as INVALID without using a try: it cannot be
    the PIN, so it gives a guesser nothing.

    The session lasts until `sign_out()` or 15 minutes without `touch()`
    (`require_manager()` and the manager-only audit calls touch it too;
    `record()` does not). Time comes from `clock` (aware UTC).
    """

    def __init__(
        self,
        audit: AuditLog,
        pins: PinStore,
        *,
        lane: str,
        clock: Callable[[], datetime] = _utc_now,
        scrypt: ScryptParams = PRODUCTION_SCRYPT,
        policy: LockPolicy | None = None,
        idle_timeout: timedelta = IDLE_TIMEOUT,
    ) -> None:
        self._audit = audit
        self._pins = pins
        self.lane = lane
        self._clock = clock
        self.scrypt = scrypt
        self.policy = policy if policy is not None else LockPolicy()
        self.idle_timeout = idle_timeout
        self._session: ManagerSession | None = None

    # -- state ----------------------------------------------------------------------------

    def now(self) -> datetime:
        """The service's clock (aware)."""
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the manager clock must return aware datetimes")
        return now

    def has_pin(self) -> bool:
        """Whether a manager PIN was ever set."""
        return self._pins.load_pin_hash() is not None

    def locked_until(self, now: datetime | None = None) -> datetime | None:
        """When PIN entry unlocks, or None if it is open."""
        now = self.now() if now is None else now
        return self.policy.locked_until(self._pins.load_lock(), now)

    def tries_left(self, now: datetime | None = None) -> int:
        """Wrong tries left before the lock."""
        now = self.now() if now is None else now
        return self.policy.tries_left(self._pins.load_lock(), now)

    def status(self, now: datetime | None = None) -> ManagerStatus:
        """Signed in, no PIN yet, locked, or signed out."""
        now = self.now() if now is None else now
        if self.is_manager(now):
            return ManagerStatus.SIGNED_IN
        if not self.has_pin():
            return ManagerStatus.NO_PIN
        if self.locked_until(now) is not None:
            return ManagerStatus.LOCKED
        return ManagerStatus.SIGNED_OUT

    def is_manager(self, now: datetime | None = None) -> bool:
        """Whether a manager is signed in; an idle session ends here (and is audited)."""
        session = self._session
        if session is None:
            return False
        now = self.now() if now is None else now
        if session.is_active(now):
            return True
        self._session = None
        self._write(now, Role.MANAGER, AuditAction.SIGN_OUT, None, {"reason": "idle"}, "ok")
        return False

    @property
    def session_expires_at(self) -> datetime | None:
        """When the manager session ends without activity, if one is open."""
        return None if self._session is None else self._session.expires_at

    def require_manager(self) -> None:
        """Raise `ManagerRequiredError` unless a manager is signed in; counts as activity."""
        now = self.now()
        status = self.status(now)
        if status is not ManagerStatus.SIGNED_IN:
            raise ManagerRequiredError(status, self.locked_until(now))
        self.touch()

    def touch(self) -> bool:
        """Manager activity now: restart the idle countdown. False if nobody is signed in."""
        now = self.now()
        return self.is_manager(now) and self._session is not None and self._session.touch(now)

    def sign_out(self) -> None:
        """End the manager session (audited when there was one)."""
        now = self.now()
        if self.is_manager(now):
            self._session = None
            self._write(now, Role.MANAGER, AuditAction.SIGN_OUT, None, {"reason": "sign_out"}, "ok")

    # -- PIN --------------------------------------------------------------------------------

    def sign_in(self, pin: str) -> SignInResult:
        """Check the manager PIN; on success a manager session starts."""
        now = self.now()
        encoded = self._pins.load_pin_hash()
        if encoded is None:
            return SignInResult(SignInStatus.NO_PIN)
        result = self._check(pin, encoded, now, purpose="sign_in")
        if result.ok:
            self._start_session(now)
            self._write(now, Role.MANAGER, AuditAction.SIGN_IN, None, {}, "ok")
        return result

    def set_pin(self, old: str | None, new: str) -> SignInResult:
        """Set the first PIN (`old` None) or change it (`old` must be the current PIN).

        Raises `PinError` if `new` is not acceptable (checked first, so a typo in
        the new PIN costs no try). A wrong `old` counts as a wrong try; `old`
        None while a PIN exists (set meanwhile on another lane) is
        PIN_ALREADY_SET, and nothing changes. On success the person who set the
        PIN is signed in as manager.
        """
        check_new_pin(new)
        now = self.now()
        encoded = self._pins.load_pin_hash()
        if encoded is not None and old is None:
            # A set-up screen opened before another lane set the first PIN.
            return SignInResult(SignInStatus.PIN_ALREADY_SET)
        if encoded is not None:
            result = self._check(old or "", encoded, now, purpose="change_pin")
            if not result.ok:
                return result
        if not self._pins.replace_pin_hash(encoded, hash_pin(new, self.scrypt)):
            # Another lane set or changed the PIN between our read and our write.
            return SignInResult(SignInStatus.PIN_ALREADY_SET)
        action = AuditAction.PIN_SET if encoded is None else AuditAction.PIN_CHANGED
        self._start_session(now)
        self._write(now, Role.MANAGER, action, None, {}, "ok")
        return SignInResult(SignInStatus.SIGNED_IN, tries_left=self.policy.max_tries)

    def authorize(self, pin: str) -> None:
        """Sign a manager in with `pin` for a refund or void, or raise ManagerRequiredError
        saying why not (no PIN set, locked, wrong): nothing may be sent then."""
        result = self.sign_in(pin)
        if result.ok:
            return
        if result.status is SignInStatus.NO_PIN:
            raise ManagerRequiredError(ManagerStatus.NO_PIN)
        if result.status is SignInStatus.LOCKED and result.locked_until is not None:
            raise ManagerRequiredError(ManagerStatus.LOCKED, result.locked_until)
        left = f" ({result.tries_left} tries left)" if result.tries_left is not None else ""
        raise ManagerRequiredError(
            ManagerStatus.SIGNED_OUT, message=WRONG_PIN_TEXT.format(left=left)
        )

    def _check(self, pin: str, encoded: str, now: datetime, *, purpose: str) -> SignInResult:
        max_tries = self.policy.max_tries
        problem = pin_format_problem(pin)
        if problem is not None:
            return SignInResult(SignInStatus.INVALID, problem=problem, max_tries=max_tries)
        who = self._who(now)
        until = self.locked_until(now)
        if until is not None:
            detail: dict[str, DetailValue] = {"purpose": purpose, "locked_until": _iso(until)}
            self._write(now, who, AuditAction.PIN_FAILED, None, detail, "locked")
            return SignInResult(SignInStatus.LOCKED, 0, until, max_tries=max_tries)
        correct = verify_pin(pin, encoded)
        outcomes: list[AttemptOutcome] = []

        def attempt(state: LockState) -> LockState:
            outcomes.append(self.policy.attempt(state, correct, now))
            return outcomes[-1].state

        self._pins.update_lock(attempt)
        outcome = outcomes[-1]
        if outcome.kind is AttemptKind.ACCEPTED:
            if needs_rehash(encoded, self.scrypt):
                self._pins.replace_pin_hash(encoded, hash_pin(pin, self.scrypt))
            return SignInResult(SignInStatus.SIGNED_IN, max_tries, max_tries=max_tries)
        if outcome.kind is AttemptKind.REFUSED_LOCKED:  # another lane locked it meanwhile
            detail = {"purpose": purpose, "locked_until": _iso(outcome.locked_until)}
            self._write(now, who, AuditAction.PIN_FAILED, None, detail, "locked")
            return SignInResult(SignInStatus.LOCKED, 0, outcome.locked_until, max_tries=max_tries)
        detail = {"purpose": purpose, "tries_left": outcome.tries_left}
        self._write(now, who, AuditAction.PIN_FAILED, None, detail, "wrong")
        if outcome.kind is AttemptKind.LOCKED_NOW:
            log.warning("manager PIN entry locked after %d wrong tries", max_tries)
            locked = {"wrong_tries": max_tries, "locked_until": _iso(outcome.locked_until)}
            self._write(now, who, AuditAction.PIN_LOCKED, None, locked, "locked")
            return SignInResult(SignInStatus.LOCKED, 0, outcome.locked_until, max_tries=max_tries)
        return SignInResult(SignInStatus.WRONG, outcome.tries_left, max_tries=max_tries)

    def _start_session(self, now: datetime) -> None:
        self._session = ManagerSession(started_at=now, idle_timeout=self.idle_timeout)

    # -- audit ------------------------------------------------------------------------------

    def record(
        self,
        action: AuditAction,
        subject: str | None = None,
        detail: Mapping[str, DetailValue] | None = None,
        outcome: str = "ok",
    ) -> AuditEntry:
        """Audit one action at this lane by whoever is working it (manager or cashier).

        `detail` holds plain values and never secrets: keys like "pin" or
        "token" are refused with ValueError.
        """
        now = self.now()
        return self._write(now, self._who(now), action, subject, detail or {}, outcome)

    def record_refund(
        self, payment_id: str, request: RefundRequest, outcome: str = "requested"
    ) -> AuditEntry:
        """Audit a refund or void of `payment_id`: once when it is sent ("requested"), then
        with its outcome (the operation's final status, or "not_sent")."""
        return self.record(request.action, payment_id, request.audit_detail(), outcome)

    def audit_entries(self, query: AuditQuery | None = None) -> list[AuditEntry]:
        """Entries newest first (manager only)."""
        self.require_manager()
        return self._audit.entries(query or AuditQuery())

    def count_audit(self, query: AuditQuery | None = None) -> int:
        """How many entries match (manager only)."""
        self.require_manager()
        return self._audit.count(query or AuditQuery())

    def verify_audit(self) -> AuditCheck:
        """Recompute the hash chain (manager only); the check itself is audited."""
        self.require_manager()
        check = self._audit.verify()
        if not check.ok:
            log.error("audit log check failed: %s", check.message)
        detail: dict[str, DetailValue] = {"checked": check.checked}
        if not check.ok:
            detail.update(broken_seq=check.broken_seq, reason=str(check.reason))
        self.record(AuditAction.AUDIT_CHECK, None, detail, "ok" if check.ok else "broken")
        return check

    def export_audit(self, target: Path, query: AuditQuery | None = None) -> int:
        """Write the log as CSV to `target` (manager only); returns the entry count."""
        self.require_manager()
        count = self._audit.export_csv(target, query)
        self.record(AuditAction.AUDIT_EXPORT, None, {"entries": count, "file": target.name})
        return count

    def _who(self, now: datetime) -> Role:
        session = self._session
        return Role.MANAGER if session is not None and session.is_active(now) else Role.CASHIER

    def _write(
        self,
        now: datetime,
        who: Role,
        action: AuditAction,
        subject: str | None,
        detail: Mapping[str, DetailValue],
        outcome: str,
    ) -> AuditEntry:
        entry = NewAuditEntry(
            at=now,
            who=who.value,
            lane=self.lane,
            action=action.value,
            subject=subject,
            detail=check_detail(detail),
            outcome=outcome,
        )
        return self._audit.append(entry)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
