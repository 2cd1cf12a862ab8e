"""Fault storm: charges on 3 lanes while JustiFi misbehaves, then `recover`, then the truth.

    .venv/bin/python -m tests.bench.bench_fault_storm [--charges 200] [--rate 0.2]
        [--flow payment_intent|checkout|both] [--seed 0] [--json]

Three lanes (each its own journal and terminal) run `pos-app charge --json` as
subprocesses, one sale after another, all three at once, against one sandbox
child. About `rate` of all requests are faulted, spread over every fault kind
the sandbox has and every endpoint family (token, terminals, intents or
checkouts, payments), and every access token is expired every few seconds.
A cashier's habits are played: a sale that ends "not paid" (exit 1) although
its amount is one the customer approves, or that is refused before anything
was sent (exit 3: a stray 403 on the terminal check), is charged again, as a
cashier would; an unresolved sale (exit 2) is left to `recover`.

Then each lane runs `pos-app recover`, with the faults off, and each journal is
compared with the sandbox. Printed per flow: duplicates (a sale paid twice),
lost approvals (paid at JustiFi, not approved in the journal), false declines
(ended declined, cancelled or timed out but paid), false approvals (approved in
the journal, not paid), unresolved after recover, and the exit codes. Goal: all
zero. Exit 1 when any is not.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from pos_app.services.ports import HistoryQuery
from pos_app.storage.journal import SqliteJournal
from tests.integration.cli_support import (
    approved_amount,
    check_charges_against_sandbox,
    cli_env,
    journal_path,
    list_all,
    run_cli,
)
from tests.support.sandbox import SandboxHandle, sandbox_process

TIME_SCALE = 20.0  # the device's 90 s take 4.5 s
LANES = (("lane-1", "trm_front"), ("lane-2", "trm_side"), ("lane-3", "trm_patio"))
DECLINE_EVERY = 10  # every tenth sale is an amount the customer's card declines
TOKEN_EXPIRY_SECONDS = 3.0
REFUSE_EVERY = 7  # every 7th expiry, connections are refused for 1 s
CLI_TIMEOUT = 120.0
# Endpoint families, so every family takes its share of the faults.
FAMILIES = (
    "/oauth/token",
    "/v1/terminals*",
    "/v1/payment_intents*",
    "/v1/checkouts*",
    "/v1/payments*",
)


def fault_bodies(rate: float, seed: int) -> list[dict[str, Any]]:
    """Probabilistic faults of every kind on every endpoint family: about `rate` of requests.

    A request is taken by at most one fault, tried in order, so each of the k
    kinds that can hit a request gets p with 1 - (1 - p)^k = rate.
    """
    kinds: list[dict[str, Any]] = [
        {"kind": "error_500"},
        {"kind": "error_503"},
        {"kind": "error_page", "status": 502, "body": "html"},
        {"kind": "error_page", "status": 504, "body": "text"},
        {"kind": "rate_limit", "retry_after": 1},
        {"kind": "rate_limit", "retry_after": 1, "retry_after_format": "http_date"},
        {"kind": "unauthorized"},
        {"kind": "forbidden"},
        {"kind": "drop"},
        {"kind": "slow", "delay": 0.3},
        {"kind": "lost_answer"},
        {"kind": "error_after_acting", "status": 502, "body": "html"},
        {"kind": "error_after_acting", "status": 503, "body": "json"},
        {"kind": "delayed_answer", "delay": 0.3},
        {"kind": "malformed", "shape": "truncated"},
        {"kind": "malformed", "shape": "array"},
        {"kind": "malformed", "shape": "no_data"},
        {"kind": "malformed", "shape": "wrong_type"},
        {"kind": "unknown_status"},
    ]
    each = 1 - (1 - rate) ** (1 / len(kinds))
    bodies = [
        {**kind, "path": path, "probability": each, "seed": seed * 1000 + index}
        for index, (kind, path) in enumerate((k, p) for k in kinds for p in FAMILIES)
    ]
    # Kinds that act on some requests only: creates lag behind their reads, lists
    # behind the writes (what recover reads), and a customer approves late.
    bodies += [
        {"kind": "read_lag", "path": "/v1/*", "reads": 2, "probability": rate, "seed": seed + 1},
        {"kind": "stale_list", "lag": 10, "probability": rate, "seed": seed + 2},
        {"kind": "late_approval", "approve_at": 95, "probability": rate / 4, "seed": seed + 3},
    ]
    return bodies


@dataclass
class Sale:
    """One sale a lane rang up, and the exit code of every attempt at it."""

    lane: str
    index: int
    amount: int
    approvable: bool
    exits: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def description(self) -> str:
        return f"storm-{self.lane}-{self.index}"


@dataclass
class Figures:
    flow: str
    rate: float
    charges: int = 0
    attempts: int = 0
    duplicates: int = 0
    lost_approvals: int = 0
    false_declines: int = 0
    false_approvals: int = 0
    unresolved_after_recover: int = 0
    exit_codes: Counter[int] = field(default_factory=Counter)
    recover_exits: list[int] = field(default_factory=list)
    faulted_requests: int = 0
    requests: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.duplicates
            or self.lost_approvals
            or self.false_declines
            or self.false_approvals
            or self.unresolved_after_recover
            or self.problems
        )

    def lines(self) -> list[str]:
        codes = ", ".join(f"{code}: {n}" for code, n in sorted(self.exit_codes.items()))
        share = self.faulted_requests / self.requests if self.requests else 0.0
        return [
            f"flow {self.flow}, {self.rate:.0%} faults: {self.charges} sales, "
            f"{self.attempts} charge commands in {self.seconds:.0f} s",
            f"  requests {self.requests}, faulted {self.faulted_requests} ({share:.1%})",
            f"  exit codes: {codes}; recover exits: {self.recover_exits}",
            f"  duplicates {self.duplicates}, lost approvals {self.lost_approvals}, "
            f"false declines {self.false_declines}, false approvals {self.false_approvals}, "
            f"unresolved after recover {self.unresolved_after_recover}",
            *(f"  - {p}" for p in self.problems[:20]),
            f"  {'PASS' if self.ok else 'FAIL'}",
        ]


def _charge(env: dict[str, str], terminal: str, sale: Sale) -> None:
    """Ring up one sale as a cashier would: once more after a 'not paid' it should not be."""
    for _ in range(3):
        amount = f"{sale.amount // 100}.{sale.amount % 100:02d}"
        result = run_cli(
            ["charge", amount, "--terminal", terminal, "--description", sale.description, "--json"],
            env,
            timeout=CLI_TIMEOUT,
        )
        sale.exits.append(result.returncode)
        if result.returncode not in (0, 1, 2, 3):
            sale.errors.append(result.stderr.strip()[-300:])
        if result.returncode == 3 or (result.returncode == 1 and sale.approvable):
            # "Not paid" (or "check the settings", said before anything was sent), yet
            # the card should pay: the cashier tries again.
            continue
        return


def _control(handle: SandboxHandle, method: str, path: str, body: Any = None) -> Any:
    """The control API, waiting out a window of refused connections (ours included)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return handle.control(method, path, body)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _lane(env: dict[str, str], terminal: str, sales: list[Sale], handle: SandboxHandle) -> None:
    for sale in sales:
        _charge(env, terminal, sale)
        # The next sale starts when the device is free again, as at a real counter.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(
            s.get("terminal_id") == terminal for s in _control(handle, "GET", "sessions")
        ):
            time.sleep(0.05)


