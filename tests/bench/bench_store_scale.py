"""The store's reads at a year of a 20-lane shop: end of day and history search.

    .venv/bin/python -m tests.bench.bench_store_scale [--sales 1000000] [--lanes 20]
        [--runs 5] [--json] [--url URL [--no-fill]]

Starts a throwaway PostgreSQL (tests/support/postgres.py), creates the store's
schema with `pos-app store init`'s own code, then fills it server-side
(generate_series, one transaction) with `--sales` sales over a year for
`--lanes` lanes: each sale a ticket with 1-4 lines, paid by card (an approved
charge; one in twenty after a declined one; one in sixty refunded later) or,
one in eight, in cash (a drawer movement; one in a hundred refunded in cash),
in one shift per lane and day, busier at the weekend (Saturday 1.5x the mean).
Each operation has one event. The schema's own indexes are dropped for the fill
and rebuilt from their definitions afterwards, then ANALYZE.

Then times, through the app's own `StoreViewService` on `PgStoreView`, the
median of `--runs` calls (after one warm-up call that opens the connection):
the end-of-day report of the busiest day for the whole store and for one lane,
and the history's searches across every lane. Only the store side is timed: the
service gets no JustiFi source (`remote=None`), so the report sums the store's
day and is marked not checked. Goals: a day under 1 s, a search under 100 ms.

`--url` uses an existing database instead of a throwaway server (`--no-fill`:
one this bench already filled).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg

from pos_app.services.ports import HistoryQuery
from tests.support.postgres import pg_server

DAY_GOAL_MS = 1000.0
SEARCH_GOAL_MS = 100.0
FILLED_TABLES = (
    "operations",
    "operation_events",
    "tickets",
    "ticket_lines",
    "shifts",
    "cash_movements",
)
# Monday .. Sunday: a week's shape around a mean of 1.0 (Saturday the busiest).
WEEK_SHAPE = (0.8, 0.85, 0.9, 1.0, 1.2, 1.5, 0.75)

# One row per sale, with every choice the tables below derive from it (`h` is a
# 60-bit hash of the sale's number: deterministic, evenly spread).
_DRIVER = """
CREATE UNLOGGED TABLE bench_sale AS
WITH days AS (
    SELECT d, %(base)s::timestamptz + d * interval '1 day' AS day_start,
           greatest(1, round(%(per_day)s * (%(shape)s::float8[])[
               extract(isodow FROM (%(base)s::timestamptz + d * interval '1 day')
                       AT TIME ZONE 'UTC')::int]))::int AS n
    FROM generate_series(0, %(days)s - 1) AS d
), numbered AS (
    SELECT (row_number() OVER (ORDER BY d, k) - 1)::bigint AS i, d, k, n, day_start
    FROM days, generate_series(1, n) AS k
), hashed AS (
    SELECT *, ('x' || substr(md5('sale' || i), 1, 15))::bit(60)::bigint AS h FROM numbered
), sale AS (
    SELECT i, d, h,
        'lane-' || lpad(((i %% %(lanes)s) + 1)::text, 2, '0') AS lane,
        day_start + interval '8 hours'
            + ((k - 1) + (h %% 1000) / 1000.0) * (interval '12 hours' / n) AS at,
        md5('ticket' || i)::uuid::text AS ticket_id,
        1 + (h / 7) %% 4 AS n_lines,
        (h / 47) %% 8 = 0 AS cash,
        CASE WHEN (h / 11) %% 100 < 40 THEN 'Ann' WHEN (h / 11) %% 100 < 65 THEN 'Bea'
             WHEN (h / 11) %% 100 < 85 THEN 'Cy' WHEN (h / 11) %% 100 < 95 THEN 'Dev'
             WHEN (h / 11) %% 100 < 99 THEN 'Zoë' ELSE 'Ida' END AS served_by,
        CASE WHEN (h / 13) %% 20 < 3 THEN NULL
             WHEN (h / 13) %% 20 < 11 THEN 'Table ' || (1 + (h / 17) %% 40) || ': '
                 || (1 + (h / 19) %% 3) || ' ' || (%(items)s::text[])[1 + (h / 23) %% 10]
             ELSE 'Order #' || (10000 + (h / 29) %% 90000) || ' '
                 || (%(items)s::text[])[1 + (h / 23) %% 10] END AS description,
        lpad(((h / 31) %% 10000)::text, 4, '0') AS last4,
        CASE WHEN (h / 37) %% 100 < 50 THEN 'visa' WHEN (h / 37) %% 100 < 80 THEN 'mastercard'
             WHEN (h / 37) %% 100 < 92 THEN 'amex' ELSE 'discover' END AS brand,
        (h / 41) %% 20 = 0 AS declined_first,
        (h / 43) %% 60 = 0 AS card_refund,
        (h / 43) %% 100 = 0 AS cash_refund
    FROM hashed
)
SELECT sale.*, sums.subtotal, round(sums.subtotal * 0.0825)::bigint AS tax,
       sums.subtotal + round(sums.subtotal * 0.0825)::bigint AS total,
       md5('shift' || sale.lane || sale.d)::uuid::text AS shift_id
