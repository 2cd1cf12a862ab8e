"""One simulated terminal in the virtual-terminal window: its screen and the customer's buttons.

The panel shows a terminal of `/_sandbox/state` (`update_from`, changing only
what changed, so polling does not flicker or steal focus) and turns a person's
clicks into signals; the window sends them to the sandbox.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.style import set_style_state
from pos_app.ui.terminal_screen import DISCONNECTED, running_session, screen_text
from pos_app.ui.text import virtual_terminal as text

__all__ = ["TerminalPanel"]

# Live statuses with a colour of their own in styles/virtual_terminal.qss ("other" has grey).
_STATUS_STYLES = frozenset({"CONNECTED", "ACTIVE", DISCONNECTED})


def _button(label: str, name: str, accessible: str) -> QPushButton:
    button = QPushButton(label)
    button.setObjectName(name)
    button.setAccessibleName(accessible)
    button.setMinimumHeight(MIN_TOUCH)
    button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    button.setAutoDefault(False)
    return button


class TerminalPanel(QFrame):
    """One simulated terminal: its name, behaviour, status, screen and customer buttons."""

    card_tapped = Signal(str, str)  # terminal id, card key
    decline_clicked = Signal(str, str)  # terminal id, decline code
    cancel_clicked = Signal(str)  # terminal id
    plug_clicked = Signal(str, bool)  # terminal id, True: plug in

    def __init__(
        self,
        terminal_id: str,
        nickname: str,
        test_cards: Sequence[Mapping[str, Any]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.terminal_id = terminal_id
        self.nickname = nickname
        self._offline = False
        prefix = f"vt_{terminal_id}"
        self.setObjectName(prefix)
        self.setAccessibleName(text.terminal_title(nickname, terminal_id))
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)

        self.title_label = self._label(f"{prefix}_title", bold=True)
        self.behaviour_label = self._label(f"{prefix}_behaviour")
        self.status_label = self._label(f"{prefix}_status", bold=True)
        self.screen_frame = QFrame()
        self.screen_frame.setObjectName(f"{prefix}_screen")
        self.screen_frame.setProperty("vtScreen", True)  # the window's sheet draws it
        self.screen_frame.setMinimumHeight(150)
        self.screen_frame.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.headline_label = self._label(f"{prefix}_screenHeadline", size=30, bold=True)
        self.prompt_label = self._label(f"{prefix}_screenPrompt", size=16)
        self.countdown_label = self._label(f"{prefix}_screenCountdown", size=14)
        screen_layout = QVBoxLayout(self.screen_frame)
        screen_layout.setContentsMargins(16, 12, 16, 12)
        screen_layout.addStretch(1)
        for label in (self.headline_label, self.prompt_label, self.countdown_label):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setWordWrap(True)
            screen_layout.addWidget(label)
        screen_layout.addStretch(1)

        self.tap_buttons: dict[str, QPushButton] = {}
        self.cards: dict[str, tuple[str, str]] = {}  # key: (brand, last four)
        taps = QGridLayout()
        for index, card in enumerate(test_cards):
            key, brand, last4 = str(card["key"]), str(card["brand"]), str(card["last4"])
            button = _button(
                text.tap_button(brand, last4),
                f"{prefix}_tap_{key}",
                text.tap_accessible(brand, last4, nickname),
            )
            button.clicked.connect(lambda _=False, k=key: self.card_tapped.emit(terminal_id, k))
            self.tap_buttons[key] = button
            self.cards[key] = (brand, last4)
            taps.addWidget(button, index // 2, index % 2)

        self.decline_code_combo = QComboBox()
        self.decline_code_combo.setObjectName(f"{prefix}_declineCode")
        self.decline_code_combo.setAccessibleName(
            text.for_terminal(text.DECLINE_CODE_LABEL, nickname)
        )
        self.decline_code_combo.setMinimumHeight(MIN_TOUCH)
        for code, code_label in text.DECLINE_CODES:
            self.decline_code_combo.addItem(code_label, code)
        self.decline_button = _button(
            text.DECLINE_BUTTON,
            f"{prefix}_decline",
            text.for_terminal(text.DECLINE_BUTTON, nickname),
        )
        self.decline_button.clicked.connect(self._on_decline_button_clicked)
        self.cancel_button = _button(
            text.CANCEL_BUTTON, f"{prefix}_cancel", text.for_terminal(text.CANCEL_BUTTON, nickname)
        )
        self.cancel_button.clicked.connect(lambda: self.cancel_clicked.emit(terminal_id))
        self.plug_button = _button(
            text.UNPLUG_BUTTON, f"{prefix}_plug", text.for_terminal(text.UNPLUG_BUTTON, nickname)
        )
        self.plug_button.clicked.connect(lambda: self.plug_clicked.emit(terminal_id, self._offline))

        header = QHBoxLayout()
        header.addWidget(self.behaviour_label, 1)
        header.addWidget(self.status_label)
        decline_row = QHBoxLayout()
        decline_row.addWidget(self.decline_code_combo, 1)
        decline_row.addWidget(self.decline_button)
        device_row = QHBoxLayout()
        device_row.addWidget(self.cancel_button)
        device_row.addWidget(self.plug_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addLayout(header)
        layout.addWidget(self.screen_frame)
        layout.addLayout(taps)
        layout.addLayout(decline_row)
        layout.addLayout(device_row)
        self._session_buttons = [
            *self.tap_buttons.values(),
            self.decline_button,
            self.cancel_button,
        ]

    def _label(self, name: str, *, size: int | None = None, bold: bool = False) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        label.setTextFormat(Qt.TextFormat.PlainText)
        font = label.font()
        if size is not None:
            font.setPixelSize(size)
        font.setBold(bold)
        label.setFont(font)
        return label

    def update_from(self, terminal: Mapping[str, Any], now: float | None, scale: float) -> None:
        """Show one terminal of `/_sandbox/state`, changing only what changed."""
        nickname = str(terminal.get("nickname", self.terminal_id))
        self.nickname = nickname
        live_status = str(terminal.get("live_status", ""))
        self._offline = live_status == DISCONNECTED
        _set_text(self.title_label, text.terminal_title(nickname, self.terminal_id))
        behaviour = text.behaviour_text(
            str(terminal.get("behaviour", "")), float(terminal.get("tap_after") or 0)
        )
        _set_text(self.behaviour_label, behaviour)
        _set_text(self.status_label, text.live_status_text(live_status))
        status_style = live_status if live_status in _STATUS_STYLES else "other"
        set_style_state(self.status_label, "liveStatus", status_style)

        screen = screen_text(terminal, now, scale)
        _set_line(self.headline_label, screen.headline)
        _set_line(self.prompt_label, screen.prompt)
        _set_line(self.countdown_label, screen.countdown)
        ink = "dim" if screen.dimmed else "on"
        set_style_state(self.headline_label, "ink", ink)
        set_style_state(self.prompt_label, "ink", ink)
        set_style_state(self.countdown_label, "ink", "timer")
        lines = [line for line in (screen.headline, screen.prompt, screen.countdown) if line]
        self.screen_frame.setAccessibleName(
            text.for_terminal(text.SCREEN_ACCESSIBLE_NAME, nickname)
        )
        self.screen_frame.setAccessibleDescription(" / ".join(lines))

        waiting = running_session(terminal) is not None
        for button in self._session_buttons:
            if button.isEnabled() != waiting:
                button.setEnabled(waiting)
        plug = text.PLUG_BUTTON if self._offline else text.UNPLUG_BUTTON
        _set_text(self.plug_button, plug)
        self.plug_button.setAccessibleName(text.for_terminal(plug, nickname))

    def chosen_decline_code(self) -> str:
        """The decline code picked in the combo."""
        return str(self.decline_code_combo.currentData())

    def _on_decline_button_clicked(self) -> None:
        self.decline_clicked.emit(self.terminal_id, self.chosen_decline_code())


def _set_text(widget: QLabel | QPushButton, value: str) -> None:
    # Only touch what changed: no repaint, no lost focus, no flicker on every poll.
    if widget.text() != value:
        widget.setText(value)


def _set_line(label: QLabel, value: str) -> None:
    """A screen line: hidden when empty, so the rest stays centred."""
    _set_text(label, value)
    if label.isHidden() == bool(value):
        label.setHidden(not value)
