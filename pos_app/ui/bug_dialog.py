"""The bug dialog: what the funnel shows a person when the app itself went wrong.

It opens over whatever the person is looking at (a manager screen, the payment
dialog or the till), without a loop of its own and without blocking the screen
beneath it, and says plainly that the till keeps working and where the details
are. One dialog at a time: another bug while it is open counts on it instead
of stacking a second.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from pos_app.ui.controls import touch_button
from pos_app.ui.text import window as text

__all__ = ["BugDialog"]


class BugDialog(QDialog):
    """Says that something went wrong inside the app and where the details went."""

    def __init__(self, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("bugDialog")
        self.setWindowTitle(text.BUG_TITLE)
        self.setModal(False)
        self.count = 0
        self._where = str(log_path) if log_path is not None else text.BUG_NO_LOG
        self.setMinimumWidth(480)
        title = QLabel(text.BUG_TITLE, self)
        font = title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        title.setFont(font)
        self.message = QLabel(self)
        self.message.setObjectName("bugMessage")
        self.message.setWordWrap(True)
        # The log's path can be selected and copied for whoever looks after the till.
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.ok_button = touch_button(self, "bugOkButton", text.BUG_OK)
        self.ok_button.setMinimumWidth(120)
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.ok_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    def report(self) -> None:
        """Count one more bug and show (or raise) the dialog saying so."""
        self.count += 1
        message = text.BUG_MESSAGE.format(path=self._where)
        if self.count > 1:
            message += " " + text.BUG_REPEATED.format(count=self.count)
        self.message.setText(message)
        self.setAccessibleDescription(message)
        if not self.isVisible():
            self.show()
        self.raise_()
        self.activateWindow()

    def done(self, result: int) -> None:
        """Closed: the next bug starts counting again."""
        self.count = 0
        super().done(result)


def bug_parent(window: QWidget) -> QWidget:
    """Where a bug dialog must open to be seen and answered: over the modal screen that
    holds the input (the payment dialog, a manager's dialog), else over the window in
    front, else over the till."""
    return QApplication.activeModalWidget() or QApplication.activeWindow() or window
