"""How long a PIN check takes at the production scrypt cost, by name and by the PIN alone.

    .venv/bin/python -m tests.bench.bench_sign_in [--staff 10] [--runs 10] [--json]

Sets up a temporary audit file (keyed with an in-memory keyring, so PINs are
peppered as on a till with a keyring) with one owner and `--staff - 1`
cashiers, then prints the median and max time (ms) of: a sign-in by name, a
wrong PIN by name (a counted try, committed), and a sign-in by the PIN alone
(one scrypt per active person, so it grows with the staff). `--json` prints
one JSON line instead of the table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pos_app.domain.pin import PRODUCTION_SCRYPT
from pos_app.domain.staff import StaffRole
from pos_app.services.manager import ManagerService
from pos_app.storage.audit import SqliteAuditLog
from tests.support.file_keyring import MemoryChainKeys

_OWNER_PIN = "735190"


def _cashier_pin(index: int) -> str:
    return f"{3000 + index * 7:04d}"


def _time(action: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=10)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        audit = SqliteAuditLog(Path(folder) / "audit.sqlite3", MemoryChainKeys(), lane="1")
        with audit:
            service = ManagerService(audit, audit, lane="1", scrypt=PRODUCTION_SCRYPT)
            service.create_owner("Owner", _OWNER_PIN)
            owner = service.require_manager()
            for index in range(1, args.staff):
                pin = _cashier_pin(index)
                service.add_person(f"Cashier {index}", StaffRole.CASHIER, pin, by=owner)
            last = _cashier_pin(args.staff - 1)
            name = f"Cashier {args.staff - 1}"
            figures = {
                "by_name": _time(lambda: service.sign_in(last, name), args.runs),
                "wrong_by_name": _time(lambda: service.sign_in("9999", "Owner"), 1),
                "pin_alone": _time(lambda: service.sign_in(last), args.runs),
            }
    if args.json:
        out = {key: {"median_ms": m, "max_ms": x} for key, (m, x) in figures.items()}
        print(json.dumps({"staff": args.staff, "runs": args.runs, **out}))
        return 0
    print(f"{args.staff} people, production scrypt, {args.runs} runs")
    for key, (median, worst) in figures.items():
        print(f"{key:<14} median {median:7.1f} ms   max {worst:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
