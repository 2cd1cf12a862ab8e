"""What remembering which chain this computer keyed an audit file as costs at open.

    .venv/bin/python -m tests.bench.bench_audit_open [--entries 10000] [--runs 20] [--json]

Builds a keyed log of `--entries` entries through the real keyring provider
(`KeyringChainKeys`) on the file keyring of the tests (a JSON file: every call a
file read, as the OS keyring's is a round trip), then times, the median of
`--runs`: opening and closing the log, and `verify()`; then the same on the file
with its chain id swapped (the break found). Prints the keyring calls each open
makes, by method: the memory adds one read per open.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pos_app.secrets import KeyringChainKeys
from pos_app.services.audit_log import AuditAction, NewAuditEntry
from pos_app.storage.audit import SqliteAuditLog
from tests.support.file_keyring import BACKEND_NAME, FILE_ENV

T0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)


class CountingKeys(KeyringChainKeys):
    """The real provider, counting its calls."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def available(self) -> bool:
        self.calls["available"] += 1
        return super().available()

    def load(self, chain_id: str) -> bytes | None:
        self.calls["load"] += 1
        return super().load(chain_id)

    def keyed_chain(self, file_id: str) -> str | None:
        self.calls["keyed_chain"] += 1
        return super().keyed_chain(file_id)


def median_ms(action: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 2)


def figures(path: Path, runs: int) -> dict[str, object]:
    def open_close() -> None:
        SqliteAuditLog(path, KeyringChainKeys(), lane="1").close()

    counting = CountingKeys()
    SqliteAuditLog(path, counting, lane="1").close()
    with SqliteAuditLog(path, KeyringChainKeys(), lane="1") as log:
        check = log.verify()
        verify_ms = median_ms(log.verify, runs)
    return {
        "open_ms": median_ms(open_close, runs),
        "verify_ms": verify_ms,
        "ok": check.ok,
        "keyring_calls_per_open": dict(counting.calls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", action="store_true", help="one JSON line per case")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ["PYTHON_KEYRING_BACKEND"] = BACKEND_NAME
        os.environ[FILE_ENV] = str(Path(folder) / "keyring.json")
        path = Path(folder) / "audit.sqlite3"
        with SqliteAuditLog(path, KeyringChainKeys(), lane="1") as log:
            for index in range(args.entries - 1):
                log.append(
                    NewAuditEntry(
                        at=T0 + timedelta(seconds=index), who="Ann", lane="1",
                        action=AuditAction.REFUND, subject=f"op_{index}",
                        detail={"amount_cents": 1000 + index}, outcome="approved",
                    )
                )  # fmt: skip
        cases = {"intact": figures(path, args.runs)}
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE lane_state SET chain_id = ?", ("f" * 32,))
        cases["chain id swapped"] = figures(path, args.runs)
    for name, case in cases.items():
        if args.json:
            print(json.dumps({"case": name, "entries": args.entries, **case}))
        else:
            print(
                f"{name:>16}: {args.entries:,} entries; open+close {case['open_ms']} ms,"
                f" verify {case['verify_ms']} ms (ok: {case['ok']}); keyring calls per open:"
                f" {case['keyring_calls_per_open']}"
            )


if __name__ == "__main__":
    main()
