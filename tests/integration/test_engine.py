"""The payment engine against the sandbox over real HTTP: every outcome, both flows."""

from __future__ import annotations

import asyncio

import pytest

from pos_app.domain.errors import user_message
from pos_app.domain.payment_flow import PaymentState, StateName
from pos_app.services.payments import InvalidRequestError, PaymentRun
from pos_app.services.ports import HistoryQuery
from tests.support.lanes import TestLane, collect
from tests.support.sandbox import SandboxHandle


def names(states: list[PaymentState]) -> list[str]:
    return [s.name.value for s in states]


async def until_waiting(run: PaymentRun, states: list[PaymentState]) -> None:
    async for state in run:
        states.append(state)
        if state.name is StateName.WAITING:
            return
    raise AssertionError(f"never waited: {names(states)}")


async def finish(run: PaymentRun, states: list[PaymentState]) -> PaymentState:
    async for state in run:
        states.append(state)
    return states[-1]


# -- outcomes --------------------------------------------------------------------------------


async def test_approved_on_the_terminal(sandbox: SandboxHandle, test_lane: TestLane) -> None:
    run = await test_lane.service.charge(1234, "trm_virtual", "coffee")
    states: list[PaymentState] = []
    await until_waiting(run, states)
    sandbox.present("trm_virtual", card="mastercard")
    final = await finish(run, states)
    assert names(states)[:3] == ["preparing", "sending", "waiting"]
    assert final.name is StateName.APPROVED
    assert (final.card_brand, final.card_last4) == ("Mastercard", "4444")
    op = test_lane.journal.get(run.operation.id)
    assert op is not None
    assert op.status == "approved"
    assert op.payment_id == final.payment_id
    assert op.card_last4 == "4444"
    assert op.sale_id is not None
    assert op.sale_id.startswith("cho_" if test_lane.gateway.flow.name == "checkout" else "pi_")
    statuses = [e.status for e in test_lane.journal.entries(op.id)]
    assert statuses[0] == "preparing"
    assert statuses[-1] == "approved"


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (1091, "card_declined"),
        (1092, "insufficient_funds"),
        (1093, "expired_card"),
        (1094, "do_not_honor"),
    ],
)
async def test_each_decline_code(test_lane: TestLane, amount: int, code: str) -> None:
    final = (await collect(await test_lane.service.charge(amount, "trm_side")))[-1]
    assert final.name is StateName.DECLINED
    assert final.decline_code == code
    assert final.decline_message
    assert "declin" in final.decline_message.lower() or "card" in final.decline_message.lower()


async def test_cancelled_on_the_device(test_lane: TestLane) -> None:
    final = (await collect(await test_lane.service.charge(1095, "trm_side")))[-1]
    assert final.name is StateName.CANCELLED
    assert final.decline_code == "canceled_on_terminal"


async def test_timed_out_on_the_device(sandbox: SandboxHandle, test_lane: TestLane) -> None:
    run = await test_lane.service.charge(1096, "trm_side")
    states: list[PaymentState] = []
    await until_waiting(run, states)
    sandbox.set_time(advance=91)
    assert (await finish(run, states)).name is StateName.TIMED_OUT


