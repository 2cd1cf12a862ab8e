"""Receipts: what each copy says, at every printer width; the ESC/POS adapter; reprints."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain.cart import Cart
from pos_app.domain.payment_flow import PaymentKind, StateName, initial_state
from pos_app.domain.receipt import (
    THERMAL_WIDTHS,
    Receipt,
    ReceiptCopy,
    ReceiptKind,
    receipt_from_operation,
    render_text,
)
from pos_app.printing.escpos import (
    INSTALL_COMMAND,
    EscposPrinter,
    EscposTarget,
    PrinterError,
    escpos_bytes,
    escpos_installed,
)
from pos_app.services.ports import Operation
from pos_app.services.reports import ReceiptService
from pos_app.storage.journal import SqliteJournal

AT = datetime(2025, 3, 14, 15, 4, 5, tzinfo=UTC)
STORE_TZ = timezone(timedelta(hours=-5))
HEADER = ("Corner Coffee", "12 Main St, Springfield")
OP_ID = "3f2b6c1e-0d4a-4f5e-9a77-1c2d3e4f5a6b"


def sale(**changes: Any) -> Operation:
    op = Operation(
        id=OP_ID,
        kind=PaymentKind.CHARGE,
        amount_cents=1326,
        status="approved",
        flow="payment_intent",
        terminal_id="trm_front",
        description="Flat white, Croissant",
        lane="front-1",
        sale_id="pi_123",
        payment_id="py_123",
        card_brand="Visa",
        card_last4="4242",
        created_at=AT,
        updated_at=AT,
    )
    return replace(op, **changes)


def cart() -> Cart:
    # 2 x 4.50 + 3.25 = 12.25; 8.25 % tax = 1.01; total 13.26
    return Cart(tax_rate_bps=825).add_line("Flat white", 450, 2).add_line("Croissant", 325)


def lines_of(receipt: Receipt, width: int = 42) -> list[str]:
    return render_text(receipt, width).splitlines()


# -- content ------------------------------------------------------------------------------


def test_a_sale_with_its_cart_shows_lines_subtotal_tax_and_total() -> None:
    receipt = receipt_from_operation(sale(), header=HEADER, cart=cart(), tz=STORE_TZ)
    assert receipt.kind is ReceiptKind.SALE
    assert (receipt.subtotal_cents, receipt.tax_cents, receipt.total_cents) == (1225, 101, 1326)
    assert [
        (line.name, line.quantity, line.unit_cents, line.total_cents) for line in receipt.lines
    ] == [
        ("Flat white", 2, 450, 900),
        ("Croissant", 1, 325, 325),
    ]
    lines = lines_of(receipt)
    assert lines[0].strip() == "Corner Coffee"
    assert lines[1].strip() == "12 Main St, Springfield"
    assert lines[3].split() == ["SALE", "CUSTOMER", "COPY"]
    assert "2025-03-14 10:04" in lines  # the store's local time, not UTC
    assert "Lane front-1" in lines
    assert "Flat white" in lines
    assert any(line.startswith("  2 x $4.50") and line.endswith("$9.00") for line in lines)
    assert any(line.startswith("Croissant") and line.endswith("$3.25") for line in lines)
    assert any(line.startswith("Subtotal") and line.endswith("$12.25") for line in lines)
    assert any(line.startswith("Tax") and line.endswith("$1.01") for line in lines)
    assert any(line.startswith("TOTAL") and line.endswith("$13.26") for line in lines)
    assert "Visa **** 4242" in lines
    assert "APPROVED" in lines
    assert "Payment py_123" in lines
    assert "Intent  pi_123" in lines
    assert f"Ref {OP_ID}" in lines  # too long for the column: closer to its label
    assert lines[-1].strip() == "Thank you!"
    assert "trm_front" not in render_text(receipt)  # the terminal is for the merchant


def test_the_merchant_copy_adds_the_terminal_and_reason() -> None:
    refund = sale(
        kind=PaymentKind.REFUND,
        amount_cents=500,
        refund_id="re_9",
        reason="customer_request",
        terminal_id=None,
        refund_mode="card",
    )
    customer = receipt_from_operation(refund, header=HEADER)
    merchant = customer.as_copy(ReceiptCopy.MERCHANT)
    assert "Reason" not in render_text(customer)
    text = render_text(merchant)
    assert "MERCHANT COPY" in text
    assert "Reason  Customer request" in text
    assert "Keep with the day's records" in text
    charge = receipt_from_operation(sale(), copy=ReceiptCopy.MERCHANT)
    assert "Terminal trm_front" in render_text(charge)


def test_from_the_journal_alone_a_sale_is_one_line_with_the_description() -> None:
    receipt = receipt_from_operation(sale())
    assert receipt.lines[0].name == "Flat white, Croissant"
    assert receipt.tax_cents is None
    text = render_text(receipt)
    assert "Subtotal" not in text
    assert "Tax" not in text
    assert any(
        line.startswith("Flat white, Croissant") and line.endswith("$13.26")
        for line in text.splitlines()
    )


def test_a_cart_that_is_not_this_sale_is_not_used() -> None:
    other = Cart().add_line("Tea", 300)
    receipt = receipt_from_operation(sale(), cart=other)
    assert [line.name for line in receipt.lines] == ["Flat white, Croissant"]
    assert receipt.total_cents == 1326


def test_refund_and_void_receipts() -> None:
    refund = receipt_from_operation(
        sale(kind=PaymentKind.REFUND, amount_cents=500, refund_id="re_9", id="op-r")
    )
    text = render_text(refund)
    assert text.splitlines()[0].startswith("REFUND")
    assert "Refund: Flat white, Croissant" in text
    assert any(
        line.startswith("TOTAL REFUNDED") and line.endswith("$5.00") for line in text.splitlines()
    )
    assert "Refund  re_9" in text
    assert "Payment py_123" in text  # the refunded payment

    void = receipt_from_operation(sale(kind=PaymentKind.VOID, id="op-v", description=None))
    text = render_text(void)
    assert text.splitlines()[0].startswith("VOID")
    assert "Void: Sale" in text
    assert any(
        line.startswith("TOTAL VOIDED") and line.endswith("$13.26") for line in text.splitlines()
    )


def test_who_served_is_printed_on_both_copies() -> None:
    receipt = receipt_from_operation(sale(served_by="Ann"), cart=cart())
    for copy in ReceiptCopy:
        assert "Served by Ann" in lines_of(receipt.as_copy(copy))
    assert not any("Approved by" in line for line in lines_of(receipt))


def test_a_refund_or_void_says_who_approved_it() -> None:
    for kind in (PaymentKind.REFUND, PaymentKind.VOID):
        op = sale(kind=kind, served_by="Cy", approved_by="Bea")
        printed = lines_of(receipt_from_operation(op, copy=ReceiptCopy.MERCHANT))
        assert "Served by Cy" in printed
        assert "Approved by Bea" in printed


def test_a_sale_never_prints_an_approver() -> None:
    printed = lines_of(receipt_from_operation(sale(approved_by="Bea")))
    assert not any("Bea" in line for line in printed)


def test_without_a_person_no_who_line_is_printed() -> None:
    printed = render_text(receipt_from_operation(sale(kind=PaymentKind.REFUND)))
    assert "Served by" not in printed
    assert "Approved by" not in printed


@pytest.mark.parametrize(
    ("status", "word"),
    [
        ("declined", "DECLINED"),
        ("cancelled", "CANCELLED"),
        ("unresolved", "UNRESOLVED - CHECK WITH THE STORE"),
        ("waiting", "IN PROGRESS"),
    ],
)
def test_the_status_is_printed(status: str, word: str) -> None:
    assert word in render_text(receipt_from_operation(sale(status=status)), 48).splitlines()


def test_only_brand_and_last_four_of_a_card_are_kept_or_printed() -> None:
    receipt = receipt_from_operation(sale(card_last4="4111 1111 1111 1111", card_brand="Visa"))
    assert receipt.card_last4 == "1111"
    text = render_text(receipt)
    assert "4111" not in text.replace("**** 1111", "")
    assert "Visa **** 1111" in text
    assert receipt_from_operation(sale(card_last4="12")).card_last4 is None
    no_card = receipt_from_operation(sale(card_brand=None, card_last4=None))
    assert no_card.card_text is None


def test_a_checkout_sale_names_its_checkout() -> None:
    text = render_text(receipt_from_operation(sale(sale_id="cho_77", flow="checkout")))
    assert "Checkout cho_77" in text


def test_widths_outside_the_printers_range_are_refused() -> None:
    receipt = receipt_from_operation(sale())
    with pytest.raises(ValueError, match="columns"):
        render_text(receipt, 20)
    with pytest.raises(ValueError, match="columns"):
        render_text(receipt, 81)


@given(
    width=st.sampled_from(THERMAL_WIDTHS),
    names=st.lists(
        st.text(st.characters(min_codepoint=32, max_codepoint=0x24F), min_size=1, max_size=90),
        min_size=1,
        max_size=5,
    ),
    quantity=st.integers(1, 9_999),
    price=st.integers(0, 999_999),
    lane=st.text(st.characters(min_codepoint=33, max_codepoint=126), max_size=60),
    copy=st.sampled_from(ReceiptCopy),
    person=st.text(st.characters(min_codepoint=33, max_codepoint=0x24F), max_size=40),
)
def test_no_line_is_wider_than_the_paper(
    width: int,
    names: list[str],
    quantity: int,
    price: int,
    lane: str,
    copy: ReceiptCopy,
    person: str,
) -> None:
    basket = Cart(tax_rate_bps=1000)
    for index, name in enumerate(names):
        basket = basket.add_line(name, price + index, quantity)
    op = sale(
        amount_cents=basket.total.cents,
        lane=lane or None,
        description=names[0],
        served_by=person or None,
    )
    receipt = receipt_from_operation(op, header=(*HEADER, "x" * 70), copy=copy, cart=basket)
    text = render_text(receipt, width)
    assert all(len(line) <= width for line in text.splitlines())
    assert basket.total.format() in text


# -- reprints and the receipt after an approval -------------------------------------------


async def test_receipt_service_reprints_from_the_journal_and_after_an_approval() -> None:
    with SqliteJournal(":memory:") as journal:
        charge = sale(create_key="c", send_key="s")
        refund = sale(
            id="op-refund",
            kind=PaymentKind.REFUND,
            amount_cents=500,
            refund_id="re_9",
            create_key="c2",
            send_key="s2",
        )
        await journal.begin(charge)
        await journal.begin(refund)
        receipts = ReceiptService(journal, HEADER, tz=STORE_TZ)
        reprint = receipts.receipt(OP_ID, ReceiptCopy.MERCHANT)
        assert reprint is not None
        assert reprint.copy is ReceiptCopy.MERCHANT
        assert reprint.header == HEADER
        assert reprint.at.utcoffset() == timedelta(hours=-5)
        assert receipts.receipt("unknown") is None

        approved = replace(
            initial_state(PaymentKind.CHARGE, 1326, "trm_front"),
            name=StateName.APPROVED,
            payment_id="py_123",
            intent_id="pi_123",
        )
        after = receipts.after(approved, cart=cart())
        assert after is not None
        assert after.operation_id == OP_ID
        assert [line.name for line in after.lines] == ["Flat white", "Croissant"]
        refunded = replace(
            initial_state(PaymentKind.REFUND, 500, None),
            name=StateName.APPROVED,
            payment_id="py_123",
            refund_id="re_9",
        )
        after_refund = receipts.after(refunded)
        assert after_refund is not None
        assert after_refund.kind is ReceiptKind.REFUND


# -- ESC/POS ------------------------------------------------------------------------------


def test_printer_targets_are_read_from_a_setting() -> None:
    assert EscposTarget.parse("network:192.168.1.50") == EscposTarget("network", "192.168.1.50")
    assert EscposTarget.parse("network:printer.local:9101") == EscposTarget(
        "network", "printer.local", 9101
    )
    assert EscposTarget.parse("usb:04b8:0202") == EscposTarget("usb", "04b8:0202")
    assert EscposTarget.parse("serial:/dev/ttyUSB0").kind == "serial"
    assert EscposTarget.parse("file:/dev/usb/lp0").address == "/dev/usb/lp0"
    for bad in ("bluetooth:x", "usb:zz:01", "network:host:99999", "file:"):
        with pytest.raises(ValueError):  # noqa: PT011 - each says what is wrong
            EscposTarget.parse(bad)


async def test_a_network_printer_gets_the_bytes_over_tcp() -> None:
    received: list[bytes] = []
    done = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.read())
        writer.close()
        done.set()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        printer = EscposPrinter(
            EscposTarget("network", "127.0.0.1", port),
            columns=32,
            encode=lambda text: text.encode("ascii") + b"\x1dV\x00",
        )
        receipt_text = render_text(receipt_from_operation(sale()), printer.columns)
        await printer.print_text(receipt_text)
        await asyncio.wait_for(done.wait(), 5)
    assert received == [receipt_text.encode("ascii") + b"\x1dV\x00"]


async def test_a_printer_that_does_not_answer_is_a_printer_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    printer = EscposPrinter(
        EscposTarget("network", "127.0.0.1", port), encode=str.encode, timeout=2
    )
    with pytest.raises(PrinterError, match="did not answer"):
        await printer.print_text("hello")


class FakeDevice:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[Any] = []

    def open(self) -> None:
        self.calls.append("open")
        if self.fail:
            raise OSError("no such device")

    def _raw(self, data: bytes) -> None:
        self.calls.append(data)

    def close(self) -> None:
        self.calls.append("close")


async def test_device_printers_open_write_and_close() -> None:
    device = FakeDevice()
    printer = EscposPrinter(
        EscposTarget("file", "/dev/usb/lp0"), encode=str.encode, open_device=lambda _t: device
    )
    await printer.print_text("hello")
    assert device.calls == ["open", b"hello", "close"]

    broken = FakeDevice(fail=True)
    printer = EscposPrinter(
        EscposTarget("usb", "04b8:0202"), encode=str.encode, open_device=lambda _t: broken
    )
    with pytest.raises(PrinterError):
        await printer.print_text("hello")
    assert broken.calls == ["open", "close"]


@pytest.mark.skipif(escpos_installed(), reason="python-escpos is installed")
def test_without_python_escpos_the_error_says_how_to_install_it() -> None:
    with pytest.raises(PrinterError, match=INSTALL_COMMAND.replace("[", r"\[").replace("]", r"\]")):
        escpos_bytes("Hello\n")


@pytest.mark.skipif(
    not escpos_installed(), reason="python-escpos (the escpos extra) is not installed"
)
def test_python_escpos_makes_the_commands_with_a_cut() -> None:
    data = escpos_bytes("Hello\n")
    assert b"Hello\n" in data
    assert data.endswith(b"\x1dV\x00")
