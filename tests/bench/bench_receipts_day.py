"""How fast a split sale's receipt and the end of day with cash are on a big journal.

    .venv/bin/python -m tests.bench.bench_receipts_day [--tickets 100000] [--movements 100000]
        [--shifts 200] [--runs 20] [--json]

Fills a temporary file journal with `bench_tickets`' year of a busy two-lane shop
(tickets, cash movements, card parts), then prints the median time (ms) of:
the receipt of a cash sale and of a card sale (`ReceiptService.for_ticket` and
`render_text`, what the till does on the GUI thread when a sale completes: goal
under 16 ms, one frame), and the end of day of the busiest day with and without
the drawer's cash (`ReportService.day_report`, JustiFi not asked) and its CSV.
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
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pos_app.domain.receipt import render_text
from pos_app.domain.report import report_csv
from pos_app.domain.tickets import CashMovementKind
from pos_app.services.reports import ReceiptService, ReportService, ReportSettings
from pos_app.storage.journal import SqliteJournal
from tests.bench.bench_tickets import make_records

FRAME_MS = 16.0


def _median_ms(run: Callable[[], object], runs: int) -> float:
    times: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run_bench(tickets: int, movements: int, shifts: int, runs: int) -> dict[str, Any]:
    """Fill a temp-file journal and time the receipts and the busiest day's report."""
    records = make_records(tickets, movements, shifts)
    cash_sale = next(
        m.ticket_id for m in reversed(records.movements) if m.kind is CashMovementKind.SALE
    )
    card_sale = records.operations[len(records.operations) // 2].ticket_id
    assert cash_sale is not None
    assert card_sale is not None
    days = Counter(ticket.created_at.astimezone().date() for ticket in records.tickets)
    busiest, sales_that_day = days.most_common(1)[0]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.sqlite3"
        with SqliteJournal(path) as journal:
            asyncio.run(
                journal.add_many(
                    shifts=records.shifts, tickets=records.tickets, movements=records.movements
                )
            )
            asyncio.run(journal.begin_many(records.operations))
            receipts = ReceiptService(journal, ("Corner Coffee",), tickets=journal)
            with_cash = ReportService(journal, None, ReportSettings(), tickets=journal)
            cards_only = ReportService(journal, None, ReportSettings())
            report = asyncio.run(with_cash.day_report(busiest))
            assert report.cash_total is not None

            def receipt_of(ticket_id: str) -> Callable[[], object]:
                def run() -> object:
                    receipt = receipts.for_ticket(ticket_id)
                    assert receipt is not None
                    return render_text(receipt)

                return run

            timings = {
                "receipt of a cash sale": _median_ms(receipt_of(cash_sale), runs),
                "receipt of a card sale": _median_ms(receipt_of(card_sale), runs),
                "day report with cash": _median_ms(
                    lambda: asyncio.run(with_cash.day_report(busiest)), runs
                ),
                "day report, cards only": _median_ms(
                    lambda: asyncio.run(cards_only.day_report(busiest)), runs
                ),
                "day report CSV": _median_ms(lambda: report_csv(report), runs),
            }
    return {
        "bench": "receipts_day",
        "tickets": tickets,
        "movements": movements,
        "operations": len(records.operations),
        "shifts": shifts,
        "runs": runs,
        "busiest_day": busiest.isoformat(),
        "sales_that_day": sales_that_day,
        "cash_movements_that_day": report.cash_total.sales.count
        + report.cash_total.refunds.count
        + report.cash_total.returned.count
        + report.cash_total.paid_in.count
        + report.cash_total.paid_out.count
        + report.cash_total.no_sales,
        "ms": {name: round(ms, 3) for name, ms in timings.items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the benchmark, print a table or one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--movements", type=int, default=100_000)
    parser.add_argument("--shifts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    result = run_bench(args.tickets, args.movements, args.shifts, args.runs)
    if args.json:
        print(json.dumps(result, separators=(",", ":")))
        return 0
    print(
        f"receipts and end of day: {result['tickets']:,} tickets, {result['movements']:,} cash"
        f" movements, {result['operations']:,} card charges; busiest day"
        f" {result['busiest_day']} ({result['sales_that_day']} sales,"
        f" {result['cash_movements_that_day']} cash movements); median of {args.runs} runs"
    )
    width = max(len(name) for name in result["ms"])
    for name, ms in result["ms"].items():
        flag = "  (over a frame)" if name.startswith("receipt") and ms >= FRAME_MS else ""
        print(f"{name:<{width}}  {ms:>8.2f} ms{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
