"""The shift's X and Z reports: figures by tender, the drawer's expected cash, the printed page."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.report.figures import BrandTotals, Tally, Totals
from pos_app.domain.report.shift import (
    CARD,
    CASH,
    PersonSales,
    ShiftReport,
    ShiftReportKind,
    build_shift_report,
    expected_cash,
    render_shift_text,
)
from pos_app.domain.tickets import (
    CashMovement,
    CashMovementKind,
    Shift,
    Ticket,
    TicketLine,
    TicketStatus,
)

OPENED = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
SHIFT = Shift("sh_1", "lane-1", OPENED, "Ana", 10000)
K = CashMovementKind


@dataclass(frozen=True)
class Op:
    """The fields of `services.ports.Operation` the report reads."""

    id: str
    kind: PaymentKind
    amount_cents: int
    status: str = "approved"
    card_brand: str | None = "Visa"
    served_by: str | None = "Ana"
    ticket_id: str | None = None
    shift_id: str | None = "sh_1"
    created_at: datetime = OPENED


def at(minutes: int) -> datetime:
    return OPENED + timedelta(minutes=minutes)


def move(
    kind: CashMovementKind,
    cents: int,
    minute: int,
    *,
    ticket: str | None = None,
    reason: str | None = None,
    person: str | None = "Ana",
    shift_id: str = "sh_1",
    approved_by: str | None = None,
) -> CashMovement:
    return CashMovement(
        f"mv_{kind}_{minute}",
        shift_id,
        kind,
        cents,
        at(minute),
        person=person,
        reason=reason,
        ticket_id=ticket,
        approved_by=approved_by,
    )


def ticket(
    ticket_id: str,
    total: int,
    status: TicketStatus = TicketStatus.COMPLETE,
    *,
    served_by: str | None = "Ana",
    discount: int = 0,
    shift_id: str | None = "sh_1",
) -> Ticket:
    line = TicketLine("Thing", 1, total + discount, discount_cents=discount, discount_reason="x")
    return Ticket(
        ticket_id,
        "lane-1",
        status,
        (line,),
        subtotal_cents=total,
        sale_discount_cents=0,
        tax_cents=0,
        total_cents=total,
        created_at=OPENED,
        updated_at=OPENED,
        served_by=served_by,
        shift_id=shift_id,
    )


def a_shift() -> tuple[list[CashMovement], list[Ticket], list[Op]]:
    """A shift: a cash sale, a split sale (cash, a declined card, a Visa), a card sale
    refunded in part, a cancelled sale whose cash went back and whose card was voided,
    a cash refund, a no-sale, paid in and paid out."""
    movements = [
        move(K.SALE, 1250, 5, ticket="t1"),
        move(K.SALE, 2000, 10, ticket="t2"),
        move(K.NO_SALE, 0, 12, reason="Change for the bakery"),
        move(K.PAID_IN, 5000, 15, reason="Coins from the bank"),
        move(K.SALE, 500, 20, ticket="t5"),
        move(K.CANCEL_RETURN, 500, 22, ticket="t5", approved_by="Bea"),
        move(K.REFUND, 300, 30, ticket="t1", approved_by="Bea"),
        move(K.PAID_OUT, 1800, 40, reason="Milk delivery", approved_by="Bea"),
    ]
    tickets = [
        ticket("t1", 1250),
        ticket("t2", 4500, discount=500),
        ticket("t3", 3000, served_by="ben"),
        ticket("t5", 2500, TicketStatus.CANCELLED),
        ticket("t6", 900, TicketStatus.OPEN),
    ]
    ops = [
        Op("o1", PaymentKind.CHARGE, 2500, "declined", ticket_id="t2"),
        Op("o2", PaymentKind.CHARGE, 2500, ticket_id="t2"),
        Op(
            "o3", PaymentKind.CHARGE, 3000, card_brand="Mastercard", served_by="Ben", ticket_id="t3"
        ),
        Op("o4", PaymentKind.REFUND, 1000, card_brand="Mastercard", ticket_id="t3"),
        Op("o5", PaymentKind.CHARGE, 2000, ticket_id="t5"),
        Op("o6", PaymentKind.VOID, 2000, ticket_id="t5"),
        Op("o7", PaymentKind.CHARGE, 700, card_brand=None, served_by=None),  # no ticket
        Op("o8", PaymentKind.CHARGE, 900, "waiting", ticket_id="t6"),
    ]
    return movements, tickets, ops


def x_report(shift: Shift = SHIFT) -> ShiftReport:
    movements, tickets, ops = a_shift()
    return build_shift_report(
        shift, movements, tickets, ops, kind=ShiftReportKind.X, made_at=at(60)
    )


def closed(counted: int, expected: int, **more: object) -> Shift:
    return replace(
        SHIFT,
        closed_at=at(90),
        closed_by="Bea",
        counted_cents=counted,
        expected_cents=expected,
        **more,  # type: ignore[arg-type]
    )


# -- figures -------------------------------------------------------------------------------


def test_sales_count_tender_parts_by_tender() -> None:
    report = x_report()
    assert report.sales_by_tender[CASH] == Tally(3, 1250 + 2000 + 500)
    assert report.sales_by_tender[CARD] == Tally(4, 2500 + 3000 + 2000 + 700)
    assert report.sales == Tally(7, 3750 + 8200)
    assert report.tickets == 3  # t1, t2, t3 completed


def test_card_brands_add_up_approved_operations() -> None:
    assert x_report().card_brands == (
        BrandTotals("Mastercard", Totals(sales=Tally(1, 3000), refunds=Tally(1, 1000))),
        BrandTotals("Unknown card", Totals(sales=Tally(1, 700))),
        BrandTotals("Visa", Totals(sales=Tally(2, 4500), voids=Tally(1, 2000))),
    )


def test_refunds_and_voids_by_tender_include_what_a_cancel_gave_back() -> None:
    report = x_report()
    assert report.refunds_by_tender[CASH] == Tally(2, 300 + 500)
    assert report.cash_returned == Tally(1, 500)
    assert report.refunds_by_tender[CARD] == Tally(1, 1000)
    assert report.voids == Tally(1, 2000)


def test_discounts_cancelled_declined_and_unsettled() -> None:
    report = x_report()
    assert report.discounts == Tally(1, 500)
    assert report.cancelled == Tally(1, 2500)
    assert report.declined == 1
    assert report.unsettled == 1


def test_drawer_movements_are_listed_oldest_first_with_their_reasons() -> None:
    movements, tickets, ops = a_shift()
    report = build_shift_report(
        SHIFT, reversed(movements), tickets, ops, kind=ShiftReportKind.X, made_at=at(60)
    )
    assert [m.reason for m in report.no_sales] == ["Change for the bakery"]
    assert [m.amount_cents for m in report.paid_in] == [5000]
    assert [(m.amount_cents, m.approved_by) for m in report.paid_out] == [(1800, "Bea")]


def test_expected_cash_is_the_float_and_every_movement() -> None:
    report = x_report()
    expected = 10000 + 3750 - 800 + 5000 - 1800
    assert report.float_cents == 10000
    assert report.expected_cash_cents == expected
    assert expected_cash(SHIFT, a_shift()[0]) == expected
    assert expected_cash(SHIFT, []) == 10000
    # An X report has no count.
    assert report.counted_cents is None
    assert report.over_short_cents is None


def test_each_sale_counts_once_for_the_person_who_served_it() -> None:
    # Tickets at their totals (t2 was cash and card: once), plus the card sale without a
    # ticket; "ben" and "Ben" are one person, no name last.
    assert x_report().by_person == (
        PersonSales("Ana", Tally(2, 1250 + 4500)),
        PersonSales("ben", Tally(1, 3000)),
        PersonSales(None, Tally(1, 700)),
    )


def test_another_shifts_records_are_left_out() -> None:
    movements, tickets, ops = a_shift()
    other = "sh_2"
    report = build_shift_report(
        SHIFT,
        [*movements, move(K.SALE, 99999, 50, shift_id=other)],
        [*tickets, ticket("t9", 99999, shift_id=other)],
        [
            *ops,
            Op("o9", PaymentKind.CHARGE, 99999, shift_id=other),
            Op("oA", PaymentKind.CHARGE, 1, shift_id=None),
        ],
        kind=ShiftReportKind.X,
        made_at=at(60),
    )
    assert report == x_report()
    assert expected_cash(SHIFT, [move(K.PAID_IN, 500, 1, shift_id=other)]) == 10000


def test_an_empty_shift_reports_zeros_and_its_float() -> None:
    report = build_shift_report(SHIFT, [], [], [], kind=ShiftReportKind.X, made_at=at(1))
    assert report.sales_by_tender == {CASH: Tally(), CARD: Tally()}
    assert report.refunds_by_tender == {CASH: Tally(), CARD: Tally()}
    assert (report.tickets, report.card_brands, report.by_person) == (0, (), ())
    assert report.expected_cash_cents == 10000


# -- the Z report ----------------------------------------------------------------------------


@pytest.mark.parametrize(("counted", "over_short"), [(16000, -150), (16150, 0), (16200, 50)])
def test_z_report_shows_counted_and_over_short(counted: int, over_short: int) -> None:
    movements, tickets, ops = a_shift()
    expected = expected_cash(SHIFT, movements)
    assert expected == 16150
    report = build_shift_report(
        closed(counted, expected), movements, tickets, ops, kind=ShiftReportKind.Z, made_at=at(90)
    )
    assert report.is_final
    assert report.counted_cents == counted
    assert report.over_short_cents == over_short
    assert report.over_short_cents == report.shift.over_short_cents


def test_z_report_keeps_the_expected_cash_recorded_at_close() -> None:
    movements, tickets, ops = a_shift()
    late = move(K.PAID_IN, 1000, 120)  # a record that arrived after the close
    report = build_shift_report(
        closed(16000, 16150),
        [*movements, late],
        tickets,
        ops,
        kind=ShiftReportKind.Z,
        made_at=at(200),
    )
    assert report.expected_cash_cents == 16150
    assert report.over_short_cents == -150


def test_a_z_report_of_an_open_shift_is_a_bug() -> None:
    with pytest.raises(ValueError, match="closed shift"):
        build_shift_report(SHIFT, [], [], [], kind=ShiftReportKind.Z, made_at=at(1))


# -- the printed page ----------------------------------------------------------------------


@pytest.mark.parametrize("width", [24, 32, 42, 48, 80])
def test_no_printed_line_is_wider_than_the_paper(width: int) -> None:
    report = x_report()
    long_reason = replace(report.no_sales[0], reason="A very long reason " * 6)
    report = replace(report, no_sales=(long_reason,))
    for line in render_shift_text(report, width, tz=UTC).splitlines():
        assert len(line) <= width, line


def test_the_printed_x_report_says_what_the_shift_took() -> None:
    text = render_shift_text(x_report(), 42, tz=UTC)
    lines = text.splitlines()
    assert lines[0].strip() == "X REPORT - SHIFT SO FAR"
    assert "Opened  2026-12-04 09:00 by Ana" in lines
    assert "Cash (3)" in text
    assert any(line.startswith("Cash (3)") and line.endswith("$37.50") for line in lines)
    assert any(line.startswith("Card (4)") and line.endswith("$82.00") for line in lines)
    assert any(line.startswith("Expected in drawer") and line.endswith("$161.50") for line in lines)
    assert "  Change for the bakery" in lines
    assert "  Milk delivery" in lines
    assert "09:40 Ana, approved by Bea" in text
    assert "No name (1)" in text
    assert "Counted" not in text
    assert lines[-1].strip() == "Shift still open"


@pytest.mark.parametrize(
    ("counted", "words"),
    [(16000, ("Short", "-$1.50")), (16150, ("Balanced", "$0.00")), (16200, ("Over", "+$0.50"))],
)
def test_the_printed_z_report_says_short_or_over_in_words(
    counted: int, words: tuple[str, str]
) -> None:
    movements, tickets, ops = a_shift()
    shift = closed(counted, 16150, count={2000: 10, 100: 20, 10000: 0})
    report = build_shift_report(
        shift, movements, tickets, ops, kind=ShiftReportKind.Z, made_at=at(90)
    )
    lines = render_shift_text(report, 42, tz=UTC).splitlines()
    label, amount = words
    assert any(line.startswith(label) and line.endswith(amount) for line in lines)
    assert "Closed  2026-12-04 10:30 by Bea" in lines
    assert any(line.startswith("$20 x 10") and line.endswith("$200.00") for line in lines)
    assert not any(line.startswith("$100 x") for line in lines)
    assert lines[-1].strip() == "End of shift"


def test_render_refuses_a_width_no_printer_has() -> None:
    with pytest.raises(ValueError, match="width"):
        render_shift_text(x_report(), 20)
