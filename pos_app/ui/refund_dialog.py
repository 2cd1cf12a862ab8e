"""Asks how to refund one past sale: amount, on a terminal / to the card / void, reason.

It names the manager or owner who approved the refund (`approved_by`), so the
cashier sees whose approval goes into the journal with it. The dialog only
asks. The window then runs the service call and follows it with a
`PaymentDialog`, so a refund looks and behaves like a charge.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.money import AmountError, AmountErrorReason, Money, parse_amount
from pos_app.domain.texts import card_text
from pos_app.services.ports import PaymentDetails, TerminalInfo
from pos_app.services.refunds import RefundMode, RefundRequest
from pos_app.ui.announcer import announce
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.style import style_sheet
from pos_app.ui.tasks import accepted, finished_result
from pos_app.ui.text import payment as text
from pos_app.ui.text import staff as staff_text

if TYPE_CHECKING:  # an item refund's record loads with the history, not the till
    from pos_app.domain.line_refund import ItemRefund

VOID_WINDOW = timedelta(minutes=25)


def can_void(payment: PaymentDetails, now: datetime) -> bool:
    """JustiFi voids only an approved, untouched payment within 25 minutes."""
    if payment.status != "succeeded" or payment.created_at is None:
        return False
    if payment.refundable_cents != payment.amount_cents:
        return False
    created = payment.created_at
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return timedelta(0) <= now - created < VOID_WINDOW


def _aware_now() -> datetime:
    return datetime.now(UTC)


def _plain_amount(cents: int) -> str:
    """ "1,234.56" for the edit field: easy to change, and parse_amount reads it."""
    return Money(cents).format().removeprefix("$")


class RefundDialog(QDialog):
    """Asks for a refund of one past payment; `ask()` returns the request or None."""

    def __init__(
        self,
        payment: PaymentDetails,
        terminals: Sequence[TerminalInfo],
        parent: QWidget | None = None,
        *,
        current_terminal_id: str | None = None,
        terminal_refunds: bool = True,
        now: Callable[[], datetime] = _aware_now,
        approved_by: str | None = None,
        items: ItemRefund | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("refundDialog")
        self.setWindowTitle(text.REFUND_TITLE)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setStyleSheet(style_sheet("refund_dialog"))
        self._payment = payment
        self._terminals = {t.id: t for t in terminals}
        self._terminal_refunds = terminal_refunds
        # Items going back: their amount is fixed, and a void would give back the rest too.
        self._items = items
        self._voidable = items is None and can_void(payment, now())
        self._request: RefundRequest | None = None
        self._approved_by = approved_by
        self._build(terminals, current_terminal_id or payment.terminal_id)
        self._choose_initial_mode()
        self._update()

    # -- building -----------------------------------------------------------------------

    def _build(self, terminals: Sequence[TerminalInfo], current_id: str | None) -> None:
        self.setMinimumWidth(500)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        payment = self._payment
        card = card_text(payment.card_brand, payment.card_last4)
        paid = Money(payment.amount_cents).format()
        if payment.created_at is not None:
            when = payment.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
            paid_text = text.REFUND_PAID_AT.format(amount=paid, card=card, when=when)
        else:
            paid_text = text.REFUND_PAID.format(amount=paid, card=card)
        self.approved_label = self._label(
            "refundApprovedLabel", staff_text.APPROVED_BY.format(name=self._approved_by)
        )
        self.approved_label.setVisible(self._approved_by is not None)
        layout.addWidget(self.approved_label)
        self.paid_label = self._label("refundPaidLabel", paid_text)
        layout.addWidget(self.paid_label)
        refundable = (
            text.REFUND_REFUNDABLE.format(amount=Money(payment.refundable_cents).format())
            if payment.refundable_cents > 0
            else text.REFUND_NOTHING_LEFT
        )
        self.refundable_label = self._label("refundableLabel", refundable)
        layout.addWidget(self.refundable_label)
        if self._items is not None:
            self._build_items(self._items, layout)

        form = QFormLayout()
        self.amount_edit = QLineEdit(_plain_amount(self._first_amount()), self)
        self.amount_edit.setReadOnly(self._items is not None)
        self.amount_edit.setObjectName("refundAmountEdit")
        self.amount_edit.setAccessibleName(text.REFUND_AMOUNT_LABEL)
        self.amount_edit.textChanged.connect(self._on_amount_edit_text_changed)
        form.addRow(text.REFUND_AMOUNT_LABEL, self.amount_edit)
        self.amount_hint = self._label("refundAmountHint", "")
        self.amount_hint.hide()
        form.addRow("", self.amount_hint)
        layout.addLayout(form)
        layout.addWidget(QLabel(text.REFUND_MODE_LABEL, self))
        layout.addLayout(self._build_modes(terminals, current_id))

        reason_form = QFormLayout()
        self.reason_combo = QComboBox(self)
        self.reason_combo.setObjectName("refundReasonCombo")
        self.reason_combo.setAccessibleName(text.REFUND_REASON_LABEL)
        for code, label in text.REFUND_REASONS.items():
            self.reason_combo.addItem(label, code)
        reason_form.addRow(text.REFUND_REASON_LABEL, self.reason_combo)
        layout.addLayout(reason_form)

        self.mode_hint = self._label("refundModeHint", "")
        self.mode_hint.hide()
        layout.addWidget(self.mode_hint)
        layout.addLayout(self._build_buttons())

    def _first_amount(self) -> int:
        refundable = max(self._payment.refundable_cents, 0)
        return refundable if self._items is None else min(self._items.amount_cents, refundable)

    def _build_items(self, items: ItemRefund, layout: QVBoxLayout) -> None:
        """What goes back, and when the payment cannot give back all of it, so."""
        from pos_app.ui.text import history as history_text

        names = ", ".join(f"{line.quantity} x {line.name}" for line in items.lines)
        self.items_label = self._label(
            "refundItemsLabel", history_text.REFUND_ITEMS_LINE.format(items=names)
        )
        layout.addWidget(self.items_label)
        refundable = max(self._payment.refundable_cents, 0)
        if items.amount_cents > refundable:
            capped = history_text.ITEMS_PART_ABOVE.format(
                left=Money(refundable).format(), amount=Money(items.amount_cents).format()
            )
            self.items_capped_label = self._label("refundItemsCapped", capped)
            layout.addWidget(self.items_capped_label)

    def _label(self, name: str, value: str) -> QLabel:
        label = QLabel(value, self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setAccessibleName(value)
        return label

    def _build_modes(
        self, terminals: Sequence[TerminalInfo], current_id: str | None
    ) -> QVBoxLayout:
        modes = QVBoxLayout()
        self.mode_group = QButtonGroup(self)
        self.terminal_radio = self._radio("refundOnTerminalRadio", text.REFUND_ON_TERMINAL)
        self.card_radio = self._radio("refundToCardRadio", text.REFUND_TO_CARD)
        self.void_radio = self._radio("voidRadio", text.REFUND_VOID)
        row = QHBoxLayout()
        row.addWidget(self.terminal_radio)
        self.terminal_combo = QComboBox(self)
        self.terminal_combo.setObjectName("refundTerminalCombo")
        self.terminal_combo.setAccessibleName(text.REFUND_TERMINAL_LABEL)
        self.terminal_combo.setMinimumHeight(MIN_TOUCH)
        model = self.terminal_combo.model()
        selected = -1
        for index, terminal in enumerate(terminals):
            template = text.TERMINAL_READINESS.get(terminal.readiness.value, "{name}")
            self.terminal_combo.addItem(template.format(name=terminal.name), terminal.id)
            if isinstance(model, QStandardItemModel) and (item := model.item(index)) is not None:
                item.setEnabled(terminal.is_ready)
            if terminal.is_ready and (selected < 0 or terminal.id == current_id):
                selected = index
        self.terminal_combo.setCurrentIndex(selected)
        self.terminal_combo.currentIndexChanged.connect(self._on_any_change)
        row.addWidget(self.terminal_combo, 1)
        modes.addLayout(row)
        modes.addWidget(self.card_radio)
        modes.addWidget(self.void_radio)
        if not self._terminal_refunds:
            self.terminal_radio.setEnabled(False)
            self.terminal_radio.setToolTip(text.REFUND_TERMINAL_NOT_AVAILABLE)
            self.terminal_radio.setAccessibleDescription(text.REFUND_TERMINAL_NOT_AVAILABLE)
        if not self._voidable:
            self.void_radio.setEnabled(False)
            self.void_radio.setToolTip(text.REFUND_VOID_WHY_NOT)
            self.void_radio.setAccessibleDescription(text.REFUND_VOID_WHY_NOT)
        self.mode_group.buttonToggled.connect(self._on_mode_group_button_toggled)
        return modes

    def _radio(self, name: str, label: str) -> QRadioButton:
        radio = QRadioButton(label, self)
        radio.setObjectName(name)
        radio.setAccessibleName(label)
        radio.setMinimumHeight(MIN_TOUCH)
        self.mode_group.addButton(radio)
        return radio

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel_button = QPushButton(text.CANCEL_REFUND_BUTTON, self)
        self.cancel_button.setObjectName("cancelRefundButton")
        self.cancel_button.setAccessibleName(text.CANCEL_REFUND_BUTTON)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.confirm_button = QPushButton(self)
        self.confirm_button.setObjectName("confirmRefundButton")
        self.confirm_button.setDefault(True)
        self.confirm_button.clicked.connect(self._on_confirm_button_clicked)
        row.addWidget(self.cancel_button)
        row.addWidget(self.confirm_button)
        return row

    def _choose_initial_mode(self) -> None:
        if self._terminal_refunds and self._ready_terminal() is not None:
            self.terminal_radio.setChecked(True)
        else:
            self.card_radio.setChecked(True)

    # -- state ----------------------------------------------------------------------------

    @property
    def mode(self) -> RefundMode:
        """The mode selected now."""
        if self.void_radio.isChecked():
            return RefundMode.VOID
        if self.terminal_radio.isChecked():
            return RefundMode.TERMINAL
        return RefundMode.CARD

    @property
    def request(self) -> RefundRequest | None:
        """The confirmed request, once confirmed."""
        return self._request

    def _ready_terminal(self) -> str | None:
        data = self.terminal_combo.currentData()
        terminal = self._terminals.get(data) if isinstance(data, str) else None
        return terminal.id if terminal is not None and terminal.is_ready else None

    def _amount(self) -> tuple[int | None, str]:
        """The amount in cents, or None with the sentence that says why not."""
        refundable = self._payment.refundable_cents
        if refundable <= 0:
            return None, text.REFUND_NOTHING_LEFT
        if self.mode is RefundMode.VOID:
            return self._payment.amount_cents, ""
        if self._items is not None:
            return self._first_amount(), ""
        try:
            money = parse_amount(self.amount_edit.text(), minimum_cents=1, maximum_cents=refundable)
        except AmountError as exc:
            if exc.reason is AmountErrorReason.ABOVE_MAXIMUM:
                return None, text.REFUND_ABOVE_REFUNDABLE.format(amount=Money(refundable).format())
            return None, exc.message
        return money.cents, ""

    def _update(self) -> None:
        mode = self.mode
        void = mode is RefundMode.VOID
        self.amount_edit.setEnabled(not void and self._payment.refundable_cents > 0)
        if void:
            self.amount_edit.setText(_plain_amount(self._payment.amount_cents))
        self.terminal_combo.setEnabled(mode is RefundMode.TERMINAL)
        self.reason_combo.setEnabled(mode is RefundMode.CARD)
        cents, problem = self._amount()
        self._set_hint(self.amount_hint, problem)
        mode_problem = ""
        if mode is RefundMode.TERMINAL and self._ready_terminal() is None:
            mode_problem = text.REFUND_NO_READY_TERMINAL
        self._set_hint(self.mode_hint, mode_problem)
        template = text.CONFIRM_VOID_BUTTON if void else text.CONFIRM_REFUND_BUTTON
        amount = Money(cents).format() if cents is not None else ""
        label = template.format(amount=amount).strip()
        self.confirm_button.setText(label)
        self.confirm_button.setAccessibleName(label)
        valid = cents is not None and not mode_problem and self._request is None
        self.confirm_button.setEnabled(valid)

    def _set_hint(self, label: QLabel, hint: str) -> None:
        if label.text() != hint:
            label.setText(hint)
            label.setAccessibleName(hint)
            if self.isVisible():
                announce(self, hint)  # a screen reader's user hears why Refund is greyed out
        label.setVisible(bool(hint))

    # -- asking ---------------------------------------------------------------------------

    async def ask(self) -> RefundRequest | None:
        """Open the dialog (never exec) and wait: the request, or None if cancelled."""
        return self._request if accepted(await finished_result(self)) else None

    # -- slots ----------------------------------------------------------------------------

    def _on_confirm_button_clicked(self) -> None:
        if self._request is not None:
            return  # a double press: the first one already decided
        cents, _ = self._amount()
        if cents is None or not self.confirm_button.isEnabled():
            return
        self.confirm_button.setEnabled(False)
        mode = self.mode
        self._request = RefundRequest(
            mode=mode,
            amount_cents=cents,
            terminal_id=self._ready_terminal() if mode is RefundMode.TERMINAL else None,
            reason=str(self.reason_combo.currentData()),
            description=self._items.description() if self._items is not None else None,
        )
        self.accept()

    def _on_amount_edit_text_changed(self, _text: str) -> None:
        self._update()

    def _on_mode_group_button_toggled(self, _button: object, checked: bool) -> None:
        if checked:
            self._update()

    def _on_any_change(self, _index: int) -> None:
        self._update()
