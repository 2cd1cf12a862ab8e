"""The receipt preview shows the printed text, switches copies, saves a PDF and prints."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtPrintSupport import QPrintDialog
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from pos_app.domain.cart import Cart
from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.receipt import Receipt, ReceiptCopy, receipt_from_operation, render_text
from pos_app.printing.escpos import INSTALL_COMMAND, PrinterError
from pos_app.services.ports import Operation
from pos_app.ui.receipt_view import ReceiptPreview
from pos_app.ui.text import receipts as text
from tests.support.gui import wait_until

AT = datetime(2025, 3, 14, 15, 4, tzinfo=UTC)


def receipt() -> Receipt:
    sale = Operation(
        id="op-1",
        kind=PaymentKind.CHARGE,
        amount_cents=1326,
        status="approved",
        flow="payment_intent",
        terminal_id="trm_front",
        description="Flat white, Croissant",
        lane="front-1",
        sale_id="pi_1",
        payment_id="py_1",
        card_brand="Visa",
        card_last4="4242",
        created_at=AT,
        updated_at=AT,
    )
    cart = Cart(tax_rate_bps=825).add_line("Flat white", 450, 2).add_line("Croissant", 325)
    return receipt_from_operation(sale, header=("Corner Coffee",), cart=cart)


class FakeThermal:
    def __init__(self, columns: int = 32, fail: bool = False) -> None:
        self._columns = columns
        self.fail = fail
        self.printed: list[str] = []

    @property
    def columns(self) -> int:
        return self._columns

    async def print_text(self, value: str) -> None:
        if self.fail:
            raise PrinterError("the printer at 127.0.0.1:9100 did not answer")
        self.printed.append(value)


def make(qtbot: QtBot, **kwargs: object) -> ReceiptPreview:
    preview = ReceiptPreview(receipt(), **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(preview)
    return preview


async def test_shows_the_printed_text_and_switches_copies(qtbot: QtBot) -> None:
    preview = make(qtbot, escpos_available=False)
    preview.show()
    assert preview.objectName() == "receiptPreview"
    assert preview.text_view.toPlainText() == render_text(receipt(), 42)
    assert "CUSTOMER COPY" in preview.text_view.toPlainText()
    assert preview.customer_button.isChecked()
    preview.merchant_button.click()
    assert preview.receipt.copy is ReceiptCopy.MERCHANT
    shown = preview.text_view.toPlainText()
    assert "MERCHANT COPY" in shown
    assert "Terminal trm_front" in shown
    assert "Visa **** 4242" in shown
    preview.set_copy(ReceiptCopy.CUSTOMER)
    assert preview.customer_button.isChecked()
    assert "CUSTOMER COPY" in preview.text_view.toPlainText()


async def test_save_pdf_writes_a_pdf_where_asked(qtbot: QtBot, tmp_path: Path) -> None:
    asked: list[str] = []

    async def choose(_parent: QWidget, _title: str, suggested: str, _filter: str) -> Path:
        asked.append(suggested)
        return tmp_path / "receipts" / suggested

    preview = make(qtbot, escpos_available=False, choose_path=choose)
    preview.merchant_button.click()
    preview.pdf_button.click()
    task = preview.work.task
    assert task is not None
    saved = await task
    assert asked == ["receipt-sale-merchant-" + receipt().at.strftime("%Y%m%d-%H%M%S") + ".pdf"]
    assert saved == tmp_path / "receipts" / asked[0]
    assert saved.read_bytes().startswith(b"%PDF")
    assert saved.stat().st_size > 1000
    assert preview.status_label.text() == text.SAVED_PDF.format(name=saved.name)


async def test_a_cancelled_or_failed_save_writes_nothing(qtbot: QtBot, tmp_path: Path) -> None:
    async def cancel(_parent: QWidget, _title: str, _suggested: str, _filter: str) -> None:
        return None

    preview = make(qtbot, escpos_available=False, choose_path=cancel)
    assert await preview.save_pdf() is None
    assert preview.status_label.text() == ""
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert await preview.save_pdf(blocked / "receipt.pdf") is None
    assert preview.status_label.text() == text.SAVE_FAILED.format(name="receipt.pdf")


async def test_print_opens_the_print_dialog_without_a_nested_loop(qtbot: QtBot) -> None:
    preview = make(qtbot, escpos_available=False)
    preview.show()
    preview.print_button.click()

    def print_dialog() -> QPrintDialog | None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, QPrintDialog) and widget.isVisible():
                return widget
        return None

    dialog = await wait_until(print_dialog)
    dialog.reject()
    task = preview.work.task
    assert task is not None
    assert await task is False


async def test_thermal_printing(qtbot: QtBot) -> None:
    missing = make(qtbot, escpos_available=False)
    assert not missing.thermal_button.isEnabled()
    assert missing.thermal_button.text() == text.THERMAL_NOT_INSTALLED
    assert INSTALL_COMMAND in missing.thermal_button.toolTip()

    unset = make(qtbot, escpos_available=True)
    assert not unset.thermal_button.isEnabled()
    assert unset.thermal_button.text() == text.THERMAL_NOT_SET_UP

    printer = FakeThermal(columns=32)
    preview = make(qtbot, escpos_available=True, thermal_printer=printer)
    assert preview.columns == 32
    assert preview.thermal_button.isEnabled()
    preview.thermal_button.click()
    task = preview.work.task
    assert task is not None
    assert await task is True
    assert printer.printed == [render_text(receipt(), 32)]
    assert preview.status_label.text() == text.THERMAL_PRINTED

    broken = make(qtbot, escpos_available=True, thermal_printer=FakeThermal(fail=True))
    assert await broken.print_thermal() is False
    assert broken.status_label.text() == text.THERMAL_FAILED
    assert broken.thermal_button.isEnabled()


async def test_show_receipt_waits_until_closed(qtbot: QtBot) -> None:
    import asyncio

    preview = make(qtbot, escpos_available=False)
    shown = asyncio.ensure_future(preview.show_receipt())
    await wait_until(preview.isVisible)
    preview.close_button.click()
    await shown
    assert not preview.isVisible()