def _expire_tokens(handle: SandboxHandle, stop: threading.Event) -> None:
    """Every few seconds every token dies; now and then the server refuses connections."""
    beats = 0
    while not stop.wait(TOKEN_EXPIRY_SECONDS):
        beats += 1
        _control(handle, "POST", "tokens/expire", {})
        if beats % REFUSE_EVERY == 0:
            _control(handle, "POST", "faults", {"kind": "refuse_connections", "seconds": 1})


def _arm(handle: SandboxHandle, rate: float, seed: int) -> None:
    _control(handle, "DELETE", "faults")
    for body in fault_bodies(rate, seed):
        _control(handle, "POST", "faults", body)


def _requests_and_hits(handle: SandboxHandle) -> tuple[int, int]:
    stats = _control(handle, "GET", "stats")
    return int(stats["requests_total"]), int(stats["faults"]["hits"])


def storm(
    handle: SandboxHandle, base: Path, *, flow: str, rate: float, charges: int, seed: int
) -> Figures:
    """Run one storm and compare every lane's journal with the sandbox."""
    handle.reset()
    handle.set_time(scale=TIME_SCALE)
    figures = Figures(flow=flow, rate=rate)
    rng = random.Random(seed)
    envs: dict[str, dict[str, str]] = {}
    plan: dict[str, list[Sale]] = {name: [] for name, _ in LANES}
    for index in range(charges):
        name, _terminal = LANES[index % len(LANES)]
        approvable = index % DECLINE_EVERY != DECLINE_EVERY - 1
        amount = approved_amount(rng) if approvable else rng.randrange(1, 200) * 100 + 91
        plan[name].append(Sale(name, index, amount, approvable))
    deadline = str(90 / TIME_SCALE)
    for name, _terminal in LANES:
        envs[name] = cli_env(
            handle.url,
            base / f"{flow}-{rate}" / name,
            flow=flow,
            POS_LANE=name,
            POS_DEVICE_TIMEOUT=deadline,
            POS_ANSWER_GRACE=deadline,
        )
    requests_before, hits_before = _requests_and_hits(handle)
    _arm(handle, rate, seed)
    stop = threading.Event()
    expiry = threading.Thread(target=_expire_tokens, args=(handle, stop), daemon=True)
    began = time.monotonic()
    expiry.start()
    try:
        with ThreadPoolExecutor(len(LANES)) as pool:
            futures = [
                pool.submit(_lane, envs[name], terminal, plan[name], handle)
                for name, terminal in LANES
            ]
            for future in futures:
                future.result()
    finally:
        stop.set()
        expiry.join()
        _control(handle, "DELETE", "faults")
        requests_after, hits_after = _requests_and_hits(handle)
    figures.requests = requests_after - requests_before
    figures.faulted_requests = hits_after - hits_before
    for name, _terminal in LANES:
        figures.recover_exits.append(
            run_cli(["recover", "--json"], envs[name], timeout=300).returncode
        )
    figures.seconds = time.monotonic() - began
    sales = [sale for name, _ in LANES for sale in plan[name]]
    figures.charges = len(sales)
    figures.attempts = sum(len(s.exits) for s in sales)
    for sale in sales:
        figures.exit_codes.update(sale.exits)
        figures.problems += [f"{sale.description}: {error}" for error in sale.errors]
    _compare(handle, envs, sales, figures, flow)
    return figures


