"""The demo mode's virtual-terminal window: the simulated terminals' screens.

One panel per sandbox terminal (`ui.terminal_panel`) shows what the device's
screen shows (`ui.terminal_screen`) and lets a person act as the customer (tap
a test card, decline, press X) or unplug the terminal. The window polls the
sandbox's control API through an injected client (`TerminalControl`) while it
is shown; the ui layer never talks HTTP itself. Below them, the demo's cash
drawer (`ui.virtual_drawer`) shows when the till opens it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from pos_app.ui.style import style_sheet
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.terminal_panel import TerminalPanel
from pos_app.ui.terminal_screen import sandbox_epoch
from pos_app.ui.text import virtual_terminal as text
from pos_app.ui.virtual_drawer import VirtualDrawer

__all__ = ["ControlFailure", "TerminalControl", "VirtualTerminalWindow"]

log = logging.getLogger("pos_app.ui.virtual_terminal")

PANEL_COLUMNS = 2


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
        self.drawer = VirtualDrawer(self)  # the demo's cash drawer, given to the till
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.drawer)
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
        now = sandbox_epoch(state.get("now"))
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
