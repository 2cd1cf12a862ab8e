"""The demo's cash drawer: a panel in the virtual-terminal window that shows it opening.

In demo mode no drawer hangs off a receipt printer, so the till's services
get this one (`services.drawer.CashDrawer`, kind "virtual"): opening it shows
OPEN with what opened it (a sale, a no-sale, a paid out...), until the
person trying the till presses Close, as they would push a real drawer shut.
It never fails.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from pos_app.ui.controls import touch_button
from pos_app.ui.style import set_style_state, style_sheet
from pos_app.ui.text import till as text

__all__ = ["VirtualDrawer"]


class VirtualDrawer(QFrame):
    """A cash drawer on screen: `open(reason)` shows it open, Close shuts it."""

    opened = Signal(str)  # the reason
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("virtualDrawer")
        self.setAccessibleName(text.DRAWER_NAME)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(style_sheet("tender"))
        self.times_opened = 0
        self.last_reason: str | None = None
        title = QLabel(text.DRAWER_TITLE, self)
        title.setObjectName("drawerTitleLabel")
        self.state_label = QLabel(text.DRAWER_SHUT, self)
        self.state_label.setObjectName("drawerStateLabel")
        font = QFont(self.state_label.font())
        font.setPixelSize(28)
        font.setBold(True)
        self.state_label.setFont(font)
        self.state_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.reason_label = QLabel("", self)
        self.reason_label.setObjectName("drawerReasonLabel")
        self.reason_label.setWordWrap(True)
        self.close_button = touch_button(self, "drawerCloseButton", text.DRAWER_CLOSE)
        self.close_button.clicked.connect(self.shut)
        row = QHBoxLayout()
        row.addWidget(self.state_label, 1)
        row.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(row)
        layout.addWidget(self.reason_label)
        self._show(is_open=False)

    @property
    def kind(self) -> str:
        """Always "virtual" (`services.drawer.DRAWER_KINDS`)."""
        return "virtual"

    @property
    def is_open(self) -> bool:
        """Whether the drawer shows open."""
        return bool(self.property("drawer") == "open")

    async def open(self, reason: str) -> None:
        """Show the drawer open, with what opened it."""
        self.times_opened += 1
        self.last_reason = reason
        self.reason_label.setText(text.DRAWER_OPENED_FOR.format(reason=reason))
        self._show(is_open=True)
        self.opened.emit(reason)

    def shut(self) -> None:
        """Push the drawer shut (the Close button)."""
        self._show(is_open=False)
        self.closed.emit()

    def _show(self, *, is_open: bool) -> None:
        self.state_label.setText(text.DRAWER_OPEN if is_open else text.DRAWER_SHUT)
        self.state_label.setAccessibleName(
            f"{text.DRAWER_TITLE}: {text.DRAWER_OPEN if is_open else text.DRAWER_SHUT}"
        )
        self.close_button.setEnabled(is_open)
        set_style_state(self, "drawer", "open" if is_open else "shut")
