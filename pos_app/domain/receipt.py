"""Receipts for sales, refunds and voids, and their plain-text rendering.

A `Receipt` is built from a journaled operation (anything shaped like
`services.ports.Operation`, see `JournaledOperation`) and, for a sale, the cart
that was charged. The journal keeps the description (the item names joined)
but not the cart lines, so a receipt reprinted from the history shows one line
with the description and the amount.

`render_text` lays a receipt out in a fixed number of columns (32, 42 and 48
are the usual thermal printer widths); the same text goes to the thermal
printer, the on-screen preview, the PDF and the tests.

Nothing about a card beyond its brand and last four digits is ever held here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Final, Protocol

from pos_app.domain.cart import Cart
from pos_app.domain.money import Money
from pos_app.domain.payment_flow import PaymentKind

__all__ = [
    "MAX_WIDTH",
    "MIN_WIDTH",
    "THERMAL_WIDTHS",
    "JournaledOperation",
    "Receipt",
    "ReceiptCopy",
    "ReceiptKind",
    "ReceiptLine",
    "last_four_only",
    "receipt_from_operation",
    "render_text",
]

THERMAL_WIDTHS: Final = (32, 42, 48)
MIN_WIDTH: Final = 24
MAX_WIDTH: Final = 80


class JournaledOperation(Protocol):
    """What receipts and reports read of a journaled operation (`services.ports.Operation`)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> PaymentKind: ...
    @property
    def amount_cents(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def terminal_id(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...
    @property
    def lane(self) -> str | None: ...
    @property
    def sale_id(self) -> str | None: ...
    @property
    def payment_id(self) -> str | None: ...
    @property
    def refund_id(self) -> str | None: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def card_brand(self) -> str | None: ...
    @property
    def card_last4(self) -> str | None: ...
    @property
    def served_by(self) -> str | None: ...
    @property
    def approved_by(self) -> str | None: ...
    @property
    def created_at(self) -> datetime: ...


class ReceiptKind(StrEnum):
    """What the receipt is for."""

    SALE = "sale"
    REFUND = "refund"
    VOID = "void"


class ReceiptCopy(StrEnum):
    """Who keeps the paper."""

    CUSTOMER = "customer"
    MERCHANT = "merchant"


_KIND_OF: Final = {
    PaymentKind.CHARGE: ReceiptKind.SALE,
    PaymentKind.REFUND: ReceiptKind.REFUND,
    PaymentKind.VOID: ReceiptKind.VOID,
}

# -- the words printed on a receipt, in one place for translation ----------------------

TITLES: Final[dict[ReceiptKind, str]] = {
    ReceiptKind.SALE: "SALE",
    ReceiptKind.REFUND: "REFUND",
    ReceiptKind.VOID: "VOID",
}
COPY_NAMES: Final[dict[ReceiptCopy, str]] = {
    ReceiptCopy.CUSTOMER: "CUSTOMER COPY",
    ReceiptCopy.MERCHANT: "MERCHANT COPY",
}
TOTAL_LABELS: Final[dict[ReceiptKind, str]] = {
    ReceiptKind.SALE: "TOTAL",
    ReceiptKind.REFUND: "TOTAL REFUNDED",
    ReceiptKind.VOID: "TOTAL VOIDED",
}
STATUS_WORDS: Final[dict[str, str]] = {
    "approved": "APPROVED",
    "declined": "DECLINED",
    "cancelled": "CANCELLED",
    "timed_out": "TIMED OUT",
    "unresolved": "UNRESOLVED - CHECK WITH THE STORE",
}
IN_PROGRESS_WORD: Final = "IN PROGRESS"
REFUND_LINE: Final = "Refund: {description}"
VOID_LINE: Final = "Void: {description}"
NO_DESCRIPTION: Final = "Sale"
SUBTOTAL_LABEL: Final = "Subtotal"
TAX_LABEL: Final = "Tax"
LANE_LABEL: Final = "Lane"
TERMINAL_LABEL: Final = "Terminal"
SERVED_BY_LINE: Final = "Served by {name}"
APPROVED_BY_LINE: Final = "Approved by {name}"
REASON_LABEL: Final = "Reason"
REASON_WORDS: Final[dict[str, str]] = {
    "customer_request": "Customer request",
    "duplicate": "Duplicate",
    "fraudulent": "Fraudulent",
}
CARD_TEXT: Final = "{brand} **** {last4}"
UNKNOWN_CARD: Final = "Card"
PAYMENT_LABEL: Final = "Payment"
INTENT_LABEL: Final = "Intent"
CHECKOUT_LABEL: Final = "Checkout"
SALE_ID_LABEL: Final = "Sale"
REFUND_ID_LABEL: Final = "Refund"
OPERATION_LABEL: Final = "Ref"
QUANTITY_TEXT: Final = "{quantity} x {unit}"
CUSTOMER_FOOTER: Final = "Thank you!"
MERCHANT_FOOTER: Final = "Keep with the day's records"
DATE_FORMAT: Final = "%Y-%m-%d %H:%M"


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """One printed line: what, how many, the unit price and the line total (cents)."""

    name: str
    quantity: int
    unit_cents: int
    total_cents: int


def last_four_only(value: str | None) -> str | None:
    """The last four digits of whatever card number text arrives, else None."""
    if value is None:
        return None
    digits = "".join(ch for ch in value if ch.isascii() and ch.isdigit())
    return digits[-4:] if len(digits) >= 4 else None


@dataclass(frozen=True, slots=True)
class Receipt:
    """Everything printed on one copy of a receipt.

    `at` is the operation's time in the store's time zone. `tax_cents` is None
    when the receipt is rebuilt from the journal alone (no cart lines). Only
    the card's brand and last four digits are kept: `card_last4` is cut to
    four digits whatever it is given.
    """

    kind: ReceiptKind
    copy: ReceiptCopy
    header: tuple[str, ...]
    lane: str | None
    at: datetime
    lines: tuple[ReceiptLine, ...]
    subtotal_cents: int
    tax_cents: int | None
    total_cents: int
    status: str
    operation_id: str
    currency: str = "usd"
    card_brand: str | None = None
    card_last4: str | None = None
    payment_id: str | None = None
    sale_id: str | None = None
    refund_id: str | None = None
    terminal_id: str | None = None
    reason: str | None = None
    served_by: str | None = None
    approved_by: str | None = None  # refunds and voids only

    def __post_init__(self) -> None:
        object.__setattr__(self, "card_last4", last_four_only(self.card_last4))

    def as_copy(self, copy: ReceiptCopy) -> Receipt:
        """The same receipt for the other party."""
        return replace(self, copy=copy)

    @property
    def card_text(self) -> str | None:
        """ "Visa **** 4242", or what is known of the card, or None."""
        if self.card_last4 is None:
            return self.card_brand
        return CARD_TEXT.format(brand=self.card_brand or UNKNOWN_CARD, last4=self.card_last4)


def receipt_from_operation(
    operation: JournaledOperation,
    *,
    header: Sequence[str] = (),
    copy: ReceiptCopy = ReceiptCopy.CUSTOMER,
    cart: Cart | None = None,
    tz: tzinfo | None = None,
    currency: str = "usd",
) -> Receipt:
    """The receipt of one journaled operation.

    `cart` gives a sale its lines, subtotal and tax; it is used only when its
    total is the amount charged (otherwise it is not this sale's cart), and
    never for refunds and voids. `tz` is the store's time zone (default: this
    computer's).
    """
    kind = _KIND_OF[PaymentKind(operation.kind)]
    amount = operation.amount_cents
    lines: tuple[ReceiptLine, ...]
    tax: int | None = None
    subtotal = amount
    if kind is ReceiptKind.SALE and cart is not None and cart.total.cents == amount:
        lines = tuple(
            ReceiptLine(line.name, line.quantity, line.unit_price_cents, line.total_cents)
            for line in cart.lines
        )
        subtotal, tax = cart.subtotal.cents, cart.tax.cents
    else:
        lines = (ReceiptLine(_line_name(kind, operation.description), 1, amount, amount),)
    return Receipt(
        kind=kind,
        copy=copy,
        header=tuple(line.strip() for line in header if line.strip()),
        lane=operation.lane,
        at=operation.created_at.astimezone(tz),
        lines=lines,
        subtotal_cents=subtotal,
        tax_cents=tax,
        total_cents=amount,
        status=operation.status,
        operation_id=operation.id,
        currency=currency,
        card_brand=operation.card_brand,
        card_last4=operation.card_last4,
        payment_id=operation.payment_id,
        sale_id=operation.sale_id,
        refund_id=operation.refund_id,
        terminal_id=operation.terminal_id,
        reason=operation.reason,
        served_by=operation.served_by,
        approved_by=operation.approved_by if kind is not ReceiptKind.SALE else None,
    )


def _line_name(kind: ReceiptKind, description: str | None) -> str:
    text = (description or "").strip() or NO_DESCRIPTION
    if kind is ReceiptKind.REFUND:
        return REFUND_LINE.format(description=text)
    if kind is ReceiptKind.VOID:
        return VOID_LINE.format(description=text)
    return text


# -- plain text ------------------------------------------------------------------------


def render_text(receipt: Receipt, width: int = 42) -> str:
    """The receipt as lines of at most `width` characters, joined with newlines."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"receipt width must be {MIN_WIDTH} to {MAX_WIDTH} columns: {width}")
    out = _Lines(width)

    def money(cents: int) -> str:
        return Money(cents, receipt.currency).format()

    for line in receipt.header:
        out.centered(line)
    if receipt.header:
        out.rule()
    out.row(TITLES[receipt.kind], COPY_NAMES[receipt.copy])
    out.wrapped(receipt.at.strftime(DATE_FORMAT))
    where: list[tuple[str, str]] = []
    if receipt.lane:
        where.append((LANE_LABEL, receipt.lane))
    if receipt.copy is ReceiptCopy.MERCHANT and receipt.terminal_id:
        where.append((TERMINAL_LABEL, receipt.terminal_id))
    out.pairs(where)
    if receipt.served_by:
        out.wrapped(SERVED_BY_LINE.format(name=receipt.served_by))
    if receipt.approved_by and receipt.kind is not ReceiptKind.SALE:
        out.wrapped(APPROVED_BY_LINE.format(name=receipt.approved_by))
    out.rule()
    for item in receipt.lines:
        if item.quantity == 1:
            out.row(item.name, money(item.total_cents))
        else:
            out.wrapped(item.name)
            unit = QUANTITY_TEXT.format(quantity=item.quantity, unit=money(item.unit_cents))
            out.row("  " + unit, money(item.total_cents))
    out.rule()
    if receipt.tax_cents is not None:
        out.row(SUBTOTAL_LABEL, money(receipt.subtotal_cents))
        out.row(TAX_LABEL, money(receipt.tax_cents))
    out.row(TOTAL_LABELS[receipt.kind], money(receipt.total_cents))
    out.rule()
    card = receipt.card_text
    if card:
        out.wrapped(card)
    out.wrapped(STATUS_WORDS.get(receipt.status, IN_PROGRESS_WORD))
    details = _ids(receipt)
    if receipt.copy is ReceiptCopy.MERCHANT and receipt.reason:
        details.insert(0, (REASON_LABEL, REASON_WORDS.get(receipt.reason, receipt.reason)))
    out.pairs(details)
    out.rule()
    footer = CUSTOMER_FOOTER if receipt.copy is ReceiptCopy.CUSTOMER else MERCHANT_FOOTER
    out.centered(footer)
    return "\n".join(out.lines)


def _ids(receipt: Receipt) -> list[tuple[str, str]]:
    ids: list[tuple[str, str]] = []
    if receipt.refund_id:
        ids.append((REFUND_ID_LABEL, receipt.refund_id))
    if receipt.payment_id:
        ids.append((PAYMENT_LABEL, receipt.payment_id))
    if receipt.sale_id:
        sale_label = SALE_ID_LABEL
        if receipt.sale_id.startswith("pi_"):
            sale_label = INTENT_LABEL
        elif receipt.sale_id.startswith("cho_"):
            sale_label = CHECKOUT_LABEL
        ids.append((sale_label, receipt.sale_id))
    ids.append((OPERATION_LABEL, receipt.operation_id))
    return ids


class _Lines:
    """Receipt lines of a fixed width; nothing printed is ever wider."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[str] = []

    def rule(self) -> None:
        self.lines.append("-" * self.width)

    def wrapped(self, text: str) -> None:
        self.lines.extend(_wrap(text, self.width))

    def centered(self, text: str) -> None:
        self.lines.extend(part.center(self.width).rstrip() for part in _wrap(text, self.width))

    def row(self, left: str, right: str) -> None:
        """`left` flush left and `right` flush right on the first line; left wraps below."""
        if len(right) >= self.width - 1:
            self.wrapped(left)
            self.lines.append(right.rjust(self.width))
            return
        room = self.width - len(right) - 1
        parts = _wrap(left, room) if left else [""]
        self.lines.append((parts[0].ljust(room) + " " + right).rstrip())
        self.lines.extend(parts[1:])

    def pairs(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Labels in a column and their values beside them; a value too long for the
        rest of the line goes on lines of its own, below its label."""
        column = max((len(label) for label, _ in pairs), default=0) + 1
        for label, value in pairs:
            if column + len(value) <= self.width:
                self.lines.append(label.ljust(column) + value)
            elif len(label) + 1 + len(value) <= self.width:
                self.lines.append(f"{label} {value}")
            else:
                self.lines.append(label)
                self.lines.extend(_wrap(value, self.width, hyphens=True))


def _wrap(text: str, width: int, *, hyphens: bool = False) -> list[str]:
    wrapped = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=hyphens)
    return wrapped or [""]
