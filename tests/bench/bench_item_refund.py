"""What refunding a sale item by item costs the GUI thread.

    .venv/bin/python -m tests.bench.bench_item_refund [--lines 3 10 30 100] [--runs 7] [--json]

For sales of `--lines` lines (10% off the sale, 8.25% tax), offscreen: the
pure `line_refund` of every line, the item dialog built, then built and shown
(its first paint), and one step of a line (the amount recomputed and the
changed figures redrawn). Goal: a frame (16 ms) for a step at any size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from pos_app.domain.cart import Cart
from pos_app.domain.discount import Discount, DiscountKind
from pos_app.domain.line_refund import item_refund
from pos_app.domain.tickets import Ticket, TicketStatus
from pos_app.ui.item_refund_dialog import ItemRefundDialog


def sale(lines: int) -> Ticket:
    cart = Cart(tax_rate_bps=825)
    for number in range(lines):
        cart = cart.add_line(f"Item {number}", 199 + number * 37, 1 + number % 5)
    cart = cart.with_discount(Discount(DiscountKind.PERCENT, 1_000, "regular"))
    at = datetime.now(UTC)
    return Ticket(
        "bench",
        "lane-2",
        TicketStatus.COMPLETE,
        cart.ticket_lines(),
        cart.subtotal.cents,
        cart.sale_discount.cents,
        cart.tax.cents,
        cart.total.cents,
        at,
        at,
    )


def median_ms(runs: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[3, 10, 30, 100])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    results = []
    for lines in args.lines:
        ticket = sale(lines)
        everything = {n: line.quantity for n, line in enumerate(ticket.lines, start=1)}
        pure = median_ms(args.runs * 20, lambda t=ticket, e=everything: item_refund(t, e))

        def open_dialog(t: Ticket = ticket) -> ItemRefundDialog:
            dialog = ItemRefundDialog(t, refundable_cents=t.total_cents)
            dialog.show()
            app.processEvents()
            return dialog

        open_dialog().deleteLater()  # the first pays for fonts and styles once
        opened = median_ms(args.runs, lambda: open_dialog().deleteLater())
        built = median_ms(
            args.runs,
            lambda t=ticket: ItemRefundDialog(t, refundable_cents=t.total_cents).deleteLater(),
        )
        dialog = open_dialog()
        steps = []
        for line_no in range(1, lines + 1):
            start = time.perf_counter()
            dialog.set_quantity(line_no, 1)
            steps.append(time.perf_counter() - start)
        dialog.deleteLater()
        result = {
            "lines": lines,
            "line_refund_ms": round(pure, 3),
            "dialog_built_ms": round(built, 1),
            "dialog_open_ms": round(opened, 1),
            "step_median_ms": round(statistics.median(steps) * 1000, 2),
            "step_max_ms": round(max(steps) * 1000, 2),
        }
        results.append(result)
        if not args.json:
            print(
                f"{lines:>4} lines: line_refund {result['line_refund_ms']} ms, dialog built "
                f"{result['dialog_built_ms']} ms, built and shown {result['dialog_open_ms']} ms, "
                f"a step {result['step_median_ms']} ms "
                f"(max {result['step_max_ms']} ms)"
            )
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
