"""What the store's outbox costs the payment path: a journal write with and without it.

A charge's worth of journal writes (one `begin`, four `record_state`s: each a
synced commit) repeats on a journal file, first on a lane without a store (the
outbox off: its triggers only read `outbox_state`), then on the same kind of
file with the outbox on (each write also queues its records). Prints the median,
p95 and max of one write, both ways, and what reading and acknowledging a batch
of 500 records takes (the sync task's work on the loop).

    python -m tests.bench.bench_outbox [--charges 200] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

from pos_app.domain.payment_flow import PaymentKind, StateName
from pos_app.services.ports import Operation
from pos_app.storage.journal import SqliteJournal

STEPS = (StateName.SENDING, StateName.WAITING, StateName.APPROVED, StateName.APPROVED)


def operation() -> Operation:
    return Operation(
        id=str(uuid.uuid4()),
        kind=PaymentKind.CHARGE,
        amount_cents=1250,
        status=StateName.PREPARING.value,
        flow="payment_intent",
        terminal_id="trm_bench",
        description="Bench latte",
        create_key=str(uuid.uuid4()),
        send_key=str(uuid.uuid4()),
        served_by="Ann",
    )


async def writes(journal: SqliteJournal, charges: int) -> list[float]:
    """The duration (ms) of every journal write of `charges` charges."""
    took: list[float] = []
    for _ in range(charges):
        op = operation()
        started = time.perf_counter()
        await journal.begin(op)
        took.append((time.perf_counter() - started) * 1000)
        for step in STEPS:
            op = replace(op, status=step.value, payment_id=f"py_{op.id[:8]}")
            started = time.perf_counter()
            await journal.update(op)
            took.append((time.perf_counter() - started) * 1000)
    return took


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 3),
        "max_ms": round(ordered[-1], 3),
    }


async def measure(charges: int, folder: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {"charges": charges, "writes": charges * (1 + len(STEPS))}
    with SqliteJournal(folder / "alone.sqlite3") as journal:
        await writes(journal, 10)  # warm up
        figures["without_outbox"] = summary(await writes(journal, charges))
        assert journal.outbox_count() == 0
    with SqliteJournal(folder / "store.sqlite3") as journal:
        await journal.enable_outbox()
        await writes(journal, 10)
        await journal.acknowledge(1 << 62)
        figures["with_outbox"] = summary(await writes(journal, charges))
        figures["queued"] = journal.outbox_count()
        batches: list[float] = []
        acks: list[float] = []
        while True:
            started = time.perf_counter()
            batch = journal.outbox_batch(500)
            if batch is None:
                break
            batches.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await journal.acknowledge(batch.last_seq)
            acks.append((time.perf_counter() - started) * 1000)
        figures["read_batch_of_500"] = summary(batches)
        figures["acknowledge"] = summary(acks)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charges", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        figures = asyncio.run(measure(args.charges, Path(folder)))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{figures['writes']} journal writes ({figures['charges']} charges), one write:")
    for name in ("without_outbox", "with_outbox"):
        f = figures[name]
        print(
            f"  {name.replace('_', ' '):16} median {f['median_ms']:.2f} ms, p95 "
            f"{f['p95_ms']:.2f} ms, max {f['max_ms']:.2f} ms"
        )
    for name in ("read_batch_of_500", "acknowledge"):
        f = figures[name]
        label = name.replace("_", " ")
        print(f"  {label:16} median {f['median_ms']:.2f} ms, max {f['max_ms']:.2f} ms")


if __name__ == "__main__":
    main()
