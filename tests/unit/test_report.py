"""The end-of-day report: sums per lane and brand, every difference with JustiFi, CSV,
the report service's reading of the journal, and JustiFi's paged payment list."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain.errors import UnavailableError
from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.report import (
    ALL_LANES,
    NO_NAME,
    UNKNOWN_BRAND,
    DayReport,
    DifferenceKind,
    JustifiPayment,
    PersonSummary,
    Tally,
    Totals,
    build_day_report,
    day_window,
    report_csv,
)
from pos_app.justifi.client import JustifiClient
from pos_app.justifi.http import JustifiHttp
from pos_app.justifi.payments_list import (
    JustifiPaymentsSource,
    PaymentListIncomplete,
    list_payments_between,
)
from pos_app.services.ports import GatewayRefusedError, GatewayUnavailableError, Operation
from pos_app.services.reports import ReportService, ReportSettings
from pos_app.storage.journal import SqliteJournal

TZ = timezone(timedelta(hours=-5))
DAY = date(2025, 3, 14)
NOON = datetime(2025, 3, 14, 12, 0, tzinfo=TZ)
_ids = itertools.count(1)


def op(
    kind: PaymentKind = PaymentKind.CHARGE,
    amount: int = 1000,
    *,
    status: str = "approved",
    lane: str | None = "lane-1",
    brand: str | None = "Visa",
    payment_id: str | None = None,
    at: datetime = NOON,
    **changes: Any,
) -> Operation:
    number = next(_ids)
    operation = Operation(
        id=f"op-{number}",
        kind=kind,
        amount_cents=amount,
        status=status,
        flow="payment_intent",
        lane=lane,
        create_key=f"c-{number}",
        send_key=f"s-{number}",
        sale_id=f"pi_{number}" if kind is PaymentKind.CHARGE else None,
        payment_id=payment_id
        if payment_id is not None
        else (f"py_{number}" if status == "approved" else None),
        card_brand=brand,
        card_last4="4242" if brand else None,
        created_at=at,
        updated_at=at,
    )
    return replace(operation, **changes)


def paid(charge: Operation, **changes: Any) -> JustifiPayment:
    """JustiFi's payment for an approved journal charge, agreeing with it."""
    payment = JustifiPayment(
        id=charge.payment_id or "py_?",
        amount_cents=charge.amount_cents,
        amount_refunded_cents=0,
        status="succeeded",
        created_at=charge.created_at + timedelta(seconds=5),
        card_brand=charge.card_brand,
        card_last4=charge.card_last4,
        sale_id=charge.sale_id,
    )
    return replace(payment, **changes)


def report(
    operations: Sequence[Operation],
    payments: Sequence[JustifiPayment] | None = (),
    lanes: Sequence[str] | None = None,
) -> DayReport:
    return build_day_report(DAY, operations, payments, lanes=lanes, tz=TZ)


def kinds(day_report: DayReport) -> list[DifferenceKind]:
    return [d.kind for d in day_report.differences]


# -- the day ---------------------------------------------------------------------------


def test_the_window_is_the_local_day() -> None:
    start, end = day_window(DAY, TZ)
    assert start == datetime(2025, 3, 14, 5, 0, tzinfo=UTC)
    assert end - start == timedelta(days=1)
    local_start, local_end = day_window(DAY)
    assert local_start.tzinfo is not None
    assert (local_start.hour, local_end.hour) == (0, 0)


