"""Refunding a sale item by item: what each line of a ticket is worth of its total.

A line's share of the sale: its amount after its own discount, less its share
of the sale's discount, plus its share of the tax. Each share is cut from the
sale's figure at cumulative boundaries rounded half up (the cart's rounding),
so the shares of all the lines add up to the sale's discount, tax and total
exactly, and none is negative: refunding every line gives back the total,
never more, whatever the order and however the lines are split into refunds.
Some units of a line are cut the same way along its units, counting the units
already given back, so a line refunded a unit at a time also gives back its
share exactly.

What went back is written into the refund's description ("Items: 2 x Coffee
[#1x2]"): a person reads the names, `refunded_quantities` reads the line
numbers back, so the next item refund of the sale offers only what is left.

The card decides in the end: `ItemRefund.amount_cents` is at most what the
card part can still give back (JustiFi's refundable amount), which also
covers refunds made by amount, without items. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from pos_app.domain.errors import InvalidInputError
from pos_app.domain.tickets import Ticket

__all__ = [
    "ITEMS_PREFIX",
    "ChosenLine",
    "ItemRefund",
    "LineRefundError",
    "LineShare",
    "item_refund",
    "line_shares",
    "refund_cents",
    "refunded_quantities",
    "units_cents",
]

# How a refund's description names what went back (journaled; a person reads it).
ITEMS_PREFIX: Final = "Items: "
_LINE_TEXT: Final = "{quantity} x {name}"
_TAG_RE: Final = re.compile(r"\[(#\d+x\d+(?: #\d+x\d+)*)\]\s*$")
_TAG_PART_RE: Final = re.compile(r"#(\d+)x(\d+)")
# Cashier-facing refusals.
UNKNOWN_LINE: Final = "The sale has no line {line_no}."
TOO_MANY_UNITS: Final = "Line {line_no} has {left} left to refund."
NOTHING_CHOSEN: Final = "Choose at least one item to refund."


class LineRefundError(InvalidInputError):
    """A choice of items that cannot be refunded (an unknown line, more than is left)."""


def _half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half up (both non-negative, denominator > 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def _cut(amount: int, weights: Sequence[int]) -> tuple[int, ...]:
    """`amount` shared by `weights`, each cut at its cumulative boundary rounded half up:
    the pieces add up to `amount` exactly and none is negative."""
    whole = sum(weights)
    if whole <= 0:
        return tuple(0 for _ in weights)
    pieces, before, running = [], 0, 0
    for weight in weights:
        running += weight
        boundary = _half_up(amount * running, whole)
        pieces.append(boundary - before)
        before = boundary
    return tuple(pieces)


@dataclass(frozen=True, slots=True)
class LineShare:
    """What one line is worth of its sale (`line_no` counts from 1, as the journal does)."""

    line_no: int
    quantity: int
    net_cents: int  # after the line's own discount
    sale_discount_cents: int  # its share of the sale's discount
    tax_cents: int  # its share of the tax

    @property
    def total_cents(self) -> int:
        """What refunding the whole line gives back."""
        return self.net_cents - self.sale_discount_cents + self.tax_cents


def line_shares(ticket: Ticket) -> tuple[LineShare, ...]:
    """Every line's share of the sale; they add up to its total (and to its sale discount
    and tax) exactly."""
    nets = [max(line.net_cents, 0) for line in ticket.lines]
    discounts = _cut(ticket.sale_discount_cents, nets)
    taxable = [net - discount for net, discount in zip(nets, discounts, strict=True)]
    taxes = _cut(ticket.tax_cents, taxable)
    return tuple(
        LineShare(number, line.quantity, net, discount, tax)
        for number, (line, net, discount, tax) in enumerate(
            zip(ticket.lines, nets, discounts, taxes, strict=True), start=1
        )
    )


def units_cents(share_cents: int, quantity: int, already: int, count: int) -> int:
    """What `count` more units of a line of `quantity` units worth `share_cents` give
    back, `already` of them given back before: cut along its units like the lines, so
    giving every unit back, in any steps, gives back `share_cents` exactly."""
    if quantity <= 0 or count <= 0:
        return 0
    upto = min(already + count, quantity)
    return _half_up(share_cents * upto, quantity) - _half_up(share_cents * already, quantity)


@dataclass(frozen=True, slots=True)
class ChosenLine:
    """Some units of one line going back, and what they give back."""

    line_no: int
    name: str
    quantity: int  # going back now
    cents: int


@dataclass(frozen=True, slots=True)
class ItemRefund:
    """Items of one sale going back: what they are worth (`items_cents`) and what is
    refunded (`amount_cents`: that, at most what the card part can still give back)."""

    ticket_id: str
    lines: tuple[ChosenLine, ...]
    items_cents: int
    amount_cents: int

    @property
    def capped(self) -> bool:
        """The payment cannot give back all the items are worth."""
        return self.amount_cents < self.items_cents

    @property
    def quantities(self) -> dict[int, int]:
        """line_no -> units going back."""
        return {line.line_no: line.quantity for line in self.lines}

    def description(self) -> str:
        """The refund's description: the items for a person, the line numbers to read
        back ("Items: 2 x Coffee, 1 x Muffin [#1x2 #3x1]")."""
        names = ", ".join(
            _LINE_TEXT.format(quantity=line.quantity, name=line.name) for line in self.lines
        )
        tag = " ".join(f"#{line.line_no}x{line.quantity}" for line in self.lines)
        return f"{ITEMS_PREFIX}{names} [{tag}]"


def item_refund(
    ticket: Ticket,
    chosen: Mapping[int, int],
    *,
    already: Mapping[int, int] | None = None,
    refundable_cents: int | None = None,
) -> ItemRefund:
    """The refund of `chosen` (line_no -> units) of `ticket`, `already` (line_no -> units)
    having gone back before, capped at `refundable_cents` when given. Units of 0 are left
    out; LineRefundError for an unknown line or more units than are left."""
    shares = line_shares(ticket)
    before = already or {}
    lines: list[ChosenLine] = []
    for line_no in sorted(chosen):
        count = chosen[line_no]
        if not 1 <= line_no <= len(shares):
            raise LineRefundError(UNKNOWN_LINE.format(line_no=line_no))
        if count == 0:
            continue
        share = shares[line_no - 1]
        done = min(max(before.get(line_no, 0), 0), share.quantity)
        left = share.quantity - done
        if count < 0 or count > left:
            raise LineRefundError(TOO_MANY_UNITS.format(line_no=line_no, left=left))
        cents = units_cents(share.total_cents, share.quantity, done, count)
        name = ticket.lines[line_no - 1].name
        lines.append(ChosenLine(line_no, name, count, cents))
    worth = sum(line.cents for line in lines)
    amount = worth if refundable_cents is None else max(0, min(worth, refundable_cents))
    return ItemRefund(ticket.id, tuple(lines), worth, amount)


def refund_cents(
    ticket: Ticket,
    chosen: Mapping[int, int],
    *,
    already: Mapping[int, int] | None = None,
    refundable_cents: int | None = None,
) -> int:
    """What refunding `chosen` gives back (see `item_refund`)."""
    return item_refund(
        ticket, chosen, already=already, refundable_cents=refundable_cents
    ).amount_cents


def refunded_quantities(descriptions: Iterable[str | None]) -> dict[int, int]:
    """line_no -> units already given back, read from the descriptions of a sale's
    refunds that went through (others, without items, are ignored)."""
    found: dict[int, int] = {}
    for description in descriptions:
        match = _TAG_RE.search(description or "")
        if match is None:
            continue
        for line_no, count in _TAG_PART_RE.findall(match.group(1)):
            found[int(line_no)] = found.get(int(line_no), 0) + int(count)
    return found
