"""A sale as a ticket at the till: Cash, Charge of the balance or of a part, Split,
Cancel sale, and a partly paid sale brought back at start-up.

Every sale the till takes is a journaled ticket (`SaleService`): it is
started when money first moves (the cashier's Cash or Charge), and each tender
part is paid towards it. The journal decides: after every part the payments
are read back (`SaleService.payments`), the tender panel shows them, and at
zero balance the ticket completes and the window starts a new sale. A declined
card pays nothing and leaves the paid parts standing.

Work runs one at a time in the sale flow's payment slot (a charge, a cash
part, a cancel), and card parts are followed in the sale flow's payment
dialog. Pressing Cash shows the tender dialog at once (it is built when the
loop is first idle); the ticket is journaled only once the cash is taken, so
a cashier who goes back leaves nothing behind.

A ticket with nothing paid yet (its first card was declined) does not lock
the cart: when the sale changes, that ticket is given up (nothing to give
back) and the next Cash or Charge starts a new one. Once a part is paid the
sale can no longer change: the window locks the cart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from pos_app.domain.cart import Cart
from pos_app.domain.money import Money
from pos_app.domain.payment_flow import PaymentState, StateName
from pos_app.domain.tender import TenderKind, TicketPayments
from pos_app.domain.tickets import Ticket, TicketStatus
from pos_app.ui.payment_dialog import PaymentChoice
from pos_app.ui.sale_flow import READABLE_ERRORS, SaleFlow, sentence
from pos_app.ui.split_dialog import SplitDialog
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.tender_dialog import TenderDialog
from pos_app.ui.text import till as text
from pos_app.ui.text import window as window_text

if TYPE_CHECKING:
    from pos_app.services.sales import SaleService
    from pos_app.services.shifts import ShiftService

__all__ = ["CardRequest", "SaleStart", "TillFlow"]

log = logging.getLogger("pos_app.ui.till_flow")

PREBUILD_DELAY_MS = 0


@dataclass(frozen=True)
class SaleStart:
    """What a new ticket is made of: the cart as rung up, and its description."""

    cart: Cart
    description: str | None
    discount_approved_by: str | None = None


@dataclass(frozen=True)
class CardRequest:
    """A card part: `amount_cents` None charges the whole balance."""

    terminal_id: str
    amount_cents: int | None = None


class TillFlow(QObject):
    """The open ticket, its parts, and the work that pays or cancels it."""

    payments_changed = Signal()  # the open ticket's parts or balance changed
    sale_completed = Signal(str, object)  # ticket id, the last card state (or None)
    sale_cancelled = Signal(str)  # ticket id
    message = Signal(str)

    def __init__(
        self,
        sales: SaleService,
        shifts: ShiftService,
        flow: SaleFlow,
        parent_widget: QWidget,
    ) -> None:
        super().__init__(parent_widget)
        self.sales = sales
        self.shifts = shifts
        self.flow = flow
        self._parent = parent_widget
        self.ticket: Ticket | None = None  # the sale being paid, once journaled
        self.payments: TicketPayments | None = None
        self.declined: list[str] = []  # the card attempts declined on this ticket
        self._tender: TenderDialog | None = None
        self._split: SplitDialog | None = None
        self._unpaid: list[str] = []  # tickets with nothing paid, being given up
        self.housekeeping = TaskSlot(self, "unpaid sales given up")
        QTimer.singleShot(PREBUILD_DELAY_MS, self, self.prepare_tender)

    # -- what the window asks --------------------------------------------------------

    def prepare_tender(self) -> TenderDialog:
        """The tender dialog, built once (when the loop was first idle) and reused."""
        if self._tender is None:
            self._tender = TenderDialog(self._parent)
        return self._tender

    @property
    def tender_dialog(self) -> TenderDialog | None:
        """The tender dialog, once built."""
        return self._tender

    @property
    def split_dialog(self) -> SplitDialog | None:
        """The split question, once asked."""
        return self._split

    @property
    def locked(self) -> bool:
        """Part of the sale is paid: its lines can no longer change."""
        return self.payments is not None and bool(self.payments.parts)

    @property
    def balance_cents(self) -> int | None:
        """What is left to pay on the open ticket (None without one)."""
        return self.payments.balance_cents if self.payments is not None else None

    def shift_open(self) -> bool:
        """Whether a shift is open (cash needs one)."""
        return self.shifts.current() is not None

    def take_cash(
        self, start: SaleStart, due_cents: int, *, tendered_cents: int | None = None
    ) -> asyncio.Task[Any] | None:
        """Cash towards the sale: the tender dialog for `due_cents` (None while another
        payment runs). `tendered_cents` presets what was handed over (a split part)."""
        return self.flow.start_exclusive(self._cash(start, due_cents, tendered_cents))

    def charge(self, start: SaleStart, request: CardRequest) -> asyncio.Task[Any] | None:
        """A card part (the balance, or `request.amount_cents`) on the chosen terminal."""
        return self.flow.start_exclusive(self._charge(start, request))

    def split(
        self, start: SaleStart, due_cents: int, terminal_id: str | None
    ) -> asyncio.Task[Any] | None:
        """Ask the next part's amount and tender, then take it."""
        return self.flow.start_exclusive(self._split_part(start, due_cents, terminal_id))

    def cancel(self, approve: Callable[[], Awaitable[str | None]]) -> asyncio.Task[Any] | None:
        """Give up the partly paid sale once `approve` names the approving manager."""
        return self.flow.start_exclusive(self._cancel(approve))

    async def resume(self) -> None:
        """Start-up: bring back the newest partly paid sale (the service completes the
        ones paid to zero)."""
        try:
            ticket = await self.sales.resume()
        except READABLE_ERRORS as exc:
            self.message.emit(sentence(exc))
            return
        if ticket is None:
            return
        self._hold(ticket)
        if not self.locked:
            self.sale_changed()  # nothing paid: give it up, the cart starts afresh
            return
        assert self.payments is not None
        balance = Money(self.payments.balance_cents).format()
        self.message.emit(text.RESUMED.format(balance=balance))

    def sale_changed(self) -> None:
        """The cart changed: a ticket with nothing paid is given up (nothing to give back,
        no approval), so the next Cash or Charge journals the sale as it is now. A
        partly paid sale cannot change (the window locks the cart)."""
        ticket = self.ticket
        if ticket is None or self.locked:
            return
        self._drop()
        self._unpaid.append(ticket.id)
        self.housekeeping.start_if_idle(self._give_up_unpaid())

    async def _give_up_unpaid(self) -> None:
        # One slot works through every ticket dropped, so none is left OPEN by a cancel.
        while self._unpaid:
            ticket_id = self._unpaid[0]
            person = self.flow.served_by()
            try:
                await self.sales.cancel(ticket_id, approved_by=person or "", person=person)
            except READABLE_ERRORS:  # left OPEN: resume() offers it again at start-up
                log.warning("the unpaid sale %s could not be given up", ticket_id, exc_info=True)
            del self._unpaid[0]

    async def refresh(self) -> None:
        """Read the open ticket's payments again (after "Check again" settled a card part):
        the panel follows, and a sale now paid to zero completes."""
        await self._after_part(None)

    # -- the work ----------------------------------------------------------------------

    async def _ensure_ticket(self, start: SaleStart) -> Ticket:
        if self.ticket is None:
            ticket = await self.sales.start(
                start.cart,
                served_by=self.flow.served_by(),
                discount_approved_by=start.discount_approved_by,
                description=start.description,
            )
            self._hold(ticket)
        assert self.ticket is not None
        return self.ticket

    async def _cash(
        self, start: SaleStart, due_cents: int, tendered_preset: int | None
    ) -> PaymentState | None:
        dialog = self.prepare_tender()
        tendered = await dialog.ask(due_cents, tendered_cents=tendered_preset)
        if tendered is None:
            return None
        try:
            ticket = await self._ensure_ticket(start)
            result = await self.sales.pay_cash(ticket.id, tendered, person=self.flow.served_by())
        except READABLE_ERRORS as exc:
            self.message.emit(sentence(exc))
            return None
        self.payments = result.payments
        if result.change_cents:
            line = text.CASH_TAKEN_CHANGE.format(change=Money(result.change_cents).format())
        elif result.payments.is_paid:
            line = text.CASH_TAKEN
        else:
            line = text.CASH_PART_TAKEN.format(
                amount=Money(result.movement.amount_cents).format(),
                left=Money(result.payments.balance_cents).format(),
            )
        if result.drawer_trouble:
            line = f"{line} {result.drawer_trouble}"
        await self._after_part(None)
        self.message.emit(line)
        return None

    async def _charge(self, start: SaleStart, request: CardRequest) -> PaymentState | None:
        try:
            ticket = await self._ensure_ticket(start)
        except READABLE_ERRORS as exc:
            self.message.emit(sentence(exc))
            return None
        payments = self.sales.payments(ticket.id)
        amount = request.amount_cents or payments.balance_cents
        terminal_id = request.terminal_id
        while True:
            cancel = asyncio.Event()
            try:
                run = await self.sales.charge_card(
                    ticket.id, amount, terminal_id, cancel=cancel, served_by=self.flow.served_by()
                )
            except READABLE_ERRORS as exc:
                self.message.emit(sentence(exc))
                return None
            # A part that leaves something owing ends on "Continue", not "New sale".
            view = self.flow.prepare_dialog().view
            view.set_part_left(max(0, payments.balance_cents - amount) or None)
            try:
                final, choice = await self.flow.follow(
                    run, cancel, terminal_id, window_text.CHARGE_TITLE
                )
            finally:
                view.set_part_left(None)
            if choice.kind == PaymentChoice.RETRY and choice.terminal_id:
                terminal_id = choice.terminal_id
                continue
            break
        if final.name is StateName.DECLINED:
            label = " ".join(filter(None, (final.card_brand, final.card_last4))) or "Card"
            self.declined.append(
                text.DECLINED_LINE.format(label=label, amount=Money(amount).format())
            )
        await self._after_part(final)
        return final

    async def _split_part(
        self, start: SaleStart, due_cents: int, terminal_id: str | None
    ) -> PaymentState | None:
        if self._split is None:
            self._split = SplitDialog(self._parent)
        choice = await self._split.ask(due_cents, cash_allowed=self.shift_open())
        if choice is None:
            return None
        if choice.kind is TenderKind.CASH:
            return await self._cash(start, due_cents, choice.amount_cents)
        if terminal_id is None:
            self.message.emit(window_text.REASON_NO_TERMINAL)
            return None
        return await self._charge(start, CardRequest(terminal_id, choice.amount_cents))

    async def _after_part(self, final: PaymentState | None) -> None:
        """Read the ticket back; complete it at zero balance."""
        ticket = self.ticket
        if ticket is None:
            return
        payments = self.payments = self.sales.payments(ticket.id)
        if payments.is_paid:
            await self.sales.settle(ticket.id)
            self._drop()
            self.sale_completed.emit(ticket.id, final)
            return
        self.payments_changed.emit()

    async def _cancel(self, approve: Callable[[], Awaitable[str | None]]) -> PaymentState | None:
        ticket = self.ticket
        if ticket is None:
            return None
        approver = await approve()
        if approver is None:
            self.message.emit(text.CANCEL_NEEDS_MANAGER)
            return None
        try:
            result = await self.sales.cancel(
                ticket.id, approved_by=approver, person=self.flow.served_by()
            )
            for run in result.runs:
                await self.flow.follow(run, None, None, text.CANCEL_SALE_NAME)
            settle_cancel = getattr(self.sales, "settle_cancel", None)
            current = (
                await settle_cancel(ticket.id) if settle_cancel else self.sales.ticket(ticket.id)
            )
        except READABLE_ERRORS as exc:
            self.message.emit(sentence(exc))
            return None
        if current.status is TicketStatus.CANCELLED:
            self._drop()
            cash = result.returned_cash_cents
            line = (
                text.CANCELLED.format(cash=Money(cash).format()) if cash else text.CANCELLED_NO_CASH
            )
            if result.drawer_trouble:
                line = f"{line} {result.drawer_trouble}"
            self.sale_cancelled.emit(ticket.id)
            self.message.emit(line)
        else:
            await self._after_part(None)
            self.message.emit(text.CANCEL_PENDING)
        return None

    # -- state ---------------------------------------------------------------------------

    def _hold(self, ticket: Ticket) -> None:
        self.ticket = ticket
        self.payments = self.sales.payments(ticket.id)
        self.payments_changed.emit()

    def _drop(self) -> None:
        self.ticket = None
        self.payments = None
        self.declined = []
        self.payments_changed.emit()
