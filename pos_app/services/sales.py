"""A sale paid in parts: cash, one card or several, in any order, down to zero balance.

A sale is a `Ticket`, journaled OPEN with its lines and totals when it starts,
before any card part is sent. Each part is then journaled on its own: a cash
part as a cash movement of the open shift, a card part as a charge carrying the
ticket's id. The ticket completes at zero balance.

Rules worth knowing:
- Cash needs an open shift. A cash part applies what was handed over up to the
  balance; the rest is change. The part and, when it pays the balance, the
  ticket's completion are ONE write: a crash leaves both or neither.
- A card part is never more than the balance less the card parts still under
  way (a charge not yet approved or declined, or unresolved), so two parts can
  never pay the same cents. An approved card part that pays the balance
  completes the ticket as its final state is handed out; if the till stopped
  before that, `resume()` at start-up completes it (after
  `PaymentService.recover()` has settled the charge).
- A declined card leaves the paid parts standing: the balance is still due.
- Cancelling needs a manager: cash kept goes back from the drawer (one
  CANCEL_RETURN movement), each approved card part is voided while JustiFi
  still allows it (25 minutes), else refunded to the card. The ticket is
  CANCELLED once nothing is left to give back (`settle_cancel`).
- A cash refund of a completed sale never exceeds the cash it kept less the
  cash already given back.

Every change of cash takes the shift service's `cash_lock`, so a check of the
balance and its write are one step on the lane's event loop.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from pos_app.domain.cart import Cart
from pos_app.domain.errors import InvalidInputError, NotPermittedError, UserFacingError
from pos_app.domain.money import Money
from pos_app.domain.payment_flow import PaymentKind, PaymentState, StateName, is_final
from pos_app.domain.tender import (
    TenderKind,
    TenderPart,
    TicketPayments,
    card_part_error,
    cash_part,
)
from pos_app.domain.tickets import (
    CashMovement,
    CashMovementKind,
    Ticket,
    TicketStatus,
)
from pos_app.services.audit_log import AuditAction, DetailValue
from pos_app.services.payments import PaymentRun, PaymentService
from pos_app.services.ports import Operation, PaymentDetails, TicketStore
from pos_app.services.shifts import (
    NO_SHIFT_FOR_CASH,
    Recorder,
    ShiftService,
    audit,
    drawer_reason,
    utc_now,
)
from pos_app.services.ticket_parts import (
    all_given_back,
    check_no_card_unresolved,
    giving_back,
    tender_parts,
    under_way_cents,
)

__all__ = ["CancelResult", "CashResult", "SaleService", "tender_parts"]

log = logging.getLogger("pos_app.services.sales")

# JustiFi voids within 25 minutes of the payment; past this we refund to the card.
VOID_WINDOW: Final = timedelta(minutes=20)
# A void refused with one of these codes: refund to the card instead.
_NOT_VOIDABLE: Final = frozenset({"payment_outside_void_window", "payment_not_voidable"})

# -- the sentences a person reads, in one place for translation ----------------------------

EMPTY_SALE: Final = "Add items or type an amount first."
NOTHING_TO_PAY: Final = "The sale comes to nothing: there is nothing to pay."
UNKNOWN_SALE: Final = "That sale is not on this till."
SALE_PAID: Final = "This sale is paid already."
SALE_CANCELLED: Final = "This sale was cancelled."
SALE_NOT_PAID: Final = "This sale is not paid yet: cancel it instead."
CARD_UNDER_WAY: Final = "A card payment of this sale is still under way: wait for it to finish."
GIVING_BACK: Final = (
    "A card part of this sale is still going back: wait for it, or check it again in the history."
)
CANCEL_NEEDS_MANAGER: Final = "Cancelling a partly paid sale needs a manager's approval."
NO_SHIFT_TO_RETURN_CASH: Final = "Open a shift to give the cash back from the drawer."
NO_SHIFT_TO_REFUND_CASH: Final = "Open a shift to refund cash from the drawer."
REFUND_AMOUNT_NEEDED: Final = "Enter a refund amount above zero."
NO_CASH_TO_REFUND: Final = "No cash is left to refund on this sale."
CASH_REFUND_TOO_MUCH: Final = "At most {amount} in cash can be refunded on this sale."
CANCEL_REASON: Final = "customer_request"


@dataclass(frozen=True)
class CashResult:
    """A cash part taken: the ticket after it, the movement, the payments so far, the
    change to give, and the sentence to show when the drawer did not open."""

    ticket: Ticket
    movement: CashMovement
    payments: TicketPayments
    change_cents: int
    drawer_trouble: str | None


@dataclass(frozen=True)
class CancelResult:
    """A cancel asked for: the ticket (CANCELLED when nothing was left on a card), the
    cash to hand back now, the card runs to follow (voids or refunds to the card), and
    the drawer's trouble sentence."""

    ticket: Ticket
    returned_cash_cents: int
    runs: tuple[PaymentRun, ...]
    drawer_trouble: str | None


