"""Discounts in the cart: per line and per sale, percent or amount, and the figures they change."""

from __future__ import annotations

import pytest

from pos_app.domain.cart import Cart, CatalogItem
from pos_app.domain.discount import Discount, DiscountError, DiscountKind
from pos_app.domain.errors import user_message
from pos_app.domain.money import Money
from pos_app.domain.tickets import TicketLine

COFFEE = CatalogItem("coffee", "Coffee", 250)
MUG = CatalogItem("mug", "Mug", 1299)


def pct(bps: int, reason: str = "damaged box") -> Discount:
    return Discount(DiscountKind.PERCENT, bps, reason)


def off(cents: int, reason: str = "loyalty") -> Discount:
    return Discount(DiscountKind.AMOUNT, cents, reason)


def figures(cart: Cart) -> tuple[int, int, int, int, int, int]:
    return (
        cart.gross.cents,
        cart.subtotal.cents,
        cart.sale_discount.cents,
        cart.discount_total.cents,
        cart.tax.cents,
        cart.total.cents,
    )


def test_without_discounts_every_figure_is_what_it_was() -> None:
    cart = Cart(tax_rate_bps=825).add_item(COFFEE, 3).add_item(MUG)
    gross = 3 * 250 + 1299
    tax = (gross * 825 + 5000) // 10000
    assert figures(cart) == (gross, gross, 0, 0, tax, gross + tax)
    assert cart.ticket_lines()[0].discount_cents == 0


def test_a_line_discount_lowers_the_line_and_the_subtotal() -> None:
    cart = Cart(tax_rate_bps=1000).add_item(MUG)
    line_id = cart.lines[0].line_id
    cart = cart.with_line_discount(line_id, pct(1000))
    line = cart.line(line_id)
    # 10 % of $12.99 is 129.9 cents: half up to 130.
    assert (line.total_cents, line.discount_cents, line.net_cents) == (1299, 130, 1169)
    assert line.total == Money(1299)  # the line's total stays the gross
    # Tax is on the discounted subtotal: 10 % of 1169 = 116.9 -> 117.
    assert figures(cart) == (1299, 1169, 0, 130, 117, 1286)


def test_a_sale_discount_comes_off_the_subtotal_before_tax() -> None:
    cart = Cart(tax_rate_bps=825).add_item(COFFEE, 2).add_item(MUG)  # 1799
    cart = cart.with_discount(off(299))
    assert figures(cart) == (1799, 1799, 299, 299, 124, 1624)  # 1500 * 8.25 % = 123.75 -> 124


def test_line_and_sale_discounts_together() -> None:
    cart = Cart(tax_rate_bps=500).add_item(COFFEE, 4).add_item(MUG)  # 1000 + 1299
    mug = cart.lines[1].line_id
    cart = cart.with_line_discount(mug, off(299)).with_discount(pct(1000))
    # subtotal 1000 + 1000 = 2000; sale discount 200; taxable 1800; tax 90.
    assert figures(cart) == (2299, 2000, 200, 499, 90, 1890)
    assert cart.gross.cents - cart.discount_total.cents + cart.tax.cents == cart.total.cents


@pytest.mark.parametrize(
    ("cents", "bps", "expected"),
    [
        (125, 1000, 13),  # 12.5 -> 13: half up, not half to even
        (135, 1000, 14),  # 13.5 -> 14
        (105, 5000, 53),  # 52.5 -> 53
        (1, 5000, 1),  # half a cent -> 1
        (1, 4999, 0),
        (999, 10000, 999),  # 100 %
    ],
)
def test_percent_discounts_round_half_up(cents: int, bps: int, expected: int) -> None:
    cart = Cart().add_line("Thing", cents)
    cart = cart.with_line_discount(cart.lines[0].line_id, pct(bps))
    assert cart.discount_total.cents == expected
    assert cart.with_line_discount(cart.lines[0].line_id, None).with_discount(
        pct(bps)
    ).sale_discount == Money(expected)


def test_a_full_discount_leaves_nothing_to_pay() -> None:
    cart = Cart(tax_rate_bps=825).add_item(MUG).with_discount(pct(10000, "staff lunch"))
    assert figures(cart) == (1299, 1299, 1299, 1299, 0, 0)