FROM sale, LATERAL (
    SELECT sum((150 + ((sale.h >> (ln * 4)) %% 40) * 25)
               * (1 + (((sale.h >> (ln * 3 + 20)) %% 3) = 0)::int))::bigint AS subtotal
    FROM generate_series(1, sale.n_lines::int) AS ln
) AS sums
"""

_FILL = (
    """
    INSERT INTO shifts (id, lane, opened_at, opened_by, float_cents, float_count, closed_at,
                        closed_by, counted_cents, expected_cents, count)
    SELECT shift_id, lane, min(at) - interval '30 minutes', 'Bea', 20000, NULL,
           max(at) + interval '30 minutes', 'Bea',
           20000 + coalesce(sum(total) FILTER (WHERE cash), 0),
           20000 + coalesce(sum(total) FILTER (WHERE cash), 0), NULL
    FROM bench_sale GROUP BY shift_id, lane
    """,
    """
    INSERT INTO tickets (id, lane, status, subtotal_cents, sale_discount_cents,
                         sale_discount_reason, tax_cents, total_cents, served_by,
                         discount_approved_by, cancelled_by, shift_id, description,
                         created_at, updated_at)
    SELECT ticket_id, lane, 'complete', subtotal, 0, NULL, tax, total, served_by, NULL, NULL,
           shift_id, description, at, at + interval '20 seconds'
    FROM bench_sale
    """,
    """
    INSERT INTO ticket_lines (ticket_id, line_no, name, item_code, quantity, unit_price_cents,
                              discount_cents, discount_reason)
    SELECT ticket_id, ln, (%(items)s::text[])[1 + ((h >> (ln * 5)) %% 10)],
           'SKU-' || (100 + (h >> (ln * 5)) %% 10),
           1 + (((h >> (ln * 3 + 20)) %% 3) = 0)::int, 150 + ((h >> (ln * 4)) %% 40) * 25, 0, NULL
    FROM bench_sale, generate_series(1, n_lines::int) AS ln
    """,
    # the declined tries before a card sale
    """
    INSERT INTO operations (id, lane, kind, amount_cents, status, flow, terminal_id,
                            description, sale_id, session_id, payment_id, card_brand, card_last4,
                            decline_code, decline_message, served_by, ticket_id, shift_id,
                            created_at, updated_at)
    SELECT md5('declined' || i)::uuid::text, lane, 'charge', total, 'declined',
           'payment_intent', 'trm_' || lane, description, 'pi_' || substr(md5('pid' || i), 1, 24),
           'tps_' || substr(md5('tpsd' || i), 1, 24), NULL, brand, last4, 'card_declined',
           'Your card was declined.', served_by, ticket_id, shift_id,
           at + interval '5 seconds', at + interval '12 seconds'
    FROM bench_sale WHERE NOT cash AND declined_first
    """,
    # every card sale's approved charge
    """
    INSERT INTO operations (id, lane, kind, amount_cents, status, flow, terminal_id,
                            description, sale_id, session_id, payment_id, card_brand, card_last4,
                            served_by, ticket_id, shift_id, created_at, updated_at)
    SELECT md5('charge' || i)::uuid::text, lane, 'charge', total, 'approved', 'payment_intent',
           'trm_' || lane, description, 'pi_' || substr(md5('pi' || i), 1, 24),
           'tps_' || substr(md5('tps' || i), 1, 24), 'py_' || substr(md5('py' || i), 1, 24),
           brand, last4, served_by, ticket_id, shift_id,
           at + interval '15 seconds', at + interval '19 seconds'
    FROM bench_sale WHERE NOT cash
    """,
    # card refunds, a few days later (or ten minutes later near the end of the year)
    """
    INSERT INTO operations (id, lane, kind, amount_cents, status, flow, description, sale_id,
                            payment_id, refund_id, original_id, refund_mode, reason, card_brand,
                            card_last4, served_by, approved_by, ticket_id, created_at, updated_at)
    SELECT md5('refund' || i)::uuid::text, lane, 'refund', total / (1 + (h %% 2)), 'approved',
           'payment_intent', description, 'pi_' || substr(md5('pi' || i), 1, 24),
           'py_' || substr(md5('py' || i), 1, 24), 're_' || substr(md5('re' || i), 1, 24),
           md5('charge' || i)::uuid::text, 'card', 'customer_request', brand, last4, served_by,
           'Bea', ticket_id, later, later + interval '2 seconds'
    FROM (SELECT *, CASE WHEN at + interval '4 days' < now()
                         THEN at + (1 + h %% 4) * interval '1 day'
                         ELSE at + interval '10 minutes' END AS later
          FROM bench_sale WHERE NOT cash AND card_refund) AS refunded
    """,
    """
    INSERT INTO cash_movements (id, lane, shift_id, kind, amount_cents, at, person, reason,
                                ticket_id, tendered_cents, change_cents, approved_by)
    SELECT md5('cash' || i)::uuid::text, lane, shift_id, 'sale', total, at + interval '15 seconds',
           served_by, NULL, ticket_id, ((total + 499) / 500) * 500,
           ((total + 499) / 500) * 500 - total, NULL
    FROM bench_sale WHERE cash
    """,
    """
    INSERT INTO cash_movements (id, lane, shift_id, kind, amount_cents, at, person, reason,
                                ticket_id, tendered_cents, change_cents, approved_by)
    SELECT md5('cashback' || i)::uuid::text, lane, shift_id, 'refund', total,
           at + interval '40 minutes', served_by, 'customer_request', ticket_id, NULL, NULL, 'Bea'
    FROM bench_sale WHERE cash AND cash_refund
    """,
    """
    INSERT INTO operation_events (lane, seq, operation_id, at, status, detail)
    SELECT lane, row_number() OVER (PARTITION BY lane ORDER BY updated_at, id), id, updated_at,
           status, NULL
    FROM operations
    """,
    """
    INSERT INTO lanes (name, lane_uid, first_seen, last_seen, pending, app_version,
                       audit_head_seq, audit_head_hash)
    SELECT lane, md5('uid' || lane), min(at), max(at), 0, 'bench', count(*),
           md5('head' || lane) || md5('head2' || lane)
    FROM bench_sale GROUP BY lane
    ON CONFLICT (name) DO NOTHING
    """,
)

ITEMS = [
    "latte",
    "flat white",
    "croissant",
    "Café au lait",
    "bagel",
    "gift card",
    "sandwich",
    "muffin",
    "tea",
    "smoothie",
]


# -- the store's schema and its fill --------------------------------------------------------


async def init_schema(url: str) -> None:
    """The store's schema, made by the code `pos-app store init` runs."""
    from pos_app.storage.store.connection import connect, store_address
    from pos_app.storage.store.schema import init_store

    conn = await connect(store_address(url, None))
    try:
        await init_store(conn)
    finally:
        await conn.close()