def test_counts_and_sums_per_lane_and_brand() -> None:
    ops = [
        op(amount=1000, brand="Visa"),
        op(amount=2500, brand="Mastercard"),
        op(amount=700, brand="Visa", lane="lane-2"),
        op(PaymentKind.REFUND, 300, brand="Visa", payment_id="py_x"),
        op(PaymentKind.VOID, 2500, brand="Mastercard", payment_id="py_y"),
        op(amount=999, status="declined"),
        op(amount=450, status="unresolved"),
        op(amount=5000, at=NOON + timedelta(days=1)),  # tomorrow
        op(amount=5000, at=NOON - timedelta(hours=13)),  # 23:00 the day before
    ]
    day = report(ops, payments=None)
    assert [s.lane for s in day.lanes] == ["lane-1", "lane-2"]
    lane1, lane2 = day.lanes
    assert lane1.totals == Totals(sales=Tally(2, 3500), refunds=Tally(1, 300), voids=Tally(1, 2500))
    assert lane1.net_cents == 700
    assert (lane1.declined, lane1.unsettled) == (1, 1)
    brands = {b.brand: b.totals for b in lane1.brands}
    assert brands["Visa"] == Totals(sales=Tally(1, 1000), refunds=Tally(1, 300))
    assert brands["Mastercard"].net_cents == 0
    assert lane2.totals.sales == Tally(1, 700)
    assert day.total.lane == ALL_LANES
    assert day.total.totals.sales == Tally(3, 4200)
    assert day.total.net_cents == 1400
    assert day.lanes_seen == ("lane-1", "lane-2")
    assert not day.justifi_checked
    assert not day.reconciled
    # Without JustiFi only what the journal itself knows is listed: the unsettled sale.
    assert kinds(day) == [DifferenceKind.UNRESOLVED]
    assert "unresolved in the journal" in day.differences[0].description


def test_totals_per_person_with_what_they_approved() -> None:
    ops = [
        op(amount=1000, served_by="Ann"),
        op(amount=2500, served_by="ann", at=NOON + timedelta(hours=1)),  # the newest spelling
        op(amount=700, served_by="Cy", lane="lane-2"),
        op(PaymentKind.REFUND, 300, served_by="Cy", approved_by="Bea", payment_id="py_x"),
        op(PaymentKind.VOID, 2500, served_by="Bea", approved_by="Bea", payment_id="py_y"),
        op(PaymentKind.REFUND, 100, served_by="Ann", approved_by="Bea", status="declined"),
        op(amount=999, served_by="Ann", status="declined"),
        op(amount=450),  # before named staff
        op(amount=50, served_by="  "),
        op(amount=5000, served_by="Dee", at=NOON + timedelta(days=1)),  # tomorrow
    ]
    day = report(ops, payments=None)
    assert [p.person for p in day.people] == ["ann", "Bea", "Cy", NO_NAME]
    ann, bea, cy, nobody = day.people
    assert ann == PersonSummary("ann", Totals(sales=Tally(2, 3500)), Tally(), declined=1)
    assert bea.totals == Totals(voids=Tally(1, 2500))
    assert bea.approved == Tally(2, 2800)  # the declined refund approved nothing
    assert cy.totals == Totals(sales=Tally(1, 700), refunds=Tally(1, 300))
    assert cy.net_cents == 400
    assert nobody.totals.sales == Tally(2, 500)
    every = sum((p.totals for p in day.people), Totals())
    assert every == day.total.totals


def test_people_follow_the_lane_filter() -> None:
    ops = [op(served_by="Ann"), op(served_by="Cy", lane="lane-2")]
    assert [p.person for p in report(ops, payments=None, lanes=["lane-2"]).people] == ["Cy"]


def test_someone_who_only_approved_is_listed() -> None:
    refund = op(PaymentKind.REFUND, 300, approved_by="Bea", payment_id="py_x")
    people = report([refund], payments=None).people
    assert [(p.person, p.totals, p.approved) for p in people] == [
        ("Bea", Totals(), Tally(1, 300)),
        (NO_NAME, Totals(refunds=Tally(1, 300)), Tally()),
    ]


def test_a_sale_never_counts_as_approved() -> None:
    people = report([op(served_by="Ann", approved_by="Bea")], payments=None).people
    assert [p.person for p in people] == ["Ann"]


def test_the_audit_head_is_kept_when_given() -> None:
    assert report([op()], payments=None).audit_head is None
    day = build_day_report(DAY, [op()], None, tz=TZ, audit_head=" 412:3f7a9c0d11e2b4a5f6c7 ")
    assert day.audit_head == "412:3f7a9c0d11e2b4a5f6c7"


