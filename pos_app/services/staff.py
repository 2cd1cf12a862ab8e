"""The people of a lane: who they are, who may manage whom, the owner's recovery.

`StaffService` is the part of `ManagerService` (`pos_app.services.manager`)
that knows people; the till session, approvals and the audit calls are built
on it there, and the PIN checks themselves are `PinChecks`
(`pos_app.services.pin_checks`). The staff rows and the owner's recovery hash
live in a `StaffStore` (`SqliteAuditLog`), whose every write appends its audit
entry in the same transaction: a PIN change, a wrong try or a lockout is
committed to by the chain, so an edit of the file outside the app is found by
`verify`.

Rules worth knowing:

- Who manages whom: an owner adds, disables, enables, unlocks and sets the PIN
  of anybody; a manager does the same for cashiers only, and unlocks nobody.
  The last active owner is never disabled.
- Your own PIN is changed with your current PIN (a wrong one is a wrong try);
  someone else's PIN set by an owner or manager leaves their lock as it was.
- The recovery code resets the first active owner's PIN, once: a new code
  replaces it. Wrong codes count toward the lane lock of `PinChecks`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Final

from pos_app.domain.errors import InvalidInputError, NotPermittedError, UnavailableError
from pos_app.domain.staff import (
    Person,
    StaffRole,
    check_staff_name,
    check_staff_pin,
    hash_recovery_code,
    new_recovery_code,
    verify_recovery_code,
)
from pos_app.services.audit_log import AuditAction, StaffRecord
from pos_app.services.pin_checks import BUSY_TEXT, RACE_TRIES, PinChecks, person_of
from pos_app.services.sign_in import hhmm, refusal, tries_text

__all__ = ["StaffService"]

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


class StaffService(PinChecks):
    """The staff of one lane: who works here, who manages whom, recovery (see the
    module docstring). `ManagerService` adds the till session."""

    # -- people -----------------------------------------------------------------------

    def people(self, include_disabled: bool = True) -> list[Person]:
        """Everybody, ordered by name."""
        return [
            person_of(record)
            for record in self._staff.list_staff()
            if include_disabled or record.active
        ]

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
        for _ in range(RACE_TRIES):
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
        own = actor is None or actor.id == record.id
        if actor is not None and not own:
            self._may_manage(actor, role, f"set the PIN of {record.name}")
            who = actor.name
        else:
            if old is None:
                raise InvalidInputError(OLD_PIN_NEEDED_TEXT)
            result = self._check_named(record.name, old, purpose="change_pin", commit=False)
            if not result.ok:
                raise refusal(result, record.name, "; the PIN was not changed")
            who = record.name
        pin_hash = self._hash(new)

        def change(current: StaffRecord) -> StaffRecord:
            if own:  # the right old PIN cleared any count
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
            raise NotPermittedError(WRONG_CODE_TEXT.format(left=tries_text(left)))
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
        for _ in range(RACE_TRIES):
            record = self._staff.find_staff(name.strip())
            if record is None:
                raise InvalidInputError(UNKNOWN_TEXT.format(name=name.strip()))
            new = change(record)
            entry = self._entry(self.now(), who, action, record.name, {})
            saved = self._staff.save_staff(record, new, entry)
            if saved is not None:
                return saved
        raise UnavailableError(BUSY_TEXT)