def test_an_amount_larger_than_the_line_or_the_sale_is_refused() -> None:
    cart = Cart().add_item(COFFEE)
    with pytest.raises(DiscountError) as caught:
        cart.with_line_discount(cart.lines[0].line_id, off(251))
    assert user_message(caught.value) == "The discount is more than the line's $2.50."
    with pytest.raises(DiscountError) as caught:
        cart.with_discount(off(251))
    assert user_message(caught.value) == "The discount is more than the sale's $2.50."
    assert cart.with_discount(off(250)).total == Money(0)


def test_an_amount_discount_never_takes_more_than_a_line_that_shrank() -> None:
    cart = Cart().add_item(COFFEE, 4)
    line_id = cart.lines[0].line_id
    cart = cart.with_line_discount(line_id, off(600)).set_quantity(line_id, 2)
    assert cart.line(line_id).discount_cents == 500
    assert cart.subtotal == Money(0)


def test_a_discount_on_an_unknown_line_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        Cart().add_item(COFFEE).with_line_discount(99, pct(1000))


def test_none_takes_a_discount_away() -> None:
    cart = Cart().add_item(MUG)
    line_id = cart.lines[0].line_id
    cart = cart.with_line_discount(line_id, pct(2000)).with_discount(off(100))
    plain = cart.with_line_discount(line_id, None).with_discount(None)
    assert plain.discount_total == Money(0)
    assert plain.total == Money(1299)


def test_a_line_keeps_its_discount_when_the_same_item_is_added() -> None:
    cart = Cart().add_item(COFFEE)
    line_id = cart.lines[0].line_id
    cart = cart.with_line_discount(line_id, pct(5000)).add_item(COFFEE)
    assert cart.line(line_id).quantity == 2
    assert cart.line(line_id).discount_cents == 250


def test_clear_drops_the_sale_discount_and_keeps_the_tax_rate() -> None:
    cart = Cart(tax_rate_bps=825).add_item(MUG).with_discount(off(100)).clear()
    assert cart.discount is None
    assert cart.tax_rate_bps == 825
    assert cart.add_item(MUG).total.cents == 1299 + 107


def test_removing_the_last_line_drops_the_sale_discount() -> None:
    cart = Cart().add_item(MUG).add_item(COFFEE).with_discount(pct(1000))
    cart = cart.remove(cart.lines[0].line_id)
    assert cart.discount == pct(1000)  # one line left: the discount stays
    cart = cart.decrement(cart.lines[0].line_id)
    assert cart.is_empty
    assert cart.discount is None


@pytest.mark.parametrize(
    ("limit_bps", "needs"),
    [(1000, True), (1500, False), (1499, True), (0, True), (10000, False)],
)
def test_discounts_over_the_limit_need_a_manager(limit_bps: int, needs: bool) -> None:
    # $20.00 gross, $3.00 off: 15 % of the gross.
    cart = Cart().add_line("Scarf", 2000).with_discount(off(300))
    assert cart.needs_approval(limit_bps) is needs


def test_the_limit_is_compared_exactly_not_rounded_to_the_cent() -> None:
    # 10 % of $19.99 is 199.9 cents: $2.00 off is over it, $1.99 is not.
    cart = Cart().add_line("Scarf", 1999)
    assert cart.with_discount(off(200)).needs_approval(1000)
    assert not cart.with_discount(off(199)).needs_approval(1000)


def test_the_limit_is_on_every_discount_of_the_sale() -> None:
    cart = Cart().add_line("Scarf", 1000).add_line("Hat", 1000)
    first = cart.lines[0].line_id
    cart = cart.with_line_discount(first, off(150))  # 7.5 % of $20
    assert not cart.needs_approval(1000)
    cart = cart.with_discount(off(100))  # 12.5 % of $20 in all
    assert cart.needs_approval(1000)


def test_a_cart_without_discounts_never_needs_approval() -> None:
    assert not Cart().needs_approval(0)
    assert not Cart().add_item(MUG).needs_approval(0)


def test_ticket_lines_keep_names_prices_and_discounts() -> None:
    cart = Cart().add_item(COFFEE, 3).add_amount(500)
    cart = cart.with_line_discount(cart.lines[0].line_id, pct(1000, "regular"))
    assert cart.ticket_lines() == (
        TicketLine("Coffee", 3, 250, "coffee", 75, "regular"),
        TicketLine("Amount", 1, 500, None, 0, None),
    )
    assert sum(line.net_cents for line in cart.ticket_lines()) == cart.subtotal.cents
