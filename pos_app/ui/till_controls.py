"""The window's tender side: Cash and Split beside Charge, the tender panel, the cart's lock.

Built with the window (only Qt and the pure domain: the till shows before its
engine loads); `attach(till)` gives it the `TillFlow` once the lane's sale and
shift services are wired. It keeps Cash honest the way the window keeps
Charge: enabled only when a sale has a total and a shift is open, and
otherwise its hint (tooltip and accessible description) says why. While a
sale is partly paid the panel shows its parts and balance, and the cart, the
quick items and the amount keypad are locked: what would change the sale is
refused with a sentence.

The window composes; the work is the till flow's. This module only turns the
cashier's presses into the flow's calls and its signals into what the window
shows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from pos_app.domain.money import Money
from pos_app.ui.controls import touch_button
from pos_app.ui.tender_panel import TenderPanel
from pos_app.ui.text import till as text
from pos_app.ui.text import window as window_text

if TYPE_CHECKING:
    from pos_app.domain.payment_flow import PaymentState
    from pos_app.ui.amount_entry import AmountEntry
    from pos_app.ui.cart_model import CartModel
    from pos_app.ui.cart_panel import CartPanel
    from pos_app.ui.manager_tools import ManagerTools
    from pos_app.ui.quick_items import QuickItems
    from pos_app.ui.receipt_offer import ReceiptOffer
    from pos_app.ui.sale_flow import SaleFlow
    from pos_app.ui.terminal_picker import TerminalPicker
    from pos_app.ui.till_flow import SaleStart, TillFlow

__all__ = ["TillControls", "TillWindow"]

_PAY_BUTTON_HEIGHT = 72


class TillWindow(Protocol):
    """What the controls use of the till's window (`ui.main_window.MainWindow`)."""

    engine_ready: bool
    flow: SaleFlow
    picker: TerminalPicker
    cart_model: CartModel
    cart_panel: CartPanel
    quick_items: QuickItems
    amount_entry: AmountEntry
    charge_button: QPushButton
    status_line: QLabel
    receipt_offer: ReceiptOffer | None
    tools: ManagerTools | None

    def sale_total_cents(self) -> int: ...
    def description(self) -> str: ...
    def add_typed_amount(self) -> None: ...
    def update_charge_state(self) -> None: ...
    def new_sale(self, status: str | None) -> None: ...


