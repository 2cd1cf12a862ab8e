"""Background-work primitives for widgets: a task slot, and awaiting a dialog.

A widget owns a `TaskSlot`; starting work in it cancels whatever it was
doing ("latest request wins"). The slot stops its work itself when its owner
is done with it, so no owner cancels by hand on close:

- any owner: when it is destroyed;
- a `QDialog` owner: when it finishes (accepted, rejected or closed; closing a
  dialog rejects it). A dialog that is opened again starts new work as usual.

Other windows are only hidden by a close, so their slots run on until the
window is destroyed (a window that polls while shown stops in its hideEvent).

An unexpected exception in a slot's task is a bug: it goes to the running
loop's exception handler, the app's one bug funnel (`pos_app.ui.bugs`), which
logs it and shows the apology. Cancelling is not an error. A
`UserFacingError` escaping a task is funnelled too: the widget that started
the work should have presented it, so reaching here is a bug of the widget.

Everything runs on the one qasync loop, so results arrive on the GUI thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog

from pos_app.domain.errors import UserFacingError


class TaskSlot(QObject):
    """Holds at most one running task of `owner`; a new one cancels the old.

    The owner's end (destroyed, or a dialog's finish) cancels the task, and an
    unexpected exception in it reaches the loop's exception handler."""

    def __init__(self, owner: QObject, name: str = "task") -> None:
        super().__init__(owner)
        self._name = name
        self._task: asyncio.Task[Any] | None = None
        # A closure, not a bound method: the owner's destroyed() fires while this
        # child is being torn down with it, and cancel() only touches Python state.
        owner.destroyed.connect(lambda *_: self.cancel())
        if isinstance(owner, QDialog):
            owner.finished.connect(lambda *_: self.cancel())

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
        if error is None:
            return
        if isinstance(error, UserFacingError):
            message = f"{self._name}: a message for the user was not shown by its widget"
        else:
            message = f"{self._name} failed"
        # The funnel logs it (with the traceback) and shows the apology.
        task.get_loop().call_exception_handler(
            {"message": message, "exception": error, "task": task}
        )


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
