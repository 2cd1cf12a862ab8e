"""How fast the counter's ticket, shift and cash reads are on a big journal.

    .venv/bin/python -m tests.bench.bench_tickets [--tickets 100000] [--movements 100000]
        [--shifts 200] [--runs 20] [--json]

Fills a temporary file journal in one transaction with a year of shifts on two
lanes, tickets of three lines each (most paid, a few still open, some cancelled),
cash movements (each cash sale's part, then refunds, paid in and out, no-sale
openings) and the card parts as journaled charges, then prints the median time
(ms) of each read the counter makes. Goal: `open_tickets()`, `shift_tickets()`
and `cash_movements(shift_id=...)` each under 20 ms. `--json` prints one JSON
line instead of the table.
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
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pos_app.domain.payment_flow import PaymentKind, StateName
from pos_app.domain.tickets import (
    CashMovement,
    CashMovementKind,
    Shift,
    Ticket,
    TicketLine,
    TicketStatus,
)
from pos_app.services.ports import Operation
from pos_app.storage.journal import SqliteJournal

_YEAR = timedelta(days=365)
_LANES = ("lane-1", "lane-2")
_STAFF = ("Ann", "Bea", "Cy", "Dev", "Zoë")
_ITEMS = (("Latte", 450), ("Croissant", 300), ("Bagel", 275), ("Tea", 250), ("Muffin", 325))
_OTHER_KINDS = (
    (CashMovementKind.REFUND, 30),
    (CashMovementKind.PAID_IN, 20),
    (CashMovementKind.PAID_OUT, 20),
    (CashMovementKind.NO_SALE, 25),
    (CashMovementKind.CANCEL_RETURN, 5),
)
GOAL_MS = 20.0


@dataclass
class Records:
    """What the bench journals: everything in one transaction."""

    shifts: list[Shift] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    movements: list[CashMovement] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ticket(rng: random.Random, shift: Shift, created: datetime, status: TicketStatus) -> Ticket:
    lines = []
    for _ in range(3):
        name, price = rng.choice(_ITEMS)
        discount = price // 10 if rng.random() < 0.05 else 0
        lines.append(
            TicketLine(name, rng.randint(1, 3), price, discount_cents=discount, item_code=name[:3])
        )
    subtotal = sum(line.net_cents for line in lines)
    tax = (subtotal * 8 + 50) // 100
    return Ticket(
        id=_id(rng),
        lane=shift.lane,
        status=status,
        lines=tuple(lines),
        subtotal_cents=subtotal,
        sale_discount_cents=0,
        tax_cents=tax,
        total_cents=subtotal + tax,
        created_at=created,
        updated_at=created + timedelta(seconds=rng.uniform(5, 90)),
        served_by=rng.choice(_STAFF),
        shift_id=shift.id,
    )


def _shifts(rng: random.Random, count: int, now: datetime) -> list[Shift]:
    """`count` shifts over the last year, alternating lanes; the newest of each lane open."""
    length = _YEAR / count
    shifts = []
    for number in range(count):
        opened = now - _YEAR + length * number
        open_now = number >= count - len(_LANES)
        shifts.append(
            Shift(
                id=_id(rng),
                lane=_LANES[number % len(_LANES)],
                opened_at=opened,
                opened_by=rng.choice(_STAFF),
                float_cents=10_000,
                closed_at=None if open_now else opened + length * 0.95,
                counted_cents=None if open_now else rng.randint(20_000, 90_000),
                expected_cents=None if open_now else rng.randint(20_000, 90_000),
                count=None if open_now else {2000: rng.randint(0, 20), 100: rng.randint(0, 50)},
            )
        )
    return shifts


def make_records(
    tickets: int, movements: int, shifts: int, open_tickets: int = 25, seed: int = 11
) -> Records:
    """A year of a busy two-lane shop: tickets spread over the shifts, oldest first."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    records = Records(shifts=_shifts(rng, shifts, now))
    length = _YEAR / shifts
    for number in range(tickets):
        shift = records.shifts[number * shifts // tickets]
        created = shift.opened_at + length * 0.9 * rng.random()
        # The last few tickets are still owing (rung up, partly paid or not at all).
        status = TicketStatus.OPEN if number >= tickets - open_tickets else TicketStatus.COMPLETE
        if status is TicketStatus.COMPLETE and rng.random() < 0.01:
            status = TicketStatus.CANCELLED
        ticket = _ticket(rng, shift, created, status)
        records.tickets.append(ticket)
        # Four sales in five are paid in cash (while movements are left to make).
        if rng.random() < 0.8 and len(records.movements) < movements:
            records.movements.append(_cash_part(rng, ticket))
        else:
            records.operations.append(_card_part(rng, ticket))
    for _ in range(movements - len(records.movements)):
        shift = rng.choice(records.shifts)
        kind = rng.choices([k for k, _ in _OTHER_KINDS], [w for _, w in _OTHER_KINDS])[0]
        records.movements.append(
            CashMovement(
                id=_id(rng),
                shift_id=shift.id,
                kind=kind,
                amount_cents=0 if kind is CashMovementKind.NO_SALE else rng.randint(100, 5000),
                at=shift.opened_at + length * 0.9 * rng.random(),
                person=rng.choice(_STAFF),
                reason="bench",
            )
        )
    records.movements.sort(key=lambda movement: movement.at)
    return records


def _cash_part(rng: random.Random, ticket: Ticket) -> CashMovement:
    tendered = -(-ticket.total_cents // 500) * 500
    return CashMovement(
        id=_id(rng),
        shift_id=ticket.shift_id or "",
        kind=CashMovementKind.SALE,
        amount_cents=ticket.total_cents,
        at=ticket.updated_at,
        person=ticket.served_by,
        ticket_id=ticket.id,
        tendered_cents=tendered,
        change_cents=tendered - ticket.total_cents,
    )


def _card_part(rng: random.Random, ticket: Ticket) -> Operation:
    return Operation(
        id=_id(rng),
        kind=PaymentKind.CHARGE,
        amount_cents=ticket.total_cents,
        status=StateName.APPROVED.value,
        flow="payment_intent",
        terminal_id="trm_1",
        lane=ticket.lane,
        create_key=uuid.UUID(int=rng.getrandbits(128), version=4).hex,
        send_key=uuid.UUID(int=rng.getrandbits(128), version=4).hex,
        sale_id=f"pi_{rng.getrandbits(64):016x}",
        payment_id=f"py_{rng.getrandbits(64):016x}",
        card_brand="visa",
        card_last4=f"{rng.randint(0, 9999):04d}",
        served_by=ticket.served_by,
        ticket_id=ticket.id,
        shift_id=ticket.shift_id,
        created_at=ticket.created_at,
        updated_at=ticket.updated_at,
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


async def _time_writes(
    journal: SqliteJournal, shift: Shift, runs: int, seed: int = 13
) -> dict[str, dict[str, float]]:
    """Median ms of a sale's two writes at the counter: the ticket, then its cash part
    completing it (each one transaction, synced), on the full journal."""
    rng = random.Random(seed)
    added: list[float] = []
    paid: list[float] = []
    for _ in range(runs):
        ticket = _ticket(rng, shift, datetime.now(UTC), TicketStatus.OPEN)
        started = time.perf_counter()
        await journal.add_ticket(ticket)
        added.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        await journal.add_cash_movement(_cash_part(rng, ticket), complete_ticket=True)
        paid.append((time.perf_counter() - started) * 1000)
    return {
        "add_ticket (3 lines)": {"ms": round(statistics.median(added), 3), "rows": 1},
        "add_cash_movement(complete_ticket)": {
            "ms": round(statistics.median(paid), 3),
            "rows": 1,
        },
    }


def run_bench(tickets: int, movements: int, shifts: int, runs: int) -> dict[str, Any]:
    """Fill a temp-file journal and time each of the counter's reads."""
    records = make_records(tickets, movements, shifts)
    per_shift = Counter(ticket.shift_id for ticket in records.tickets)
    cash_per_shift = Counter(movement.shift_id for movement in records.movements)
    busiest = max(per_shift, key=lambda shift_id: per_shift[shift_id] + cash_per_shift[shift_id])
    current = records.shifts[-1]  # open, on the last lane
    paid = records.tickets[len(records.tickets) // 2]
    carded = records.operations[len(records.operations) // 2].ticket_id or ""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.sqlite3"
        with SqliteJournal(path) as journal:
            started = time.perf_counter()
            asyncio.run(
                journal.add_many(
                    shifts=records.shifts, tickets=records.tickets, movements=records.movements
                )
            )
            asyncio.run(journal.begin_many(records.operations))
            fill_s = time.perf_counter() - started
            queries: dict[str, Callable[[], object]] = {
                "open_tickets()": journal.open_tickets,
                "shift_tickets(current shift)": lambda: journal.shift_tickets(current.id),
                "shift_tickets(busiest shift)": lambda: journal.shift_tickets(busiest),
                "cash_movements(shift_id=current)": lambda: journal.cash_movements(
                    shift_id=current.id
                ),
                "cash_movements(shift_id=busiest)": lambda: journal.cash_movements(
                    shift_id=busiest
                ),
                "cash_movements(ticket_id=...)": lambda: journal.cash_movements(ticket_id=paid.id),
                "cash_movements(one day)": lambda: journal.cash_movements(
                    since=paid.created_at, until=paid.created_at + timedelta(days=1)
                ),
                "tickets_between(one day)": lambda: journal.tickets_between(
                    paid.created_at, paid.created_at + timedelta(days=1)
                ),
                "ticket(id)": lambda: journal.ticket(paid.id),
                "current_shift(lane)": lambda: journal.current_shift(current.lane),
                "recent_shifts(lane)": lambda: journal.recent_shifts(current.lane),
                "ticket_operations(id)": lambda: journal.ticket_operations(carded),
                "shift_operations(busiest)": lambda: journal.shift_operations(busiest),
            }
            timings = {}
            for name, run in queries.items():
                median, size = _median_ms(run, runs)
                timings[name] = {"ms": round(median, 3), "rows": size}
            writes = asyncio.run(_time_writes(journal, current, runs))
        file_mb = round(path.stat().st_size / 1_000_000, 1)
    return {
        "bench": "tickets",
        "tickets": tickets,
        "lines": sum(len(ticket.lines) for ticket in records.tickets),
        "movements": movements,
        "operations": len(records.operations),
        "shifts": shifts,
        "runs": runs,
        "fill_s": round(fill_s, 3),
        "file_mb": file_mb,
        "queries": timings,
        "writes": writes,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, run the benchmark, print a table or one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--movements", type=int, default=100_000)
    parser.add_argument("--shifts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    result = run_bench(args.tickets, args.movements, args.shifts, args.runs)
    if args.json:
        print(json.dumps(result, separators=(",", ":")))
        return 0
    print(
        f"journal tickets benchmark: {result['tickets']:,} tickets ({result['lines']:,} lines), "
        f"{result['movements']:,} cash movements, {result['operations']:,} card charges, "
        f"{result['shifts']} shifts; median of {args.runs} runs"
    )
    print(f"fill (one transaction each): {result['fill_s']:.2f} s, file {result['file_mb']} MB")
    width = max(len(name) for name in (*result["queries"], *result["writes"]))
    print(f"{'query':<{width}}  {'ms':>8}  {'rows':>5}")
    for name, figures in result["queries"].items():
        flag = "" if figures["ms"] < GOAL_MS else f"  (over {GOAL_MS:g} ms)"
        print(f"{name:<{width}}  {figures['ms']:>8.2f}  {figures['rows']:>5}{flag}")
    print("writes (one transaction each, synced; the event loop's share of a sale):")
    for name, figures in result["writes"].items():
        print(f"{name:<{width}}  {figures['ms']:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
