"""Twenty lanes selling into one store: how soon a sale is in the store, and an outage.

    .venv/bin/python -m tests.bench.bench_store [--lanes 20] [--sales 50] [--json]
    .venv/bin/python -m tests.bench.bench_store --outage 60      # the store down 60 s mid-run

Starts a throwaway PostgreSQL (tests/support/postgres.py) with the store's
schema and a sandbox child (real time) with one `auto` terminal per lane (the
customer taps `--tap-after` seconds after the sale reaches it). Each lane is
an engine wired by `pos_app.wiring.open_engine` on its own journal, with its
outbox on and a `StoreSync` (the app's timings: idle poll 0.25 s, backoff
0.5-5 s) sending through its own `PgStoreLink`, all in this process as twenty
windows would run them. Every lane rings `--sales` sales one after another.

Figures: from the engine yielding APPROVED to the store writing the operation
as approved (a benchmark-only trigger notes clock_timestamp() in the writing
transaction) p50/p95/max; each charge's duration (from `charge()` to its final
state).

With `--outage SECONDS`, once a third of the sales are approved the server is
stopped (`pg_ctl stop -m fast`: connections cut) for that long, then started.
Lanes keep selling. Printed: lost and duplicated records (every lane's journal
against the store's rows, operations, events, sales, cash), how long after the
store's return everything written before it was in the store (the outbox
records up to that moment acknowledged), and the charges' durations during the
outage against those outside it. The approval-to-store figures then count only
sales approved while the store was up and drained. Exit 1 when a goal is missed
(p95 under 1 s; 0 lost, 0 duplicated, drained within 10 s, no charge slower
during the outage than the slowest outside it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pos_app.domain.payment_flow import StateName
from pos_app.services.payments import EngineSettings, PaymentService
from pos_app.wiring import Account, open_engine
from tests.support.postgres import PgServer, pg_server
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, SUB_ACCOUNT, sandbox_process
from tests.support.store_lanes import (
    StoreLane,
    approvals_seen,
    compare_lanes,
    join_store,
    watch_approvals,
)

P95_GOAL_S = 1.0
DRAIN_GOAL_S = 10.0
APP_SYNC: dict[str, Any] = {}  # the app's own timings (StoreSync's defaults)


@dataclass
class Charge:
    lane: str
    operation_id: str
    started: float  # Unix time
    ended: float
    status: str
    approved_at: float | None = None  # when the engine yielded APPROVED

    @property
    def seconds(self) -> float:
        return self.ended - self.started


@dataclass
class Outage:
    stopped_at: float = 0.0  # Unix time the server was down
    back_at: float = 0.0  # ...and answering again
    drained_at: float | None = None  # everything written before back_at in the store
    backlog: int = 0  # records waiting in the outboxes at back_at
    marks: dict[str, int] = field(default_factory=dict)  # lane -> last outbox seq at back_at


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def spread(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_s": round(statistics.median(values), 3),
        "p95_s": round(percentile(values, 0.95), 3),
        "max_s": round(max(values), 3),
    }


def approved_amount(rng: random.Random) -> int:
    """An amount the auto terminals approve (cents not .91-.96)."""
    while True:
        cents = rng.randrange(100, 20_000)
        if not 91 <= cents % 100 <= 96:
            return cents


async def sell(
    name: str, service: PaymentService, terminal: str, sales: int, seed: int, done: list[Charge]
) -> None:
    """One cashier: `sales` charges in a row on the lane's own terminal."""
    rng = random.Random(seed)
    for number in range(sales):
        started = time.time()
        run = await service.charge(
            approved_amount(rng), terminal, f"{name} sale {number + 1}", served_by="Ann"
        )
        approved_at = None
        status = "unknown"
        async for state in run:
            status = state.name.value
            if state.name is StateName.APPROVED:
                approved_at = time.time()
        done.append(Charge(name, run.operation.id, started, time.time(), status, approved_at))


async def until(condition: Callable[[], bool], within: float = 300.0) -> None:
    """Let the lanes run until `condition()` holds (checked every 50 ms)."""
    deadline = time.monotonic() + within
    while True:
        if condition():
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"not within {within} s")
        await asyncio.sleep(0.05)


def outbox_marks(journals: dict[str, Path]) -> dict[str, int]:
    """Each lane's newest outbox record now (0: none waiting)."""
    marks = {}
    for lane, path in journals.items():
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT max(seq) FROM outbox").fetchone()
        marks[lane] = int(row[0] or 0)
    return marks


def waiting_up_to(journals: dict[str, Path], marks: dict[str, int]) -> int:
    """Records still in the outboxes among those written up to `marks`."""
    waiting = 0
    for lane, path in journals.items():
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            row = conn.execute("SELECT count(*) FROM outbox WHERE seq <= ?", [marks[lane]])
            waiting += int(row.fetchone()[0])
    return waiting


