"""The shift's dialogs: opening with the float, closing with the drawer counted, and cash in,
cash out or a no-sale with its reason.

Each dialog asks, then hands what was entered to the `submit` coroutine it was
given (a `ShiftService` call, through `ui.shift_tools.ShiftTools`) and stays
open while it runs: a sentence the service refuses with (a paid out over the
cash in the drawer, a sale still open at close) is shown in the dialog, where
the person can correct it. `ask()` opens the dialog (never exec) and returns
what `submit` returned, or None when cancelled. While `submit` runs the dialog
cannot be dismissed: a journal write is not cut in half.

The close is a blind count: the dialog never shows what the till expects;
the Z report shows it next to the count, with the over/short, once counted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QButtonGroup,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.cash import DENOMINATIONS, DrawerCount, denomination_label
from pos_app.domain.errors import InvalidInputError, UserFacingError
from pos_app.domain.money import AmountError, AmountErrorReason, Money, parse_amount
from pos_app.domain.report.shift import ShiftReport
from pos_app.domain.tickets import CashMovement, CashMovementKind, Shift
from pos_app.ui.controls import MIN_TOUCH, touch_button
from pos_app.ui.style import set_style_state, style_sheet
from pos_app.ui.tasks import TaskSlot, accepted, finished_result
from pos_app.ui.text import shift as text

__all__ = [
    "CashMovementDialog",
    "DrawerCountEntry",
    "ShiftCloseDialog",
    "ShiftOpenDialog",
]

MAX_PER_DENOMINATION: Final = 9_999
MAX_REASON_CHARS: Final = 80
_TOTAL_POINT_SIZE: Final = 14
_SMALLEST_NOTE: Final = 100  # cents: $1 and up are notes, the rest coins
_COLUMNS_PER_GROUP: Final = 5  # name, -, how many, +, total
_COUNT_WIDTH: Final = 72
_BUTTON_WIDTH: Final = 120
_TEXT_MARGIN: Final = 6
_LABEL_POINTS: Final = 12
_DENOMINATION_POINTS: Final = 13
_COUNT_POINTS: Final = 14
_AMOUNT_POINTS: Final = 16
_STEP_POINTS: Final = 16
_TOTAL_EDIT_WIDTH: Final = 360
_RIGHT: Final = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_MAX_DRAWER_CENTS: Final = 100_000_000  # $1,000,000: a typo, not a drawer

Counted = int | dict[int, int]
"""A drawer's count: a typed total in cents, or how many of each denomination."""


def sized(widget: QWidget, points: int, *, bold: bool = False) -> None:
    """Give `widget` a font of `points` (bold or not). Fonts are set in code, not by a
    style sheet on the dialog: a sheet there restyles each of the count's fifty-odd
    controls and doubles the time the dialog takes to open (bench_shift_screens)."""
    font = widget.font()
    font.setPointSize(points)
    font.setBold(bold)
    widget.setFont(font)


def typed_cents(value: str, *, empty_message: str) -> int:
    """The cents of an amount typed in a field ("245.10", "$1,000"); "0" is zero.

    InvalidInputError with the sentence to show: `empty_message` when nothing is typed."""
    if not value.strip():
        raise InvalidInputError(empty_message)
    try:
        return parse_amount(value, minimum_cents=0, maximum_cents=_MAX_DRAWER_CENTS).cents
    except AmountError as error:
        if error.reason is AmountErrorReason.ZERO:
            return 0
        raise


