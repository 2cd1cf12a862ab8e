"""Cart lines, totals with tax, and the catalog."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain.cart import (
    AMOUNT_LINE_NAME,
    MAX_QUANTITY,
    Cart,
    Catalog,
    CatalogError,
    CatalogItem,
)
from pos_app.domain.errors import ConfigurationError, user_message
from pos_app.domain.money import Money

COFFEE = CatalogItem("coffee", "Coffee", 250, "012345678905")
MUFFIN = CatalogItem("muffin", "Muffin", 325)


# -- lines ---------------------------------------------------------------------------


def test_empty_cart() -> None:
    cart = Cart()
    assert cart.is_empty
    assert cart.subtotal == Money(0)
    assert cart.tax == Money(0)
    assert cart.total == Money(0)
    assert cart.item_count == 0


def test_adding_the_same_item_merges_lines() -> None:
    cart = Cart().add_item(COFFEE).add_item(MUFFIN).add_item(COFFEE, 2)
    assert [(line.item_code, line.quantity) for line in cart.lines] == [
        ("coffee", 3),
        ("muffin", 1),
    ]
    assert cart.subtotal == Money(3 * 250 + 325)
    assert cart.item_count == 4


def test_typed_amounts_are_never_merged() -> None:
    cart = Cart().add_amount(Money(1000)).add_amount(1000)
    assert [(line.item_code, line.name, line.quantity) for line in cart.lines] == [
        (None, AMOUNT_LINE_NAME, 1),
        (None, AMOUNT_LINE_NAME, 1),
    ]
    assert AMOUNT_LINE_NAME == "Amount"
    assert cart.subtotal == Money(2000)


def test_adding_returns_a_new_cart() -> None:
    empty = Cart()
    full = empty.add_item(COFFEE)
    assert empty.is_empty
    assert not full.is_empty


def test_line_ids_are_stable_after_removal() -> None:
    cart = Cart().add_item(COFFEE).add_item(MUFFIN).add_amount(600)
    coffee, muffin, amount = (line.line_id for line in cart.lines)
    cart = cart.remove(muffin)
    assert cart.line(amount).total_cents == 600
    assert cart.line(coffee).name == "Coffee"
    cart = cart.add_item(MUFFIN)
    assert len({line.line_id for line in cart.lines}) == 3
    with pytest.raises(KeyError):
        cart.line(muffin)


def test_set_quantity_increment_decrement() -> None:
    cart = Cart().add_item(COFFEE)
    line_id = cart.lines[0].line_id
    cart = cart.set_quantity(line_id, 5)
    assert cart.line(line_id).quantity == 5
    cart = cart.increment(line_id).decrement(line_id).decrement(line_id)
    assert cart.line(line_id).quantity == 4
    assert cart.line(line_id).total == Money(1000)
    assert cart.set_quantity(line_id, 0).is_empty


def test_decrement_to_zero_removes_the_line() -> None:
    cart = Cart().add_item(COFFEE).add_item(MUFFIN)
    coffee = cart.lines[0].line_id
    cart = cart.decrement(coffee)
    assert [line.item_code for line in cart.lines] == ["muffin"]


def test_increment_stops_at_the_maximum() -> None:
    cart = Cart().add_item(COFFEE, MAX_QUANTITY)
    line_id = cart.lines[0].line_id
    assert cart.increment(line_id).line(line_id).quantity == MAX_QUANTITY


@pytest.mark.parametrize("quantity", [-1, MAX_QUANTITY + 1])
def test_set_quantity_refuses_out_of_range(quantity: int) -> None:
    cart = Cart().add_item(COFFEE)
    with pytest.raises(ValueError, match="quantity"):
        cart.set_quantity(cart.lines[0].line_id, quantity)


@pytest.mark.parametrize("quantity", [0, -3])
def test_add_refuses_non_positive_quantity(quantity: int) -> None:
    with pytest.raises(ValueError, match="quantity"):
        Cart().add_item(COFFEE, quantity)


def test_unknown_line_raises_key_error() -> None:
    cart = Cart().add_item(COFFEE)
    for operation in (cart.remove, cart.increment, cart.decrement):
        with pytest.raises(KeyError):
            operation(99)
    with pytest.raises(KeyError):
        cart.set_quantity(99, 2)


def test_clear_keeps_the_tax_rate() -> None:
    cart = Cart(tax_rate_bps=825).add_item(COFFEE).clear()
    assert cart.is_empty
    assert cart.tax_rate_bps == 825


def test_negative_price_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        Cart().add_line("Discount", -100)


# -- tax ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subtotal_cents", "rate_bps", "tax_cents"),
    [
        (0, 825, 0),
        (1000, 0, 0),
        (1000, 825, 83),  # 82.5 rounds half up
        (100, 825, 8),  # 8.25 rounds down
        (200, 825, 17),  # 16.5 rounds half up
        (1, 5000, 1),  # 0.5 rounds half up
        (1, 4999, 0),
        (12345, 1000, 1235),  # 1234.5
        (999, 10000, 999),
        (1_000_000, 725, 72500),
    ],
)
def test_tax_rounds_half_up_on_the_subtotal(
    subtotal_cents: int, rate_bps: int, tax_cents: int
) -> None:
    cart = Cart(tax_rate_bps=rate_bps).add_amount(subtotal_cents)
    assert cart.tax == Money(tax_cents)
    assert cart.total == Money(subtotal_cents + tax_cents)


def test_tax_is_on_the_subtotal_not_per_line() -> None:
    # Per line, 3 x 8.25 would round to 3 x 8 = 24; on the subtotal 24.75 -> 25.
    cart = Cart(tax_rate_bps=825).add_amount(100).add_amount(100).add_amount(100)
    assert cart.tax == Money(25)


@pytest.mark.parametrize("rate", [-1, 10_001])
def test_tax_rate_range(rate: int) -> None:
    with pytest.raises(ValueError, match="tax rate"):
        Cart(tax_rate_bps=rate)
    with pytest.raises(ValueError, match="tax rate"):
        Cart().with_tax_rate(rate)


# -- properties ------------------------------------------------------------------------


@dataclass(frozen=True)
class Op:
    """One cart operation for the property tests; `pick` chooses a line."""

    kind: str
    pick: int
    value: int


ITEMS = [COFFEE, MUFFIN, CatalogItem("tea", "Tea", 199), CatalogItem("free", "Free", 0)]

ops = st.builds(
    Op,
    kind=st.sampled_from(["add_item", "add_amount", "set", "inc", "dec", "remove", "clear", "tax"]),
    pick=st.integers(min_value=0, max_value=20),
    value=st.integers(min_value=0, max_value=99),
)


def apply(cart: Cart, op: Op) -> Cart:
    """Apply an operation; operations on lines pick an existing one (if any)."""
    if op.kind == "add_item":
        return cart.add_item(ITEMS[op.pick % len(ITEMS)], 1 + op.value % 5)
    if op.kind == "add_amount":
        return cart.add_amount(op.value * 137 + 51)
    if op.kind == "clear":
        return cart.clear()
    if op.kind == "tax":
        return cart.with_tax_rate(op.value * 101)
    if cart.is_empty:
        return cart
    line_id = cart.lines[op.pick % len(cart.lines)].line_id
    if op.kind == "set":
        return cart.set_quantity(line_id, op.value)
    if op.kind == "inc":
        return cart.increment(line_id)
    if op.kind == "dec":
        return cart.decrement(line_id)
    return cart.remove(line_id)


@given(st.lists(ops, max_size=40))
def test_any_sequence_keeps_the_cart_consistent(operations: list[Op]) -> None:
    cart = Cart(tax_rate_bps=825)
    for op in operations:
        cart = apply(cart, op)
        assert all(1 <= line.quantity <= MAX_QUANTITY for line in cart.lines)
        assert cart.subtotal.cents == sum(
            line.quantity * line.unit_price_cents for line in cart.lines
        )
        assert cart.tax.cents >= 0
        assert cart.total == cart.subtotal + cart.tax
        assert len({line.line_id for line in cart.lines}) == len(cart.lines)
        codes = [line.item_code for line in cart.lines if line.item_code is not None]
        assert len(codes) == len(set(codes))  # same item code never on two lines


@given(
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=MAX_QUANTITY), st.integers(0, 1_000_000)),
        max_size=10,
    ),
    st.integers(min_value=0, max_value=10_000),
)
def test_totals(lines: list[tuple[int, int]], rate_bps: int) -> None:
    cart = Cart(tax_rate_bps=rate_bps)
    for quantity, price in lines:
        cart = cart.add_line("Thing", price, quantity)
    subtotal = sum(quantity * price for quantity, price in lines)
    assert cart.subtotal == Money(subtotal)
    assert cart.tax.cents >= 0
    # Half-up: the tax is within half a cent of the exact value.
    assert abs(cart.tax.cents * 10_000 - subtotal * rate_bps) <= 5_000
    assert cart.total == cart.subtotal + cart.tax


# -- catalog ---------------------------------------------------------------------------

CATALOG_TOML = """
[[item]]
code = "coffee"
name = "Coffee"
price = "2.50"
barcode = "012345678905"

