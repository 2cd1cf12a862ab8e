"""A masked PIN field over a touch keypad, shared by every screen that asks for a PIN.

The field keeps the focus, so typed digits go there and the keypad's keys
(which never take the focus) work by touch as well; Enter is left to the
dialog holding the pad.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QGridLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from pos_app.domain.pin import PIN_MAX_DIGITS
from pos_app.ui.text import manager as text

__all__ = ["PinPad"]

_KEY_SIZE: Final = (76, 60)
_KEY_ROWS: Final = (("1", "2", "3"), ("4", "5", "6"), ("7", "8", "9"))


class PinPad(QWidget):
    """A PIN field (digits hidden, 8 at most) and a 3x4 keypad: digits, Clear, delete.

    `text_changed` follows the field; `set_enabled_keys(False)` turns field and keys
    off (a locked person)."""

    text_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pinPad")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        self.pin_edit = QLineEdit(self)
        self.pin_edit.setObjectName("pinEdit")
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setMaxLength(PIN_MAX_DIGITS)
        self.pin_edit.setValidator(
            QRegularExpressionValidator(QRegularExpression(f"[0-9]{{0,{PIN_MAX_DIGITS}}}"), self)
        )
        self.pin_edit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pin_edit.setPlaceholderText(text.PIN_PLACEHOLDER)
        self.pin_edit.setAccessibleName(text.PIN_FIELD_NAME)
        self.pin_edit.setAccessibleDescription(text.PIN_FIELD_DESCRIPTION)
        self.pin_edit.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.pin_edit.textChanged.connect(self.text_changed)
        layout.addWidget(self.pin_edit)
        layout.addWidget(self._build_keypad(), 0, Qt.AlignmentFlag.AlignHCenter)
        self._layout = layout

    def _build_keypad(self) -> QWidget:
        keypad = QWidget(self)
        keypad.setObjectName("pinKeypad")
        keypad.setAccessibleName(text.KEYPAD_NAME)
        grid = QGridLayout(keypad)
        grid.setSpacing(8)
        grid.setContentsMargins(0, 0, 0, 0)
        self.digit_buttons: dict[str, QPushButton] = {}
        for row, digits in enumerate(_KEY_ROWS):
            for column, digit in enumerate(digits):
                grid.addWidget(self._digit_button(digit), row, column)
        self.clear_button = self._key(text.KEY_CLEAR, "pinClearKey", text.KEY_CLEAR_NAME)
        self.clear_button.clicked.connect(self.pin_edit.clear)
        self.backspace_button = self._key(
            text.KEY_BACKSPACE, "pinBackspaceKey", text.KEY_BACKSPACE_NAME
        )
        self.backspace_button.clicked.connect(self.pin_edit.backspace)
        grid.addWidget(self.clear_button, 3, 0)
        grid.addWidget(self._digit_button("0"), 3, 1)
        grid.addWidget(self.backspace_button, 3, 2)
        return keypad

    def _digit_button(self, digit: str) -> QPushButton:
        button = self._key(digit, f"pinKey{digit}", text.KEY_DIGIT_NAME.format(digit=digit))
        button.clicked.connect(lambda: self.type_digit(digit))
        self.digit_buttons[digit] = button
        return button

    def _key(self, label: str, name: str, accessible: str) -> QPushButton:
        button = QPushButton(label, self)
        button.setObjectName(name)
        button.setAccessibleName(accessible)
        button.setProperty("keypad", True)
        button.setFixedSize(*_KEY_SIZE)
        # The field keeps the focus, so typed digits and Enter always go there.
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setAutoDefault(False)
        return button

    def add_below_field(self, widget: QWidget) -> None:
        """Put `widget` (a message line) between the field and the keypad."""
        self._layout.insertWidget(1, widget)

    # -- state ------------------------------------------------------------------------------

    @property
    def pin(self) -> str:
        """The digits typed so far."""
        return self.pin_edit.text()

    def clear(self) -> None:
        """Empty the field (nothing typed is kept)."""
        self.pin_edit.clear()

    def type_digit(self, digit: str) -> None:
        """One digit, as a keypad key types it."""
        if self.pin_edit.isEnabled() and len(self.pin_edit.text()) < PIN_MAX_DIGITS:
            self.pin_edit.insert(digit)

    def set_keys_enabled(self, enabled: bool) -> None:
        """Turn the field and the keys on or off; on gives the field the focus."""
        self.pin_edit.setEnabled(enabled)
        for button in (*self.digit_buttons.values(), self.clear_button, self.backspace_button):
            button.setEnabled(enabled)
        if enabled:
            self.pin_edit.setFocus()

    @property
    def keys_enabled(self) -> bool:
        """Whether the pad takes digits."""
        return self.pin_edit.isEnabled()
