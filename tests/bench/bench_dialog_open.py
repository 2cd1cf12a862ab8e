"""Does the payment dialog ever show blank? How long does pressing Charge take to show it?

Starts a sandbox child process (time scale 20) and the test engine, offscreen.

1. For each charge it opens a `PaymentDialog` on the run and records what the
   dialog holds when Qt delivers its Show event: the `state` property and the
   status line. A blank dialog is one shown before its first state was
   rendered; the figure is how often, and how long until the first state arrived.
2. The Charge press: the real window, the cashier's click on Charge (a mouse
   press and release through Qt), and the time until the payment dialog's Show
   event, as main-thread CPU time (`time.thread_time`, what the press costs the
   GUI thread) and as wall time; median and max over `--presses` charges on the
   terminal whose simulated customer taps by itself. The goal is one frame, 16 ms.
   `--without-app-filters` takes the window's application-wide event filters off
   first, to show what they cost.

    .venv/bin/python -m tests.bench.bench_dialog_open [--charges 10] [--presses 50] [--json]
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

import qasync
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from pos_app.ui.main_window import MainWindow
from pos_app.ui.payment_dialog import PaymentDialog
from tests.support.gui import wait_until
from tests.support.lanes import lane
from tests.support.sandbox import sandbox_process
from tests.support.window import CATALOG

FRAME_MS = 16.0


class ShowSpy(QObject):
    """What the dialog holds when Qt delivers its Show event (the first one after `reset`)."""

    def __init__(self, dialog: PaymentDialog) -> None:
        super().__init__(dialog)
        self.dialog = dialog
        self.shown_at: float | None = None
        self.shown_cpu: float | None = None
        self.shown: asyncio.Future[None] | None = None  # set when the Show event comes
        self.state_at_show = ""
        self.line_at_show = ""
        dialog.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.dialog and event.type() == QEvent.Type.Show and self.shown_at is None:
            self.shown_at = time.perf_counter()
            self.shown_cpu = time.thread_time()
            if self.shown is not None and not self.shown.done():
                self.shown.set_result(None)
            self.state_at_show = self.dialog.state
            self.line_at_show = self.dialog.view.status_label.text()
        return False


async def measure(url: str, charges: int) -> dict[str, object]:
    blank_ms: list[float] = []
    states: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        async with lane(url, Path(tmp) / "journal.sqlite3") as test_lane:
            for index in range(charges):
                dialog = PaymentDialog()
                spy = ShowSpy(dialog)
                first: list[float] = []
                dialog.payment_state_changed.connect(
                    lambda _s, first=first: first or first.append(time.perf_counter())
                )
                # The engine journals the operation before it hands out the run.
                run = await test_lane.service.charge(1000 + index, "trm_side")  # taps by itself
                follow = asyncio.ensure_future(dialog.follow(run, None, "Side counter"))
                await wait_until(lambda spy=spy: spy.shown_at is not None)
                await wait_until(lambda first=first: first)
                assert spy.shown_at is not None
                states.add(spy.state_at_show)
                blank = not spy.line_at_show
                blank_ms.append(max(first[0] - spy.shown_at, 0.0) * 1000 if blank else 0.0)
                await asyncio.wait_for(follow, 30)
                dialog.done(0)
                dialog.deleteLater()
    return {
        "charges": charges,
        "shown_blank": sum(1 for ms in blank_ms if ms > 0),
        "blank_ms_median": round(statistics.median(blank_ms), 2),
        "blank_ms_max": round(max(blank_ms), 2),
        "state_at_show": sorted(states),
    }


async def measure_presses(url: str, presses: int, app_filters: bool) -> dict[str, object]:
    """Charge pressed in the real window: main-thread time until the dialog shows."""
    cpu_ms: list[float] = []
    wall_ms: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        async with lane(url, Path(tmp) / "journal.sqlite3") as test_lane:
            window = MainWindow(
                test_lane.service,
                environment="DEMO",
                lane="bench",
                catalog=CATALOG,
                remembered_terminal="trm_side",  # its simulated customer taps by itself
                spinner_delay_ms=50,
            )
            window.show()
            await window.start()
            if not app_filters:
                app = QApplication.instance()
                assert app is not None
                app.removeEventFilter(window)
                app.removeEventFilter(window.scanner)
            await wait_until(window.picker.current)
            spy = ShowSpy(window.flow.prepare_dialog())
            for number in range(presses):
                window.cart_model.add_amount(1000 + number)
                await wait_until(window.charge_button.isEnabled, within=20)
                # A cashier presses Charge long after the cart was painted: paint it now, so
                # the figure is the press alone.
                QApplication.processEvents()
                spy.shown_at = None
                started, started_cpu = time.perf_counter(), time.thread_time()
                shown = spy.shown = asyncio.get_running_loop().create_future()
                QTest.mouseClick(window.charge_button, Qt.MouseButton.LeftButton)
                await asyncio.wait_for(shown, 10)  # no polling: it would cost main-thread time
                assert spy.shown_at is not None
                assert spy.shown_cpu is not None
                wall_ms.append((spy.shown_at - started) * 1000)
                cpu_ms.append((spy.shown_cpu - started_cpu) * 1000)
                dialog = window.flow.dialog
                assert dialog is not None
                await wait_until(lambda dialog=dialog: dialog.state == "approved", within=30)
                dialog.view.new_sale_button.click()
                task = window.flow.slot.task
                if task is not None:
                    await task
            window.picker.stop()
            window.close()
    return {
        "presses": presses,
        "app_filters": app_filters,
        "press_cpu_ms_median": round(statistics.median(cpu_ms), 2),
        "press_cpu_ms_max": round(max(cpu_ms), 2),
        "press_wall_ms_median": round(statistics.median(wall_ms), 2),
        "press_wall_ms_max": round(max(wall_ms), 2),
        "presses_over_a_frame": sum(1 for ms in cpu_ms if ms > FRAME_MS),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charges", type=int, default=10)
    parser.add_argument("--presses", type=int, default=50, help="Charge presses in the window")
    parser.add_argument(
        "--without-app-filters",
        action="store_true",
        help="take the window's application-wide event filters off first",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    QApplication.setQuitOnLastWindowClosed(False)
    with (
        sandbox_process("--time-scale", "20") as url,
        asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
    ):
        result = runner.run(measure(url, args.charges))
        if args.presses:
            result.update(
                runner.run(measure_presses(url, args.presses, not args.without_app_filters))
            )
    if args.json:
        print(json.dumps(result))
    else:
        print(f"charges: {result['charges']}")
        print(f"  dialog shown blank: {result['shown_blank']} times")
        print(
            f"  blank time: median {result['blank_ms_median']} ms, max {result['blank_ms_max']} ms"
        )
        shown = result["state_at_show"]
        assert isinstance(shown, list)
        print(f"  state at the moment it showed: {', '.join(shown)}")
        if args.presses:
            filters = "on" if result["app_filters"] else "off"
            print(f"Charge presses in the window: {result['presses']} (app-wide filters {filters})")
            print(
                f"  click to dialog shown, main-thread CPU: median {result['press_cpu_ms_median']}"
                f" ms, max {result['press_cpu_ms_max']} ms"
                f" ({result['presses_over_a_frame']} over {FRAME_MS:.0f} ms)"
            )
            print(
                f"  click to dialog shown, wall: median {result['press_wall_ms_median']} ms,"
                f" max {result['press_wall_ms_max']} ms"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
