"""The store's view for the manager (`StoreViewService`) over a fake store: the history of
every lane with its lane, one sale of any lane, and the store's end of day built by the
lane's own report code, where a payment taken on any lane is matched, never a difference."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from pos_app.domain.errors import InvalidInputError
from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.report import DifferenceKind, JustifiPayment, Tally, day_window
from pos_app.domain.tickets import (
    CashMovement,
    CashMovementKind,
    Shift,
    Ticket,
    TicketLine,
    TicketStatus,
)
from pos_app.services.history import CASH_REFUND, CASH_SALE
from pos_app.services.ports import HistoryQuery, JournalEntry, Operation
from pos_app.services.reports import ReportService, ReportSettings
from pos_app.services.store_ports import StoreDay, StoreStatus, StoreTicket
from pos_app.services.store_view import StoreDayRecords, StoreViewService, heads_line
from pos_app.storage.journal import SqliteJournal

TZ = timezone(timedelta(hours=-5))
DAY = date(2025, 3, 14)
NOON = datetime(2025, 3, 14, 12, 0, tzinfo=TZ)
_ids = itertools.count(1)
HEADS = {"lane-1": "41:aaaaaaaaaaaaaaaaaaaa", "lane-2": "7:bbbbbbbbbbbbbbbbbbbb"}


def op(
    kind: PaymentKind = PaymentKind.CHARGE,
    amount: int = 1000,
    *,
    lane: str = "lane-1",
    at: datetime = NOON,
    status: str = "approved",
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
        sale_id=f"pi_{number}" if kind is PaymentKind.CHARGE else None,
        payment_id=f"py_{number}" if status == "approved" else None,
        card_brand="Visa",
        card_last4="4242",
        created_at=at,
        updated_at=at,
    )
    return replace(operation, **changes)


def paid(charge: Operation, **changes: Any) -> JustifiPayment:
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


def shift(lane: str) -> Shift:
    return Shift(f"shift-{lane}", lane, NOON - timedelta(hours=3), "Ann", 10_000)


def cash(
    lane: str, amount: int, kind: CashMovementKind = CashMovementKind.SALE, **changes: Any
) -> CashMovement:
    number = next(_ids)
    movement = CashMovement(f"cm-{number}", f"shift-{lane}", kind, amount, NOON, person="Ann")
    return replace(movement, **changes)


def ticket(lane: str, total: int, **changes: Any) -> Ticket:
    number = next(_ids)
    line = TicketLine("Coffee", 2, total // 2)
    made = Ticket(
        f"t-{number}",
        lane,
        TicketStatus.COMPLETE,
        (line,),
        total,
        0,
        0,
        total,
        NOON,
        NOON,
        served_by="Ann",
    )
    return replace(made, **changes)


class FakeStore:
    """A `StoreView` over lists, as `PgStoreView` answers (newest first, lanes set)."""

    def __init__(
        self,
        operations: Sequence[Operation] = (),
        *,
        tickets: Sequence[Ticket] = (),
        movements: Sequence[tuple[str, CashMovement]] = (),
        shifts: Sequence[Shift] = (),
        heads: dict[str, str] | None = None,
    ) -> None:
        self.operations = list(operations)
        self.tickets = list(tickets)
        self.movements = list(movements)
        self.shifts = list(shifts)
        self.heads = dict(HEADS if heads is None else heads)
        self.days: list[tuple[datetime, datetime, str | None]] = []

    async def history(self, query: HistoryQuery, lane: str | None = None) -> list[Operation]:
        records = StoreDayRecords(StoreDay(self.operations, [], [], [], []))
        found = [op for op in records.history(replace(query, limit=10**6, offset=0))]
        found = [op for op in found if lane is None or op.lane == lane]
        return found[query.offset : query.offset + query.limit]

    async def cash_history(
        self, query: HistoryQuery, lane: str | None = None
    ) -> list[tuple[str, CashMovement]]:
        found = [
            (name, m)
            for name, m in self.movements
            if (lane is None or name == lane)
            and (query.since is None or m.at >= query.since)
            and (query.until is None or m.at < query.until)
        ]
        found.sort(key=lambda item: (item[1].at, item[1].id), reverse=True)
        return found[: query.limit + query.offset]

    async def entries(self, lane: str, operation_id: str) -> list[JournalEntry]:
        return [JournalEntry(operation_id, NOON, "approved", lane)]

    async def ticket(self, ticket_id: str) -> StoreTicket | None:
        found = next((t for t in self.tickets if t.id == ticket_id), None)
        if found is None:
            return None
        parts = [op for op in self.operations if op.ticket_id == ticket_id]
        payments = {op.payment_id for op in parts if op.payment_id}
        back = [op for op in self.operations if op.kind is not PaymentKind.CHARGE]
        ops = parts + [op for op in back if op.payment_id in payments and op not in parts]
        movements = [m for _, m in self.movements if m.ticket_id == ticket_id]
        return StoreTicket(found.lane, found, ops, movements)

    async def operation(self, operation_id: str) -> Operation | None:
        return next((op for op in self.operations if op.id == operation_id), None)

    async def day(self, since: datetime, until: datetime, lane: str | None = None) -> StoreDay:
        self.days.append((since, until, lane))
        in_window = [
            op
            for op in self.operations
            if since <= op.created_at < until and (lane is None or op.lane == lane)
        ]
        payments = {op.payment_id for op in in_window if op.payment_id}
        related = [op for op in self.operations if op.payment_id in payments]
        return StoreDay(
            list({op.id: op for op in in_window + related}.values()),
            [t for t in self.tickets if since <= t.created_at < until],
            [m for _, m in self.movements if since <= m.at < until],
            self.shifts,
            sorted(self.heads),
            self.heads,
        )

    async def lane_names(self) -> list[str]:
        return sorted({op.lane for op in self.operations if op.lane} | set(self.heads))

    async def status(self) -> StoreStatus:
        return StoreStatus(1, 1, [])


class FakePayments:
    def __init__(self, payments: Sequence[JustifiPayment]) -> None:
        self.payments = list(payments)

    async def payments_between(
        self, created_after: datetime, created_before: datetime
    ) -> list[JustifiPayment]:
        return [
            p
            for p in self.payments
            if p.created_at is None or created_after <= p.created_at <= created_before
        ]

    async def payment(self, payment_id: str) -> JustifiPayment | None:
        return next((p for p in self.payments if p.id == payment_id), None)


def service(store: FakeStore, payments: Sequence[JustifiPayment] | None = ()) -> StoreViewService:
    source = None if payments is None else FakePayments(payments)
    return StoreViewService(store, source, ReportSettings(tz=TZ))


# -- the day -------------------------------------------------------------------------------


async def test_two_lanes_sales_are_matched_none_is_a_difference() -> None:
    one, two = op(lane="lane-1", amount=1000), op(lane="lane-2", amount=2500)
    store = FakeStore([one, two])
    views = service(store, [paid(one), paid(two)])
    whole = await views.day_report(DAY)
    assert whole.justifi_checked
    assert whole.differences == ()
    assert whole.total.totals.sales == Tally(2, 3500)
    assert [(s.lane, s.totals.sales) for s in whole.lanes] == [
        ("lane-1", Tally(1, 1000)),
        ("lane-2", Tally(1, 2500)),
    ]
    # One lane's report: lane-1's payment is matched although only lane-2 is shown.
    lane_two = await views.day_report(DAY, "lane-2")
    assert lane_two.differences == ()
    assert [s.lane for s in lane_two.lanes] == ["lane-2"]
    assert lane_two.total.totals.sales == Tally(1, 2500)
    assert lane_two.lanes_seen == ("lane-1", "lane-2")


async def test_the_same_day_in_one_lanes_journal_reports_the_other_lanes_payment() -> None:
    # The control: the lane's own report (its journal knows only its own sale) says
    # JustiFi has a payment it does not; the store's report of the same lane does not.
    one, two = op(lane="lane-1"), op(lane="lane-2")
    journal = SqliteJournal(":memory:")
    await journal.begin(two)
    payments = [paid(one), paid(two)]
    own = await ReportService(journal, FakePayments(payments), ReportSettings(tz=TZ)).day_report(
        DAY, "lane-2"
    )
    assert [d.kind for d in own.differences] == [DifferenceKind.MISSING_FROM_JOURNAL]
    store_day = await service(FakeStore([one, two]), payments).day_report(DAY, "lane-2")
    assert store_day.differences == ()


async def test_a_payment_no_lane_knows_is_still_a_difference() -> None:
    one = op(lane="lane-1")
    stranger = JustifiPayment("py_outside", 999, 0, "succeeded", NOON)
    day = await service(FakeStore([one]), [paid(one), stranger]).day_report(DAY)
    assert [(d.kind, d.payment_id) for d in day.differences] == [
        (DifferenceKind.MISSING_FROM_JOURNAL, "py_outside")
    ]


async def test_a_refund_on_another_lane_of_a_sale_is_reconciled() -> None:
    sale = op(lane="lane-1", amount=4000)
    refund = op(
        PaymentKind.REFUND,
        1500,
        lane="lane-2",
        payment_id=sale.payment_id,
        at=NOON + timedelta(hours=1),
    )
    payment = paid(sale, amount_refunded_cents=1500, status="partially_refunded")
    day = await service(FakeStore([sale, refund]), [payment]).day_report(DAY)
    assert day.differences == ()
    by_lane = {s.lane: s.totals for s in day.lanes}
    assert by_lane["lane-1"].sales == Tally(1, 4000)
    assert by_lane["lane-2"].refunds == Tally(1, 1500)


async def test_a_refund_today_of_an_older_sale_on_another_lane() -> None:
    old = op(lane="lane-1", amount=4000, at=NOON - timedelta(days=3))
    refund = op(PaymentKind.REFUND, 500, lane="lane-2", payment_id=old.payment_id)
    payment = paid(old, amount_refunded_cents=500, status="partially_refunded")
    day = await service(FakeStore([old, refund]), [payment]).day_report(DAY)
    assert day.differences == ()
    assert day.total.totals.refunds == Tally(1, 500)


async def test_cash_per_lane_and_the_lanes_audit_heads() -> None:
    store = FakeStore(
        [op(lane="lane-1")],
        movements=[("lane-1", cash("lane-1", 700)), ("lane-2", cash("lane-2", 300))],
        shifts=[shift("lane-1"), shift("lane-2")],
        tickets=[ticket("lane-1", 700), ticket("lane-2", 300, sale_discount_cents=50)],
    )
    whole = await service(store, None).day_report(DAY)
    assert not whole.justifi_checked
    assert whole.cash_total is not None
    assert whole.cash_total.sales == Tally(2, 1000)
    assert [(c.lane, c.sales) for c in whole.cash] == [
        ("lane-1", Tally(1, 700)),
        ("lane-2", Tally(1, 300)),
    ]
    assert whole.discounts == Tally(1, 50)
    assert whole.audit_head == "lane-1 41:aaaaaaaaaaaaaaaaaaaa; lane-2 7:bbbbbbbbbbbbbbbbbbbb"
    one = await service(store, None).day_report(DAY, "lane-2")
    assert one.cash_total is not None
    assert one.cash_total.sales == Tally(1, 300)
    assert one.audit_head == "lane-2 7:bbbbbbbbbbbbbbbbbbbb"


async def test_the_store_reads_the_day_with_the_reports_margin_in_its_time_zone() -> None:
    store = FakeStore([op()])
    await service(store).day_report(DAY)
    start, end = day_window(DAY, TZ)
    margin = timedelta(minutes=30)
    assert store.days == [(start - margin, end + margin, None)]
    other = timezone(timedelta(hours=1))
    await service(store).day_report(DAY, tz=other)
    start, end = day_window(DAY, other)
    assert store.days[-1] == (start - margin, end + margin, None)


async def test_the_store_and_a_journal_holding_the_same_day_report_alike() -> None:
    # One builder: the same records give the same report, whichever side holds them.
    ops = [
        op(lane="lane-1", amount=1200, served_by="Ann"),
        op(lane="lane-2", amount=800, served_by="Bob", at=NOON + timedelta(minutes=5)),
        op(lane="lane-2", amount=300, status="declined", at=NOON + timedelta(minutes=9)),
    ]
    ops.append(
        op(
            PaymentKind.REFUND,
            200,
            lane="lane-1",
            payment_id=ops[1].payment_id,
            approved_by="Cy",
            at=NOON + timedelta(hours=2),
        )
    )
    payments = [
        paid(ops[0]),
        paid(ops[1], amount_refunded_cents=200, status="partially_refunded"),
    ]
    journal = SqliteJournal(":memory:")
    for operation in ops:
        await journal.begin(operation)
    lane_side = ReportService(journal, FakePayments(payments), ReportSettings(tz=TZ))
    store_side = service(FakeStore(ops, heads={}), payments)
    for lane in (None, "lane-1", "lane-2"):
        mine = await lane_side.day_report(DAY, lane)
        theirs = await store_side.day_report(DAY, lane)
        assert replace(theirs, cash=mine.cash, cash_total=mine.cash_total) == mine


def test_heads_line_leaves_out_a_lane_without_entries() -> None:
    day = StoreDay([], [], [], [], ["a", "b"], {"b": "3:cc"})
    assert heads_line(day, ["a", "b"]) == "b 3:cc"
    assert heads_line(day, ["a"]) == ""


# -- the history ---------------------------------------------------------------------------


async def test_history_rows_of_every_lane_with_their_lane_newest_first() -> None:
    first = op(lane="lane-1", at=NOON)
    second = op(lane="lane-2", at=NOON + timedelta(minutes=2))
    drawer = cash("lane-2", 500, at=NOON + timedelta(minutes=1))
    back = cash(
        "lane-1", 200, CashMovementKind.REFUND, at=NOON + timedelta(minutes=3), reason="broken"
    )
    opened = cash("lane-1", 0, CashMovementKind.NO_SALE, at=NOON + timedelta(minutes=4))
    store = FakeStore(
        [first, second],
        movements=[("lane-2", drawer), ("lane-1", back), ("lane-1", opened)],
    )
    rows = await service(store).history_rows(HistoryQuery())
    assert [(r.id, r.lane, r.kind) for r in rows] == [
        (back.id, "lane-1", CASH_REFUND),
        (second.id, "lane-2", "charge"),
        (drawer.id, "lane-2", CASH_SALE),
        (first.id, "lane-1", "charge"),
    ]
    assert rows[1].operation == second
    assert rows[0].movement == back
    # Paging runs over the merged rows; a card filter leaves the drawer's rows out.
    page = await service(store).history_rows(HistoryQuery(limit=2, offset=1))
    assert [r.id for r in page] == [second.id, drawer.id]
    cards = await service(store).history_rows(HistoryQuery(card_last4="4242"))
    assert [r.id for r in cards] == [second.id, first.id]
    lane_two = await service(store).history_rows(HistoryQuery(), lane="lane-2")
    assert {r.lane for r in lane_two} == {"lane-2"}


async def test_a_rows_entries_come_from_its_lane() -> None:
    sale = op(lane="lane-2")
    views = service(FakeStore([sale]))
    (row,) = await views.history_rows(HistoryQuery())
    assert await views.entries(row) == [JournalEntry(sale.id, NOON, "approved", "lane-2")]


async def test_a_sales_refunds_on_every_lane_oldest_first() -> None:
    sale = op(lane="lane-1")
    later = op(
        PaymentKind.REFUND, 300, lane="lane-1", payment_id=sale.payment_id, at=NOON + timedelta(2)
    )
    first = op(
        PaymentKind.REFUND, 200, lane="lane-2", payment_id=sale.payment_id, at=NOON + timedelta(1)
    )
    views = service(FakeStore([sale, later, first, op(PaymentKind.REFUND, 5, lane="lane-2")]))
    rows = await views.history_rows(HistoryQuery(kinds=("charge",)))
    assert [r.id for r in rows] == [sale.id]
    assert await views.refunds(rows[0]) == [first, later]
    (refund_row,) = await views.history_rows(HistoryQuery(text=first.id))
    assert await views.refunds(refund_row) == []


async def test_a_sale_of_another_lane_with_what_went_back() -> None:
    sale_ticket = ticket("lane-1", 3000)
    card = op(lane="lane-1", amount=2000, ticket_id=sale_ticket.id)
    refund = op(PaymentKind.REFUND, 500, lane="lane-2", payment_id=card.payment_id)
    part = cash("lane-1", 1000, ticket_id=sale_ticket.id)
    store = FakeStore([card, refund], tickets=[sale_ticket], movements=[("lane-1", part)])
    sale = await service(store).ticket_sale(sale_ticket.id)
    assert sale is not None
    assert sale.ticket == sale_ticket
    assert sale.payments.paid_cents == 3000
    assert sale.card_back == (refund,)
    card_part = next(p for p in sale.payments.parts if p.operation_id == card.id)
    assert card_part.refunded_cents == 500
    assert await service(store).ticket_sale("t-unknown") is None


async def test_the_store_day_is_read_only() -> None:
    records = StoreDayRecords(StoreDay([], [], [], [], []))
    with pytest.raises(InvalidInputError):
        await records.begin(op())
