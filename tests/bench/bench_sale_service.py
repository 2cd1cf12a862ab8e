"""What the till's sale and shift services cost at the counter, on a year-old journal.

    .venv/bin/python -m tests.bench.bench_sale_service [--tickets 100000]
        [--movements 100000] [--shifts 200] [--runs 20] [--json]

Fills a temporary file journal as `bench_tickets` does (a year of shifts on two
lanes, tickets paid in cash or by card, cash movements, a few sales still owing),
then times what the window does on the lane whose shift is open, on the GUI
thread: the reads (`payments()` of a sale, `expected_cash()`, the X report,
`open_ticket()`) and a cash sale end to end (`start()` journals the ticket,
`pay_cash()` journals the cash part and the completion in one synced write and
opens the drawer), the median and the slowest of `--runs`. Goal: every read
under one frame (16 ms); the writes are coroutines (each a synced commit).
`--json` prints one JSON line instead of the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pos_app.domain.cart import Cart
from pos_app.services.audit_log import AuditAction, DetailValue
from pos_app.services.drawer import NoDrawer
from pos_app.services.payments import EngineSettings, PaymentService
from pos_app.services.sales import SaleService
from pos_app.services.shifts import ShiftService
from pos_app.storage.journal import SqliteJournal
from tests.bench.bench_tickets import make_records


def _nobody(action: AuditAction, subject: str | None, detail: Mapping[str, DetailValue]) -> None:
    """The bench audits nothing: the audit log has its own bench."""


def _timed(run: Callable[[], object], runs: int) -> dict[str, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return {"ms": round(statistics.median(times), 3), "max_ms": round(max(times), 3)}


async def _cash_sales(sales: SaleService, runs: int) -> dict[str, dict[str, float]]:
    started_ms: list[float] = []
    paid_ms: list[float] = []
    for number in range(runs):
        cart = Cart().add_amount(1_000 + number).with_tax_rate(800)
        started = time.perf_counter()
        ticket = await sales.start(cart, served_by="Ann")
        started_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        await sales.pay_cash(ticket.id, 5_000, person="Ann")
        paid_ms.append((time.perf_counter() - started) * 1000)
    return {
        "start(cart)": {
            "ms": round(statistics.median(started_ms), 3),
            "max_ms": round(max(started_ms), 3),
        },
        "pay_cash (completes, drawer)": {
            "ms": round(statistics.median(paid_ms), 3),
            "max_ms": round(max(paid_ms), 3),
        },
    }


def run_bench(tickets: int, movements: int, shifts: int, runs: int) -> dict[str, Any]:
    """Fill a temp-file journal and time the services on its open shift's lane."""
    records = make_records(tickets, movements, shifts)
    current = records.shifts[-1]  # open, on the last lane
    on_lane = [t for t in records.tickets if t.shift_id == current.id]
    sample = on_lane[len(on_lane) // 2] if on_lane else records.tickets[-1]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.sqlite3"
        with SqliteJournal(path) as journal:
            asyncio.run(
                journal.add_many(
                    shifts=records.shifts, tickets=records.tickets, movements=records.movements
                )
            )
            asyncio.run(journal.begin_many(records.operations))
            shifts_service = ShiftService(journal, NoDrawer(), lane=current.lane, record=_nobody)
            engine = PaymentService(None, journal, EngineSettings(lane=current.lane))  # type: ignore[arg-type]
            sales = SaleService(engine, journal, shifts_service, lane=current.lane, record=_nobody)
            timings = {
                "payments(sale)": _timed(lambda: sales.payments(sample.id), runs),
                "expected_cash()": _timed(shifts_service.expected_cash, runs),
                "x_report()": _timed(shifts_service.x_report, runs),
                "open_ticket()": _timed(sales.open_ticket, runs),
            }
            timings.update(asyncio.run(_cash_sales(sales, runs)))
            started = time.perf_counter()
            asyncio.run(sales.resume())
            timings["resume() (25 owing)"] = {
                "ms": round((time.perf_counter() - started) * 1000, 3),
                "max_ms": round((time.perf_counter() - started) * 1000, 3),
            }
    return {
        "bench": "sale_service",
        "tickets": tickets,
        "movements": movements,
        "operations": len(records.operations),
        "shifts": shifts,
        "open_shift_tickets": len(on_lane),
        "runs": runs,
        "timings": timings,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures (a table, or one JSON line)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--movements", type=int, default=100_000)
    parser.add_argument("--shifts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    result = run_bench(args.tickets, args.movements, args.shifts, args.runs)
    if args.json:
        sys.stdout.write(json.dumps(result) + "\n")
        return 0
    sys.stdout.write(
        f"{result['tickets']:,} tickets, {result['movements']:,} cash movements,"
        f" {result['operations']:,} card parts, {result['shifts']} shifts;"
        f" the open shift holds {result['open_shift_tickets']:,} tickets\n"
    )
    for name, figures in result["timings"].items():
        sys.stdout.write(f"  {name:<30} {figures['ms']:>9.3f} ms  (max {figures['max_ms']:.3f})\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