async def outage(
    server: PgServer,
    seconds: float,
    done: list[Charge],
    total: int,
    journals: dict[str, Path],
    lanes: list[StoreLane],
) -> Outage:
    """Stop the store once a third of the sales are done, start it `seconds` later, and
    time the drain."""
    record = Outage()
    await until(lambda: len(done) >= total // 3)
    await asyncio.to_thread(server.stop)  # pg_ctl blocks: off the loop the lanes run on
    record.stopped_at = time.time()
    await asyncio.sleep(seconds)
    await asyncio.to_thread(server.start)
    record.back_at = time.time()
    record.marks = await asyncio.to_thread(outbox_marks, journals)
    record.backlog = sum(lane.pending() for lane in lanes)
    await until(lambda: waiting_up_to(journals, record.marks) == 0)
    record.drained_at = time.time()
    return record


async def bench(
    sandbox_url: str, server: PgServer, store_url: str, args: argparse.Namespace, tmp: Path
) -> dict[str, Any]:
    account = Account(sandbox_url, CLIENT_ID, CLIENT_SECRET, SUB_ACCOUNT)
    names = [f"lane-{number:02d}" for number in range(1, args.lanes + 1)]
    journals = {name: tmp / name / "journal.sqlite3" for name in names}
    done: list[Charge] = []
    lanes: list[StoreLane] = []
    async with contextlib.AsyncExitStack() as stack:
        services = {}
        for name in names:
            journals[name].parent.mkdir()
            settings = EngineSettings(poll_interval=args.poll, lane=name)
            engine = await stack.enter_async_context(open_engine(account, journals[name], settings))
            services[name] = engine.service
            lanes.append(
                await stack.enter_async_context(
                    join_store(engine.journal, name, store_url, sync_options=APP_SYNC)
                )
            )
        started = time.time()
        sellers = [
            sell(name, services[name], f"trm_{name}", args.sales, seed, done)
            for seed, name in enumerate(names)
        ]
        outage_task = (
            asyncio.create_task(
                outage(server, args.outage, done, len(names) * args.sales, journals, lanes)
            )
            if args.outage
            else None
        )
        await asyncio.gather(*sellers)
        sold_at = time.time()
        record = await outage_task if outage_task is not None else None
        for lane in lanes:  # everything sent before the comparison
            await lane.sent(within=60.0)
        all_sent_at = time.time()
    seen = approvals_seen(store_url)
    comparisons = compare_lanes([(name, journals[name]) for name in names], store_url)
    return report(done, seen, comparisons, record, started, sold_at, all_sent_at, args)


def report(
    done: list[Charge],
    seen: dict[str, float],
    comparisons: list[Any],
    record: Outage | None,
    started: float,
    sold_at: float,
    all_sent_at: float,
    args: argparse.Namespace,
) -> dict[str, Any]:
    approved = [charge for charge in done if charge.approved_at is not None]

    def store_was_up(charge: Charge) -> bool:
        if record is None:
            return True
        drained = record.drained_at or all_sent_at
        assert charge.approved_at is not None
        return not record.stopped_at - 1.0 <= charge.approved_at <= drained

    to_store = [
        seen[charge.operation_id] - charge.approved_at
        for charge in approved
        if charge.approved_at is not None and charge.operation_id in seen and store_was_up(charge)
    ]
    never_seen = [charge.operation_id for charge in approved if charge.operation_id not in seen]
    result: dict[str, Any] = {
        "bench": "store",
        "lanes": args.lanes,
        "sales_per_lane": args.sales,
        "tap_after_s": args.tap_after,
        "poll_interval_s": args.poll,
        "charges": len(done),
        "approved": len(approved),
        "seconds": round(sold_at - started, 1),
        "approval_to_store": spread(to_store),
        "approved_never_in_store": len(never_seen),
        "lost": sum(len(c.lost) for c in comparisons),
        "duplicated": sum(len(c.duplicated) for c in comparisons),
        "stale": sum(len(c.stale) for c in comparisons),
        "records_compared": {
            "operations": sum(c.operations for c in comparisons),
            "events": sum(c.events for c in comparisons),
        },
        "problems": [p for c in comparisons for p in (c.lost + c.duplicated + c.stale)][:20],
    }
    if record is None:
        result["charge_duration"] = spread([c.seconds for c in done])
    else:

        def during(charge: Charge) -> bool:
            return charge.ended >= record.stopped_at and charge.started <= record.back_at

        inside = [c.seconds for c in done if during(c)]
        outside = [c.seconds for c in done if not during(c)]
        drained = record.drained_at or all_sent_at
        result["outage_s"] = args.outage
        result["outage_started_after_s"] = round(record.stopped_at - started, 1)
        result["drain_after_return_s"] = round(drained - record.back_at, 2)
        result["backlog_at_return"] = record.backlog
        result["charge_duration_outside_outage"] = spread(outside)
        result["charge_duration_during_outage"] = spread(inside)
    result["goals_met"] = goals_met(result)
    return result


def goals_met(result: dict[str, Any]) -> bool:
    ok = (
        result["approval_to_store"].get("p95_s", 99.0) < P95_GOAL_S
        and result["lost"] == 0
        and result["duplicated"] == 0
        and result["stale"] == 0
        and result["approved_never_in_store"] == 0
        and result["approved"] == result["charges"]
    )
    if "outage_s" in result:
        inside = result["charge_duration_during_outage"]
        outside = result["charge_duration_outside_outage"]
        ok = ok and result["drain_after_return_s"] < DRAIN_GOAL_S
        ok = ok and inside.get("n", 0) > 0 and inside["max_s"] <= outside["max_s"]
    return ok


def print_table(result: dict[str, Any]) -> None:
    def row(label: str, value: object) -> None:
        print(f"{label:<40} {value}")

    def timing(figures: dict[str, Any]) -> str:
        if not figures.get("n"):
            return "none"
        return (
            f"p50 {figures['p50_s']:.3f} s, p95 {figures['p95_s']:.3f} s, max"
            f" {figures['max_s']:.3f} s ({figures['n']})"
        )

    row(
        "lanes x sales",
        f"{result['lanes']} x {result['sales_per_lane']} (tap after {result['tap_after_s']} s,"
        f" poll {result['poll_interval_s']} s) in {result['seconds']} s",
    )
    row("approved", f"{result['approved']} of {result['charges']}")
    row("approval -> row in the store", timing(result["approval_to_store"]))
    if "charge_duration" in result:
        row("charge duration", timing(result["charge_duration"]))
    else:
        row(
            "store stopped",
            f"{result['outage_s']} s, {result['outage_started_after_s']} s into the run",
        )
        row(
            "drained after the store's return",
            f"{result['drain_after_return_s']} s ({result['backlog_at_return']} records waited)",
        )
        row("charge duration outside the outage", timing(result["charge_duration_outside_outage"]))
        row("charge duration during the outage", timing(result["charge_duration_during_outage"]))
    compared = result["records_compared"]
    row(
        "journals vs store",
        f"{compared['operations']} operations, {compared['events']} events: lost"
        f" {result['lost']}, duplicated {result['duplicated']}, stale {result['stale']},"
        f" approved never in the store {result['approved_never_in_store']}",
    )
    for problem in result["problems"]:
        print(f"  - {problem}")
    print("PASS" if result["goals_met"] else "FAIL")


async def init_schema(url: str) -> None:
    from pos_app.storage.store.connection import connect, store_address
    from pos_app.storage.store.schema import init_store

    conn = await connect(store_address(url, None))
    try:
        await init_store(conn)
    finally:
        await conn.close()


def add_terminals(url: str, names: list[str], tap_after: float) -> None:
    with httpx.Client(base_url=url, timeout=10.0) as control:
        for name in names:
            response = control.post(
                "/_sandbox/terminals",
                json={
                    "id": f"trm_{name}",
                    "nickname": name,
                    "behaviour": "auto",
                    "tap_after": tap_after,
                },
            )
            response.raise_for_status()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lanes", type=int, default=20)
    parser.add_argument("--sales", type=int, default=50, help="sales per lane")
    parser.add_argument("--tap-after", type=float, default=1.0, help="the customer's delay (s)")
    parser.add_argument("--poll", type=float, default=0.5, help="the engine's poll interval (s)")
    parser.add_argument("--outage", type=float, default=0.0, help="stop the store this long (s)")
    parser.add_argument("--json", action="store_true", help="one JSON line only")
    args = parser.parse_args(argv)
    # The sync tasks log the outage once each; the figures say it.
    logging.getLogger("pos_app").setLevel(logging.ERROR)
    logging.getLogger("psycopg").setLevel(logging.ERROR)  # "connection lost" at the stop
    names = [f"lane-{number:02d}" for number in range(1, args.lanes + 1)]
    with (
        pg_server() as server,
        sandbox_process("--time-scale", "1") as sandbox_url,
        tempfile.TemporaryDirectory() as tmp,
    ):
        store_url = server.create_database("store")
        asyncio.run(init_schema(store_url))
        watch_approvals(store_url)
        add_terminals(sandbox_url, names, args.tap_after)
        result = asyncio.run(bench(sandbox_url, server, store_url, args, Path(tmp)))
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)
    return 0 if result["goals_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
