"""The receipt preview: both copies, printed, saved as PDF or sent to a thermal printer.

The text shown is the text printed (`pos_app.domain.receipt.render_text`).
Printing and saving go through `ui.printing` and `ui.save_dialog`, which open
Qt's dialogs without a nested loop.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.receipt import Receipt, ReceiptCopy, render_text
from pos_app.printing.escpos import (
    INSTALL_COMMAND,
    PrinterError,
    ThermalPrinter,
    escpos_installed,
)
from pos_app.ui.controls import touch_button
from pos_app.ui.printing import monospace_font, plain_document, print_with_dialog, write_pdf
from pos_app.ui.save_dialog import PathChooser, choose_save_path
from pos_app.ui.style import style_sheet
from pos_app.ui.tasks import TaskSlot, finished_result
from pos_app.ui.text import receipts as text

log = logging.getLogger("pos_app.ui.receipt_view")


class ReceiptPreview(QDialog):
    """One receipt, customer or merchant copy, with Print, Save PDF and the receipt printer.

    `columns` is the text width when no thermal printer is set up (the
    printer's own width wins). `choose_path` asks where to save the PDF; tests
    pass their own.
    """

    def __init__(
        self,
        receipt: Receipt,
        parent: QWidget | None = None,
        *,
        columns: int = 42,
        thermal_printer: ThermalPrinter | None = None,
        escpos_available: bool | None = None,
        choose_path: PathChooser = choose_save_path,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("receiptPreview")
        self.setWindowTitle(text.RECEIPT_TITLE)
        self.setStyleSheet(style_sheet("receipt_view"))
        self._receipt = receipt
        self._thermal = thermal_printer
        self._columns = thermal_printer.columns if thermal_printer is not None else columns
        self._escpos_available = (
            escpos_installed() if escpos_available is None else escpos_available
        )
        self._choose_path = choose_path
        self.work = TaskSlot(self, "receipt")
        self._build()
        self.set_copy(receipt.copy)

    # -- building -----------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        copies = QHBoxLayout()
        self.copy_group = QButtonGroup(self)
        self.copy_group.setExclusive(True)
        self.customer_button = self._button("customerCopyButton", text.CUSTOMER_COPY_BUTTON)
        self.merchant_button = self._button("merchantCopyButton", text.MERCHANT_COPY_BUTTON)
        for button, copy in (
            (self.customer_button, ReceiptCopy.CUSTOMER),
            (self.merchant_button, ReceiptCopy.MERCHANT),
        ):
            button.setCheckable(True)
            button.setProperty("receiptCopy", copy.value)
            self.copy_group.addButton(button)
            copies.addWidget(button)
        copies.addStretch(1)
        self.copy_group.buttonToggled.connect(self._on_copy_group_button_toggled)
        layout.addLayout(copies)

        self.text_view = QPlainTextEdit(self)
        self.text_view.setObjectName("receiptText")
        self.text_view.setAccessibleName(text.RECEIPT_TEXT_NAME)
        self.text_view.setReadOnly(True)
        self.text_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        font = monospace_font(11)
        self.text_view.setFont(font)
        advance = self.text_view.fontMetrics().horizontalAdvance("M" * self._columns)
        self.text_view.setMinimumWidth(advance + 40)
        # A typical receipt without scrolling; longer ones scroll.
        self.text_view.setMinimumHeight(self.text_view.fontMetrics().lineSpacing() * 28 + 16)
        layout.addWidget(self.text_view, 1)

        self.status_label = QLabel("", self)
        self.status_label.setObjectName("receiptStatusLabel")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.status_label)

        buttons = QHBoxLayout()
        self.print_button = self._button("printReceiptButton", text.PRINT_BUTTON)
        self.print_button.setAccessibleDescription(text.PRINT_BUTTON_DESCRIPTION)
        self.print_button.clicked.connect(self._on_print_button_clicked)
        self.pdf_button = self._button("saveReceiptPdfButton", text.SAVE_PDF_BUTTON)
        self.pdf_button.setAccessibleDescription(text.SAVE_PDF_DESCRIPTION)
        self.pdf_button.clicked.connect(self._on_pdf_button_clicked)
        self.thermal_button = self._button("thermalPrintButton", text.THERMAL_BUTTON)
        self._set_up_thermal_button()
        self.thermal_button.clicked.connect(self._on_thermal_button_clicked)
        self.close_button = self._button("closeReceiptButton", text.CLOSE_BUTTON)
        self.close_button.setDefault(True)
        self.close_button.clicked.connect(self.accept)
        for button in (self.print_button, self.pdf_button, self.thermal_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

    def _button(self, name: str, label: str) -> QPushButton:
        return touch_button(self, name, label)

    def _set_up_thermal_button(self) -> None:
        button = self.thermal_button
        if not self._escpos_available:
            hint = text.THERMAL_NOT_INSTALLED_HINT.format(command=INSTALL_COMMAND)
            button.setText(text.THERMAL_NOT_INSTALLED)
            button.setEnabled(False)
        elif self._thermal is None:
            hint = text.THERMAL_NOT_SET_UP_HINT
            button.setText(text.THERMAL_NOT_SET_UP)
            button.setEnabled(False)
        else:
            hint = text.THERMAL_BUTTON_DESCRIPTION
        button.setToolTip(hint)
        button.setAccessibleName(button.text())
        button.setAccessibleDescription(hint)

    # -- state ----------------------------------------------------------------------------

    @property
    def receipt(self) -> Receipt:
        """The copy shown now."""
        return self._receipt

    @property
    def columns(self) -> int:
        """The text's width in characters."""
        return self._columns

    def receipt_text(self) -> str:
        """The text shown and printed."""
        return render_text(self._receipt, self._columns)

    def set_copy(self, copy: ReceiptCopy) -> None:
        """Show the customer or the merchant copy."""
        self._receipt = self._receipt.as_copy(copy)
        button = self.customer_button if copy is ReceiptCopy.CUSTOMER else self.merchant_button
        if not button.isChecked():
            button.setChecked(True)
        self.text_view.setPlainText(self.receipt_text())

    def _document(self) -> QTextDocument:
        title = f"{text.RECEIPT_TITLE} {self._receipt.operation_id}"
        return plain_document(self.receipt_text(), title)

    def _say(self, message: str) -> None:
        self.status_label.setText(message)
        self.status_label.setAccessibleName(message)

    # -- actions --------------------------------------------------------------------------

    async def print_receipt(self) -> bool:
        """Ask for a printer and print the copy shown; False when cancelled."""
        printed = await print_with_dialog(self, self._document())
        self._say(text.PRINTED if printed else text.PRINT_CANCELLED)
        return printed

    def suggested_pdf_name(self) -> str:
        """A file name that says what the PDF holds."""
        receipt = self._receipt
        return text.RECEIPT_FILE_NAME.format(
            kind=receipt.kind.value,
            copy=receipt.copy.value,
            when=receipt.at.strftime("%Y%m%d-%H%M%S"),
        )

    async def save_pdf(self, path: Path | None = None) -> Path | None:
        """Save the copy shown as PDF at `path` (asked for when None); the path, or None."""
        if path is None:
            path = await self._choose_path(
                self, text.SAVE_PDF_TITLE, self.suggested_pdf_name(), text.PDF_FILTER
            )
            if path is None:
                return None
        try:
            write_pdf(self._document(), path)
        except OSError:
            log.warning("saving a receipt PDF failed", exc_info=True)
            self._say(text.SAVE_FAILED.format(name=path.name))
            return None
        self._say(text.SAVED_PDF.format(name=path.name))
        return path

    async def print_thermal(self) -> bool:
        """Print the copy shown on the receipt printer; False when it did not print."""
        if self._thermal is None or not self._escpos_available:
            return False
        self.thermal_button.setEnabled(False)
        self._say(text.PRINTING)
        try:
            await self._thermal.print_text(self.receipt_text())
        except PrinterError:
            log.warning("the receipt printer failed", exc_info=True)
            self._say(text.THERMAL_FAILED)
            return False
        finally:
            self.thermal_button.setEnabled(True)
        self._say(text.THERMAL_PRINTED)
        return True

    async def show_receipt(self) -> None:
        """Open the preview (never exec) and wait until it is closed."""
        await finished_result(self)

    # -- slots ----------------------------------------------------------------------------

    def _on_copy_group_button_toggled(self, button: QPushButton, checked: bool) -> None:
        if checked:
            copy = ReceiptCopy(str(button.property("receiptCopy")))
            if copy is not self._receipt.copy:
                self.set_copy(copy)

    def _on_print_button_clicked(self) -> None:
        self.work.start_if_idle(self.print_receipt())

    def _on_pdf_button_clicked(self) -> None:
        self.work.start_if_idle(self.save_pdf())

    def _on_thermal_button_clicked(self) -> None:
        self.work.start_if_idle(self.print_thermal())