@contextmanager
def timed(figures: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    figures[name] = round(time.perf_counter() - started, 1)


def fill(url: str, sales: int, lanes: int, days: int = 365) -> dict[str, Any]:
    """Fill the store (one transaction), its indexes rebuilt after; counts and seconds."""
    base = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=days
    )
    params = {
        "base": base,
        "per_day": sales / days,
        "shape": list(WEEK_SHAPE),
        "days": days,
        "lanes": lanes,
        "items": ITEMS,
    }
    seconds: dict[str, float] = {}
    with psycopg.connect(url) as conn:
        conn.execute("SET maintenance_work_mem = '256MB'")
        conn.execute("SET work_mem = '64MB'")
        indexes = conn.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            JOIN pg_class c ON c.relname = i.indexname
            LEFT JOIN pg_constraint k ON k.conindid = c.oid
            WHERE i.schemaname = 'public' AND i.tablename = ANY(%s) AND k.oid IS NULL
            """,
            [list(FILLED_TABLES)],
        ).fetchall()
        with timed(seconds, "fill_s"):
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
            conn.execute("DROP TABLE IF EXISTS bench_sale")
            conn.execute(_DRIVER, params)
            for statement in _FILL:
                conn.execute(statement, params)
        with timed(seconds, "index_s"):
            for _, definition in indexes:
                conn.execute(definition)
        conn.execute("DROP TABLE bench_sale")
        conn.commit()
        conn.autocommit = True
        with timed(seconds, "analyze_s"):
            conn.execute("VACUUM ANALYZE")
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in FILLED_TABLES
        }
    return {"rows": counts, "indexes_rebuilt": len(indexes), **seconds}


# -- what the bench asks the store ----------------------------------------------------------


def store_facts(url: str) -> dict[str, Any]:
    """What the searches look for: the busiest day, a lane, and values found in the store."""
    with psycopg.connect(url) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        busiest = conn.execute(
            "SELECT created_at::date AS day, count(*) FROM tickets"
            " GROUP BY day ORDER BY count(*) DESC, day DESC LIMIT 1"
        ).fetchone()
        assert busiest is not None, "the store is empty: fill it first"
        day, tickets = busiest
        sample = conn.execute(
            "SELECT amount_cents, card_last4, description FROM operations"
            " WHERE kind = 'charge' AND status = 'approved' AND description LIKE 'Order #%%'"
            " ORDER BY created_at DESC OFFSET 5000 LIMIT 1"
        ).fetchone()
        assert sample is not None
        lane_tickets = conn.execute(
            "SELECT count(*) FROM tickets WHERE lane = 'lane-07'"
            " AND created_at >= %s AND created_at < %s + 1",
            [day, day],
        ).fetchone()
        sales = conn.execute("SELECT count(*) FROM tickets").fetchone()
    amount, last4, description = sample
    return {
        "sales": sales[0] if sales else 0,
        "day": day,
        "day_sales_store": tickets,
        "day_sales_lane": lane_tickets[0] if lane_tickets else 0,
        "lane": "lane-07",
        "amount_cents": amount,
        "last4": last4,
        "order": " ".join(description.split()[:2]),  # "Order #12345"
    }


async def median_ms(call: Callable[[], Awaitable[object]], runs: int) -> dict[str, float]:
    """The first call's time (warm-up: connection, caches) and the median of `runs` more."""
    started = time.perf_counter()
    result = await call()
    first = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await call()
        times.append((time.perf_counter() - started) * 1000)
    size = len(result) if isinstance(result, list) else None
    figure = {"median_ms": round(statistics.median(times), 1), "first_ms": round(first, 1)}
    if size is not None:
        figure["rows"] = size
    return figure