class DrawerCountEntry(QWidget):
    """The cash in a drawer, typed as a total (`countedTotalEdit`) or counted by note and
    coin in `countTable` (each row: the note or coin, how many with touch-sized - and +,
    the line's total; notes on the left, coins on the right). `changed` fires on every
    change of the count."""

    changed = Signal()

    def __init__(self, parent: QWidget | None, *, total_label: str) -> None:
        super().__init__(parent)
        self.setObjectName("drawerCountEntry")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        modes = QHBoxLayout()
        self.total_radio = QRadioButton(text.BY_TOTAL_RADIO, self)
        self.total_radio.setObjectName("countByTotalRadio")
        self.table_radio = QRadioButton(text.BY_DENOMINATION_RADIO, self)
        self.table_radio.setObjectName("countByDenominationRadio")
        self.mode_group = QButtonGroup(self)
        self.mode_group.setObjectName("countModeGroup")
        for radio in (self.table_radio, self.total_radio):
            radio.setMinimumHeight(MIN_TOUCH)
            sized(radio, _LABEL_POINTS)
            radio.setAccessibleDescription(text.HOW_TO_COUNT_NAME)
            self.mode_group.addButton(radio)
            modes.addWidget(radio)
        modes.addStretch(1)
        self.total_label = QLabel(text.COUNT_TOTAL.format(amount=Money(0).format()), self)
        self.total_label.setObjectName("countTotalLabel")
        self.total_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        sized(self.total_label, _TOTAL_POINT_SIZE, bold=True)
        widest = text.COUNT_TOTAL.format(amount=Money(_MAX_DRAWER_CENTS).format())
        self.total_label.setMinimumWidth(self.total_label.fontMetrics().horizontalAdvance(widest))
        modes.addWidget(self.total_label)
        layout.addLayout(modes)

        # The typed total: one row, hidden as a whole while counting note by note.
        self.total_row = QWidget(self)
        total_row = QHBoxLayout(self.total_row)
        total_row.setContentsMargins(0, 0, 0, 0)
        self.total_edit = QLineEdit(self.total_row)
        self.total_edit.setObjectName("countedTotalEdit")
        self.total_edit.setAccessibleName(total_label)
        self.total_edit.setPlaceholderText(text.AMOUNT_PLACEHOLDER)
        self.total_edit.setMinimumHeight(MIN_TOUCH)
        self.total_edit.setMinimumWidth(_TOTAL_EDIT_WIDTH)
        sized(self.total_edit, _AMOUNT_POINTS)
        self.total_edit.setTextMargins(_TEXT_MARGIN, 0, _TEXT_MARGIN, 0)
        self.total_edit.textChanged.connect(self.changed)
        self.total_row_label = QLabel(total_label, self.total_row)
        self.total_row_label.setBuddy(self.total_edit)
        total_row.addWidget(self.total_row_label)
        total_row.addWidget(self.total_edit, 1)
        layout.addWidget(self.total_row)

        self.table = self._count_table()
        layout.addWidget(self.table, 1, Qt.AlignmentFlag.AlignTop)

        self.mode_group.buttonToggled.connect(self._on_mode_group_button_toggled)
        self.table_radio.setChecked(True)

    def _count_table(self) -> QWidget:
        """Notes on the left, coins on the right (a drawer's two halves): each row the note
        or coin, how many (- and + beside it), and the line's total. A grid of plain
        widgets, not an item view: it opens within a frame (bench_shift_screens)."""
        table = QWidget(self)
        table.setObjectName("countTable")
        table.setAccessibleName(text.COUNT_TABLE_NAME)
        grid = QGridLayout(table)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(2)
        notes = [cents for cents in DENOMINATIONS if cents >= _SMALLEST_NOTE]
        coins = [cents for cents in DENOMINATIONS if cents < _SMALLEST_NOTE]
        self.spins: dict[int, QSpinBox] = {}
        self.line_labels: dict[int, QLabel] = {}
        for group, (heading, denominations) in enumerate(
            ((text.NOTES_HEADING, notes), (text.COINS_HEADING, coins))
        ):
            first = group * (_COLUMNS_PER_GROUP + 1)  # a spacer column between the halves
            for offset, title in enumerate((heading, text.HOW_MANY_HEADING, text.TOTAL_HEADING)):
                header = QLabel(title, table)
                header.setObjectName("countHeading")
                sized(header, _LABEL_POINTS, bold=True)
                column = first + (0, 1, 4)[offset]
                span = 3 if offset == 1 else 1
                alignment = Qt.AlignmentFlag.AlignCenter if offset == 1 else _RIGHT
                grid.addWidget(header, 0, column, 1, span, alignment)
            for row, cents in enumerate(denominations, start=1):
                self._count_row(table, grid, row, first, cents)
        grid.setColumnMinimumWidth(_COLUMNS_PER_GROUP, 24)
        return table

    def _count_row(
        self, table: QWidget, grid: QGridLayout, row: int, first: int, cents: int
    ) -> None:
        """One note or coin: its name, - , how many (typed, or stepped), + , the total."""
        label = denomination_label(cents)
        name = QLabel(label, table)
        name.setObjectName("countDenomination")
        sized(name, _DENOMINATION_POINTS, bold=True)
        less = touch_button(table, f"less{cents}", text.LESS_BUTTON)
        less.setAccessibleName(text.LESS_NAME.format(label=label))
        less.setFixedSize(MIN_TOUCH, MIN_TOUCH)
        sized(less, _STEP_POINTS, bold=True)
        more = touch_button(table, f"more{cents}", text.MORE_BUTTON)
        more.setAccessibleName(text.MORE_NAME.format(label=label))
        more.setFixedSize(MIN_TOUCH, MIN_TOUCH)
        sized(more, _STEP_POINTS, bold=True)
        spin = QSpinBox(table)
        spin.setObjectName(f"count{cents}")
        spin.setAccessibleName(text.COUNT_ROW_NAME.format(label=label))
        spin.setRange(0, MAX_PER_DENOMINATION)
        spin.setButtonSymbols(QAbstractSpinBox.ButtonSymbols.NoButtons)
        spin.setFixedSize(_COUNT_WIDTH, MIN_TOUCH)
        sized(spin, _COUNT_POINTS)
        spin.setAlignment(Qt.AlignmentFlag.AlignCenter)
        spin.valueChanged.connect(self._on_spin_value_changed)
        less.clicked.connect(spin.stepDown)
        more.clicked.connect(spin.stepUp)
        line = QLabel(Money(0).format(), table)
        line.setObjectName("countLineTotal")
        sized(line, _LABEL_POINTS)
        line.setAlignment(_RIGHT)
        line.setMinimumWidth(line.fontMetrics().horizontalAdvance("$99,999.00") + 8)
        line.setAccessibleName(text.LINE_TOTAL_NAME.format(label=label))
        grid.addWidget(name, row, first, _RIGHT)
        grid.addWidget(less, row, first + 1)
        grid.addWidget(spin, row, first + 2)
        grid.addWidget(more, row, first + 3)
        grid.addWidget(line, row, first + 4, _RIGHT)
        self.spins[cents] = spin
        self.line_labels[cents] = line

    # -- state ----------------------------------------------------------------------------

    @property
    def by_denomination(self) -> bool:
        """Whether the cash is counted note by note (else as a typed total)."""
        return self.table_radio.isChecked()

    def set_by_denomination(self, by_denomination: bool) -> None:
        """Count note by note (True) or type the total (False)."""
        (self.table_radio if by_denomination else self.total_radio).setChecked(True)

    def set_count(self, cents: int, how_many: int) -> None:
        """How many of the note or coin of `cents` (counting note by note)."""
        self.set_by_denomination(True)
        self.spins[cents].setValue(how_many)

    def counts(self) -> dict[int, int]:
        """How many of each note and coin, the ones counted only."""
        return {cents: spin.value() for cents, spin in self.spins.items() if spin.value()}

    def table_total(self) -> int:
        """The total of the count note by note, in cents."""
        return DrawerCount(self.counts()).total_cents

    def value(self, *, empty_message: str) -> Counted:
        """The count: a dict by denomination, or the typed total in cents.

        InvalidInputError: nothing counted (`empty_message`), or a total that is not one."""
        if self.by_denomination:
            counts = self.counts()
            if not counts:
                raise InvalidInputError(empty_message)
            return counts
        return typed_cents(self.total_edit.text(), empty_message=empty_message)

    # -- slots ----------------------------------------------------------------------------

    def _on_mode_group_button_toggled(self, _button: QRadioButton, checked: bool) -> None:
        if not checked:
            return  # the other radio's toggle follows
        by_table = self.by_denomination
        self.table.setVisible(by_table)
        self.total_label.setVisible(by_table)
        self.total_row.setVisible(not by_table)
        dialog = self.window()
        if dialog is not self and dialog.isVisible():
            # The dialog fits the way of counting chosen, once its layout has caught up.
            QTimer.singleShot(0, dialog, dialog.adjustSize)
        (self.spins[DENOMINATIONS[0]] if by_table else self.total_edit).setFocus()
        self.changed.emit()

    def _on_spin_value_changed(self, _value: int) -> None:
        for cents, spin in self.spins.items():
            self.line_labels[cents].setText(Money(cents * spin.value()).format())
        self.total_label.setText(text.COUNT_TOTAL.format(amount=Money(self.table_total()).format()))
        self.changed.emit()