def test_a_lane_filter_and_unknown_brands() -> None:
    ops = [op(lane="lane-1"), op(lane="lane-2", brand=None), op(lane=None, amount=51)]
    day = report(ops, payments=None, lanes=["lane-2"])
    assert [s.lane for s in day.lanes] == ["lane-2"]
    assert day.total.totals.sales == Tally(1, 1000)
    assert [b.brand for b in day.lanes[0].brands] == [UNKNOWN_BRAND]
    assert day.lane_filter == ("lane-2",)
    assert day.lanes_seen == ("(no lane)", "lane-1", "lane-2")


# -- reconciliation ----------------------------------------------------------------------


def test_journal_and_justifi_agreeing_is_reconciled() -> None:
    sale = op(amount=2000)
    refund = op(PaymentKind.REFUND, 500, payment_id=sale.payment_id)
    voided = op(amount=1500)
    void = op(PaymentKind.VOID, 1500, payment_id=voided.payment_id)
    declined = op(amount=1091, status="declined", payment_id="py_failed")
    payments = [
        paid(sale, amount_refunded_cents=500, status="partially_refunded"),
        paid(voided, status="canceled"),
        JustifiPayment("py_failed", 1091, 0, "failed", NOON, sale_id=declined.sale_id),
    ]
    day = report([sale, refund, voided, void, declined], payments)
    assert day.differences == ()
    assert day.reconciled
    assert day.justifi_payments == Tally(2, 3500)  # the failed one moved no money


def test_a_payment_missing_from_the_journal_is_listed() -> None:
    sale = op(amount=2000)
    other_lane = JustifiPayment(
        "py_other", 1234, 0, "succeeded", NOON + timedelta(hours=1), "Amex", "8431", "pi_other"
    )
    failed = JustifiPayment("py_failed", 1091, 0, "failed", NOON, sale_id="pi_z")
    yesterday = replace(other_lane, id="py_old", created_at=NOON - timedelta(days=1))
    day = report([sale], [paid(sale), other_lane, failed, yesterday])
    assert kinds(day) == [DifferenceKind.MISSING_FROM_JOURNAL]
    (missing,) = day.differences
    assert missing.payment_id == "py_other"
    assert missing.amount_cents == 1234
    assert missing.operation_id is None
    assert missing.description.startswith("JustiFi has payment py_other of $12.34 (succeeded)")
    assert not day.reconciled


def test_another_lanes_sale_is_not_missing_when_the_report_shows_one_lane() -> None:
    mine, theirs = op(lane="lane-1"), op(lane="lane-2")
    day = report([mine, theirs], [paid(mine), paid(theirs)], lanes=["lane-1"])
    assert day.differences == ()


def test_a_sale_found_by_its_intent_when_the_journal_lost_the_payment_id() -> None:
    sale = op(status="unresolved", payment_id="")
    day = report([sale], [paid(sale, id="py_found")])
    assert kinds(day) == [DifferenceKind.UNRESOLVED]  # not also "missing from the journal"


def test_an_approved_sale_justifi_does_not_have() -> None:
    sale = op(amount=2000)
    day = report([sale], [])
    assert kinds(day) == [DifferenceKind.MISSING_AT_JUSTIFI]
    assert day.differences[0].operation_id == sale.id
    assert "JustiFi does not have" in day.differences[0].description


