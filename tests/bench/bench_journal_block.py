"""How long journal writes hold the event loop, with and without another process writing.

A 1 ms ticker runs on the loop while a charge's worth of journal writes (one
`begin`, four `record_state`s) repeats; another process (as a CLI lane on the
same file would) takes the write lock and holds it for `--hold` ms every
`--every` ms. Prints the longest gap between ticks (the longest the loop stood
still), the 99th percentile, and the slowest read while the other process held
the lock. `--sync` runs the writes the old way (SQLite's 10 s busy timeout on
the loop's thread) for comparison.

    python -m tests.bench.bench_journal_block [--charges 40] [--hold 300] [--every 400] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from pos_app.domain.payment_flow import PaymentKind, StateName, initial_state
from pos_app.services.ports import HistoryQuery, Operation
from pos_app.storage.journal import SqliteJournal

# Holds the lock for HOLD ms, lets go for (EVERY - HOLD) ms, until stdin closes.
_COMPETITOR = """
import sqlite3, sys, threading, time
hold, every = float(sys.argv[2]) / 1000, float(sys.argv[3]) / 1000
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
print("ready", flush=True)
while not stop.is_set():
    conn.execute("BEGIN IMMEDIATE")
    time.sleep(hold)
    conn.execute("COMMIT")
    time.sleep(max(every - hold, 0.001))
"""

# Between two writes of a charge the engine waits on JustiFi; 10 ms stands in.
PAUSE_S = 0.01
STEPS = (StateName.SENDING, StateName.WAITING, StateName.RETRYING, StateName.APPROVED)


def operation() -> Operation:
    return Operation(
        id=str(uuid.uuid4()),
        kind=PaymentKind.CHARGE,
        amount_cents=1250,
        status=StateName.PREPARING.value,
        flow="payment_intent",
        terminal_id="trm_bench",
        description="bench",
        create_key=str(uuid.uuid4()),
        send_key=str(uuid.uuid4()),
    )


class Ticker:
    """Every gap between 1 ms ticks, in seconds beyond the interval."""

    def __init__(self) -> None:
        self.gaps: list[float] = []

    async def run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.gaps.append(max(0.0, now - last - 0.001))
            last = now


async def charges(journal: SqliteJournal, count: int, *, sync: bool) -> None:
    for _ in range(count):
        op = operation()
        if sync:
            await journal.begin(op)  # the insert as today, then the updates the old way
            for name in STEPS:
                op.status = name.value
                with journal._write() as conn:
                    conn.execute(
                        "UPDATE operations SET status = ? WHERE id = ?", (op.status, op.id)
                    )
                await asyncio.sleep(PAUSE_S)
            continue
        await journal.begin(op)
        state = initial_state(PaymentKind.CHARGE, op.amount_cents, op.terminal_id)
        for name in STEPS:
            state = replace(state, name=name, intent_id="pi_bench")
            await journal.record_state(op, state)
            await asyncio.sleep(PAUSE_S)


async def measure(path: Path, count: int, *, sync: bool, competitor: bool) -> dict[str, Any]:
    journal = SqliteJournal(path)
    if sync:
        journal._conn.execute("PRAGMA busy_timeout = 10000")  # as before: wait inside SQLite
    ticker = Ticker()
    reads: list[float] = []
    tick = asyncio.ensure_future(ticker.run())
    started = time.perf_counter()
    try:
        writes = asyncio.ensure_future(charges(journal, count, sync=sync))
        while not writes.done():
            began = time.perf_counter()
            journal.history(HistoryQuery(limit=50))
            reads.append(time.perf_counter() - began)
            await asyncio.wait({writes}, timeout=0.01)
        await writes
    finally:
        tick.cancel()
        await asyncio.gather(tick, return_exceptions=True)
        journal.close()
    elapsed = time.perf_counter() - started
    gaps = sorted(ticker.gaps)
    return {
        "mode": "sync (old)" if sync else "async",
        "competitor": competitor,
        "charges": count,
        "seconds": round(elapsed, 2),
        "longest_stall_ms": round(gaps[-1] * 1000, 1),
        "p99_stall_ms": round(gaps[int(len(gaps) * 0.99)] * 1000, 1),
        "median_gap_ms": round(statistics.median(gaps) * 1000, 2),
        "slowest_read_ms": round(max(reads) * 1000, 2),
    }


def run_case(args: argparse.Namespace, *, sync: bool, competitor: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.sqlite3"
        SqliteJournal(path).close()
        process = None
        if competitor:
            process = subprocess.Popen(
                [sys.executable, "-c", _COMPETITOR, str(path), str(args.hold), str(args.every)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert process.stdout is not None
            process.stdout.readline()
        try:
            return asyncio.run(measure(path, args.charges, sync=sync, competitor=competitor))
        finally:
            if process is not None:
                assert process.stdin is not None
                process.stdin.close()
                process.wait(timeout=30)
                if process.stdout is not None:
                    process.stdout.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charges", type=int, default=40)
    parser.add_argument("--hold", type=float, default=300.0, help="ms the other process holds")
    parser.add_argument("--every", type=float, default=400.0, help="ms between its holds")
    parser.add_argument("--sync", action="store_true", help="also run the old synchronous way")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    cases = [(False, False), (False, True)]
    if args.sync:
        cases.append((True, True))
    rows = [run_case(args, sync=sync, competitor=competitor) for sync, competitor in cases]
    for row in rows:
        if args.json:
            print(json.dumps(row))
        else:
            other = f"other process holds {args.hold:g} of every {args.every:g} ms"
            print(
                f"{row['mode']:>10}, {other if row['competitor'] else 'no other process':<40}"
                f" longest stall {row['longest_stall_ms']:7.1f} ms"
                f"  p99 {row['p99_stall_ms']:5.1f} ms"
                f"  slowest read {row['slowest_read_ms']:5.2f} ms"
                f"  ({row['charges']} charges in {row['seconds']} s)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
