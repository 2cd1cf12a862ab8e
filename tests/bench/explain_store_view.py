"""PostgreSQL's plans of the store view's main queries, run (EXPLAIN ANALYZE), on a filled store.

    .venv/bin/python -m tests.bench.explain_store_view [--sales 100000] [--lanes 20]
        [--url URL [--no-fill]] [--full]

Starts a throwaway PostgreSQL, fills it as `bench_store_scale` does (the same
generator: `--sales` sales over a year for `--lanes` lanes, indexes rebuilt,
ANALYZE), then prints, for each query `PgStoreView` runs (the history's
searches across lanes, the drawer's rows, the day's operations with the other
operations on their payments, its sales, lines and cash, one sale), the plan's
index use and its execution time; `--full` prints every plan line.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from pos_app.domain.report import day_window
from pos_app.services.ports import HistoryQuery
from pos_app.storage.store.connection import store_address
from pos_app.storage.store.reads import (
    _DAY_OPERATIONS,
    _SELECT_CASH,
    _SELECT_TICKETS,
    PgStoreView,
    cash_sql,
    history_sql,
)
from tests.bench.bench_store_scale import fill, init_schema, store_facts
from tests.support.postgres import pg_server

_NODE = re.compile(r"(Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan)(?: Backward)?"
                   r"(?: using (\w+))? on (\w+)")  # fmt: skip
_TIME = re.compile(r"Execution Time: ([\d.]+) ms")


def queries(facts: dict[str, Any]) -> dict[str, tuple[str, Any]]:
    """What `PgStoreView` asks, by name: (SQL, parameters)."""
    year_ago = datetime.now(UTC) - timedelta(days=366)
    since, until = day_window(facts["day"], UTC)
    margin = timedelta(minutes=30)
    window = {"since": since - margin, "until": until + margin, "lane": None}
    lane_window = {**window, "lane": facts["lane"]}
    found: dict[str, tuple[str, Any]] = {}
    searches = {
        "history: newest 100": (HistoryQuery(), None),
        "history: newest 100 of a lane": (HistoryQuery(), facts["lane"]),
        f"history: text '{facts['order']}'": (
            HistoryQuery(text=facts["order"], since=year_ago),
            None,
        ),
        "history: text 'latte'": (HistoryQuery(text="latte", since=year_ago), None),
        "history: text, no match": (HistoryQuery(text="no such sale", since=year_ago), None),
        f"history: last four {facts['last4']}": (
            HistoryQuery(card_last4=facts["last4"], since=year_ago),
            None,
        ),
        "history: person 'ida'": (HistoryQuery(person="Ida", since=year_ago), None),
        f"history: amount {facts['amount_cents']}": (
            HistoryQuery(amount_cents=facts["amount_cents"], since=year_ago),
            None,
        ),
    }
    for name, (query, lane) in searches.items():
        found[name] = history_sql(query, lane)
    found["drawer rows: newest 100"] = cash_sql(HistoryQuery())
    found["drawer rows: person 'ida'"] = cash_sql(HistoryQuery(person="Ida", since=year_ago))
    found["history: person nobody has"] = history_sql(HistoryQuery(person="Nobody"))
    found["drawer rows: person nobody has"] = cash_sql(HistoryQuery(person="Nobody"))
    found["day: operations + their payments' others"] = (_DAY_OPERATIONS, window)
    found["day: operations of one lane"] = (_DAY_OPERATIONS, lane_window)
    found["day: sales"] = (
        f"{_SELECT_TICKETS} WHERE created_at >= %(since)s AND created_at < %(until)s"
        " AND (%(lane)s::text IS NULL OR lane = %(lane)s) ORDER BY created_at, id",
        window,
    )
    found["day: cash"] = (
        f"{_SELECT_CASH} WHERE at >= %(since)s AND at < %(until)s"
        " AND (%(lane)s::text IS NULL OR lane = %(lane)s) ORDER BY at, id",
        window,
    )
    found["day: lines of the day's sales"] = (
        "SELECT ticket_id, name, item_code, quantity, unit_price_cents, discount_cents,"
        " discount_reason FROM ticket_lines WHERE ticket_id IN (SELECT id FROM tickets"
        " WHERE created_at >= %(since)s AND created_at < %(until)s)"
        " ORDER BY ticket_id, line_no",
        window,
    )
    return found


def summary(plan: list[str]) -> tuple[str, str]:
    """The scans (index or table) and the execution time of a plan."""
    scans = []
    for line in plan:
        match = _NODE.search(line)
        if match:
            kind, index, table = match.groups()
            scans.append(f"{kind} {index or ''} on {table}".replace("  ", " "))
    times = [m.group(1) for line in plan if (m := _TIME.search(line))]
    return "; ".join(dict.fromkeys(scans)), times[0] if times else "?"


async def explain_all(url: str, full: bool) -> None:
    facts = store_facts(url)
    day = f"busiest day {facts['day']}: {facts['day_sales_store']} sales"
    print(f"store: {facts['sales']} sales; {day}, {facts['lane']} {facts['day_sales_lane']}")
    view = PgStoreView(store_address(url, None))
    try:
        for name, (sql, params) in queries(facts).items():
            await view.explain(sql, params)  # warm: the first run reads from disk
            plan = await view.explain(sql, params)
            scans, ms = summary(plan)
            print(f"{name:<44} {ms:>8} ms  {scans}")
            if full:
                print("\n".join(f"    {line}" for line in plan))
    finally:
        await view.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=100_000)
    parser.add_argument("--lanes", type=int, default=20)
    parser.add_argument("--url")
    parser.add_argument("--no-fill", action="store_true")
    parser.add_argument("--full", action="store_true", help="print every plan line")
    args = parser.parse_args(argv)
    if args.url:
        if not args.no_fill:
            asyncio.run(init_schema(args.url))
            print(fill(args.url, args.sales, args.lanes))
        asyncio.run(explain_all(args.url, args.full))
        return 0
    with pg_server() as server:
        url = server.create_database("explain_store_view")
        asyncio.run(init_schema(url))
        print(fill(url, args.sales, args.lanes))
        asyncio.run(explain_all(url, args.full))
    return 0


if __name__ == "__main__":
    sys.exit(main())
