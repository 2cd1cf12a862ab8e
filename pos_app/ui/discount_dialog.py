"""The discount dialog: a percent or an amount off one line or the whole sale, with a reason.

The cashier picks what the discount is on (the selected line, or the whole
sale), percent or amount, types the value or taps a quick percent, and gives a
reason (typed, or one of the quick reasons). What the discount takes off, and
the sale's new total, show as it is typed; so does whether it is over the
lane's limit and needs a manager. "Remove discount" shows when what it is on
has one already.

Nothing here decides money: the preview is the domain cart with the discount
applied (`Cart.with_line_discount`, `Cart.with_discount`), the same call the
cart model makes when the discount is applied, so what the dialog shows is
what the sale gets (percent rounded half up to the cent, never more than what
it comes off).

Opened with `open()` and awaited (`ask`), never exec'd; built once and reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.cart import Cart
from pos_app.domain.discount import (
    BPS_PER_UNIT,
    MAX_REASON_LENGTH,
    Discount,
    DiscountError,
    DiscountKind,
)
from pos_app.domain.money import AmountError, Money, parse_amount
from pos_app.ui.controls import MIN_TOUCH, touch_button
from pos_app.ui.style import style_sheet
from pos_app.ui.tasks import accepted, finished_result
from pos_app.ui.text import cart as text

__all__ = ["QUICK_PERCENTS", "DiscountAnswer", "DiscountDialog", "parse_percent"]

#: The quick percent buttons.
QUICK_PERCENTS: Final = (5, 10, 15, 20, 25, 50)
#: The value keypad, row by row ("<" is backspace): a till without a keyboard types here.
_KEYPAD: Final = ("789", "456", "123", ".0<")
_KEY_NAMES: Final = {".": "Point", "<": "Backspace"}
_OFF_FONT_PX: Final = 28


@dataclass(frozen=True)
class DiscountAnswer:
    """What the cashier chose: `discount` on the line `line_id` (None: the whole sale);
    a `discount` of None takes the discount away."""

    line_id: int | None
    discount: Discount | None


def parse_percent(typed: str) -> tuple[int | None, str]:
    """A percent off as typed ("10", "12.5", "12,5 %") in basis points, or None and why."""
    cleaned = typed.strip().removesuffix("%").strip().replace(",", ".")
    if not cleaned or len(cleaned) > 12:
        return None, text.DISCOUNT_NOT_A_PERCENT
    try:
        percent = Decimal(cleaned)
    except InvalidOperation:
        return None, text.DISCOUNT_NOT_A_PERCENT
    if not percent.is_finite():
        return None, text.DISCOUNT_NOT_A_PERCENT
    bps = percent * 100
    if bps != bps.to_integral_value():
        return None, text.DISCOUNT_PERCENT_TOO_PRECISE
    try:
        Discount(DiscountKind.PERCENT, int(bps), "check")
    except DiscountError as exc:  # zero or less, or over 100 %
        return None, exc.message
    return int(bps), ""


def _value_text(discount: Discount) -> str:
    if discount.kind is DiscountKind.PERCENT:
        whole, part = divmod(discount.value, 100)
        return str(whole) if not part else f"{whole}.{part:02d}".rstrip("0")
    return f"{discount.value // 100}.{discount.value % 100:02d}"


class DiscountDialog(QDialog):
    """Asks for a discount on a cart's line or on the whole sale (`ask`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("discountDialog")
        self.setWindowTitle(text.DISCOUNT_TITLE)
        self.setAccessibleName(text.DISCOUNT_TITLE)
        self.setModal(True)
        self.setStyleSheet(style_sheet("discount"))
        self._cart = Cart()
        self._line_id: int | None = None
        self._limit_bps: int | None = None
        self._answer: DiscountAnswer | None = None
        self._build()
        self._connect()

    # -- building -------------------------------------------------------------------

    def _toggle(self, name: str, label: str, group: QButtonGroup) -> QPushButton:
        button = touch_button(self, name, label)
        button.setCheckable(True)
        group.addButton(button)
        return button

    def _build(self) -> None:
        self.scope_group = QButtonGroup(self)
        self.line_button = self._toggle("discountLineButton", "", self.scope_group)
        self.sale_button = self._toggle(
            "discountSaleButton", text.DISCOUNT_ON_SALE, self.scope_group
        )
        self.kind_group = QButtonGroup(self)
        self.percent_button = self._toggle(
            "discountPercentButton", text.DISCOUNT_PERCENT, self.kind_group
        )
        self.amount_button = self._toggle(
            "discountAmountButton", text.DISCOUNT_AMOUNT, self.kind_group
        )
        self.value_edit = QLineEdit(self)
        self.value_edit.setObjectName("discountValueEdit")
        self.value_edit.setMinimumHeight(MIN_TOUCH)
        self.value_edit.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.value_edit.setMaximumWidth(160)
        self.value_prefix = QLabel(text.DISCOUNT_AMOUNT_PREFIX, self)
        self.value_suffix = QLabel(text.DISCOUNT_PERCENT_SUFFIX, self)
        self.quick_percent_buttons: dict[int, QPushButton] = {}
        for percent in QUICK_PERCENTS:
            button = touch_button(self, f"quickPercent{percent}", f"{percent}%")
            button.setAccessibleName(text.QUICK_PERCENT_NAME.format(percent=percent))
            button.clicked.connect(lambda _checked=False, p=percent: self.set_percent(p))
            self.quick_percent_buttons[percent] = button
        self.keypad_buttons: dict[str, QPushButton] = {}
        for row in _KEYPAD:
            for key in row:
                label = text.KEYPAD_BACKSPACE if key == "<" else key
                button = touch_button(self, f"discountKey{_KEY_NAMES.get(key, key)}", label)
                button.setMinimumWidth(MIN_TOUCH + 16)
                button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the value field keeps it
                button.clicked.connect(lambda _checked=False, k=key: self.press_key(k))
                self.keypad_buttons[key] = button
        self.keypad_buttons["<"].setAccessibleName(text.KEYPAD_BACKSPACE_NAME)
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setObjectName("discountReasonEdit")
        self.reason_edit.setAccessibleName(text.DISCOUNT_REASON)
        self.reason_edit.setPlaceholderText(text.DISCOUNT_REASON_PLACEHOLDER)
        self.reason_edit.setMaxLength(MAX_REASON_LENGTH)
        self.reason_edit.setMinimumHeight(MIN_TOUCH)
        self.reason_buttons: dict[str, QPushButton] = {}
        for reason in text.QUICK_REASONS:
            name = "quickReason" + reason.title().replace(" ", "")
            button = touch_button(self, name, reason)
            button.setAccessibleName(text.QUICK_REASON_NAME.format(reason=reason))
            button.clicked.connect(lambda _checked=False, r=reason: self.reason_edit.setText(r))
            self.reason_buttons[reason] = button
        self.off_label = QLabel("", self)
        self.off_label.setObjectName("discountOffLabel")
        font = QFont(self.off_label.font())
        font.setPixelSize(_OFF_FONT_PX)
        font.setBold(True)
        self.off_label.setFont(font)
        self.total_label = QLabel("", self)
        self.total_label.setObjectName("discountTotalLabel")
        self.total_label.setWordWrap(True)
        self.problem_label = QLabel("", self)
        self.problem_label.setObjectName("discountProblemLabel")
        self.problem_label.setWordWrap(True)
        self.approval_label = QLabel("", self)
        self.approval_label.setObjectName("discountApprovalLabel")
        self.approval_label.setWordWrap(True)
        self.remove_button = touch_button(self, "removeDiscountButton", text.REMOVE_DISCOUNT)
        self.cancel_button = touch_button(self, "discountCancelButton", text.CANCEL_DISCOUNT)
        self.apply_button = touch_button(self, "applyDiscountButton", text.APPLY_DISCOUNT)
        self.apply_button.setDefault(True)
        self._lay_out()

    def _lay_out(self) -> None:
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setColumnStretch(1, 1)
        scope = QHBoxLayout()
        scope.addWidget(self.line_button, 1)
        scope.addWidget(self.sale_button, 1)
        grid.addWidget(QLabel(text.DISCOUNT_ON, self), 0, 0)
        grid.addLayout(scope, 0, 1)
        kind = QHBoxLayout()
        kind.addWidget(self.percent_button, 1)
        kind.addWidget(self.amount_button, 1)
        grid.addWidget(QLabel(text.DISCOUNT_VALUE, self), 1, 0)
        grid.addLayout(kind, 1, 1)
        value = QHBoxLayout()
        value.addWidget(self.value_prefix)
        value.addWidget(self.value_edit)
        value.addWidget(self.value_suffix)
        value.addStretch(1)
        grid.addLayout(value, 2, 1)
        quick = QHBoxLayout()
        for button in self.quick_percent_buttons.values():
            quick.addWidget(button)
        grid.addLayout(quick, 3, 1)
        reason_caption = QLabel(text.DISCOUNT_REASON, self)
        reason_caption.setBuddy(self.reason_edit)
        grid.addWidget(reason_caption, 4, 0)
        grid.addWidget(self.reason_edit, 4, 1)
        reasons = QHBoxLayout()
        for button in self.reason_buttons.values():
            reasons.addWidget(button)
        grid.addLayout(reasons, 5, 1)

        buttons = QHBoxLayout()
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.apply_button)

        keypad = QGridLayout()
        keypad.setSpacing(6)
        for row_number, row in enumerate(_KEYPAD):
            for column, key in enumerate(row):
                keypad.addWidget(self.keypad_buttons[key], row_number, column)
        top = QHBoxLayout()
        top.addLayout(grid, 1)
        top.addSpacing(12)
        top.addLayout(keypad)

        root = QVBoxLayout(self)
        root.addLayout(top)
        root.addSpacing(8)
        root.addWidget(self.off_label)
        root.addWidget(self.total_label)
        root.addWidget(self.problem_label)
        root.addWidget(self.approval_label)
        root.addStretch(1)
        root.addLayout(buttons)
        self.setMinimumWidth(820)

    def _connect(self) -> None:
        self.scope_group.buttonToggled.connect(self._on_scope_group_button_toggled)
        self.kind_group.buttonToggled.connect(self._on_kind_group_button_toggled)
        self.value_edit.textChanged.connect(self._on_any_text_changed)
        self.reason_edit.textChanged.connect(self._on_any_text_changed)
        self.remove_button.clicked.connect(self.remove)
        self.cancel_button.clicked.connect(self.reject)
        self.apply_button.clicked.connect(self.apply)

    # -- public ---------------------------------------------------------------------

    def prepare(self, cart: Cart, line_id: int | None, *, limit_bps: int | None = None) -> None:
        """Show a discount on `cart`'s line `line_id` (None: the whole sale); `limit_bps`
        is the lane's limit when a manager approves discounts over it (None: nobody
        does, so the dialog says nothing of it)."""
        self._cart, self._line_id, self._limit_bps = cart, line_id, limit_bps
        self._answer = None
        if line_id is not None:
            line = cart.line(line_id)
            self.line_button.setText(text.DISCOUNT_ON_LINE.format(name=line.name))
            self.line_button.setAccessibleName(
                text.DISCOUNT_ON_LINE_NAME.format(name=line.name, amount=line.total.format())
            )
        self.line_button.setVisible(line_id is not None)
        self.sale_button.setAccessibleName(
            text.DISCOUNT_ON_SALE_NAME.format(amount=cart.subtotal.format())
        )
        (self.line_button if line_id is not None else self.sale_button).setChecked(True)
        self._show_current()

    async def ask(
        self, cart: Cart, line_id: int | None, *, limit_bps: int | None = None
    ) -> DiscountAnswer | None:
        """Open for `cart` (see `prepare`) and wait: the discount chosen, or None if the
        cashier went back to the sale."""
        self.prepare(cart, line_id, limit_bps=limit_bps)
        result = await finished_result(self)
        return self._answer if accepted(result) else None

    @property
    def on_line(self) -> bool:
        """Whether the discount is on the line (else on the whole sale)."""
        return self._line_id is not None and self.line_button.isChecked()

    def set_percent(self, percent: int) -> None:
        """A quick percent: percent mode with that value."""
        self.percent_button.setChecked(True)
        self.value_edit.setText(str(percent))

    def press_key(self, key: str) -> None:
        """A key of the value keypad: a digit or "." types, "<" deletes the last character."""
        edit = self.value_edit
        if key == "<":
            edit.setText(edit.text()[:-1])
        else:
            edit.setText(edit.text() + key)

    def discount(self) -> tuple[Discount | None, str]:
        """The discount typed, or None and the sentence that says what is missing."""
        typed = self.value_edit.text()
        if self.percent_button.isChecked():
            value, problem = parse_percent(typed)
        else:
            try:
                value, problem = parse_amount(typed, minimum_cents=1).cents, ""
            except AmountError as exc:
                value, problem = None, exc.message
        if value is None:
            return None, problem
        if not self.reason_edit.text().strip():
            return None, text.DISCOUNT_REASON_MISSING
        kind = DiscountKind.PERCENT if self.percent_button.isChecked() else DiscountKind.AMOUNT
        try:
            return Discount(kind, value, self.reason_edit.text()), ""
        except DiscountError as exc:
            return None, exc.message

    def preview(self) -> tuple[Cart | None, str]:
        """The cart with the typed discount, or None and why it cannot be given."""
        discount, problem = self.discount()
        if discount is None:
            return None, problem
        try:
            if self.on_line and self._line_id is not None:
                return self._cart.with_line_discount(self._line_id, discount), ""
            return self._cart.with_discount(discount), ""
        except DiscountError as exc:  # an amount larger than what it comes off
            return None, exc.message

    def apply(self) -> None:
        """Accept the typed discount, when it can be given."""
        discount, _ = self.discount()
        preview, _ = self.preview()
        if discount is None or preview is None:
            return
        self._answer = DiscountAnswer(self._line_id if self.on_line else None, discount)
        self.accept()

    def remove(self) -> None:
        """Accept taking the discount away."""
        if self._current() is None:
            return
        self._answer = DiscountAnswer(self._line_id if self.on_line else None, None)
        self.accept()

    # -- state ----------------------------------------------------------------------

    def _current(self) -> Discount | None:
        if self.on_line and self._line_id is not None:
            return self._cart.line(self._line_id).discount
        return self._cart.discount

    def _show_current(self) -> None:
        """Fill the fields with the discount already given (else a fresh percent one)."""
        current = self._current()
        amount = current is not None and current.kind is DiscountKind.AMOUNT
        (self.amount_button if amount else self.percent_button).setChecked(True)
        self.value_edit.setText(_value_text(current) if current else "")
        self.reason_edit.setText(current.reason if current else "")
        self.remove_button.setVisible(current is not None)
        self._refresh()

    def _base(self) -> Money:
        if self.on_line and self._line_id is not None:
            return self._cart.line(self._line_id).total
        return self._cart.subtotal

    def _refresh(self) -> None:
        percent = self.percent_button.isChecked()
        self.value_prefix.setVisible(not percent)
        self.value_suffix.setVisible(percent)
        self.value_edit.setAccessibleName(
            text.DISCOUNT_VALUE_PERCENT_NAME if percent else text.DISCOUNT_VALUE_AMOUNT_NAME
        )
        self.value_edit.setPlaceholderText(
            text.DISCOUNT_PERCENT_PLACEHOLDER if percent else text.DISCOUNT_AMOUNT_PLACEHOLDER
        )
        for button in self.quick_percent_buttons.values():
            button.setVisible(percent)
        preview, problem = self.preview()
        typed = bool(self.value_edit.text().strip())
        if preview is None:
            self.off_label.setText(text.DISCOUNT_OFF_NONE if not typed else "")
            self.total_label.setText("")
            shown_problem = problem if typed or self.reason_edit.text().strip() else ""
            self._set_problem(shown_problem)
            self.approval_label.setText("")
        else:
            self._set_problem("")
            self._show_preview(preview)
        self.apply_button.setEnabled(preview is not None)
        self.off_label.setAccessibleName(self.off_label.text())

    def _show_preview(self, preview: Cart) -> None:
        if self.on_line and self._line_id is not None:
            line = preview.line(self._line_id)
            off = Money(line.discount_cents)
            total = text.DISCOUNT_NEW_LINE_TOTAL.format(
                name=line.name,
                amount=Money(line.net_cents).format(),
                total=preview.total.format(),
            )
        else:
            off = preview.sale_discount
            total = text.DISCOUNT_NEW_SALE_TOTAL.format(total=preview.total.format())
        self.off_label.setText(text.DISCOUNT_OFF.format(amount=off.format()))
        self.total_label.setText(total)
        limit = self._limit_bps
        needs = limit is not None and preview.needs_approval(limit)
        self.approval_label.setText(
            text.DISCOUNT_NEEDS_MANAGER.format(limit=_percent_text(limit or 0)) if needs else ""
        )

    def _set_problem(self, problem: str) -> None:
        self.problem_label.setText(problem)
        self.problem_label.setAccessibleName(problem)

    # -- slots ----------------------------------------------------------------------

    def _on_scope_group_button_toggled(self, _button: object, checked: bool) -> None:
        if checked:
            self._show_current()

    def _on_kind_group_button_toggled(self, _button: object, checked: bool) -> None:
        if checked:
            self._refresh()

    def _on_any_text_changed(self, _text: str) -> None:
        self._refresh()


def _percent_text(bps: int) -> str:
    whole, part = divmod(bps, BPS_PER_UNIT // 100)
    return str(whole) if not part else f"{whole}.{part:02d}".rstrip("0")
