"""TaskSlot: the owner's end stops its work, and a bug in its work reaches the loop's funnel."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDialog, QWidget

from pos_app.domain.errors import UnavailableError
from pos_app.ui.bugs import install_bug_funnel
from pos_app.ui.tasks import TaskSlot
from tests.support.gui import wait_until


async def forever() -> None:
    await asyncio.Event().wait()


async def ticking(ticks: list[int]) -> None:
    """Runs until cancelled, counting loop turns: progress a test can wait for."""
    while True:
        ticks.append(1)
        await asyncio.sleep(0)


async def still_running(task: asyncio.Task[Any], ticks: list[int]) -> bool:
    """Whether `task` goes on working (no sleep: it must tick a few more times)."""
    mark = len(ticks)
    await wait_until(lambda: len(ticks) > mark + 3 or task.done())
    return not task.done()


async def fail_with(error: BaseException) -> None:
    await asyncio.sleep(0)
    raise error


async def test_destroying_the_owner_cancels_its_task() -> None:
    owner = QObject()
    slot = TaskSlot(owner, "work")
    task = slot.start(forever())
    await asyncio.sleep(0)
    assert not task.done()
    owner.deleteLater()
    await wait_until(task.done)
    assert task.cancelled()


async def test_a_dialog_finishing_cancels_its_task_and_may_start_again(qtbot: Any) -> None:
    dialog = QDialog()
    qtbot.addWidget(dialog)
    slot = TaskSlot(dialog, "dialog work")
    dialog.open()
    first = slot.start(forever())
    await asyncio.sleep(0)
    dialog.reject()
    await wait_until(first.done)
    assert first.cancelled()

    dialog.open()  # opened again: new work runs until the next finish
    ticks: list[int] = []
    second = slot.start(ticking(ticks))
    assert await still_running(second, ticks)
    dialog.accept()
    await wait_until(second.done)
    assert second.cancelled()


async def test_hiding_a_plain_window_leaves_its_work_running(qtbot: Any) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    slot = TaskSlot(window, "window work")
    window.show()
    ticks: list[int] = []
    task = slot.start(ticking(ticks))
    window.close()  # only hidden: the window still exists
    assert await still_running(task, ticks)
    slot.cancel()
    await wait_until(task.done)


async def test_a_bug_in_a_task_goes_to_the_loops_exception_handler(
    loop_errors: list[dict[str, Any]],
) -> None:
    owner = QObject()
    slot = TaskSlot(owner, "history from JustiFi")
    error = RuntimeError("planted")
    task = slot.start(fail_with(error))
    await wait_until(lambda: loop_errors)
    [context] = loop_errors
    assert context["exception"] is error
    assert context["task"] is task
    assert "history from JustiFi" in context["message"]


async def test_an_unpresented_user_facing_error_is_funnelled_too(
    loop_errors: list[dict[str, Any]],
) -> None:
    owner = QObject()
    slot = TaskSlot(owner, "export")
    error = UnavailableError("The printer is not answering.")
    slot.start(fail_with(error))
    await wait_until(lambda: loop_errors)
    assert loop_errors[0]["exception"] is error
    assert "not shown" in loop_errors[0]["message"]


async def test_cancelling_and_succeeding_are_not_bugs(loop_errors: list[dict[str, Any]]) -> None:
    owner = QObject()
    slot = TaskSlot(owner, "work")
    cancelled = slot.start(forever())
    await asyncio.sleep(0)
    slot.cancel()
    await wait_until(cancelled.done)
    succeeded = slot.start(asyncio.sleep(0))
    await wait_until(succeeded.done)
    failed = slot.start(fail_with(RuntimeError("the one bug")))  # the test can see a bug
    await wait_until(failed.done)
    await wait_until(lambda: loop_errors)
    assert [str(c["exception"]) for c in loop_errors] == ["the one bug"]


class Window:
    """Stands in for the main window: counts apologies."""

    def __init__(self) -> None:
        self.bugs = 0

    def show_bug(self) -> None:
        self.bugs += 1


async def test_the_funnel_logs_and_apologises_for_loop_and_qt_errors(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    window = Window()
    uninstall = install_bug_funnel(window)
    try:
        owner = QObject()
        TaskSlot(owner, "report").start(fail_with(RuntimeError("in a task")))
        await wait_until(lambda: window.bugs == 1)
        error = ValueError("in a Qt slot")  # PySide6 hands a slot's exception to the hook
        sys.excepthook(type(error), error, None)
        assert window.bugs == 2
    finally:
        uninstall()
    logged = [r for r in caplog.records if r.name == "pos_app.ui.bugs"]
    assert [str(r.exc_info[1]) for r in logged if r.exc_info] == ["in a task", "in a Qt slot"]
    assert asyncio.get_running_loop().get_exception_handler() is None
