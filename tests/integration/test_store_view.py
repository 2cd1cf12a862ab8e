"""The store's view on a real PostgreSQL: two lanes' journals send their day through their
outboxes (`PgStoreLink.send`), and `PgStoreView` / `StoreViewService` read it back as the
lanes' own records: every lane's history with its lane, a sale with its lines and what
another lane gave back, and the store's end of day with no difference for any lane's
payment."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from pos_app.domain.payment_flow import PaymentKind, StateName
from pos_app.domain.report import DifferenceKind, JustifiPayment, Tally
from pos_app.domain.tickets import (
    CashMovement,
    CashMovementKind,
    Shift,
    Ticket,
    TicketLine,
    TicketStatus,
)
from pos_app.services.ports import HistoryQuery, Operation
from pos_app.services.reports import ReportSettings
from pos_app.services.store_ports import (
    LaneIdentity,
    StoreRefusedError,
    StoreUnavailableError,
)
from pos_app.services.store_view import StoreViewService
from pos_app.storage.journal import SqliteJournal
from pos_app.storage.store.connection import store_address
from pos_app.storage.store.link import PgStoreLink
from pos_app.storage.store.reads import PgStoreView
from tests.support.postgres import free_port

DAY = date(2026, 12, 4)
T0 = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
SETTINGS = ReportSettings(tz=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def charge(number: int, lane: str, amount: int, minutes: float, **more: object) -> Operation:
    op = Operation(
        id=f"op-{lane}-{number}",
        kind=PaymentKind.CHARGE,
        amount_cents=amount,
        status=StateName.APPROVED.value,
        flow="payment_intent",
        lane=lane,
        terminal_id="trm_1",
        description=f"Breakfast {number}",
        create_key=f"ck-{lane}-{number}",
        send_key=f"sk-{lane}-{number}",
        sale_id=f"pi_{lane}_{number}",
        payment_id=f"py_{lane}_{number}",
        card_brand="Visa",
        card_last4="4242",
        served_by="Ann",
        created_at=at(minutes),
        updated_at=at(minutes),
    )
    return replace(op, **more)


def paid(op: Operation, **more: object) -> JustifiPayment:
    payment = JustifiPayment(
        op.payment_id or "?",
        op.amount_cents,
        0,
        "succeeded",
        op.created_at + timedelta(seconds=3),
        "Visa",
        "4242",
        op.sale_id,
    )
    return replace(payment, **more)


class Payments:
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


class Lanes:
    """Two lanes' journals, joined to the store, and what each wrote."""

    def __init__(self, tmp_path: Path) -> None:
        self.journals = {
            name: SqliteJournal(tmp_path / f"{name}.sqlite3") for name in ("lane-1", "lane-2")
        }
        self.sale = Ticket(
            id="t-1",
            lane="lane-1",
            status=TicketStatus.COMPLETE,
            lines=(
                TicketLine("Latte", 1, 450, item_code="LAT", discount_cents=45),
                TicketLine("Bun", 2, 300),
            ),
            subtotal_cents=1005,
            sale_discount_cents=5,
            tax_cents=80,
            total_cents=1080,
            created_at=at(1),
            updated_at=at(3),
            served_by="Ann",
            shift_id="s-1",
            sale_discount_reason="regular",
        )
        self.card = charge(1, "lane-1", 580, 2, ticket_id="t-1", shift_id="s-1")
        self.cash = CashMovement(
            "c-1", "s-1", CashMovementKind.SALE, 500, at(3), "Ann", None, "t-1", 1000, 500
        )
        self.other = charge(1, "lane-2", 2500, 5, served_by="BOB")
        self.refund = replace(
            charge(2, "lane-2", 200, 30),
            kind=PaymentKind.REFUND,
            payment_id=self.card.payment_id,
            sale_id=None,
            refund_id="re_1",
            served_by="Cy",
            approved_by="Cy",
            description=None,
        )
        self.payments = [
            paid(self.card, amount_refunded_cents=200, status="partially_refunded"),
            paid(self.other),
        ]

    async def write_and_send(self, link: PgStoreLink) -> None:
        one, two = self.journals["lane-1"], self.journals["lane-2"]
        for journal in (one, two):
            await journal.enable_outbox()
        await one.add_shift(Shift("s-1", "lane-1", at(0), "Ann", 10_000, float_count={2000: 5}))
        await two.add_shift(Shift("s-2", "lane-2", at(0), "Bob", 5_000))
        await one.add_ticket(replace(self.sale, status=TicketStatus.OPEN, updated_at=at(1)))
        await one.begin(replace(self.card, status=StateName.PREPARING.value))
        await one.update(self.card, "approved on the terminal")
        await one.add_cash_movement(self.cash, complete_ticket=True)
        await two.begin(self.other)
        await two.begin(self.refund)
        await two.add_cash_movement(
            CashMovement("c-2", "s-2", CashMovementKind.PAID_IN, 700, at(6), "Bob", "bank")
        )
        for name, journal in self.journals.items():
            uid = journal.lane_uid()
            assert uid is not None
            batch = journal.outbox_batch(500)
            assert batch is not None
            await link.send(LaneIdentity(name, uid, "test"), batch.records, 0)
            await journal.acknowledge(batch.last_seq)

    def close(self) -> None:
        for journal in self.journals.values():
            journal.close()


