"""The cashier window wired to the sandbox over real HTTP, for GUI tests and screenshots."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pos_app.app import attach_manager_tools
from pos_app.config import load_settings
from pos_app.domain.cart import Catalog, CatalogItem
from pos_app.justifi.client import JustifiClient
from pos_app.services.manager import ManagerService
from pos_app.services.reports import ReceiptService
from pos_app.ui.main_window import MainWindow
from tests.support.gui import wait_until
from tests.support.lanes import TestLane, lane

CATALOG = Catalog(
    [
        CatalogItem("coffee", "Coffee", 250, "0012345678905"),
        CatalogItem("muffin", "Muffin", 325, "0098765432109"),
        CatalogItem("tea", "Tea", 200, None),
    ]
)


@dataclass
class WindowLane:
    """The window and the lane behind it."""

    window: MainWindow
    lane: TestLane
    manager: ManagerService | None = None

    def dialog_state(self) -> str | None:
        dialog = self.window.flow.dialog
        return str(dialog.property("state")) if dialog is not None else None

    async def wait_dialog_state(self, *states: str, within: float = 10.0) -> str:
        return str(
            await wait_until(lambda: self.dialog_state() in states and self.dialog_state(), within)
        )


@asynccontextmanager
async def open_window(
    url: str,
    tmp_path: Path,
    qtbot: Any,
    *,
    terminal: str = "trm_virtual",
    tax_rate_bps: int = 0,
    flow: str = "payment_intent",
    manager_tools: bool = False,
    max_amount_cents: int = 1_000_000,
) -> AsyncIterator[WindowLane]:
    """A shown, recovered window with `terminal` chosen; torn down inside the test.

    With `manager_tools`, the app's own wiring adds receipts, history, end of day and
    the audit log (its file in `tmp_path`)."""
    async with lane(url, tmp_path / "journal.sqlite3", flow) as test_lane:
        window = MainWindow(
            test_lane.service,
            environment="DEMO",
            lane="test",
            catalog=CATALOG,
            tax_rate_bps=tax_rate_bps,
            max_amount_cents=max_amount_cents,
            remembered_terminal=terminal,
            terminal_refresh_ms=150,
            spinner_delay_ms=50,
            receipts=ReceiptService(test_lane.journal, ["Test shop"]) if manager_tools else None,
        )
        qtbot.addWidget(window)
        manager = None
        if manager_tools:
            settings = load_settings(lane="test")
            manager = attach_manager_tools(
                window,
                test_lane.journal,
                test_lane.service,
                JustifiClient(test_lane.http),
                settings,
                tmp_path / "audit.sqlite3",
            )
        window.show()
        await window.start()
        await wait_until(lambda: (t := window.picker.current()) is not None and t.id == terminal)
        try:
            yield WindowLane(window, test_lane, manager)
        finally:
            window.flow.slot.cancel()
            window.picker.stop()
            task = window.flow.slot.task
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
            window.flow.recovering = False
            window.close()
