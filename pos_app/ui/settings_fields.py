"""The settings dialog's building blocks: captioned fields, each with its notes and its hint.

A field's row is a caption, the field, any notes under it, a note saying who
sets it when the dialog may not (hidden otherwise) and a hint that shows the
field's problem (hidden while there is none). Rows sit in a grid,
not a QFormLayout: wrapped hints under a field get their full height, and a
hidden hint's row takes no room. Every control is at least `MIN_TOUCH` high
and named for automation and screen readers.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QWidget,
)

from pos_app.services.settings import SettingsField
from pos_app.ui.controls import MIN_TOUCH

__all__ = ["FieldRows", "label", "line_edit", "radio", "set_text"]


def label(parent: QWidget, name: str, value: str, *, role: str = "") -> QLabel:
    """A wrapping plain-text label; `role` ("hint", "note", "help") selects its look."""
    widget = QLabel(value, parent)
    widget.setObjectName(name)
    widget.setWordWrap(True)
    widget.setTextFormat(Qt.TextFormat.PlainText)
    widget.setAccessibleName(value)
    if role:
        widget.setProperty("role", role)
    return widget


def line_edit(parent: QWidget, name: str, accessible: str, placeholder: str = "") -> QLineEdit:
    """A touch-sized line edit with its accessible name."""
    edit = QLineEdit(parent)
    edit.setObjectName(name)
    edit.setAccessibleName(accessible)
    edit.setPlaceholderText(placeholder)
    edit.setMinimumHeight(MIN_TOUCH)
    return edit


def radio(parent: QWidget, name: str, text: str, group: QButtonGroup) -> QRadioButton:
    """A touch-sized radio button in `group`."""
    button = QRadioButton(text, parent)
    button.setObjectName(name)
    button.setAccessibleName(text)
    button.setMinimumHeight(MIN_TOUCH)
    group.addButton(button)
    return button


def set_text(widget: QLabel, value: str) -> None:
    """Show `value` (also to screen readers); an empty value hides the label."""
    if widget.text() != value:
        widget.setText(value)
        widget.setAccessibleName(value)
    widget.setVisible(bool(value))


class FieldRows:
    """Builds groups of captioned field rows and keeps each field's hint label.

    Args:
        parent: the dialog that owns every widget made here.
    """

    def __init__(self, parent: QWidget) -> None:
        self._parent = parent
        self._caption_height: int | None = None
        self.hints: dict[SettingsField, QLabel] = {}
        self.lock_notes: dict[SettingsField, QLabel] = {}
        self._lock_rows: dict[SettingsField, tuple[QGridLayout, int]] = {}

    def group(self, title: str, name: str) -> tuple[QGroupBox, QGridLayout]:
        """A titled group with a two-column grid (captions, then fields)."""
        box = QGroupBox(title, self._parent)
        box.setObjectName(name)
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        return box, grid

    @staticmethod
    def wide(grid: QGridLayout, widget: QWidget) -> None:
        """A row of its own across both columns."""
        grid.addWidget(widget, grid.rowCount(), 0, 1, 2)

    @staticmethod
    def wide_layout(grid: QGridLayout, row: QHBoxLayout) -> None:
        """A row of widgets of its own across both columns."""
        grid.addLayout(row, grid.rowCount(), 0, 1, 2)

    def add(
        self,
        grid: QGridLayout,
        caption_text: str,
        field: QWidget | QHBoxLayout,
        key: SettingsField,
        *,
        buddy: QWidget | None = None,
        notes: tuple[QLabel, ...] = (),
    ) -> None:
        """A caption, the field, its notes and its (hidden) hint, kept together in one row."""
        caption = QLabel(caption_text, self._parent)
        target = buddy or (field if isinstance(field, QWidget) else None)
        if target is not None:
            caption.setBuddy(target)
        caption.setMinimumHeight(self._row_height())
        row = grid.rowCount()
        grid.addWidget(caption, row, 0, Qt.AlignmentFlag.AlignTop)
        if isinstance(field, QWidget):
            grid.addWidget(field, row, 1)
        else:
            grid.addLayout(field, row, 1)
        hint = label(self._parent, f"{key.value}Hint", "", role="hint")
        hint.hide()
        for offset, note in enumerate(notes, start=1):
            grid.addWidget(note, row + offset, 1)
        # The row under the notes is kept for a lock note, made only for a locked field.
        self._lock_rows[key] = (grid, row + len(notes) + 1)
        grid.addWidget(hint, row + len(notes) + 2, 1)
        self.hints[key] = hint

    def lock_note(self, key: SettingsField, value: str) -> None:
        """Say under the field who sets it (`value`), in the row kept for it."""
        note = self.lock_notes.get(key)
        if note is None:
            grid, row = self._lock_rows[key]
            note = self.lock_notes[key] = label(
                self._parent, f"{key.value}LockNote", value, role="note"
            )
            grid.addWidget(note, row, 1)
        set_text(note, value)

    def _row_height(self) -> int:
        """A line edit's height under the style sheet: captions centre on it."""
        if self._caption_height is None:
            sample = QLineEdit(self._parent)
            sample.ensurePolished()
            self._caption_height = max(sample.sizeHint().height(), MIN_TOUCH)
            sample.deleteLater()
        return self._caption_height
