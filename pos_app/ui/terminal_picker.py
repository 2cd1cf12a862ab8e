"""The terminal picker: the account's terminals, asked about calmly.

JustiFi's status call reaches the device and is not meant for a tight loop
(see the API notes on terminals), so the picker spends requests like this:

- the list, which carries each terminal's last known status, when it starts,
  every `LIST_REFRESH_MS`, and whenever the cashier opens the combo or presses
  Refresh: one request, never two at once;
- the live status call only for the chosen terminal, and only on demand: when
  the cashier picks a terminal or presses Refresh (the engine asks once more
  itself before it sends a sale);
- nothing while a payment runs: `set_paused(True)` stops the timer, and a tick
  missed meanwhile is made up once when the payment is over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from pos_app.services.ports import (
    GatewayConfigError,
    GatewayRefusedError,
    GatewayUnavailableError,
    Readiness,
    TerminalInfo,
    TerminalRefusedError,
)
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.text import window as text

__all__ = ["LIST_REFRESH_MS", "TerminalPicker"]

log = logging.getLogger("pos_app.ui.terminal_picker")

# The list's calm cadence: one request, the status of every terminal as JustiFi last knew it.
LIST_REFRESH_MS = 30_000

Lister = Callable[[], Awaitable[Sequence[TerminalInfo]]]
Checker = Callable[[str], Awaitable[TerminalInfo]]

# What JustiFi may answer when asked about terminals: shown as a sentence, never raised on.
_REACH_ERRORS = (
    GatewayUnavailableError,
    GatewayRefusedError,
    GatewayConfigError,
    TerminalRefusedError,
)


class TerminalPicker(QWidget):
    """A combo of terminals (objectName `terminalPicker`), Identify, Refresh and a status line."""

    selection_changed = Signal(object)  # TerminalInfo | None
    terminals_changed = Signal()

    def __init__(
        self,
        list_terminals: Lister,
        identify: Callable[[str], Awaitable[None]],
        *,
        check_terminal: Checker | None = None,
        remembered_id: str | None = None,
        remember: Callable[[str], None] | None = None,
        refresh_ms: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._list_terminals = list_terminals
        self._identify = identify
        self._check_terminal = check_terminal
        self._remember = remember
        self._wanted_id = remembered_id
        self._terminals: list[TerminalInfo] = []
        self._paused = False
        self._missed_tick = False
        self._refresh_slot = TaskSlot(self, "terminal refresh")
        self._check_slot = TaskSlot(self, "terminal status")
        self._identify_slot = TaskSlot(self, "identify terminal")
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(LIST_REFRESH_MS if refresh_ms is None else refresh_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    def _build(self) -> None:
        self.combo = QComboBox(self)
        self.combo.setObjectName("terminalPicker")
        self.combo.setAccessibleName("Card terminal")
        self.combo.setMinimumHeight(MIN_TOUCH)
        self.combo.setPlaceholderText(text.PICKER_LOADING)
        self.combo.currentIndexChanged.connect(self._on_combo_current_index_changed)
        self.combo.activated.connect(self._on_combo_activated)
        # Opening the list is asking for it: watch only the popup's view, nothing app-wide.
        self.combo.view().installEventFilter(self)

        label = QLabel(text.PICKER_LABEL, self)
        label.setBuddy(self.combo)

        self.identify_button = QPushButton(text.IDENTIFY, self)
        self.identify_button.setObjectName("identifyButton")
        self.identify_button.setAccessibleName(text.IDENTIFY)
        self.identify_button.setToolTip(text.IDENTIFY_TIP)
        self.identify_button.setMinimumSize(88, MIN_TOUCH)
        self.identify_button.clicked.connect(self._on_identify_button_clicked)

        self.refresh_button = QPushButton(text.REFRESH_TERMINALS, self)
        self.refresh_button.setObjectName("refreshTerminalsButton")
        self.refresh_button.setAccessibleName(text.REFRESH_TERMINALS)
        self.refresh_button.setToolTip(text.REFRESH_TERMINALS_TIP)
        self.refresh_button.setMinimumSize(88, MIN_TOUCH)
        self.refresh_button.setAutoDefault(False)
        self.refresh_button.clicked.connect(self.refresh_now)
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_F5), self)
        shortcut.activated.connect(self.refresh_now)

        self.status_label = QLabel("", self)
        self.status_label.setObjectName("terminalStatusLabel")
        self.status_label.setWordWrap(True)

        row = QHBoxLayout()
        row.addWidget(self.combo, 1)
        row.addWidget(self.identify_button)
        row.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addLayout(row)
        layout.addWidget(self.status_label)

    # -- public ---------------------------------------------------------------------------

    def start(self) -> None:
        """Begin refreshing the list (now, then every `LIST_REFRESH_MS`)."""
        self.refresh_soon()
        if not self._paused:
            self._timer.start()

    def stop(self) -> None:
        """Stop refreshing and any request under way."""
        self._timer.stop()
        self._refresh_slot.cancel()
        self._check_slot.cancel()
        self._identify_slot.cancel()

    def set_paused(self, paused: bool) -> None:
        """Ask JustiFi nothing while a payment runs; catch up once afterwards."""
        if paused == self._paused:
            return
        self._paused = paused
        if paused:
            self._timer.stop()
            self._missed_tick = False
            return
        if self._missed_tick:
            self._missed_tick = False
            self.refresh_soon()
        self._timer.start()

    @property
    def paused(self) -> bool:
        """Whether a payment holds the picker's requests back."""
        return self._paused

    @property
    def timer(self) -> QTimer:
        """The list's timer (tests drive its `timeout` to simulate time passing)."""
        return self._timer

    @property
    def refresh_task(self) -> asyncio.Task[object] | None:
        """The last list refresh (to await in tests)."""
        return self._refresh_slot.task

    @property
    def check_task(self) -> asyncio.Task[object] | None:
        """The last status call (to await in tests)."""
        return self._check_slot.task

    def refresh_soon(self) -> None:
        """Refresh the list unless a refresh is already running (never two at once)."""
        self._refresh_slot.start_if_idle(self.refresh())

    def refresh_now(self) -> None:
        """The cashier asked: the list, then the chosen terminal's live status."""
        if self._paused:
            return
        self._refresh_slot.start_if_idle(self._refresh_and_check())

    def check_chosen(self) -> None:
        """Ask the chosen terminal how it is now (the status call; on demand only)."""
        chosen = self.current()
        if chosen is not None and self._check_terminal is not None and not self._paused:
            self._check_slot.start(self._check(chosen.id))

    def current(self) -> TerminalInfo | None:
        """The chosen terminal with its last known status."""
        index = self.combo.currentIndex()
        if 0 <= index < len(self._terminals):
            return self._terminals[index]
        return None

    def terminals(self) -> list[TerminalInfo]:
        """Every terminal as last seen."""
        return list(self._terminals)

    def select(self, terminal_id: str) -> None:
        """Choose a terminal by id (a retry on another terminal)."""
        self._wanted_id = terminal_id
        for index, terminal in enumerate(self._terminals):
            if terminal.id == terminal_id:
                self.combo.setCurrentIndex(index)

    async def refresh(self) -> None:
        """Ask JustiFi for the list once (each terminal's last known status)."""
        try:
            terminals = list(await self._list_terminals())
        except GatewayUnavailableError:
            self.status_label.setText(text.PICKER_UNREACHABLE)
            return
        except (GatewayConfigError, GatewayRefusedError) as exc:
            # JustiFi answers but refuses this lane: no status can be trusted, so none is
            # shown as connected (Charge says why), and the cashier reads what to do.
            log.warning("listing terminals was refused: %s", exc)
            self._show([replace(t, readiness=Readiness.UNKNOWN) for t in self._terminals])
            refused = isinstance(exc, GatewayConfigError)
            self.status_label.setText(
                text.PICKER_CREDENTIALS_REFUSED if refused else text.PICKER_REFUSED
            )
            return
        self._show(terminals)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()
        super().closeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        opened = watched is self.combo.view() and event.type() == QEvent.Type.Show
        if opened and not self._paused:
            self.refresh_soon()
        return super().eventFilter(watched, event)

    # -- asking -----------------------------------------------------------------------------

    async def _refresh_and_check(self) -> None:
        await self.refresh()
        chosen = self.current()
        if chosen is not None and self._check_terminal is not None:
            await self._check(chosen.id)

    async def _check(self, terminal_id: str) -> None:
        assert self._check_terminal is not None
        try:
            live = await self._check_terminal(terminal_id)
        except _REACH_ERRORS:
            log.info("status of %s failed", terminal_id, exc_info=True)
            self.status_label.setText(text.CHECK_FAILED)
            return
        self.status_label.setText("")
        self._show([live if t.id == live.id else t for t in self._terminals])

    # -- rendering ------------------------------------------------------------------------

    def _show(self, terminals: list[TerminalInfo]) -> None:
        previous = self.current()
        wanted = self._wanted_id or (previous.id if previous else None)
        changed = [(t.id, t.readiness) for t in terminals] != [
            (t.id, t.readiness) for t in self._terminals
        ]
        self._terminals = terminals
        self.combo.blockSignals(True)
        if self.combo.count() != len(terminals):
            self.combo.clear()
            self.combo.addItems(["" for _ in terminals])
        index_to_select = -1
        for index, terminal in enumerate(terminals):
            status = text.READINESS.get(terminal.readiness.value, terminal.readiness.value)
            self.combo.setItemText(
                index, text.PICKER_ITEM.format(name=terminal.name, status=status)
            )
            self.combo.setItemData(index, terminal.id, Qt.ItemDataRole.UserRole)
            self.combo.setItemData(
                index, f"{terminal.name}, {status}", Qt.ItemDataRole.AccessibleTextRole
            )
            if terminal.id == wanted:
                index_to_select = index
        if index_to_select < 0 and terminals:
            ready = [i for i, t in enumerate(terminals) if t.is_ready]
            index_to_select = ready[0] if ready else 0
        self.combo.setCurrentIndex(index_to_select)
        self.combo.blockSignals(False)
        self.status_label.setText("" if terminals else text.PICKER_NONE)
        now = self.current()
        self.identify_button.setEnabled(bool(now and now.is_ready))
        moved = (previous.id if previous else None) != (now.id if now else None)
        if changed or moved:
            self.terminals_changed.emit()
            self.selection_changed.emit(now)

    # -- slots ----------------------------------------------------------------------------

    def _on_timer_timeout(self) -> None:
        if self._paused:
            self._missed_tick = True
            return
        self.refresh_soon()

    def _on_combo_current_index_changed(self, _index: int) -> None:
        chosen = self.current()
        if chosen is not None:
            self._wanted_id = chosen.id
            if self._remember is not None:
                self._remember(chosen.id)
        self.identify_button.setEnabled(bool(chosen and chosen.is_ready))
        self.selection_changed.emit(chosen)

    def _on_combo_activated(self, _index: int) -> None:
        self.check_chosen()  # the cashier picked a terminal: is it really there?

    def _on_identify_button_clicked(self) -> None:
        chosen = self.current()
        if chosen is not None:
            self._identify_slot.start(self._identify_terminal(chosen.id))

    async def _identify_terminal(self, terminal_id: str) -> None:
        try:
            await self._identify(terminal_id)
        except _REACH_ERRORS:
            log.info("identify %s failed", terminal_id, exc_info=True)
            self.status_label.setText(text.IDENTIFY_FAILED)