async def test_offline_terminal_is_refused_before_anything_is_created(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    final = (await collect(await test_lane.service.charge(1000, "trm_backoffice")))[-1]
    assert final.name is StateName.CANCELLED
    assert final.decline_code == "terminal_not_connected"
    objects = sandbox.stats()["objects"]
    assert objects["payment_intent"] == objects["checkout"] == 0


async def test_busy_terminal(sandbox: SandboxHandle, test_lane: TestLane) -> None:
    other = sandbox.create_intent()
    sandbox.pay("trm_virtual", intent_id=other["id"])
    final = (await collect(await test_lane.service.charge(1000, "trm_virtual")))[-1]
    assert final.name is StateName.CANCELLED
    assert final.decline_code == "terminal_busy"


async def test_unknown_terminal(test_lane: TestLane) -> None:
    final = (await collect(await test_lane.service.charge(1000, "trm_nowhere")))[-1]
    assert final.name is StateName.CANCELLED
    assert final.decline_code == "terminal_not_found"


async def test_terminal_becoming_busy_between_check_and_send(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    run = await test_lane.service.charge(1000, "trm_virtual")
    states: list[PaymentState] = []
    async for state in run:
        states.append(state)
        if state.name is StateName.SENDING:
            other = sandbox.create_intent()
            sandbox.pay("trm_virtual", intent_id=other["id"])
    assert states[-1].name is StateName.CANCELLED
    assert states[-1].decline_code == "terminal_busy"


# -- cancel requests -----------------------------------------------------------------


async def test_cancel_request_keeps_polling_and_the_device_decides(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    cancel = asyncio.Event()
    run = await test_lane.service.charge(1000, "trm_virtual", cancel=cancel)
    states: list[PaymentState] = []
    await until_waiting(run, states)
    cancel.set()
    async for state in run:
        states.append(state)
        if state.name is StateName.CANCEL_REQUESTED:
            sandbox.press_x("trm_virtual")
    assert "cancel_requested" in names(states)
    assert states[-1].name is StateName.CANCELLED


async def test_approval_after_a_cancel_request_wins(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    cancel = asyncio.Event()
    run = await test_lane.service.charge(1000, "trm_virtual", cancel=cancel)
    states: list[PaymentState] = []
    await until_waiting(run, states)
    cancel.set()
    async for state in run:
        states.append(state)
        if state.name is StateName.CANCEL_REQUESTED:
            sandbox.present("trm_virtual")
    assert states[-1].name is StateName.APPROVED


async def test_cancel_before_sending_sends_nothing(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    cancel = asyncio.Event()
    cancel.set()
    final = (await collect(await test_lane.service.charge(1000, "trm_virtual", cancel=cancel)))[-1]
    assert final.name is StateName.CANCELLED
    assert sandbox.control("GET", "sessions") == []


# -- refunds and voids ---------------------------------------------------------------


async def paid(sandbox: SandboxHandle, test_lane: TestLane, amount: int = 5000) -> str:
    run = await test_lane.service.charge(amount, "trm_virtual")
    states: list[PaymentState] = []
    await until_waiting(run, states)
    sandbox.present("trm_virtual")
    final = await finish(run, states)
    assert final.name is StateName.APPROVED
    op = test_lane.journal.get(run.operation.id)
    assert op is not None
    assert op.sale_id is not None
    return op.sale_id


async def test_refund_to_card_partial_and_repeated(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    sale_id = await paid(sandbox, test_lane)
    service = test_lane.service
    payment = await service.payment_details(sale_id)
    first = (await collect(await service.refund_to_card(payment, 2000, "customer_request")))[-1]
    assert first.name is StateName.APPROVED
    assert first.refund_id is not None
    payment = await service.payment_details(payment.payment_id)
    assert payment.refundable_cents == 3000
    second = (await collect(await service.refund_to_card(payment, 3000)))[-1]
    assert second.name is StateName.APPROVED
    payment = await service.payment_details(sale_id)
    assert payment.refundable_cents == 0
    refunds = test_lane.journal.history(HistoryQuery(kinds=("refund",)))
    assert sorted(op.amount_cents for op in refunds) == [2000, 3000]
    assert all(op.original_id is not None for op in refunds)


async def test_over_refund_refused_before_any_request(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    sale_id = await paid(sandbox, test_lane, 1000)
    payment = await test_lane.service.payment_details(sale_id)
    before = sandbox.stats()["requests"]
    with pytest.raises(InvalidRequestError) as refused:
        await test_lane.service.refund_to_card(payment, 1001)
    assert user_message(refused.value) == "At most $10.00 can be refunded on this payment."
    with pytest.raises(InvalidRequestError):
        await test_lane.service.refund_on_terminal(payment, 1001, "trm_virtual")
    after = sandbox.stats()["requests"]
    assert {k: v for k, v in after.items() if "refund" in k} == {
        k: v for k, v in before.items() if "refund" in k
    }


async def test_over_refund_is_refused_by_the_sandbox_too(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    sale_id = await paid(sandbox, test_lane, 1000)
    payment = await test_lane.service.payment_details(sale_id)
    observation = await test_lane.gateway.refund_to_card(payment, 1001, None, "key-over")
    assert observation.kind.value == "declined"
    assert observation.code == "refund_exceeds_amount_available"


async def test_refund_on_the_terminal(sandbox: SandboxHandle, test_lane: TestLane) -> None:
    sale_id = await paid(sandbox, test_lane)
    payment = await test_lane.service.payment_details(sale_id)
    if test_lane.gateway.flow.name == "checkout":
        # The seed's terminal refund takes a payment intent; checkouts refund to the card.
        with pytest.raises(InvalidRequestError, match="refund to the card"):
            await test_lane.service.refund_on_terminal(payment, 1500, "trm_virtual")
        return
    run = await test_lane.service.refund_on_terminal(payment, 1500, "trm_virtual")
    states: list[PaymentState] = []
    await until_waiting(run, states)
    sandbox.present("trm_virtual")
    final = await finish(run, states)
    assert final.name is StateName.APPROVED
    assert final.refund_id is not None
    assert (await test_lane.service.payment_details(sale_id)).refundable_cents == 3500
    # A second, declined attempt leaves the refundable amount alone.
    run = await test_lane.service.refund_on_terminal(payment, 1000, "trm_virtual")
    states = []
    await until_waiting(run, states)
    sandbox.present("trm_virtual", decline_code="card_declined")
    assert (await finish(run, states)).name is StateName.DECLINED
    assert (await test_lane.service.payment_details(sale_id)).refundable_cents == 3500


async def test_void_inside_and_outside_25_minutes(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    fresh = await test_lane.service.payment_details(await paid(sandbox, test_lane))
    assert (await collect(await test_lane.service.void(fresh)))[-1].name is StateName.APPROVED
    old = await test_lane.service.payment_details(await paid(sandbox, test_lane))
    sandbox.set_time(advance=26 * 60)
    final = (await collect(await test_lane.service.void(old)))[-1]
    assert final.name is StateName.DECLINED
    assert final.decline_code == "payment_outside_void_window"
