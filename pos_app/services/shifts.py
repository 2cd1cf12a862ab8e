"""A cashier's shift on one lane: the float in, cash in and out, the drawer counted at close.

Rules a manager expects:
- A shift opens with its float counted (zero is a float); a lane has at most one
  shift open (the store refuses a second one, even from another process).
- Cash needs an open shift: every movement (a sale's cash part, cash given back,
  paid in, paid out, a no-sale opening) belongs to it. Card sales belong to the
  open shift when there is one, and to the day otherwise.
- No-sale, paid in and paid out need a reason; paid out never takes more than the
  drawer should hold (the float plus every movement so far).
- A shift does not close while a sale of it is still open (partly paid): finish
  it or cancel it first. The close records the count (a total, or notes and coins),
  what the till expected, and the difference (over or short).
- Every action is audited with the person and, where one approved, the approver.

The drawer opens for every movement of cash. A drawer that does not open never
undoes what was journaled: the cashier reads `DRAWER_TROUBLE` and uses the key.
Every write is a coroutine (the journal's); the rest are plain reads.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Final

from pos_app.domain.cash import DrawerCount
from pos_app.domain.errors import InvalidInputError, UnavailableError
from pos_app.domain.money import Money
from pos_app.domain.report.shift import (
    ShiftReport,
    ShiftReportKind,
    build_shift_report,
    expected_cash,
)
from pos_app.domain.tickets import CashMovement, CashMovementKind, Shift, TicketStatus
from pos_app.services.audit_log import AuditAction, DetailValue
from pos_app.services.drawer import CashDrawer
from pos_app.services.ports import TicketStore

__all__ = [
    "DRAWER_TROUBLE",
    "Recorder",
    "ShiftService",
    "audit",
    "utc_now",
]

log = logging.getLogger("pos_app.services.shifts")

#: How the services audit: `ManagerService.record(action, subject, detail)` in the app.
Recorder = Callable[[AuditAction, str | None, Mapping[str, DetailValue]], object]

MAX_REASON_LENGTH: Final = 80

# -- the sentences a person reads, in one place for translation ----------------------------

DRAWER_TROUBLE: Final = "The drawer did not open: open it with its key."
NO_SHIFT: Final = "No shift is open: open one first."
NO_SHIFT_FOR_CASH: Final = "Open a shift to take cash."
NO_SHIFT_YET: Final = "No shift has been opened on this lane yet."
UNKNOWN_SHIFT: Final = "That shift is not on this lane."
ALREADY_OPEN: Final = "A shift is already open on this lane: close it first."
FLOAT_NEGATIVE: Final = "Enter the float as zero or more."
FLOAT_COUNT_DIFFERS: Final = "The float counted adds up to {counted}, not {entered}."
COUNTED_NEGATIVE: Final = "Enter the cash counted as zero or more."
OPEN_SALES: Final = "A sale of this shift is still open: finish it or cancel it first."
REASON_NEEDED: Final = "Say why the drawer is opened."
REASON_TOO_LONG: Final = f"Keep the reason under {MAX_REASON_LENGTH} characters."
AMOUNT_NEEDED: Final = "Enter an amount above zero."
PAID_OUT_TOO_MUCH: Final = "The drawer should hold only {expected}: no more can be paid out."


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class ShiftService:
    """Shifts, the drawer and the cash moved outside sales, on one lane."""

    def __init__(
        self,
        store: TicketStore,
        drawer: CashDrawer,
        *,
        lane: str,
        record: Recorder,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.drawer = drawer
        self.lane = lane
        self._record = record
        self.now = now
        #: One change of the lane's cash at a time (a check of the drawer and its write
        #: are one step); `SaleService` takes it too.
        self.cash_lock = asyncio.Lock()
        self._drawer_trouble: str | None = None

    # -- reads ------------------------------------------------------------------------------

    def current(self) -> Shift | None:
        """The lane's open shift, if any."""
        return self.store.current_shift(self.lane)

    def require_current(self, refusal: str = NO_SHIFT) -> Shift:
        """The open shift, or InvalidInputError with `refusal`."""
        shift = self.current()
        if shift is None:
            raise InvalidInputError(refusal)
        return shift

    def expected_cash(self) -> int:
        """What the drawer should hold now: the open shift's float and movements (0 without
        one)."""
        shift = self.current()
        if shift is None:
            return 0
        return expected_cash(shift, self.store.cash_movements(shift_id=shift.id))

    def recent(self, limit: int = 20) -> list[Shift]:
        """The lane's shifts, newest first."""
        return self.store.recent_shifts(self.lane, limit)

    def x_report(self) -> ShiftReport:
        """The open shift's figures so far (no count): InvalidInputError without one."""
        return self._report(self.require_current(), ShiftReportKind.X)

    def report(self, shift_id: str | None = None) -> ShiftReport:
        """A shift's report: the Z of a closed one, the X of the open one. Without
        `shift_id`: the open shift's X, else the last closed shift's Z."""
        if shift_id is None:
            shift = self.current()
            if shift is None:
                recent = self.recent(1)
                if not recent:
                    raise InvalidInputError(NO_SHIFT_YET)
                shift = recent[0]
        else:
            found = self.store.shift(shift_id)
            if found is None or found.lane != self.lane:
                raise InvalidInputError(UNKNOWN_SHIFT)
            shift = found
        kind = ShiftReportKind.X if shift.is_open else ShiftReportKind.Z
        return self._report(shift, kind)

    @property
    def drawer_trouble(self) -> str | None:
        """The sentence to show when the drawer did not open at the last cash action
        (`no_sale`, `paid_in`, `paid_out`, a sale's cash), else None."""
        return self._drawer_trouble

    # -- opening and closing ----------------------------------------------------------------

    async def open_shift(
        self,
        float_cents: int,
        *,
        person: str | None,
        count: Mapping[int, int] | None = None,
    ) -> Shift:
        """Open a shift with its float: typed (`float_cents`) and, when counted note by
        note, `count` (which must add up to it). Audited SHIFT_OPENED."""
        if float_cents < 0:
            raise InvalidInputError(FLOAT_NEGATIVE)
        counted = DrawerCount(count) if count is not None else None
        if counted is not None and counted.total_cents != float_cents:
            raise InvalidInputError(
                FLOAT_COUNT_DIFFERS.format(
                    counted=Money(counted.total_cents).format(),
                    entered=Money(float_cents).format(),
                )
            )
        async with self.cash_lock:
            if self.current() is not None:
                raise InvalidInputError(ALREADY_OPEN)
            shift = Shift(
                id=str(uuid.uuid4()),
                lane=self.lane,
                opened_at=self.now(),
                opened_by=_name(person),
                float_cents=float_cents,
                float_count=counted.as_dict() if counted is not None else None,
            )
            await self.store.add_shift(shift)
        self._audit(
            AuditAction.SHIFT_OPENED,
            shift.id,
            {"person": shift.opened_by, "float_cents": float_cents},
        )
        return shift

    async def close_shift(
        self, counted: int | Mapping[int, int], *, person: str | None
    ) -> ShiftReport:
        """Close the open shift with the drawer counted: a total in cents, or notes and
        coins (denomination -> pieces). Refused without an open shift, or while a sale
        of the shift is still open. Returns the Z report. Audited SHIFT_CLOSED with the
        over/short."""
        if isinstance(counted, int):
            if counted < 0:
                raise InvalidInputError(COUNTED_NEGATIVE)
            counted_cents, count = counted, None
        else:
            drawer_count = DrawerCount(counted)
            counted_cents, count = drawer_count.total_cents, drawer_count.as_dict()
        async with self.cash_lock:
            shift = self.require_current()
            if self._open_sales(shift):
                raise InvalidInputError(OPEN_SALES)
            expected = expected_cash(shift, self.store.cash_movements(shift_id=shift.id))
            closed = replace(
                shift,
                closed_at=self.now(),
                closed_by=_name(person),
                counted_cents=counted_cents,
                expected_cents=expected,
                count=count,
            )
            await self.store.close_shift(closed)
        self._audit(
            AuditAction.SHIFT_CLOSED,
            closed.id,
            {
                "person": closed.closed_by,
                "counted_cents": counted_cents,
                "expected_cents": expected,
                "over_short_cents": closed.over_short_cents,
                "by_denomination": count is not None,
            },
        )
        return self._report(closed, ShiftReportKind.Z)

    # -- cash outside sales -------------------------------------------------------------------

    async def no_sale(self, reason: str, *, person: str | None) -> CashMovement:
        """Open the drawer without a sale (the reason is on the shift's report). Audited."""
        return await self._movement(
            CashMovementKind.NO_SALE, 0, reason, person, None, AuditAction.NO_SALE
        )

    async def paid_in(self, amount_cents: int, reason: str, *, person: str | None) -> CashMovement:
        """Cash put into the drawer (change from the bank). Audited."""
        return await self._movement(
            CashMovementKind.PAID_IN, amount_cents, reason, person, None, AuditAction.PAID_IN
        )

    async def paid_out(
        self,
        amount_cents: int,
        reason: str,
        *,
        person: str | None,
        approved_by: str | None = None,
    ) -> CashMovement:
        """Cash taken from the drawer (a delivery paid from the till): never more than the
        drawer should hold. Audited, with the approver when one approved."""
        return await self._movement(
            CashMovementKind.PAID_OUT,
            amount_cents,
            reason,
            person,
            approved_by,
            AuditAction.PAID_OUT,
        )

    async def open_drawer(self, reason: str) -> str | None:
        """Open the drawer for `reason`: None when it opened (or opens by hand), else the
        sentence to show. Never raises for the drawer."""
        try:
            await self.drawer.open(reason)
        except (UnavailableError, OSError) as exc:
            log.warning("the cash drawer did not open (%s): %s", reason, exc)
            self._drawer_trouble = DRAWER_TROUBLE
        except Exception:
            log.exception("the cash drawer failed (%s)", reason)
            self._drawer_trouble = DRAWER_TROUBLE
        else:
            self._drawer_trouble = None
        return self._drawer_trouble

    # -- helpers --------------------------------------------------------------------------------

    async def _movement(
        self,
        kind: CashMovementKind,
        amount_cents: int,
        reason: str,
        person: str | None,
        approved_by: str | None,
        action: AuditAction,
    ) -> CashMovement:
        why = _reason(reason)
        if kind is not CashMovementKind.NO_SALE and amount_cents <= 0:
            raise InvalidInputError(AMOUNT_NEEDED)
        async with self.cash_lock:
            shift = self.require_current(NO_SHIFT)
            if kind is CashMovementKind.PAID_OUT:
                expected = expected_cash(shift, self.store.cash_movements(shift_id=shift.id))
                if amount_cents > expected:
                    raise InvalidInputError(
                        PAID_OUT_TOO_MUCH.format(expected=Money(max(0, expected)).format())
                    )
            movement = CashMovement(
                id=str(uuid.uuid4()),
                shift_id=shift.id,
                kind=kind,
                amount_cents=amount_cents,
                at=self.now(),
                person=_name(person),
                reason=why,
                approved_by=_name(approved_by),
            )
            await self.store.add_cash_movement(movement)
        detail: dict[str, DetailValue] = {
            "person": movement.person,
            "amount_cents": amount_cents,
            "reason": why,
            "shift_id": shift.id,
        }
        if movement.approved_by is not None:
            detail["approved_by"] = movement.approved_by
        await self.open_drawer(_DRAWER_REASONS[kind])
        self._audit(action, movement.id, detail)
        return movement

    def _open_sales(self, shift: Shift) -> bool:
        """Whether a sale still OPEN belongs to the shift, or took cash in it."""
        for ticket in self.store.open_tickets():
            if ticket.lane != self.lane or ticket.status is not TicketStatus.OPEN:
                continue
            if ticket.shift_id == shift.id:
                return True
            if any(m.shift_id == shift.id for m in self.store.cash_movements(ticket_id=ticket.id)):
                return True
        return False

    def _report(self, shift: Shift, kind: ShiftReportKind) -> ShiftReport:
        return build_shift_report(
            shift,
            self.store.cash_movements(shift_id=shift.id),
            self.store.shift_tickets(shift.id),
            self.store.shift_operations(shift.id),
            kind=kind,
            made_at=self.now(),
        )

    def _audit(
        self, action: AuditAction, subject: str | None, detail: dict[str, DetailValue]
    ) -> None:
        audit(self._record, action, subject, detail)


