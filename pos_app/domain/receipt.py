"""Receipts for sales, refunds and voids, and their plain-text rendering.

A `Receipt` is built from a journaled operation (anything shaped like
`services.ports.Operation`, see `JournaledOperation`) and, for a sale, the cart
that was charged. The journal keeps the description (the item names joined)
but not the cart lines, so a receipt reprinted from the history shows one line
with the description and the amount.

A sale rung up as a ticket (paid in parts: cash, one card or several) has its
receipt built from the ticket and its payments (`receipt_from_ticket`): every
line with its discount, the subtotal (after line discounts), the sale's
discount, the tax (on the subtotal after every discount, rounded half up to
the cent, as percent discounts are), the total, each tender part with what it
paid, the cash handed over and the change. A sale made before tickets existed
prints as it always did. Cash refunded from the drawer for a sale has a
receipt of its own (`receipt_from_cash_refund`): the cash given back, the sale
it belongs to, who gave it and who approved it.

`render_text` lays a receipt out in a fixed number of columns (32, 42 and 48
are the usual thermal printer widths); the same text goes to the thermal
printer, the on-screen preview, the PDF and the tests.

Nothing about a card beyond its brand and last four digits is ever held here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from enum import StrEnum
from typing import Final, Protocol

from pos_app.domain.cart import Cart
from pos_app.domain.money import Money
from pos_app.domain.paper import Lines
from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.tender import TenderKind, TenderPart, TicketPayments
from pos_app.domain.tickets import CashMovement, CashMovementKind, Ticket, TicketStatus

__all__ = [
    "MAX_WIDTH",
    "MIN_WIDTH",
    "THERMAL_WIDTHS",
    "JournaledOperation",
    "Receipt",
    "ReceiptCopy",
    "ReceiptKind",
    "ReceiptLine",
    "ReceiptTender",
    "last_four_only",
    "receipt_from_cash_refund",
    "receipt_from_operation",
    "receipt_from_ticket",
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
    def ticket_id(self) -> str | None: ...
    @property
    def shift_id(self) -> str | None: ...
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
    TicketStatus.COMPLETE.value: "PAID",
    TicketStatus.OPEN.value: "NOT PAID IN FULL",
}
IN_PROGRESS_WORD: Final = "IN PROGRESS"
REFUND_LINE: Final = "Refund: {description}"
CASH_REFUND_LINE: Final = "Cash refund: {description}"
VOID_LINE: Final = "Void: {description}"
NO_DESCRIPTION: Final = "Sale"
SUBTOTAL_LABEL: Final = "Subtotal"
TAX_LABEL: Final = "Tax"
DISCOUNT_TEXT: Final = "Discount ({reason})"
DISCOUNT_WORD: Final = "Discount"
DISCOUNT_APPROVED_BY_LINE: Final = "Discount approved by {name}"
CASH_TENDER: Final = "Cash"
TENDERED_LABEL: Final = "Cash handed over"
CHANGE_LABEL: Final = "Change"
REFUNDED_LABEL: Final = "Given back"
BALANCE_DUE_LABEL: Final = "BALANCE DUE"
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
    total_cents: int  # quantity times unit price, before the line's discount
    discount_cents: int = 0
    discount_text: str | None = None  # "10% off (damaged box)", "Discount (staff)"


@dataclass(frozen=True, slots=True)
class ReceiptTender:
    """One tender part as printed: its name ("Cash", "Visa **** 4242") and what it paid;
    a cash part also keeps what was handed over and the change given back."""

    label: str
    amount_cents: int
    tendered_cents: int | None = None
    change_cents: int | None = None
    refunded_cents: int = 0
    payment_id: str | None = None


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
    discount_cents: int = 0  # the sale's own discount, taken off the subtotal
    discount_text: str | None = None
    discount_approved_by: str | None = None  # a manager, for a discount over the limit
    tenders: tuple[ReceiptTender, ...] = ()  # a ticket's parts; () for a plain card sale
    balance_cents: int = 0  # still due (a ticket not paid in full)

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

    @property
    def change_cents(self) -> int:
        """The change given back over every cash part."""
        return sum(tender.change_cents or 0 for tender in self.tenders)


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
    discount, discount_text = 0, None
    if kind is ReceiptKind.SALE and cart is not None and cart.total.cents == amount:
        lines = tuple(
            ReceiptLine(
                line.name,
                line.quantity,
                line.unit_price_cents,
                line.total_cents,
                line.discount_cents,
                line.discount.describe() if line.discount is not None else None,
            )
            for line in cart.lines
        )
        subtotal, tax = cart.subtotal.cents, cart.tax.cents
        discount = cart.sale_discount.cents
        discount_text = cart.discount.describe() if cart.discount is not None else None
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
        discount_cents=discount,
        discount_text=discount_text,
    )


def receipt_from_ticket(
    ticket: Ticket,
    payments: TicketPayments,
    *,
    header: Sequence[str] = (),
    copy: ReceiptCopy = ReceiptCopy.CUSTOMER,
    tz: tzinfo | None = None,
    currency: str = "usd",
) -> Receipt:
    """The receipt of a sale rung up as a ticket, with every tender part that paid it.

    Lines carry their discounts; the subtotal is after line discounts, the sale's
    discount comes off it, the tax is on what is left (rounded half up to the
    cent, as percent discounts are), and the total is the ticket's. Each part is
    printed with what it paid; a cash part also with the cash handed over and
    the change. Its time is the sale's last change or its last part, whichever is
    later; `tz` is the store's time zone (default: this computer's).
    """
    lines = tuple(
        ReceiptLine(
            line.name,
            line.quantity,
            line.unit_price_cents,
            line.gross_cents,
            line.discount_cents,
            _discount_text(line.discount_reason) if line.discount_cents else None,
        )
        for line in ticket.lines
    )
    return Receipt(
        kind=ReceiptKind.SALE,
        copy=copy,
        header=tuple(line.strip() for line in header if line.strip()),
        lane=ticket.lane,
        at=max((ticket.updated_at, *(part.at for part in payments.parts))).astimezone(tz),
        lines=lines,
        subtotal_cents=ticket.subtotal_cents,
        tax_cents=ticket.tax_cents,
        total_cents=ticket.total_cents,
        status=ticket.status.value,
        operation_id=ticket.id,
        currency=currency,
        served_by=ticket.served_by,
        discount_cents=ticket.sale_discount_cents,
        discount_text=(
            _discount_text(ticket.sale_discount_reason) if ticket.sale_discount_cents else None
        ),
        discount_approved_by=ticket.discount_approved_by if ticket.discount_cents else None,
        tenders=tuple(_tender(part) for part in payments.parts),
        balance_cents=payments.balance_cents if ticket.status is TicketStatus.OPEN else 0,
    )


def receipt_from_cash_refund(
    movement: CashMovement,
    ticket: Ticket | None = None,
    *,
    header: Sequence[str] = (),
    copy: ReceiptCopy = ReceiptCopy.CUSTOMER,
    tz: tzinfo | None = None,
    currency: str = "usd",
) -> Receipt:
    """The receipt of cash refunded from the drawer (a REFUND movement): one line naming
    the sale (its description, else "Sale"), the cash given back as its only tender,
    who gave it and who approved it. `ticket` is the sale it belongs to, when known."""
    if movement.kind is not CashMovementKind.REFUND:
        raise ValueError(f"not a cash refund: {movement.kind.value}")
    amount = movement.amount_cents
    description = ticket.description if ticket is not None else None
    name = CASH_REFUND_LINE.format(description=(description or "").strip() or NO_DESCRIPTION)
    return Receipt(
        kind=ReceiptKind.REFUND,
        copy=copy,
        header=tuple(line.strip() for line in header if line.strip()),
        lane=ticket.lane if ticket is not None else None,
        at=movement.at.astimezone(tz),
        lines=(ReceiptLine(name, 1, amount, amount),),
        subtotal_cents=amount,
        tax_cents=None,
        total_cents=amount,
        status="approved",
        operation_id=movement.ticket_id or movement.id,
        currency=currency,
        served_by=movement.person,
        approved_by=movement.approved_by,
        tenders=(ReceiptTender(CASH_TENDER, amount),),
    )


def _discount_text(reason: str | None) -> str:
    reason = (reason or "").strip()
    return DISCOUNT_TEXT.format(reason=reason) if reason else DISCOUNT_WORD


def _tender(part: TenderPart) -> ReceiptTender:
    if part.kind is TenderKind.CASH:
        return ReceiptTender(
            CASH_TENDER,
            part.amount_cents,
            tendered_cents=part.tendered_cents,
            change_cents=part.change_cents,
            refunded_cents=part.refunded_cents,
        )
    if part.card_last4 is None:
        label = (part.card_brand or "").strip() or UNKNOWN_CARD
    else:
        label = CARD_TEXT.format(brand=part.card_brand or UNKNOWN_CARD, last4=part.card_last4)
    return ReceiptTender(
        label,
        part.amount_cents,
        refunded_cents=part.refunded_cents,
        payment_id=part.payment_id,
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
    out = Lines(width)

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
    if receipt.discount_approved_by:
        out.wrapped(DISCOUNT_APPROVED_BY_LINE.format(name=receipt.discount_approved_by))
    out.rule()
    for item in receipt.lines:
        if item.quantity == 1:
            out.row(item.name, money(item.total_cents))
        else:
            out.wrapped(item.name)
            unit = QUANTITY_TEXT.format(quantity=item.quantity, unit=money(item.unit_cents))
            out.row("  " + unit, money(item.total_cents))
        if item.discount_cents:
            out.row("  " + (item.discount_text or DISCOUNT_WORD), money(-item.discount_cents))
    out.rule()
    if receipt.tax_cents is not None:
        out.row(SUBTOTAL_LABEL, money(receipt.subtotal_cents))
        if receipt.discount_cents:
            out.row(receipt.discount_text or DISCOUNT_WORD, money(-receipt.discount_cents))
        out.row(TAX_LABEL, money(receipt.tax_cents))
    out.row(TOTAL_LABELS[receipt.kind], money(receipt.total_cents))
    out.rule()
    if receipt.tenders or receipt.balance_cents:
        _tenders(out, receipt, money)
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


def _tenders(out: Lines, receipt: Receipt, money: Callable[[int], str]) -> None:
    """Each part with what it paid; cash with what was handed over and the change."""
    for tender in receipt.tenders:
        out.row(tender.label, money(tender.amount_cents))
        if tender.tendered_cents is not None and tender.tendered_cents != tender.amount_cents:
            out.row("  " + TENDERED_LABEL, money(tender.tendered_cents))
            out.row("  " + CHANGE_LABEL, money(tender.change_cents or 0))
        if tender.refunded_cents:
            out.row("  " + REFUNDED_LABEL, money(-tender.refunded_cents))
    if receipt.balance_cents:
        out.row(BALANCE_DUE_LABEL, money(receipt.balance_cents))


def _ids(receipt: Receipt) -> list[tuple[str, str]]:
    ids: list[tuple[str, str]] = []
    ids += [(PAYMENT_LABEL, tender.payment_id) for tender in receipt.tenders if tender.payment_id]
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
