"""The payment dialog's "Try again on" choice: a caption and a combo of terminals.

Only ready terminals can be chosen. The combo is filled when it is first shown
(a declined, cancelled or timed-out outcome), not while the dialog opens: the
Charge press does not pay for it.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

from pos_app.services.ports import TerminalInfo
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.text import payment as text

__all__ = ["RetryTerminalChoice"]


class RetryTerminalChoice:
    """The caption and combo (objectName `retryTerminalCombo`) in one row of `parent`."""

    def __init__(self, parent: QWidget) -> None:
        self.caption = QLabel(text.RETRY_TERMINAL_LABEL, parent)
        self.combo = QComboBox(parent)
        self.combo.setObjectName("retryTerminalCombo")
        self.combo.setAccessibleName(text.RETRY_TERMINAL_LABEL)
        self.combo.setMinimumHeight(MIN_TOUCH)
        self.combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.caption.setBuddy(self.combo)
        self.row = QHBoxLayout()
        self.row.addWidget(self.caption)
        self.row.addWidget(self.combo, 1)
        self._terminals: dict[str, TerminalInfo] = {}
        self._to_fill: tuple[list[TerminalInfo], str | None] | None = None
        self.show(False)

    def set_terminals(self, terminals: Sequence[TerminalInfo], current_id: str | None) -> None:
        """The terminals to offer; `current_id` is chosen if it is ready."""
        self._terminals = {t.id: t for t in terminals}
        self._to_fill = (list(terminals), current_id)
        if not self.combo.isHidden():
            self._fill()

    @property
    def has_terminals(self) -> bool:
        """Whether there are terminals to offer."""
        return bool(self._terminals)

    def show(self, visible: bool) -> None:
        """Show or hide the caption and the combo."""
        if visible:
            self._fill()
        self.caption.setVisible(visible)
        self.combo.setVisible(visible)

    def chosen(self) -> str | None:
        """The ready terminal picked, if any."""
        data = self.combo.currentData()
        terminal = self._terminals.get(data) if isinstance(data, str) else None
        return terminal.id if terminal is not None and terminal.is_ready else None

    def _fill(self) -> None:
        if self._to_fill is None:
            return
        terminals, current_id = self._to_fill
        self._to_fill = None
        combo = self.combo
        combo.blockSignals(True)
        combo.clear()
        model = combo.model()
        selected = -1
        for index, terminal in enumerate(terminals):
            template = text.TERMINAL_READINESS.get(terminal.readiness.value, "{name}")
            combo.addItem(template.format(name=terminal.name), terminal.id)
            if isinstance(model, QStandardItemModel):
                item = model.item(index)
                if item is not None:
                    item.setEnabled(terminal.is_ready)
            if terminal.is_ready and (selected < 0 or terminal.id == current_id):
                selected = index
        combo.setCurrentIndex(selected)
        combo.blockSignals(False)
