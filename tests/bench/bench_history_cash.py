"""What the drawer's cash rows add to the history window on a busy shop.

    .venv/bin/python -m tests.bench.bench_history_cash [--rows 100000] [--cash-days 30]
        [--cash-per-day 150] [--runs 20] [--json]

The journal of bench_history_window (a year of card operations), plus a cash
sale (and one cash refund in fifty) every few minutes for `--cash-days` days,
all in one shift. Times, offscreen, the real window's model: opening on the last
30 days (its cash rows read with the journal's first page), a search, the next
page, and the cash rows' read alone; then the detail pane's read of one sale.
Goal: under 100 ms for a search, a frame for the details' sale.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import uuid
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from pos_app.domain.tickets import CashMovement, CashMovementKind, Shift, Ticket, TicketStatus
from pos_app.services.history import HistoryService
from pos_app.services.ports import HistoryQuery
from pos_app.storage.journal import SqliteJournal
from pos_app.ui.history_model import HistoryModel
from tests.bench.bench_history import make_operations
from tests.bench.bench_history_window import _next_page, _no_details, median_ms


def cash_records(days: int, per_day: int) -> tuple[Shift, list[Ticket], list[CashMovement]]:
    now = datetime.now().astimezone()
    start = now - timedelta(days=days)
    shift = Shift("bench-shift", "bench", start, "Ann", 10_000)
    tickets, movements = [], []
    step = timedelta(days=1) / per_day
    for number in range(days * per_day):
        at = start + step * number
        ticket_id = str(uuid.uuid4())
        total = 250 + (number * 37) % 4000
        tickets.append(
            Ticket(
                ticket_id,
                "bench",
                TicketStatus.COMPLETE,
                (),
                total,
                0,
                0,
                total,
                at,
                at,
                shift_id=shift.id,
            )
        )
        movements.append(
            CashMovement(
                str(uuid.uuid4()),
                shift.id,
                CashMovementKind.SALE,
                total,
                at,
                "Ann",
                ticket_id=ticket_id,
                tendered_cents=total,
                change_cents=0,
            )
        )
        if number % 50 == 0:
            movements.append(
                CashMovement(
                    str(uuid.uuid4()),
                    shift.id,
                    CashMovementKind.REFUND,
                    100,
                    at + step / 2,
                    "Ann",
                    reason="refund",
                    ticket_id=ticket_id,
                    approved_by="Bea",
                )
            )
    return shift, tickets, movements


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cash-days", type=int, default=30)
    parser.add_argument("--cash-per-day", type=int, default=150)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        journal = SqliteJournal(Path(tmp) / "journal.sqlite3")
        asyncio.run(journal.begin_many(make_operations(args.rows)))
        shift, tickets, movements = cash_records(args.cash_days, args.cash_per_day)
        asyncio.run(journal.add_many(shifts=[shift], tickets=tickets, movements=movements))
        service = HistoryService(journal, None, _no_details)
        model = HistoryModel(service)
        now = datetime.now().astimezone()
        month = HistoryQuery(since=now - timedelta(days=30), until=now + timedelta(days=1))
        year = HistoryQuery(since=now - timedelta(days=366), until=now + timedelta(days=1))
        figures = {
            "open (last 30 days)": median_ms(lambda: model.set_query(month), args.runs),
            "whole year": median_ms(lambda: model.set_query(year), args.runs),
            "amount $12.50": median_ms(
                lambda: model.set_query(HistoryQuery(since=year.since, amount_cents=1250)),
                args.runs,
            ),
            "no match": median_ms(
                lambda: model.set_query(HistoryQuery(since=year.since, text="no such sale")),
                args.runs,
            ),
            "cash rows alone (30 days)": median_ms(lambda: service.cash_rows(month), args.runs),
            "scroll: next page of 200": median_ms(_next_page(model, year), args.runs),
            "a sale's details (ticket_sale)": median_ms(
                lambda: service.ticket_sale(tickets[len(tickets) // 2].id), args.runs
            ),
        }
        journal.close()
    cash = len(movements)
    if args.json:
        print(json.dumps({"rows": args.rows, "cash_rows": cash, **figures}))
        return 0
    print(
        f"history window model at {args.rows:,} operations and {cash:,} cash rows"
        f" (median of {args.runs}, ms):"
    )
    for name, value in figures.items():
        print(f"  {name:<32} {value:7.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