class TillControls(QObject):
    """Cash, Split and the tender panel of one window (see the module docstring)."""

    def __init__(self, window: TillWindow, host: QWidget) -> None:
        """`window` is the till's window, `host` the same as a widget (the buttons' parent)."""
        super().__init__(host)
        self.window = window
        self.till: TillFlow | None = None
        self.cash_button = touch_button(host, "cashButton", text.CASH_EMPTY)
        self.cash_button.setMinimumHeight(_PAY_BUTTON_HEIGHT)
        self.cash_button.setFont(window.charge_button.font())
        self.cash_button.setAccessibleName(text.CASH_NAME)
        self.cash_button.hide()  # with the till's services
        self.split_button = touch_button(host, "splitButton", text.SPLIT)
        self.split_button.setAccessibleName(text.SPLIT_NAME)
        self.split_button.setToolTip(text.SPLIT_TIP)
        self.split_button.hide()
        self.tender_panel = TenderPanel(host)
        self.cash_button.clicked.connect(self.take_cash)
        self.split_button.clicked.connect(self.split)
        self.tender_panel.cancel_requested.connect(self._on_tender_panel_cancel_requested)

    def attach(self, till: TillFlow) -> None:
        """Sales as tickets from now on: Cash and Split show."""
        self.till = till
        till.payments_changed.connect(self._on_till_payments_changed)
        till.sale_completed.connect(self._on_till_sale_completed)
        till.sale_cancelled.connect(self._on_till_sale_cancelled)
        till.message.connect(self.window.status_line.setText)
        self.cash_button.show()
        self.split_button.show()

    # -- state ------------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        """A sale is partly paid: it cannot change."""
        return self.till is not None and self.till.locked

    def balance_cents(self) -> int | None:
        """What is left to pay on a partly paid sale (None when no sale is)."""
        return self.till.balance_cents if self.till is not None and self.till.locked else None

    def blocker(self) -> str | None:
        """Why Cash cannot be pressed now, or None."""
        window = self.window
        if not window.engine_ready or self.till is None:
            return window_text.REASON_CONNECTING
        if window.flow.recovering:
            return window_text.REASON_RECOVERING
        if window.sale_total_cents() == 0:
            return text.REASON_CASH_EMPTY
        if not self.till.shift_open():
            return text.REASON_NO_SHIFT
        return None

    def update(self, total: int, *, busy: bool) -> None:
        """Cash's label, whether it can be pressed and why not; Split; the cart's lock."""
        blocker = "" if busy else self.blocker()
        amount = Money(total).format()
        label = text.CASH.format(amount=amount) if total else text.CASH_EMPTY
        self.cash_button.setText(label)
        self.cash_button.setEnabled(blocker is None)
        why = blocker or text.READY_FOR_CASH.format(amount=amount)
        self.cash_button.setToolTip(why)
        self.cash_button.setAccessibleDescription(why)
        self.split_button.setEnabled(not busy and self.till is not None and total > 0)
        window = self.window
        for widget in (window.cart_panel, window.quick_items):
            widget.setEnabled(not self.locked)
        # The keypad makes room for the tender panel: on a 768-pixel screen both do not fit,
        # and nothing can be typed into a partly paid sale anyway.
        window.amount_entry.setVisible(not self.locked)

    def refuse_if_locked(self) -> bool:
        """A partly paid sale cannot change: say so (True) instead."""
        if self.locked:
            self.window.status_line.setText(text.CART_LOCKED)
            return True
        return False

    # -- the cashier's presses ----------------------------------------------------------------

    def charge(self, terminal_id: str) -> None:
        """Charge the sale's balance on the chosen terminal (a ticket first, if none)."""
        from pos_app.ui.till_flow import CardRequest

        if self.till is not None:
            self.till.charge(self.sale_start(), CardRequest(terminal_id))

    def take_cash(self) -> None:
        """Cash towards the sale: the tender dialog for what is left to pay."""
        if self.till is None or not self.cash_button.isEnabled():
            return
        self.window.add_typed_amount()
        self.till.take_cash(self.sale_start(), self.window.sale_total_cents())

    def split(self) -> None:
        """Pay part of the sale now (by card or cash); the rest stays to pay."""
        if self.till is None or not self.split_button.isEnabled():
            return
        self.window.add_typed_amount()
        terminal = self.window.picker.current()
        self.till.split(
            self.sale_start(), self.window.sale_total_cents(), terminal.id if terminal else None
        )

    def sale_start(self) -> SaleStart:
        """The cart as the ticket will keep it, with who approved its discounts."""
        from pos_app.ui.till_flow import SaleStart

        model = self.window.cart_model
        return SaleStart(model.cart, self.window.description(), model.discount_approved_by)

    # -- what the till flow says ------------------------------------------------------------

    def _on_till_payments_changed(self) -> None:
        till = self.till
        if till is not None and till.locked and till.payments is not None:
            self.window.amount_entry.hide()  # first, or the window grows to hold both
            self.tender_panel.show_payments(till.payments, till.declined)
        else:
            self.tender_panel.clear()
        self.window.update_charge_state()

    def _on_till_sale_completed(self, ticket_id: str, state: PaymentState | None) -> None:
        offer = self.window.receipt_offer
        offered = False
        if offer is not None:
            offered = offer.offer_ticket(ticket_id)
            if not offered and state is not None:  # receipts without the ticket store
                offered = offer.offer(state, self.window.cart_model.cart)
        self.tender_panel.clear()
        self.window.new_sale(window_text.NEW_SALE_RECEIPT if offered else window_text.NEW_SALE)

    def _on_till_sale_cancelled(self, _ticket_id: str) -> None:
        self.tender_panel.clear()
        self.window.new_sale(None)  # the flow said what went back

    def _on_tender_panel_cancel_requested(self) -> None:
        tools = self.window.tools
        if self.till is None:
            return
        if tools is None:
            self.window.status_line.setText(text.CANCEL_NEEDS_MANAGER)
            return
        manager, parent = tools.manager, self.tender_panel.window()

        async def approve() -> str | None:
            from pos_app.ui.approval import ask_approval

            person = await ask_approval(manager, parent, text.APPROVE_CANCEL)
            return person.name if person is not None else None

        self.till.cancel(approve)
