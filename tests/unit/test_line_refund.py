"""Refunding a sale item by item (`domain/line_refund.py`).

By hand: a sale of three lines with a line discount, a sale discount and tax,
each line's share and what some of its units give back. Properties (any cart,
any tax rate, any discounts): the lines' shares add up to the total exactly,
and any split of the sale's units into refunds, in any order, gives back the
total exactly and never more; the cap of the card part holds; the description
reads back as the units that went back.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain.cart import Cart
from pos_app.domain.discount import Discount, DiscountError, DiscountKind
from pos_app.domain.line_refund import (
    ItemRefund,
    LineRefundError,
    item_refund,
    line_shares,
    refund_cents,
    refunded_quantities,
    units_cents,
)
from pos_app.domain.settings_rules import TAX_MAX_BPS
from pos_app.domain.tickets import Ticket, TicketLine, TicketStatus

AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def ticket_of(cart: Cart, ticket_id: str = "t-1") -> Ticket:
    """The ticket a sale of `cart` journals (as `SaleService` builds it)."""
    return Ticket(
        id=ticket_id,
        lane="lane-2",
        status=TicketStatus.COMPLETE,
        lines=cart.ticket_lines(),
        subtotal_cents=cart.subtotal.cents,
        sale_discount_cents=cart.sale_discount.cents,
        tax_cents=cart.tax.cents,
        total_cents=cart.total.cents,
        created_at=AT,
        updated_at=AT,
    )


def three_lines() -> Ticket:
    """2 x Coffee $3.50, 1 x Muffin $2.99 (50 cents off), 3 x Cookie $1.25;
    10% off the sale; tax 8.25%."""
    cart = Cart(tax_rate_bps=825).add_line("Coffee", 350, 2, item_code="C")
    cart = cart.add_line("Muffin", 299, 1, item_code="M")
    dent = Discount(DiscountKind.AMOUNT, 50, "dent")
    cart = cart.with_line_discount(cart.lines[-1].line_id, dent)
    cart = cart.add_line("Cookie", 125, 3, item_code="K")
    cart = cart.with_discount(Discount(DiscountKind.PERCENT, 1_000, "regular"))
    return ticket_of(cart)


def test_each_line_shares_its_discounts_and_tax_by_hand() -> None:
    ticket = three_lines()
    # subtotal 700 + 249 + 375 = 1324; sale discount 132 (132.4); taxable 1192; tax 98 (98.34)
    assert (ticket.subtotal_cents, ticket.sale_discount_cents) == (1324, 132)
    assert (ticket.tax_cents, ticket.total_cents) == (98, 1290)
    shares = line_shares(ticket)
    # Sale discount cut at 700 -> 69.79 = 70, 949 -> 94.6 = 95, 1324 -> 132.
    assert [s.sale_discount_cents for s in shares] == [70, 25, 37]
    # Taxable 630, 224, 338; tax cut at 630 -> 51.8 = 52, 854 -> 70.2 = 70, 1192 -> 98.
    assert [s.tax_cents for s in shares] == [52, 18, 28]
    assert [s.total_cents for s in shares] == [682, 242, 366]
    assert sum(s.total_cents for s in shares) == ticket.total_cents


def test_some_units_of_a_line_and_the_rest_later() -> None:
    ticket = three_lines()
    first = item_refund(ticket, {3: 1})  # one cookie of three: 366 / 3 = 122
    assert (first.items_cents, first.amount_cents) == (122, 122)
    second = item_refund(ticket, {3: 2}, already=first.quantities)
    assert second.amount_cents == 366 - 122
    assert refund_cents(ticket, {1: 2, 2: 1}) == 682 + 242


def test_the_card_part_caps_the_refund() -> None:
    ticket = three_lines()
    refund = item_refund(ticket, {1: 2}, refundable_cents=500)
    assert (refund.items_cents, refund.amount_cents, refund.capped) == (682, 500, True)
    assert item_refund(ticket, {1: 2}, refundable_cents=0).amount_cents == 0
    assert not item_refund(ticket, {1: 2}, refundable_cents=10_000).capped


def test_a_choice_that_cannot_be_refunded_is_refused_in_a_sentence() -> None:
    ticket = three_lines()
    with pytest.raises(LineRefundError, match="no line 4"):
        item_refund(ticket, {4: 1})
    with pytest.raises(LineRefundError, match="Line 3 has 1 left"):
        item_refund(ticket, {3: 2}, already={3: 2})
    with pytest.raises(LineRefundError, match="Line 1 has 2 left"):
        item_refund(ticket, {1: -1})
    assert item_refund(ticket, {1: 0, 2: 0}).lines == ()


def test_the_description_names_the_items_and_reads_back() -> None:
    ticket = three_lines()
    refund = item_refund(ticket, {1: 1, 3: 2})
    text = refund.description()
    assert text == "Items: 1 x Coffee, 2 x Cookie [#1x1 #3x2]"
    later = item_refund(ticket, {3: 1}, already=refund.quantities)
    assert refunded_quantities([text, None, "Refund", later.description()]) == {1: 1, 3: 3}


def test_a_free_sale_and_free_lines_give_back_nothing() -> None:
    ticket = ticket_of(Cart().add_line("Sample", 0, 2))
    assert item_refund(ticket, {1: 2}).amount_cents == 0
    line = TicketLine("Gift", 1, 500, discount_cents=500)
    free = Ticket("t", "l", TicketStatus.COMPLETE, (line,), 0, 0, 0, 0, AT, AT)
    assert [s.total_cents for s in line_shares(free)] == [0]


# -- properties --------------------------------------------------------------------------

discounts = (
    st.none()
    | st.builds(Discount, st.just(DiscountKind.PERCENT), st.integers(1, 10_000), st.just("r"))
    | st.builds(Discount, st.just(DiscountKind.AMOUNT), st.integers(1, 50_000), st.just("r"))
)


@dataclass(frozen=True)
class LineSpec:
    price: int
    quantity: int
    discount: Discount | None


line_specs = st.builds(LineSpec, st.integers(0, 100_000), st.integers(1, 12), discounts)


def cart_of(specs: list[LineSpec], tax_bps: int, sale: Discount | None) -> Cart:
    """The cart a cashier would end up with (discounts the cart refuses left out)."""
    cart = Cart(tax_rate_bps=tax_bps)
    for spec in specs:
        cart = cart.add_line("Thing", spec.price, spec.quantity)
        if spec.discount is not None:
            with contextlib.suppress(DiscountError):
                cart = cart.with_line_discount(cart.lines[-1].line_id, spec.discount)
    if sale is not None and cart.lines:
        with contextlib.suppress(DiscountError):
            cart = cart.with_discount(sale)
    return cart


sales = st.builds(
    cart_of, st.lists(line_specs, min_size=1, max_size=6), st.integers(0, TAX_MAX_BPS), discounts
)


@given(sales)
def test_the_lines_shares_add_up_to_the_sale_exactly(cart: Cart) -> None:
    ticket = ticket_of(cart)
    shares = line_shares(ticket)
    assert sum(s.total_cents for s in shares) == ticket.total_cents
    assert sum(s.sale_discount_cents for s in shares) == ticket.sale_discount_cents
    assert sum(s.tax_cents for s in shares) == ticket.tax_cents
    assert all(s.total_cents >= 0 and s.net_cents >= s.sale_discount_cents for s in shares)


@given(sales, st.data())
def test_any_split_into_refunds_gives_back_the_total_never_more(
    cart: Cart, data: st.DataObject
) -> None:
    ticket = ticket_of(cart)
    left = {n: line.quantity for n, line in enumerate(ticket.lines, start=1)}
    refunds: list[ItemRefund] = []
    given_back = 0
    while any(left.values()):
        chosen = {
            n: data.draw(st.integers(0, count), label=f"line {n}")
            for n, count in left.items()
            if count
        }
        if not any(chosen.values()):  # a refund takes at least one unit
            first = next(n for n, count in left.items() if count)
            chosen[first] = 1
        already = refunded_quantities(r.description() for r in refunds)
        refund = item_refund(ticket, chosen, already=already)
        refunds.append(refund)
        given_back += refund.amount_cents
        assert given_back <= ticket.total_cents  # never more, at any step
        for n, count in chosen.items():
            left[n] -= count
    assert given_back == ticket.total_cents


@given(sales, st.data())
def test_a_refund_never_passes_what_the_card_can_give_back(cart: Cart, data: st.DataObject) -> None:
    ticket = ticket_of(cart)
    chosen = {
        n: data.draw(st.integers(0, line.quantity)) for n, line in enumerate(ticket.lines, start=1)
    }
    refundable = data.draw(st.integers(0, ticket.total_cents))
    refund = item_refund(ticket, chosen, refundable_cents=refundable)
    assert refund.amount_cents == min(refund.items_cents, refundable)
    assert refund.items_cents == sum(line.cents for line in refund.lines)


@given(st.integers(0, 10**9), st.integers(1, 50), st.data())
def test_a_line_given_back_unit_by_unit_gives_its_share(
    share: int, quantity: int, data: st.DataObject
) -> None:
    steps = data.draw(st.lists(st.integers(1, quantity), max_size=quantity))
    done, back = 0, 0
    for step in [*steps, quantity]:
        count = min(step, quantity - done)
        back += units_cents(share, quantity, done, count)
        done += count
    assert back == share