def _compare(
    handle: SandboxHandle,
    envs: dict[str, dict[str, str]],
    sales: list[Sale],
    figures: Figures,
    flow: str,
) -> None:
    sale_key = "checkout_id" if flow == "checkout" else "payment_intent_id"
    intents = list_all(handle, "/v1/checkouts" if flow == "checkout" else "/v1/payment_intents")
    operation_of_sale = {s["id"]: s["metadata"].get("pos_operation_id") for s in intents}
    paid_operations = Counter(
        operation_of_sale.get(p[sale_key])
        for p in list_all(handle, "/v1/payments")
        if p["status"] == "succeeded"
    )
    operations: dict[str, Any] = {}
    for env in envs.values():
        with SqliteJournal(journal_path(env)) as journal:
            for op in journal.history(HistoryQuery(limit=100_000)):
                operations[op.id] = op
    figures.problems += check_charges_against_sandbox(handle, list(operations.values()), flow)
    for sale in sales:
        ops = [op for op in operations.values() if op.description == sale.description]
        paid = sum(paid_operations[op.id] for op in ops)
        if paid > 1:
            figures.duplicates += 1
        for op in ops:
            was_paid = paid_operations[op.id] > 0
            if was_paid and op.status != "approved":
                figures.lost_approvals += 1
            if was_paid and op.status in ("declined", "cancelled", "timed_out"):
                # The cashier was told "not paid" (exit 1, or 3 before sending) although
                # this very charge paid: final states never change, so the journal says
                # what the command said.
                figures.false_declines += 1
            if op.status == "approved" and not was_paid:
                figures.false_approvals += 1
            if op.status not in ("approved", "declined", "cancelled", "timed_out"):
                figures.unresolved_after_recover += 1
        if len(ops) != len(sale.exits):
            figures.problems.append(
                f"{sale.description}: {len(sale.exits)} charges, {len(ops)} journaled"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_fault_storm", description=__doc__.splitlines()[0])
    parser.add_argument("--charges", type=int, default=200)
    parser.add_argument("--rate", type=float, action="append", help="fault rate (repeatable)")
    parser.add_argument("--flow", choices=("payment_intent", "checkout", "both"), default="both")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="also print one JSON line per storm")
    args = parser.parse_args(argv)
    rates = args.rate or [0.2, 0.4]
    flows = ("payment_intent", "checkout") if args.flow == "both" else (args.flow,)
    results: list[Figures] = []
    with sandbox_process() as url, tempfile.TemporaryDirectory(prefix="fault-storm-") as tmp:
        handle = SandboxHandle(url)
        try:
            for flow in flows:
                for rate in rates:
                    figures = storm(
                        handle,
                        Path(tmp),
                        flow=flow,
                        rate=rate,
                        charges=args.charges,
                        seed=args.seed,
                    )
                    results.append(figures)
                    print("\n".join(figures.lines()), flush=True)
                    if args.json:
                        print(
                            json.dumps(
                                {
                                    **figures.__dict__,
                                    "exit_codes": dict(figures.exit_codes),
                                    "ok": figures.ok,
                                }
                            )
                        )
        finally:
            handle.client.close()
    return 0 if all(f.ok for f in results) else 1


if __name__ == "__main__":
    sys.exit(main())
