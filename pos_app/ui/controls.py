"""Small building blocks every screen shares."""

from __future__ import annotations

from PySide6.QtWidgets import QPushButton, QWidget

MIN_TOUCH = 44  # px: the smallest touch target on the till


def touch_button(parent: QWidget, name: str, label: str) -> QPushButton:
    """A button at least `MIN_TOUCH` high, with an object name for automation and its label
    as the accessible name; Enter in its dialog does not press it unless made default."""
    button = QPushButton(label, parent)
    button.setObjectName(name)
    button.setAccessibleName(label.replace("&", ""))
    button.setMinimumHeight(MIN_TOUCH)
    button.setAutoDefault(False)
    return button
