"""The sale being rung up: cart lines, discounts, subtotal, tax and total; and the item catalog.

A Cart is an immutable value: every operation returns a new Cart, so the GUI
can keep the previous one for undo and tests can replay any sequence.

The figures, in the order a receipt prints them:
- gross: quantity times unit price over all lines;
- subtotal: the lines after their own discounts;
- sale discount: the sale's own discount, taken off the subtotal;
- tax: on the subtotal less the sale discount;
- total: subtotal - sale discount + tax, so gross - every discount + tax.

Rounding, stated once: percent discounts and tax are rounded half up to the
cent (`discount.percent_of`); a discount never takes more than what it
applies to. Without discounts every figure is what it always was.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Final

from pos_app.domain.discount import (
    BPS_PER_UNIT,
    Discount,
    DiscountError,
    DiscountKind,
    percent_of,
)
from pos_app.domain.errors import ConfigurationError
from pos_app.domain.money import AmountError, Money, parse_amount
from pos_app.domain.settings_rules import TAX_MAX_BPS

if TYPE_CHECKING:  # the till's first paint imports the cart, not the ticket records
    from pos_app.domain.tickets import TicketLine

__all__ = [
    "AMOUNT_LINE_NAME",
    "LINE_DISCOUNT_TOO_BIG",
    "MAX_QUANTITY",
    "SALE_DISCOUNT_TOO_BIG",
    "Cart",
    "CartLine",
    "Catalog",
    "CatalogError",
    "CatalogItem",
]

# Name of the line a typed amount becomes (cashier-facing).
AMOUNT_LINE_NAME: Final = "Amount"
MAX_QUANTITY: Final = 9_999
# Cashier-facing: an amount discount larger than what it is taken off.
LINE_DISCOUNT_TOO_BIG: Final = "The discount is more than the line's {amount}."
SALE_DISCOUNT_TOO_BIG: Final = "The discount is more than the sale's {amount}."


def _check_int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    return value


def _check_quantity(quantity: int) -> int:
    _check_int(quantity, "quantity")
    if not 1 <= quantity <= MAX_QUANTITY:
        raise ValueError(f"quantity must be between 1 and {MAX_QUANTITY}: {quantity}")
    return quantity


@dataclass(frozen=True, slots=True)
class CartLine:
    """One line of a cart. `line_id` is stable for the cart's life; use it to edit the line."""

    line_id: int
    item_code: str | None
    name: str
    quantity: int
    unit_price_cents: int
    discount: Discount | None = None

    def __post_init__(self) -> None:
        _check_quantity(self.quantity)
        if _check_int(self.unit_price_cents, "unit price") < 0:
            raise ValueError(f"unit price must not be negative: {self.unit_price_cents}")

    @property
    def unit_price(self) -> Money:
        """Price of one unit."""
        return Money(self.unit_price_cents)

    @property
    def total_cents(self) -> int:
        """Quantity times unit price, in cents."""
        return self.quantity * self.unit_price_cents

    @property
    def total(self) -> Money:
        """Quantity times unit price."""
        return Money(self.total_cents)

    @property
    def discount_cents(self) -> int:
        """What the line's discount takes off its total (0 without one)."""
        return self.discount.off(self.total_cents) if self.discount is not None else 0

    @property
    def net_cents(self) -> int:
        """The line's total after its discount."""
        return self.total_cents - self.discount_cents


