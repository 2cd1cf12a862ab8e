"""What the command line's cash and shift commands cost a lane with no screen.

    .venv/bin/python -m tests.bench.bench_cli_shift [--sales 500] [--runs 5] [--json]

Starts a sandbox, opens a shift on a fresh lane with `pos-app shift open`, writes
`--sales` cash sales into the shift through the sale service (as the till would),
then times whole `pos-app` processes, the median of `--runs`: `shift status`,
`charge --cash` (a cash sale), `shift paid-in`, `report --shift` (the X report of
the full shift), `charge --cash --terminal` (a split sale: the card part waits for
the sandbox's customer, who taps after 2 s at the sandbox's time scale of 20), and
once `shift close --counted` (the Z report). Each figure includes Python's
start-up; `python -c pass` and `pos-app --version` are printed for scale.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pos_app.domain.cart import Cart
from pos_app.services.drawer import NoDrawer
from pos_app.services.sales import SaleService
from pos_app.services.shifts import ShiftService
from pos_app.storage.journal import SqliteJournal
from tests.integration.cli_support import cli_env
from tests.support.sandbox import sandbox_process

LANE = "bench-lane"


def pos_app(env: dict[str, str], *args: str) -> tuple[float, str]:
    """Seconds for `pos-app ARGS` to run to its end, and what it printed."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pos_app", *args],
        env=env,
        input="",
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"pos-app {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return took, result.stdout


def median_of(runs: int, env: dict[str, str], *args: str) -> float:
    return statistics.median(pos_app(env, *args)[0] for _ in range(runs))


async def seed(journal_file: Path, sales: int) -> None:
    """`sales` cash sales of the open shift, written as the till writes them (a ticket,
    then its cash part completing it); the clock steps a second a sale."""
    moment = [datetime.now(UTC) - timedelta(seconds=sales)]

    def now() -> datetime:
        moment[0] += timedelta(seconds=1)
        return moment[0]

    with SqliteJournal(journal_file) as journal:
        shifts = ShiftService(journal, NoDrawer(), lane=LANE, record=lambda *_: None, now=now)
        # Cash only: the payment engine is never asked.
        sale_service = SaleService(
            None,  # type: ignore[arg-type]
            journal,
            shifts,
            lane=LANE,
            record=lambda *_: None,
            now=now,
        )
        for index in range(sales):
            cents = 100 + index % 5000
            ticket = await sale_service.start(Cart().add_amount(cents), served_by=None)
            await sale_service.pay_cash(ticket.id, cents + 100, person=None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="also print one JSON line")
    args = parser.parse_args(argv)

    figures: dict[str, Any] = {"sales": args.sales, "runs": args.runs}
    with (
        tempfile.TemporaryDirectory() as folder,
        sandbox_process("--time-scale", "20") as url,
    ):
        env = cli_env(url, Path(folder), owner=False, POS_LANE=LANE, POS_POLL_INTERVAL="0.05")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        figures["python_c_pass_s"] = time.perf_counter() - started
        figures["version_s"] = median_of(args.runs, env, "--version")
        pos_app(env, "shift", "open", "--float", "100.00")
        began = time.perf_counter()
        asyncio.run(seed(Path(env["POS_DATA_DIR"]) / "journal.sqlite3", args.sales))
        figures["seed_s"] = time.perf_counter() - began
        figures["shift_status_s"] = median_of(args.runs, env, "shift", "status")
        figures["cash_sale_s"] = median_of(args.runs, env, "charge", "12.50", "--cash", "20.00")
        figures["paid_in_s"] = median_of(
            args.runs, env, "shift", "paid-in", "1.00", "--reason", "Bench"
        )
        figures["x_report_s"] = median_of(args.runs, env, "report", "--shift")
        figures["split_sale_s"] = median_of(
            args.runs, env, "charge", "30.00", "--cash", "10.00", "--terminal", "trm_side"
        )
        took, said = pos_app(env, "shift", "close", "--counted", "0", "--json")
        figures["close_z_s"] = took
        figures["z_tickets"] = json.loads(said)["tickets"]

    rows = [
        ("python -c pass", figures["python_c_pass_s"]),
        ("pos-app --version", figures["version_s"]),
        ("shift status", figures["shift_status_s"]),
        ("charge 12.50 --cash 20.00", figures["cash_sale_s"]),
        ("shift paid-in 1.00", figures["paid_in_s"]),
        (f"report --shift ({args.sales + args.runs} sales)", figures["x_report_s"]),
        ("charge 30.00 --cash 10.00 --terminal", figures["split_sale_s"]),
        (f"shift close --counted ({figures['z_tickets']} sales)", figures["close_z_s"]),
    ]
    print(f"seeded {args.sales} cash sales in {figures['seed_s']:.2f} s")
    for label, seconds in rows:
        print(f"{label:<44} {seconds * 1000:8.0f} ms")
    if args.json:
        print(json.dumps({"bench": "cli_shift", **figures}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
