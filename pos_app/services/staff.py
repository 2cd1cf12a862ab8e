"""The people of a lane and their PINs: who they are, who may manage whom, every PIN check.

`StaffService` is the part of `ManagerService` (`pos_app.services.manager`)
that knows people; the till session, approvals and the audit calls are built
on it there. The staff rows and the owner's recovery hash live in a
`StaffStore` (`SqliteAuditLog`), whose every write appends its audit entry in
the same transaction: a PIN change, a wrong try or a lockout is committed to
by the chain, so an edit of the file outside the app is found by `verify`.

Rules worth knowing:

- Who manages whom: an owner adds, disables, enables, unlocks and sets the PIN
  of anybody; a manager does the same for cashiers only, and unlocks nobody.
  The last active owner is never disabled.
- Wrong PINs count per person: the 10th in a row locks that person for 30
  minutes, in their staff row, so a restart or another lane changes nothing.
  A locked person's PIN is not even checked. An entry that is not 4 to 8
  digits uses no try (it cannot be anybody's PIN).
- The PIN alone signs in when exactly one active, unlocked person has it;
  several is AMBIGUOUS (the person picks their name; whose it is is never
  said). Wrong or ambiguous PINs alone count toward a lane lock (10 in 30
  minutes), read back from the audit log, so they give a guesser no more
  tries than a name does.
- Wrong recovery codes count toward a lane lock the same way.
- Every check is audited with the name it was for (the subject) and who was at
  the till (`who`, "till" when nobody): never the PIN.
- PINs are hashed with the store's pepper when it has one; a plain hash is
  re-hashed with it on the next good entry, committed like any change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Final

from pos_app.domain.errors import InvalidInputError, NotPermittedError, UnavailableError
from pos_app.domain.pin import (
    PIN_MESSAGES,
    PRODUCTION_SCRYPT,
    AttemptKind,
    LockPolicy,
    LockState,
    PepperMissingError,
    PinProblem,
    ScryptParams,
    hash_pin,
    needs_rehash,
    pin_format_problem,
    verify_pin,
)
from pos_app.domain.staff import (
    Person,
    StaffRole,
    check_staff_name,
    check_staff_pin,
    hash_recovery_code,
    new_recovery_code,
    verify_recovery_code,
)
from pos_app.services.audit_log import (
    AuditAction,
    AuditEntry,
    AuditLog,
    AuditQuery,
    DetailValue,
    NewAuditEntry,
    StaffRecord,
    StaffStore,
    check_detail,
)

__all__ = [
    "NOBODY",
    "ManagerRequiredError",
    "ManagerStatus",
    "SignInResult",
    "SignInStatus",
    "StaffService",
    "person_of",
]

log = logging.getLogger("pos_app.services.staff")

#: `who` in an entry written while nobody is signed in at the lane.
NOBODY: Final = "till"
# A write that lost a race with another lane is read again and retried this often.
_RACE_TRIES: Final = 5
# Entries read back to count a lane lock's wrong tries (far above any lock's count).
_LANE_WINDOW: Final = 500
_WRONG_OUTCOMES: Final = frozenset({"wrong", "ambiguous"})

# Sentences a person reads (the CLI prints them after "pos-app: ").
OWNER_EXISTS_TEXT: Final = "This lane already has its owner: sign in, or ask the owner."
UNKNOWN_TEXT: Final = "Nobody called {name} works on this lane."
NAME_TAKEN_TEXT: Final = "There is already someone called {name} on this lane."
NOT_ALLOWED_TEXT: Final = "{by} may not {what}: ask the owner."
LAST_OWNER_TEXT: Final = "{name} is the last active owner: add another owner first."
OLD_PIN_NEEDED_TEXT: Final = "Enter your current PIN to choose a new one."
NO_RECOVERY_TEXT: Final = "No recovery code was set on this lane: ask the owner to make one."
NO_OWNER_TEXT: Final = "This lane has no active owner to recover."
WRONG_CODE_TEXT: Final = "That is not the recovery code ({left} left before a 30-minute lock)."
CODE_LOCKED_TEXT: Final = "Too many wrong recovery codes: try again after {until}."
CODE_USED_TEXT: Final = "The recovery code was used on another till meanwhile."
PEPPER_MISSING_TEXT: Final = (
    "This PIN was set with a key that this computer's keyring does not hold, so it cannot"
    " be checked here. The owner can reset PINs with the recovery code."
)
BUSY_TEXT: Final = "Other tills are changing the staff list right now: try again."

# Why a PIN check refused (ManagerRequiredError's sentences; the CLI prints them after
# "pos-app: ", the window shows them as they are).
NO_STAFF_TEXT: Final = (
    "nobody works on this lane yet: set up the owner first (the till asks at its first"
    " start; or pos-app staff add NAME --role owner)"
)
SIGN_IN_TEXT: Final = "a manager must sign in first"
NOT_APPROVER_TEXT: Final = "{name} is not a manager: a manager or the owner must approve this"
REFUSED_UNKNOWN_TEXT: Final = "nobody called {name} works on this lane"
REFUSED_DISABLED_TEXT: Final = "{name} is disabled on this lane"
REFUSED_LOCKED_TEXT: Final = "PIN entry for {name} is locked until {until} after too many tries"
REFUSED_LANE_LOCKED_TEXT: Final = "PIN entry is locked until {until} after too many tries"
REFUSED_AMBIGUOUS_TEXT: Final = "that PIN alone is not enough here: give your name too"
REFUSED_WRONG_TEXT: Final = "wrong PIN for {name} ({left} left){done}"
REFUSED_WRONG_ALONE_TEXT: Final = "wrong PIN ({left} left){done}"
NOTHING_SENT: Final = "; nothing was sent"


class ManagerStatus(StrEnum):
    """Where the lane stands with its approvers."""

    NO_STAFF = "no_staff"  # nobody works here yet: the owner is set up first
    SIGNED_OUT = "signed_out"
    LOCKED = "locked"
    SIGNED_IN = "signed_in"  # a manager or owner is signed in
    NOT_APPROVER = "not_approver"  # a cashier is signed in
    NO_PIN = "no_staff"  # old name of NO_STAFF (an alias; the lead removes it)


class ManagerRequiredError(NotPermittedError):
    """An approver was needed and is not there; `message` says why (nobody set up, nobody
    signed in, a cashier, an unknown or disabled name, a lock, a wrong PIN)."""

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
    if status is ManagerStatus.NO_STAFF:
        return NO_STAFF_TEXT
    if status is ManagerStatus.LOCKED and locked_until is not None:
        return REFUSED_LANE_LOCKED_TEXT.format(until=hhmm(locked_until))
    return SIGN_IN_TEXT


class SignInStatus(StrEnum):
    """What one PIN entry came to."""

    SIGNED_IN = "signed_in"  # the PIN is right (and, for sign_in, the session started)
    WRONG = "wrong"
    LOCKED = "locked"
    INVALID = "invalid"  # not 4 to 8 digits: no try used
    UNKNOWN = "unknown"  # no such active person
    DISABLED = "disabled"
    AMBIGUOUS = "ambiguous"  # the PIN alone matched several people: choose your name
    NO_STAFF = "no_staff"  # nobody works here yet: the owner is set up first
    NOT_APPROVER = "not_approver"  # a cashier where a manager or owner is needed
    PIN_ALREADY_SET = "pin_already_set"  # the owner was set up on another lane meanwhile
    NO_PIN = "no_staff"  # old name of NO_STAFF (an alias; the lead removes it)


@dataclass(frozen=True)
class SignInResult:
    """The outcome of a PIN check; never carries the PIN."""

    status: SignInStatus
    tries_left: int | None = None
    locked_until: datetime | None = None
    problem: PinProblem | None = None
    max_tries: int | None = None
    person: Person | None = None

    @property
    def ok(self) -> bool:
        """Whether the PIN was right (and the person may go on)."""
        return self.status is SignInStatus.SIGNED_IN


def person_of(record: StaffRecord) -> Person:
    """The staff row as the rest of the app sees it (no hash)."""
    if record.id is None:
        raise ValueError("a stored staff record has an id")
    return Person(
        id=record.id,
        name=record.name,
        role=StaffRole(record.role),
        active=record.active,
        failed_tries=record.failed_tries,
        locked_until=record.locked_until,
    )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def hhmm(moment: datetime) -> str:
    """A lock's end as a person reads it: local time, hours and minutes."""
    return moment.astimezone().strftime("%H:%M")


