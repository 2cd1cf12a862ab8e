"""The end of day with cash: the drawer's movements per lane, the day by tender, discounts
and sales given up, on screen figures, in the CSV and through the report service."""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.report import (
    ALL_LANES,
    NO_LANE,
    CashSummary,
    DayReport,
    JustifiPayment,
    Tally,
    Tender,
    build_day_report,
    report_csv,
)
from pos_app.domain.tickets import CashMovement, CashMovementKind, Shift, Ticket, TicketStatus
from pos_app.services.ports import Operation
from pos_app.services.reports import ReportService, ReportSettings

TZ = timezone(timedelta(hours=-5))
DAY = date(2025, 3, 14)
NOON = datetime(2025, 3, 14, 12, 0, tzinfo=TZ)
SHIFT_LANES = {"shift-1": "lane-1", "shift-2": "lane-2"}
_ids = itertools.count(1)


def move(
    kind: CashMovementKind,
    amount: int,
    *,
    shift: str = "shift-1",
    at: datetime = NOON,
    **changes: Any,
) -> CashMovement:
    movement = CashMovement(
        id=f"cm-{next(_ids)}",
        shift_id=shift,
        kind=kind,
        amount_cents=amount,
        at=at,
        person="Cy",
    )
    return replace(movement, **changes)


def charge(amount: int, *, lane: str = "lane-1", at: datetime = NOON, **changes: Any) -> Operation:
    number = next(_ids)
    op = Operation(
        id=f"op-{number}",
        kind=PaymentKind.CHARGE,
        amount_cents=amount,
        status="approved",
        flow="payment_intent",
        lane=lane,
        sale_id=f"pi_{number}",
        payment_id=f"py_{number}",
        card_brand="Visa",
        card_last4="4242",
        created_at=at,
        updated_at=at,
    )
    return replace(op, **changes)


def ticket(
    status: TicketStatus,
    total: int,
    *,
    discount: int = 0,
    lane: str = "lane-1",
    at: datetime = NOON,
) -> Ticket:
    return Ticket(
        id=f"tkt-{next(_ids)}",
        lane=lane,
        status=status,
        lines=(),
        subtotal_cents=total + discount,
        sale_discount_cents=discount,
        tax_cents=0,
        total_cents=total,
        created_at=at,
        updated_at=at,
    )


S = CashMovementKind
MOVEMENTS = (
    move(S.SALE, 1520, tendered_cents=2000, change_cents=480),
    move(S.SALE, 800),
    move(S.REFUND, 300),
    move(S.CANCEL_RETURN, 500),
    move(S.PAID_IN, 5000),
    move(S.PAID_OUT, 1250, reason="milk"),
    move(S.NO_SALE, 0, reason="change for a note"),
    move(S.SALE, 999, shift="shift-2"),
    # Outside the day: the evening before and the next morning.
    move(S.SALE, 7777, at=NOON - timedelta(days=1)),
    move(S.SALE, 8888, at=NOON + timedelta(hours=13)),
)
OPERATIONS = (
    charge(2000),
    charge(1000, lane="lane-2"),
    charge(300, kind=PaymentKind.REFUND, sale_id=None, payment_id="py_x"),
)
TICKETS = (
    ticket(TicketStatus.COMPLETE, 2000, discount=150),
    ticket(TicketStatus.COMPLETE, 1000, discount=50, lane="lane-2"),
    ticket(TicketStatus.COMPLETE, 800),
    ticket(TicketStatus.CANCELLED, 1200),
    ticket(TicketStatus.OPEN, 700),
    ticket(TicketStatus.COMPLETE, 999, discount=1, at=NOON - timedelta(days=1)),
)


def day_report(lanes: Sequence[str] | None = None, **changes: Any) -> DayReport:
    arguments: dict[str, Any] = {
        "lanes": lanes,
        "tz": TZ,
        "movements": MOVEMENTS,
        "shift_lanes": SHIFT_LANES,
        "tickets": TICKETS,
    }
    arguments.update(changes)
    return build_day_report(DAY, OPERATIONS, None, **arguments)