def test_amount_refund_and_status_mismatches() -> None:
    amount = op(amount=2000)
    refunded = op(amount=3000)
    refund = op(PaymentKind.REFUND, 1000, payment_id=refunded.payment_id)
    voided = op(amount=1500)
    void = op(PaymentKind.VOID, 1500, payment_id=voided.payment_id)
    declined = op(amount=1200, status="declined", payment_id="")
    disputed = op(amount=800)
    payments = [
        paid(amount, amount_cents=2100),
        paid(refunded, amount_refunded_cents=1500, status="partially_refunded"),
        paid(voided, status="succeeded"),
        paid(declined, id="py_taken", status="succeeded"),
        paid(disputed, status="disputed"),
    ]
    day = report([amount, refunded, refund, voided, void, declined, disputed], payments)
    found = {(d.kind, d.payment_id): d for d in day.differences}
    assert set(found) == {
        (DifferenceKind.AMOUNT_MISMATCH, amount.payment_id),
        (DifferenceKind.REFUND_MISMATCH, refunded.payment_id),
        (DifferenceKind.STATUS_MISMATCH, voided.payment_id),
        (DifferenceKind.STATUS_MISMATCH, "py_taken"),
        (DifferenceKind.STATUS_MISMATCH, disputed.payment_id),
    }
    amount_diff = found[(DifferenceKind.AMOUNT_MISMATCH, amount.payment_id)]
    assert (amount_diff.journal, amount_diff.justifi) == ("$20.00", "$21.00")
    refund_diff = found[(DifferenceKind.REFUND_MISMATCH, refunded.payment_id)]
    assert (refund_diff.journal, refund_diff.justifi, refund_diff.amount_cents) == (
        "$10.00",
        "$15.00",
        500,
    )
    void_diff = found[(DifferenceKind.STATUS_MISMATCH, voided.payment_id)]
    assert (void_diff.journal, void_diff.justifi) == ("voided", "succeeded")
    taken = found[(DifferenceKind.STATUS_MISMATCH, "py_taken")]
    assert (taken.journal, taken.justifi) == ("declined", "succeeded")
    assert "the journal says declined, JustiFi says succeeded" in taken.description


def test_a_refund_today_of_an_older_sale_is_checked_against_its_payment() -> None:
    old_sale = op(amount=4000, at=NOON - timedelta(days=3))
    earlier_refund = op(
        PaymentKind.REFUND, 1000, payment_id=old_sale.payment_id, at=NOON - timedelta(days=2)
    )
    refund = op(PaymentKind.REFUND, 500, payment_id=old_sale.payment_id)
    payment = paid(old_sale, amount_refunded_cents=1500, status="partially_refunded")
    day = report([old_sale, earlier_refund, refund], [payment])
    assert day.differences == ()
    assert day.total.totals.refunds == Tally(1, 500)
    assert day.justifi_payments == Tally()  # created days ago: not today's
    unknown = op(PaymentKind.REFUND, 500, payment_id="py_unknown")
    assert kinds(report([unknown], [])) == [DifferenceKind.MISSING_AT_JUSTIFI]


# -- properties ----------------------------------------------------------------------------

operations = st.lists(
    st.builds(
        lambda kind, amount, status, lane, brand, minutes: op(
            kind,
            amount,
            status=status,
            lane=lane,
            brand=brand,
            at=NOON + timedelta(minutes=minutes),
        ),
        st.sampled_from(PaymentKind),
        st.integers(51, 1_000_000),
        st.sampled_from(["approved", "approved", "declined", "unresolved", "waiting"]),
        st.sampled_from(["lane-1", "lane-2", None]),
        st.sampled_from(["Visa", "Mastercard", "American Express", None, "  "]),
        st.integers(-1000, 1000),
    ),
    max_size=30,
)


@given(operations)
def test_net_is_sales_less_refunds_less_voids_and_brands_add_up(ops: list[Operation]) -> None:
    day = report(ops, payments=None)
    start, end = day_window(DAY, TZ)
    approved = [o for o in ops if o.status == "approved" and start <= o.created_at < end]
    for summary in (*day.lanes, day.total):
        totals = summary.totals
        assert summary.net_cents == totals.sales.cents - totals.refunds.cents - totals.voids.cents
        by_brand = sum((b.totals for b in summary.brands), Totals())
        assert by_brand == totals
    assert sum((s.totals for s in day.lanes), Totals()) == day.total.totals
    assert day.total.totals.sales.cents == sum(
        o.amount_cents for o in approved if o.kind is PaymentKind.CHARGE
    )
    assert day.total.net_cents == sum(
        o.amount_cents if o.kind is PaymentKind.CHARGE else -o.amount_cents for o in approved
    )


@given(operations)
def test_a_journal_and_its_own_payments_never_differ(ops: list[Operation]) -> None:
    charges = [o for o in ops if o.kind is PaymentKind.CHARGE and o.status == "approved"]
    payments = [paid(o) for o in charges]
    clean = [o for o in ops if o.kind is PaymentKind.CHARGE]
    day = report(clean, payments)
    assert all(d.kind is DifferenceKind.UNRESOLVED for d in day.differences)