class _SubmitDialog(QDialog):
    """A dialog that hands what was entered to a coroutine and stays open while it runs;
    the sentence of a `UserFacingError` it raises is shown in `message_label`."""

    def __init__(self, parent: QWidget | None, name: str, title: str) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.slot = TaskSlot(self, title)
        self._busy = False
        self._result: object = None
        # Laid out by each dialog under its fields.
        self.message_label = QLabel("", self)
        self.message_label.setObjectName("shiftMessageLabel")
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setStyleSheet(style_sheet("shift"))  # its colours, and only its
        # Room for two lines kept from the start: a sentence appearing moves nothing.
        self.message_label.setMinimumHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        set_style_state(self.message_label, "state", "none")

    def _buttons(self, confirm_label: str, confirm_name: str) -> QHBoxLayout:
        row = QHBoxLayout()
        self.cancel_button = touch_button(self, "shiftCancelButton", text.CANCEL_BUTTON)
        self.cancel_button.setMinimumWidth(_BUTTON_WIDTH)
        self.cancel_button.clicked.connect(self.reject)
        self.confirm_button: QPushButton = touch_button(self, confirm_name, confirm_label)
        self.confirm_button.setMinimumWidth(_BUTTON_WIDTH)
        self.confirm_button.setDefault(True)
        self.confirm_button.clicked.connect(self._on_confirm_button_clicked)
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        row.addWidget(self.confirm_button)
        return row

    @property
    def busy(self) -> bool:
        """Whether `submit` is running (the dialog cannot be dismissed meanwhile)."""
        return self._busy

    def show_message(self, message: str, state: str = "refused") -> None:
        """Show a sentence under the fields (`state`: "refused" or "working")."""
        self.message_label.setText(message)
        self.message_label.setAccessibleName(message)
        set_style_state(self.message_label, "state", state if message else "none")

    def _on_fields_changed(self) -> None:
        if not self._busy:
            self.show_message("")  # a sentence about the old values goes with them

    def _on_confirm_button_clicked(self) -> None:
        if self._busy:
            return
        try:
            work = self._work()
        except UserFacingError as error:
            self.show_message(error.message)
            return
        self.slot.start(self._run(work))

    def _work(self) -> Awaitable[object]:
        """What the confirm button starts: the submit coroutine with what was entered.
        A `UserFacingError` here is a sentence about the fields."""
        raise NotImplementedError

    async def _run(self, work: Awaitable[object]) -> None:
        self._busy = True
        self.confirm_button.setEnabled(False)
        self.cancel_button.setEnabled(False)
        self.show_message(text.WORKING, "working")
        try:
            result = await work
        except UserFacingError as error:
            self.show_message(error.message)
            return
        finally:
            self._busy = False
            self.confirm_button.setEnabled(True)
            self.cancel_button.setEnabled(True)
        if result is None:  # the submit step was given up (an approval refused)
            self.show_message(text.APPROVAL_REFUSED)
            return
        self._result = result
        self.show_message("")
        self.accept()

    def reject(self) -> None:
        if not self._busy:
            super().reject()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # The style sheet applies at the first show: make room for what it grew.
        self.resize(self.size().expandedTo(self.sizeHint()))

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._busy:
            event.ignore()
            return
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._busy and event.key() == Qt.Key.Key_Escape:
            event.accept()
            return
        super().keyPressEvent(event)


