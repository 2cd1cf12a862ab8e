"""The GUI test set-up itself: tests run on a qasync loop with a QApplication."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QApplication, QLabel

from pos_app.ui.tasks import TaskSlot


async def test_runs_on_a_qasync_loop_and_task_slots_cancel_older_work(qtbot) -> None:  # type: ignore[no-untyped-def]
    import qasync

    assert isinstance(asyncio.get_running_loop(), qasync.QEventLoop)
    assert QApplication.instance() is not None
    label = QLabel("x")
    qtbot.addWidget(label)
    slot = TaskSlot(label)
    first = slot.start(asyncio.sleep(10))
    second = slot.start(asyncio.sleep(0, result="done"))
    assert await second == "done"
    assert first.cancelled()
    assert slot.start_if_idle(asyncio.sleep(0)) is not None
