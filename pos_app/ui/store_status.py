"""The store's quiet status in the till's status bar: only on a lane in a store.

One small label beside the status line, fed by the sync task's status callback
(`StoreSync.on_status`, on the GUI thread: the task runs on the window's qasync
loop). It never asks anything of the cashier: "Store: up to date", "Store: 12 to
send", "Store unreachable — the till keeps selling; 12 to send", or, when the
store refuses the lane and a manager must act, "Store refused this lane: ...".
The main window imports this module only when the lane has a store.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from pos_app.services.store_ports import SyncState, SyncStatus
from pos_app.ui.style import set_style_state, style_sheet
from pos_app.ui.text import store as text

__all__ = ["StoreStatusLabel", "store_status_text"]

STYLE = "store_status"


def store_status_text(status: SyncStatus) -> str:
    """The status bar's words for a sync status ("" for a lane without a store)."""
    if status.state is SyncState.OFF:
        return ""
    if status.state is SyncState.REFUSED:
        return text.REFUSED.format(message=status.message.rstrip("."))
    if status.state is SyncState.UNREACHABLE:
        if status.pending == 0:
            return text.UNREACHABLE_NOTHING
        return text.UNREACHABLE.format(count=status.pending)
    if status.state is SyncState.CONNECTING:
        return text.CONNECTING
    if status.pending == 0:
        return text.UP_TO_DATE
    return text.TO_SEND.format(count=status.pending)


class StoreStatusLabel(QLabel):
    """The store's status, quietly: small grey text, amber while the store is away, red
    when it refuses the lane. `show_status` is the sync task's `on_status`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("", parent)
        self.setObjectName("storeStatusLabel")
        self.setAccessibleName(text.ACCESSIBLE_NAME)
        self.setStyleSheet(style_sheet(STYLE))
        self.setWordWrap(True)  # a long refusal wraps; it never widens the till
        self.status: SyncStatus | None = None

    def show_status(self, status: SyncStatus) -> None:
        """Say `status` (hidden for a lane without a store)."""
        self.status = status
        words = store_status_text(status)
        self.setText(words)
        self.setVisible(bool(words))
        set_style_state(self, "state", status.state.value)
        tip = [text.TIP]
        if status.last_sent_at is not None:
            moment = status.last_sent_at.astimezone().strftime("%H:%M:%S")
            tip.append(text.TIP_LAST_SENT.format(time=moment))
        if status.message and status.state is SyncState.UNREACHABLE:
            tip.append(text.TIP_PROBLEM.format(message=status.message))
        self.setToolTip(" ".join(tip))
