"""Paying a sale in parts: cash, one card or several, in any order, down to zero balance.

A sale (a `Ticket`) is paid by tender parts. A cash part applies what the
customer handed over up to the balance and gives the rest back as change; a
card part is charged for an amount the cashier chooses, never more than the
balance and never under JustiFi's minimum. `TicketPayments` adds the parts up.

Rules worth knowing:
- The applied parts plus the balance always equal the sale's total; nothing is
  applied past a zero balance, and change is never negative.
- Only a cash part gives change: the change is what was handed over beyond the
  balance, and it never counts as paid.
- A part keeps what has been refunded of it, so a refund of a split sale goes
  back by tender (`refundable_cents` per part).
- Nothing about a card beyond its brand and last four digits is held here.

Pure values: no I/O. Amounts are integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Final

from pos_app.domain.errors import InvalidInputError
from pos_app.domain.money import JUSTIFI_MINIMUM_CENTS, Money

__all__ = [
    "QUICK_NOTES_CENTS",
    "CashPart",
    "TenderKind",
    "TenderPart",
    "TicketPayments",
    "card_part_error",
    "cash_part",
]

# The notes the tender dialog offers with one touch ($5, $10, $20, $50).
QUICK_NOTES_CENTS: Final = (500, 1000, 2000, 5000)

# -- the words a cashier reads, in one place for translation ----------------------------

CASH_LABEL: Final = "Cash"
CARD_LABEL: Final = "Card"
CARD_LAST4_LABEL: Final = "{brand} \u2022\u2022\u2022\u2022 {last4}"
ENTER_CASH: Final = "Enter the cash handed over."
NOTHING_LEFT: Final = "Nothing is left to pay."
ENTER_CARD_AMOUNT: Final = "Enter the amount to put on the card."
CARD_ABOVE_BALANCE: Final = "A card can pay at most the balance due, {balance}."
CARD_BELOW_MINIMUM: Final = "A card payment must be at least {minimum}."
BALANCE_BELOW_MINIMUM: Final = (
    "The {balance} left is under a card's minimum of {minimum}: take it in cash."
)
PART_ABOVE_BALANCE: Final = "That is more than the balance due, {balance}."


class TenderKind(StrEnum):
    """How a part of a sale was paid."""

    CASH = "cash"
    CARD = "card"


def _check_cents(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{what} must be an int, not {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{what} must not be negative: {value}")
    return value


def _last_four(value: str | None) -> str | None:
    if value is None:
        return None
    digits = "".join(ch for ch in value if ch.isascii() and ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else None


@dataclass(frozen=True, slots=True)
class TenderPart:
    """One payment towards a sale: a cash movement of kind SALE, or an approved charge.

    `amount_cents` is what it applied to the sale (for cash: after the change);
    `tendered_cents` and `change_cents` are a cash part's banknotes in and out.
    `refunded_cents` is what has gone back to the customer from this part.
    `card_last4` keeps the last four digits of whatever it is given, no more.
    """

    kind: TenderKind
    amount_cents: int
    at: datetime  # aware
    tendered_cents: int | None = None
    change_cents: int | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    operation_id: str | None = None  # a card part: the journal's charge
    payment_id: str | None = None  # a card part: JustiFi's payment
    movement_id: str | None = None  # a cash part: the drawer's movement
    refunded_cents: int = 0

    def __post_init__(self) -> None:
        _check_cents(self.amount_cents, "amount")
        _check_cents(self.refunded_cents, "refunded amount")
        for value, what in ((self.tendered_cents, "tendered"), (self.change_cents, "change")):
            if value is not None:
                _check_cents(value, what)
        if self.at.tzinfo is None:
            raise ValueError("a tender part's time must be timezone-aware")
        object.__setattr__(self, "card_last4", _last_four(self.card_last4))

    @property
    def label(self) -> str:
        """How the cashier and the receipt name it: "Cash", "Visa •••• 4242", "Card"."""
        if self.kind is TenderKind.CASH:
            return CASH_LABEL
        brand = (self.card_brand or "").strip()
        if self.card_last4 is None:
            return brand or CARD_LABEL
        return CARD_LAST4_LABEL.format(brand=brand or CARD_LABEL, last4=self.card_last4)

    @property
    def refundable_cents(self) -> int:
        """What can still go back to the customer from this part."""
        return max(0, self.amount_cents - self.refunded_cents)


@dataclass(frozen=True, slots=True)
class TicketPayments:
    """A sale's total and the parts paid towards it, oldest first."""

    total_cents: int
    parts: tuple[TenderPart, ...] = ()

    def __post_init__(self) -> None:
        _check_cents(self.total_cents, "total")

    @property
    def paid_cents(self) -> int:
        """What the parts applied to the sale (change not included)."""
        return sum(part.amount_cents for part in self.parts)

    @property
    def balance_cents(self) -> int:
        """What is still due: the total less what was paid, never below zero."""
        return max(0, self.total_cents - self.paid_cents)

    @property
    def change_cents(self) -> int:
        """The change given back over all cash parts."""
        return sum(part.change_cents or 0 for part in self.parts if part.kind is TenderKind.CASH)

    @property
    def is_paid(self) -> bool:
        """Paid to zero balance (a sale of nothing counts once something was tendered)."""
        return self.balance_cents == 0 and (self.total_cents > 0 or bool(self.parts))

    @property
    def cash_cents(self) -> int:
        """What the cash parts applied."""
        return self._applied(TenderKind.CASH)

    @property
    def card_cents(self) -> int:
        """What the card parts applied."""
        return self._applied(TenderKind.CARD)

    @property
    def refunded_cents(self) -> int:
        """What has gone back to the customer over all parts."""
        return sum(part.refunded_cents for part in self.parts)

    @property
    def refundable_cents(self) -> int:
        """What can still go back to the customer over all parts."""
        return sum(part.refundable_cents for part in self.parts)

    def with_part(self, part: TenderPart) -> TicketPayments:
        """These payments and one more part; InvalidInputError when it would pay past
        the balance (a cash part's change is not applied, so it never does)."""
        if part.amount_cents > self.balance_cents:
            balance = Money(self.balance_cents).format()
            raise InvalidInputError(PART_ABOVE_BALANCE.format(balance=balance))
        return replace(self, parts=(*self.parts, part))

    def _applied(self, kind: TenderKind) -> int:
        return sum(part.amount_cents for part in self.parts if part.kind is kind)


