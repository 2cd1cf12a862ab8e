"""What the command line's staff and audit commands cost a lane with no screen.

    .venv/bin/python -m tests.bench.bench_cli_audit [--entries 10000] [--runs 5] [--json]

Builds a lane whose audit log holds an owner and `--entries` refund entries
(keyed with a file keyring every process shares, and plain without one), then
times whole `pos-app` processes, the median of `--runs`: `staff list`,
`audit verify`, `audit verify --head` (a head taken after the owner was added),
and `staff set-pin` (two PIN checks at the production scrypt cost). Each
figure includes Python's start-up; `python -c pass` is printed for scale.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.file_keyring import BACKEND_NAME, FILE_ENV

REPO = Path(__file__).resolve().parents[2]
OWNER, OWNER_PIN = "Olga", "246810"


def lane_env(folder: Path, *, keyed: bool) -> dict[str, str]:
    env = {
        **os.environ,
        "POS_DATA_DIR": str(folder / "data"),
        "POS_LOG_DIR": str(folder / "logs"),
        "POS_CONFIG_DIR": str(folder / "config"),
        "PYTHONPATH": str(REPO),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    if keyed:
        env |= {"PYTHON_KEYRING_BACKEND": BACKEND_NAME, FILE_ENV: str(folder / "keyring.json")}
    return env


def pos_app(env: dict[str, str], *args: str, stdin: str = "") -> float:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "pos_app", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"pos-app {' '.join(args)} exited {result.returncode}: {result.stderr}")
    return took


# Appends in a child with the lane's environment, so its keyring is the lane's.
APPEND = """
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from pos_app.secrets import KeyringChainKeys
from pos_app.services.audit_log import AuditAction, NewAuditEntry
from pos_app.storage.audit import SqliteAuditLog

t0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
with SqliteAuditLog(Path(sys.argv[1]), KeyringChainKeys(), lane="1") as log:
    for index in range(int(sys.argv[2])):
        log.append(NewAuditEntry(
            at=t0 + timedelta(seconds=index), who="Olga", lane="1",
            action=AuditAction.REFUND, subject=f"py_{index}",
            detail={"amount_cents": 1000 + index, "approved_by": "Olga"}, outcome="approved",
        ))
"""


def build(env: dict[str, str], entries: int) -> str:
    """The owner through the CLI, then `entries` refund entries; the head taken right
    after the owner was added (what `verify --head` looks for)."""
    pos_app(env, "staff", "add", OWNER, "--role", "owner", stdin=f"{OWNER_PIN}\n")
    verified = subprocess.run(
        [sys.executable, "-m", "pos_app", "audit", "verify", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    path = Path(env["POS_DATA_DIR"]) / "audit.sqlite3"
    subprocess.run([sys.executable, "-c", APPEND, str(path), str(entries)], env=env, check=True)
    return str(json.loads(verified.stdout)["head"])


def median_ms(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs)) * 1000


def bare_start() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - started


def bench(entries: int, runs: int, keyed: bool) -> dict[str, float | int | str]:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        env = lane_env(folder, keyed=keyed)
        started = time.perf_counter()
        head = build(env, entries)
        built = time.perf_counter() - started
        pins = f"{OWNER_PIN}\n{OWNER_PIN}\n"
        return {
            "mode": "keyed" if keyed else "plain",
            "entries": entries,
            "build_s": round(built, 1),
            "staff_list_ms": round(median_ms(runs, lambda: pos_app(env, "staff", "list")), 1),
            "verify_ms": round(median_ms(runs, lambda: pos_app(env, "audit", "verify")), 1),
            "verify_head_ms": round(
                median_ms(runs, lambda: pos_app(env, "audit", "verify", "--head", head)), 1
            ),
            "set_pin_ms": round(
                median_ms(runs, lambda: pos_app(env, "staff", "set-pin", OWNER, stdin=pins)), 1
            ),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    bare = median_ms(args.runs, bare_start)
    results = [bench(args.entries, args.runs, keyed) for keyed in (False, True)]
    if args.json:
        print(json.dumps({"python_start_ms": round(bare, 1), "results": results}))
        return
    print(f"python -c pass: {bare:.1f} ms (median of {args.runs})")
    for row in results:
        print(
            f"{row['mode']:>5}, {row['entries']} entries (built in {row['build_s']} s):"
            f" staff list {row['staff_list_ms']} ms, audit verify {row['verify_ms']} ms,"
            f" verify --head {row['verify_head_ms']} ms, staff set-pin {row['set_pin_ms']} ms"
        )


if __name__ == "__main__":
    main()
