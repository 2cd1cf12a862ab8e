"""How fast the manager's history window opens and searches at 100,000 sales.

    .venv/bin/python -m tests.bench.bench_history_window [--rows 100000] [--runs 20] [--json]

Fills a temporary journal with a year of operations (as bench_history does),
then times, offscreen, the real window's model: opening (the first page shown
for the default filters) and each search the manager types (the model reset
with the first page of results). JustiFi's rows are left out (they arrive
later over the network and do not hold the table up). Goal: under 100 ms.
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
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from pos_app.services.history import HistoryService
from pos_app.services.ports import HistoryQuery, PaymentDetails
from pos_app.storage.journal import SqliteJournal
from pos_app.ui.history_model import HistoryModel
from tests.bench.bench_history import make_operations


async def _no_details(_ref: str) -> PaymentDetails:
    raise RuntimeError("not used")


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        journal = SqliteJournal(Path(tmp) / "journal.sqlite3")
        asyncio.run(journal.begin_many(make_operations(args.rows)))
        model = HistoryModel(HistoryService(journal, None, _no_details))
        now = datetime.now().astimezone()
        month = HistoryQuery(since=now - timedelta(days=30), until=now + timedelta(days=1))
        year = HistoryQuery(since=now - timedelta(days=366), until=now + timedelta(days=1))
        sample = journal.history(HistoryQuery(statuses=("approved",), limit=1, offset=5000))[0]
        searches: dict[str, HistoryQuery] = {
            "open (last 30 days)": month,
            "whole year": year,
            "amount $12.50": HistoryQuery(since=year.since, amount_cents=1250),
            "last four": HistoryQuery(since=year.since, card_last4=sample.card_last4),
            "status declined": HistoryQuery(since=year.since, statuses=("declined",)),
            "description 'latte'": HistoryQuery(since=year.since, text="latte"),
            "a payment id": HistoryQuery(since=year.since, text=sample.payment_id),
            "no match": HistoryQuery(since=year.since, text="no such sale"),
        }
        figures = {
            name: median_ms(lambda q=query: model.set_query(q), args.runs)
            for name, query in searches.items()
        }
        figures["scroll: next page of 200"] = median_ms(_next_page(model, year), args.runs)
        journal.close()
    if args.json:
        print(json.dumps({"rows": args.rows, **figures}))
        return 0
    print(f"history window model at {args.rows:,} operations (median of {args.runs}, ms):")
    for name, value in figures.items():
        print(f"  {name:<28} {value:7.1f}")
    return 0


def _next_page(model: HistoryModel, query: HistoryQuery) -> Callable[[], object]:
    model.set_query(query)

    def scroll() -> None:
        if not model.canFetchMore():
            model.set_query(query)
        model.fetchMore()

    return scroll


if __name__ == "__main__":
    sys.exit(main())
