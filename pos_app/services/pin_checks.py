"""Every check of a staff PIN: per person, by the PIN alone, and what each one writes.

`PinChecks` is the base of `StaffService` (`pos_app.services.staff`) and
`ManagerService` (`pos_app.services.manager`): it reads the staff rows from a
`StaffStore`, checks a PIN against them and writes what happened, a wrong try
together with the row's new count (one transaction, committed to by the chain).
What a check came to and the sentences for a refusal are `pos_app.services.sign_in`'s.

Rules worth knowing:

- Wrong PINs count per person: the 10th in a row locks that person for 30
  minutes, in their staff row, so a restart or another lane changes nothing.
  A locked person's PIN is not even checked. An entry that is not 4 to 8
  digits uses no try (it cannot be anybody's PIN).
- The PIN alone is accepted when exactly one active, unlocked person has it;
  several is AMBIGUOUS (the person picks their name; whose it is is never
  said, and it is no wrong try). Wrong PINs alone count toward a lane lock
  (10 in 30 minutes) read back from this lane's audit entries, so they give a
  guesser no more tries than a name does. Wrong recovery codes have the same
  kind of lane lock.
- Every check is audited with the name it was for (the subject) and who was
  at the till (`who`, "till" when nobody): never the PIN.
- PINs are hashed with the store's pepper when it has one; a plain hash is
  re-hashed with it on the next good entry, committed like any change.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Final

from pos_app.domain.errors import UnavailableError
from pos_app.domain.pin import (
    PRODUCTION_SCRYPT,
    AttemptKind,
    LockPolicy,
    LockState,
    PepperMissingError,
    PinHashError,
    ScryptParams,
    hash_pin,
    needs_rehash,
    pin_format_problem,
    verify_pin,
)
from pos_app.domain.staff import Person, StaffRole
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
from pos_app.services.sign_in import SignInResult, SignInStatus

__all__ = ["NOBODY", "PinChecks", "person_of"]

log = logging.getLogger("pos_app.services.pin_checks")

#: `who` in an entry written while nobody is signed in at the lane.
NOBODY: Final = "till"
# A write that lost a race with another lane is read again and retried this often.
RACE_TRIES: Final = 5
# Entries read back to count a lane lock's wrong tries (far above any lock's count).
_LANE_WINDOW: Final = 500

PEPPER_MISSING_TEXT: Final = (
    "This PIN was set with a key that this computer's keyring does not hold, so it cannot"
    " be checked here. The owner can reset PINs with the recovery code."
)
BUSY_TEXT: Final = "Other tills are changing the staff list right now: try again."


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


class PinChecks:
    """The PIN checks of one lane (see the module docstring); `_who()` is who is at the
    till for the entries written here (`ManagerService` knows)."""

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
        self._kept: tuple[bytes | None] | None = None  # kept_pepper, asked once

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

    def has_staff(self) -> bool:
        """Whether anybody (even disabled) works on this lane: none means set up an owner."""
        return bool(self._staff.list_staff())

    def person(self, name: str) -> Person | None:
        """The person of that name (case-insensitive), or None."""
        record = self._staff.find_staff(name.strip())
        return None if record is None else person_of(record)

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
        for _ in range(RACE_TRIES):
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
            except PinHashError:
                # A row edited outside the app (verify names it) must not stop everybody.
                log.exception("the stored PIN hash of one person cannot be read")
        if len(matches) == 1:
            person = person_of(matches[0])
            if need_approver and not person.can_approve:
                # Audited with the name (managers read it), but not told to whoever typed it.
                self._write(now, AuditAction.PIN_FAILED, person.name, detail, "not_approver")
                return SignInResult(SignInStatus.NOT_APPROVER, max_tries=max_tries)
            done = self._succeed(now, matches[0], pin, success, detail)
            if done is not None:
                return done
            return self._check_named(person.name, pin, purpose=purpose, success=success)
        if not matches and unreadable:
            raise UnavailableError(PEPPER_MISSING_TEXT)
        if matches:
            # Not a wrong try: two people who chose the same PIN must not lock the lane.
            self._write(now, AuditAction.PIN_FAILED, None, detail, "ambiguous")
            return SignInResult(SignInStatus.AMBIGUOUS, left, max_tries=max_tries)
        left -= 1
        self._write(now, AuditAction.PIN_FAILED, None, {**detail, "tries_left": left}, "wrong")
        if left <= 0:
            until = now + self.policy.lockout
            return SignInResult(SignInStatus.LOCKED, 0, until, max_tries=max_tries)
        return SignInResult(SignInStatus.WRONG, left, max_tries=max_tries)

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
        if action is AuditAction.APPROVAL:
            detail = {**detail, "approved_by": record.name}
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
            # Strictly inside the window: a try exactly one lockout ago no longer counts.
            if entry.at > since
            and entry.lane == self.lane
            and entry.subject is None
            and _counts(entry)
        ]
        left = max(self.policy.max_tries - len(wrong), 0)
        if left > 0:
            return None, left
        until = min(
            wrong[self.policy.max_tries - 1] + self.policy.lockout, now + self.policy.lockout
        )
        return (until if until > now else None), left

    def _pepper_now(self) -> bytes | None:
        if self._pepper is None:
            self._pepper = self._staff.pepper()
        return self._pepper

    def _kept_pepper(self) -> bytes | None:
        if self._kept is None:
            self._kept = (self._staff.kept_pepper(),)
        return self._kept[0]

    def _hash(self, pin: str) -> str:
        return hash_pin(pin, self.scrypt, self._pepper_now())

    def _verify(self, pin: str, encoded: str, *, quiet: bool = False) -> bool:
        try:
            return verify_pin(pin, encoded, self._pepper_now())
        except PepperMissingError:
            kept = self._kept_pepper() if self._pepper_now() is None else None
            if kept is not None:  # set before the lane joined a store: re-hashed plain if right
                with contextlib.suppress(PepperMissingError):
                    return verify_pin(pin, encoded, kept)
            if quiet:
                raise
            raise UnavailableError(PEPPER_MISSING_TEXT) from None

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
    return entry.outcome == "wrong"