class SaleService:
    """Sales (tickets) paid in parts on one lane, over the payment engine and the store."""

    def __init__(
        self,
        payments: PaymentService,
        store: TicketStore,
        shifts: ShiftService,
        *,
        lane: str,
        record: Recorder,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.engine = payments
        self.store = store
        self.shifts = shifts
        self.lane = lane
        self._record = record
        self.now = now

    # -- reads ------------------------------------------------------------------------------

    def ticket(self, ticket_id: str) -> Ticket:
        """One sale of this lane; InvalidInputError when unknown."""
        ticket = self.store.ticket(ticket_id)
        if ticket is None or ticket.lane != self.lane:
            raise InvalidInputError(UNKNOWN_SALE)
        return ticket

    def open_ticket(self) -> Ticket | None:
        """The newest sale of this lane still OPEN (to resume it)."""
        open_here = [t for t in self.store.open_tickets() if t.lane == self.lane]
        return open_here[-1] if open_here else None

    def payments(self, ticket_id: str) -> TicketPayments:
        """The sale's total and its parts, oldest first: cash movements (SALE) and approved
        charges, each with what has gone back from it."""
        ticket = self.ticket(ticket_id)
        return tender_parts(
            ticket,
            self.store.cash_movements(ticket_id=ticket_id),
            self.store.ticket_operations(ticket_id),
        )

    # -- starting and paying ----------------------------------------------------------------

    async def start(
        self,
        cart: Cart,
        *,
        served_by: str | None,
        discount_approved_by: str | None = None,
        description: str | None = None,
    ) -> Ticket:
        """Journal the cart as an OPEN sale (its lines, discounts and totals, the open shift).

        Audited DISCOUNT when it has one, with who approved it."""
        if cart.is_empty:
            raise InvalidInputError(EMPTY_SALE)
        if cart.total.cents <= 0:
            raise InvalidInputError(NOTHING_TO_PAY)
        shift = self.shifts.current()
        now = self.now()
        ticket = Ticket(
            id=str(uuid.uuid4()),
            lane=self.lane,
            status=TicketStatus.OPEN,
            lines=cart.ticket_lines(),
            subtotal_cents=cart.subtotal.cents,
            sale_discount_cents=cart.sale_discount.cents,
            tax_cents=cart.tax.cents,
            total_cents=cart.total.cents,
            created_at=now,
            updated_at=now,
            sale_discount_reason=cart.discount.reason if cart.discount is not None else None,
            served_by=_name(served_by),
            discount_approved_by=_name(discount_approved_by),
            shift_id=shift.id if shift is not None else None,
            description=(description or "").strip() or None,
        )
        await self.store.add_ticket(ticket)
        if ticket.discount_cents:
            detail: dict[str, DetailValue] = {
                "person": ticket.served_by,
                "discount_cents": ticket.discount_cents,
                "gross_cents": cart.gross.cents,
                "sale_discount_reason": ticket.sale_discount_reason,
                "line_discounts": sum(1 for line in ticket.lines if line.discount_cents),
            }
            if ticket.discount_approved_by is not None:
                detail["approved_by"] = ticket.discount_approved_by
            audit(self._record, AuditAction.DISCOUNT, ticket.id, detail)
        return ticket

    async def pay_cash(
        self, ticket_id: str, tendered_cents: int, *, person: str | None
    ) -> CashResult:
        """Take cash for the sale: applies up to the balance, the rest is change. Completes
        the sale at zero balance in the same write, then opens the drawer."""
        async with self.shifts.cash_lock:
            shift = self.shifts.require_current(NO_SHIFT_FOR_CASH)
            ticket = self._payable(ticket_id)
            operations = self.store.ticket_operations(ticket_id)
            check_no_card_unresolved(operations)
            payments = tender_parts(
                ticket, self.store.cash_movements(ticket_id=ticket_id), operations
            )
            balance = payments.balance_cents - under_way_cents(operations)
            part = cash_part(max(0, balance), tendered_cents)
            movement = CashMovement(
                id=str(uuid.uuid4()),
                shift_id=shift.id,
                kind=CashMovementKind.SALE,
                amount_cents=part.applied_cents,
                at=self.now(),
                person=_name(person),
                ticket_id=ticket_id,
                tendered_cents=part.tendered_cents,
                change_cents=part.change_cents,
            )
            completes = part.applied_cents == payments.balance_cents
            await self.store.add_cash_movement(movement, complete_ticket=completes)
        trouble = await self.shifts.open_drawer(drawer_reason(CashMovementKind.SALE))
        return CashResult(
            self.ticket(ticket_id),
            movement,
            self.payments(ticket_id),
            part.change_cents,
            trouble,
        )

    async def charge_card(
        self,
        ticket_id: str,
        amount_cents: int,
        terminal_id: str,
        *,
        cancel: asyncio.Event | None = None,
        served_by: str | None = None,
    ) -> PaymentRun:
        """Charge a card part of the sale on a terminal (at most the balance less the card
        parts under way). The charge carries the ticket and the open shift (none: the
        day's). Iterate the run as any charge; an approval that pays the balance completes
        the sale before its state is handed out."""
        async with self.shifts.cash_lock:
            ticket = self._payable(ticket_id)
            operations = self.store.ticket_operations(ticket_id)
            check_no_card_unresolved(operations)
            payments = tender_parts(
                ticket, self.store.cash_movements(ticket_id=ticket_id), operations
            )
            available = payments.balance_cents - under_way_cents(operations)
            refusal = card_part_error(max(0, available), amount_cents)
            if refusal is not None:
                raise InvalidInputError(refusal)
            shift = self.shifts.current()
            run = await self.engine.charge(
                amount_cents,
                terminal_id,
                ticket.description,
                cancel=cancel,
                served_by=served_by if served_by is not None else ticket.served_by,
                ticket_id=ticket_id,
                shift_id=shift.id if shift is not None else None,
            )
        run.states = self._settled_after(run.states, ticket_id, self.settle)
        return run

    async def settle(self, ticket_id: str) -> Ticket:
        """Complete the sale if it is paid to zero balance (idempotent); the sale as it is."""
        ticket = self.ticket(ticket_id)
        if ticket.status is not TicketStatus.OPEN:
            return ticket
        if self.payments(ticket_id).is_paid:
            await self.store.set_ticket_status(ticket_id, TicketStatus.COMPLETE, at=self.now())
            return self.ticket(ticket_id)
        return ticket

    async def resume(self) -> Ticket | None:
        """At start-up, after `PaymentService.recover()`: complete every OPEN sale paid to
        zero and cancel every one whose parts all went back; return the newest still owing."""
        for ticket in [t for t in self.store.open_tickets() if t.lane == self.lane]:
            payments = self.payments(ticket.id)
            if payments.is_paid:
                await self.settle(ticket.id)
            elif all_given_back(payments):
                await self.settle_cancel(ticket.id)
        return self.open_ticket()

    # -- giving back --------------------------------------------------------------------------

    async def cancel(self, ticket_id: str, *, approved_by: str, person: str | None) -> CancelResult:
        """Give up a sale that is not paid to the end, with a manager's approval when
        something was paid: cash kept goes back from the drawer, each card part is voided
        (or refunded to the card). Follow `runs` to the end; the sale is CANCELLED once
        nothing is left to give back. Asking again retries only what did not go back."""
        approver = _name(approved_by)
        async with self.shifts.cash_lock:
            ticket = self.ticket(ticket_id)
            if ticket.status is TicketStatus.CANCELLED:
                return CancelResult(ticket, 0, (), None)
            if ticket.status is TicketStatus.COMPLETE:
                raise InvalidInputError(SALE_PAID)
            operations = self.store.ticket_operations(ticket_id)
            check_no_card_unresolved(operations)
            if under_way_cents(operations):
                raise InvalidInputError(CARD_UNDER_WAY)
            if giving_back(operations):
                raise InvalidInputError(GIVING_BACK)
            payments = tender_parts(
                ticket, self.store.cash_movements(ticket_id=ticket_id), operations
            )
            if payments.parts and approver is None:
                raise NotPermittedError(CANCEL_NEEDS_MANAGER)
            cash_back = sum(p.refundable_cents for p in payments.parts if p.kind is TenderKind.CASH)
            shift = self.shifts.current()
            if cash_back and shift is None:
                raise InvalidInputError(NO_SHIFT_TO_RETURN_CASH)
            # JustiFi is asked first: if it cannot be reached, nothing has moved yet.
            plans = [
                await self._card_plan(part, operations)
                for part in payments.parts
                if part.kind is TenderKind.CARD and part.refundable_cents
            ]
            movement = None
            if cash_back and shift is not None:
                movement = CashMovement(
                    id=str(uuid.uuid4()),
                    shift_id=shift.id,
                    kind=CashMovementKind.CANCEL_RETURN,
                    amount_cents=cash_back,
                    at=self.now(),
                    person=_name(person),
                    reason="sale cancelled",
                    ticket_id=ticket_id,
                    approved_by=approver,
                )
                await self.store.add_cash_movement(movement)
            who = {"served_by": _name(person), "approved_by": approver}
            shift_id = shift.id if shift is not None else None
            runs = tuple(
                [
                    await self.engine.void(payment, shift_id=shift_id, **who)
                    if amount is None
                    else await self.engine.refund_to_card(
                        payment, amount, CANCEL_REASON, shift_id=shift_id, **who
                    )
                    for payment, amount in plans
                ]
            )
        detail: dict[str, DetailValue] = {
            "person": _name(person),
            # Nothing paid needs no approval: an unpaid sale given up names nobody.
            "approved_by": approver if payments.parts else None,
            "total_cents": ticket.total_cents,
            "paid_cents": payments.paid_cents,
            "cash_returned_cents": cash_back,
            "card_parts": len(runs),
        }
        trouble = None
        if movement is not None:
            trouble = await self.shifts.open_drawer(drawer_reason(CashMovementKind.CANCEL_RETURN))
        audit(self._record, AuditAction.SALE_CANCELLED, ticket_id, detail)
        for run in runs:
            run.states = self._settled_after(
                run.states,
                ticket_id,
                lambda tid: self.settle_cancel(tid, approved_by=approver),
            )
        if not runs:
            ticket = await self.settle_cancel(
                ticket_id, approved_by=approver if payments.parts else None
            )
        return CancelResult(ticket, cash_back, runs, trouble)

    async def settle_cancel(self, ticket_id: str, *, approved_by: str | None = None) -> Ticket:
        """Mark a sale being cancelled CANCELLED once nothing of it is left to give back
        (idempotent); the sale as it is."""
        ticket = self.ticket(ticket_id)
        if ticket.status is not TicketStatus.OPEN:
            return ticket
        operations = self.store.ticket_operations(ticket_id)
        payments = tender_parts(ticket, self.store.cash_movements(ticket_id=ticket_id), operations)
        if payments.refundable_cents or under_way_cents(operations) or giving_back(operations):
            return ticket
        await self.store.set_ticket_status(
            ticket_id, TicketStatus.CANCELLED, at=self.now(), cancelled_by=_name(approved_by)
        )
        return self.ticket(ticket_id)

    async def refund_cash(
        self,
        ticket_id: str,
        amount_cents: int,
        *,
        person: str | None,
        approved_by: str | None,
        reason: str | None = None,
    ) -> CashMovement:
        """Refund cash of a completed sale from the drawer: at most the cash it kept less the
        cash given back. Needs an open shift; the drawer opens; audited CASH_REFUND.
        `reason`: the items going back, for a refund item by item."""
        if amount_cents <= 0:
            raise InvalidInputError(REFUND_AMOUNT_NEEDED)
        async with self.shifts.cash_lock:
            shift = self.shifts.require_current(NO_SHIFT_TO_REFUND_CASH)
            ticket = self.ticket(ticket_id)
            if ticket.status is TicketStatus.OPEN:
                raise InvalidInputError(SALE_NOT_PAID)
            payments = self.payments(ticket_id)
            left = sum(p.refundable_cents for p in payments.parts if p.kind is TenderKind.CASH)
            if left <= 0:
                raise InvalidInputError(NO_CASH_TO_REFUND)
            if amount_cents > left:
                raise InvalidInputError(CASH_REFUND_TOO_MUCH.format(amount=Money(left).format()))
            movement = CashMovement(
                id=str(uuid.uuid4()),
                shift_id=shift.id,
                kind=CashMovementKind.REFUND,
                amount_cents=amount_cents,
                at=self.now(),
                person=_name(person),
                reason=reason or "refund",
                ticket_id=ticket_id,
                approved_by=_name(approved_by),
            )
            await self.store.add_cash_movement(movement)
        detail: dict[str, DetailValue] = {
            "person": movement.person,
            "amount_cents": amount_cents,
            "shift_id": shift.id,
        }
        if movement.approved_by is not None:
            detail["approved_by"] = movement.approved_by
        if reason:
            detail["items"] = reason
        await self.shifts.open_drawer(drawer_reason(CashMovementKind.REFUND))
        audit(self._record, AuditAction.CASH_REFUND, ticket_id, detail)
        return movement

    # -- helpers --------------------------------------------------------------------------------

    def _payable(self, ticket_id: str) -> Ticket:
        ticket = self.ticket(ticket_id)
        if ticket.status is TicketStatus.COMPLETE:
            raise InvalidInputError(SALE_PAID)
        if ticket.status is TicketStatus.CANCELLED:
            raise InvalidInputError(SALE_CANCELLED)
        return ticket

    async def _card_plan(
        self, part: TenderPart, operations: Sequence[Operation]
    ) -> tuple[PaymentDetails, int | None]:
        """How a card part goes back: (payment, None) to void it while JustiFi allows it,
        else (payment, cents) to refund what is left to the card (checked here: nothing
        is sent before every part is known to be possible)."""
        payment = await self.engine.payment_details(part.payment_id or part.operation_id or "")
        void_refused = any(
            op.kind is PaymentKind.VOID
            and op.original_id == part.operation_id
            and op.decline_code in _NOT_VOIDABLE
            for op in operations
        )
        voidable = (
            not void_refused
            and part.refunded_cents == 0
            and payment.status == "succeeded"
            and (payment.created_at is None or self.now() - payment.created_at < VOID_WINDOW)
        )
        if voidable:
            return payment, None
        amount = min(part.refundable_cents, payment.refundable_cents)
        self.engine.check_refund(payment, amount)
        return payment, amount

    async def _settled_after(
        self,
        states: AsyncIterator[PaymentState],
        ticket_id: str,
        settle: Callable[[str], Awaitable[Ticket]],
    ) -> AsyncIterator[PaymentState]:
        """The run's states, with the sale settled before its final state is handed out."""
        try:
            async for state in states:
                if is_final(state) and state.name is StateName.APPROVED:
                    try:
                        await settle(ticket_id)
                    except UserFacingError as exc:
                        # The journal holds the approval: resume() or the next settle ends it.
                        log.warning("sale %s not settled after a card part: %s", ticket_id, exc)
                yield state
        finally:
            close = getattr(states, "aclose", None)
            if close is not None:
                await close()


def _name(name: str | None) -> str | None:
    stripped = (name or "").strip()
    return stripped or None
