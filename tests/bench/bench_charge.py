"""How long after the terminal decides does the lane know? And at what cost?

Starts a sandbox child process (real time, time scale 1) and the same engine
the CLI uses, polling once a second. For each charge the customer taps on the
manual terminal at a random moment while the lane waits; the figure is the
time from that tap (the sandbox deciding) to the engine yielding `approved`.

    .venv/bin/python -m tests.bench.bench_charge [--charges 50] [--poll 1.0] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from pos_app.domain.payment_flow import StateName
from pos_app.services.payments import EngineSettings, PaymentService
from pos_app.wiring import Account, open_engine
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, SUB_ACCOUNT, sandbox_process


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def one_charge(
    service: PaymentService, control: httpx.AsyncClient, rng: random.Random, poll: float
) -> float:
    """The lane consumes its states in a task of its own, as the CLI and window do."""
    run = await service.charge(1000 + rng.randrange(0, 80), "trm_virtual")
    waiting = asyncio.Event()
    reported_at = 0.0

    async def lane() -> None:
        nonlocal reported_at
        async for state in run:
            if state.name is StateName.WAITING:
                waiting.set()
            elif state.name is StateName.APPROVED:
                reported_at = time.perf_counter()
                return
        raise RuntimeError(f"charge ended {state.name}")

    task = asyncio.create_task(lane())
    await waiting.wait()
    await asyncio.sleep(rng.uniform(0, poll))  # the customer taps at a random moment
    decided_at = time.perf_counter()
    response = await control.post("/_sandbox/terminals/trm_virtual/present", json={})
    response.raise_for_status()
    await task
    return reported_at - decided_at


async def bench(url: str, charges: int, poll: float, flow: str) -> dict[str, object]:
    rng = random.Random(7)
    account = Account(url, CLIENT_ID, CLIENT_SECRET, SUB_ACCOUNT)
    engine = EngineSettings(poll_interval=poll)
    with tempfile.TemporaryDirectory() as tmp:
        async with (
            open_engine(account, Path(tmp) / "journal.sqlite3", engine, flow=flow) as wired,
            httpx.AsyncClient(base_url=url) as control,
        ):
            service = wired.service
            await one_charge(service, control, rng, poll)  # warm up: token, connections
            before = (await control.get("/_sandbox/stats")).json()["requests"]
            latencies = [await one_charge(service, control, rng, poll) for _ in range(charges)]
            after = (await control.get("/_sandbox/stats")).json()["requests"]
    requests = sum(after.values()) - sum(before.values())
    return {
        "bench": "charge",
        "flow": flow,
        "charges": charges,
        "poll_interval_s": poll,
        "decide_to_report_p50_s": round(statistics.median(latencies), 3),
        "decide_to_report_p95_s": round(percentile(latencies, 0.95), 3),
        "decide_to_report_max_s": round(max(latencies), 3),
        "requests_per_charge": round(requests / charges, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charges", type=int, default=50)
    parser.add_argument("--poll", type=float, default=1.0)
    parser.add_argument("--flow", choices=("payment_intent", "checkout"), default="payment_intent")
    parser.add_argument("--json", action="store_true", help="one JSON line only")
    args = parser.parse_args()
    with sandbox_process("--time-scale", "1") as url:
        result = asyncio.run(bench(url, args.charges, args.poll, args.flow))
    if args.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:<26} {value}")


if __name__ == "__main__":
    main()