# -- CSV -------------------------------------------------------------------------------------


def test_csv_holds_the_summary_and_every_difference() -> None:
    sale = op(amount=2000, lane="=lane-1", served_by="=Ann")
    refund = op(
        PaymentKind.REFUND,
        500,
        payment_id=sale.payment_id,
        lane="=lane-1",
        served_by="Cy",
        approved_by="=Ann",
    )
    missing = JustifiPayment("py_other", 1234, 0, "succeeded", NOON, "Amex", "8431", "pi_o")
    day = build_day_report(
        DAY,
        [sale, refund],
        [paid(sale, amount_refunded_cents=500), missing],
        tz=TZ,
        audit_head="7:0123456789abcdef0123",
    )
    rows = list(csv.reader(io.StringIO(report_csv(day))))
    header, values = rows[0], rows[1]
    assert dict(zip(header, values, strict=True)) == {
        "report": "end_of_day",
        "day": "2025-03-14",
        "lanes": ALL_LANES,
        "window_start": "2025-03-14T00:00:00-05:00",
        "window_end": "2025-03-15T00:00:00-05:00",
        "justifi_checked": "yes",
        "justifi_payments_count": "2",
        "justifi_payments_amount": "32.34",
        "differences": "1",
        "audit_head": "7:0123456789abcdef0123",
    }
    assert rows[2] == []
    summary_header = rows[3]
    summary = [dict(zip(summary_header, row, strict=True)) for row in rows[4:8]]
    lane_row = summary[0]
    assert lane_row["lane"] == "'=lane-1"  # never a formula in a spreadsheet
    assert (lane_row["sales_count"], lane_row["sales_amount"]) == ("1", "20.00")
    assert (lane_row["refunds_count"], lane_row["refunds_amount"]) == ("1", "5.00")
    assert lane_row["net_amount"] == "15.00"
    assert summary[1]["brand"] == "Visa"
    assert summary[2]["lane"] == ALL_LANES
    assert rows[8] == []
    people = [dict(zip(rows[9], row, strict=True)) for row in rows[10:12]]
    assert people == [
        {
            "person": "'=Ann",  # a name is never a formula either
            "sales_count": "1",
            "sales_amount": "20.00",
            "refunds_count": "0",
            "refunds_amount": "0.00",
            "voids_count": "0",
            "voids_amount": "0.00",
            "net_amount": "20.00",
            "approved_count": "1",
            "approved_amount": "5.00",
            "declined_count": "0",
        },
        {
            "person": "Cy",
            "sales_count": "0",
            "sales_amount": "0.00",
            "refunds_count": "1",
            "refunds_amount": "5.00",
            "voids_count": "0",
            "voids_amount": "0.00",
            "net_amount": "-5.00",
            "approved_count": "0",
            "approved_amount": "0.00",
            "declined_count": "0",
        },
    ]
    assert rows[12] == []
    differences = [dict(zip(rows[13], row, strict=True)) for row in rows[14:]]
    assert len(differences) == 1
    assert differences[0]["difference"] == "missing_from_journal"
    assert differences[0]["payment_id"] == "py_other"
    assert differences[0]["amount"] == "12.34"
    assert "py_other" in differences[0]["description"]


def test_csv_amounts_are_exact() -> None:
    refund = op(PaymentKind.REFUND, 1005)
    day = report([refund], payments=None)
    rows = list(csv.reader(io.StringIO(report_csv(day))))
    lane_row = dict(zip(rows[3], rows[4], strict=True))
    assert lane_row["net_amount"] == "-10.05"
    assert lane_row["refunds_amount"] == "10.05"


# -- the service: journal + JustiFi ------------------------------------------------------------


