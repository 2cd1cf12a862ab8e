"""The cashier's window: it composes the sale, the terminal picker and Charge.

The work behind the buttons lives in `SaleFlow`; the widgets live in their
own modules. This file wires them together and keeps Charge honest: it is
enabled only when a connected terminal is chosen and the total can be charged,
and otherwise says why.

A sale is a journaled ticket once money moves (`TillFlow`, attached with the
till's services by `attach_till`): Cash beside Charge and Split live in
`TillControls`, and while a sale is partly paid the tender panel shows its
parts and balance, the cart is locked and Charge charges the balance.

The window is built in two steps so the till shows before its engine loads:
the sale (cart, quick items, amount keypad, scanner) needs only Qt and the
pure domain; the terminal picker, the payment flow and the receipt button
come with `attach_engine`, and until then Charge says it is connecting. Their
modules (and asyncio behind them) are imported there, not here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.cart import Catalog, CatalogItem
from pos_app.domain.money import Money
from pos_app.ui.amount_entry import AmountEntry
from pos_app.ui.cart_model import CartModel
from pos_app.ui.cart_panel import CartPanel
from pos_app.ui.controls import touch_button
from pos_app.ui.quick_items import QuickItems
from pos_app.ui.scanner import BarcodeScanner
from pos_app.ui.style import set_style_state, style_sheet
from pos_app.ui.text import window as text

if TYPE_CHECKING:
    from pos_app.domain.payment_flow import PaymentState
    from pos_app.services.payments import PaymentService
    from pos_app.services.reports import ReceiptService
    from pos_app.services.sales import SaleService
    from pos_app.services.shifts import ShiftService
    from pos_app.services.store_sync import StoreSync
    from pos_app.ui.bug_dialog import BugDialog
    from pos_app.ui.discounts import DiscountFlow
    from pos_app.ui.manager_tools import ManagerTools
    from pos_app.ui.receipt_offer import ReceiptOffer
    from pos_app.ui.sale_flow import SaleFlow
    from pos_app.ui.shift_tools import ShiftTools
    from pos_app.ui.store_status import StoreStatusLabel
    from pos_app.ui.tasks import TaskSlot
    from pos_app.ui.tender_panel import TenderPanel
    from pos_app.ui.terminal_picker import TerminalPicker
    from pos_app.ui.till_controls import TillControls
    from pos_app.ui.till_flow import TillFlow
    from pos_app.ui.virtual_terminal import VirtualTerminalWindow

log = logging.getLogger("pos_app.ui.main_window")

MINIMUM_CENTS = 51
STORE_SYNC_BATCH = 200  # records read per batch on the GUI thread (a lane in a store)
STYLE = "main_window"  # resources/styles/main_window.qss: Charge, the badge, the banner


class MainWindow(QMainWindow):
    """Cart, amount keypad, terminal picker and Charge, for one lane.

    Built with a `service`, the window is complete; built without one, it takes
    a sale at once and `attach_engine` adds the terminals and Charge later. With
    `take_keys=False` typing anywhere reaches the amount only after `take_keys()`."""

    closed = Signal()
    # Set by attach_engine (the constructor calls it when given a service).
    service: PaymentService
    picker: TerminalPicker
    flow: SaleFlow
    background: TaskSlot
    # Set by attach_till.
    cash_button: QPushButton
    split_button: QPushButton
    tender_panel: TenderPanel

    def __init__(
        self,
        service: PaymentService | None = None,
        *,
        environment: str,
        lane: str,
        catalog: Catalog,
        tax_rate_bps: int = 0,
        max_amount_cents: int = 1_000_000,
        remembered_terminal: str | None = None,
        remember_terminal: Callable[[str], None] | None = None,
        virtual_terminal: VirtualTerminalWindow | None = None,
        receipts: ReceiptService | None = None,
        log_path: Path | None = None,
        terminal_refresh_ms: int | None = None,
        spinner_delay_ms: int = 600,
        take_keys: bool = True,
    ) -> None:
        super().__init__()
        self.setObjectName("mainWindow")
        self.setAccessibleName(text.WINDOW_TITLE)
        self.catalog = catalog
        self.max_amount_cents = max_amount_cents
        self.log_path = log_path
        self.bug_dialog: BugDialog | None = None
        self.virtual_terminal: VirtualTerminalWindow | None = None
        self.tools: ManagerTools | None = None
        self.person_label: QLabel | None = None  # who is signed in, with the manager tools
        self.switch_person_button: QPushButton | None = None
        self.receipt_offer: ReceiptOffer | None = None
        self.engine_ready = False
        self.shift_tools: ShiftTools | None = None
        self.discounts: DiscountFlow | None = None  # with the engine
        self.store_status: StoreStatusLabel | None = None  # a lane in a store
        self.store_task: TaskSlot | None = None
        self._store_sync: StoreSync | None = None
        self._override_cents: int | None = None  # a total above the limit a manager allowed
        self._terminal_refresh_ms = terminal_refresh_ms
        self._spinner_delay_ms = spinner_delay_ms

        self.cart_model = CartModel(self)
        self.cart_panel = CartPanel(self.cart_model, self)
        self.quick_items = QuickItems(self)
        self.quick_items.set_catalog(catalog)
        self.amount_entry = AmountEntry(self)

        self.badge = self._make_badge()
        self.lane_label = QLabel("", self)
        self.lane_label.setObjectName("laneLabel")
        self._banner: tuple[QFrame, QLabel] | None = None  # made when first needed
        self.charge_button = self._make_charge_button()
        self.charge_hint = QLabel("", self)
        self.charge_hint.setObjectName("chargeHint")
        self.charge_hint.setWordWrap(True)
        self.override_button = touch_button(self, "overrideButton", text.OVERRIDE)
        self.override_button.hide()
        # Cash, Split and the tender panel come with the till's services (attach_till).
        self.till_controls: TillControls | None = None
        self.refund_button = touch_button(self, "refundLastButton", text.REFUND_LAST)
        self.status_line = QLabel("", self)
        self.status_line.setObjectName("windowStatusLabel")
        self.status_line.setWordWrap(True)

        self._lay_out()
        self._connect()
        self.scanner = BarcodeScanner(self)
        self.scanner.scanned.connect(self._on_scanner_scanned)
        self._taking_keys = False
        if take_keys:
            self.take_keys()
        self.configure(
            environment=environment,
            lane=lane,
            tax_rate_bps=tax_rate_bps,
            max_amount_cents=max_amount_cents,
        )
        if service is not None:
            self.attach_engine(
                service,
                receipts=receipts,
                remembered_terminal=remembered_terminal,
                remember_terminal=remember_terminal,
                virtual_terminal=virtual_terminal,
            )

    # -- building -------------------------------------------------------------------------

    def configure(
        self, *, environment: str, lane: str, tax_rate_bps: int, max_amount_cents: int
    ) -> None:
        """Show the lane's settings: its name, the environment badge, the tax rate and
        the amount limit (again when the full settings replace a first look)."""
        self.setWindowTitle(f"{text.WINDOW_TITLE} - {text.LANE.format(lane=lane)}")
        self.lane_label.setText(text.LANE.format(lane=lane))
        self.badge.setText(environment)
        self.badge.setAccessibleName(f"Environment: {environment}")
        self.badge.setToolTip(text.BADGE_TIPS.get(environment, ""))
        if self.isVisible():
            set_style_state(self.badge, "environment", environment)  # re-polished
        else:
            self.badge.setProperty("environment", environment)  # polished when shown
        self.cart_model.set_tax_rate(tax_rate_bps)
        self.max_amount_cents = max_amount_cents
        self.amount_entry.set_maximum_cents(max_amount_cents)
        self.update_charge_state()

    def attach_engine(
        self,
        service: PaymentService,
        *,
        receipts: ReceiptService | None = None,
        remembered_terminal: str | None = None,
        remember_terminal: Callable[[str], None] | None = None,
        virtual_terminal: VirtualTerminalWindow | None = None,
    ) -> None:
        """Add what needs the payment engine: the terminal picker, the sale flow behind
        Charge, the receipt button and the virtual terminals' button. A sale already
        on the screen stays; Charge enables once a terminal is ready."""
        from pos_app.ui.discounts import DiscountFlow
        from pos_app.ui.receipt_offer import ReceiptOffer
        from pos_app.ui.sale_flow import SaleFlow
        from pos_app.ui.tasks import TaskSlot
        from pos_app.ui.terminal_picker import TerminalPicker

        self.service = service
        self.virtual_terminal = virtual_terminal
        if virtual_terminal is not None:
            vt_button = touch_button(self, "virtualTerminalsButton", text.VIRTUAL_TERMINALS)
            vt_button.clicked.connect(self._on_virtual_terminals_clicked)
            self._top.insertWidget(self._top.indexOf(self.refund_button), vt_button)
        if receipts is not None:
            self.receipt_offer = ReceiptOffer(receipts, self)
            self._top.insertWidget(self._top.indexOf(self.refund_button), self.receipt_offer.button)
        self.picker = TerminalPicker(
            service.list_terminals,
            service.identify_terminal,
            check_terminal=service.terminal_status,
            remembered_id=remembered_terminal,
            remember=remember_terminal,
            refresh_ms=self._terminal_refresh_ms,
            parent=self,
        )
        self._picker_box.addWidget(self.picker)
        self.flow = SaleFlow(
            service, self, self.picker.terminals, spinner_delay_ms=self._spinner_delay_ms
        )
        self.background = TaskSlot(self, "window background")
        self.picker.selection_changed.connect(self._on_picker_selection_changed)
        self.flow.busy_changed.connect(self._on_flow_busy_changed)
        self.flow.sale_completed.connect(self._on_flow_sale_completed)
        self.flow.unresolved_changed.connect(self._on_flow_unresolved_changed)
        self.flow.message.connect(self.status_line.setText)
        self.flow.refund_finished.connect(self._on_flow_refund_finished)
        # Discounts (asyncio behind them): with the engine, not before the till shows.
        self.discounts = DiscountFlow(self.cart_model, self.cart_panel)
        self.discounts.message.connect(self.status_line.setText)
        self._shortcuts()
        self.engine_ready = True
        self.update_charge_state()

    def _make_badge(self) -> QLabel:
        badge = QLabel("", self)
        badge.setObjectName("environmentBadge")
        badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        badge.setMinimumSize(72, 32)
        badge.setStyleSheet(style_sheet(STYLE))
        return badge

    def _make_charge_button(self) -> QPushButton:
        button = touch_button(self, "chargeButton", text.CHARGE_EMPTY)
        button.setMinimumHeight(72)
        font = button.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        button.setFont(font)
        button.setStyleSheet(style_sheet(STYLE))
        return button

    @property
    def banner(self) -> QFrame:
        """The unresolved-payments banner under the top bar (hidden while none is)."""
        return self._made_banner()[0]

    @property
    def banner_label(self) -> QLabel:
        """The banner's sentence."""
        return self._made_banner()[1]

    def _made_banner(self) -> tuple[QFrame, QLabel]:
        """The banner, made the first time a payment is unresolved: the till's first
        screen does not wait for it."""
        if self._banner is None:
            self._banner = self._make_banner()
            self._root.insertWidget(1, self._banner[0])  # under the top bar
        return self._banner

    def _make_banner(self) -> tuple[QFrame, QLabel]:
        banner = QFrame(self)
        banner.setObjectName("unresolvedBanner")
        banner.setStyleSheet(style_sheet(STYLE))
        label = QLabel("", banner)
        label.setObjectName("unresolvedBannerLabel")
        label.setWordWrap(True)
        button = touch_button(banner, "checkAgainBannerButton", text.CHECK_AGAIN)
        button.clicked.connect(self._on_check_again_clicked)
        row = QHBoxLayout(banner)
        row.addWidget(label, 1)
        row.addWidget(button)
        banner.hide()
        return banner, label

    def add_manager_tools(self, tools: ManagerTools) -> None:
        """The manager's buttons in the top bar (refunds then need a manager's approval),
        and who is signed in beside the lane, with "Switch person"."""
        from pos_app.ui.text import staff as staff_text  # loaded with the engine

        self.tools = tools
        tools.message.connect(self.status_line.setText)
        if self.discounts is not None:  # over the lane's limit, a manager approves
            self.discounts.approve = tools.approve_discount
            settings = tools.settings
            if settings is not None:  # the limit in force, a saved one at once
                self.discounts.limit_percent = lambda: settings.saved.discount_approval_percent
        for button in tools.buttons:
            self._top.insertWidget(self._top.indexOf(self.refund_button), button)
        label = self.person_label = QLabel("", self)
        label.setObjectName("personLabel")
        switch = self.switch_person_button = touch_button(
            self, "switchPersonButton", staff_text.SWITCH_PERSON
        )
        switch.setAccessibleName(staff_text.SWITCH_PERSON_NAME)
        switch.clicked.connect(tools.session.switch_person)
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        place = self._top.indexOf(self.lane_label) + 1
        self._top.insertWidget(place, switch)
        self._top.insertWidget(place, label)
        self._top.insertSpacing(place, 16)
        tools.session.person_changed.connect(self._on_session_person_changed)
        tools.session.message.connect(self.status_line.setText)
        self._on_session_person_changed(tools.session.person)

    def _on_session_person_changed(self, person: object) -> None:
        from pos_app.domain.staff import Person  # loaded with the engine
        from pos_app.ui.sign_in import person_text
        from pos_app.ui.text import staff as staff_text

        someone = person if isinstance(person, Person) else None
        if self.person_label is not None:
            label, accessible = person_text(someone)
            self.person_label.setText(label)
            self.person_label.setAccessibleName(accessible)
        if self.switch_person_button is not None:  # nobody yet: the same button signs in
            switch = staff_text.SWITCH_PERSON if someone else staff_text.SIGN_IN_BUTTON
            self.switch_person_button.setText(switch)
            name = staff_text.SWITCH_PERSON_NAME if someone else staff_text.SIGN_IN_BUTTON
            self.switch_person_button.setAccessibleName(name)

    def attach_till(self, sales: SaleService, shifts: ShiftService) -> None:
        """Sales as tickets (the engine is attached): Cash, Split, the tender panel and
        Cancel sale; Charge then journals a ticket and charges its balance."""
        from pos_app.ui.till_controls import TillControls
        from pos_app.ui.till_flow import TillFlow

        controls = self.till_controls = TillControls(self, self)
        self.cash_button = controls.cash_button
        self.split_button = controls.split_button
        self.tender_panel = controls.tender_panel
        self._pay_row.insertWidget(0, self.cash_button, 2)
        self._tender_box.addWidget(self.tender_panel)
        self._split_box.addWidget(self.split_button)
        controls.attach(TillFlow(sales, shifts, self.flow, self))
        self.update_charge_state()

    @property
    def till(self) -> TillFlow | None:
        """The sale as a ticket (Cash, Split, the tender panel), once attached."""
        return self.till_controls.till if self.till_controls is not None else None

    @property
    def sale_locked(self) -> bool:
        """A sale is partly paid: it cannot change."""
        return self.till_controls is not None and self.till_controls.locked

    def _refuse_if_locked(self) -> bool:
        return self.till_controls is not None and self.till_controls.refuse_if_locked()

    def attach_store(self, sync: StoreSync) -> None:
        """A lane in a store: its sync task runs in a task the window owns until the
        window closes (the lane then sends what waits as it exits), and its status shows
        quietly in the status bar. Never called, nothing imported, without a store."""
        from pos_app.ui.store_status import StoreStatusLabel
        from pos_app.ui.tasks import TaskSlot

        # A batch is read on this thread: about 35 us a record on a loaded till, so 200
        # (about 7 ms) stay inside a frame where the sync task's 500 would not.
        sync.batch = min(sync.batch, STORE_SYNC_BATCH)
        self.store_status = StoreStatusLabel(self)
        self._bottom.addWidget(self.store_status)
        self.store_status.show_status(sync.status)
        sync.on_status = self.store_status.show_status
        self._store_sync = sync
        self.store_task = TaskSlot(self, "store sync")
        self.store_task.start(sync.run())

    def _stop_store_sync(self) -> None:
        if self.store_task is not None:
            self.store_task.cancel()
        if self._store_sync is not None:
            self._store_sync.on_status = None  # the exit's drain says nothing here

    def add_shift_tools(self, tools: ShiftTools) -> None:
        """The Shift menu on the top bar; Cash follows whether a shift is open."""
        self.shift_tools = tools
        tools.message.connect(self.status_line.setText)
        tools.shift_changed.connect(self._on_shift_tools_shift_changed)
        for button in tools.buttons:
            self._top.insertWidget(self._top.indexOf(self.refund_button), button)
        self.update_charge_state()

    def _lay_out(self) -> None:
        top = self._top = QHBoxLayout()
        top.addWidget(self.badge)
        top.addWidget(self.lane_label)
        top.addStretch(1)
        top.addWidget(self.refund_button)  # the engine's buttons go in before it

        left = QVBoxLayout()
        left.addWidget(self.quick_items)
        left.addWidget(self.cart_panel, 1)

        right = QVBoxLayout()
        right.addWidget(self.amount_entry)
        right.addSpacing(8)
        self._picker_box = QVBoxLayout()  # the terminal picker, once the engine is there
        right.addLayout(self._picker_box)
        right.addStretch(1)
        self._tender_box = QVBoxLayout()  # the tender panel, with the till's services
        right.addLayout(self._tender_box)
        right.addWidget(self.charge_hint)
        right.addWidget(self.override_button)
        self._pay_row = QHBoxLayout()  # Cash joins Charge with the till's services
        self._pay_row.addWidget(self.charge_button, 3)
        right.addLayout(self._pay_row)
        self._split_box = QVBoxLayout()
        right.addLayout(self._split_box)

        body = QHBoxLayout()
        body.addLayout(left, 3)
        body.addLayout(right, 2)

        root = self._root = QVBoxLayout()
        root.addLayout(top)  # the banner goes under it (`_made_banner`)
        root.addLayout(body, 1)
        # The status bar: the status line, and the store's quiet status on a lane in one.
        bottom = self._bottom = QHBoxLayout()
        bottom.addWidget(self.status_line, 1)
        root.addLayout(bottom)
        central = QWidget(self)
        central.setLayout(root)
        self.setCentralWidget(central)
        self.resize(1180, 760)

    def _connect(self) -> None:
        self.cart_model.cart_changed.connect(self._on_cart_changed)
        self.quick_items.item_chosen.connect(self._on_quick_items_item_chosen)
        self.amount_entry.amount_added.connect(self._on_amount_entry_amount_added)
        self.amount_entry.amount_changed.connect(self._on_amount_entry_amount_changed)
        self.charge_button.clicked.connect(self.charge)
        self.override_button.clicked.connect(self._on_override_button_clicked)
        self.refund_button.clicked.connect(self._on_refund_button_clicked)

    def _shortcuts(self) -> None:
        # With the engine: Enter charges, F2 goes to the terminals (neither works before).
        from PySide6.QtGui import QKeySequence, QShortcut

        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(self.charge)
        focus_picker = QShortcut(QKeySequence(Qt.Key.Key_F2), self)
        focus_picker.activated.connect(self.picker.combo.setFocus)

    def take_keys(self) -> None:
        """Digits typed anywhere go to the amount; a scanner's burst adds its item.
        The scanner, installed last, sees every key first. (Application-wide filters see
        every event: the app installs them once the window is built and shown.)"""
        app = QApplication.instance()
        if app is not None and not self._taking_keys:
            self._taking_keys = True
            app.installEventFilter(self)
            app.installEventFilter(self.scanner)

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Reconcile unfinished payments, then start watching the terminals."""
        self.picker.start()
        await self.flow.recover()
        if self.till is not None:
            await self.till.resume()
        self.update_charge_state()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.engine_ready and self.flow.busy:
            event.ignore()
            self.status_line.setText(text.CLOSE_REFUSED)
            return
        if self.engine_ready:
            self.picker.stop()
        app = QApplication.instance()
        if app is not None and self._taking_keys:
            self._taking_keys = False
            app.removeEventFilter(self)
            app.removeEventFilter(self.scanner)
        if self.virtual_terminal is not None:
            self.virtual_terminal.close()
        if self.tools is not None:
            self.tools.close()
        if self.shift_tools is not None:
            self.shift_tools.close()  # an open count or report goes with the till
        self._stop_store_sync()
        super().closeEvent(event)
        self.closed.emit()

    def show_bug(self) -> None:
        """The apology for a bug: the bug dialog over the screen in use, and a line on the
        till's status (the details are in the log)."""
        import shiboken6

        from pos_app.ui.bug_dialog import BugDialog, bug_parent

        self.status_line.setText(text.BUG_APOLOGY.format(path=self.log_path or "the log"))
        dialog = self.bug_dialog
        if dialog is None or not shiboken6.isValid(dialog) or not dialog.isVisible():
            if dialog is not None and shiboken6.isValid(dialog):
                dialog.deleteLater()
            dialog = self.bug_dialog = BugDialog(self.log_path, bug_parent(self))
        dialog.report()

    # -- charging -------------------------------------------------------------------------------

    def charge_blocker(self) -> str | None:
        """Why Charge cannot be pressed now, or None."""
        total = self.sale_total_cents()
        if not self.engine_ready:
            return text.REASON_CONNECTING
        terminal = self.picker.current()
        if self.flow.recovering:
            return text.REASON_RECOVERING
        if total == 0:
            return text.REASON_EMPTY_SALE
        if total < MINIMUM_CENTS:
            return text.REASON_BELOW_MINIMUM
        if total > self.max_amount_cents and total != self._override_cents:
            return text.REASON_ABOVE_MAXIMUM.format(limit=Money(self.max_amount_cents).format())
        if terminal is None:
            return text.REASON_NO_TERMINAL
        from pos_app.services.ports import Readiness  # loaded with the engine

        if terminal.readiness is not Readiness.CONNECTED:
            status = text.READINESS.get(terminal.readiness.value, terminal.readiness.value)
            return text.REASON_TERMINAL_NOT_READY.format(name=terminal.name, status=status)
        return None

    def sale_total_cents(self) -> int:
        """What is to pay: the balance of a sale partly paid, else the cart's total plus an
        amount typed but not yet added."""
        balance = self.till_controls.balance_cents() if self.till_controls is not None else None
        if balance is not None:
            return balance
        return self.cart_model.cart.total.cents + self.amount_entry.cents

    def update_charge_state(self) -> None:
        """Enable Charge or say why not."""
        total = self.sale_total_cents()
        label = text.CHARGE.format(amount=Money(total).format()) if total else text.CHARGE_EMPTY
        self.charge_button.setText(label)
        blocker = "" if self.engine_ready and self.flow.busy else self.charge_blocker()
        self.charge_button.setEnabled(blocker is None)
        terminal = self.picker.current() if self.engine_ready else None
        hint = (
            blocker
            if blocker is not None
            else text.READY_TO_CHARGE.format(
                amount=Money(total).format(), name=terminal.name if terminal else ""
            )
        )
        self.charge_hint.setText(hint)
        self.override_button.setVisible(
            self.tools is not None
            and self.engine_ready
            and not self.flow.busy
            and total > self.max_amount_cents
            and total != self._override_cents
        )
        self.charge_button.setAccessibleName(label)
        self.charge_button.setAccessibleDescription(hint)
        if self.till_controls is not None:
            self.till_controls.update(total, busy=self.engine_ready and self.flow.busy)

    def charge(self) -> None:
        """Charge the sale on the chosen terminal (Enter, or the button)."""
        if not self.charge_button.isEnabled() or not self.engine_ready:
            return
        terminal = self.picker.current()
        if terminal is None:
            return
        from pos_app.ui.sale_flow import SaleRequest  # loaded with the engine

        self.add_typed_amount()
        if self.till_controls is not None:
            self.till_controls.charge(terminal.id)  # through the sale's ticket
            return
        request = SaleRequest(self.cart_model.cart.total.cents, terminal.id, self.description())
        self.flow.start_charge(request)

    def add_typed_amount(self) -> None:
        """An amount typed but not added joins the sale (Charge, Cash and Split take it)."""
        typed = self.amount_entry.take_amount()
        if typed:
            self.cart_model.add_amount(typed)

    def new_sale(self, status: str | None) -> None:
        """The sale is over (paid or given up): an empty cart, and `status` to read."""
        self._override_cents = None
        self.cart_model.clear()
        self.amount_entry.clear()
        if status is not None:
            self.status_line.setText(status)
        self.update_charge_state()

    def description(self) -> str:
        """The sale's lines as one line (a charge's and a ticket's description)."""
        names = [line.name for line in self.cart_model.cart.lines]
        joined = ", ".join(names)
        return joined if len(joined) <= 200 else joined[:197] + "..."

    # -- slots ---------------------------------------------------------------------------------

    def _on_cart_changed(self, _cart: object) -> None:
        if self.till is not None:
            self.till.sale_changed()  # a ticket with nothing paid yet is given up
        self.update_charge_state()

    def _on_shift_tools_shift_changed(self, _shift: object) -> None:
        self.update_charge_state()

    def _on_amount_entry_amount_changed(self, _cents: int) -> None:
        self.update_charge_state()

    def _on_amount_entry_amount_added(self, cents: int) -> None:
        if self._refuse_if_locked():
            return
        self.cart_model.add_amount(cents)

    def _on_quick_items_item_chosen(self, item: CatalogItem) -> None:
        if self._refuse_if_locked():
            return
        self.cart_model.add_item(item)

    def _on_picker_selection_changed(self, _terminal: object) -> None:
        self.update_charge_state()

    def _on_flow_busy_changed(self, busy: bool) -> None:
        self.picker.set_paused(busy)  # nothing asked of JustiFi's terminals mid-payment
        self.update_charge_state()

    def _on_flow_sale_completed(self, state: PaymentState) -> None:
        offered = self.receipt_offer is not None and self.receipt_offer.offer(
            state, self.cart_model.cart
        )
        self.new_sale(text.NEW_SALE_RECEIPT if offered else text.NEW_SALE)

    def _on_flow_refund_finished(self, _payment_id: str, _request: object, final: object) -> None:
        from pos_app.domain.payment_flow import PaymentState  # loaded with the engine

        if self.receipt_offer is not None and isinstance(final, PaymentState):
            self.receipt_offer.offer(final)

    def _on_flow_unresolved_changed(self, count: int) -> None:
        if not count and self._banner is None:
            return  # nothing to show, nothing shown
        if count:
            line = text.UNRESOLVED_BANNER[min(count, 2)].format(count=count)
            if line != self.banner_label.text() or not self.banner.isVisible():
                from pos_app.ui.announcer import announce  # loaded with the engine

                announce(self.banner_label, line, assertive=True)
            self.banner_label.setText(line)
        self.banner.setVisible(count > 0)

    def _on_override_button_clicked(self) -> None:
        if self.tools is not None:
            total = self.sale_total_cents()
            self.background.start_if_idle(self._override(total))

    async def _override(self, total: int) -> None:
        assert self.tools is not None
        detail = {"amount_cents": total, "limit_cents": self.max_amount_cents}
        if await self.tools.approve_override("amount_above_limit", detail):
            self._override_cents = total
            self.update_charge_state()

    def _on_check_again_clicked(self) -> None:
        self.background.start_if_idle(self._check_again())

    async def _check_again(self) -> None:
        await self.flow.check_unresolved()
        if self.till is not None:
            await self.till.refresh()  # a card part settled may pay the sale

    def _on_refund_button_clicked(self) -> None:
        if not self.engine_ready:
            self.status_line.setText(text.REASON_CONNECTING)
            return
        from pos_app.ui.tender_refund import last_sale_target  # loaded with the engine

        # The last completed sale (a ticket, refunded by tender), or a card charge without one.
        till = self.till
        sales, shifts = (till.sales, till.shifts) if till is not None else (None, None)
        target = last_sale_target(self.flow.last_sale(), sales, shifts)
        if target is None:
            self.status_line.setText(text.REFUND_NONE)
            return
        if target.ticket_id is not None and self.tools is not None:
            self.tools.refund_sale(target.ticket_id)
            return
        ref = target.payment_ref or ""
        if not ref:  # a ticket without the manager's tools: its card part, as before
            sale = self.flow.last_sale()
            ref = (sale.payment_id or sale.sale_id or "") if sale is not None else ""
        if not ref:
            self.status_line.setText(text.REFUND_NONE)
        elif self.tools is not None:
            self.tools.refund(ref)
        else:
            self.flow.start_refund(ref)

    def _on_virtual_terminals_clicked(self) -> None:
        if self.virtual_terminal is not None:
            self.virtual_terminal.show()
            self.virtual_terminal.raise_()

    def _on_scanner_scanned(self, code: str) -> None:
        if self._refuse_if_locked():
            return
        item = self.catalog.find(code)
        if item is None:
            self.status_line.setText(text.UNKNOWN_BARCODE.format(code=code))
            return
        self.cart_model.add_item(item)
        self.status_line.setText(text.SCANNED.format(name=item.name))

    # -- typing digits anywhere goes to the amount -----------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            isinstance(event, QKeyEvent)  # before type(): few events are keys
            and event.type() == QEvent.Type.KeyPress
            and self.isActiveWindow()
            and not self._typing_into_a_field()
            and not self.sale_locked
        ):
            return self.amount_entry.handle_key(event)
        return super().eventFilter(watched, event)

    def _typing_into_a_field(self) -> bool:
        focus = QApplication.focusWidget()
        if focus is None or not self.isAncestorOf(focus):
            return True  # another window (a dialog): leave its keys alone
        from PySide6.QtWidgets import QAbstractSpinBox, QLineEdit, QTextEdit

        return isinstance(focus, QLineEdit | QTextEdit | QAbstractSpinBox)
