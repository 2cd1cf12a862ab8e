"""Load benchmark for the sandbox: N cashier lanes charging on their own terminals.

Run from the repository root:

    .venv/bin/python -m tests.bench.bench_sandbox [--lanes 20] [--hz 10] [--seconds 20] [--json]

Starts a sandbox child process (loopback only), gives each lane its own `auto`
terminal through the control API, then every lane loops: create a payment
intent, send it to its terminal, poll the intent at `--hz` until it succeeds
or goes back to `requires_payment_method` with a `last_error`; then the next
charge. Every tenth charge of a lane asks for a decline (cents .91) so both
endings are exercised. Stops by itself after `--seconds`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, SUB_ACCOUNT, sandbox_process

GRACE_SECONDS = 5.0  # a charge still polling this long after the end is abandoned


@dataclass
class Sample:
    kind: str  # create | pay | poll
    seconds: float
    ok: bool


@dataclass
class Results:
    samples: list[Sample] = field(default_factory=list)
    exceptions: int = 0
    charges: int = 0
    approved: int = 0
    declined: int = 0
    busy_retries: int = 0
    abandoned: int = 0


class Lane:
    """One cashier: its own client and its own terminal."""

    def __init__(self, number: int, url: str, token: str, hz: float, results: Results) -> None:
        self.number = number
        self.terminal_id = f"trm_lane{number:02d}"
        self.client = httpx.AsyncClient(base_url=url, timeout=10.0)
        self.token = token
        self.interval = 1.0 / hz
        self.results = results

    def headers(self, *, key: bool = False) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}", "Sub-Account": SUB_ACCOUNT}
        if key:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        return headers

    async def request(self, kind: str, method: str, path: str, body: Any = None) -> Any:
        """One timed request; the parsed body on 2xx, None otherwise."""
        started = time.perf_counter()
        try:
            response = await self.client.request(
                method, path, json=body, headers=self.headers(key=method == "POST")
            )
        except httpx.HTTPError:
            self.results.exceptions += 1
            self.results.samples.append(Sample(kind, time.perf_counter() - started, False))
            return None
        elapsed = time.perf_counter() - started
        ok = 200 <= response.status_code < 300
        self.results.samples.append(Sample(kind, elapsed, ok))
        if response.status_code == 409 and kind == "pay":
            self.results.busy_retries += 1
        return response.json() if ok else None

    async def run(self, deadline: float) -> None:
        charge = 0
        try:
            while time.monotonic() < deadline:
                charge += 1
                cents = 91 if charge % 10 == 0 else 0
                await self.charge(100 * (5 + self.number + charge % 20) + cents, deadline)
        finally:
            await self.client.aclose()

    async def charge(self, amount: int, deadline: float) -> None:
        created = await self.request(
            "create",
            "POST",
            "/v1/payment_intents",
            {"amount": amount, "currency": "usd", "description": f"lane {self.number}"},
        )
        if created is None:
            await asyncio.sleep(self.interval)
            return
        intent_id = created["data"]["id"]
        body = {"payment_intent_id": intent_id, "terminal_id": self.terminal_id}
        while await self.request("pay", "POST", "/v1/terminals/pay", body) is None:
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(self.interval)
        next_poll = time.monotonic()
        while time.monotonic() < deadline + GRACE_SECONDS:
            next_poll += self.interval  # a fixed rate, whatever each poll takes
            await asyncio.sleep(max(0.0, next_poll - time.monotonic()))
            polled = await self.request("poll", "GET", f"/v1/payment_intents/{intent_id}")
            if polled is None:
                continue
            intent = polled["data"]
            if intent["status"] == "succeeded":
                self.results.charges += 1
                self.results.approved += 1
                return
            if intent["status"] == "requires_payment_method" and intent.get("last_error"):
                self.results.charges += 1
                self.results.declined += 1
                return
        self.results.abandoned += 1


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of unsorted values (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def summary(results: Results, elapsed: float, args: argparse.Namespace) -> dict[str, Any]:
    def latency(samples: list[Sample]) -> dict[str, float]:
        ms = [s.seconds * 1000 for s in samples]
        return {
            "requests": len(ms),
            "p50_ms": round(percentile(ms, 0.50), 2),
            "p99_ms": round(percentile(ms, 0.99), 2),
            "max_ms": round(max(ms, default=0.0), 2),
        }

    polls = [s for s in results.samples if s.kind == "poll"]
    errors = sum(1 for s in results.samples if not s.ok)
    return {
        "lanes": args.lanes,
        "hz": args.hz,
        "seconds": args.seconds,
        "time_scale": args.time_scale,
        "tap_after": args.tap_after,
        "elapsed_s": round(elapsed, 2),
        "total_requests": len(results.samples),
        "requests_per_s": round(len(results.samples) / elapsed, 1) if elapsed else 0.0,
        "overall": latency(results.samples),
        "poll": latency(polls),
        "by_kind": {
            kind: latency([s for s in results.samples if s.kind == kind])
            for kind in ("create", "pay", "poll")
        },
        "errors": errors,
        "errors_exceptions": results.exceptions,
        "errors_busy_409": results.busy_retries,
        "charges_completed": results.charges,
        "charges_approved": results.approved,
        "charges_declined": results.declined,
        "charges_abandoned": results.abandoned,
    }


def children_cpu_seconds() -> float | None:
    """CPU time of this process's finished children (None where the OS cannot say)."""
    if sys.platform == "win32":
        return None
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def print_table(report: dict[str, Any]) -> None:
    rows = [
        ("lanes / hz / seconds", f"{report['lanes']} / {report['hz']:g} / {report['seconds']:g}"),
        ("elapsed (s)", f"{report['elapsed_s']:.2f}"),
        ("total requests", str(report["total_requests"])),
        ("requests/s", f"{report['requests_per_s']:.1f}"),
    ]
    for label, key in (("overall", "overall"), ("poll GET", "poll")):
        stats = report[key]
        rows.append(
            (
                f"{label} latency p50/p99/max (ms)",
                f"{stats['p50_ms']:.1f} / {stats['p99_ms']:.1f} / {stats['max_ms']:.1f}"
                f"  ({stats['requests']} requests)",
            )
        )
    rows += [
        (
            "errors (non-2xx + exceptions)",
            f"{report['errors']} (exceptions {report['errors_exceptions']},"
            f" 409 busy {report['errors_busy_409']})",
        ),
        (
            "charges completed",
            f"{report['charges_completed']} (approved {report['charges_approved']},"
            f" declined {report['charges_declined']}, abandoned {report['charges_abandoned']})",
        ),
    ]
    if report.get("sandbox_cpu_s") is not None:
        rows.append(
            (
                "sandbox CPU beyond start (s, ms/req)",
                f"{report['sandbox_cpu_s']:.2f}, {report['sandbox_cpu_ms_per_request']:.3f}",
            )
        )
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")