class FakePayments:
    def __init__(self, payments: Sequence[JustifiPayment], fail: Exception | None = None) -> None:
        self.payments = list(payments)
        self.fail = fail
        self.windows: list[tuple[datetime, datetime]] = []
        self.asked: list[str] = []

    async def payments_between(
        self, created_after: datetime, created_before: datetime
    ) -> list[JustifiPayment]:
        if self.fail is not None:
            raise self.fail
        self.windows.append((created_after, created_before))
        return [
            p
            for p in self.payments
            if p.created_at is None or created_after <= p.created_at <= created_before
        ]

    async def payment(self, payment_id: str) -> JustifiPayment | None:
        self.asked.append(payment_id)
        return next((p for p in self.payments if p.id == payment_id), None)


@pytest.fixture
def journal() -> SqliteJournal:
    return SqliteJournal(":memory:")


async def test_the_service_reads_the_day_and_what_it_refers_to(journal: SqliteJournal) -> None:
    old_sale = op(amount=4000, at=NOON - timedelta(days=3))
    refund = op(PaymentKind.REFUND, 500, payment_id=old_sale.payment_id)
    later_refund = op(
        PaymentKind.REFUND, 700, payment_id=old_sale.payment_id, at=NOON + timedelta(days=1)
    )
    late_sale = op(amount=1000, at=datetime(2025, 3, 14, 23, 59, 50, tzinfo=TZ))
    for operation in (old_sale, refund, later_refund, late_sale):
        await journal.begin(operation)
    source = FakePayments(
        [
            paid(old_sale, amount_refunded_cents=1200, status="partially_refunded"),
            # the payment of the 23:59:50 sale is created after midnight
            paid(late_sale, created_at=datetime(2025, 3, 15, 0, 0, 30, tzinfo=TZ)),
        ]
    )
    service = ReportService(journal, source, ReportSettings(tz=TZ))
    day = await service.day_report(DAY)
    assert day.justifi_checked
    assert day.differences == ()
    assert day.total.totals.sales == Tally(1, 1000)
    assert day.total.totals.refunds == Tally(1, 500)
    start, end = day_window(DAY, TZ)
    assert source.windows == [(start - timedelta(minutes=30), end + timedelta(minutes=30))]
    assert source.asked == [old_sale.payment_id]  # outside the window: asked for by id


async def test_the_service_finds_a_charge_the_window_missed(journal: SqliteJournal) -> None:
    # The journal's clock and JustiFi's disagree by more than the margin.
    sale = op(amount=1000, at=NOON - timedelta(hours=14))
    await journal.begin(sale)
    source = FakePayments([paid(sale, created_at=NOON)])
    day = await ReportService(journal, source, ReportSettings(tz=TZ)).day_report(DAY)
    assert day.differences == ()
    assert day.justifi_payments == Tally(1, 1000)


@pytest.mark.parametrize(
    "error",
    [GatewayUnavailableError("down"), GatewayRefusedError("payment_list_incomplete", "too many")],
)
async def test_without_justifi_the_report_is_marked_unchecked(
    journal: SqliteJournal, error: Exception
) -> None:
    await journal.begin(op(amount=1000))
    service = ReportService(journal, FakePayments([], fail=error), ReportSettings(tz=TZ))
    day = await service.day_report(DAY)
    assert not day.justifi_checked
    assert day.total.totals.sales == Tally(1, 1000)
    assert day.differences == ()
    assert (await ReportService(journal, None, ReportSettings(tz=TZ)).day_report(DAY)).total


async def test_the_service_filters_a_lane(journal: SqliteJournal) -> None:
    mine, theirs = op(lane="lane-1"), op(lane="lane-2")
    await journal.begin(mine)
    await journal.begin(theirs)
    source = FakePayments([paid(mine), paid(theirs)])
    day = await ReportService(journal, source, ReportSettings(tz=TZ)).day_report(DAY, "lane-2")
    assert [s.lane for s in day.lanes] == ["lane-2"]
    assert day.differences == ()
    assert day.lanes_seen == ("lane-1", "lane-2")


