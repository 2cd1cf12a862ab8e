"""The demo mode's virtual-terminal window: the simulated terminals' screens.

One panel per sandbox terminal shows what the device's screen shows and lets a
person act as the customer (tap a test card, decline, press X) or unplug the
terminal. The window polls the sandbox's control API through an injected
client (`TerminalControl`); the ui layer never talks HTTP itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.money import Money
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.style import set_style_state, style_sheet
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.text import virtual_terminal as text

log = logging.getLogger("pos_app.ui.virtual_terminal")

PANEL_COLUMNS = 2
DISCONNECTED = "DISCONNECTED"

# Live statuses with a colour of their own in styles/virtual_terminal.qss ("other" has grey).
_STATUS_STYLES = frozenset({"CONNECTED", "ACTIVE", DISCONNECTED})


class TerminalControl(Protocol):
    """What the window needs from the sandbox's control API.

    Every method raises an exception with a `message` attribute (a short
    sentence for the person at the window) when the sandbox refuses or cannot
    be reached; `pos_app.sandbox.remote.SandboxControl` is the real one.
    """

    async def state(self) -> dict[str, Any]:
        """Time scale, simulated `now`, terminals with their sessions, test cards."""
        ...

    async def present(self, terminal_id: str, card: str | None = None) -> dict[str, Any]:
        """The customer taps `card`."""
        ...

    async def decline(self, terminal_id: str, code: str) -> dict[str, Any]:
        """The customer's card is declined with `code`."""
        ...

    async def press_x(self, terminal_id: str) -> dict[str, Any]:
        """The customer presses X."""
        ...

    async def unplug(self, terminal_id: str) -> dict[str, Any]:
        """The terminal goes offline."""
        ...

    async def replug(self, terminal_id: str) -> dict[str, Any]:
        """The terminal comes back online."""
        ...

    async def aclose(self) -> None:
        """Close the client (its owner does that, not the window)."""
        ...


@runtime_checkable
class ControlFailure(Protocol):
    """An error from the control client that carries a sentence for the person."""

    message: str


@dataclass(frozen=True)
class ScreenText:
    """The lines a simulated device's screen shows."""

    headline: str
    prompt: str = ""
    countdown: str = ""
    dimmed: bool = False


