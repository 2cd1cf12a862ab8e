"""The tender dialog: the cash a customer hands over, and the change due.

The amount due (the sale's balance) and the change are in large type: the
cashier reads them from a step back while counting notes. The amount handed
over is typed on the till's own amount keypad (digits fill from the cents, as
on a card terminal) or set at once by a quick note ($5, $10, $20, $50) or
Exact. Cash less than the amount due is a part of the sale: the button says
what stays to pay.

Keys: digits and Backspace type, Enter takes the cash, Esc goes back to the
sale. The dialog is opened with `open()` and awaited (`ask`), never exec'd,
and is built once and reused, so pressing Cash shows it within a frame.

Only the figures shown are computed here; what is kept is decided by
`SaleService.pay_cash` (applied = min(handed over, balance), the rest is
change), the same rule as `domain.tender.cash_part`.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.money import Money
from pos_app.domain.tender import QUICK_NOTES_CENTS
from pos_app.ui.amount_entry import AmountEntry
from pos_app.ui.controls import MIN_TOUCH, touch_button
from pos_app.ui.style import set_style_state, style_sheet
from pos_app.ui.tasks import accepted, finished_result
from pos_app.ui.text import till as text

__all__ = ["TenderDialog"]

_BIG_FONT_PX: Final = 40
_CAPTION_FONT_PX: Final = 22
_NOTE_HEIGHT_PX: Final = 64
_ENTER_KEYS: Final = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})


def _money(cents: int) -> str:
    return Money(cents).format()


def note_label(cents: int) -> str:
    """A quick note's face: "$5", "$20" (cents only when a note has them)."""
    whole, part = divmod(cents, 100)
    return f"${whole}" if not part else _money(cents)


def _big(label: QLabel, pixels: int = _BIG_FONT_PX) -> QLabel:
    font = QFont(label.font())
    font.setPixelSize(pixels)
    font.setBold(True)
    label.setFont(font)
    return label


