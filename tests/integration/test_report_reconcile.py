"""The end-of-day report against the sandbox over real HTTP: a lane's day reconciled with
JustiFi's payments, and a payment another lane took listed as missing from this journal."""

from __future__ import annotations

from datetime import datetime, timedelta

from pos_app.domain.payment_flow import PaymentState, StateName
from pos_app.domain.report import DifferenceKind, Tally, Totals, day_window
from pos_app.justifi.payments_list import JustifiPaymentsSource, list_payments_between
from pos_app.services.reports import ReportService
from tests.support.lanes import TestLane, collect
from tests.support.sandbox import SandboxHandle


async def charge(sandbox: SandboxHandle, test_lane: TestLane, amount: int, card: str) -> str:
    """A sale on the manual terminal, paid with `card`; its payment id."""
    run = await test_lane.service.charge(amount, "trm_virtual", "coffee")
    states: list[PaymentState] = []
    async for state in run:
        states.append(state)
        if state.name is StateName.WAITING:
            sandbox.present("trm_virtual", card=card)
    assert states[-1].name is StateName.APPROVED, states[-1]
    assert states[-1].payment_id is not None
    return states[-1].payment_id


def another_lanes_sale(sandbox: SandboxHandle, amount: int) -> dict[str, str]:
    """A payment made on JustiFi directly, as another lane (with its own journal) would."""
    intent = sandbox.create_intent(amount, description="lane 2 sale")
    assert sandbox.pay("trm_front", intent_id=intent["id"]).status_code == 201
    sandbox.set_time(advance=5)  # the front counter's customer taps after 3 s
    paid = sandbox.get(f"/v1/payment_intents/{intent['id']}")
    assert paid["status"] == "succeeded", paid
    return sandbox.get(f"/v1/payments/{paid['successful_payment_id']}")


async def test_the_report_lists_a_payment_missing_from_the_journal(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    service = test_lane.service
    kept = await charge(sandbox, test_lane, 1234, "mastercard")
    voided = await charge(sandbox, test_lane, 1500, "visa")
    refund = await collect(await service.refund_to_card(await service.payment_details(kept), 234))
    assert refund[-1].name is StateName.APPROVED
    void = await collect(await service.void(await service.payment_details(voided)))
    assert void[-1].name is StateName.APPROVED
    declined = await collect(await service.charge(1091, "trm_side", "declined"))  # .91 declines
    assert declined[-1].name is StateName.DECLINED
    other = another_lanes_sale(sandbox, 2500)

    other_at = datetime.fromisoformat(other["created_at"].replace("Z", "+00:00"))
    day = other_at.astimezone().date()
    reports = ReportService(test_lane.journal, JustifiPaymentsSource(test_lane.gateway.client))
    report = await reports.day_report(day)

    assert report.justifi_checked
    assert [(d.kind, d.payment_id) for d in report.differences] == [
        (DifferenceKind.MISSING_FROM_JOURNAL, other["id"])
    ]
    (missing,) = report.differences
    assert missing.amount_cents == 2500
    assert missing.justifi == "succeeded"
    assert other["id"] in missing.description
    assert not report.reconciled

    (summary,) = report.lanes
    assert summary.lane == "test-lane"
    assert summary.totals == Totals(
        sales=Tally(2, 2734), refunds=Tally(1, 234), voids=Tally(1, 1500)
    )
    assert summary.net_cents == 1000
    assert summary.declined == 1
    brands = {b.brand: b.totals for b in summary.brands}
    assert brands["Mastercard"] == Totals(sales=Tally(1, 1234), refunds=Tally(1, 234))
    assert brands["Visa"].net_cents == 0
    # JustiFi's side: both of this lane's payments and the other lane's; the decline moved
    # no money.
    assert report.justifi_payments == Tally(3, 1234 + 1500 + 2500)

    # The lane's own report still lists it: it may be this lane's sale the journal lost.
    mine = await reports.day_report(day, "test-lane")
    assert [d.payment_id for d in mine.differences] == [other["id"]]


async def test_a_day_with_nothing_else_at_justifi_is_reconciled(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    payment_id = await charge(sandbox, test_lane, 4200, "amex")
    op = test_lane.journal.find_by_justifi_id(payment_id)
    assert op is not None
    reports = ReportService(test_lane.journal, JustifiPaymentsSource(test_lane.gateway.client))
    report = await reports.day_report(op.created_at.astimezone().date())
    assert report.differences == ()
    assert report.reconciled
    assert report.total.totals.sales == Tally(1, 4200)
    assert [b.brand for b in report.total.brands] == ["American Express"]


async def test_the_list_is_read_page_by_page(sandbox: SandboxHandle, test_lane: TestLane) -> None:
    ids = {await charge(sandbox, test_lane, 1000 + n, "visa") for n in range(3)}
    start, end = day_window(datetime.now().astimezone().date())
    payments = await list_payments_between(
        test_lane.gateway.client, start - timedelta(hours=1), end + timedelta(hours=1), page_size=1
    )
    assert {p.id for p in payments} == ids
    assert len(payments) == 3