async def time_reads(url: str, facts: dict[str, Any], runs: int) -> dict[str, dict[str, float]]:
    from pos_app.domain.report import day_window
    from pos_app.services.reports import ReportSettings
    from pos_app.services.store_view import StoreViewService
    from pos_app.storage.store.connection import store_address
    from pos_app.storage.store.reads import PgStoreView

    view = PgStoreView(store_address(url, None))
    settings = ReportSettings(tz=UTC)
    margin = settings.margin
    service = StoreViewService(view, None, settings)
    day: date = facts["day"]
    lane: str = facts["lane"]
    year_ago = datetime.now(UTC) - timedelta(days=366)
    searches: dict[str, HistoryQuery] = {
        "history: newest 100, every lane": HistoryQuery(),
        f"history: text '{facts['order']}'": HistoryQuery(text=facts["order"], since=year_ago),
        "history: text 'latte'": HistoryQuery(text="latte", since=year_ago),
        "history: text, no match": HistoryQuery(text="no such sale", since=year_ago),
        f"history: last four {facts['last4']}": HistoryQuery(
            card_last4=facts["last4"], since=year_ago
        ),
        "history: person 'Ida'": HistoryQuery(person="Ida", since=year_ago),
        f"history: amount {facts['amount_cents']}": HistoryQuery(
            amount_cents=facts["amount_cents"], since=year_ago
        ),
    }
    figures: dict[str, dict[str, float]] = {}
    try:
        figures[f"day report {day}, store"] = await median_ms(
            lambda: service.day_report(day, None, UTC), runs
        )
        figures[f"day report {day}, {lane}"] = await median_ms(
            lambda: service.day_report(day, lane, UTC), runs
        )
        since, until = day_window(day, UTC)
        figures["  of which the store's day read (view.day)"] = await median_ms(
            lambda: view.day(since - margin, until + margin), runs
        )
        for name, query in searches.items():
            figures[name] = await median_ms(lambda q=query: service.history_rows(q), runs)
        figures[f"history: {lane} only, newest 100"] = await median_ms(
            lambda: service.history_rows(HistoryQuery(), lane), runs
        )
    finally:
        close = getattr(view, "close", None)
        if close is not None:
            await close()
    return figures


