"""The terminal picker: terminals with a live status, refreshed without overlap."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from pos_app.services.ports import (
    GatewayConfigError,
    GatewayRefusedError,
    GatewayUnavailableError,
    Readiness,
    TerminalInfo,
    TerminalRefusedError,
)
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.text import window as text

log = logging.getLogger("pos_app.ui.terminal_picker")

Lister = Callable[[], Awaitable[Sequence[TerminalInfo]]]


class TerminalPicker(QWidget):
    """A combo of terminals (objectName `terminalPicker`) with Identify and a status line."""

    selection_changed = Signal(object)  # TerminalInfo | None
    terminals_changed = Signal()

    def __init__(
        self,
        list_terminals: Lister,
        identify: Callable[[str], Awaitable[None]],
        *,
        remembered_id: str | None = None,
        remember: Callable[[str], None] | None = None,
        refresh_ms: int = 3000,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._list_terminals = list_terminals
        self._identify = identify
        self._remember = remember
        self._wanted_id = remembered_id
        self._terminals: list[TerminalInfo] = []
        self._refresh_slot = TaskSlot(self, "terminal refresh")
        self._identify_slot = TaskSlot(self, "identify terminal")

        self.combo = QComboBox(self)
        self.combo.setObjectName("terminalPicker")
        self.combo.setAccessibleName("Card terminal")
        self.combo.setMinimumHeight(44)
        self.combo.setPlaceholderText(text.PICKER_LOADING)
        self.combo.currentIndexChanged.connect(self._on_combo_current_index_changed)

        label = QLabel(text.PICKER_LABEL, self)
        label.setBuddy(self.combo)

        self.identify_button = QPushButton(text.IDENTIFY, self)
        self.identify_button.setObjectName("identifyButton")
        self.identify_button.setAccessibleName(text.IDENTIFY)
        self.identify_button.setToolTip(text.IDENTIFY_TIP)
        self.identify_button.setMinimumSize(88, 44)
        self.identify_button.clicked.connect(self._on_identify_button_clicked)

        self.status_label = QLabel("", self)
        self.status_label.setObjectName("terminalStatusLabel")
        self.status_label.setWordWrap(True)

        row = QHBoxLayout()
        row.addWidget(self.combo, 1)
        row.addWidget(self.identify_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label)
        layout.addLayout(row)
        layout.addWidget(self.status_label)

        self._timer = QTimer(self)
        self._timer.setInterval(refresh_ms)
        self._timer.timeout.connect(self.refresh_soon)

    # -- public ---------------------------------------------------------------------------

    def start(self) -> None:
        """Begin refreshing (now, then every few seconds)."""
        self.refresh_soon()
        self._timer.start()

    def stop(self) -> None:
        """Stop refreshing and any request under way."""
        self._timer.stop()
        self._refresh_slot.cancel()
        self._identify_slot.cancel()

    def refresh_soon(self) -> None:
        """Refresh unless a refresh is already running (never two at once)."""
        self._refresh_slot.start_if_idle(self.refresh())

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
        """Ask JustiFi for every terminal's live status once."""
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

    def _on_combo_current_index_changed(self, index: int) -> None:
        chosen = self.current()
        if chosen is not None:
            self._wanted_id = chosen.id
            if self._remember is not None:
                self._remember(chosen.id)
        self.identify_button.setEnabled(bool(chosen and chosen.is_ready))
        self.selection_changed.emit(chosen)

    def _on_identify_button_clicked(self) -> None:
        chosen = self.current()
        if chosen is not None:
            self._identify_slot.start(self._identify_terminal(chosen.id))

    async def _identify_terminal(self, terminal_id: str) -> None:
        try:
            await self._identify(terminal_id)
        except (
            GatewayUnavailableError,
            GatewayRefusedError,
            GatewayConfigError,
            TerminalRefusedError,
        ):
            log.info("identify %s failed", terminal_id, exc_info=True)
            self.status_label.setText(text.IDENTIFY_FAILED)