[[item]]
code = "cookie"
name = "Cookie"
price = "$1"

[[item]]
code = "gum"
name = "Gum"
price = ".05"
"""


def test_catalog_from_toml() -> None:
    catalog = Catalog.from_toml(CATALOG_TOML)
    assert len(catalog) == 3
    assert catalog.by_code("coffee") == COFFEE
    assert catalog.by_barcode("012345678905") == COFFEE
    assert catalog.by_barcode(" 012345678905 ") == COFFEE
    assert catalog.by_code("cookie") == CatalogItem("cookie", "Cookie", 100, None)
    assert catalog.by_code("gum") is not None
    assert catalog.by_code("gum").price == Money(5)  # type: ignore[union-attr]
    assert catalog.by_code("tea") is None
    assert catalog.by_barcode("999") is None
    assert [item.code for item in catalog] == ["coffee", "cookie", "gum"]


def test_catalog_find_tries_barcode_then_code() -> None:
    catalog = Catalog.from_toml(CATALOG_TOML)
    assert catalog.find("012345678905") == COFFEE
    assert catalog.find(" cookie ") is not None
    assert catalog.find("nothing") is None


def test_empty_catalog() -> None:
    assert len(Catalog.from_toml("")) == 0


def test_catalog_item_into_cart() -> None:
    catalog = Catalog.from_toml(CATALOG_TOML)
    coffee = catalog.by_barcode("012345678905")
    assert coffee is not None
    cart = Cart().add_item(coffee).add_item(coffee)
    assert cart.total == Money(500)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[[item]\ncode = 1", "not valid TOML"),
        ('item = "x"', "must be a list"),
        ("item = [1]", "must be an [[item]] table"),
        ('[[item]]\nname = "A"\nprice = "1"', "code is missing"),
        ('[[item]]\ncode = "a"\nprice = "1"', "name is missing"),
        ('[[item]]\ncode = "a"\nname = "A"', "price is missing"),
        ('[[item]]\ncode = "a"\nname = "A"\nprice = 2.5', "price must be a quoted string"),
        ('[[item]]\ncode = "a"\nname = "A"\nprice = 250', "price must be a quoted string"),
        ('[[item]]\ncode = "a"\nname = "A"\nprice = "1"\nbarcode = 123', "barcode must be"),
        ('[[item]]\ncode = "a"\nname = "A"\nprice = "abc"', "item 1 (a): price: Enter"),
        ('[[item]]\ncode = "a"\nname = "A"\nprice = "0"', "item 1 (a): price:"),
        ('[[item]]\ncode = "a"\nname = "A"\nprice = "1.234"', "two digits"),
        (
            '[[item]]\ncode = "a"\nname = "A"\nprice = "1"\n'
            '[[item]]\ncode = "a"\nname = "B"\nprice = "2"',
            "appears twice",
        ),
        (
            '[[item]]\ncode = "a"\nname = "A"\nprice = "1"\nbarcode = "1"\n'
            '[[item]]\ncode = "b"\nname = "B"\nprice = "2"\nbarcode = "1"',
            "appears twice",
        ),
    ],
)
def test_catalog_errors_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(CatalogError) as caught:
        Catalog.from_toml(text)
    assert fragment in str(caught.value)
    assert user_message(caught.value) == str(caught.value)  # the catalog's keeper reads it
    assert isinstance(caught.value, ConfigurationError)