class StaffService:
    """The staff of one lane and every check of their PINs (see the module docstring).

    `ManagerService` extends it with the till session; `_who()` is who is at
    the till for the entries written here.
    """

    def __init__(
        self,
        audit: AuditLog,
        staff: StaffStore,
        *,
        lane: str,
        clock: Callable[[], datetime] = _utc_now,
        scrypt: ScryptParams = PRODUCTION_SCRYPT,
        policy: LockPolicy | None = None,
    ) -> None:
        self._audit = audit
        self._staff = staff
        self.lane = lane
        self._clock = clock
        self.scrypt = scrypt
        self.policy = policy if policy is not None else LockPolicy()
        self._pepper: bytes | None = None

    def now(self) -> datetime:
        """The service's clock (aware)."""
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("the staff clock must return aware datetimes")
        return now

    def _who(self, now: datetime) -> str:
        """Who is at the till for the entries written at `now` (no side effects)."""
        del now
        return NOBODY

    # -- people -----------------------------------------------------------------------

    def has_staff(self) -> bool:
        """Whether anybody (even disabled) works on this lane: none means set up an owner."""
        return bool(self._staff.list_staff())

    def people(self, include_disabled: bool = True) -> list[Person]:
        """Everybody, ordered by name."""
        return [
            person_of(record)
            for record in self._staff.list_staff()
            if include_disabled or record.active
        ]

    def person(self, name: str) -> Person | None:
        """The person of that name (case-insensitive), or None."""
        record = self._staff.find_staff(name.strip())
        return None if record is None else person_of(record)

    def has_recovery_code(self) -> bool:
        """Whether the owner's recovery code was set."""
        return self._staff.load_recovery_hash() is not None

    def create_owner(self, name: str, pin: str) -> str:
        """Add the first person, an owner, and return their recovery code: shown ONCE,
        only its hash is kept. Only on a lane with no staff (NotPermittedError after)."""
        name = check_staff_name(name)
        check_staff_pin(pin, StaffRole.OWNER)
        if self.has_staff():
            raise NotPermittedError(OWNER_EXISTS_TEXT)
        now = self.now()
        record = StaffRecord(None, name, StaffRole.OWNER.value, True, self._hash(pin), 0, None)
        entry = self._entry(now, name, AuditAction.STAFF_ADDED, name, {"role": "owner"})
        if self._staff.save_staff(None, record, entry) is None:
            raise NotPermittedError(OWNER_EXISTS_TEXT)  # another lane set up the owner
        return self._new_recovery_code(now, name, "first_owner")

    def reset_recovery_code(self, *, by: Person) -> str:
        """A new recovery code (the old one stops working), for an owner only: a lane
        migrated from one manager PIN has none yet. Returned once, only its hash kept."""
        actor = self._actor(by)
        if actor.role is not StaffRole.OWNER:
            raise NotPermittedError(NOT_ALLOWED_TEXT.format(by=actor.name, what="do that"))
        return self._new_recovery_code(self.now(), actor.name, "reset")

    def _new_recovery_code(self, now: datetime, who: str, reason: str) -> str:
        for _ in range(_RACE_TRIES):
            old = self._staff.load_recovery_hash()
            code = new_recovery_code()
            entry = self._entry(now, who, AuditAction.RECOVERY_CODE_SET, None, {"reason": reason})
            if self._staff.save_recovery_hash(old, hash_recovery_code(code, self.scrypt), entry):
                return code
        raise UnavailableError(BUSY_TEXT)

    def add_person(self, name: str, role: StaffRole, pin: str, *, by: Person) -> Person:
        """Add a person (`by` an owner, or a manager adding a cashier)."""
        actor = self._actor(by)
        self._may_manage(actor, role, f"add a {role.value}")
        name = check_staff_name(name)
        check_staff_pin(pin, role)
        if self._staff.find_staff(name) is not None:
            raise InvalidInputError(NAME_TAKEN_TEXT.format(name=name))
        now = self.now()
        record = StaffRecord(None, name, role.value, True, self._hash(pin), 0, None)
        entry = self._entry(now, actor.name, AuditAction.STAFF_ADDED, name, {"role": role.value})
        saved = self._staff.save_staff(None, record, entry)
        if saved is None:  # added on another lane meanwhile
            raise InvalidInputError(NAME_TAKEN_TEXT.format(name=name))
        return person_of(saved)

    def disable(self, name: str, *, by: Person) -> Person:
        """Stop a person working here (never the last active owner); their PIN stops
        working on every lane."""
        return self._set_active(name, active=False, by=by)

    def enable(self, name: str, *, by: Person) -> Person:
        """Let a disabled person work here again, with their old PIN."""
        return self._set_active(name, active=True, by=by)

    def _set_active(self, name: str, *, active: bool, by: Person) -> Person:
        actor = self._actor(by)
        what = "enable" if active else "disable"
        action = AuditAction.STAFF_ENABLED if active else AuditAction.STAFF_DISABLED

        def change(record: StaffRecord) -> StaffRecord:
            self._may_manage(actor, StaffRole(record.role), f"{what} {record.name}")
            if not active and record.role == StaffRole.OWNER.value and record.active:
                owners = [r for r in self._staff.list_staff() if r.role == "owner" and r.active]
                if len(owners) <= 1:
                    raise NotPermittedError(LAST_OWNER_TEXT.format(name=record.name))
            return replace(record, active=active)

        return person_of(self._change(name, change, actor.name, action))

    def set_pin(
        self, name: str, new: str, *, old: str | None = None, by: Person | None = None
    ) -> None:
        """Change a PIN. Your own: `old` is required and a wrong one counts as a wrong try
        (ManagerRequiredError says how many are left). Someone else's: `by` is an owner,
        or a manager for a cashier; their lock stays as it was (`unlock` is the owner's)."""
        record = self._active_record(name)
        role = StaffRole(record.role)
        check_staff_pin(new, role)  # first: a typo in the new PIN costs no try
        actor = None if by is None else self._actor(by)
        if actor is None or actor.id == record.id:
            if old is None:
                raise InvalidInputError(OLD_PIN_NEEDED_TEXT)
            result = self._check_named(record.name, old, purpose="change_pin", commit=False)
            if not result.ok:
                raise self._refusal(result, record.name, "; the PIN was not changed")
            who = record.name
        else:
            self._may_manage(actor, role, f"set the PIN of {record.name}")
            who = actor.name
        pin_hash = self._hash(new)

        def change(current: StaffRecord) -> StaffRecord:
            if who == current.name:  # the right old PIN cleared any count
                return replace(current, pin_hash=pin_hash, failed_tries=0, locked_until=None)
            return replace(current, pin_hash=pin_hash)

        self._change(record.name, change, who, AuditAction.PIN_CHANGED)

    def unlock(self, name: str, *, by: Person) -> Person:
        """End a person's lock and wrong-try count (an owner only)."""
        actor = self._actor(by)
        if actor.role is not StaffRole.OWNER:
            raise NotPermittedError(NOT_ALLOWED_TEXT.format(by=actor.name, what="unlock"))
        return person_of(
            self._change(
                name,
                lambda r: replace(r, failed_tries=0, locked_until=None),
                actor.name,
                AuditAction.STAFF_UNLOCKED,
            )
        )

    def recover_owner(self, code: str, new_pin: str) -> str:
        """Reset the (first active) owner's PIN with the recovery code; returns a NEW code
        (the one typed stops working). A wrong code is audited and counts toward a lane
        lock (10 in 30 minutes): NotPermittedError says so."""
        check_staff_pin(new_pin, StaffRole.OWNER)
        now = self.now()
        until, left = self._lane_lock(AuditAction.OWNER_RECOVERED, now)
        if until is not None:
            self._write(now, AuditAction.OWNER_RECOVERED, None, {}, "locked")
            raise NotPermittedError(CODE_LOCKED_TEXT.format(until=hhmm(until)))
        encoded = self._staff.load_recovery_hash()
        if encoded is None:
            raise NotPermittedError(NO_RECOVERY_TEXT)
        if not verify_recovery_code(code, encoded):
            left -= 1
            self._write(now, AuditAction.OWNER_RECOVERED, None, {"tries_left": left}, "wrong")
            if left <= 0:
                locked = now + self.policy.lockout
                raise NotPermittedError(CODE_LOCKED_TEXT.format(until=hhmm(locked)))
            raise NotPermittedError(WRONG_CODE_TEXT.format(left=_tries(left)))
        owners = [r for r in self._staff.list_staff() if r.role == "owner" and r.active]
        if not owners:
            raise NotPermittedError(NO_OWNER_TEXT)
        owner = min(owners, key=lambda r: r.id or 0)
        new_code = new_recovery_code()
        entry = self._entry(
            now, owner.name, AuditAction.RECOVERY_CODE_SET, None, {"reason": "recovered"}
        )
        if not self._staff.save_recovery_hash(
            encoded, hash_recovery_code(new_code, self.scrypt), entry
        ):
            raise NotPermittedError(CODE_USED_TEXT)  # the code is used once, on one lane
        pin_hash = self._hash(new_pin)
        self._change(
            owner.name,
            lambda r: replace(r, pin_hash=pin_hash, failed_tries=0, locked_until=None),
            owner.name,
            AuditAction.OWNER_RECOVERED,
        )
        return new_code

    # -- PIN checks -------------------------------------------------------------------

    def check_pin(self, name: str | None, pin: str) -> SignInResult:
        """Check a PIN without signing anybody in (audited; wrong tries counted). `name`
        None: the PIN alone, accepted when exactly one active person has it."""
        return self._check(name, pin, purpose="check", success=AuditAction.SIGN_IN)

    def _check(
        self,
        name: str | None,
        pin: str,
        *,
        purpose: str,
        success: AuditAction,
        need_approver: bool = False,
    ) -> SignInResult:
        if not self.has_staff():
            return SignInResult(SignInStatus.NO_STAFF)
        if name is None:
            return self._check_alone(pin, purpose, success, need_approver)
        return self._check_named(
            name, pin, purpose=purpose, success=success, need_approver=need_approver
        )

    def _check_named(
        self,
        name: str,
        pin: str,
        *,
        purpose: str,
        success: AuditAction | None = None,
        need_approver: bool = False,
        commit: bool = True,
    ) -> SignInResult:
        max_tries = self.policy.max_tries
        problem = pin_format_problem(pin)
        if problem is not None:
            return SignInResult(SignInStatus.INVALID, problem=problem, max_tries=max_tries)
        detail: dict[str, DetailValue] = {"purpose": purpose}
        verdicts: dict[str, bool] = {}  # a lost race re-reads the row, not the scrypt
        for _ in range(_RACE_TRIES):
            now = self.now()
            record = self._staff.find_staff(name.strip())
            if record is None or not record.active:
                status = SignInStatus.UNKNOWN if record is None else SignInStatus.DISABLED
                subject = name.strip() if record is None else record.name
                self._write(now, AuditAction.PIN_FAILED, subject, detail, status.value)
                return SignInResult(status, max_tries=max_tries)
            person = person_of(record)
            if need_approver and not person.can_approve:
                self._write(now, AuditAction.PIN_FAILED, person.name, detail, "not_approver")
                return SignInResult(SignInStatus.NOT_APPROVER, person=person, max_tries=max_tries)
            state = LockState(record.failed_tries, record.locked_until)
            until = self.policy.locked_until(state, now)
            if until is not None:
                locked = {**detail, "locked_until": _iso(until)}
                self._write(now, AuditAction.PIN_FAILED, person.name, locked, "locked")
                return SignInResult(SignInStatus.LOCKED, 0, until, None, max_tries, person)
            if record.pin_hash not in verdicts:
                verdicts[record.pin_hash] = self._verify(pin, record.pin_hash)
            if verdicts[record.pin_hash]:
                if not commit:
                    return self._accepted(person)
                done = self._succeed(now, record, pin, success or AuditAction.SIGN_IN, detail)
                if done is not None:
                    return done
                continue
            outcome = self.policy.attempt(state, False, now)
            new = replace(
                record,
                failed_tries=outcome.state.failed_tries,
                locked_until=outcome.state.locked_until,
            )
            wrong = {**detail, "tries_left": outcome.tries_left}
            entry = self._entry(
                now, self._who(now), AuditAction.PIN_FAILED, person.name, wrong, "wrong"
            )
            if self._staff.save_staff(record, new, entry) is None:
                continue  # another lane counted a try meanwhile: count on its count
            if outcome.kind is AttemptKind.LOCKED_NOW:
                log.warning("PIN entry for one person locked after %d wrong tries", max_tries)
                locked = {"wrong_tries": max_tries, "locked_until": _iso(outcome.locked_until)}
                self._write(now, AuditAction.PIN_LOCKED, person.name, locked, "locked")
                locked_person = person_of(new)
                return SignInResult(
                    SignInStatus.LOCKED, 0, outcome.locked_until, None, max_tries, locked_person
                )
            return SignInResult(SignInStatus.WRONG, outcome.tries_left, None, None, max_tries)
        raise UnavailableError(BUSY_TEXT)

    def _check_alone(
        self, pin: str, purpose: str, success: AuditAction, need_approver: bool
    ) -> SignInResult:
        max_tries = self.policy.max_tries
        problem = pin_format_problem(pin)
        if problem is not None:
            return SignInResult(SignInStatus.INVALID, problem=problem, max_tries=max_tries)
        now = self.now()
        detail: dict[str, DetailValue] = {"purpose": purpose, "by": "pin_alone"}
        until, left = self._lane_lock(AuditAction.PIN_FAILED, now)
        if until is not None:
            self._write(now, AuditAction.PIN_FAILED, None, detail, "locked")
            return SignInResult(SignInStatus.LOCKED, 0, until, max_tries=max_tries)
        matches: list[StaffRecord] = []
        unreadable = False
        for record in self._staff.list_staff():
            state = LockState(record.failed_tries, record.locked_until)
            # A locked person's PIN is not checked: a match would tell a guesser whose it is.
            if not record.active or self.policy.locked_until(state, now) is not None:
                continue
            try:
                if self._verify(pin, record.pin_hash, quiet=True):
                    matches.append(record)
            except PepperMissingError:
                unreadable = True
        if len(matches) == 1:
            person = person_of(matches[0])
            if need_approver and not person.can_approve:
                self._write(now, AuditAction.PIN_FAILED, person.name, detail, "not_approver")
                return SignInResult(SignInStatus.NOT_APPROVER, person=person, max_tries=max_tries)
            done = self._succeed(now, matches[0], pin, success, detail)
            if done is not None:
                return done
            return self._check_named(person.name, pin, purpose=purpose, success=success)
        if not matches and unreadable:
            raise UnavailableError(PEPPER_MISSING_TEXT)
        outcome = "ambiguous" if matches else "wrong"
        left -= 1
        self._write(now, AuditAction.PIN_FAILED, None, {**detail, "tries_left": left}, outcome)
        if left <= 0:
            until = now + self.policy.lockout
            return SignInResult(SignInStatus.LOCKED, 0, until, max_tries=max_tries)
        status = SignInStatus.AMBIGUOUS if matches else SignInStatus.WRONG
        return SignInResult(status, left, max_tries=max_tries)

    def _succeed(
        self,
        now: datetime,
        record: StaffRecord,
        pin: str,
        action: AuditAction,
        detail: Mapping[str, DetailValue],
    ) -> SignInResult | None:
        """Write the good entry (committing a cleared count or a re-hash when there is
        one); None when another lane changed the row meanwhile."""
        new = replace(record, failed_tries=0, locked_until=None)
        if needs_rehash(record.pin_hash, self.scrypt, self._pepper_now()):
            new = replace(new, pin_hash=self._hash(pin))
        outcome = "checked" if detail.get("purpose") == "check" else "ok"
        who = self._success_who(now, record.name, action)
        entry = self._entry(now, who, action, record.name, detail, outcome)
        if new == record:
            self._audit.append(entry)
            return self._accepted(person_of(record))
        saved = self._staff.save_staff(record, new, entry)
        return None if saved is None else self._accepted(person_of(saved))

    def _success_who(self, now: datetime, name: str, action: AuditAction) -> str:
        # A sign-in is written by the person signing in; an approval by whoever is at the till.
        return self._who(now) if action is AuditAction.APPROVAL else name

    def _accepted(self, person: Person) -> SignInResult:
        tries = self.policy.max_tries
        return SignInResult(SignInStatus.SIGNED_IN, tries, None, None, tries, person)

    def _lane_lock(self, action: AuditAction, now: datetime) -> tuple[datetime | None, int]:
        """The lane lock for wrong tries that name nobody (a PIN alone, a recovery code),
        read back from this lane's entries of the last lockout: (until, tries left)."""
        since = now - self.policy.lockout
        query = AuditQuery(actions=(action.value,), since=since, limit=_LANE_WINDOW)
        wrong = [
            entry.at
            for entry in self._audit.entries(query)
            if entry.lane == self.lane and entry.subject is None and _counts(entry)
        ]
        left = max(self.policy.max_tries - len(wrong), 0)
        if left > 0:
            return None, left
        until = min(
            wrong[self.policy.max_tries - 1] + self.policy.lockout, now + self.policy.lockout
        )
        return (until if until > now else None), left

    # -- helpers ----------------------------------------------------------------------

    def _pepper_now(self) -> bytes | None:
        if self._pepper is None:
            self._pepper = self._staff.pepper()
        return self._pepper

    def _hash(self, pin: str) -> str:
        return hash_pin(pin, self.scrypt, self._pepper_now())

    def _verify(self, pin: str, encoded: str, *, quiet: bool = False) -> bool:
        try:
            return verify_pin(pin, encoded, self._pepper_now())
        except PepperMissingError:
            if quiet:
                raise
            raise UnavailableError(PEPPER_MISSING_TEXT) from None

    def _actor(self, by: Person) -> Person:
        """`by` as stored now: still here, still active, in their current role."""
        record = self._staff.find_staff(by.name)
        if record is None or record.id != by.id or not record.active:
            raise NotPermittedError(UNKNOWN_TEXT.format(name=by.name))
        return person_of(record)

    @staticmethod
    def _may_manage(actor: Person, role: StaffRole, what: str) -> None:
        if actor.role is StaffRole.OWNER:
            return
        if actor.role is StaffRole.MANAGER and role is StaffRole.CASHIER:
            return
        raise NotPermittedError(NOT_ALLOWED_TEXT.format(by=actor.name, what=what))

    def _active_record(self, name: str) -> StaffRecord:
        record = self._staff.find_staff(name.strip())
        if record is None or not record.active:
            raise InvalidInputError(UNKNOWN_TEXT.format(name=name.strip()))
        return record

    def _change(
        self,
        name: str,
        change: Callable[[StaffRecord], StaffRecord],
        who: str,
        action: AuditAction,
    ) -> StaffRecord:
        """Apply `change` to the stored row and write `action`, both or neither; a row
        changed by another lane meanwhile is read again."""
        for _ in range(_RACE_TRIES):
            record = self._staff.find_staff(name.strip())
            if record is None:
                raise InvalidInputError(UNKNOWN_TEXT.format(name=name.strip()))
            new = change(record)
            entry = self._entry(self.now(), who, action, record.name, {})
            saved = self._staff.save_staff(record, new, entry)
            if saved is not None:
                return saved
        raise UnavailableError(BUSY_TEXT)

    @staticmethod
    def _refusal(
        result: SignInResult, name: str | None, done: str = NOTHING_SENT
    ) -> ManagerRequiredError:
        """The error saying why a PIN check refused (`name` None: the PIN alone)."""
        who = name if result.person is None else result.person.name
        status = result.status
        if status is SignInStatus.NO_STAFF:
            return ManagerRequiredError(ManagerStatus.NO_STAFF)
        if status is SignInStatus.LOCKED and result.locked_until is not None:
            until = hhmm(result.locked_until)
            text = (
                REFUSED_LANE_LOCKED_TEXT.format(until=until)
                if who is None
                else REFUSED_LOCKED_TEXT.format(name=who, until=until)
            )
            return ManagerRequiredError(ManagerStatus.LOCKED, result.locked_until, text)
        if status is SignInStatus.INVALID and result.problem is not None:
            text = PIN_MESSAGES[result.problem]
        elif status is SignInStatus.UNKNOWN:
            text = REFUSED_UNKNOWN_TEXT.format(name=who)
        elif status is SignInStatus.DISABLED:
            text = REFUSED_DISABLED_TEXT.format(name=who)
        elif status is SignInStatus.NOT_APPROVER:
            return ManagerRequiredError(
                ManagerStatus.NOT_APPROVER, message=NOT_APPROVER_TEXT.format(name=who)
            )
        elif status is SignInStatus.AMBIGUOUS:
            text = REFUSED_AMBIGUOUS_TEXT
        else:
            left = _tries(result.tries_left or 0)
            text = (
                REFUSED_WRONG_ALONE_TEXT.format(left=left, done=done)
                if who is None
                else REFUSED_WRONG_TEXT.format(name=who, left=left, done=done)
            )
        return ManagerRequiredError(ManagerStatus.SIGNED_OUT, message=text)

    def _entry(
        self,
        now: datetime,
        who: str,
        action: AuditAction,
        subject: str | None,
        detail: Mapping[str, DetailValue],
        outcome: str = "ok",
    ) -> NewAuditEntry:
        return NewAuditEntry(
            at=now,
            who=who,
            lane=self.lane,
            action=action.value,
            subject=subject,
            detail=check_detail(detail),
            outcome=outcome,
        )

    def _write(
        self,
        now: datetime,
        action: AuditAction,
        subject: str | None,
        detail: Mapping[str, DetailValue],
        outcome: str = "ok",
        who: str | None = None,
    ) -> AuditEntry:
        who = self._who(now) if who is None else who
        return self._audit.append(self._entry(now, who, action, subject, detail, outcome))


def _counts(entry: AuditEntry) -> bool:
    return entry.outcome in _WRONG_OUTCOMES


def _tries(left: int) -> str:
    return "1 try" if left == 1 else f"{left} tries"
