"""The foot of a dialog that asks before money goes back: the problem, then Cancel and
the confirm button.

The tender refund and the item refund dialogs end the same way: a sentence saying
what is wrong with what was typed (in the refund colours,
`resources/styles/dialog_foot.qss`, shown only while there is a problem), then
Cancel, which never takes Enter, and the confirm button, which does. Each dialog
names the widgets (its tests find them by name) and says what confirming does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton

from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.style import style_sheet

__all__ = ["DialogFoot", "dialog_foot"]


@dataclass(frozen=True)
class DialogFoot:
    """The problem label and the button row, for the dialog's layout."""

    problem: QLabel
    buttons: QHBoxLayout
    cancel: QPushButton
    confirm: QPushButton

    def show_problem(self, problem: str) -> None:
        """Say `problem` (read out too), or hide the label when it is empty."""
        self.problem.setText(problem)
        self.problem.setAccessibleName(problem)
        self.problem.setVisible(bool(problem))


def dialog_foot(
    dialog: QDialog,
    *,
    problem_name: str,
    cancel_text: str,
    cancel_name: str,
    confirm_name: str,
    on_confirm: Callable[[], None],
) -> DialogFoot:
    """The foot of `dialog`: Cancel rejects it, the confirm button calls `on_confirm`."""
    problem = QLabel("", dialog)
    problem.setObjectName(problem_name)
    problem.setWordWrap(True)
    problem.setTextFormat(Qt.TextFormat.PlainText)
    problem.setStyleSheet(style_sheet("dialog_foot"))
    problem.hide()
    buttons = QHBoxLayout()
    buttons.addStretch(1)
    cancel = QPushButton(cancel_text, dialog)
    cancel.setObjectName(cancel_name)
    cancel.setAutoDefault(False)
    cancel.clicked.connect(dialog.reject)
    confirm = QPushButton(dialog)
    confirm.setObjectName(confirm_name)
    confirm.setDefault(True)
    confirm.clicked.connect(on_confirm)
    for button in (cancel, confirm):
        button.setMinimumHeight(MIN_TOUCH)
        buttons.addWidget(button)
    return DialogFoot(problem, buttons, cancel, confirm)
