"""What taking the store's shared data costs a lane, and `audit verify`'s comparison.

Starts a throwaway PostgreSQL (tests/support/postgres.py) with the store's schema,
puts `--people` people in it, and times on one open connection:

- a staff pull when nothing changed (the query, and the merge alone: the part that
  runs on the window's thread between awaits), then a pull where every person changed
  (each one written with its staff_synced entry, the pull yielding between writes),
  and one person's write alone (what a frame waits for);
- a catalog pull and a settings pull when nothing changed (a read and a compare);
- `compare_audit_with_store` on a chain of `--entries` entries: when it matches (one
  query), and when it differs from entry 1 (found by halving);
- `load_settings()` on a lane in a store, with and without store-settings.toml.

Each figure is the median of `--runs`.

    python -m tests.bench.bench_store_shared [--people 50] [--entries 2000] [--runs 20] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pos_app.domain.store_shared import STORE_SETTINGS_FILE
from pos_app.services.audit_log import AuditAction
from pos_app.services.manager import ManagerService
from pos_app.services.store_ports import LaneIdentity, RecordKind, StoreRecord
from pos_app.services.store_shared import (
    CatalogPull,
    SettingsPull,
    StaffPull,
    compare_audit_with_store,
    settings_toml,
)
from pos_app.storage.audit import SqliteAuditLog
from pos_app.storage.store import init_store_at
from pos_app.storage.store.connection import store_address
from pos_app.storage.store.link import PgStoreLink
from tests.support.manager import FAST_SCRYPT
from tests.support.postgres import pg_server

LANE = LaneIdentity("lane-1", "uid-bench-1")
CATALOG = "".join(
    f'[[item]]\ncode = "I{n}"\nname = "Item {n}"\nprice = "{n % 50 + 1}.25"\n\n' for n in range(300)
)
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def person(n: int, minutes: float, tries: int = 0) -> StoreRecord:
    return StoreRecord(
        RecordKind.STAFF,
        f"Person {n:03d}",
        {
            "name": f"Person {n:03d}",
            "role": "cashier",
            "active": True,
            "pin_hash": "scrypt$16384$8$1$c2FsdA$aGFzaA",
            "failed_tries": tries,
            "locked_until": None,
            "changed_at": (T0 + timedelta(minutes=minutes)).isoformat(),
        },
    )


async def timed(work: Callable[[], Awaitable[Any]], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def measure(url: str, people: int, entries: int, runs: int, base: Path) -> dict[str, Any]:
    address = store_address(url, None)
    await init_store_at(address)
    link = PgStoreLink(address)
    await link.send(LANE, [person(n, 1) for n in range(people)], 0)
    await link.put_catalog(CATALOG, "bench")
    await link.put_store_settings({"tax_rate_bps": 825, "receipt_header": "Bench"}, "bench")
    figures: dict[str, Any] = {"people": people, "entries": entries, "runs": runs}

    with SqliteAuditLog(base / "lane-2.sqlite3", lane="lane-2", shared_pins=True) as log:
        pull = StaffPull(log, "lane-2")
        await pull.pull(link)  # everyone added once
        figures["staff_pull_unchanged_ms"] = await timed(lambda: pull.pull(link), runs)
        got = await link.staff_since(None)

        def merge_all() -> None:
            for one in got:
                pull.merge(one)

        started = time.perf_counter()
        for _ in range(runs):
            merge_all()
        figures["staff_merge_unchanged_ms"] = (time.perf_counter() - started) / runs * 1000
        await link.send(LANE, [person(n, 2, tries=3) for n in range(people)], 0)
        started = time.perf_counter()
        await pull.pull(link)
        figures["staff_pull_all_changed_ms"] = (time.perf_counter() - started) * 1000
        await link.send(LANE, [person(n, 3, tries=4) for n in range(people)], 0)
        each = []
        for one in await link.staff_since(None):  # one person written: what a frame waits
            started = time.perf_counter()
            assert pull.merge(one) is not None
            each.append(time.perf_counter() - started)
        figures["staff_merge_one_change_median_ms"] = statistics.median(each) * 1000
        figures["staff_merge_one_change_max_ms"] = max(each) * 1000

    catalog, settings = CatalogPull(base), SettingsPull(base)
    await catalog.pull(link)
    await settings.pull(link)
    figures["catalog_pull_unchanged_ms"] = await timed(lambda: catalog.pull(link), runs)
    figures["settings_pull_unchanged_ms"] = await timed(lambda: settings.pull(link), runs)

    with SqliteAuditLog(":memory:", lane="lane-1") as log:
        service = ManagerService(log, log, lane="lane-1", scrypt=FAST_SCRYPT)
        await log.enable_outbox()
        for n in range(entries):
            service.record(AuditAction.SETTINGS_CHANGE, None, {"n": n})
        while (batch := log.outbox_batch(500)) is not None:
            await link.send(LANE, batch.records, 0)
            await log.acknowledge(batch.last_seq)
        figures["audit_compare_match_ms"] = await timed(
            lambda: compare_audit_with_store(service, link, LANE.name), runs
        )
    with SqliteAuditLog(":memory:", lane="lane-1") as other:  # another chain: differs at 1
        service = ManagerService(other, other, lane="lane-1", scrypt=FAST_SCRYPT)
        for n in range(entries):
            service.record(AuditAction.SETTINGS_CHANGE, None, {"n": -n})
        check = await compare_audit_with_store(service, link, LANE.name)
        assert check.differs_at == 1, check
        figures["audit_compare_differs_ms"] = await timed(
            lambda: compare_audit_with_store(service, link, LANE.name), runs
        )
    await link.close()
    return figures


def settings_load_ms(base: Path, runs: int) -> tuple[float, float]:
    from pos_app.config import load_settings

    os.environ["POS_DATA_DIR"] = str(base / "data")
    os.environ["POS_CONFIG_DIR"] = str(base / "config")
    os.environ["POS_STORE_URL"] = "postgresql://pos@store-server/pos_store"
    (base / "data").mkdir(exist_ok=True)
    store_file = base / "data" / STORE_SETTINGS_FILE

    def median() -> float:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            load_settings()
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    store_file.unlink(missing_ok=True)
    without = median()
    text = settings_toml({"tax_rate_bps": 825, "receipt_header": "Bench\nMain St"})
    assert text is not None
    store_file.write_text(text, encoding="utf-8")
    return without, median()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, pg_server() as server:
        base = Path(folder)
        figures = asyncio.run(
            measure(server.create_database(), args.people, args.entries, args.runs, base)
        )
        without, with_file = settings_load_ms(base, max(args.runs, 50))
    figures["load_settings_ms"] = without
    figures["load_settings_with_store_file_ms"] = with_file
    if args.json:
        print(json.dumps(figures))
        return
    print(
        f"Shared data, {args.people} people, {args.entries} audit entries, median of {args.runs}:"
    )
    for key, value in figures.items():
        if key.endswith("_ms"):
            print(f"  {key[:-3].replace('_', ' ')}: {value:.2f} ms")


if __name__ == "__main__":
    main()