async def test_the_service_prints_the_audit_head_it_is_given(journal: SqliteJournal) -> None:
    await journal.begin(op(amount=1000, served_by="Ann"))
    heads = iter(["41:aaaaaaaaaaaaaaaaaaaa", "42:bbbbbbbbbbbbbbbbbbbb"])
    service = ReportService(journal, None, ReportSettings(tz=TZ), audit_head=lambda: next(heads))
    assert (await service.day_report(DAY)).audit_head == "41:aaaaaaaaaaaaaaaaaaaa"
    assert (await service.day_report(DAY)).audit_head == "42:bbbbbbbbbbbbbbbbbbbb"  # asked anew
    given = await service.day_report(DAY, audit_head="7:cccccccccccccccccccc")
    assert given.audit_head == "7:cccccccccccccccccccc"
    assert [p.person for p in given.people] == ["Ann"]


async def test_an_audit_log_that_fails_leaves_the_head_out(
    journal: SqliteJournal, caplog: pytest.LogCaptureFixture
) -> None:
    await journal.begin(op(amount=1000))

    def broken() -> str:
        raise UnavailableError("the audit log is not readable")

    service = ReportService(journal, None, ReportSettings(tz=TZ), audit_head=broken)
    day = await service.day_report(DAY)
    assert day.audit_head is None
    assert day.total.totals.sales == Tally(1, 1000)
    assert "audit head is not available" in caplog.text


# -- JustiFi's paged list (shapes the sandbox cannot produce) ---------------------------------


def payment_body(number: int) -> dict[str, Any]:
    return {
        "id": f"py_{number}",
        "amount": 1000 + number,
        "amount_refunded": None,
        "amount_refundable": 1000 + number,
        "status": "succeeded",
        "payment_intent_id": f"pi_{number}",
        "payment_method": {"card": {"brand": "Visa", "acct_last_four": 4242}},
        "created_at": "2025-03-14T17:00:00Z",
    }


def list_page(items: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
    info = {"has_previous": False, "has_next": cursor is not None, "end_cursor": cursor}
    return {"id": None, "type": "array", "data": items, "page_info": info}


@pytest.fixture
async def paged_client() -> AsyncIterator[tuple[JustifiClient, list[httpx.Request]]]:
    seen: list[httpx.Request] = []
    pages = {
        None: list_page([payment_body(1), payment_body(2)], "c1"),
        "c1": list_page([payment_body(2), payment_body(3)], "c2"),
        "c2": list_page([payment_body(4)], None),
        "loop": list_page([payment_body(5)], "loop"),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "tok"})
        seen.append(request)
        cursor = request.url.params.get("after_cursor")
        if request.url.params.get("created_after", "").startswith("2030"):
            cursor = "loop"
        return httpx.Response(200, json=pages[cursor])

    async def no_sleep(_seconds: float) -> None:
        return None

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as transport:
        http = JustifiHttp(
            "https://api.test", "cid", "secret", "acc", client=transport, sleep=no_sleep
        )
        yield JustifiClient(http), seen


async def test_every_page_of_the_window_once(
    paged_client: tuple[JustifiClient, list[httpx.Request]],
) -> None:
    client, seen = paged_client
    start = datetime(2025, 3, 14, 5, tzinfo=UTC)
    payments = await list_payments_between(client, start, start + timedelta(days=1))
    assert [p.id for p in payments] == ["py_1", "py_2", "py_3", "py_4"]
    assert seen[0].url.params["created_after"] == "2025-03-14T05:00:00Z"
    assert seen[0].url.params["created_before"] == "2025-03-15T05:00:00Z"
    assert seen[0].url.params["limit"] == "100"
    assert [r.url.params.get("after_cursor") for r in seen] == [None, "c1", "c2"]

    source = JustifiPaymentsSource(client)
    records = await source.payments_between(start, start + timedelta(days=1))
    first = records[0]
    assert (first.amount_cents, first.amount_refunded_cents, first.card_last4) == (1001, 0, "4242")
    assert first.sale_id == "pi_1"


async def test_a_list_that_never_ends_is_refused(
    paged_client: tuple[JustifiClient, list[httpx.Request]],
) -> None:
    client, _ = paged_client
    start = datetime(2030, 1, 1, tzinfo=UTC)
    with pytest.raises(PaymentListIncomplete):
        await list_payments_between(client, start, start + timedelta(days=1))
    with pytest.raises(GatewayRefusedError):
        await JustifiPaymentsSource(client).payments_between(start, start + timedelta(days=1))
