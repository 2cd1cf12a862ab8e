"""Does the payment dialog ever show blank? What does it show at the moment it appears?

Starts a sandbox child process (time scale 20) and the test engine, then for
each charge opens a `PaymentDialog` on the run, offscreen, and records what
the dialog holds when Qt delivers its Show event: the `state` property and the
status line. A blank dialog is one shown before its first state was rendered;
the figure is how often, and how long until the first state arrived.

    .venv/bin/python -m tests.bench.bench_dialog_open [--charges 10] [--json]
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
from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from pos_app.ui.payment_dialog import PaymentDialog
from tests.support.gui import wait_until
from tests.support.lanes import lane
from tests.support.sandbox import sandbox_process


class ShowSpy(QObject):
    """What the dialog holds when Qt delivers its Show event."""

    def __init__(self, dialog: PaymentDialog) -> None:
        super().__init__(dialog)
        self.dialog = dialog
        self.shown_at: float | None = None
        self.state_at_show = ""
        self.line_at_show = ""
        dialog.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.dialog and event.type() == QEvent.Type.Show and self.shown_at is None:
            self.shown_at = time.perf_counter()
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
                run = test_lane.service.charge(1000 + index, "trm_side")  # taps by itself
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charges", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    QApplication.setQuitOnLastWindowClosed(False)
    with (
        sandbox_process("--time-scale", "20") as url,
        asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
    ):
        result = runner.run(measure(url, args.charges))
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