class TenderDialog(QDialog):
    """Asks how much cash the customer hands over towards `due_cents` (`ask`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tenderDialog")
        self.setWindowTitle(text.TENDER_TITLE)
        self.setAccessibleName(text.TENDER_TITLE)
        self.setModal(True)
        self.setStyleSheet(style_sheet("tender"))
        self._due = 0

        self.due_label = _big(QLabel("", self))
        self.due_label.setObjectName("dueLabel")
        self.entry = AmountEntry(self)
        self.entry.add_button.hide()  # Take is the dialog's own button
        # The dialog takes the keys (digits, Enter, Esc); no key button holds the focus,
        # so Enter never presses one.
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.entry.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for key in self.entry.findChildren(QPushButton):
            key.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            key.setAutoDefault(False)
        self.entry.display.setObjectName("tenderedLabel")
        self.entry.amount_changed.connect(self._on_entry_amount_changed)
        self.tendered_label = self.entry.display
        self.change_label = _big(QLabel("", self))
        self.change_label.setObjectName("changeDueLabel")
        self.change_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.hint = QLabel(text.TENDER_HINT, self)
        self.hint.setObjectName("tenderHint")
        self.hint.setWordWrap(True)

        self.note_buttons: dict[int, QPushButton] = {}
        for cents in QUICK_NOTES_CENTS:
            button = touch_button(self, f"quickNote{cents}", note_label(cents))
            button.setAccessibleName(text.QUICK_NOTE_NAME.format(amount=note_label(cents)))
            button.setMinimumHeight(_NOTE_HEIGHT_PX)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda _checked=False, c=cents: self.set_tendered(c))
            self.note_buttons[cents] = button
        self.exact_button = touch_button(self, "exactButton", text.EXACT)
        self.exact_button.setAccessibleName(text.EXACT_NAME)
        self.exact_button.setMinimumHeight(_NOTE_HEIGHT_PX)
        self.exact_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.exact_button.clicked.connect(lambda: self.set_tendered(self._due))
        self.take_button = touch_button(self, "takeCashButton", text.TAKE_EMPTY)
        self.take_button.setMinimumHeight(max(MIN_TOUCH, 64))
        self.take_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.take_button.clicked.connect(self.take)
        self.back_button = touch_button(self, "tenderBackButton", text.TENDER_CANCEL)
        self.back_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.back_button.clicked.connect(self.reject)
        self._lay_out()
        self._refresh()

    def _lay_out(self) -> None:
        due_row = QHBoxLayout()
        due_caption = _big(QLabel(text.DUE_CAPTION, self), _CAPTION_FONT_PX)
        due_caption.setObjectName("dueCaption")
        due_row.addWidget(due_caption)
        due_row.addStretch(1)
        due_row.addWidget(self.due_label)

        notes = QGridLayout()
        for index, button in enumerate([*self.note_buttons.values(), self.exact_button]):
            notes.addWidget(button, index // 3, index % 3)

        left = QVBoxLayout()
        tendered_caption = _big(QLabel(text.TENDERED_CAPTION, self), _CAPTION_FONT_PX)
        tendered_caption.setObjectName("tenderedCaption")
        left.addWidget(tendered_caption)
        left.addWidget(self.entry)
        right = QVBoxLayout()
        right.addLayout(notes)
        right.addStretch(1)
        right.addWidget(self.change_label)

        body = QHBoxLayout()
        body.addLayout(left, 1)
        body.addSpacing(16)
        body.addLayout(right, 1)

        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.take_button, 2)

        root = QVBoxLayout(self)
        root.addLayout(due_row)
        root.addLayout(body, 1)
        root.addWidget(self.hint)
        root.addLayout(buttons)
        self.resize(720, 520)

    # -- public ----------------------------------------------------------------------

    @property
    def due_cents(self) -> int:
        """What is left to pay on the sale."""
        return self._due

    @property
    def tendered_cents(self) -> int:
        """What the customer hands over, as typed."""
        return self.entry.cents

    @property
    def change_cents(self) -> int:
        """What goes back to the customer (cash above the amount due)."""
        return max(self.tendered_cents - self._due, 0)

    @property
    def left_cents(self) -> int:
        """What stays to pay after this cash (a part of the sale)."""
        return max(self._due - self.tendered_cents, 0)

    def prepare(self, due_cents: int) -> None:
        """Show a fresh tender for `due_cents` (nothing handed over yet)."""
        self._due = due_cents
        self.entry.clear()
        self._refresh()
        self.setFocus()

    def set_tendered(self, cents: int) -> None:
        """Set what was handed over (a quick note or Exact): it replaces what was typed."""
        self.entry.clear()
        if cents > 0:
            self.entry.type_digits(str(cents))
        self._refresh()

    def take(self) -> None:
        """Take the cash (accept) when some was handed over."""
        if self.tendered_cents > 0:
            self.accept()

    async def ask(self, due_cents: int, *, tendered_cents: int | None = None) -> int | None:
        """Open for `due_cents` and wait: the cents handed over, or None if the cashier
        went back to the sale. `tendered_cents` presets what was handed over."""
        self.prepare(due_cents)
        if tendered_cents:
            self.set_tendered(tendered_cents)
        result = await finished_result(self)
        return self.tendered_cents if accepted(result) else None

    # -- Qt --------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in _ENTER_KEYS:
            self.take()
            event.accept()
            return
        if event.key() != Qt.Key.Key_Escape and self.entry.handle_key(event):
            event.accept()
            return
        super().keyPressEvent(event)  # Esc rejects

    # -- state -----------------------------------------------------------------------

    def _on_entry_amount_changed(self, _cents: int) -> None:
        self._refresh()

    def _refresh(self) -> None:
        tendered = self.tendered_cents
        self.due_label.setText(_money(self._due))
        self.due_label.setAccessibleName(f"{text.DUE_CAPTION} {_money(self._due)}")
        self.tendered_label.setAccessibleName(text.TENDERED_NAME.format(amount=_money(tendered)))
        if tendered == 0:
            change, state = "", "none"
            take = text.TAKE_EMPTY
        elif tendered < self._due:
            change = text.LEFT_AFTER.format(amount=_money(self.left_cents))
            state = "part"
            take = text.TAKE_PART.format(amount=_money(tendered), left=_money(self.left_cents))
        else:
            change = (
                text.CHANGE_DUE.format(amount=_money(self.change_cents))
                if self.change_cents
                else text.NO_CHANGE
            )
            state = "change"
            take = text.TAKE.format(amount=_money(tendered))
        self.change_label.setText(change)
        self.change_label.setAccessibleName(change)
        set_style_state(self.change_label, "tender", state)
        self.take_button.setText(take)
        self.take_button.setAccessibleName(take)
        self.take_button.setEnabled(tendered > 0)
