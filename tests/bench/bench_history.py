"""How fast the history screen's queries are on a big journal.

    .venv/bin/python -m tests.bench.bench_history [--rows 100000] [--runs 20] [--json]

Fills a temporary file journal with a year of realistic operations in one
transaction, then prints the median time (ms) of each query the history
screen and the start-up reconciliation run. Goal: each under 100 ms.
`--json` prints one JSON line instead of the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pos_app.domain.payment_flow import PaymentKind, StateName
from pos_app.services.ports import HistoryQuery, Operation
from pos_app.storage.journal import SqliteJournal

_YEAR = timedelta(days=365)
_BRANDS = (("visa", 50), ("mastercard", 30), ("amex", 12), ("discover", 8))
_STATUSES = (
    (StateName.APPROVED, 850),
    (StateName.DECLINED, 80),
    (StateName.CANCELLED, 40),
    (StateName.TIMED_OUT, 20),
    (StateName.UNRESOLVED, 5),
    (StateName.WAITING, 1),
)
_KINDS = ((PaymentKind.CHARGE, 93), (PaymentKind.REFUND, 5), (PaymentKind.VOID, 2))
_ITEMS = (
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
)
# Six people behind the counter; one of them ("Ida") works one day a month.
_STAFF = (("Ann", 40), ("Bea", 25), ("Cy", 20), ("Dev", 10), ("Zoë", 4), ("Ida", 1))
_APPROVERS = ("Bea", "Zoë")
_COMMON_AMOUNTS = (350, 425, 500, 650, 895, 1000, 1250, 1500, 2000, 2500)


def _weighted(rng: random.Random, table: Sequence[tuple[Any, int]]) -> Any:
    values, weights = zip(*table, strict=True)
    return rng.choices(values, weights)[0]


def _description(rng: random.Random) -> str | None:
    roll = rng.random()
    if roll < 0.15:
        return None
    if roll < 0.55:
        return f"Table {rng.randint(1, 40)}: {rng.randint(1, 3)} {rng.choice(_ITEMS)}"
    return f"Order #{rng.randint(10_000, 99_999)} {rng.choice(_ITEMS)}"


def make_operations(rows: int, seed: int = 7) -> Iterator[Operation]:
    """A year of operations, oldest first, with JustiFi-like ids and realistic spreads."""
    rng = random.Random(seed)
    # People come from their own generator, so the rest matches runs before named staff.
    people = random.Random(seed + 1)
    now = datetime.now(UTC)
    start = now - _YEAR
    offsets = sorted(rng.random() * _YEAR.total_seconds() for _ in range(rows))
    for offset in offsets:
        created = start + timedelta(seconds=offset)
        kind = _weighted(rng, _KINDS)
        status = _weighted(rng, _STATUSES)
        amount = rng.choice(_COMMON_AMOUNTS) if rng.random() < 0.5 else rng.randint(100, 25_000)
        approved = status is StateName.APPROVED
        carded = status in (StateName.APPROVED, StateName.DECLINED)
        yield Operation(
            id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            kind=kind,
            amount_cents=amount,
            status=status.value,
            flow="payment_intent",
            terminal_id=f"trm_{rng.randint(1, 6)}",
            description=_description(rng),
            lane=f"lane-{rng.randint(1, 3)}",
            create_key=uuid.UUID(int=rng.getrandbits(128), version=4).hex,
            send_key=uuid.UUID(int=rng.getrandbits(128), version=4).hex,
            sale_id=f"pi_{rng.getrandbits(64):016x}",
            payment_id=f"py_{rng.getrandbits(64):016x}" if approved else None,
            refund_id=(
                f"re_{rng.getrandbits(64):016x}"
                if approved and kind is not PaymentKind.CHARGE
                else None
            ),
            card_brand=_weighted(rng, _BRANDS) if carded else None,
            card_last4=f"{rng.randint(0, 9999):04d}" if carded else None,
            decline_code="card_declined" if status is StateName.DECLINED else None,
            decline_message="Card declined" if status is StateName.DECLINED else None,
            served_by=_weighted(people, _STAFF),
            approved_by=(None if kind is PaymentKind.CHARGE else people.choice(_APPROVERS)),
            created_at=created,
            updated_at=created + timedelta(seconds=rng.uniform(3, 60)),
        )


def _median_ms(run: Callable[[], object], runs: int) -> tuple[float, int]:
    """Median wall time in ms over `runs` calls, and the size of the last result."""
    times: list[float] = []
    size = 0
    for _ in range(runs):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
        size = len(result) if isinstance(result, list) else int(result is not None)
    return statistics.median(times), size


def run_bench(rows: int, runs: int) -> dict[str, Any]:
    """Fill a temp-file journal with `rows` operations and time each query."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.sqlite3"
        operations = list(make_operations(rows))
        with SqliteJournal(path) as journal:
            started = time.perf_counter()
            asyncio.run(journal.begin_many(operations))
            fill_s = time.perf_counter() - started

            sample = operations[len(operations) // 2]
            paid = next(
                op
                for op in reversed(operations)
                if op.kind is PaymentKind.CHARGE and op.payment_id and op.card_last4
            )
            day = sample.created_at.replace(hour=0, minute=0, second=0, microsecond=0)
            queries: dict[str, Callable[[], object]] = {
                "newest 100": lambda: journal.history(HistoryQuery()),
                "by amount": lambda: journal.history(HistoryQuery(amount_cents=1250)),
                "by amount (rare)": lambda: journal.history(HistoryQuery(amount_cents=24_999)),
                "by last four": lambda: journal.history(HistoryQuery(card_last4=paid.card_last4)),
                "by status (declined)": lambda: journal.history(
                    HistoryQuery(statuses=(StateName.DECLINED,))
                ),
                "by status (declined+cancelled)": lambda: journal.history(
                    HistoryQuery(statuses=(StateName.DECLINED, StateName.CANCELLED))
                ),
                "by status (approved+declined)": lambda: journal.history(
                    HistoryQuery(statuses=(StateName.APPROVED, StateName.DECLINED))
                ),
                "by date range (one day)": lambda: journal.history(
                    HistoryQuery(since=day, until=day + timedelta(days=1))
                ),
                "text in description": lambda: journal.history(HistoryQuery(text="CAFÉ")),
                "text, no match (worst)": lambda: journal.history(HistoryQuery(text="zzzz")),
                "text = JustiFi id": lambda: journal.history(HistoryQuery(text=paid.payment_id)),
                "by person (frequent)": lambda: journal.history(HistoryQuery(person="ann")),
                "by person (rare)": lambda: journal.history(HistoryQuery(person="IDA")),
                "by person, no match": lambda: journal.history(HistoryQuery(person="Nobody")),
                "by person (approver)": lambda: journal.history(HistoryQuery(person="zoë")),
                "person + one day": lambda: journal.history(
                    HistoryQuery(person="Bea", since=day, until=day + timedelta(days=1))
                ),
                "people() (person filter's list)": journal.people,
                "find_by_justifi_id": lambda: journal.find_by_justifi_id(paid.payment_id or ""),
                "unfinished()": journal.unfinished,
            }
            timings = {}
            for name, run in queries.items():
                median, size = _median_ms(run, runs)
                timings[name] = {"ms": round(median, 3), "rows": size}
        # After close, the write-ahead log is folded back into the file.
        file_mb = round(path.stat().st_size / 1_000_000, 1)
    return {
        "bench": "history",
        "rows": rows,
        "runs": runs,
        "fill_s": round(fill_s, 3),
        "file_mb": file_mb,
        "queries": timings,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the benchmark, print a table or one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    result = run_bench(args.rows, args.runs)
    if args.json:
        print(json.dumps(result, separators=(",", ":")))
        return 0
    print(f"journal history benchmark: {result['rows']:,} operations, median of {args.runs} runs")
    print(f"fill (one transaction): {result['fill_s']:.2f} s, file {result['file_mb']} MB")
    width = max(len(name) for name in result["queries"])
    print(f"{'query':<{width}}  {'ms':>8}  {'rows':>5}")
    for name, figures in result["queries"].items():
        flag = "" if figures["ms"] < 100 else "  (over 100 ms)"
        print(f"{name:<{width}}  {figures['ms']:>8.2f}  {figures['rows']:>5}{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
