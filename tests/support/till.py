"""The till as the app wires it (manager tools, sales, shifts, a virtual drawer) for GUI
tests and the screenshots, and the few gestures they share: open a shift, take cash."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from pos_app.app import attach_manager_tools
from pos_app.config import load_settings
from pos_app.justifi.client import JustifiClient
from pos_app.services.manager import ManagerService
from pos_app.services.reports import ReceiptService
from pos_app.ui.main_window import MainWindow
from pos_app.ui.shift_tools import ShiftTools
from pos_app.ui.virtual_drawer import VirtualDrawer
from tests.support.gui import find, wait_until
from tests.support.lanes import TEST_ENGINE, TestLane, lane
from tests.support.staff_screens import OWNER, OWNER_PIN
from tests.support.window import CATALOG

TERMINAL = "trm_virtual"


@dataclass
class Till:
    window: MainWindow
    lane: TestLane
    manager: ManagerService
    drawer: VirtualDrawer

    @property
    def shift_tools(self) -> ShiftTools:
        tools = self.window.shift_tools
        assert tools is not None
        return tools

    def dialog_state(self) -> str | None:
        dialog = self.window.flow.dialog
        return str(dialog.property("state")) if dialog is not None else None

    async def wait_dialog_state(self, *states: str) -> str:
        return str(await wait_until(lambda: self.dialog_state() in states and self.dialog_state()))

    async def finish_flow(self) -> None:
        task = self.window.flow.slot.task
        assert task is not None
        await task


@asynccontextmanager
async def open_till(
    url: str,
    tmp_path: Path,
    qtbot: Any = None,
    *,
    owner: bool = True,
    lane_name: str = "test",
    header: tuple[str, ...] = ("Test shop",),
) -> AsyncIterator[Till]:
    """The till with the app's manager tools, sales, shifts and a virtual drawer; with
    `owner`, the owner is made and signed in (so approvals need no PIN)."""
    engine = dataclasses.replace(TEST_ENGINE, lane=lane_name)  # the journal's lane is the till's
    async with lane(url, tmp_path / "journal.sqlite3", engine=engine) as test_lane:
        drawer = VirtualDrawer()
        keep: Callable[[QWidget], None] = qtbot.addWidget if qtbot is not None else _no_op
        keep(drawer)
        window = MainWindow(
            test_lane.service,
            environment="DEMO",
            lane=lane_name,
            catalog=CATALOG,
            remembered_terminal="trm_virtual",
            terminal_refresh_ms=150,
            spinner_delay_ms=50,
            receipts=ReceiptService(test_lane.journal, list(header), tickets=test_lane.journal),
        )
        keep(window)
        manager = attach_manager_tools(
            window,
            test_lane.journal,
            test_lane.service,
            JustifiClient(test_lane.http),
            load_settings(lane=lane_name),
            tmp_path / "audit.sqlite3",
            drawer=drawer,
        )
        if owner:
            manager.create_owner(OWNER, OWNER_PIN)  # signed in: the owner approves
        window.show()
        await window.start()
        await wait_until(
            lambda: (t := window.picker.current()) is not None and t.id == "trm_virtual"
        )
        try:
            yield Till(window, test_lane, manager, drawer)
        finally:
            window.flow.slot.cancel()
            window.picker.stop()
            task = window.flow.slot.task
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
            window.close()


def click(qtbot: Any, widget: Any) -> None:
    """Click like a person (a mouse press and release), or plainly without a qtbot."""
    assert widget is not None
    if qtbot is None:
        widget.click()
    else:
        from PySide6.QtCore import Qt

        qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


async def open_shift(qtbot: Any, till: Till, float_text: str = "100.00") -> None:
    task = till.shift_tools.slot.start_if_idle(till.shift_tools.open_shift())
    dialog = await wait_until(lambda: find("shiftOpenDialog"))
    dialog.count.total_edit.setText(float_text)
    click(qtbot, dialog.findChild(QWidget, "openShiftButton"))
    assert task is not None
    await task


async def take_cash(qtbot: Any, till: Till, note: str) -> None:
    click(qtbot, till.window.cash_button)
    dialog = await wait_until(lambda: find("tenderDialog"))
    click(qtbot, dialog.findChild(QWidget, note))
    click(qtbot, dialog.findChild(QWidget, "takeCashButton"))
    await till.finish_flow()


def _no_op(_widget: QWidget) -> None:
    """Without a qtbot the caller closes the widgets itself."""