@dataclass(frozen=True, slots=True)
class CashPart:
    """Cash handed over for a balance: what it pays, and the change to give back."""

    applied_cents: int
    tendered_cents: int
    change_cents: int


def cash_part(balance_cents: int, tendered_cents: int) -> CashPart:
    """Apply `tendered_cents` of cash to a balance: applied = min(tendered, balance), the
    rest is change. InvalidInputError when nothing is left to pay or nothing was handed
    over."""
    _check_cents(balance_cents, "balance")
    if not isinstance(tendered_cents, int) or isinstance(tendered_cents, bool):
        raise TypeError(f"tendered must be an int, not {type(tendered_cents).__name__}")
    if balance_cents == 0:
        raise InvalidInputError(NOTHING_LEFT)
    if tendered_cents <= 0:
        raise InvalidInputError(ENTER_CASH)
    applied = min(tendered_cents, balance_cents)
    return CashPart(applied, tendered_cents, tendered_cents - applied)


def card_part_error(balance_cents: int, amount_cents: int) -> str | None:
    """The cashier's sentence when a card cannot pay `amount_cents` of the balance
    (nothing left, no amount, above the balance, under JustiFi's minimum), else None."""
    minimum = Money(JUSTIFI_MINIMUM_CENTS).format()
    if balance_cents <= 0:
        return NOTHING_LEFT
    if amount_cents <= 0:
        return ENTER_CARD_AMOUNT
    if amount_cents > balance_cents:
        return CARD_ABOVE_BALANCE.format(balance=Money(balance_cents).format())
    if amount_cents < JUSTIFI_MINIMUM_CENTS:
        if balance_cents < JUSTIFI_MINIMUM_CENTS:
            balance = Money(balance_cents).format()
            return BALANCE_BELOW_MINIMUM.format(balance=balance, minimum=minimum)
        return CARD_BELOW_MINIMUM.format(minimum=minimum)
    return None
