"""How long does pressing Cash take to show the tender dialog (and Charge, its dialog)?

The real window wired as the app wires it (the manager tools, the sale and
shift services, a virtual drawer) on the test engine against a sandbox child
process, offscreen, with a shift open. For each of `--presses` cash sales: a
cart total, the cashier's click on Cash (a mouse press and release through
Qt), and the time until the tender dialog's Show event, as main-thread CPU
time (`time.thread_time`, what the press costs the GUI thread) and as wall
time; then Exact and Take complete the sale (journaled, drawer opened), as at
the counter. The goal is one frame, 16 ms.

With `--charge`, the same for Charge in the same window: every sale is a
ticket journaled before its card part (the terminal whose simulated customer
taps by itself), up to the payment dialog's Show event.

    .venv/bin/python -m tests.bench.bench_tender_open [--presses 50] [--charge] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")

import qasync
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

from pos_app.app import attach_manager_tools
from pos_app.config import load_settings
from pos_app.justifi.client import JustifiClient
from pos_app.ui.main_window import MainWindow
from pos_app.ui.virtual_drawer import VirtualDrawer
from tests.support.gui import wait_until
from tests.support.lanes import lane
from tests.support.sandbox import sandbox_process
from tests.support.window import CATALOG

FRAME_MS = 16.0


class ShowSpy(QObject):
    """When Qt delivers the dialog's Show event (the first one after `arm`)."""

    def __init__(self, dialog: QDialog) -> None:
        super().__init__(dialog)
        self.dialog = dialog
        self.shown_at: float | None = None
        self.shown_cpu: float | None = None
        self.shown: asyncio.Future[None] | None = None
        dialog.installEventFilter(self)

    def arm(self) -> asyncio.Future[None]:
        self.shown_at = self.shown_cpu = None
        self.shown = asyncio.get_running_loop().create_future()
        return self.shown

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.dialog and event.type() == QEvent.Type.Show and self.shown_at is None:
            self.shown_at = time.perf_counter()
            self.shown_cpu = time.thread_time()
            if self.shown is not None and not self.shown.done():
                self.shown.set_result(None)
        return False


async def measure(url: str, presses: int, charge: bool = False) -> dict[str, object]:
    cpu_ms: list[float] = []
    wall_ms: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with lane(url, Path(tmp) / "journal.sqlite3") as test_lane:
            window = MainWindow(
                test_lane.service,
                environment="DEMO",
                lane="bench",
                catalog=CATALOG,
                remembered_terminal="trm_side",
                spinner_delay_ms=50,
            )
            drawer = VirtualDrawer()
            attach_manager_tools(
                window,
                test_lane.journal,
                test_lane.service,
                JustifiClient(test_lane.http),
                load_settings(lane="bench"),
                Path(tmp) / "audit.sqlite3",
                drawer=drawer,
            )
            window.show()
            await window.start()
            till = window.till
            assert till is not None
            await till.shifts.open_shift(10_000, person=None)
            window.update_charge_state()
            dialog = till.prepare_tender()
            spy = ShowSpy(window.flow.prepare_dialog() if charge else dialog)
            button = window.charge_button if charge else window.cash_button
            for number in range(presses):
                window.cart_model.add_amount(1000 + number)
                await wait_until(button.isEnabled, within=20)
                await asyncio.sleep(0.02)  # the cart painted: the figure is the press alone
                shown = spy.arm()
                started, started_cpu = time.perf_counter(), time.thread_time()
                QTest.mouseClick(button, Qt.MouseButton.LeftButton)
                await asyncio.wait_for(shown, 10)  # no polling: it would cost main-thread time
                assert spy.shown_at is not None
                assert spy.shown_cpu is not None
                wall_ms.append((spy.shown_at - started) * 1000)
                cpu_ms.append((spy.shown_cpu - started_cpu) * 1000)
                if charge:
                    paying = window.flow.dialog
                    assert paying is not None
                    await wait_until(lambda p=paying: p.state == "approved", within=30)
                    paying.view.new_sale_button.click()
                else:
                    dialog.exact_button.click()
                    dialog.take_button.click()
                task = window.flow.slot.task
                if task is not None:
                    await task
                assert window.cart_model.cart.is_empty, window.status_line.text()
            window.picker.stop()
            window.close()
            drawer.deleteLater()
    return {
        "button": "charge" if charge else "cash",
        "presses": presses,
        "press_cpu_ms_median": round(statistics.median(cpu_ms), 2),
        "press_cpu_ms_max": round(max(cpu_ms), 2),
        "press_wall_ms_median": round(statistics.median(wall_ms), 2),
        "press_wall_ms_max": round(max(wall_ms), 2),
        "presses_over_a_frame": sum(1 for ms in cpu_ms if ms > FRAME_MS),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=50, help="Cash presses in the window")
    parser.add_argument("--charge", action="store_true", help="press Charge instead of Cash")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    QApplication.setQuitOnLastWindowClosed(False)
    with (
        sandbox_process("--time-scale", "20") as url,
        asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
    ):
        result = runner.run(measure(url, args.presses, args.charge))
    if args.json:
        print(json.dumps(result))
    else:
        what = "Charge" if args.charge else "Cash"
        dialog = "payment" if args.charge else "tender"
        print(f"{what} presses in the window: {result['presses']} (a shift open, sales as tickets)")
        print(
            f"  click to {dialog} dialog shown, main-thread CPU: median"
            f" {result['press_cpu_ms_median']} ms, max {result['press_cpu_ms_max']} ms"
            f" ({result['presses_over_a_frame']} over {FRAME_MS:.0f} ms)"
        )
        print(
            f"  click to {dialog} dialog shown, wall: median {result['press_wall_ms_median']} ms,"
            f" max {result['press_wall_ms_max']} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
