"""The history's cash rows and whole sales, and the cash refund's receipt.

The drawer's cash sales and refunds are rows of the history beside the journal's
card operations, filtered alike; any row of a sale rung up as a ticket gives the
whole sale (its lines, its parts, what went back by tender).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest

from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.receipt import ReceiptKind, receipt_from_cash_refund, render_text
from pos_app.domain.tender import TenderKind
from pos_app.domain.tickets import CashMovementKind, TicketStatus
from pos_app.services.history import (
    CASH_REFUND,
    CASH_SALE,
    HistoryRow,
    HistoryService,
    SaleDetails,
)
from pos_app.services.ports import HistoryQuery, PaymentDetails
from pos_app.services.reports import ReceiptService
from pos_app.storage.journal import SqliteJournal
from pos_app.ui.history_details import details_html
from tests.unit.test_ticket_store import LANE, at, make_movement, make_op, make_shift, make_ticket


async def _no_details(_ref: str) -> PaymentDetails:
    raise AssertionError("cash rows ask JustiFi nothing")


@pytest.fixture
def journal() -> Iterator[SqliteJournal]:
    with SqliteJournal(":memory:") as opened:
        yield opened


@pytest.fixture
async def split(journal: SqliteJournal) -> SqliteJournal:
    """Ticket t1 ($10.85): $5.00 in cash (a $10 note), $5.85 on a Visa; then $2.00 of
    the cash refunded by Bea, approved by Cy. A paid in that is not a sale's."""
    await journal.add_many(
        shifts=[make_shift()],
        tickets=[make_ticket("t1", status=TicketStatus.COMPLETE, description="Latte & co")],
        movements=[
            make_movement(
                "cash1",
                1,
                kind=CashMovementKind.SALE,
                amount_cents=500,
                ticket_id="t1",
                tendered_cents=1000,
                change_cents=500,
                reason=None,
            ),
            make_movement("in1", 2),
            make_movement(
                "back1",
                5,
                kind=CashMovementKind.REFUND,
                amount_cents=200,
                ticket_id="t1",
                person="Bea",
                approved_by="Cy",
                reason="refund",
            ),
        ],
    )
    await journal.begin(
        make_op(
            "card1",
            3,
            amount_cents=585,
            ticket_id="t1",
            shift_id="s1",
            card_brand="visa",
            card_last4="4242",
            payment_id="py_1",
        )
    )
    return journal


def service(journal: SqliteJournal) -> HistoryService:
    return HistoryService(journal, None, _no_details)


async def test_cash_sales_and_refunds_are_rows_newest_first(split: SqliteJournal) -> None:
    rows = service(split).cash_rows(HistoryQuery())
    assert [(r.kind, r.amount_cents, r.ticket_id, r.lane) for r in rows] == [
        (CASH_REFUND, 200, "t1", LANE),
        (CASH_SALE, 500, "t1", LANE),
    ]  # the paid in is the drawer's, not a sale's
    refund = rows[0]
    assert (refund.served_by, refund.approved_by) == ("Bea", "Cy")
    assert not refund.is_remote
    assert refund.is_cash
    assert not refund.is_money_in
    assert rows[1].is_money_in


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (HistoryQuery(since=at(2)), [CASH_REFUND]),
        (HistoryQuery(until=at(2)), [CASH_SALE]),
        (HistoryQuery(amount_cents=500), [CASH_SALE]),
        (HistoryQuery(person="bea"), [CASH_REFUND]),
        (HistoryQuery(person="CY"), [CASH_REFUND]),
        (HistoryQuery(kinds=(PaymentKind.CHARGE.value,)), [CASH_SALE]),  # "Sales"
        (HistoryQuery(kinds=(PaymentKind.REFUND.value,)), [CASH_REFUND]),  # "Refunds"
        (HistoryQuery(kinds=(CASH_SALE,)), [CASH_SALE]),
        (HistoryQuery(kinds=(PaymentKind.VOID.value,)), []),
        (HistoryQuery(card_last4="4242"), []),  # cash has no card
        (HistoryQuery(statuses=("declined",)), []),
        (HistoryQuery(text="t1"), [CASH_REFUND, CASH_SALE]),  # the sale's id
        (HistoryQuery(text="nothing like it"), []),
    ],
)
async def test_cash_rows_take_the_filters_that_apply(
    split: SqliteJournal, query: HistoryQuery, expected: list[str]
) -> None:
    assert [row.kind for row in service(split).cash_rows(query)] == expected