def bench(url: str, args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {"bench": "store_scale"}
    if not args.no_fill:
        asyncio.run(init_schema(url))
        result["fill"] = fill(url, args.sales, args.lanes)
    facts = store_facts(url)
    result["facts"] = {**facts, "day": facts["day"].isoformat()}
    result["reads"] = asyncio.run(time_reads(url, facts, args.runs))
    result["goals_met"] = all(
        figure["median_ms"] < (DAY_GOAL_MS if "day" in name else SEARCH_GOAL_MS)
        for name, figure in result["reads"].items()
    )
    return result


def print_table(result: dict[str, Any], runs: int) -> None:
    facts = result["facts"]
    if "fill" in result:
        fill_ = result["fill"]
        rows = ", ".join(f"{table} {count:,}" for table, count in fill_["rows"].items())
        print(f"filled: {rows}")
        print(
            f"fill {fill_['fill_s']} s, {fill_['indexes_rebuilt']} indexes rebuilt in"
            f" {fill_['index_s']} s, VACUUM ANALYZE {fill_['analyze_s']} s"
        )
    print(
        f"{facts['sales']:,} sales; busiest day {facts['day']}: {facts['day_sales_store']:,} sales"
        f" in the store, {facts['day_sales_lane']:,} on {facts['lane']}"
    )
    print(f"median of {runs} (ms), after a first call; JustiFi not asked (remote=None):")
    for name, figure in result["reads"].items():
        goal = DAY_GOAL_MS if "day" in name else SEARCH_GOAL_MS
        rows = f"  {int(figure['rows']):>4} rows" if "rows" in figure else ""
        verdict = "ok" if figure["median_ms"] < goal else f"OVER {goal:.0f}"
        print(
            f"  {name:<44} {figure['median_ms']:8.1f}  (first {figure['first_ms']:7.1f})"
            f"{rows}  {verdict}"
        )
    print("PASS" if result["goals_met"] else "FAIL")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--lanes", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--url", help="an existing store database instead of a throwaway one")
    parser.add_argument("--no-fill", action="store_true", help="with --url: already filled")
    parser.add_argument("--json", action="store_true", help="one JSON line only")
    args = parser.parse_args(argv)
    if args.no_fill and not args.url:
        parser.error("--no-fill needs --url")
    if args.url:
        result = bench(args.url, args)
    else:
        with pg_server() as server:
            result = bench(server.create_database("store"), args)
    if args.json:
        print(json.dumps(result, default=str))
    else:
        print_table(result, args.runs)
    return 0 if result["goals_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
