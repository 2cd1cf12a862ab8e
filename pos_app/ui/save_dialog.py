"""Asking where to save a file, with Qt's file dialog opened without a nested loop.

`open()` and await, never `exec()`: a nested event loop breaks qasync
(ARCHITECTURE.md). The receipt preview and the end-of-day report save through it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog, QWidget

from pos_app.ui.tasks import finished_result

__all__ = ["PathChooser", "choose_save_path"]

PathChooser = Callable[[QWidget, str, str, str], Awaitable[Path | None]]
"""(parent, title, suggested file name, name filter) -> the chosen path, or None."""


async def choose_save_path(
    parent: QWidget, title: str, suggested: str, name_filter: str
) -> Path | None:
    """Ask where to save a file (a Qt file dialog opened without a nested loop)."""
    dialog = QFileDialog(parent, title)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilter(name_filter)
    dialog.setDefaultSuffix(Path(suggested).suffix.lstrip("."))
    dialog.selectFile(suggested)
    try:
        result = await finished_result(dialog)
        files = dialog.selectedFiles()
    finally:
        dialog.deleteLater()
    if result != QDialog.DialogCode.Accepted.value or not files:
        return None
    return Path(files[0])