def test_the_days_cash_is_summed_per_lane_and_in_all() -> None:
    report = day_report()
    assert report.cash_known
    lane_1, lane_2 = report.cash
    assert lane_1 == CashSummary(
        "lane-1",
        sales=Tally(2, 2320),
        refunds=Tally(1, 300),
        returned=Tally(1, 500),
        paid_in=Tally(1, 5000),
        paid_out=Tally(1, 1250),
        no_sales=1,
    )
    assert lane_1.net_sales_cents == 2320 - 300 - 500
    assert lane_1.drawer_cents == 1520 + 5000 - 1250
    assert lane_2 == CashSummary("lane-2", sales=Tally(1, 999))
    total = report.cash_total
    assert total is not None
    assert total.lane == ALL_LANES
    assert total.sales == Tally(3, 3319)
    assert total.no_sales == 1


def test_the_day_by_tender_puts_cash_beside_the_cards() -> None:
    cash, card, both = day_report().by_tender
    assert (cash.tender, card.tender, both.tender) == (Tender.CASH, Tender.CARD, Tender.ALL)
    assert [t.tender.label for t in (cash, card, both)] == ["Cash", "Card", "All tenders"]
    assert (cash.totals.sales, cash.totals.refunds, cash.totals.voids) == (
        Tally(3, 3319),
        Tally(1, 300),
        Tally(1, 500),
    )
    assert (card.totals.sales, card.totals.refunds) == (Tally(2, 3000), Tally(1, 300))
    assert both.totals.sales == Tally(5, 6319)
    assert both.net_cents == cash.net_cents + card.net_cents == (3319 - 800) + (3000 - 300)


def test_one_lane_shows_only_its_own_cash_and_sales() -> None:
    report = day_report(["lane-2"])
    assert [summary.lane for summary in report.cash] == ["lane-2"]
    assert report.cash_total is not None
    assert report.cash_total.sales == Tally(1, 999)
    assert report.discounts == Tally(1, 50)
    assert report.cancelled == Tally()
    assert report.open_sales == 0


def test_discounts_cancelled_and_open_sales_of_the_day() -> None:
    report = day_report()
    assert report.discounts == Tally(2, 200)  # yesterday's discounted sale is not the day's
    assert report.cancelled == Tally(1, 1200)
    assert report.open_sales == 1


def test_a_lane_with_only_cash_is_offered_in_the_lane_filter() -> None:
    report = build_day_report(
        DAY,
        [],
        None,
        tz=TZ,
        movements=[move(S.SALE, 500, shift="shift-3"), move(S.PAID_IN, 100, shift="gone")],
        shift_lanes={"shift-3": "lane-3"},
    )
    assert report.lanes_seen == (NO_LANE, "lane-3")
    assert report.cash_total is not None
    assert report.cash_total.sales == Tally(1, 500)
    assert report.total.totals.sales == Tally()


def test_without_the_drawer_read_the_report_has_no_cash() -> None:
    report = build_day_report(DAY, OPERATIONS, None, tz=TZ)
    assert not report.cash_known
    assert report.cash == ()
    assert report.by_tender == ()


def test_cash_is_never_reconciled_with_justifi() -> None:
    sale = OPERATIONS[0]
    payments = [
        JustifiPayment(sale.payment_id or "", 2000, 0, "succeeded", NOON, sale_id=sale.sale_id)
    ]
    report = day_report(["lane-1"])
    checked = build_day_report(
        DAY,
        [sale],
        payments,
        lanes=["lane-1"],
        tz=TZ,
        movements=MOVEMENTS,
        shift_lanes=SHIFT_LANES,
    )
    assert checked.reconciled  # cash sales are not "missing at JustiFi"
    assert checked.cash_total == report.cash_total


# -- CSV -------------------------------------------------------------------------------------


def sections(text: str) -> list[list[list[str]]]:
    found: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(text)):
        if row:
            found[-1].append(row)
        else:
            found.append([])
    return found


