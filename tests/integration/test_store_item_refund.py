"""Refunding another lane's sale item by item, through a real store and the sandbox.

lane-2 sells three lines by card; both lanes send their journals to the store
through their outboxes. lane-1 reads the sale from the store, refunds a coffee
and two cookies against lane-2's payment (the amount from `line_refund`, the
items in the refund's description, lane-2's sale as its ticket). The store then
shows that refund under lane-2's sale, and what the history's item refund
starts from next reads the units back and what the card can still give. When
lane-2 refunds the rest by amount meanwhile, JustiFi refuses lane-1's refund of
the remaining items, and the store shows both attempts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from pos_app.domain.cart import Cart
from pos_app.domain.discount import Discount, DiscountKind
from pos_app.domain.line_refund import item_refund
from pos_app.domain.payment_flow import StateName
from pos_app.domain.tickets import Ticket, TicketStatus
from pos_app.services.ports import HistoryQuery
from pos_app.services.store_view import StoreViewService
from pos_app.storage.store.connection import store_address
from pos_app.storage.store.reads import PgStoreView
from pos_app.ui.item_refund_dialog import sale_to_refund
from tests.support.lanes import TEST_ENGINE, TestLane, collect, lane
from tests.support.sandbox import SandboxHandle
from tests.support.store_lanes import join_store


def three_lines() -> Ticket:
    """2 x Coffee, 1 x Muffin ($0.50 off), 3 x Cookie; 10% off; 8.25% tax: $12.90."""
    cart = Cart(tax_rate_bps=825).add_line("Coffee", 350, 2, item_code="C")
    cart = cart.add_line("Muffin", 299, 1, item_code="M")
    dent = Discount(DiscountKind.AMOUNT, 50, "dent")
    cart = cart.with_line_discount(cart.lines[-1].line_id, dent)
    cart = cart.add_line("Cookie", 125, 3, item_code="K")
    cart = cart.with_discount(Discount(DiscountKind.PERCENT, 1_000, "regular"))
    now = datetime.now(UTC)
    return Ticket(
        id="ticket-of-lane-2",
        lane="lane-2",
        status=TicketStatus.COMPLETE,
        lines=cart.ticket_lines(),
        subtotal_cents=cart.subtotal.cents,
        sale_discount_cents=cart.sale_discount.cents,
        tax_cents=cart.tax.cents,
        total_cents=cart.total.cents,
        created_at=now,
        updated_at=now,
        sale_discount_reason="regular",
    )


@asynccontextmanager
async def named_lane(sandbox: SandboxHandle, tmp_path: Path, name: str) -> AsyncIterator[TestLane]:
    engine = dataclasses.replace(TEST_ENGINE, lane=name)
    async with lane(sandbox.url, tmp_path / f"{name}.sqlite3", engine=engine) as test_lane:
        yield test_lane


async def test_lane_1_refunds_items_of_lane_2s_sale_through_the_store(
    sandbox: SandboxHandle, tmp_path: Path, store_url: str
) -> None:
    view = PgStoreView(store_address(store_url, None))
    store = StoreViewService(view, None)
    ticket = three_lines()
    async with (
        named_lane(sandbox, tmp_path, "lane-2") as two,
        named_lane(sandbox, tmp_path, "lane-1") as one,
        join_store(two.journal, "lane-2", store_url) as two_sends,
        join_store(one.journal, "lane-1", store_url) as one_sends,
    ):
        await two.journal.add_ticket(ticket)
        run = await two.service.charge(1290, "trm_side", "Breakfast", ticket_id=ticket.id)
        assert (await collect(run))[-1].name is StateName.APPROVED
        [charge] = two.journal.history(HistoryQuery())
        assert charge.payment_id is not None
        await two_sends.sent()

        # lane-1 reads lane-2's sale from the store: every unit, the whole card.
        sale = await store.ticket_sale(ticket.id)
        assert sale is not None
        start = sale_to_refund(sale, this_lane=False)
        assert start is not None
        assert (dict(start.already), start.refundable_cents) == ({}, 1290)
        items = item_refund(
            ticket, {1: 1, 3: 2}, already=start.already, refundable_cents=start.refundable_cents
        )
        assert items.amount_cents == 585
        payment = await one.service.payment_details(charge.payment_id)
        run = await one.service.refund_to_card(
            payment,
            items.amount_cents,
            "requested_by_customer",
            description=items.description(),
            ticket_id=ticket.id,
        )
        assert (await collect(run))[-1].name is StateName.APPROVED
        await one_sends.sent()

        # The store shows lane-1's refund under lane-2's sale; the next item refund
        # starts from what is left, read back from the store alone.
        sale = await store.ticket_sale(ticket.id)
        assert sale is not None
        [back] = sale.card_back
        assert (back.lane, back.amount_cents, back.ticket_id) == ("lane-1", 585, ticket.id)
        assert back.description == "Items: 1 x Coffee, 2 x Cookie [#1x1 #3x2]"
        following = sale_to_refund(sale, this_lane=False)
        assert following is not None
        assert dict(following.already) == {1: 1, 3: 2}
        assert following.refundable_cents == 1290 - 585
        rows = await store.history_rows(HistoryQuery(text="Cookie"))
        assert [(row.lane, row.kind, row.amount_cents) for row in rows] == [
            ("lane-1", "refund", 585)
        ]

        # lane-2 gives back the rest by amount; lane-1, still on its earlier word from
        # JustiFi, asks for the remaining items: JustiFi refuses, the store has both.
        stale = await one.service.payment_details(charge.payment_id)
        rest = item_refund(ticket, {1: 1, 2: 1, 3: 1}, already=following.already)
        assert rest.amount_cents == 705
        by_amount = await two.service.refund_to_card(stale, 705, "requested_by_customer")
        assert (await collect(by_amount))[-1].name is StateName.APPROVED
        refused = await one.service.refund_to_card(
            stale, rest.amount_cents, None, description=rest.description(), ticket_id=ticket.id
        )
        final = (await collect(refused))[-1]
        assert final.name is StateName.DECLINED
        assert final.decline_code == "payment_fully_refunded"
        await one_sends.sent()
        await two_sends.sent()
        sale = await store.ticket_sale(ticket.id)
        assert sale is not None
        attempts = sorted((op.lane, op.amount_cents, op.status) for op in sale.card_back)
        assert attempts == [
            ("lane-1", 585, "approved"),
            ("lane-1", 705, "declined"),
            ("lane-2", 705, "approved"),
        ]
        assert sale_to_refund(sale, this_lane=False) is None  # nothing left to give back
    await view.close()
