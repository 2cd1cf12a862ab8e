"""A sale paid in parts against the sandbox over real HTTP, both flows: cash and cards in
any order, a declined card in between, cancelling, a crash after a card part's approval,
and answers lost on the way back.

What is asserted is what the shop would notice: the sale completes (or is
cancelled) once, the drawer holds what the till says, JustiFi holds one payment
per approved card part and nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pos_app.domain.cart import Cart
from pos_app.domain.errors import InvalidInputError
from pos_app.domain.payment_flow import PaymentKind, PaymentState, StateName
from pos_app.domain.tender import TenderKind
from pos_app.domain.tickets import CashMovementKind, TicketStatus
from pos_app.services.payments import PaymentRun
from pos_app.services.sales import SaleService
from pos_app.services.shifts import ShiftService
from tests.support.lanes import TestLane, collect, lane
from tests.support.sandbox import SandboxHandle
from tests.support.shifts import AuditTrail, RecordingDrawer

LANE = "test-lane"


@dataclass
class Till:
    """A lane's shifts and sales over the app's engine and journal, as the wiring builds
    them, with a drawer and an audit trail that record."""

    lane: TestLane
    shifts: ShiftService
    sales: SaleService
    drawer: RecordingDrawer
    trail: AuditTrail


def till_on(test_lane: TestLane) -> Till:
    drawer, trail = RecordingDrawer(), AuditTrail()
    shifts = ShiftService(test_lane.journal, drawer, lane=LANE, record=trail)
    sales = SaleService(test_lane.service, test_lane.journal, shifts, lane=LANE, record=trail)
    return Till(test_lane, shifts, sales, drawer, trail)


@pytest.fixture
def till(test_lane: TestLane) -> Till:
    return till_on(test_lane)


def sale_kind(test_lane: TestLane) -> str:
    return "checkout" if test_lane.gateway.flow.name == "checkout" else "payment_intent"


def sale_path(test_lane: TestLane) -> str:
    return "/v1/checkouts" if test_lane.gateway.flow.name == "checkout" else "/v1/payment_intents"


def succeeded(sandbox: SandboxHandle) -> list[int]:
    """The amounts of JustiFi's payments that took money (a declined card's do not)."""
    listed = sandbox.ok("GET", "/v1/payments", params={"limit": 100})["data"]
    return sorted(p["amount"] for p in listed if p["status"] == "succeeded")


async def until_waiting(run: PaymentRun) -> list[PaymentState]:
    states: list[PaymentState] = []
    async for state in run:
        states.append(state)
        if state.name is StateName.WAITING:
            return states
    raise AssertionError(f"never waited: {[s.name.value for s in states]}")


async def finish(run: PaymentRun) -> PaymentState:
    final = run.state
    async for state in run:
        final = state
    return final


# -- paying in parts ---------------------------------------------------------------------------


async def test_cash_then_a_declined_card_then_an_approved_card_completes(
    sandbox: SandboxHandle, till: Till
) -> None:
    shift = await till.shifts.open_shift(2_000, person="Ann")
    ticket = await till.sales.start(Cart().add_amount(6_000), served_by="Ann")

    cash = await till.sales.pay_cash(ticket.id, 1_000, person="Ann")
    assert cash.payments.balance_cents == 5_000

    declined = await till.sales.charge_card(ticket.id, 2_500, "trm_virtual")
    await until_waiting(declined)
    sandbox.present("trm_virtual", decline_code="insufficient_funds")
    assert (await finish(declined)).name is StateName.DECLINED
    payments = till.sales.payments(ticket.id)
    assert [p.kind for p in payments.parts] == [TenderKind.CASH]  # the paid part stands
    assert payments.balance_cents == 5_000
    assert till.sales.ticket(ticket.id).status is TicketStatus.OPEN

    approved = await till.sales.charge_card(ticket.id, 5_000, "trm_virtual", served_by="Ann")
    await until_waiting(approved)
    sandbox.present("trm_virtual", card="visa")
    assert (await finish(approved)).name is StateName.APPROVED

    # Complete as soon as the approval was handed out: no separate settle needed.
    done = till.sales.ticket(ticket.id)
    assert done.status is TicketStatus.COMPLETE
    payments = till.sales.payments(ticket.id)
    assert [(p.kind, p.amount_cents) for p in payments.parts] == [
        (TenderKind.CASH, 1_000),
        (TenderKind.CARD, 5_000),
    ]
    assert payments.parts[1].card_last4 == "4242"
    op = till.lane.journal.get(approved.operation.id)
    assert op is not None
    assert (op.ticket_id, op.shift_id, op.served_by) == (ticket.id, shift.id, "Ann")
    assert succeeded(sandbox) == [5_000]  # the declined card paid nothing
    assert till.shifts.expected_cash() == 3_000
    report = till.shifts.x_report()
    assert report.sales_by_tender["cash"].cents == 1_000
    assert report.sales_by_tender["card"].cents == 5_000
    assert report.declined == 1
    assert report.tickets == 1


async def test_two_cards_without_a_shift_belong_to_the_day(
    sandbox: SandboxHandle, till: Till
) -> None:
    ticket = await till.sales.start(Cart().add_amount(3_000), served_by=None)
    with pytest.raises(InvalidInputError, match="Open a shift to take cash"):
        await till.sales.pay_cash(ticket.id, 3_000, person=None)
    assert till.lane.journal.cash_movements(ticket_id=ticket.id) == []
    assert till.drawer.opened == []
    first = await collect(await till.sales.charge_card(ticket.id, 1_000, "trm_side"))
    assert first[-1].name is StateName.APPROVED
    assert till.sales.ticket(ticket.id).status is TicketStatus.OPEN
    second = await collect(await till.sales.charge_card(ticket.id, 2_000, "trm_side"))
    assert second[-1].name is StateName.APPROVED
    assert till.sales.ticket(ticket.id).status is TicketStatus.COMPLETE
    ops = till.lane.journal.ticket_operations(ticket.id)
    assert [op.amount_cents for op in ops] == [1_000, 2_000]
    assert {op.shift_id for op in ops} == {None}
    assert sandbox.stats()["objects"]["payment"] == 2


async def test_a_card_part_over_the_balance_sends_nothing(
    sandbox: SandboxHandle, till: Till
) -> None:
    await till.shifts.open_shift(0, person="Ann")
    ticket = await till.sales.start(Cart().add_amount(2_000), served_by="Ann")
    await till.sales.pay_cash(ticket.id, 1_500, person="Ann")
    with pytest.raises(InvalidInputError, match="at most the balance"):
        await till.sales.charge_card(ticket.id, 600, "trm_side")
    assert sandbox.stats()["objects"][sale_kind(till.lane)] == 0


# -- cancelling --------------------------------------------------------------------------------


async def test_cancel_of_a_partly_paid_sale_voids_the_card_and_returns_the_cash(
    sandbox: SandboxHandle, till: Till
) -> None:
    await till.shifts.open_shift(5_000, person="Ann")
    ticket = await till.sales.start(Cart().add_amount(9_000), served_by="Ann")
    await till.sales.pay_cash(ticket.id, 2_000, person="Ann")
    card = await collect(await till.sales.charge_card(ticket.id, 3_000, "trm_side"))
    assert card[-1].name is StateName.APPROVED
    payment_id = card[-1].payment_id
    assert payment_id is not None

    result = await till.sales.cancel(ticket.id, approved_by="Mia", person="Ann")
    assert result.returned_cash_cents == 2_000
    assert [run.operation.kind for run in result.runs] == [PaymentKind.VOID]
    assert (await finish(result.runs[0])).name is StateName.APPROVED

    cancelled = till.sales.ticket(ticket.id)
    assert (cancelled.status, cancelled.cancelled_by) == (TicketStatus.CANCELLED, "Mia")
    assert sandbox.get(f"/v1/payments/{payment_id}")["status"] == "canceled"
    assert till.shifts.expected_cash() == 5_000
    assert till.drawer.opened == ["sale", "sale cancelled"]
    report = await till.shifts.close_shift(5_000, person="Ann")
    assert report.over_short_cents == 0
    assert report.voids.cents == 3_000
    assert report.refunds_by_tender["cash"].cents == 2_000
    assert report.cancelled.count == 1


# -- a crash, and lost answers -------------------------------------------------------------------


async def test_a_card_part_approved_while_the_till_was_down_completes_at_start(
    sandbox: SandboxHandle, lane_url: str, tmp_path: Path, flow: str
) -> None:
    journal_path = tmp_path / "journal.sqlite3"
    async with lane(lane_url, journal_path, flow) as first:
        before = till_on(first)
        await before.shifts.open_shift(1_000, person="Ann")
        ticket = await before.sales.start(Cart().add_amount(4_000), served_by="Ann")
        await before.sales.pay_cash(ticket.id, 1_500, person="Ann")
        run = await before.sales.charge_card(ticket.id, 2_500, "trm_virtual")
        await until_waiting(run)
        await run.states.aclose()  # type: ignore[attr-defined]  # the till stops here
    sandbox.present("trm_virtual", card="mastercard")  # the customer pays meanwhile

    async with lane(lane_url, journal_path, flow) as second:
        after = till_on(second)
        assert after.sales.ticket(ticket.id).status is TicketStatus.OPEN
        await second.service.recover()
        assert await after.sales.resume() is None
        done = after.sales.ticket(ticket.id)
        assert done.status is TicketStatus.COMPLETE
        payments = after.sales.payments(ticket.id)
        assert (payments.cash_cents, payments.card_cents, payments.balance_cents) == (
            1_500,
            2_500,
            0,
        )
        assert after.shifts.expected_cash() == 2_500
    assert sandbox.stats()["objects"]["payment"] == 1


async def test_answers_lost_on_the_way_back_double_nothing(
    sandbox: SandboxHandle, till: Till
) -> None:
    await till.shifts.open_shift(0, person="Ann")
    ticket = await till.sales.start(Cart().add_amount(5_000), served_by="Ann")
    await till.sales.pay_cash(ticket.id, 2_000, person="Ann")
    sandbox.fault("lost_answer", sale_path(till.lane), method="POST", count=1)
    sandbox.fault("lost_answer", "/v1/terminals/pay", method="POST", count=1)
    states = await collect(await till.sales.charge_card(ticket.id, 3_000, "trm_side"))
    assert states[-1].name is StateName.APPROVED
    assert "declined" not in [s.name.value for s in states]
    assert till.sales.ticket(ticket.id).status is TicketStatus.COMPLETE
    assert till.sales.payments(ticket.id).paid_cents == 5_000
    objects = sandbox.stats()["objects"]
    assert (objects[sale_kind(till.lane)], objects["payment"]) == (1, 1)

    # A cancel whose void answer is lost: one void, the sale cancelled once.
    second = await till.sales.start(Cart().add_amount(4_000), served_by="Ann")
    card = await collect(await till.sales.charge_card(second.id, 1_000, "trm_side"))
    payment_id = card[-1].payment_id
    await till.sales.pay_cash(second.id, 500, person="Ann")
    sandbox.fault("lost_answer", "/v1/payments/*/void", method="POST", count=1)
    result = await till.sales.cancel(second.id, approved_by="Mia", person="Ann")
    assert (await finish(result.runs[0])).name is StateName.APPROVED
    assert till.sales.ticket(second.id).status is TicketStatus.CANCELLED
    assert sandbox.get(f"/v1/payments/{payment_id}")["status"] == "canceled"
    returned = [
        m
        for m in till.lane.journal.cash_movements(ticket_id=second.id)
        if m.kind is CashMovementKind.CANCEL_RETURN
    ]
    assert [m.amount_cents for m in returned] == [500]
    assert (await till.sales.cancel(second.id, approved_by="Mia", person="Ann")).runs == ()
    assert till.shifts.expected_cash() == 2_000
    assert sandbox.stats()["faults"]["hits"] == 3


async def test_a_charge_and_a_refund_outside_a_ticket_belong_to_the_open_shift(
    sandbox: SandboxHandle, till: Till
) -> None:
    service = till.lane.service
    before = await service.charge(1_200, "trm_side")
    assert (await finish(before)).name is StateName.APPROVED
    day_charge = till.lane.journal.get(before.operation.id)
    assert day_charge is not None
    assert day_charge.shift_id is None  # no shift open: the day's
    shift = await till.shifts.open_shift(0, person="Ann")
    charge = await service.charge(2_000, "trm_side", "a plain charge")
    final = (await collect(charge))[-1]
    assert final.name is StateName.APPROVED
    payment = await service.payment_details(final.payment_id or "")
    refund = await service.refund_to_card(payment, 500, approved_by="Mia")
    assert (await finish(refund)).name is StateName.APPROVED
    charged = till.lane.journal.get(charge.operation.id)
    refunded = till.lane.journal.get(refund.operation.id)
    assert charged is not None
    assert refunded is not None
    assert (charged.shift_id, refunded.shift_id) == (shift.id, shift.id)
    report = till.shifts.x_report()
    assert report.sales_by_tender["card"].cents == 2_000  # not the one before the shift
    assert report.refunds_by_tender["card"].cents == 500