def test_the_csv_adds_tenders_cash_and_sales_after_the_differences() -> None:
    header, _summary, _people, differences, tenders, cash, sales = sections(
        report_csv(day_report())
    )
    assert header[0][0] == "report"
    assert differences[0][0] == "difference"
    tender_rows = [dict(zip(tenders[0], row, strict=True)) for row in tenders[1:]]
    assert [row["tender"] for row in tender_rows] == ["cash", "card", "all"]
    assert tender_rows[0]["sales_amount"] == "33.19"
    assert tender_rows[0]["voids_amount"] == "5.00"
    assert tender_rows[2]["net_amount"] == "52.19"
    cash_rows = [dict(zip(cash[0], row, strict=True)) for row in cash[1:]]
    assert [row["lane"] for row in cash_rows] == ["lane-1", "lane-2", ALL_LANES]
    lane_1 = cash_rows[0]
    assert (lane_1["cash_sales_count"], lane_1["cash_sales_amount"]) == ("2", "23.20")
    assert lane_1["cash_refunds_amount"] == "3.00"
    assert lane_1["cash_returned_amount"] == "5.00"
    assert (lane_1["paid_in_amount"], lane_1["paid_out_amount"]) == ("50.00", "12.50")
    assert lane_1["no_sales_count"] == "1"
    assert lane_1["net_cash_sales_amount"] == "15.20"
    assert lane_1["drawer_change_amount"] == "52.70"
    assert dict(zip(sales[0], sales[1], strict=True)) == {
        "discounted_sales_count": "2",
        "discounts_amount": "2.00",
        "cancelled_sales_count": "1",
        "cancelled_amount": "12.00",
        "open_sales_count": "1",
    }


def test_a_csv_without_cash_keeps_its_four_sections() -> None:
    assert len(sections(report_csv(build_day_report(DAY, OPERATIONS, None, tz=TZ)))) == 4


def test_a_lane_name_in_the_cash_section_is_never_a_formula() -> None:
    report = day_report(shift_lanes={"shift-1": "=lane-1", "shift-2": "lane-2"})
    cash = sections(report_csv(report))[5]
    assert [row[0] for row in cash[1:]] == ["'=lane-1", "lane-2", ALL_LANES]


# -- the service -----------------------------------------------------------------------------


class FakeJournal:
    def __init__(self, operations: Sequence[Operation]) -> None:
        self.operations = list(operations)

    def history(self, query: Any) -> list[Operation]:
        found = [
            op
            for op in self.operations
            if (query.since is None or op.created_at >= query.since)
            and (query.until is None or op.created_at <= query.until)
            and (query.text is None or query.text in (op.payment_id, op.sale_id))
        ]
        return found[query.offset : query.offset + query.limit]

    def find_by_justifi_id(self, justifi_id: str) -> Operation | None:
        return None


class FakeTickets:
    def __init__(self) -> None:
        self.windows: list[tuple[datetime, datetime]] = []
        self.shifts = {
            shift_id: Shift(shift_id, lane, NOON, None, 10_000)
            for shift_id, lane in SHIFT_LANES.items()
        }

    def cash_movements(
        self, *, since: datetime | None = None, until: datetime | None = None, **_: object
    ) -> list[CashMovement]:
        assert since is not None
        assert until is not None
        self.windows.append((since, until))
        return [m for m in MOVEMENTS if since <= m.at < until]

    def shift(self, shift_id: str) -> Shift | None:
        return self.shifts.get(shift_id)

    def tickets_between(self, since: datetime, until: datetime) -> list[Ticket]:
        return [t for t in TICKETS if since <= t.created_at < until]


def test_the_report_service_reads_the_drawer_from_the_ticket_store() -> None:
    tickets = FakeTickets()
    reports = ReportService(
        FakeJournal(OPERATIONS),  # type: ignore[arg-type]  # the reads the report uses
        None,
        ReportSettings(tz=TZ),
        tickets=tickets,  # type: ignore[arg-type]
    )
    report = asyncio.run(reports.day_report(DAY))
    assert report == day_report()
    start = datetime(2025, 3, 14, tzinfo=TZ)
    margin = ReportSettings().margin
    assert tickets.windows == [(start - margin, start + timedelta(days=1) + margin)]
    alone = ReportService(FakeJournal(OPERATIONS), None, ReportSettings(tz=TZ))  # type: ignore[arg-type]
    assert not asyncio.run(alone.day_report(DAY)).cash_known
