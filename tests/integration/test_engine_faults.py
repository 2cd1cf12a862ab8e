"""Faults between the lane and JustiFi: never two sales, never a false decline."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pos_app.domain.payment_flow import PaymentKind, PaymentState, StateName
from pos_app.services.ports import Operation
from tests.support.lanes import TEST_ENGINE, TestLane, collect, lane
from tests.support.sandbox import SandboxHandle


def sale_path(test_lane: TestLane) -> str:
    return "/v1/checkouts" if test_lane.gateway.flow.name == "checkout" else "/v1/payment_intents"


def assert_one_sale(sandbox: SandboxHandle, test_lane: TestLane, payments: int = 1) -> None:
    objects = sandbox.stats()["objects"]
    kind = "checkout" if test_lane.gateway.flow.name == "checkout" else "payment_intent"
    assert objects[kind] == 1, objects
    assert objects["payment"] == payments, objects


async def charge(test_lane: TestLane, amount: int = 1250) -> list[PaymentState]:
    # trm_side: the simulated customer taps after 2 s (0.1 s at the tests' time scale).
    return await collect(await test_lane.service.charge(amount, "trm_side"))


@pytest.mark.parametrize("kind", ["error_500", "error_503", "rate_limit", "drop"])
async def test_bursts_while_polling(sandbox: SandboxHandle, test_lane: TestLane, kind: str) -> None:
    sandbox.fault(kind, sale_path(test_lane) + "/*", method="GET", count=3, retry_after=0)
    states = await charge(test_lane)
    assert states[-1].name is StateName.APPROVED
    assert "declined" not in [s.name.value for s in states]
    assert_one_sale(sandbox, test_lane)


@pytest.mark.parametrize("kind", ["error_503", "drop", "lost_answer"])
async def test_faults_on_creating_the_sale(
    sandbox: SandboxHandle, test_lane: TestLane, kind: str
) -> None:
    sandbox.fault(kind, sale_path(test_lane), method="POST", count=2)
    assert (await charge(test_lane))[-1].name is StateName.APPROVED
    assert_one_sale(sandbox, test_lane)


@pytest.mark.parametrize("kind", ["error_500", "drop", "lost_answer"])
async def test_faults_on_sending_to_the_terminal(
    sandbox: SandboxHandle, test_lane: TestLane, kind: str
) -> None:
    sandbox.fault(kind, "/v1/terminals/pay", method="POST", count=2)
    assert (await charge(test_lane))[-1].name is StateName.APPROVED
    assert_one_sale(sandbox, test_lane)


async def test_slow_answer_past_the_client_timeout(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    # The client gives up after 2 s and retries with the same key while the first
    # request is still running (409), then gets the original answer.
    sandbox.fault("slow", sale_path(test_lane), method="POST", delay=2.5)
    assert (await charge(test_lane))[-1].name is StateName.APPROVED
    assert_one_sale(sandbox, test_lane)


async def test_token_expiring_mid_wait_is_invisible(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    run = await test_lane.service.charge(1000, "trm_virtual")
    states: list[PaymentState] = []
    async for state in run:
        states.append(state)
        if state.name is StateName.WAITING:
            sandbox.control("POST", "tokens/expire")
            sandbox.set_time(advance=5)
            sandbox.present("trm_virtual")
    assert states[-1].name is StateName.APPROVED
    assert "retrying" not in [s.name.value for s in states]


async def test_no_answer_past_the_deadline_is_unresolved_then_checked_again(
    sandbox: SandboxHandle, tmp_path: Path, flow: str
) -> None:
    short = dataclasses.replace(TEST_ENGINE, device_timeout=0.6, grace=0.4)
    async with lane(sandbox.url, tmp_path / "j.sqlite3", flow, engine=short) as test_lane:
        run = await test_lane.service.charge(1000, "trm_virtual")
        states: list[PaymentState] = []
        async for state in run:
            states.append(state)
            if state.name is StateName.WAITING:
                sandbox.fault("drop", "/v1/*", method="GET", count=10_000)
        names = [s.name.value for s in states]
        assert names[-1] == "unresolved"
        assert "retrying" in names
        assert "declined" not in names
        assert [op.id for op in test_lane.journal.unfinished()] == [run.operation.id]
        sandbox.control("DELETE", "faults")
        sandbox.present("trm_virtual")
        checked = await test_lane.service.check_again(run.operation.id)
        assert checked is not None
        assert checked.name is StateName.APPROVED
        assert test_lane.journal.unfinished() == []


async def test_unreachable_before_sending_charges_nothing(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    sandbox.fault("error_503", sale_path(test_lane), method="POST", count=10_000)
    final = (await charge(test_lane))[-1]
    assert final.name is StateName.CANCELLED
    assert final.decline_code == "justifi_unreachable"
    sandbox.control("DELETE", "faults")
    assert sandbox.stats()["objects"]["payment"] == 0


# -- recovery ------------------------------------------------------------------------------


async def test_recover_finishes_an_interrupted_charge(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    run = await test_lane.service.charge(1000, "trm_virtual")
    async for state in run:
        if state.name is StateName.WAITING:
            break  # the lane "crashes" while the customer is at the terminal
    await run.states.aclose()  # type: ignore[attr-defined]
    sandbox.present("trm_virtual")
    [settled] = await test_lane.service.recover()
    assert settled.id == run.operation.id
    assert settled.status == "approved"
    assert settled.card_last4 is not None
    assert test_lane.journal.unfinished() == []


async def test_recover_a_sale_whose_creation_answer_was_lost(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    sandbox.fault("lost_answer", sale_path(test_lane), method="POST", count=100)
    run = await test_lane.service.charge(1000, "trm_virtual")
    async for state in run:
        if state.name is StateName.RETRYING:
            break  # crash right after the answer was lost
    await run.states.aclose()  # type: ignore[attr-defined]
    op = test_lane.journal.get(run.operation.id)
    assert op is not None
    assert op.sale_id is None
    [settled] = await test_lane.service.recover()
    assert settled.status == "cancelled"
    assert settled.sale_id is not None  # found through its metadata, not created again
    assert settled.decline_code == "not_sent"
    assert_one_sale(sandbox, test_lane, payments=0)


async def test_recover_an_operation_that_never_left(test_lane: TestLane) -> None:
    op = Operation(
        id="op-never-sent",
        kind=PaymentKind.CHARGE,
        amount_cents=1000,
        status="preparing",
        flow=test_lane.gateway.flow.name,
        terminal_id="trm_virtual",
        create_key="k1",
        send_key="k2",
    )
    await test_lane.journal.begin(op)
    [settled] = await test_lane.service.recover()
    assert settled.status == "cancelled"
    assert test_lane.journal.unfinished() == []