async def bench(url: str, args: argparse.Namespace) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=10.0) as control:
        for number in range(1, args.lanes + 1):
            response = await control.post(
                "/_sandbox/terminals",
                json={
                    "id": f"trm_lane{number:02d}",
                    "nickname": f"Lane {number}",
                    "behaviour": "auto",
                    "tap_after": args.tap_after,
                },
            )
            response.raise_for_status()
        response = await control.post(
            "/oauth/token", json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        )
        response.raise_for_status()
        token = response.json()["access_token"]
    results = Results()
    lanes = [Lane(n, url, token, args.hz, results) for n in range(1, args.lanes + 1)]
    started = time.monotonic()
    deadline = started + args.seconds
    await asyncio.gather(*(lane.run(deadline) for lane in lanes))
    return summary(results, time.monotonic() - started, args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lanes", type=int, default=20, help="cashier lanes (1-99)")
    parser.add_argument("--hz", type=float, default=10.0, help="polls per second per lane")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to run")
    parser.add_argument("--tap-after", type=float, default=2.0, help="simulated customer delay")
    parser.add_argument("--time-scale", type=float, default=1.0, help="sandbox time scale")
    parser.add_argument("--json", action="store_true", help="print one JSON line, no table")
    args = parser.parse_args(argv)
    if not 1 <= args.lanes <= 99 or args.hz <= 0 or not 0 < args.seconds <= 3600:
        parser.error("need 1 <= --lanes <= 99, --hz > 0 and 0 < --seconds <= 3600")
    cpu_start = children_cpu_seconds()
    with sandbox_process("--time-scale", str(args.time_scale)) as url:
        # What starting (up to its first answer) and stopping alone cost, left out below.
        httpx.get(f"{url}/_sandbox/state", timeout=30.0).raise_for_status()
    cpu_before = children_cpu_seconds()
    with sandbox_process("--time-scale", str(args.time_scale)) as url:
        report = asyncio.run(bench(url, args))
    cpu_after = children_cpu_seconds()  # the child has exited and been waited for
    if cpu_start is not None and cpu_before is not None and cpu_after is not None:
        cpu = max(0.0, (cpu_after - cpu_before) - (cpu_before - cpu_start))
        report["sandbox_cpu_s"] = round(cpu, 2)
        report["sandbox_cpu_ms_per_request"] = round(
            1000 * cpu / max(1, report["total_requests"]), 3
        )
    if args.json:
        print(json.dumps(report, separators=(",", ":")))
    else:
        print_table(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
