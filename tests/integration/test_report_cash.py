"""A split sale against the sandbox over real HTTP, then its receipt and the end of day:
a card part, a declined card, cash with change, a paid out; the receipt lists every
tender, the end of day has the cash beside the cards and the cards still reconcile."""

from __future__ import annotations

from collections.abc import Mapping

from pos_app.domain.cart import Cart
from pos_app.domain.discount import Discount, DiscountKind
from pos_app.domain.payment_flow import PaymentState, StateName
from pos_app.domain.receipt import render_text
from pos_app.domain.report import Tally, Tender
from pos_app.domain.tickets import TicketStatus
from pos_app.justifi.payments_list import JustifiPaymentsSource
from pos_app.services.audit_log import AuditAction, DetailValue
from pos_app.services.drawer import NoDrawer
from pos_app.services.reports import ReceiptService, ReportService
from pos_app.services.sales import SaleService
from pos_app.services.shifts import ShiftService
from tests.support.lanes import TestLane, collect
from tests.support.sandbox import SandboxHandle

LANE = "test-lane"


def nothing(action: AuditAction, subject: str | None, detail: Mapping[str, DetailValue]) -> None:
    """The audit trail is not what this test looks at."""


def cart() -> Cart:
    # 2 x 4.50 less 10 % (staff) = 8.10, croissant 3.25: 11.35; less $1.00 (loyalty) = 10.35;
    # tax 8.25 % = 0.85; total 11.20.
    cart = Cart(tax_rate_bps=825).add_line("Flat white", 450, 2).add_line("Croissant", 325)
    cart = cart.with_line_discount(1, Discount(DiscountKind.PERCENT, 1_000, "staff"))
    return cart.with_discount(Discount(DiscountKind.AMOUNT, 100, "loyalty"))


async def card_part(
    sandbox: SandboxHandle, sales: SaleService, ticket_id: str, amount: int, card: str
) -> PaymentState:
    run = await sales.charge_card(ticket_id, amount, "trm_virtual")
    states: list[PaymentState] = []
    async for state in run:
        states.append(state)
        if state.name is StateName.WAITING:
            sandbox.present("trm_virtual", card=card)
    return states[-1]


async def test_a_split_sales_receipt_and_the_end_of_day_with_cash(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    journal = test_lane.journal
    shifts = ShiftService(journal, NoDrawer(), lane=LANE, record=nothing)
    sales = SaleService(test_lane.service, journal, shifts, lane=LANE, record=nothing)
    await shifts.open_shift(10_000, person="Ann")

    ticket = await sales.start(cart(), served_by="Cy", discount_approved_by="Mo")
    assert ticket.total_cents == 1120
    approved = await card_part(sandbox, sales, ticket.id, 600, "visa")
    assert approved.name is StateName.APPROVED, approved
    declined = await collect(await sales.charge_card(ticket.id, 491, "trm_side"))  # .91 declines
    assert declined[-1].name is StateName.DECLINED
    paid = await sales.pay_cash(ticket.id, 1000, person="Cy")
    assert paid.change_cents == 480
    assert paid.ticket.status is TicketStatus.COMPLETE
    await shifts.paid_out(250, "window cleaner", person="Ann")

    receipts = ReceiptService(journal, ("Corner Coffee",), tickets=journal)
    receipt = receipts.for_ticket(ticket.id)
    assert receipt is not None
    assert [(t.label, t.amount_cents) for t in receipt.tenders] == [
        ("Visa **** 4242", 600),
        ("Cash", 520),
    ]
    assert receipt.change_cents == 480
    text = render_text(receipt)
    for expected in ("Discount (staff)", "Discount (loyalty)", "Cash handed over", "PAID"):
        assert expected in text
    assert "Discount approved by Mo" in text
    assert approved.payment_id is not None
    assert approved.payment_id in text
    # The declined card is not a tender.
    assert "$4.91" not in text

    reports = ReportService(
        journal, JustifiPaymentsSource(test_lane.gateway.client), tickets=journal
    )
    day = ticket.created_at.astimezone().date()
    report = await reports.day_report(day)
    assert report.justifi_checked
    assert report.differences == ()  # the card parts reconcile; cash is not JustiFi's
    assert report.total.totals.sales == Tally(1, 600)
    assert report.total.declined == 1
    cash_total = report.cash_total
    assert cash_total is not None
    assert cash_total.sales == Tally(1, 520)
    assert cash_total.paid_out == Tally(1, 250)
    assert cash_total.drawer_cents == 520 - 250
    assert [summary.lane for summary in report.cash] == [LANE]
    by_tender = {summary.tender: summary.totals.sales for summary in report.by_tender}
    assert by_tender == {
        Tender.CASH: Tally(1, 520),
        Tender.CARD: Tally(1, 600),
        Tender.ALL: Tally(2, 1120),
    }
    assert report.discounts == Tally(1, 90 + 100)
    assert report.open_sales == 0
