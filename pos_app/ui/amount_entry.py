"""Typing an amount like on a card terminal: digits fill from the cents."""

from __future__ import annotations

import itertools
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.money import (
    DEFAULT_MAXIMUM_CENTS,
    KEYPAD_MAX_DIGITS,
    Money,
    cents_from_keypad,
)
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.style import style_sheet
from pos_app.ui.text import cart as text

__all__ = ["AmountEntry"]

_KEY_WIDTH_PX: Final = 72
_KEY_HEIGHT_PX: Final = 56
_DISPLAY_FONT_PX: Final = 40
_KEY_FONT_PX: Final = 22
_HINT_FONT_PX: Final = 12
_DIGITS: Final = frozenset("0123456789")
_ENTER_KEYS: Final = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})
# Keys with these held are shortcuts, never typing.
_COMMAND_MODIFIERS: Final = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)
# Keypad layout, top to bottom like a terminal's: (label, digits typed).
_KEY_ROWS: Final = (("7", "8", "9"), ("4", "5", "6"), ("1", "2", "3"), ("00", "0"))


def _pixel_font(base: QFont, pixels: int, *, bold: bool = False) -> QFont:
    font = QFont(base)
    font.setPixelSize(pixels)
    font.setBold(bold)
    return font


class AmountEntry(QWidget):
    """An amount display and an on-screen keypad; "Add to sale" emits the cents.

    Digits fill from the right as on a card terminal (1, 2, 3, 4 shows $12.34).
    A digit that would make more than KEYPAD_MAX_DIGITS digits, or an amount
    above the maximum, is refused with a reason under the display.

    Keyboard: digits type, Backspace deletes, Escape clears and Enter adds the
    amount (Enter and Escape only when an amount is typed). The main window
    can pass key presses from anywhere to `handle_key`.
    """

    amount_added = Signal(int)
    amount_changed = Signal(int)

    def __init__(
        self, parent: QWidget | None = None, *, maximum_cents: int = DEFAULT_MAXIMUM_CENTS
    ) -> None:
        super().__init__(parent)
        self.setObjectName("amountEntry")
        self.setAccessibleName(text.AMOUNT_ENTRY_NAME)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setStyleSheet(style_sheet("amount_entry"))  # the focused key stands out
        self._digits = ""
        self._maximum_cents = self._checked_maximum(maximum_cents)

        self.display = QLabel()
        self.display.setObjectName("amountDisplay")
        self.display.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        display_font = _pixel_font(self.font(), _DISPLAY_FONT_PX, bold=True)
        self.display.setFont(display_font)
        widest = Money(10**KEYPAD_MAX_DIGITS - 1).format()
        self.display.setMinimumWidth(QFontMetrics(display_font).horizontalAdvance(widest) + 16)
        self.display.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        self.hint = QLabel()
        self.hint.setObjectName("amountHint")
        self.hint.setAccessibleName(text.AMOUNT_HINT_NAME)
        self.hint.setFont(_pixel_font(self.font(), _HINT_FONT_PX))
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        # Keep the line's height when empty so the keypad does not jump.
        self.hint.setMinimumHeight(QFontMetrics(self.hint.font()).lineSpacing() * 2)

        self.keys: dict[str, QPushButton] = {}
        self.backspace_button = self._key_button(
            text.KEYPAD_BACKSPACE, "keypadBackspace", text.KEYPAD_BACKSPACE_NAME
        )
        self.backspace_button.clicked.connect(self.backspace)
        self.clear_button = self._key_button(
            text.KEYPAD_CLEAR, "keypadClear", text.KEYPAD_CLEAR_NAME
        )
        self.clear_button.clicked.connect(self.clear)
        self.add_button = QPushButton(text.ADD_AMOUNT_BUTTON)
        self.add_button.setObjectName("addAmountButton")
        self.add_button.setAccessibleName(text.ADD_AMOUNT_NAME)
        self.add_button.setMinimumSize(MIN_TOUCH, _KEY_HEIGHT_PX)
        self.add_button.setFont(_pixel_font(self.font(), _KEY_FONT_PX - 4, bold=True))
        self.add_button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.add_button.clicked.connect(self.add_amount)

        self._lay_out()
        self._refresh()

    # -- public --------------------------------------------------------------------

    @property
    def cents(self) -> int:
        """The typed amount in cents (0 when nothing is typed)."""
        return cents_from_keypad(self._digits)

    @property
    def maximum_cents(self) -> int:
        """The largest amount the keypad accepts."""
        return self._maximum_cents

    def set_maximum_cents(self, cents: int) -> None:
        """Refuse amounts above `cents` from now on."""
        self._maximum_cents = self._checked_maximum(cents)
        if self.cents > self._maximum_cents:
            self._show_hint(self._above_maximum_hint())
        self._refresh()

    def type_digits(self, digits: str) -> bool:
        """Type one or more digits ("7", "00"); False (and a hint) if they were refused."""
        if not digits or not set(digits) <= _DIGITS:
            raise ValueError(f"the keypad types digits only: {digits!r}")
        candidate = (self._digits + digits).lstrip("0")
        if len(candidate) > KEYPAD_MAX_DIGITS:
            self._show_hint(text.HINT_TOO_MANY_DIGITS)
            return False
        if cents_from_keypad(candidate) > self._maximum_cents:
            self._show_hint(self._above_maximum_hint())
            return False
        self._set_digits(candidate)
        return True

    def backspace(self) -> None:
        """Delete the last digit typed."""
        self._set_digits(self._digits[:-1])

    def clear(self) -> None:
        """Forget the typed amount."""
        self._set_digits("")

    def take_amount(self) -> int:
        """Return the typed cents and clear the entry."""
        cents = self.cents
        self.clear()
        return cents

    def add_amount(self) -> None:
        """Emit `amount_added` with the typed cents and clear; nothing if zero or too much."""
        if not self._can_add():
            return
        self.amount_added.emit(self.take_amount())

    def handle_key(self, event: QKeyEvent) -> bool:
        """Act on a key press from anywhere in the window; True if it was used.

        Digits always type; Backspace, Escape and Enter are only used when an
        amount is typed, so they keep their usual meaning otherwise.
        """
        if event.modifiers() & _COMMAND_MODIFIERS:
            return False
        typed = event.text()
        if len(typed) == 1 and typed in _DIGITS:
            self.type_digits(typed)
            return True
        if not self._digits:
            return False
        key = event.key()
        if key == Qt.Key.Key_Backspace:
            self.backspace()
        elif key == Qt.Key.Key_Escape:
            self.clear()
        elif key in _ENTER_KEYS:
            self.add_amount()
        else:
            return False
        return True

    # -- Qt ------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.handle_key(event):
            event.accept()
            return
        super().keyPressEvent(event)

    # -- building ------------------------------------------------------------------

    def _key_button(self, label: str, object_name: str, accessible: str) -> QPushButton:
        button = QPushButton(label)
        button.setObjectName(object_name)
        button.setAccessibleName(accessible)
        button.setMinimumSize(max(_KEY_WIDTH_PX, MIN_TOUCH), max(_KEY_HEIGHT_PX, MIN_TOUCH))
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.setFont(_pixel_font(self.font(), _KEY_FONT_PX))
        # Tab reaches every key (a keyboard-only cashier presses it with Space); a tap
        # does not take the focus, so typing and a scanner's burst keep going where they were.
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        button.setAutoRepeat(object_name == "keypadBackspace")
        return button

    def _digit_button(self, digits: str) -> QPushButton:
        if digits == "00":
            button = self._key_button(
                text.KEYPAD_DOUBLE_ZERO, "keypad00", text.KEYPAD_DOUBLE_ZERO_NAME
            )
        else:
            button = self._key_button(
                digits, f"keypad{digits}", text.KEYPAD_DIGIT_NAME.format(digit=digits)
            )
        button.clicked.connect(lambda: self.type_digits(digits))
        self.keys[digits] = button
        return button

    def _lay_out(self) -> None:
        keypad = QGridLayout()
        keypad.setSpacing(6)
        for row, labels in enumerate(_KEY_ROWS):
            for column, digits in enumerate(labels):
                keypad.addWidget(self._digit_button(digits), row, column)
        keypad.addWidget(self.backspace_button, len(_KEY_ROWS) - 1, 2)
        keypad.addWidget(self.clear_button, len(_KEY_ROWS), 0)
        keypad.addWidget(self.add_button, len(_KEY_ROWS), 1, 1, 2)

        layout = QVBoxLayout(self)
        layout.addWidget(self.display)
        layout.addWidget(self.hint)
        layout.addLayout(keypad)
        layout.addStretch(1)
        self._set_tab_order()

    def _set_tab_order(self) -> None:
        """Tab walks the keys as they are read: row by row, then Clear and Add to sale."""
        chain = [self, *(self.keys[d] for row in _KEY_ROWS for d in row)]
        chain += [self.backspace_button, self.clear_button, self.add_button]
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    # -- state ---------------------------------------------------------------------

    @staticmethod
    def _checked_maximum(cents: int) -> int:
        if cents <= 0:
            raise ValueError(f"the maximum amount must be positive: {cents}")
        return cents

    def _above_maximum_hint(self) -> str:
        return text.HINT_ABOVE_MAXIMUM.format(maximum=Money(self._maximum_cents).format())

    def _can_add(self) -> bool:
        return 0 < self.cents <= self._maximum_cents

    def _set_digits(self, digits: str) -> None:
        changed = digits != self._digits
        self._digits = digits
        self._show_hint("")
        self._refresh()
        if changed:
            self.amount_changed.emit(self.cents)

    def _show_hint(self, message: str) -> None:
        self.hint.setText(message)

    def _refresh(self) -> None:
        shown = Money(self.cents).format()
        self.display.setText(shown)
        self.display.setAccessibleName(text.AMOUNT_DISPLAY_NAME.format(amount=shown))
        self.add_button.setEnabled(self._can_add())
