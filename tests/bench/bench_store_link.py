"""What one `PgStoreLink.send` costs: a batch of records written in one transaction.

Starts a throwaway PostgreSQL (tests/support/postgres.py), sets up the store's
schema, and sends `--batches` batches of `--size` records each (a sale's worth
at a time: an operation, its two events, its ticket with two lines, an audit
entry), then the same batches again (a resend after a lost acknowledgement,
which writes nothing new). Prints the median and slowest send of each, on an
open connection.

    python -m tests.bench.bench_store_link [--size 500] [--batches 20] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from pos_app.services.store_ports import StoreRecord
from pos_app.storage.store import init_store_at
from pos_app.storage.store.connection import store_address
from pos_app.storage.store.link import PgStoreLink
from tests.support.postgres import pg_server
from tests.support.store_records import LANE_1, audit, event, line, operation, ticket


def sale_batch(batch: int, size: int) -> list[StoreRecord]:
    """`size` records, five per sale, numbered after the batches before."""
    records: list[StoreRecord] = []
    first = batch * size
    for n in range(first, first + size // 5):
        records += [
            operation(f"op_{n}", "approved", 1, card_brand="visa", card_last4="4242"),
            event(2 * n + 1, f"op_{n}", "pending"),
            event(2 * n + 2, f"op_{n}", "approved"),
            ticket(f"tk_{n}", "paid", 1, [line(1, "Tea"), line(2, "Cake", 2)]),
            audit(n + 1),
        ]
    return records


async def measure(url: str, size: int, batches: int) -> dict[str, float]:
    address = store_address(url, None)
    await init_store_at(address)
    link = PgStoreLink(address)
    await link.heartbeat(LANE_1, 0)
    all_batches = [sale_batch(b, size) for b in range(batches)]
    first: list[float] = []
    again: list[float] = []
    for records in all_batches:
        started = time.perf_counter()
        await link.send(LANE_1, records, 0)
        first.append(time.perf_counter() - started)
    for records in all_batches:
        started = time.perf_counter()
        await link.send(LANE_1, records, 0)
        again.append(time.perf_counter() - started)
    await link.close()
    return {
        "size": size,
        "batches": batches,
        "send_median_ms": statistics.median(first) * 1000,
        "send_max_ms": max(first) * 1000,
        "resend_median_ms": statistics.median(again) * 1000,
        "resend_max_ms": max(again) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=500)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with pg_server() as server:
        figures = asyncio.run(measure(server.create_database(), args.size, args.batches))
    if args.json:
        print(json.dumps(figures))
        return
    print(f"PgStoreLink.send, {args.batches} batches of {args.size} records (loopback):")
    print(
        f"  first send: median {figures['send_median_ms']:.1f} ms,"
        f" slowest {figures['send_max_ms']:.1f} ms"
    )
    print(
        f"  resend:     median {figures['resend_median_ms']:.1f} ms,"
        f" slowest {figures['resend_max_ms']:.1f} ms"
    )


if __name__ == "__main__":
    main()
