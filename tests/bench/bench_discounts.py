"""How long do discounts take on the GUI thread?

A cart panel with its discount flow, as the main window builds them, offscreen.
Three figures, as main-thread CPU time (`time.thread_time`) and wall time:

- open: the cashier's click on Discount (a mouse press and release through Qt)
  until the dialog's Show event; the first press builds the dialog, later ones
  reuse it;
- type: one keystroke in the value field, with its live preview (what it takes
  off, the new total, the limit);
- apply: a line discount given to the cart (the model, the table's row, the
  totals) and painted, on a cart of `--lines` lines.

The goal for each is one frame, 16 ms.

    .venv/bin/python -m tests.bench.bench_discounts [--presses 50] [--lines 100] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog

from pos_app.domain.cart import CatalogItem
from pos_app.domain.discount import Discount, DiscountKind
from pos_app.ui.cart_model import CartModel
from pos_app.ui.cart_panel import CartPanel
from pos_app.ui.discounts import DiscountFlow

FRAME_MS = 16.0


class ShowSpy(QObject):
    """When Qt delivers the dialog's Show event (the first one after `arm`)."""

    def __init__(self) -> None:
        super().__init__()
        self.shown: asyncio.Future[tuple[float, float]] | None = None

    def arm(self) -> asyncio.Future[tuple[float, float]]:
        self.shown = asyncio.get_running_loop().create_future()
        return self.shown

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        shown = self.shown
        showing = isinstance(watched, QDialog) and event.type() == QEvent.Type.Show
        if showing and shown is not None and not shown.done():
            shown.set_result((time.perf_counter(), time.thread_time()))
        return False


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[max(int(len(ordered) * 0.95) - 1, 0)], 2),
        "max_ms": round(ordered[-1], 2),
    }


async def measure(presses: int, lines: int) -> dict[str, object]:
    model = CartModel()
    model.set_tax_rate(825)
    panel = CartPanel(model)
    flow = DiscountFlow(model, panel, limit_percent=lambda: 10)
    for number in range(lines):
        model.add_item(CatalogItem(f"item{number}", f"Item {number}", 100 + number))
    panel.resize(620, 560)
    panel.show()
    QApplication.processEvents()
    await asyncio.sleep(0.05)  # the window idle a moment: the flow builds its dialog
    prebuilt = flow.dialog is not None
    spy = ShowSpy()
    flow._dialog().installEventFilter(spy)  # the dialog's own events only
    open_cpu: list[float] = []
    open_wall: list[float] = []
    type_cpu: list[float] = []
    for _ in range(presses):
        shown = spy.arm()
        started, started_cpu = time.perf_counter(), time.thread_time()
        QTest.mouseClick(flow.button, Qt.MouseButton.LeftButton)
        at, at_cpu = await asyncio.wait_for(shown, 10)
        open_wall.append((at - started) * 1000)
        open_cpu.append((at_cpu - started_cpu) * 1000)
        dialog = flow.dialog
        assert dialog is not None
        dialog.value_edit.clear()
        before = time.thread_time()
        QTest.keyClicks(dialog.value_edit, "5")
        type_cpu.append((time.thread_time() - before) * 1000)
        dialog.reject()
        task = flow.task
        if task is not None:
            await task
    apply_cpu: list[float] = []
    apply_wall: list[float] = []
    for number in range(presses):
        row = number % lines
        line_id = model.line_at(row).line_id
        discount = Discount(DiscountKind.PERCENT, 500 + number, "Damaged")
        started, started_cpu = time.perf_counter(), time.thread_time()
        model.set_line_discount(line_id, discount)
        panel.repaint()
        apply_cpu.append((time.thread_time() - started_cpu) * 1000)
        apply_wall.append((time.perf_counter() - started) * 1000)
    panel.close()
    return {
        "presses": presses,
        "lines": lines,
        "dialog_prebuilt": prebuilt,
        "open_first_cpu_ms": round(open_cpu[0], 2),
        "open_cpu": summary(open_cpu[1:] or open_cpu),
        "open_wall": summary(open_wall[1:] or open_wall),
        "type_cpu": summary(type_cpu),
        "apply_cpu": summary(apply_cpu),
        "apply_wall": summary(apply_wall),
        "frame_ms": FRAME_MS,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=50)
    parser.add_argument("--lines", type=int, default=100)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    with loop:
        figures = loop.run_until_complete(measure(args.presses, args.lines))
    if args.json:
        print(json.dumps(figures))
        return 0
    for key, value in figures.items():
        print(f"{key}: {value}")
    worst = max(
        figures["open_cpu"]["p95_ms"],  # type: ignore[index]
        figures["type_cpu"]["p95_ms"],  # type: ignore[index]
        figures["apply_cpu"]["p95_ms"],  # type: ignore[index]
    )
    print("PASS" if worst <= FRAME_MS else "FAIL", f"(p95 {worst} ms, goal {FRAME_MS} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
