"""The manager's buttons on the till: history, end of day, audit log, staff, settings, and
every refund behind a manager's approval; and who is working the till.

Each screen needs a manager or owner signed in (one signs in over the till
if the person working it cannot; the owner's set-up comes first on a lane
with nobody yet). Refunds, voids and overrides need an approver: the person
signed in when they may approve, else a manager or owner who approves at
this till (`ui.approval`). Refunds and voids, from the history or "Refund
last sale", run through the window's one payment slot with who served and
who approved, and are written to the audit log when sent and again with
their outcome. A sale paid in cash or in parts is refunded by tender
(`refund_sale`): after the approval a chooser (`ui.tender_refund`) lists its
parts; a card part goes on to the card refund, cash is given back from the
drawer by the sale service (audited there, the drawer opens) and its receipt is
offered. A sale is refunded item by item from the history (`refund_items`):
after the approval the items are chosen (`ui.item_refund_dialog`), then the
chooser when it was paid in parts, then the card refund for the items' amount,
with the items in its description, or the cash. In a store the sale may be
another lane's: its card is refunded here, against that lane's payment, and
JustiFi refuses what was already given back elsewhere. `session`
(`ui.sign_in.TillSession`) follows who is signed in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QPushButton, QWidget

from pos_app.domain.errors import UserFacingError, user_message
from pos_app.domain.money import Money
from pos_app.domain.payment_flow import PaymentState
from pos_app.domain.staff import Person
from pos_app.services.audit_log import AuditAction, DetailValue
from pos_app.services.history import HistoryRow, HistoryService
from pos_app.services.manager import ManagerService
from pos_app.services.refunds import RefundRequest
from pos_app.services.reports import ReportService
from pos_app.services.settings import SettingsService
from pos_app.ui.controls import touch_button
from pos_app.ui.sale_flow import SaleFlow
from pos_app.ui.sign_in import TillSession
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.text import payment as payment_text
from pos_app.ui.text import staff as staff_text
from pos_app.ui.text import window as text

if TYPE_CHECKING:  # the screens load when first opened: the till starts sooner
    from pos_app.domain.line_refund import ItemRefund
    from pos_app.domain.receipt import Receipt
    from pos_app.services.sales import SaleService
    from pos_app.services.shifts import ShiftService
    from pos_app.services.store_view import StoreViewService
    from pos_app.ui.audit_view import AuditLogDialog
    from pos_app.ui.history_window import HistoryWindow
    from pos_app.ui.item_refund_dialog import SaleToRefund
    from pos_app.ui.receipt_offer import ReceiptOffer
    from pos_app.ui.report_view import EndOfDayDialog
    from pos_app.ui.settings_dialog import SettingsDialog
    from pos_app.ui.staff_dialog import StaffDialog

__all__ = ["ManagerTools"]


class ManagerTools(QObject):
    """Opens the manager's screens from the till, each behind the manager PIN."""

    message = Signal(str)  # a line for the till's status bar

    def __init__(
        self,
        window: QWidget,
        flow: SaleFlow,
        manager: ManagerService,
        history: HistoryService,
        *,
        reports: ReportService | None = None,
        receipts: ReceiptOffer | None = None,
        settings: SettingsService | None = None,
        lane: str | None = None,
        store_view: StoreViewService | None = None,
        idle_check_ms: int = 1000,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.flow = flow
        self.manager = manager
        self.history = history
        self.reports = reports
        self.receipts = receipts
        self.settings = settings
        self.lane = lane
        self.store_view = store_view  # the store's day and history; None: a lane on its own
        self.slot = TaskSlot(self, "manager tool")
        self.pin_slot = TaskSlot(self, "manager PIN change")
        self.history_window: HistoryWindow | None = None
        self.audit_dialog: AuditLogDialog | None = None
        self.report_dialog: EndOfDayDialog | None = None
        self.settings_dialog: SettingsDialog | None = None
        self.staff_dialog: StaffDialog | None = None
        self.refund_approver: Person | None = None  # who approved the refund under way
        self.tender_refund_dialog: QWidget | None = None  # the chooser, while it asks
        self.item_refund_dialog: QWidget | None = None  # the items, while it asks
        self.visiting: Person | None = None  # a manager signed in for the screens only
        self.session = TillSession(manager, window, idle_check_ms=idle_check_ms)
        self.buttons = [
            self._button(text.HISTORY, "historyButton", self.open_history),
            self._button(text.END_OF_DAY, "endOfDayButton", self.open_end_of_day),
            self._button(text.AUDIT_LOG, "auditLogButton", self.open_audit_log),
            self._button(staff_text.STAFF_BUTTON, "staffButton", self.open_staff),
            self._button(text.SETTINGS, "settingsButton", self.open_settings),
        ]
        self.buttons[1].setVisible(reports is not None)
        self.buttons[4].setVisible(settings is not None)
        flow.served_by = self.served_by
        flow.refund_started.connect(self._on_flow_refund_started)
        flow.refund_finished.connect(self._on_flow_refund_finished)

    def _button(
        self, label: str, name: str, open_tool: Callable[[], Coroutine[Any, Any, None]]
    ) -> QPushButton:
        button = touch_button(self.window, name, label)
        button.clicked.connect(lambda: self.slot.start_if_idle(open_tool()))
        return button

    # -- the tools --------------------------------------------------------------------

    def served_by(self) -> str | None:
        """The name of the person working the till (None when nobody is signed in)."""
        person = self.manager.current()
        return person.name if person is not None else None

    async def _ensure_manager(self, parent: QWidget | None = None) -> bool:
        """A manager or owner signed in for a manager's screen. One who signed in over
        someone else's till (a cashier's, or nobody's) is visiting: closing the last
        manager's screen signs them out again, so the till's next sales are not
        recorded under their name."""
        from pos_app.ui.pin_dialog import ensure_manager

        before = self.manager.current()
        allowed = await ensure_manager(self.manager, parent or self.window)
        if allowed and (before is None or not before.can_approve):
            self.visiting = self.manager.current()
        return allowed

    def _end_visit(self) -> None:
        """The visiting manager's screens are all closed: sign them out, and ask who is
        working (once the till asks at all)."""
        screens = (
            self.history_window,
            self.audit_dialog,
            self.report_dialog,
            self.settings_dialog,
            self.staff_dialog,
        )
        visitor = self.visiting
        if visitor is None or any(screen is not None for screen in screens):
            return
        self.visiting = None
        if self.manager.current() == visitor:
            self.manager.sign_out()
            self.session.signed_out(staff_text.VISIT_ENDED.format(name=visitor.name))

    async def _approval(self, what: str, parent: QWidget | None = None) -> Person | None:
        from pos_app.ui.approval import ask_approval

        return await ask_approval(self.manager, parent or self.window, what)

    async def open_history(self) -> None:
        if not await self._ensure_manager():
            return
        if self.history_window is None:
            from pos_app.ui.history_window import HistoryWindow

            self.history_window = HistoryWindow(
                self.history, self.manager, self.window, store_view=self.store_view
            )
            self.history_window.refund_requested.connect(self._on_history_refund_requested)
            self.history_window.refund_items_requested.connect(
                self._on_history_refund_items_requested
            )
            self.history_window.reprint_requested.connect(self._on_history_reprint_requested)
            self.history_window.finished.connect(self._on_history_window_finished)
            self.history_window.search()
            self.history_window.load_lanes()
        self.history_window.show()
        self.history_window.raise_()
        self.history_window.activateWindow()

    async def open_end_of_day(self) -> None:
        if self.reports is None or not await self._ensure_manager():
            return
        if self.report_dialog is None:
            from pos_app.ui.manager_screen import ManagerGuard
            from pos_app.ui.report_view import EndOfDayDialog

            lanes = [self.lane] if self.lane else []
            self.report_dialog = EndOfDayDialog(
                self.reports.day_report,
                self.window,
                lanes=lanes,
                lane=self.lane,
                store=self.store_view,
            )
            ManagerGuard(self.manager, self.report_dialog)
            self.report_dialog.finished.connect(self._on_report_dialog_finished)
        self.report_dialog.open()

    async def open_audit_log(self) -> None:
        if not await self._ensure_manager():
            return
        if self.audit_dialog is None:
            from pos_app.ui.audit_view import AuditLogDialog

            self.audit_dialog = AuditLogDialog(self.manager, self.window)
            self.audit_dialog.finished.connect(self._on_audit_dialog_finished)
        self.audit_dialog.open()

    async def open_staff(self) -> None:
        if not await self._ensure_manager():
            return
        if self.staff_dialog is None:
            from pos_app.ui.staff_dialog import StaffDialog

            self.staff_dialog = StaffDialog(self.manager, self.window)
            self.staff_dialog.finished.connect(self._on_staff_dialog_finished)
        self.staff_dialog.open()

    async def open_settings(self) -> None:
        if self.settings is None or not await self._ensure_manager():
            return
        from pos_app.ui.manager_screen import ManagerGuard
        from pos_app.ui.settings_dialog import SettingsDialog

        dialog = self.settings_dialog = SettingsDialog(self.settings, self.window)
        ManagerGuard(self.manager, dialog)
        dialog.change_pin_requested.connect(self._on_settings_change_pin_requested)
        try:
            result = await dialog.ask()
        finally:
            self.settings_dialog = None
            dialog.deleteLater()
        if result is not None:
            changed = ",".join(sorted(str(field.value) for field in result.changed))
            self.manager.record(AuditAction.SETTINGS_CHANGE, detail={"fields": changed})
            done = text.SETTINGS_RESTART if result.restart_needed else text.SETTINGS_SAVED
            self.message.emit(done)
        self._end_visit()

    def _on_settings_change_pin_requested(self) -> None:
        from pos_app.ui.pin_dialog import PinDialog, PinMode

        person = self.manager.current()
        if person is None:
            return
        parent = self.settings_dialog or self.window
        dialog = PinDialog(
            self.manager, parent, mode=PinMode.CHANGE, name=person.name, role=person.role
        )
        self.pin_slot.start(dialog.ask())

    async def approve_override(self, what: str, detail: Mapping[str, DetailValue]) -> bool:
        """A manager or owner allows what the till would refuse (approved here, at this
        till, when the person working it cannot); audited either way, with who approved."""
        approver = await self._approval("override")
        outcome = "approved" if approver is not None else "refused"
        self.manager.record(
            AuditAction.OVERRIDE, subject=what, detail=detail, outcome=outcome, approved_by=approver
        )
        return approver is not None

    async def approve_discount(self, detail: Mapping[str, DetailValue]) -> str | None:
        """A manager or owner approves a discount over the lane's limit (the person
        signed in when they may approve, else one at this till): their name, or None.

        A refusal is audited here (DISCOUNT, "refused"); an approved discount is audited
        with its sale, with who approved it, when the sale is journaled."""
        from pos_app.ui.text import cart as cart_text

        approver = await self._approval(cart_text.DISCOUNT_APPROVAL_WHAT)
        if approver is None:
            self.manager.record(AuditAction.DISCOUNT, detail=detail, outcome="refused")
            return None
        return approver.name

    @property
    def sales(self) -> SaleService | None:
        """The till's sales as tickets, once the window has them (`attach_till`)."""
        till = getattr(self.window, "till", None)
        return getattr(till, "sales", None)

    @property
    def shifts(self) -> ShiftService | None:
        """The till's shifts, once the window has them."""
        till = getattr(self.window, "till", None)
        return getattr(till, "shifts", None)

    def refund(self, payment_ref: str, parent: QWidget | None = None) -> None:
        """Refund a past sale after the manager PIN (one at a time)."""
        self.slot.start_if_idle(self._refund(payment_ref, parent))

    def refund_sale(self, ticket_id: str, parent: QWidget | None = None) -> None:
        """Refund a sale rung up as a ticket by tender (one at a time): a sale paid by one
        card alone goes straight to the card refund, as before."""
        self.slot.start_if_idle(self._refund_sale(ticket_id, parent))

    async def _refund_sale(self, ticket_id: str, parent: QWidget | None) -> None:
        from pos_app.domain.tender import TenderKind
        from pos_app.ui.tender_refund import TenderRefundDialog, card_ref, needs_chooser

        sales = self.sales
        if sales is None:
            return
        try:
            ticket = sales.ticket(ticket_id)
            payments = sales.payments(ticket_id)
        except UserFacingError as exc:
            self.message.emit(user_message(exc) or str(exc))
            return
        if not needs_chooser(payments):
            ref = card_ref(payments.parts[0]) if payments.parts else None
            if ref:
                await self._refund(ref, parent)
            return
        approver = await self._approval("refund", parent)
        if approver is None:
            return
        shifts = self.shifts
        dialog = TenderRefundDialog(
            ticket,
            payments,
            parent or self.window,
            shift_open=shifts is not None and shifts.current() is not None,
            approved_by=approver.name,
        )
        self.tender_refund_dialog = dialog
        try:
            choice = await dialog.ask()
        finally:
            self.tender_refund_dialog = None
            dialog.deleteLater()
        if choice is None:
            return
        if choice.kind is TenderKind.CARD and choice.payment_ref:
            await self._card_refund(choice.payment_ref, parent, approver)
        elif choice.amount_cents is not None:
            await self._cash_refund(sales, ticket_id, choice.amount_cents, approver)
            if self.history_window is not None:
                self.history_window.search()  # the cash refund is a row of its own

    def refund_items(self, target: SaleToRefund, parent: QWidget | None = None) -> None:
        """Refund some items of a sale, this lane's or (in a store) another's (one at a
        time)."""
        self.slot.start_if_idle(self._refund_items(target, parent))

    async def _refund_items(self, target: SaleToRefund, parent: QWidget | None) -> None:
        from dataclasses import replace

        from pos_app.domain.tender import TenderKind
        from pos_app.ui.item_refund_dialog import ItemRefundDialog
        from pos_app.ui.tender_refund import TenderRefundDialog, card_ref, needs_chooser
        from pos_app.ui.text import history as history_text

        approver = await self._approval("refund", parent)
        if approver is None:
            return
        ticket = target.ticket
        dialog = ItemRefundDialog(
            ticket,
            parent or self.window,
            already=target.already,
            refundable_cents=target.refundable_cents,
            approved_by=approver.name,
        )
        self.item_refund_dialog = dialog
        try:
            items = await dialog.ask()
        finally:
            self.item_refund_dialog = None
            dialog.deleteLater()
        if items is None:
            return
        payments = target.sale.payments
        sales = self.sales if target.this_lane else None
        if sales is None:  # another lane's cash goes back from its own drawer
            card = tuple(p for p in payments.parts if p.kind is TenderKind.CARD)
            payments = replace(payments, parts=card)
        if not payments.parts:
            self.message.emit(history_text.ITEMS_CASH_ELSEWHERE)
            return
        if not needs_chooser(payments):
            ref = card_ref(payments.parts[0])
            if ref:
                await self._card_refund(ref, parent, approver, items)
            return
        shifts = self.shifts
        chooser = TenderRefundDialog(
            ticket,
            payments,
            parent or self.window,
            shift_open=shifts is not None and shifts.current() is not None,
            approved_by=approver.name,
            cash_cents=items.amount_cents,
        )
        self.tender_refund_dialog = chooser
        try:
            choice = await chooser.ask()
        finally:
            self.tender_refund_dialog = None
            chooser.deleteLater()
        if choice is None:
            return
        if choice.kind is TenderKind.CARD and choice.payment_ref:
            await self._card_refund(choice.payment_ref, parent, approver, items)
        elif choice.amount_cents is not None and sales is not None:
            cents = min(choice.amount_cents, items.amount_cents)
            await self._cash_refund(sales, ticket.id, cents, approver, items.description())
            if self.history_window is not None:
                self.history_window.search()  # the cash refund is a row of its own

    async def _cash_refund(
        self,
        sales: SaleService,
        ticket_id: str,
        amount_cents: int,
        approver: Person,
        reason: str | None = None,
    ) -> None:
        """Cash back from the drawer (the service audits it and opens the drawer); its
        receipt is offered on the Receipt button. `reason`: the items going back."""
        try:
            movement = await sales.refund_cash(
                ticket_id,
                amount_cents,
                person=self.served_by(),
                approved_by=approver.name,
                reason=reason,
            )
        except UserFacingError as exc:
            self.message.emit(user_message(exc) or str(exc))
            return
        amount = Money(movement.amount_cents).format()
        offer = self.receipts
        receipt = offer.receipts.for_cash_refund(movement) if offer is not None else None
        if offer is not None and receipt is not None:
            offer.last = receipt
            offer.button.setEnabled(True)
            self.message.emit(payment_text.CASH_REFUNDED_RECEIPT.format(amount=amount))
        else:
            self.message.emit(payment_text.CASH_REFUNDED.format(amount=amount))

    async def _refund(self, payment_ref: str, parent: QWidget | None) -> None:
        approver = await self._approval("refund", parent)
        if approver is None:
            return
        await self._card_refund(payment_ref, parent, approver)

    async def _card_refund(
        self,
        payment_ref: str,
        parent: QWidget | None,
        approver: Person,
        items: ItemRefund | None = None,
    ) -> None:
        task = self.flow.start_refund(
            payment_ref, parent, served_by=self.served_by(), approved_by=approver.name, items=items
        )
        if task is None:
            return  # a payment is under way: the till says so
        self.refund_approver = approver
        try:
            await asyncio.wait([task])
        finally:
            self.refund_approver = None
        if self.history_window is not None:
            self.history_window.refresh_selected()

    # -- audit ----------------------------------------------------------------------------

    def _on_flow_refund_started(self, payment_id: str, request: RefundRequest) -> None:
        self.manager.record_refund(payment_id, request, approved_by=self.refund_approver)

    def _on_flow_refund_finished(
        self, payment_id: str, request: RefundRequest, final: PaymentState
    ) -> None:
        self.manager.record_refund(
            payment_id, request, final.name.value, approved_by=self.refund_approver
        )

    # -- windows going away -------------------------------------------------------------

    def _on_history_refund_requested(self, row: HistoryRow) -> None:
        # A row of another lane of the store: its card is refunded here by its payment.
        window = self.history_window
        other = window is not None and window.is_other_lane(row)
        if row.ticket_id and self.sales is not None and not other:
            self.refund_sale(row.ticket_id, self.history_window)
        elif row.payment_ref:
            self.refund(row.payment_ref, self.history_window)

    def _on_history_refund_items_requested(self, target: SaleToRefund) -> None:
        self.refund_items(target, self.history_window)

    def _on_history_reprint_requested(self, row: HistoryRow) -> None:
        receipt = self._receipt_of(row)
        if receipt is not None and self.receipts is not None and self.history_window:
            self.receipts.show(receipt, self.history_window)

    def _receipt_of(self, row: HistoryRow) -> Receipt | None:
        """A row's receipt: a cash refund's own, a cash sale's sale, else the operation's."""
        if self.receipts is None:
            return None
        receipts = self.receipts.receipts
        if row.movement is not None:
            refund = receipts.for_cash_refund(row.movement)
            if refund is not None:
                return refund
            return receipts.for_ticket(row.ticket_id) if row.ticket_id else None
        return receipts.receipt(row.id)

    def _on_report_dialog_finished(self, _result: int) -> None:
        if self.report_dialog is not None:
            self.report_dialog.deleteLater()
            self.report_dialog = None
        self._end_visit()

    def _on_history_window_finished(self, _result: int) -> None:
        if self.history_window is not None:
            self.history_window.deleteLater()
            self.history_window = None
        self._end_visit()

    def _on_staff_dialog_finished(self, _result: int) -> None:
        if self.staff_dialog is not None:
            self.staff_dialog.deleteLater()
            self.staff_dialog = None
        self._end_visit()

    def _on_audit_dialog_finished(self, _result: int) -> None:
        if self.audit_dialog is not None:
            self.audit_dialog.deleteLater()
            self.audit_dialog = None
        self._end_visit()

    def close(self) -> None:
        """Close the manager's screens (the till is closing)."""
        # The till is hidden, not destroyed, on close: its slot would run on.
        self.slot.cancel()
        self.session.close()
        screens = (
            self.history_window,
            self.audit_dialog,
            self.report_dialog,
            self.settings_dialog,
            self.staff_dialog,
        )
        for screen in screens:
            if screen is not None:
                screen.reject()