async def test_every_row_of_the_sale_gives_the_whole_sale(split: SqliteJournal) -> None:
    history = service(split)
    [card] = history.page(HistoryQuery(), 0, 10)
    assert card.ticket_id == "t1"
    for row in (card, *history.cash_rows(HistoryQuery())):
        sale = history.ticket_sale(row.ticket_id or "")
        assert sale is not None
        assert sale.ticket.id == "t1"
        assert [(p.kind, p.amount_cents, p.refundable_cents) for p in sale.payments.parts] == [
            (TenderKind.CASH, 500, 300),
            (TenderKind.CARD, 585, 585),
        ]
        assert [m.id for m in sale.cash_back] == ["back1"]
    assert history.ticket_sale("unknown") is None


async def test_the_detail_pane_shows_lines_parts_and_what_went_back(
    split: SqliteJournal,
) -> None:
    history = service(split)
    refund = history.cash_rows(HistoryQuery())[0]
    details = await history.details(refund)
    assert details.payment is None  # cash: JustiFi is not asked
    page = details_html(details)
    assert "Cash refund of $2.00, Approved" in page
    assert "1 x Latte: $4.05 ($0.45 off: staff)" in page
    assert "2 x Croissant: $6.00" in page
    assert "Cash: $5.00 ($10.00 handed over, $5.00 change); $2.00 given back, $3.00 left" in page
    assert "visa \u2022\u2022\u2022\u2022 4242: $5.85" in page
    assert "Cash refund $2.00 by Cy" in page


def test_a_journal_without_tickets_has_no_cash_rows() -> None:
    class Plain:  # a journal from before tickets: no ticket store
        pass

    history = HistoryService(Plain(), None, _no_details)  # type: ignore[arg-type]
    assert history.tickets is None
    assert history.cash_rows(HistoryQuery()) == []
    row = HistoryRow("x", CASH_SALE, 100, "approved", at(0), LANE)
    assert details_html(SaleDetails(row, None))  # no sale: the row alone


async def test_the_cash_refund_has_its_own_receipt(split: SqliteJournal) -> None:
    [back] = [m for m in split.cash_movements() if m.kind is CashMovementKind.REFUND]
    receipts = ReceiptService(split, ["Test shop"], tickets=split)
    receipt = receipts.for_cash_refund(back)
    assert receipt is not None
    assert receipt.kind is ReceiptKind.REFUND
    assert (receipt.total_cents, receipt.served_by, receipt.approved_by) == (200, "Bea", "Cy")
    assert receipt.lane == LANE
    text = render_text(receipt)
    assert "Cash refund: Latte & co" in text
    assert "TOTAL REFUNDED" in text
    assert "$2.00" in text
    assert "Approved by Cy" in text
    [sale] = [m for m in split.cash_movements() if m.kind is CashMovementKind.SALE]
    assert receipts.for_cash_refund(sale) is None  # a sale's cash part is the sale's receipt
    with pytest.raises(ValueError, match="not a cash refund"):
        receipt_from_cash_refund(sale)
    alone = receipt_from_cash_refund(replace(back, ticket_id=None, at=at(0) + timedelta(0)))
    assert "Cash refund: Sale" in render_text(alone)


@pytest.mark.parametrize("page_size", [1, 2, 3, 200])
async def test_the_model_merges_cash_with_the_journals_pages_by_time(
    journal: SqliteJournal, page_size: int
) -> None:
    """Card operations and cash rows interleaved over ten days: every page, however small,
    keeps the table newest first with each row once (cash read a stretch at a time)."""
    from pos_app.ui.history_model import HistoryModel

    await journal.add_many(
        shifts=[make_shift()],
        movements=[
            make_movement(f"m{n}", 60 * 24 * n / 3, kind=CashMovementKind.SALE, amount_cents=100)
            for n in range(30)
        ],
    )
    for n in range(7):
        await journal.begin(make_op(f"op{n}", 60 * 24 * n * 1.4 + 7))
    model = HistoryModel(service(journal), page_size=page_size)
    model.set_query(HistoryQuery(since=at(-60), until=at(60 * 24 * 11)))
    while model.canFetchMore():
        model.fetchMore()
    rows = [model.row_at(i) for i in range(model.rowCount())]
    times = [row.created_at for row in rows if row is not None]
    assert times == sorted(times, reverse=True)
    ids = [row.id for row in rows if row is not None]
    assert sorted(ids) == sorted([f"m{n}" for n in range(30)] + [f"op{n}" for n in range(7)])
    model.set_query(HistoryQuery(since=at(-60), until=at(60 * 24 * 11), kinds=("cash_sale",)))
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 30
