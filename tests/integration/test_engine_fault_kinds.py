"""The engine against every fault kind a real API produces: approved or unresolved, never wrong.

For each fault kind the sandbox can arm (docs/sandbox.md, "Faults"), a sale
runs through the real engine (PaymentService as in tests/support/lanes.py)
with the fault armed on the send or on the poll, in both flows, and a refund
runs on the terminal (payment-intent flow). The customer always approves
(trm_side taps after 2 simulated seconds; late_approval taps at 95 s;
never_resolves never taps). The rule: the run ends approved with exactly one
payment (or refund) in the sandbox, or unresolved; it is never declined,
never approved without the money having moved, and never cancelled once the
customer could approve. The sandbox runs 90x fast and the engine's device
timeout is the sandbox's 90 s at that speed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from pos_app.domain.payment_flow import PaymentState, StateName
from pos_app.services.payments import EngineSettings, PaymentRun
from tests.support.lanes import lane
from tests.support.sandbox import SandboxHandle, wait_until

SHAPES = ("truncated", "array", "no_data", "wrong_type")

SCALE = 90.0
ENGINE = EngineSettings(
    poll_interval=0.05,
    device_timeout=90.0 / SCALE,
    grace=0.5,
    prepare_timeout=4.0,
    retry_pause=0.05,
    lane="fault-kinds",
)
TERMINAL = "trm_side"  # auto: the customer approves 2 simulated seconds after the sale arrives
AMOUNT = 1250  # .50: approve
REFUND = 500  # .00: approve


@dataclass(frozen=True)
class Kind:
    """A fault kind: the faults armed for it (in order, each `count` times), and where."""

    name: str
    variants: tuple[dict[str, Any], ...] = ({},)
    targets: tuple[str, ...] = ("send", "poll")
    flows: tuple[str, ...] = ("payment_intent", "checkout", "refund")
    count: int | None = 1

    def bodies(self) -> list[dict[str, Any]]:
        return [{"kind": self.name, **variant} for variant in self.variants]


KINDS = [
    # Each variant once, in a row: JSON, then an HTML page, then plain text.
    Kind(
        "error_after_acting",
        (
            {"status": 500, "body": "json"},
            {"status": 502, "body": "html"},
            {"status": 504, "body": "text"},
        ),
    ),
    Kind(
        "error_page",
        (
            {"status": 502, "body": "html"},
            {"status": 504, "body": "html"},
            {"status": 500, "body": "text"},
        ),
    ),
    Kind("unauthorized", count=2),
    Kind("forbidden", count=2),
    # The create succeeds, then the polls of the new object are 404 three times.
    Kind("read_lag", ({"reads": 3},), targets=("create",), flows=("payment_intent", "checkout")),
    Kind("stale_list", ({"lag": 30, "probability": 1.0},), targets=("poll",), count=None),
    Kind("malformed", tuple({"shape": shape} for shape in SHAPES)),
    Kind("unknown_status", count=3),
    Kind("delayed_answer", ({"delay": 0.3},)),
    # A 429 whose Retry-After is an HTTP date one second ahead.
    Kind("rate_limit", ({"retry_after": 1, "retry_after_format": "http_date"},)),
    Kind("refuse_connections", ({"seconds": 0.5},), count=None),
    Kind("late_approval", ({"approve_at": 95},), targets=("send",)),
    Kind("never_resolves", targets=("send",)),
]
CASES = [
    pytest.param(kind, target, flow, id=f"{kind.name}-{target}-{flow}")
    for kind in KINDS
    for target in kind.targets
    for flow in kind.flows
]


def arm(sandbox: SandboxHandle, kind: Kind, target: str, flow: str) -> None:
    """Arm the kind's faults on the send, the create, or the poll of this flow."""
    for body in kind.bodies():
        arm_one(sandbox, kind, body, target, flow)


def arm_one(
    sandbox: SandboxHandle, kind: Kind, body: dict[str, Any], target: str, flow: str
) -> None:
    if kind.name != "refuse_connections":
        if kind.count is not None:
            body["count"] = kind.count
        if target == "send":
            body["method"] = "POST"
            body["path"] = "/v1/terminals/refund" if flow == "refund" else "/v1/terminals/pay"
        elif target == "create":
            body["method"] = "POST"
            body["path"] = "/v1/checkouts" if flow == "checkout" else "/v1/payment_intents"
        elif kind.name == "stale_list":
            body["method"] = "GET"  # every list the engine may read to recover
        else:
            body["method"] = "GET"
            body["path"] = {
                "payment_intent": "/v1/payment_intents/*",
                "checkout": "/v1/checkouts/*",
                "refund": "/v1/payment*",  # the payment, then the intent's last_error
            }[flow]
            body["terminal"] = TERMINAL
    response = sandbox.client.post("/_sandbox/faults", json=body)
    assert response.status_code == 200, response.text