@pytest.fixture
async def store(store_url: str, tmp_path: Path) -> AsyncIterator[tuple[PgStoreView, Lanes]]:
    lanes = Lanes(tmp_path)
    address = store_address(store_url, None)
    link = PgStoreLink(address)
    view = PgStoreView(address)
    try:
        await lanes.write_and_send(link)
        yield view, lanes
    finally:
        await view.close()
        await link.close()
        lanes.close()


def without_keys(op: Operation) -> Operation:
    return replace(op, create_key="", send_key="")


async def test_the_history_of_every_lane_is_each_lanes_own(
    store: tuple[PgStoreView, Lanes],
) -> None:
    view, lanes = store
    found = await view.history(HistoryQuery())
    journaled = [
        without_keys(op)
        for journal in lanes.journals.values()
        for op in journal.history(HistoryQuery())
    ]
    journaled.sort(key=lambda op: op.created_at, reverse=True)
    assert found == journaled  # every field, its lane included (keys stay on the lane)
    assert [op.lane for op in found] == ["lane-2", "lane-2", "lane-1"]


@pytest.mark.parametrize(
    ("query", "lane", "expected"),
    [
        (HistoryQuery(text="breakfast 1"), None, ["op-lane-2-1", "op-lane-1-1"]),
        (HistoryQuery(text="py_lane-1_1"), None, ["op-lane-2-2", "op-lane-1-1"]),
        (HistoryQuery(text="50%"), None, []),  # a wildcard is a character
        (HistoryQuery(person="bob"), None, ["op-lane-2-1"]),
        (HistoryQuery(person=" cy "), None, ["op-lane-2-2"]),
        (HistoryQuery(amount_cents=580), None, ["op-lane-1-1"]),
        (HistoryQuery(kinds=("refund",)), None, ["op-lane-2-2"]),
        (HistoryQuery(since=at(4), until=at(30)), None, ["op-lane-2-1"]),
        (HistoryQuery(), "lane-1", ["op-lane-1-1"]),
        (HistoryQuery(limit=1, offset=1), None, ["op-lane-2-1"]),
    ],
)
async def test_history_filters_as_the_lanes_history_does(
    store: tuple[PgStoreView, Lanes], query: HistoryQuery, lane: str | None, expected: list[str]
) -> None:
    view, _ = store
    assert [op.id for op in await view.history(query, lane)] == expected


async def test_history_rows_bring_the_drawers_rows_with_their_lane(
    store: tuple[PgStoreView, Lanes],
) -> None:
    view, _ = store
    rows = await StoreViewService(view, None, SETTINGS).history_rows(HistoryQuery())
    assert [(row.id, row.lane, row.kind) for row in rows] == [
        ("op-lane-2-2", "lane-2", "refund"),
        ("op-lane-2-1", "lane-2", "charge"),
        ("c-1", "lane-1", "cash_sale"),
        ("op-lane-1-1", "lane-1", "charge"),
    ]
    by_ann = await StoreViewService(view, None, SETTINGS).history_rows(HistoryQuery(person="ANN"))
    assert [row.id for row in by_ann] == ["c-1", "op-lane-1-1"]


async def test_a_sale_comes_back_with_its_lines_parts_and_what_another_lane_refunded(
    store: tuple[PgStoreView, Lanes],
) -> None:
    view, lanes = store
    found = await view.ticket("t-1")
    assert found is not None
    assert found.ticket == lanes.journals["lane-1"].ticket("t-1")
    assert found.lane == "lane-1"
    assert [op.id for op in found.operations] == ["op-lane-1-1", "op-lane-2-2"]
    assert list(found.cash) == [lanes.cash]
    sale = await StoreViewService(view, None, SETTINGS).ticket_sale("t-1")
    assert sale is not None
    assert sale.payments.paid_cents == 1080
    assert [op.id for op in sale.card_back] == ["op-lane-2-2"]
    assert await view.ticket("t-unknown") is None


