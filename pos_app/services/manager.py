"""The staff service of a lane: its people (`StaffService`), who is at the till, approvals,
and the one writer of the audit log.

Everybody working a lane is a named person (`pos_app.domain.staff`): a cashier,
a manager or the owner. The till session says who is working it now; it ends
on sign-out or after `idle_timeout` without activity. Refunds, voids, settings
and overrides need an approver: the signed-in manager or owner
(`require_manager`), or one approving a single action at a cashier's till
(`approve`, an APPROVAL entry; the action then records "approved_by"). The
CLI's `--as NAME` is `authorize`.

Every entry names its person (`who`; "till" when nobody is signed in). A
refund or void is audited here for the window and the CLI alike
(`record_refund`). `pos_app.storage.audit.SqliteAuditLog` implements both
ports (`AuditLog`, `StaffStore`); the window and the tests use only
`ManagerService`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pos_app.domain.pin import (
    IDLE_TIMEOUT,
    PRODUCTION_SCRYPT,
    LockPolicy,
    ManagerSession,
    ScryptParams,
)
from pos_app.domain.staff import Person
from pos_app.services.audit_log import (
    AuditAction,
    AuditCheck,
    AuditEntry,
    AuditHead,
    AuditLog,
    AuditQuery,
    DetailValue,
    KeyStatus,
    StaffStore,
)
from pos_app.services.pin_checks import NOBODY
from pos_app.services.refunds import RefundRequest
from pos_app.services.sign_in import (
    ManagerRequiredError,
    ManagerStatus,
    SignInResult,
    SignInStatus,
    refusal,
)
from pos_app.services.staff import StaffService

__all__ = [
    "ManagerRequiredError",
    "ManagerService",
    "ManagerStatus",
    "SignInResult",
    "SignInStatus",
]

log = logging.getLogger("pos_app.services.manager")

_EXPORT_FORMATS = ("csv", "json")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class ManagerService(StaffService):
    """The staff, the till session and the audit log of one lane.

    The session: `sign_in` starts it for one person, `sign_out` or `idle_timeout`
    without `touch()` ends it (an idle end is audited when it is noticed, by
    `current()`). `require_manager()` and the manager-only audit calls touch it;
    `record()` does not. A person disabled on another lane is signed out here
    at the next `current()`. Time comes from `clock` (aware UTC).
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
        idle_timeout: timedelta = IDLE_TIMEOUT,
    ) -> None:
        super().__init__(audit, staff, lane=lane, clock=clock, scrypt=scrypt, policy=policy)
        self.idle_timeout = idle_timeout
        self._session: ManagerSession | None = None
        self._person: Person | None = None

    # -- the till session -------------------------------------------------------------

    def sign_in(self, pin: str, name: str | None = None) -> SignInResult:
        """Check `pin` (of `name`, or alone); on success that person's session starts
        (whoever was signed in before is replaced)."""
        result = self._check(name, pin, purpose="sign_in", success=AuditAction.SIGN_IN)
        if result.ok and result.person is not None:
            self._start(result.person)
        return result

    def current(self) -> Person | None:
        """Who is signed in, as stored now; None when nobody, or once idle (audited)."""
        session, person = self._session, self._person
        if session is None or person is None:
            return None
        now = self.now()
        if not session.is_active(now):
            self._end(now, "idle")
            return None
        fresh = self.person(person.name)
        if fresh is None or fresh.id != person.id or not fresh.active:
            self._end(now, "disabled")
            return None
        self._person = fresh
        return fresh

    def sign_out(self) -> None:
        """End the session now (audited when there was one)."""
        if self.current() is not None:
            self._end(self.now(), "sign_out")

    def touch(self) -> bool:
        """Activity now: restart the idle countdown. False if nobody is signed in."""
        if self.current() is None or self._session is None:
            return False
        return self._session.touch(self.now())

    @property
    def session_expires_at(self) -> datetime | None:
        """When the session ends without activity, if one is open."""
        return None if self._session is None else self._session.expires_at

    def set_idle_timeout(self, idle_timeout: timedelta) -> None:
        """A new idle sign-out time (the settings were saved): every session from now on
        gets it, and so does the open one, counted from its last activity."""
        if idle_timeout <= timedelta(0):
            raise ValueError("the idle timeout must be positive")
        self.idle_timeout = idle_timeout
        if self._session is not None:
            self._session.idle_timeout = idle_timeout

    def require_manager(self) -> Person:
        """The signed-in person if they approve (activity: the idle countdown restarts);
        else `ManagerRequiredError` saying why."""
        person = self.current()
        if person is None:
            status = ManagerStatus.SIGNED_OUT if self.has_staff() else ManagerStatus.NO_STAFF
            raise ManagerRequiredError(status)
        if not person.can_approve:
            raise refusal(SignInResult(SignInStatus.NOT_APPROVER, person=person), None)
        self.touch()
        return person

    def is_manager(self) -> bool:
        """Whether a manager or owner is signed in (an idle session ends here)."""
        person = self.current()
        return person is not None and person.can_approve

    def status(self) -> ManagerStatus:
        """Where the lane stands: nobody set up, signed out, a cashier, or an approver."""
        person = self.current()
        if person is not None:
            return ManagerStatus.SIGNED_IN if person.can_approve else ManagerStatus.NOT_APPROVER
        if not self.has_staff():
            return ManagerStatus.NO_STAFF
        if self.locked_until() is not None:
            return ManagerStatus.LOCKED
        return ManagerStatus.SIGNED_OUT

    def locked_until(self) -> datetime | None:
        """When the PIN alone is accepted again at this lane, or None if it is now."""
        return self._lane_lock(AuditAction.PIN_FAILED, self.now())[0]

    def tries_left(self) -> int:
        """Wrong PINs alone left before this lane's lock."""
        return self._lane_lock(AuditAction.PIN_FAILED, self.now())[1]

    def create_owner(self, name: str, pin: str) -> str:
        """Add the first person, an owner, sign them in and return the recovery code
        (shown ONCE). NotPermittedError once the lane has staff."""
        code = super().create_owner(name, pin)
        owner = self.person(name)
        if owner is not None:
            self._start(owner)
            detail: dict[str, DetailValue] = {"purpose": "first_owner"}
            self._write(self.now(), AuditAction.SIGN_IN, owner.name, detail, who=owner.name)
        return code

    # -- approvals --------------------------------------------------------------------

    def authorize(self, name: str, pin: str, *, need_approver: bool = True) -> Person:
        """Sign `name` in with `pin` for one command (the CLI's `--as NAME`), or raise
        `ManagerRequiredError` with the sentence why not (unknown, disabled, not a
        manager, locked until 14:05, "wrong PIN for Ann (1 try left); nothing was sent").
        """
        result = self._check(
            name, pin, purpose="authorize", success=AuditAction.SIGN_IN, need_approver=need_approver
        )
        if not result.ok or result.person is None:
            raise refusal(result, name)
        self._start(result.person)
        return result.person

    def approve(self, pin: str, name: str | None = None) -> Person:
        """A manager or owner approves one action at someone else's till (an APPROVAL
        entry by whoever is signed in); who is signed in does not change. Pass the
        returned person as `approved_by` to `record` or `record_refund`."""
        result = self._check(
            name, pin, purpose="approve", success=AuditAction.APPROVAL, need_approver=True
        )
        if not result.ok or result.person is None:
            raise refusal(result, name, "; nothing was approved")
        return result.person

    # -- audit --------------------------------------------------------------------------

    def record(
        self,
        action: AuditAction,
        subject: str | None = None,
        detail: Mapping[str, DetailValue] | None = None,
        outcome: str = "ok",
        *,
        approved_by: Person | None = None,
    ) -> AuditEntry:
        """Audit one action at this lane by whoever is signed in ("till" when nobody),
        with "approved_by" when an approver other than them allowed it.

        `detail` holds plain values and never secrets: keys like "pin" or "token" are
        refused with ValueError.
        """
        full: dict[str, DetailValue] = dict(detail or {})
        if approved_by is not None:
            full["approved_by"] = approved_by.name
        return self._write(self.now(), action, subject, full, outcome)

    def record_refund(
        self,
        payment_id: str,
        request: RefundRequest,
        outcome: str = "requested",
        *,
        approved_by: Person | None = None,
    ) -> AuditEntry:
        """Audit a refund or void of `payment_id`: once when it is sent ("requested"),
        then with its outcome (the operation's final status, or "not_sent")."""
        return self.record(
            request.action, payment_id, request.audit_detail(), outcome, approved_by=approved_by
        )

    def audit_entries(self, query: AuditQuery | None = None) -> list[AuditEntry]:
        """Entries newest first (manager only)."""
        self.require_manager()
        return self._audit.entries(query or AuditQuery())

    def count_audit(self, query: AuditQuery | None = None) -> int:
        """How many entries match (manager only)."""
        self.require_manager()
        return self._audit.count(query or AuditQuery())

    def verify_audit(self, head: str | None = None) -> AuditCheck:
        """`check_audit` for the window: a manager or owner must be signed in."""
        self.require_manager()
        return self.check_audit(head)

    def check_audit(self, head: str | None = None) -> AuditCheck:
        """Recompute the chain and the state it committed to, and check that `head` (taken
        earlier, e.g. from a printed report) is still in it; the check itself is audited.
        No session needed (the CLI's `audit verify`)."""
        check = self._audit.verify(head)
        if not check.ok:
            log.error("audit log check failed: %s", check.message)
        detail: dict[str, DetailValue] = {"checked": check.checked, "head_given": head}
        if not check.ok:
            detail.update(broken_seq=check.broken_seq, reason=str(check.reason))
        self.record(AuditAction.AUDIT_CHECK, None, detail, "ok" if check.ok else "broken")
        return check

    def export_audit(self, target: Path, *, fmt: str = "csv") -> int:
        """Write every entry to `target` as "csv" or "json"; returns the entry count.
        No session needed: the export holds no secret and the file is readable anyway
        by whoever may run the CLI (the window shows it to managers only)."""
        if fmt not in _EXPORT_FORMATS:
            raise ValueError(f"the audit export is csv or json, not {fmt!r}")
        count = self._audit.export_csv(target) if fmt == "csv" else self._audit.export_json(target)
        detail: dict[str, DetailValue] = {"entries": count, "file": target.name, "format": fmt}
        self.record(AuditAction.AUDIT_EXPORT, None, detail)
        return count

    def audit_head(self) -> AuditHead:
        """The chain's newest entry (what the end-of-day report prints)."""
        return self._audit.head()

    def key_status(self) -> KeyStatus:
        """Whether this computer keys the chain (the audit window's and CLI's line)."""
        return self._audit.key_status()

    def audit_hash(self, seq: int) -> str | None:
        """The hash of this lane's entry `seq` (None when there is none), which `audit
        verify` compares with the store's copy. No session needed: a hash tells nothing
        of the entry."""
        head = self._audit.head()
        if not 1 <= seq <= head.seq:
            return None
        found = self._audit.entries(AuditQuery(limit=1, offset=head.seq - seq))
        return found[0].hash if found and found[0].seq == seq else None

    # -- helpers ------------------------------------------------------------------------

    def _who(self, now: datetime) -> str:
        session, person = self._session, self._person
        if session is None or person is None or not session.is_active(now):
            return NOBODY
        return person.name

    def _start(self, person: Person) -> None:
        self._session = ManagerSession(started_at=self.now(), idle_timeout=self.idle_timeout)
        self._person = person

    def _end(self, now: datetime, reason: str) -> None:
        person = self._person
        self._session, self._person = None, None
        if person is not None:
            detail: dict[str, DetailValue] = {"reason": reason}
            self._write(now, AuditAction.SIGN_OUT, person.name, detail, who=person.name)