async def run_with_fault(
    run: PaymentRun, sandbox: SandboxHandle, kind: Kind, target: str, flow: str
) -> list[PaymentState]:
    """Every state of the run; a poll fault is armed when the sale is on the device."""
    states: list[PaymentState] = []
    armed = target != "poll"
    async for state in run:
        states.append(state)
        if not armed and state.name is StateName.WAITING:
            arm(sandbox, kind, target, flow)
            armed = True
    return states


def settle(sandbox: SandboxHandle) -> None:
    """Disarm everything and wait until the sandbox answers again."""

    def answering() -> bool:
        try:
            return sandbox.client.delete("/_sandbox/faults").status_code == 200
        except httpx.TransportError:
            return False

    wait_until(answering, timeout=10)


def succeeded_payments(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    payments = sandbox.ok("GET", "/v1/payments", params={"limit": 100})["data"]
    return [p for p in payments if p["status"] != "failed"]


def assert_rule(
    states: list[PaymentState], moved: int, running: list[Any], kind: Kind, what: str
) -> None:
    names = [s.name.value for s in states]
    final = states[-1].name
    assert "declined" not in names, names
    assert moved <= 1, f"{moved} {what}s: the customer was charged twice"
    if kind.name == "never_resolves":
        assert final is StateName.UNRESOLVED, names
        assert moved == 0
        return
    if moved == 1:
        assert final in (StateName.APPROVED, StateName.UNRESOLVED), names
    else:
        # Nothing moved: fine only if the sale never reached the customer.
        assert final in (StateName.UNRESOLVED, StateName.CANCELLED), names
        if final is StateName.CANCELLED:
            assert not running, f"cancelled while the device still shows the sale: {running}"


@pytest.fixture
def fast(sandbox: SandboxHandle) -> SandboxHandle:
    sandbox.set_time(scale=SCALE)
    return sandbox


@pytest.mark.parametrize(("kind", "target", "flow"), CASES)
async def test_fault_kind_never_gives_a_wrong_outcome(
    fast: SandboxHandle, tmp_path: Path, kind: Kind, target: str, flow: str
) -> None:
    sandbox = fast
    engine_flow = "checkout" if flow == "checkout" else "payment_intent"
    async with lane(sandbox.url, tmp_path / "j.sqlite3", engine_flow, engine=ENGINE) as built:
        payment = None
        if flow == "refund":
            sale = [s async for s in await built.service.charge(AMOUNT, TERMINAL)]
            assert sale[-1].name is StateName.APPROVED
            [paid] = succeeded_payments(sandbox)
            payment = await built.service.payment_details(paid["id"])
        if target != "poll":
            arm(sandbox, kind, target, flow)
        if payment is not None:
            run = await built.service.refund_on_terminal(payment, REFUND, TERMINAL)
        else:
            run = await built.service.charge(AMOUNT, TERMINAL)
        states = await run_with_fault(run, sandbox, kind, target, flow)
    hits = sandbox.stats()["faults"]["hits"]
    settle(sandbox)
    if kind.name not in ("stale_list", "refuse_connections"):
        assert hits > 0, "the fault never struck: this case tests nothing"
    running = sandbox.control("GET", "sessions")
    if flow == "refund":
        refunds = sandbox.ok("GET", "/v1/refunds")["data"]
        assert len(succeeded_payments(sandbox)) == 1
        assert_rule(states, len(refunds), running, kind, "refund")
    else:
        assert_rule(states, len(succeeded_payments(sandbox)), running, kind, "payment")


def _storm_engine() -> EngineSettings:
    return dataclasses.replace(ENGINE, prepare_timeout=6.0)


@pytest.mark.parametrize("flow", ["payment_intent", "checkout"])
async def test_a_seeded_storm_on_one_terminal(
    fast: SandboxHandle, tmp_path: Path, flow: str
) -> None:
    """Many kinds at once, each request about the terminal faulted with some probability."""
    sandbox = fast
    terminal = "trm_patio"  # the customer takes 30 simulated seconds: many polls
    for seed, (name, extra) in enumerate(
        [
            ("error_after_acting", {"body": "html"}),
            ("error_page", {}),
            ("unauthorized", {}),
            ("malformed", {"shape": "no_data"}),
            ("unknown_status", {}),
            ("drop", {}),
            ("lost_answer", {}),
        ]
    ):
        armed = sandbox.fault(name, terminal=terminal, probability=0.08, seed=seed, **extra)
        assert armed["count"] is None
    async with lane(sandbox.url, tmp_path / "j.sqlite3", flow, engine=_storm_engine()) as built:
        states = [s async for s in await built.service.charge(AMOUNT, terminal)]
    hits = sandbox.stats()["faults"]["hits"]
    settle(sandbox)
    assert hits > 0
    assert_rule(
        states,
        len(succeeded_payments(sandbox)),
        sandbox.control("GET", "sessions"),
        Kind("storm"),
        "payment",
    )
