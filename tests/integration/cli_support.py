"""Run `pos-app` as a subprocess against a sandbox, and the crash loop shared by
`test_crash_safety.py` and `tests/bench/crash_loop.py`.

The crash loop starts `pos-app charge` many times on one journal, kills each
run with SIGKILL after a seeded random delay, then runs `pos-app recover` and
checks the journal against what the sandbox says really happened.
"""

from __future__ import annotations

import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pos_app.services.manager import ManagerService
from pos_app.services.ports import HistoryQuery
from pos_app.storage.audit import SqliteAuditLog
from pos_app.storage.journal import SqliteJournal
from tests.support.manager import FAST_SCRYPT
from tests.support.sandbox import (
    CLIENT_ID,
    CLIENT_SECRET,
    SUB_ACCOUNT,
    SandboxHandle,
    wait_until,
)

CLI_TIMEOUT = 60.0
FINAL = ("approved", "declined", "cancelled", "timed_out")
# The owner cli_env gives a lane: refunds and voids name them (AS_OWNER), and run_cli
# types their PIN on stdin.
OWNER = "Olga"
OWNER_PIN = "246810"
AS_OWNER = ["--as", OWNER]


# -- running the CLI ----------------------------------------------------------------------


def cli_env(
    url: str,
    base: Path,
    *,
    flow: str = "payment_intent",
    owner: bool = True,
    **overrides: str | None,
) -> dict[str, str]:
    """The environment of a `pos-app` lane on the sandbox at `url`, files under `base`,
    with OWNER (PIN OWNER_PIN) as the lane's owner unless `owner` is False (a fresh lane).

    An override of None removes that variable.
    """
    env = {
        **os.environ,
        "JUSTIFI_API_URL": url,
        "JUSTIFI_CLIENT_ID": CLIENT_ID,
        "JUSTIFI_CLIENT_SECRET": CLIENT_SECRET,
        "JUSTIFI_SUB_ACCOUNT": SUB_ACCOUNT,
        "POS_PAYMENT_FLOW": flow,
        "POS_DATA_DIR": str(base / "data"),
        "POS_LOG_DIR": str(base / "logs"),
        "POS_CONFIG_DIR": str(base / "config"),
        "POS_POLL_INTERVAL": "0.05",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    if owner:
        add_owner(Path(env["POS_DATA_DIR"]), OWNER, OWNER_PIN)
    return env


def add_owner(data_dir: Path, name: str, pin: str) -> str:
    """Make `name` the owner of the lane whose files are in `data_dir` (a cheap scrypt
    cost, no keyring); the recovery code."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with SqliteAuditLog(data_dir / "audit.sqlite3") as audit:
        manager = ManagerService(audit, audit, lane="test", scrypt=FAST_SCRYPT)
        code = manager.create_owner(name, pin)
        manager.sign_out()
        return code


def run_cli(
    args: list[str],
    env: dict[str, str],
    timeout: float = CLI_TIMEOUT,
    *,
    pin: str = OWNER_PIN,
    stdin: Sequence[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`pos-app ARGS`, to completion, with standard input: the lines `stdin` (PINs, one a
    line), else `pin` (the `--as` person's, for refunds and voids)."""
    lines = [pin] if stdin is None else list(stdin)
    return subprocess.run(
        [sys.executable, "-m", "pos_app", *args],
        env=env,
        input="".join(line + "\n" for line in lines),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def popen_cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """`pos-app ARGS`, started; the caller waits (with a timeout) or kills it."""
    return subprocess.Popen(
        [sys.executable, "-m", "pos_app", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stderr_until(proc: subprocess.Popen[str], text: str, timeout: float = 20.0) -> str:
    """What a running `pos-app` has written on stderr, read until it says `text`
    (without waiting for the process to end); fails after `timeout`."""
    assert proc.stderr is not None
    fd = proc.stderr.fileno()
    os.set_blocking(fd, False)
    said: list[bytes] = []

    def read() -> bool:
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return False
        said.append(chunk)
        return text.encode() in b"".join(said) or not chunk

    wait_until(read, timeout=timeout)
    os.set_blocking(fd, True)
    return b"".join(said).decode()


def journal_path(env: dict[str, str]) -> Path:
    return Path(env["POS_DATA_DIR"]) / "journal.sqlite3"


def list_all(handle: SandboxHandle, path: str) -> list[dict[str, Any]]:
    """Every object of a JustiFi list route, following the cursors."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = f"{path}?limit=100" + (f"&after_cursor={cursor}" if cursor else "")
        body = handle.ok("GET", query)
        items += body["data"]
        if not body["page_info"]["has_next"]:
            return items
        cursor = body["page_info"]["end_cursor"]


def no_sessions(handle: SandboxHandle) -> bool:
    return not handle.control("GET", "sessions")


# -- the crash loop -------------------------------------------------------------------------


@dataclass
class Calibration:
    """Seconds from start to the first journal write, and to a normal exit."""

    first_write: float
    exit: float


@dataclass
class CrashReport:
    runs: int = 0
    flow: str = "payment_intent"
    # where the kill landed, as the journal tells it before recovery
    phases: Counter[str] = field(default_factory=Counter)
    # final statuses of the operations recovery settled
    recovered: Counter[str] = field(default_factory=Counter)
    recover_exit: int | None = None
    left_unfinished: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    operations: int = 0
    sales_at_sandbox: int = 0
    payments_succeeded: int = 0
    seconds: float = 0.0
    kill_window: tuple[float, float] = (0.0, 0.0)

    def lines(self) -> list[str]:
        return [
            f"flow: {self.flow}",
            f"runs: {self.runs} in {self.seconds:.1f} s"
            f" (kills {self.kill_window[0]:.2f}-{self.kill_window[1]:.2f} s after start)",
            f"killed before create (nothing journaled): {self.phases['not_journaled']}",
            f"killed before create (journaled, preparing): {self.phases['preparing']}",
            f"killed after create, before send confirmed: {self.phases['sending']}",
            f"killed while waiting: {self.phases['waiting']}",
            f"killed after outcome: {self.phases['final']}",
            f"finished before the kill: {self.phases['exited']}",
            f"operations journaled: {self.operations}; sales at the sandbox: "
            f"{self.sales_at_sandbox}; succeeded payments: {self.payments_succeeded}",
            "recovered: "
            + ", ".join(f"{k} {v}" for k, v in sorted(self.recovered.items()))
            + f" (recover exit {self.recover_exit})",
            f"left unfinished: {len(self.left_unfinished)}",
            f"mismatches: {len(self.mismatches)}",
            *(f"  - {m}" for m in self.mismatches),
        ]


def approved_amount(rng: random.Random) -> int:
    """A random amount the auto terminals approve (cents not .91-.96)."""
    while True:
        cents = rng.randrange(100, 20_000)
        if not 91 <= cents % 100 <= 96:
            return cents


def calibrate(
    handle: SandboxHandle, env: dict[str, str], terminal: str = "trm_side", samples: int = 3
) -> Calibration:
    """Time uninterrupted charges (the median of a few), to spread the kills over a charge."""
    firsts: list[float] = []
    exits: list[float] = []
    with SqliteJournal(journal_path(env)) as journal:
        for _ in range(samples):
            started = time.time()
            result = run_cli(["charge", "1.00", "--terminal", terminal, "--json"], env)
            exits.append(time.time() - started)
            assert result.returncode == 0, result.stderr
            op_id = json.loads(result.stdout)["operation_id"]
            firsts.append(journal.entries(op_id)[0].at.timestamp() - started)
            wait_until(lambda: no_sessions(handle), timeout=15)
    return Calibration(first_write=statistics.median(firsts), exit=statistics.median(exits))


def crash_loop(
    handle: SandboxHandle,
    base: Path,
    *,
    runs: int,
    flow: str = "payment_intent",
    seed: int = 0,
    log: Any = None,
) -> CrashReport:
    """Start and SIGKILL `runs` charges on one journal, recover, and check everything."""
    began = time.monotonic()
    env = cli_env(handle.url, base, flow=flow)
    report = CrashReport(runs=runs, flow=flow)
    calibration = calibrate(handle, env)
    # Kills spread from before the first journal write to about the normal exit.
    low = calibration.first_write * 0.9
    high = calibration.exit
    report.kill_window = (low, high)
    rng = random.Random(seed)
    terminals = ("trm_side", "trm_front")
    with SqliteJournal(journal_path(env)) as journal:
        for index in range(runs):
            amount = approved_amount(rng)
            terminal = terminals[rng.randrange(2)]
            delay = rng.uniform(low, high)
            description = f"crash-{seed}-{index}"
            proc = popen_cli(
                [
                    "charge",
                    f"{amount // 100}.{amount % 100:02d}",
                    "--terminal",
                    terminal,
                    "--description",
                    description,
                ],
                env,
            )
            try:
                proc.wait(timeout=delay)
                phase = "exited"
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                phase = None
            proc.communicate(timeout=30)
            if phase is None:
                phase = _phase(journal, description)
            report.phases[phase] += 1
            if log is not None:
                log(f"run {index}: {amount} on {terminal}, kill at {delay:.3f} s -> {phase}")
            # The customer still taps after the kill; let the terminal settle.
            wait_until(lambda: no_sessions(handle), timeout=15)
        before = {op.id for op in journal.unfinished()}
        recover = run_cli(["recover", "--json"], env, timeout=120)
        report.recover_exit = recover.returncode
        if recover.returncode not in (0, 2):
            report.mismatches.append(
                f"recover exit {recover.returncode}: {recover.stderr.strip()[-500:]}"
            )
        for op_id in before:
            op = journal.get(op_id)
            report.recovered[op.status if op else "missing"] += 1
        report.left_unfinished = [f"{op.id} {op.status}" for op in journal.unfinished()]
        report.mismatches += [f"left unfinished: {u}" for u in report.left_unfinished]
        report.mismatches += check_journal_against_sandbox(handle, journal, flow, report)
    report.seconds = time.monotonic() - began
    return report


def _phase(journal: SqliteJournal, description: str) -> str:
    found = journal.history(HistoryQuery(text=description, limit=10))
    ops = [op for op in found if op.description == description]
    if not ops:
        return "not_journaled"
    status = ops[0].status
    if status in FINAL:
        return "final"
    return status  # preparing | sending | waiting (or unresolved)


def check_journal_against_sandbox(
    handle: SandboxHandle, journal: SqliteJournal, flow: str, report: CrashReport | None = None
) -> list[str]:
    """Every way the journal and the sandbox disagree about the charges (empty: none)."""
    return check_charges_against_sandbox(
        handle, list(journal.history(HistoryQuery(limit=100_000))), flow, report
    )


def check_charges_against_sandbox(
    handle: SandboxHandle, operations: list[Any], flow: str, report: CrashReport | None = None
) -> list[str]:
    """The same check for the operations of several lanes' journals on one sandbox."""
    problems: list[str] = []
    ops = [op for op in operations if op.kind.value == "charge"]
    sale_key = "checkout_id" if flow == "checkout" else "payment_intent_id"
    sales = list_all(handle, "/v1/checkouts" if flow == "checkout" else "/v1/payment_intents")
    payments = [p for p in list_all(handle, "/v1/payments") if p["status"] == "succeeded"]
    if report is not None:
        report.operations = len(ops)
        report.sales_at_sandbox = len(sales)
        report.payments_succeeded = len(payments)
    by_payment = {p["id"]: p for p in payments}
    # no duplicate charge: at most one sale per operation, and none unknown to the journal
    if len(sales) > len(ops):
        problems.append(f"{len(sales)} sales at the sandbox for {len(ops)} operations")
    op_ids = {op.id for op in ops}
    per_op = Counter(s["metadata"].get("pos_operation_id") for s in sales)
    for op_id, count in per_op.items():
        if count > 1:
            problems.append(f"operation {op_id} has {count} sales at the sandbox")
        if op_id not in op_ids:
            problems.append(f"a sale at the sandbox for unknown operation {op_id}")
    # every approved operation is a succeeded payment: same amount, same sale
    approved = [op for op in ops if op.status == "approved"]
    for op in approved:
        payment = by_payment.get(op.payment_id or "")
        if payment is None:
            problems.append(f"approved {op.id} has no succeeded payment ({op.payment_id})")
            continue
        if payment["amount"] != op.amount_cents:
            problems.append(f"{op.id}: amount {op.amount_cents} != {payment['amount']}")
        if payment[sale_key] != op.sale_id:
            problems.append(f"{op.id}: sale {op.sale_id} != {payment[sale_key]}")
    # every succeeded payment belongs to exactly one approved operation
    claimed = Counter(op.payment_id for op in approved)
    for payment in payments:
        owners = claimed[payment["id"]]
        if owners != 1:
            holder = [op for op in ops if op.sale_id == payment[sale_key]]
            status = holder[0].status if holder else "no operation"
            problems.append(
                f"payment {payment['id']} ({payment['amount']}) has {owners} approved"
                f" operations (journal: {status})"
            )
    return problems
