"""Background-work primitives for widgets: a task slot, and awaiting a dialog.

A widget owns a `TaskSlot`; starting work in it cancels whatever it was
doing ("latest request wins"), and closing the widget cancels it for good.
Everything runs on the one qasync loop, so results arrive on the GUI thread.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog

log = logging.getLogger("pos_app.ui.tasks")


class TaskSlot(QObject):
    """Holds at most one running task; a new one cancels the old."""

    def __init__(self, parent: QObject | None = None, name: str = "task") -> None:
        super().__init__(parent)
        self._name = name
        self._task: asyncio.Task[Any] | None = None

    @property
    def running(self) -> bool:
        """Whether work is under way."""
        return self._task is not None and not self._task.done()

    @property
    def task(self) -> asyncio.Task[Any] | None:
        """The current (or last) task, to await in tests."""
        return self._task

    def start(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `coro`, cancelling the previous task of this slot."""
        self.cancel()
        task = asyncio.get_event_loop().create_task(coro, name=self._name)
        task.add_done_callback(self._report)
        self._task = task
        return task

    def start_if_idle(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any] | None:
        """Run `coro` unless work is under way (no overlapping refreshes)."""
        if self.running:
            coro.close()
            return None
        return self.start(coro)

    def cancel(self) -> None:
        """Stop the current task, if any."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def _report(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("%s failed", self._name, exc_info=error)


async def finished_result(dialog: QDialog) -> int:
    """Open `dialog` (never exec: no nested loop) and wait until it finishes; its result."""
    finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_finished(result: int) -> None:
        if not finished.done():
            finished.set_result(result)

    dialog.finished.connect(on_finished)
    try:
        # QDialog's open(): QPrintDialog and QFileDialog overload it with (receiver, slot).
        QDialog.open(dialog)
        return await finished
    finally:
        dialog.finished.disconnect(on_finished)


def accepted(result: int) -> bool:
    """Whether a dialog's result code means OK."""
    return result == QDialog.DialogCode.Accepted.value