#: What the drawer is told it opens for (the demo's virtual drawer shows it).
_DRAWER_REASONS: Final = {
    CashMovementKind.SALE: "sale",
    CashMovementKind.REFUND: "cash refund",
    CashMovementKind.CANCEL_RETURN: "sale cancelled",
    CashMovementKind.PAID_IN: "paid in",
    CashMovementKind.PAID_OUT: "paid out",
    CashMovementKind.NO_SALE: "no sale",
}


def audit(
    record: Recorder,
    action: AuditAction,
    subject: str | None,
    detail: Mapping[str, DetailValue],
) -> None:
    """Audit an action whose cash is journaled already. An audit log that cannot take
    the entry is logged with its traceback, not raised: the money moved and the journal
    keeps it with the person, and a cashier told it failed would do it twice."""
    try:
        record(action, subject, detail)
    except Exception:
        log.exception("the audit entry %s of %s could not be written", action.value, subject)


def drawer_reason(kind: CashMovementKind) -> str:
    """What the drawer is told it opens for, for a movement of `kind`."""
    return _DRAWER_REASONS[kind]


def _reason(reason: str) -> str:
    why = (reason or "").strip()
    if not why:
        raise InvalidInputError(REASON_NEEDED)
    if len(why) > MAX_REASON_LENGTH:
        raise InvalidInputError(REASON_TOO_LONG)
    return why


def _name(name: str | None) -> str | None:
    """A person's name as kept: stripped; a blank one is nobody."""
    stripped = (name or "").strip()
    return stripped or None
