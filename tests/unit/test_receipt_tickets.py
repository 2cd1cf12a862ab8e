"""Receipts of sales paid in parts: lines with their discounts, the sale's discount, each
tender part, the cash handed over and the change; the figures add up at every width."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain.cart import Cart
from pos_app.domain.discount import Discount, DiscountKind
from pos_app.domain.payment_flow import PaymentKind, StateName, initial_state
from pos_app.domain.receipt import (
    THERMAL_WIDTHS,
    Receipt,
    ReceiptCopy,
    receipt_from_operation,
    receipt_from_ticket,
    render_text,
)
from pos_app.domain.tender import TenderKind, TenderPart, TicketPayments
from pos_app.domain.tickets import CashMovement, CashMovementKind, Ticket, TicketStatus
from pos_app.services.ports import Operation
from pos_app.services.reports import ReceiptService
from pos_app.services.sales import tender_parts as ticket_payments

AT = datetime(2025, 3, 14, 15, 4, 5, tzinfo=UTC)
STORE_TZ = timezone(timedelta(hours=-5))
HEADER = ("Corner Coffee",)
TICKET_ID = "tkt-7c1e"


def split_cart() -> Cart:
    # Flat white 2 x 4.50 = 9.00, 10 % off (staff) = 0.90 -> 8.10; Croissant 3.25.
    # Subtotal 11.35; $1.00 off the sale (loyalty) -> 10.35; 8.25 % tax = 0.853875 -> 0.85;
    # total 11.20.
    cart = Cart(tax_rate_bps=825).add_line("Flat white", 450, 2).add_line("Croissant", 325)
    cart = cart.with_line_discount(1, Discount(DiscountKind.PERCENT, 1_000, "staff"))
    return cart.with_discount(Discount(DiscountKind.AMOUNT, 100, "loyalty"))


def ticket_of(cart: Cart, **changes: Any) -> Ticket:
    ticket = Ticket(
        id=TICKET_ID,
        lane="front-1",
        status=TicketStatus.COMPLETE,
        lines=cart.ticket_lines(),
        subtotal_cents=cart.subtotal.cents,
        sale_discount_cents=cart.sale_discount.cents,
        sale_discount_reason=cart.discount.reason if cart.discount else None,
        tax_cents=cart.tax.cents,
        total_cents=cart.total.cents,
        created_at=AT,
        updated_at=AT + timedelta(minutes=2),
        served_by="Cy",
        discount_approved_by="Mo",
        shift_id="shift-1",
    )
    return replace(ticket, **changes)


def card_charge(amount: int, **changes: Any) -> Operation:
    op = Operation(
        id="op-card-1",
        kind=PaymentKind.CHARGE,
        amount_cents=amount,
        status="approved",
        flow="payment_intent",
        terminal_id="trm_front",
        lane="front-1",
        sale_id="pi_1",
        payment_id="py_1",
        card_brand="Visa",
        card_last4="4242",
        ticket_id=TICKET_ID,
        shift_id="shift-1",
        created_at=AT,
        updated_at=AT,
    )
    return replace(op, **changes)


def cash_sale(amount: int, tendered: int, **changes: Any) -> CashMovement:
    movement = CashMovement(
        id="cm-1",
        shift_id="shift-1",
        kind=CashMovementKind.SALE,
        amount_cents=amount,
        at=AT + timedelta(minutes=1),
        person="Cy",
        ticket_id=TICKET_ID,
        tendered_cents=tendered,
        change_cents=tendered - amount,
    )
    return replace(movement, **changes)


def split_receipt(copy: ReceiptCopy = ReceiptCopy.CUSTOMER) -> Receipt:
    """A card for $6.00 first, then $10.00 cash for the $5.20 left: $4.80 change."""
    ticket = ticket_of(split_cart())
    payments = ticket_payments(ticket, [cash_sale(520, 1000)], [card_charge(600)])
    return receipt_from_ticket(ticket, payments, header=HEADER, copy=copy, tz=STORE_TZ)


def row(lines: Sequence[str], left: str) -> str:
    """The amount at the end of the line starting with `left`."""
    found = [line for line in lines if line.startswith(left)]
    assert len(found) == 1, (left, lines)
    return found[0].split()[-1]


# -- a split sale --------------------------------------------------------------------------


def test_a_split_sale_lists_discounts_each_part_the_cash_handed_over_and_the_change() -> None:
    receipt = split_receipt()
    lines = render_text(receipt).splitlines()
    assert lines[0].strip() == "Corner Coffee"
    assert "2025-03-14 10:06" in lines  # completed two minutes in, the store's time
    assert "Served by Cy" in lines
    assert "Discount approved by Mo" in lines
    assert row(lines, "  2 x $4.50") == "$9.00"
    assert row(lines, "  Discount (staff)") == "-$0.90"
    assert row(lines, "Croissant") == "$3.25"
    assert row(lines, "Subtotal") == "$11.35"
    assert row(lines, "Discount (loyalty)") == "-$1.00"
    assert row(lines, "Tax") == "$0.85"
    assert row(lines, "TOTAL") == "$11.20"
    assert row(lines, "Visa **** 4242") == "$6.00"
    assert row(lines, "Cash ") == "$5.20"
    assert row(lines, "  Cash handed over") == "$10.00"
    assert row(lines, "  Change") == "$4.80"
    assert "PAID" in lines
    assert "BALANCE DUE" not in render_text(receipt)
    assert "Payment py_1" in lines
    assert row(lines, "Ref ") == TICKET_ID
    # The card part comes first: it was paid first.
    assert lines.index(next(ln for ln in lines if ln.startswith("Visa"))) < lines.index(
        next(ln for ln in lines if ln.startswith("Cash "))
    )


def test_the_figures_of_a_split_sale_add_up() -> None:
    receipt = split_receipt()
    net_lines = sum(line.total_cents - line.discount_cents for line in receipt.lines)
    assert net_lines == receipt.subtotal_cents == 1135
    assert receipt.tax_cents is not None
    total = receipt.subtotal_cents - receipt.discount_cents + receipt.tax_cents
    assert total == receipt.total_cents == 1120
    assert sum(tender.amount_cents for tender in receipt.tenders) == receipt.total_cents
    (cash,) = [tender for tender in receipt.tenders if tender.tendered_cents is not None]
    assert cash.tendered_cents is not None
    assert cash.tendered_cents - (cash.change_cents or 0) == cash.amount_cents
    assert receipt.change_cents == 480


@pytest.mark.parametrize("width", THERMAL_WIDTHS)
def test_every_line_of_a_split_receipt_fits_the_paper(width: int) -> None:
    for copy in ReceiptCopy:
        text = render_text(split_receipt(copy), width)
        assert max(len(line) for line in text.splitlines()) <= width
        assert "$4.80" in text  # the change is there at every width


def test_only_brand_and_last_four_of_a_card_part_are_printed() -> None:
    ticket = ticket_of(split_cart())
    charge = card_charge(600, card_last4="4111111111114242")
    text = render_text(receipt_from_ticket(ticket, ticket_payments(ticket, [], [charge])))
    assert "4111111111114242" not in text
    assert "Visa **** 4242" in text


def test_a_sale_still_owing_shows_the_balance_due() -> None:
    ticket = ticket_of(split_cart(), status=TicketStatus.OPEN, updated_at=AT)
    late_part = card_charge(600, updated_at=AT + timedelta(minutes=5))
    payments = ticket_payments(ticket, [], [late_part])
    receipt = receipt_from_ticket(ticket, payments, tz=STORE_TZ)
    assert receipt.at == AT + timedelta(minutes=5)  # the time of its last part
    lines = render_text(receipt).splitlines()
    assert row(lines, "BALANCE DUE") == "$5.20"
    assert "NOT PAID IN FULL" in lines
    assert "PAID" not in lines


def test_a_sale_without_discounts_prints_no_discount_lines() -> None:
    cart = Cart(tax_rate_bps=825).add_line("Tea", 300)
    ticket = ticket_of(cart, discount_approved_by=None)
    payments = ticket_payments(ticket, [cash_sale(cart.total.cents, 500)], [])
    text = render_text(receipt_from_ticket(ticket, payments))
    assert "Discount" not in text
    assert "Cash handed over" in text


def test_exact_cash_prints_no_change_lines() -> None:
    cart = Cart().add_line("Tea", 300)
    ticket = ticket_of(cart)
    text = render_text(
        receipt_from_ticket(ticket, ticket_payments(ticket, [cash_sale(300, 300)], []))
    )
    assert "Change" not in text
    assert any(line.startswith("Cash") and line.endswith("$3.00") for line in text.splitlines())


def test_what_was_given_back_is_printed_under_its_part() -> None:
    ticket = ticket_of(split_cart())
    refund = card_charge(
        250, id="op-refund", kind=PaymentKind.REFUND, original_id="op-card-1", refund_id="re_1"
    )
    cash_back = cash_sale(
        200, 0, id="cm-2", kind=CashMovementKind.REFUND, tendered_cents=None, change_cents=None
    )
    payments = ticket_payments(
        ticket, [cash_sale(520, 1000), cash_back], [card_charge(600), refund]
    )
    assert [(p.kind, p.refunded_cents) for p in payments.parts] == [
        (TenderKind.CARD, 250),
        (TenderKind.CASH, 200),
    ]
    lines = render_text(receipt_from_ticket(ticket, payments)).splitlines()
    assert [line.split()[-1] for line in lines if line.startswith("  Given back")] == [
        "-$2.50",
        "-$2.00",
    ]


# -- the payments of a ticket from its records (the sale service's reading) -----------------


def test_ticket_payments_keep_approved_charges_and_cash_sales_only() -> None:
    ticket = ticket_of(split_cart())
    declined = card_charge(600, id="op-declined", status="declined", payment_id=None)
    paid_in = cash_sale(
        5000, 0, id="cm-in", kind=CashMovementKind.PAID_IN, ticket_id=None, tendered_cents=None
    )
    payments = ticket_payments(
        ticket, [cash_sale(520, 1000), paid_in], [declined, card_charge(600)]
    )
    assert [(p.kind, p.amount_cents) for p in payments.parts] == [
        (TenderKind.CARD, 600),
        (TenderKind.CASH, 520),
    ]
    assert payments.balance_cents == 0
    assert payments.change_cents == 480


def test_a_voided_card_part_is_given_back_whole() -> None:
    ticket = ticket_of(split_cart(), status=TicketStatus.CANCELLED)
    void = card_charge(600, id="op-void", kind=PaymentKind.VOID, original_id=None)
    payments = ticket_payments(ticket, [], [card_charge(600), void])
    assert payments.parts[0].refunded_cents == 600
    assert payments.parts[0].refundable_cents == 0


@given(
    total=st.integers(min_value=1, max_value=100_000),
    cuts=st.lists(st.integers(min_value=1, max_value=100_000), max_size=5),
    extra=st.integers(min_value=0, max_value=10_000),
)
def test_the_printed_parts_and_the_balance_add_up_to_the_total(
    total: int, cuts: list[int], extra: int
) -> None:
    """Any sequence of card parts, then cash handed over: parts + balance == total."""
    ticket = replace(
        ticket_of(Cart().add_line("Item", total)), status=TicketStatus.OPEN, total_cents=total
    )
    charges: list[Operation] = []
    balance = total
    for number, cut in enumerate(cuts):
        amount = min(cut, balance)
        if amount == 0:
            break
        charges.append(
            card_charge(amount, id=f"op-{number}", created_at=AT + timedelta(seconds=number))
        )
        balance -= amount
    movements = []
    if balance and extra:
        applied = min(balance, extra)
        movements.append(cash_sale(applied, extra, at=AT + timedelta(hours=1)))
        balance -= applied
    payments = ticket_payments(ticket, movements, charges)
    receipt = receipt_from_ticket(ticket, payments)
    paid = sum(tender.amount_cents for tender in receipt.tenders)
    assert paid + receipt.balance_cents == total
    assert receipt.balance_cents == balance
    assert receipt.change_cents >= 0
    assert max(len(line) for line in render_text(receipt, 32).splitlines()) <= 32


# -- the service ---------------------------------------------------------------------------


class FakeJournal:
    def __init__(self, operations: Sequence[Operation]) -> None:
        self.operations = {op.id: op for op in operations}

    def get(self, operation_id: str) -> Operation | None:
        return self.operations.get(operation_id)

    def find_by_justifi_id(self, justifi_id: str) -> Operation | None:
        return next(
            (op for op in self.operations.values() if justifi_id in (op.payment_id, op.sale_id)),
            None,
        )


class FakeTickets:
    def __init__(
        self, ticket: Ticket, movements: Sequence[CashMovement], operations: Sequence[Operation]
    ) -> None:
        self.tickets = {ticket.id: ticket}
        self.movements = list(movements)
        self.operations = list(operations)

    def ticket(self, ticket_id: str) -> Ticket | None:
        return self.tickets.get(ticket_id)

    def cash_movements(self, *, ticket_id: str | None = None, **_: object) -> list[CashMovement]:
        return [m for m in self.movements if ticket_id is None or m.ticket_id == ticket_id]

    def ticket_operations(self, ticket_id: str) -> list[Operation]:
        return [op for op in self.operations if op.ticket_id == ticket_id]


def service(*, with_tickets: bool = True) -> ReceiptService:
    charge = card_charge(600)
    plain = card_charge(1326, id="op-plain", ticket_id=None, payment_id="py_9", sale_id="pi_9")
    journal = FakeJournal([charge, plain])
    tickets = FakeTickets(ticket_of(split_cart()), [cash_sale(520, 1000)], [charge])
    return ReceiptService(
        journal,  # type: ignore[arg-type]  # the two reads receipts use
        HEADER,
        tz=STORE_TZ,
        tickets=tickets if with_tickets else None,  # type: ignore[arg-type]
    )


def test_the_service_builds_a_tickets_receipt_from_the_store() -> None:
    receipts = service()
    receipt = receipts.for_ticket(TICKET_ID)
    assert receipt is not None
    assert receipt == split_receipt()
    merchant = receipts.for_ticket(TICKET_ID, ReceiptCopy.MERCHANT)
    assert merchant is not None
    assert "MERCHANT COPY" in render_text(merchant)
    assert receipts.for_ticket("tkt-unknown") is None
    assert service(with_tickets=False).for_ticket(TICKET_ID) is None


def test_a_card_part_reprints_as_its_sale_and_a_plain_sale_as_before() -> None:
    receipts = service()
    part = receipts.receipt("op-card-1")
    assert part is not None
    assert part.operation_id == TICKET_ID
    assert "Cash handed over" in render_text(part)
    plain = receipts.receipt("op-plain")
    assert plain is not None
    assert plain == receipt_from_operation(
        card_charge(1326, id="op-plain", ticket_id=None, payment_id="py_9", sale_id="pi_9"),
        header=HEADER,
        tz=STORE_TZ,
    )
    assert plain.tenders == ()
    # Without a ticket store the card part is its own receipt, as before tickets.
    alone = service(with_tickets=False).receipt("op-card-1")
    assert alone is not None
    assert alone.operation_id == "op-card-1"


def test_after_an_approved_card_part_the_offer_is_the_sales_receipt() -> None:
    state = replace(
        initial_state(PaymentKind.CHARGE, 600, "trm_front"),
        name=StateName.APPROVED,
        payment_id="py_1",
    )
    receipt = service().after(state)
    assert receipt is not None
    assert receipt.operation_id == TICKET_ID
    assert [tender.amount_cents for tender in receipt.tenders] == [600, 520]


def test_a_cart_with_discounts_charged_on_one_card_prints_them_too() -> None:
    cart = split_cart()
    charge = card_charge(cart.total.cents, ticket_id=None)
    lines = render_text(receipt_from_operation(charge, cart=cart)).splitlines()
    assert row(lines, "  10% off (staff)") == "-$0.90"
    assert row(lines, "$1.00 off (loyalty)") == "-$1.00"
    assert row(lines, "TOTAL") == "$11.20"
    assert not any(line.startswith("Cash") for line in lines)


def test_tender_part_labels_stay_ascii_on_paper() -> None:
    part = TenderPart(TenderKind.CARD, 600, AT, card_brand="Visa", card_last4="4242")
    ticket = ticket_of(split_cart(), status=TicketStatus.OPEN)
    text = render_text(receipt_from_ticket(ticket, TicketPayments(1120, (part,))))
    assert text.isascii()  # thermal printers print ASCII the same everywhere
