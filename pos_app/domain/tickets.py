"""The records of a sale paid in parts, of cash in the drawer, and of a cashier's shift.

A `Ticket` is one sale as the customer sees it: its lines (with their
discounts), its totals and who served it. It is paid by tenders: cash parts
(kept as `CashMovement`s of kind SALE) and card parts (the journal's approved
charges that carry the ticket's id). A ticket is `complete` at zero balance.

A `Shift` runs from a counted float to a counted drawer. Every movement of
cash (a sale's cash part, cash given back, paid in, paid out, a no-sale
opening) is a `CashMovement` of the shift. Amounts are positive cents; the
kind says which way the money went.

Pure records: no I/O. The journal keeps them (`services.ports.TicketStore`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

__all__ = [
    "CASH_IN",
    "CASH_OUT",
    "CashMovement",
    "CashMovementKind",
    "Shift",
    "Ticket",
    "TicketLine",
    "TicketStatus",
]


class TicketStatus(StrEnum):
    """Where a sale is."""

    OPEN = "open"  # rung up, not fully paid
    COMPLETE = "complete"  # paid to zero balance
    CANCELLED = "cancelled"  # given up; what was paid went back (with a manager's approval)


@dataclass(frozen=True, slots=True)
class TicketLine:
    """One line of a sale as it was sold: the cart line and its discount."""

    name: str
    quantity: int
    unit_price_cents: int
    item_code: str | None = None
    discount_cents: int = 0
    discount_reason: str | None = None

    @property
    def gross_cents(self) -> int:
        """Quantity times unit price."""
        return self.quantity * self.unit_price_cents

    @property
    def net_cents(self) -> int:
        """What the line costs after its discount."""
        return self.gross_cents - self.discount_cents


@dataclass(frozen=True, slots=True)
class Ticket:
    """One sale. `subtotal_cents` is after line discounts; `discount_cents` is every
    discount (lines and sale) and `sale_discount_cents` the sale's own part.
    `total_cents` = `subtotal_cents` - `sale_discount_cents` + `tax_cents`."""

    id: str
    lane: str
    status: TicketStatus
    lines: tuple[TicketLine, ...]
    subtotal_cents: int
    sale_discount_cents: int
    tax_cents: int
    total_cents: int
    created_at: datetime  # aware
    updated_at: datetime  # aware
    sale_discount_reason: str | None = None
    served_by: str | None = None
    discount_approved_by: str | None = None  # a manager, for a discount over the limit
    cancelled_by: str | None = None  # the manager who approved giving the sale up
    shift_id: str | None = None
    description: str | None = None

    @property
    def discount_cents(self) -> int:
        """Every discount of the sale: its lines' and its own."""
        return self.sale_discount_cents + sum(line.discount_cents for line in self.lines)


class CashMovementKind(StrEnum):
    """Why cash went into or out of the drawer."""

    SALE = "sale"  # a sale's cash part (what was kept, change already given)
    REFUND = "refund"  # cash given back for a refund of a sale's cash part
    CANCEL_RETURN = "cancel_return"  # cash given back when a partly paid sale was cancelled
    PAID_IN = "paid_in"  # cash put in (change from the bank)
    PAID_OUT = "paid_out"  # cash taken out (a delivery paid from the till)
    NO_SALE = "no_sale"  # the drawer opened without money moving (amount 0)


CASH_IN: Final = frozenset({CashMovementKind.SALE, CashMovementKind.PAID_IN})
CASH_OUT: Final = frozenset(
    {CashMovementKind.REFUND, CashMovementKind.CANCEL_RETURN, CashMovementKind.PAID_OUT}
)


@dataclass(frozen=True, slots=True)
class CashMovement:
    """Cash into or out of the drawer during a shift. `amount_cents` >= 0; the kind says
    the direction. A sale's movement also keeps what was handed over and the change."""

    id: str
    shift_id: str
    kind: CashMovementKind
    amount_cents: int
    at: datetime  # aware
    person: str | None = None
    reason: str | None = None
    ticket_id: str | None = None
    tendered_cents: int | None = None  # SALE: what the customer handed over
    change_cents: int | None = None  # SALE: what went back to them
    approved_by: str | None = None

    @property
    def signed_cents(self) -> int:
        """The movement's effect on the drawer: + in, - out, 0 for a no-sale."""
        if self.kind in CASH_IN:
            return self.amount_cents
        if self.kind in CASH_OUT:
            return -self.amount_cents
        return 0


@dataclass(frozen=True, slots=True)
class Shift:
    """A cashier's shift on one lane, from the float counted in to the drawer counted out.

    `count` is the closing count by denomination (cents value -> how many), when the
    drawer was counted that way; `counted_cents` is its total (or the typed total)."""

    id: str
    lane: str
    opened_at: datetime  # aware
    opened_by: str | None
    float_cents: int
    closed_at: datetime | None = None
    closed_by: str | None = None
    counted_cents: int | None = None
    expected_cents: int | None = None  # what the till expected at close
    count: dict[int, int] | None = field(default=None, compare=False)
    float_count: dict[int, int] | None = field(default=None, compare=False)

    @property
    def is_open(self) -> bool:
        """True until the drawer is counted at close."""
        return self.closed_at is None

    @property
    def over_short_cents(self) -> int | None:
        """Counted minus expected at close: negative is short, positive is over."""
        if self.counted_cents is None or self.expected_cents is None:
            return None
        return self.counted_cents - self.expected_cents