async def test_entries_and_one_operation(store: tuple[PgStoreView, Lanes]) -> None:
    view, lanes = store
    entries = await view.entries("lane-1", "op-lane-1-1")
    assert entries == lanes.journals["lane-1"].entries("op-lane-1-1")
    assert [e.status for e in entries] == ["preparing", "approved"]
    assert await view.operation("op-lane-2-1") == without_keys(lanes.other)
    assert await view.operation("nope") is None
    assert await view.lane_names() == ["lane-1", "lane-2"]


async def test_the_stores_day_matches_every_lanes_payment(
    store: tuple[PgStoreView, Lanes],
) -> None:
    view, lanes = store
    views = StoreViewService(view, Payments(lanes.payments), SETTINGS)
    whole = await views.day_report(DAY)
    assert whole.justifi_checked
    assert whole.differences == ()
    assert whole.total.totals.sales == Tally(2, 3080)
    assert whole.total.totals.refunds == Tally(1, 200)
    assert whole.cash_total is not None
    assert whole.cash_total.sales == Tally(1, 500)
    assert [(c.lane, c.paid_in) for c in whole.cash] == [
        ("lane-1", Tally()),
        ("lane-2", Tally(1, 700)),
    ]
    assert whole.discounts == Tally(1, 50)
    for lane in ("lane-1", "lane-2"):
        one = await views.day_report(DAY, lane)
        assert one.differences == (), lane
        assert [s.lane for s in one.lanes] == [lane]
    # A payment no lane of the store took is still one.
    stranger = JustifiPayment("py_stranger", 999, 0, "succeeded", at(40))
    views = StoreViewService(view, Payments([*lanes.payments, stranger]), SETTINGS)
    kinds = [d.kind for d in (await views.day_report(DAY)).differences]
    assert kinds == [DifferenceKind.MISSING_FROM_JOURNAL]


async def test_the_day_reads_the_audit_heads_of_the_lanes(
    store: tuple[PgStoreView, Lanes], store_url: str
) -> None:
    view, _ = store
    with psycopg.connect(store_url) as conn:
        conn.execute(
            "UPDATE lanes SET audit_head_seq = 12, audit_head_hash = %s WHERE name = 'lane-2'",
            ("ab" * 32,),
        )
    day = await StoreViewService(view, None, SETTINGS).day_report(DAY)
    assert day.audit_head == f"lane-2 12:{'ab' * 10}"


async def test_an_unreachable_store_and_one_not_set_up_are_said(empty_store_url: str) -> None:
    down = PgStoreView(store_address(f"postgresql://pos@127.0.0.1:{free_port()}/store", None))
    with pytest.raises(StoreUnavailableError):
        await down.lane_names()
    bare = PgStoreView(store_address(empty_store_url, None))
    with pytest.raises(StoreRefusedError, match="store init"):
        await bare.lane_names()
    await bare.close()


async def test_the_day_brings_the_refunds_of_its_payments_made_on_later_days(
    store: tuple[PgStoreView, Lanes], store_url: str
) -> None:
    view, lanes = store
    tomorrow = replace(
        lanes.refund, id="op-later", refund_id="re_2", amount_cents=300, created_at=at(60 * 24)
    )
    two = lanes.journals["lane-2"]
    await two.begin(replace(tomorrow, updated_at=tomorrow.created_at))
    batch = two.outbox_batch(500)
    assert batch is not None
    uid = two.lane_uid()
    assert uid is not None
    link = PgStoreLink(store_address(store_url, None))
    try:
        await link.send(LaneIdentity("lane-2", uid, "test"), batch.records, 0)
    finally:
        await link.close()
    since, until = T0.replace(hour=0), T0.replace(hour=0) + timedelta(days=1)
    day = await view.day(since, until)
    assert "op-later" in [op.id for op in day.operations]
    assert [op.id for op in day.operations].count("op-lane-1-1") == 1
    card, other = lanes.payments
    payments = [replace(card, amount_refunded_cents=500), other]
    report = await StoreViewService(view, Payments(payments), SETTINGS).day_report(DAY)
    assert report.differences == ()  # JustiFi's 5.00 refunded = today's 2.00 + tomorrow's 3.00
    assert report.total.totals.refunds == Tally(1, 200)  # only today's counts in the day