def running_session(terminal: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The session the terminal is running (waiting for the customer), if any."""
    session = terminal.get("session")
    if isinstance(session, Mapping) and session.get("status") == "created":
        return session
    return None


def seconds_left(session: Mapping[str, Any], now: float | None, time_scale: float) -> int | None:
    """Real seconds until the device gives up, from simulated `now` and the time scale."""
    deadline = session.get("deadline_epoch")
    if now is None or not isinstance(deadline, int | float) or time_scale <= 0:
        return None
    return max(0, math.ceil((float(deadline) - now) / time_scale))


def screen_text(terminal: Mapping[str, Any], now: float | None, time_scale: float) -> ScreenText:
    """What the device's screen shows for one terminal of `/_sandbox/state`."""
    session = running_session(terminal)
    if session is not None:
        amount = Money(int(session.get("amount", 0))).format()
        left = seconds_left(session, now, time_scale)
        countdown = "" if left is None else text.seconds_left(left)
        if session.get("session_type") == "refund":
            return ScreenText(text.refund_amount(amount), text.SCREEN_REFUND_PROMPT, countdown)
        return ScreenText(amount, text.SCREEN_PAYMENT_PROMPT, countdown)
    if terminal.get("identifying"):
        return ScreenText(str(terminal.get("nickname", "")), text.SCREEN_IDENTIFY_PROMPT)
    if terminal.get("live_status") == DISCONNECTED:
        return ScreenText(text.SCREEN_OFFLINE, dimmed=True)
    return ScreenText(text.SCREEN_READY)


def _epoch(iso: object) -> float | None:
    """The sandbox's simulated `now` ("2026-11-23T19:35:59.909Z") as epoch seconds."""
    if not isinstance(iso, str):
        return None
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return None


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


class VirtualTerminalWindow(QWidget):
    """A top-level window with one `TerminalPanel` per simulated terminal."""

    def __init__(
        self, control: TerminalControl, parent: QWidget | None = None, *, poll_ms: int = 300
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("virtualTerminalWindow")
        self.setWindowTitle(text.WINDOW_TITLE)
        self.setAccessibleName(text.WINDOW_TITLE)
        self.setStyleSheet(style_sheet("virtual_terminal"))
        self._control = control
        self._panels: dict[str, TerminalPanel] = {}
        self._requested = 0  # polls started
        self._shown = 0  # the newest poll whose answer is on screen
        self._poll_failed = False
        self.poll_slot = TaskSlot(self, "virtual terminal poll")
        self.action_slot = TaskSlot(self, "virtual terminal action")
        self._poll_timer = QTimer(self)
        self._poll_timer.setInterval(poll_ms)
        self._poll_timer.timeout.connect(self._on_poll_timer_timeout)

        intro = QLabel(text.INTRO)
        intro.setObjectName("vtIntroLabel")
        intro.setWordWrap(True)
        self._grid_host = QWidget()
        self._grid_host.setObjectName("vtPanels")
        self._grid = QGridLayout(self._grid_host)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea()
        scroll.setObjectName("vtScrollArea")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._grid_host)
        self.status_label = QLabel()
        self.status_label.setObjectName("vtStatusLabel")
        self.status_label.setAccessibleName(text.WINDOW_TITLE)
        self.status_label.setWordWrap(True)
        self.status_label.setMinimumHeight(28)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.status_label)
        self.resize(960, 820)

    # -- polling ------------------------------------------------------------------

    async def refresh(self) -> None:
        """Ask the sandbox for its state once and show it."""
        self._requested += 1
        number = self._requested
        try:
            state = await self._control.state()
        except Exception as exc:  # anything the client raises ends up in the status line
            if not isinstance(exc, ControlFailure):
                log.exception("virtual terminal: reading the sandbox's state failed")
            self._show_status(exc.message if isinstance(exc, ControlFailure) else None)
            self._poll_failed = True
            return
        if number <= self._shown:
            return  # a newer answer is already on screen
        self._shown = number
        if self._poll_failed:
            self._poll_failed = False
            self.status_label.clear()
        self._show_state(state)

    @property
    def polling(self) -> bool:
        """Whether the window polls the sandbox (it does while shown)."""
        return self._poll_timer.isActive()

    def panel(self, terminal_id: str) -> TerminalPanel | None:
        """The panel of one terminal, once the sandbox has reported it."""
        return self._panels.get(terminal_id)

    async def wait_idle(self) -> None:
        """Wait for the current poll and action to finish (tests, shutdown)."""
        for slot in (self.poll_slot, self.action_slot):
            task = slot.task
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait([task])

    def _on_poll_timer_timeout(self) -> None:
        self.poll_slot.start_if_idle(self.refresh())

    def showEvent(self, event: QShowEvent) -> None:
        """Start polling while the window is on screen."""
        super().showEvent(event)
        self._poll_timer.start()
        self.poll_slot.start_if_idle(self.refresh())

    def hideEvent(self, event: QHideEvent) -> None:
        """Stop polling once the window is hidden."""
        self._stop()
        super().hideEvent(event)

    def _stop(self) -> None:
        self._poll_timer.stop()
        self.poll_slot.cancel()
        self.action_slot.cancel()

    def _show_state(self, state: Mapping[str, Any]) -> None:
        now = _epoch(state.get("now"))
        scale = float(state.get("time_scale") or 1.0)
        cards = state.get("test_cards") or []
        terminals = [t for t in state.get("terminals") or [] if isinstance(t, Mapping)]
        # Terminals that wait for a person come first: they are why the window exists.
        terminals.sort(key=lambda t: t.get("behaviour") != "manual")
        seen = [str(t["id"]) for t in terminals]
        changed = False
        for terminal_id in list(self._panels):
            if terminal_id not in seen:
                self._panels.pop(terminal_id).deleteLater()
                changed = True
        for terminal in terminals:
            terminal_id = str(terminal["id"])
            panel = self._panels.get(terminal_id)
            if panel is None:
                panel = self._new_panel(terminal_id, str(terminal.get("nickname", "")), cards)
                changed = True
            panel.update_from(terminal, now, scale)
        if changed:
            self._lay_out(seen)

    def _new_panel(
        self, terminal_id: str, nickname: str, cards: Sequence[Mapping[str, Any]]
    ) -> TerminalPanel:
        panel = TerminalPanel(terminal_id, nickname, cards, self._grid_host)
        panel.card_tapped.connect(self._on_panel_card_tapped)
        panel.decline_clicked.connect(self._on_panel_decline_clicked)
        panel.cancel_clicked.connect(self._on_panel_cancel_clicked)
        panel.plug_clicked.connect(self._on_panel_plug_clicked)
        self._panels[terminal_id] = panel
        return panel

    def _lay_out(self, order: Sequence[str]) -> None:
        for panel in self._panels.values():
            self._grid.removeWidget(panel)
        for index, terminal_id in enumerate(order):
            panel = self._panels[terminal_id]
            self._grid.addWidget(panel, index // PANEL_COLUMNS, index % PANEL_COLUMNS)

    # -- acting as the customer ----------------------------------------------------

    def _on_panel_card_tapped(self, terminal_id: str, card_key: str) -> None:
        panel = self._panels[terminal_id]
        brand, last4 = panel.cards[card_key]
        done = text.done_tap(panel.nickname, brand, last4)
        self._act(panel, lambda: self._control.present(terminal_id, card_key), done)

    def _on_panel_decline_clicked(self, terminal_id: str, code: str) -> None:
        panel = self._panels[terminal_id]
        label = panel.decline_code_combo.currentText()
        done = text.done_decline(panel.nickname, label)
        self._act(panel, lambda: self._control.decline(terminal_id, code), done)

    def _on_panel_cancel_clicked(self, terminal_id: str) -> None:
        panel = self._panels[terminal_id]
        done = text.done_cancel(panel.nickname)
        self._act(panel, lambda: self._control.press_x(terminal_id), done)

    def _on_panel_plug_clicked(self, terminal_id: str, plug_in: bool) -> None:
        panel = self._panels[terminal_id]
        if plug_in:
            done = text.done_replug(panel.nickname)
            self._act(panel, lambda: self._control.replug(terminal_id), done)
        else:
            done = text.done_unplug(panel.nickname)
            self._act(panel, lambda: self._control.unplug(terminal_id), done)

    def _act(self, panel: TerminalPanel, call: Callable[[], Awaitable[object]], done: str) -> None:
        # One action at a time: a second click while the first is on its way is dropped.
        self.action_slot.start_if_idle(self._run_action(panel.nickname, call, done))

    async def _run_action(
        self, nickname: str, call: Callable[[], Awaitable[object]], done: str
    ) -> None:
        try:
            await call()
        except Exception as exc:  # anything the client raises ends up in the status line
            if not isinstance(exc, ControlFailure):
                log.exception("virtual terminal: an action on %s failed", nickname)
            message = exc.message if isinstance(exc, ControlFailure) else None
            self._show_status(None if message is None else text.failed(nickname, message))
        else:
            self._show_status(done)
        await self.refresh()

    def _show_status(self, message: str | None) -> None:
        self.status_label.setText(text.UNEXPECTED_PROBLEM if message is None else message)