@dataclass(frozen=True, slots=True)
class Cart:
    """An immutable cart of lines with a tax rate in basis points (825 = 8.25 %) and,
    optionally, a discount on the whole sale."""

    lines: tuple[CartLine, ...] = ()
    tax_rate_bps: int = 0
    next_line_id: int = field(default=1, repr=False)
    discount: Discount | None = None

    def __post_init__(self) -> None:
        if not 0 <= _check_int(self.tax_rate_bps, "tax rate") <= TAX_MAX_BPS:
            raise ValueError(f"tax rate must be 0..{TAX_MAX_BPS} basis points: {self.tax_rate_bps}")

    # -- reading -----------------------------------------------------------------

    @property
    def is_empty(self) -> bool:
        """True when the cart has no lines."""
        return not self.lines

    @property
    def item_count(self) -> int:
        """Sum of the quantities of all lines."""
        return sum(line.quantity for line in self.lines)

    @property
    def gross(self) -> Money:
        """Sum of quantity times unit price over all lines, before any discount."""
        return Money(sum(line.total_cents for line in self.lines))

    @property
    def subtotal(self) -> Money:
        """Sum of the lines after their own discounts, before the sale's discount and tax."""
        return Money(sum(line.net_cents for line in self.lines))

    @property
    def sale_discount(self) -> Money:
        """What the sale's own discount takes off the subtotal (0 without one)."""
        if self.discount is None:
            return Money(0)
        return Money(self.discount.off(self.subtotal.cents))

    @property
    def discount_total(self) -> Money:
        """Every discount: the lines' and the sale's."""
        lines = sum(line.discount_cents for line in self.lines)
        return Money(lines) + self.sale_discount

    @property
    def taxable(self) -> Money:
        """What the tax is computed on: the subtotal less the sale's discount."""
        return self.subtotal - self.sale_discount

    @property
    def tax(self) -> Money:
        """Tax on the subtotal after every discount, rounded half up to the cent."""
        return Money(percent_of(self.taxable.cents, self.tax_rate_bps))

    @property
    def total(self) -> Money:
        """Subtotal less the sale's discount, plus tax: the amount to charge."""
        return self.taxable + self.tax

    def needs_approval(self, limit_bps: int) -> bool:
        """True when the discounts take more than `limit_bps` of the gross (1_000 is 10 %):
        a manager approves them. A cart without a discount never needs it.

        Compared exactly, not against the limit rounded to the cent: $2.00 off $19.99
        is over 10 % (10.005 %), though 10 % of $19.99 rounds to $2.00."""
        return self.discount_total.cents * BPS_PER_UNIT > self.gross.cents * limit_bps

    def ticket_lines(self) -> tuple[TicketLine, ...]:
        """The lines as the sale's ticket keeps them, with what each discount took off."""
        from pos_app.domain.tickets import TicketLine

        return tuple(
            TicketLine(
                name=line.name,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
                item_code=line.item_code,
                discount_cents=line.discount_cents,
                discount_reason=line.discount.reason if line.discount is not None else None,
            )
            for line in self.lines
        )

    def line(self, line_id: int) -> CartLine:
        """Return the line with `line_id`; KeyError if there is none."""
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise KeyError(line_id)

    # -- editing (each returns a new Cart) ---------------------------------------

    def add_line(
        self, name: str, unit_price_cents: int, quantity: int = 1, item_code: str | None = None
    ) -> Cart:
        """Add a line; a line with the same item code gets the quantity added instead."""
        if item_code is not None:
            for existing in self.lines:
                if existing.item_code == item_code:
                    return self._replace_line(
                        replace(existing, quantity=existing.quantity + _check_quantity(quantity))
                    )
        new_line = CartLine(self.next_line_id, item_code, name, quantity, unit_price_cents)
        return replace(self, lines=(*self.lines, new_line), next_line_id=self.next_line_id + 1)

    def add_item(self, item: CatalogItem, quantity: int = 1) -> Cart:
        """Add a catalog item, merging with a line of the same item code."""
        return self.add_line(item.name, item.price_cents, quantity, item_code=item.code)

    def add_amount(self, amount: Money | int) -> Cart:
        """Add a typed amount as its own "Amount" line (never merged)."""
        cents = amount.cents if isinstance(amount, Money) else amount
        return self.add_line(AMOUNT_LINE_NAME, cents)

    def set_quantity(self, line_id: int, quantity: int) -> Cart:
        """Set a line's quantity; 0 removes the line. KeyError for an unknown line."""
        if _check_int(quantity, "quantity") == 0:
            return self.remove(line_id)
        return self._replace_line(replace(self.line(line_id), quantity=quantity))

    def increment(self, line_id: int) -> Cart:
        """Add one to a line's quantity (stops at MAX_QUANTITY)."""
        line = self.line(line_id)
        return self._replace_line(replace(line, quantity=min(line.quantity + 1, MAX_QUANTITY)))

    def decrement(self, line_id: int) -> Cart:
        """Take one from a line's quantity, removing the line at 0."""
        return self.set_quantity(line_id, self.line(line_id).quantity - 1)

    def remove(self, line_id: int) -> Cart:
        """Remove a line. KeyError for an unknown line. The sale's discount goes with the
        last line, so it never waits in an empty cart for the next customer."""
        self.line(line_id)
        lines = tuple(line for line in self.lines if line.line_id != line_id)
        return replace(self, lines=lines, discount=self.discount if lines else None)

    def clear(self) -> Cart:
        """Remove every line and the sale's discount, keeping the tax rate."""
        return replace(self, lines=(), discount=None)

    def with_line_discount(self, line_id: int, discount: Discount | None) -> Cart:
        """Give a line a discount (None takes it away). KeyError for an unknown line;
        DiscountError for an amount larger than the line. The discount stays with the
        line when its quantity changes (an amount then never takes more than the line)."""
        line = self.line(line_id)
        if discount is not None:
            _check_fits(discount, line.total_cents, LINE_DISCOUNT_TOO_BIG)
        return self._replace_line(replace(line, discount=discount))

    def with_discount(self, discount: Discount | None) -> Cart:
        """Give the sale a discount on its subtotal (None takes it away). DiscountError
        for an amount larger than the subtotal."""
        if discount is not None:
            _check_fits(discount, self.subtotal.cents, SALE_DISCOUNT_TOO_BIG)
        return replace(self, discount=discount)

    def with_tax_rate(self, tax_rate_bps: int) -> Cart:
        """Return this cart with another tax rate."""
        return replace(self, tax_rate_bps=tax_rate_bps)

    def _replace_line(self, new_line: CartLine) -> Cart:
        lines = tuple(new_line if line.line_id == new_line.line_id else line for line in self.lines)
        return replace(self, lines=lines)


