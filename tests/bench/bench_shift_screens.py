"""What the shift screens cost the GUI thread on a busy shift: one frame (16 ms) is the goal.

Offscreen, on a temporary file journal, a shift is opened and filled with
`--sales` sales (half paid in cash: a ticket and its cash part; half by card: a
ticket and an approved charge of one of four brands), a paid in, a paid out and
a no-sale every 50 sales. Then, `--runs` times each, it measures the
main-thread CPU time (`time.thread_time`) of what a person's tap does:

- the Shift menu opening (`ShiftTools.refresh`: the open shift read again);
- X report: `ShiftService.x_report()` (the journal's reads and the report built),
  then the `ShiftReportView` built and shown (the first paint included);
- the close dialog (`ShiftCloseDialog`, eleven rows of touch controls) built
  and shown;
- a paid in dialog (`CashMovementDialog`) built and shown.

Prints the median and the max of each in ms; `--json` prints one JSON line.

    .venv/bin/python -m tests.bench.bench_shift_screens [--sales 500] [--runs 20] [--json]
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
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.report.shift import ShiftReport
from pos_app.domain.tickets import (
    CashMovement,
    CashMovementKind,
    Shift,
    Ticket,
    TicketLine,
    TicketStatus,
)
from pos_app.services.ports import Operation
from pos_app.services.shifts import ShiftService
from pos_app.storage.journal import SqliteJournal
from pos_app.ui.shift_dialogs import CashMovementDialog, ShiftCloseDialog
from pos_app.ui.shift_report_view import ShiftReportView
from pos_app.ui.shift_tools import ShiftTools
from tests.support.shifts import LANE, RecordingDrawer, shift_service

FRAME_MS = 16.0
_BRANDS = ("Visa", "Mastercard", "Amex", "Discover")


async def fill(shifts: ShiftService, journal: SqliteJournal, sales: int) -> None:
    """A busy shift: `sales` sales, half cash, half card, and cash in and out."""
    shift = await shifts.open_shift(20000, person="Ann")
    charges: list[Operation] = []
    for number in range(sales):
        now = datetime.now(UTC)
        cents = 250 + (number * 37) % 3000
        ticket = Ticket(
            id=str(uuid.uuid4()),
            lane=LANE,
            status=TicketStatus.OPEN,
            lines=(TicketLine("Latte", 1, cents),),
            subtotal_cents=cents,
            sale_discount_cents=0,
            tax_cents=0,
            total_cents=cents,
            created_at=now,
            updated_at=now,
            served_by=("Ann", "Bob", "Cy")[number % 3],
            shift_id=shift.id,
        )
        await journal.add_ticket(ticket)
        if number % 2:
            await journal.set_ticket_status(ticket.id, TicketStatus.COMPLETE, at=now)
            charges.append(
                Operation(
                    id=str(uuid.uuid4()),
                    kind=PaymentKind.CHARGE,
                    amount_cents=cents,
                    status="approved",
                    flow="payment_intent",
                    lane=LANE,
                    create_key=str(uuid.uuid4()),
                    send_key=str(uuid.uuid4()),
                    card_brand=_BRANDS[number % 4],
                    card_last4="4242",
                    served_by=ticket.served_by,
                    ticket_id=ticket.id,
                    shift_id=shift.id,
                )
            )
        else:
            movement = CashMovement(
                id=str(uuid.uuid4()),
                shift_id=shift.id,
                kind=CashMovementKind.SALE,
                amount_cents=cents,
                at=now,
                person=ticket.served_by,
                ticket_id=ticket.id,
                tendered_cents=cents,
                change_cents=0,
            )
            await journal.add_cash_movement(movement, complete_ticket=True)
        if number % 50 == 49:
            await shifts.paid_in(1000, "Change from the bank", person="Ann")
            await shifts.paid_out(500, "Milk", person="Ann")
            await shifts.no_sale("Customer needed change", person="Ann")
    await journal.begin_many(charges)


def cpu_ms(action: Callable[[], Any]) -> float:
    started = time.thread_time()
    action()
    return (time.thread_time() - started) * 1000


def shown(dialog: QDialog) -> None:
    """Show the dialog and let Qt paint it once (what the person waits for)."""
    dialog.show()
    QApplication.processEvents()


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(samples), 2),
        "max_ms": round(max(samples), 2),
    }


async def _nothing(*_args: object) -> None:
    return None


def _report_view(report: ShiftReport, window: QWidget) -> None:
    view = ShiftReportView(report, window)
    shown(view)
    view.reject()
    view.deleteLater()


def _close_dialog(shift: Shift, window: QWidget) -> None:
    dialog = ShiftCloseDialog(shift, _nothing, window)
    shown(dialog)
    dialog.reject()
    dialog.deleteLater()


def _paid_in_dialog(window: QWidget) -> None:
    dialog = CashMovementDialog(CashMovementKind.PAID_IN, _nothing, window)
    shown(dialog)
    dialog.reject()
    dialog.deleteLater()


async def measure(sales: int, runs: int) -> dict[str, Any]:
    result: dict[str, Any] = {"sales": sales, "runs": runs}
    with (
        tempfile.TemporaryDirectory() as tmp,
        SqliteJournal(Path(tmp) / "journal.sqlite3") as journal,
    ):
        shifts = shift_service(journal, RecordingDrawer())
        fill_started = time.perf_counter()
        await fill(shifts, journal, sales)
        result["fill_s"] = round(time.perf_counter() - fill_started, 1)
        window = QWidget()
        window.resize(1024, 768)
        window.show()
        tools = ShiftTools(window, shifts, None)
        shift = shifts.current()
        assert shift is not None
        samples: dict[str, list[float]] = {
            key: [] for key in ("menu", "x_report_read", "x_report", "close_dialog", "paid_in")
        }
        for _ in range(runs):
            samples["menu"].append(cpu_ms(tools.refresh))
            started = time.thread_time()
            report = shifts.x_report()
            samples["x_report_read"].append((time.thread_time() - started) * 1000)
            samples["x_report"].append(cpu_ms(lambda report=report: _report_view(report, window)))
            samples["close_dialog"].append(cpu_ms(lambda: _close_dialog(shift, window)))
            samples["paid_in"].append(cpu_ms(lambda: _paid_in_dialog(window)))
            await asyncio.sleep(0)  # the deleteLaters run between runs
        report = shifts.x_report()
        result["report_card_sales"] = report.sales_by_tender["card"].count
        result["report_cash_sales"] = report.sales_by_tender["cash"].count
        result.update({key: summary(values) for key, values in samples.items()})
        window.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=500)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        result = runner.run(measure(args.sales, args.runs))
    if args.json:
        print(json.dumps(result))
        return 0
    print(
        f"a shift of {result['sales']} sales ({result['report_cash_sales']} cash,"
        f" {result['report_card_sales']} card), filled in {result['fill_s']} s;"
        f" {result['runs']} runs each, main-thread CPU ms (goal {FRAME_MS:g}):"
    )
    for key, label in (
        ("menu", "Shift menu opens (shift read again)"),
        ("x_report_read", "X report read (ShiftService.x_report)"),
        ("x_report", "X report view built and shown"),
        ("close_dialog", "close dialog built and shown"),
        ("paid_in", "paid in dialog built and shown"),
    ):
        figures = result[key]
        print(f"  {label}: median {figures['median_ms']}, max {figures['max_ms']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
