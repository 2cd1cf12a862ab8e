"""What the keyed audit chain costs: appends, a staff change, and a full check.

Builds a log of `--entries` entries (every 50th a staff change committing to a
row, as wrong PINs and unlocks are), once keyed (HMAC, an in-memory keyring)
and once plain (SHA-256), and prints per mode: the median and slowest append
(each one a synced commit), the median `save_staff`, and how long `verify()`
takes over the whole chain, with and without a printed head to find.

    python -m tests.bench.bench_audit [--entries 20000] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pos_app.services.audit_log import AuditAction, NewAuditEntry, StaffRecord
from pos_app.storage.audit import SqliteAuditLog
from tests.support.file_keyring import MemoryChainKeys

T0 = datetime(2025, 3, 14, 9, 0, tzinfo=UTC)
PIN_HASH = "scrypt$16384$8$1$QmVuY2hTYWx0$QmVuY2hIYXNoQmVuY2hIYXNo"


def entry(index: int, action: str = AuditAction.REFUND) -> NewAuditEntry:
    return NewAuditEntry(
        at=T0 + timedelta(seconds=index),
        who="Ann",
        lane="1",
        action=action,
        subject=f"op_{index}",
        detail={"amount_cents": 1000 + index, "approved_by": "Bob"},
        outcome="approved",
    )


def run(entries: int, keyed: bool, folder: Path) -> dict[str, float | int | str]:
    path = folder / f"audit-{'keyed' if keyed else 'plain'}.sqlite3"
    keys = MemoryChainKeys() if keyed else None
    appends: list[float] = []
    saves: list[float] = []
    with SqliteAuditLog(path, keys, lane="1") as log:
        ann = log.save_staff(
            None,
            StaffRecord(None, "Ann", "cashier", True, PIN_HASH, 0, None),
            entry(0, AuditAction.STAFF_ADDED),
        )
        assert ann is not None
        head = log.head().short
        for index in range(1, entries):
            if index % 50 == 0:
                started = time.perf_counter()
                tries = (ann.failed_tries + 1) % 10
                saved = log.save_staff(
                    ann, replace(ann, failed_tries=tries), entry(index, AuditAction.PIN_FAILED)
                )
                saves.append(time.perf_counter() - started)
                assert saved is not None
                ann = saved
            else:
                started = time.perf_counter()
                log.append(entry(index))
                appends.append(time.perf_counter() - started)
        started = time.perf_counter()
        check = log.verify()
        verify_s = time.perf_counter() - started
        started = time.perf_counter()
        with_head = log.verify(head=head)
        verify_head_s = time.perf_counter() - started
        assert check.ok, check
        assert with_head.ok, with_head
        status = log.key_status().value
    return {
        "mode": "keyed" if keyed else "plain",
        "key_status": status,
        "entries": check.checked,
        "append_p50_ms": round(statistics.median(appends) * 1000, 2),
        "append_max_ms": round(max(appends) * 1000, 2),
        "save_staff_p50_ms": round(statistics.median(saves) * 1000, 2),
        "verify_s": round(verify_s, 3),
        "verify_with_head_s": round(verify_head_s, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--json", action="store_true", help="one JSON line per mode")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for keyed in (True, False):
            figures = run(args.entries, keyed, Path(folder))
            if args.json:
                print(json.dumps(figures))
            else:
                print(
                    f"{figures['mode']:>5} ({figures['key_status']}): {figures['entries']:,}"
                    f" entries; append p50 {figures['append_p50_ms']} ms, max"
                    f" {figures['append_max_ms']} ms; save_staff p50"
                    f" {figures['save_staff_p50_ms']} ms; verify {figures['verify_s']} s"
                    f" ({figures['verify_with_head_s']} s with a head)"
                )


if __name__ == "__main__":
    main()