def _check_fits(discount: Discount, cents: int, sentence: str) -> None:
    if discount.kind is DiscountKind.AMOUNT and discount.value > cents:
        raise DiscountError(sentence.format(amount=Money(cents).format()))


@dataclass(frozen=True, slots=True)
class CatalogItem:
    """Something the shop sells, with its price in cents and an optional barcode."""

    code: str
    name: str
    price_cents: int
    barcode: str | None = None

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise ValueError("catalog item code must not be empty")
        if _check_int(self.price_cents, "price") < 0:
            raise ValueError(f"price must not be negative: {self.price_cents}")

    @property
    def price(self) -> Money:
        """Price of one unit."""
        return Money(self.price_cents)


class CatalogError(ConfigurationError, ValueError):
    """The catalog file is not valid; the message names the item and the field, for the
    person who keeps the shop's catalog."""


class Catalog:
    """A read-only set of catalog items, looked up by code or by barcode."""

    def __init__(self, items: Iterable[CatalogItem] = ()) -> None:
        self._items = tuple(items)
        self._by_code: dict[str, CatalogItem] = {}
        self._by_barcode: dict[str, CatalogItem] = {}
        for item in self._items:
            if item.code in self._by_code:
                raise CatalogError(f"item code {item.code!r} appears twice")
            self._by_code[item.code] = item
            if item.barcode is not None:
                if item.barcode in self._by_barcode:
                    raise CatalogError(f"barcode {item.barcode!r} appears twice")
                self._by_barcode[item.barcode] = item

    @property
    def items(self) -> tuple[CatalogItem, ...]:
        """All items, in file order."""
        return self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[CatalogItem]:
        return iter(self._items)

    def by_code(self, code: str) -> CatalogItem | None:
        """Return the item with this code, or None."""
        return self._by_code.get(code)

    def by_barcode(self, barcode: str) -> CatalogItem | None:
        """Return the item with this barcode, or None."""
        return self._by_barcode.get(barcode.strip())

    def find(self, text: str) -> CatalogItem | None:
        """Return the item whose barcode or code is `text` (what a scanner or cashier typed)."""
        text = text.strip()
        return self.by_barcode(text) or self.by_code(text)

    @classmethod
    def from_toml(cls, text: str) -> Catalog:
        """Parse a catalog file: a TOML array of `[[item]]` tables with code, name,
        price (a quoted amount like "2.50") and an optional barcode.

        Raises CatalogError naming the item and field at fault.
        """
        import tomllib  # not at import: a start with the catalog cached never parses TOML

        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise CatalogError(f"the catalog is not valid TOML: {error}") from None
        raw_items = document.get("item", [])
        if not isinstance(raw_items, list):
            raise CatalogError("'item' must be a list of [[item]] tables")
        return cls(_item_from_table(number, raw) for number, raw in enumerate(raw_items, 1))


def _text_field(raw: Mapping[str, object], key: str, number: int) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        # Numbers are refused on purpose: "2.50" keeps cents exact and an unquoted
        # barcode would lose its leading zeros.
        raise CatalogError(f'item {number}: {key} must be a quoted string, like "2.50"')
    return value.strip()


def _required_field(raw: Mapping[str, object], key: str, number: int) -> str:
    value = _text_field(raw, key, number)
    if value is None:
        raise CatalogError(f"item {number}: {key} is missing")
    return value


def _item_from_table(number: int, raw: object) -> CatalogItem:
    if not isinstance(raw, dict):
        raise CatalogError(f"item {number}: must be an [[item]] table")
    code = _required_field(raw, "code", number)
    name = _required_field(raw, "name", number)
    price_text = _required_field(raw, "price", number)
    barcode = _text_field(raw, "barcode", number)
    try:
        price = parse_amount(price_text, minimum_cents=1)
    except AmountError as error:
        raise CatalogError(f"item {number} ({code}): price: {error.message}") from None
    return CatalogItem(code=code, name=name, price_cents=price.cents, barcode=barcode)