class ShiftOpenDialog(_SubmitDialog):
    """Opens a shift: the float counted as a total or note by note.

    `submit(float_cents, count_or_None)` opens it (`ShiftService.open_shift`);
    `ask()` returns the new `Shift`, or None when cancelled."""

    def __init__(
        self,
        submit: Callable[[int, Mapping[int, int] | None], Awaitable[Shift | None]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, "shiftOpenDialog", text.OPEN_TITLE)
        self._submit = submit
        layout = QVBoxLayout(self)
        intro = QLabel(text.OPEN_INTRO, self)
        intro.setObjectName("shiftIntroLabel")
        sized(intro, _LABEL_POINTS)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.count = DrawerCountEntry(self, total_label=text.FLOAT_LABEL)
        self.count.changed.connect(self._on_fields_changed)
        self.count.set_by_denomination(False)  # most shops start from a known float
        layout.addWidget(self.count, 1)
        layout.addWidget(self.message_label)
        layout.addLayout(self._buttons(text.OPEN_BUTTON, "openShiftButton"))
        # Enter steps through a count; it never closes the drawer's count by accident.
        self.confirm_button.setDefault(False)

    def _work(self) -> Awaitable[object]:
        counted = self.count.value(empty_message=text.COUNT_NEEDED)
        if isinstance(counted, dict):
            return self._submit(DrawerCount(counted).total_cents, counted)
        return self._submit(counted, None)

    async def ask(self) -> Shift | None:
        """Open the dialog (never exec) and wait: the shift opened, or None."""
        if not accepted(await finished_result(self)):
            return None
        return self._result if isinstance(self._result, Shift) else None


class ShiftCloseDialog(_SubmitDialog):
    """Closes the shift: the drawer counted note by note (`countTable`) or as a total
    (`countedTotalEdit`). A blind count: what the till expects is not shown here.

    `submit(counted)` closes it (`ShiftService.close_shift`); `ask()` returns the
    Z report, or None when cancelled."""

    def __init__(
        self,
        shift: Shift,
        submit: Callable[[Counted], Awaitable[ShiftReport | None]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, "shiftCloseDialog", text.CLOSE_TITLE)
        self._submit = submit
        layout = QVBoxLayout(self)
        intro = QLabel(text.CLOSE_INTRO, self)
        intro.setObjectName("shiftIntroLabel")
        sized(intro, _LABEL_POINTS)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        when = shift.opened_at.astimezone().strftime("%Y-%m-%d %H:%M")
        amount = Money(shift.float_cents).format()
        opened = (
            text.CLOSE_OPENED.format(when=when, person=shift.opened_by, amount=amount)
            if shift.opened_by
            else text.CLOSE_OPENED_NOBODY.format(when=when, amount=amount)
        )
        self.opened_label = QLabel(opened, self)
        self.opened_label.setObjectName("shiftOpenedLabel")
        layout.addWidget(self.opened_label)
        self.count = DrawerCountEntry(self, total_label=text.COUNTED_TOTAL_LABEL)
        self.count.changed.connect(self._on_fields_changed)
        layout.addWidget(self.count, 1)
        layout.addWidget(self.message_label)
        layout.addLayout(self._buttons(text.CLOSE_BUTTON, "closeShiftButton"))
        # Enter steps through a count; it never closes the drawer's count by accident.
        self.confirm_button.setDefault(False)

    def _work(self) -> Awaitable[object]:
        return self._submit(self.count.value(empty_message=text.COUNT_NEEDED))

    async def ask(self) -> ShiftReport | None:
        """Open the dialog (never exec) and wait: the Z report, or None."""
        if not accepted(await finished_result(self)):
            return None
        return self._result if isinstance(self._result, ShiftReport) else None


_MOVEMENT_WORDS: Final = {
    CashMovementKind.PAID_IN: (
        text.PAID_IN_TITLE,
        text.PAID_IN_INTRO,
        text.PAID_IN_BUTTON,
    ),
    CashMovementKind.PAID_OUT: (
        text.PAID_OUT_TITLE,
        text.PAID_OUT_INTRO,
        text.PAID_OUT_BUTTON,
    ),
    CashMovementKind.NO_SALE: (
        text.NO_SALE_TITLE,
        text.NO_SALE_INTRO,
        text.NO_SALE_BUTTON,
    ),
}


class CashMovementDialog(_SubmitDialog):
    """Paid in or paid out (an amount and a reason, both required), or a no-sale (a reason
    only). `submit(amount_cents, reason)` does it (0 cents for a no-sale); `ask()` returns
    the `CashMovement`, or None when cancelled."""

    def __init__(
        self,
        kind: CashMovementKind,
        submit: Callable[[int, str], Awaitable[CashMovement | None]],
        parent: QWidget | None = None,
    ) -> None:
        if kind not in _MOVEMENT_WORDS:
            raise ValueError(f"not a movement a person enters: {kind}")
        title, intro_text, confirm = _MOVEMENT_WORDS[kind]
        super().__init__(parent, "cashMovementDialog", title)
        self.kind = kind
        self._submit = submit
        layout = QVBoxLayout(self)
        intro = QLabel(intro_text, self)
        intro.setObjectName("shiftIntroLabel")
        sized(intro, _LABEL_POINTS)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.amount_edit = QLineEdit(self)
        self.amount_edit.setObjectName("movementAmountEdit")
        self.amount_edit.setAccessibleName(text.AMOUNT_LABEL)
        self.amount_edit.setPlaceholderText(text.AMOUNT_PLACEHOLDER)
        self.amount_edit.setMinimumHeight(MIN_TOUCH)
        sized(self.amount_edit, _AMOUNT_POINTS)
        self.amount_edit.setTextMargins(_TEXT_MARGIN, 0, _TEXT_MARGIN, 0)
        self.reason_edit = QLineEdit(self)
        self.reason_edit.setObjectName("movementReasonEdit")
        self.reason_edit.setAccessibleName(text.REASON_LABEL)
        self.reason_edit.setPlaceholderText(text.REASON_PLACEHOLDER)
        self.reason_edit.setMaxLength(MAX_REASON_CHARS)
        self.reason_edit.setMinimumHeight(MIN_TOUCH)
        sized(self.reason_edit, _LABEL_POINTS)
        self.reason_edit.setTextMargins(_TEXT_MARGIN, 0, _TEXT_MARGIN, 0)
        self.amount_edit.textChanged.connect(self._on_fields_changed)
        self.reason_edit.textChanged.connect(self._on_fields_changed)
        if kind is not CashMovementKind.NO_SALE:
            form.addRow(text.AMOUNT_LABEL, self.amount_edit)
        else:
            self.amount_edit.hide()
        form.addRow(text.REASON_LABEL, self.reason_edit)
        layout.addLayout(form)
        layout.addWidget(self.message_label)
        layout.addLayout(self._buttons(confirm, "confirmMovementButton"))
        self.setMinimumWidth(460)
        (self.reason_edit if kind is CashMovementKind.NO_SALE else self.amount_edit).setFocus()

    def _work(self) -> Awaitable[object]:
        cents = 0
        if self.kind is not CashMovementKind.NO_SALE:
            cents = typed_cents(self.amount_edit.text(), empty_message=text.ZERO_AMOUNT)
            if cents <= 0:
                raise InvalidInputError(text.ZERO_AMOUNT)
        reason = " ".join(self.reason_edit.text().split())
        if not reason:
            raise InvalidInputError(text.REASON_NEEDED)
        return self._submit(cents, reason)

    async def ask(self) -> CashMovement | None:
        """Open the dialog (never exec) and wait: the movement, or None."""
        if not accepted(await finished_result(self)):
            return None
        return self._result if isinstance(self._result, CashMovement) else None
