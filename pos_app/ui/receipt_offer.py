"""The receipt the till offers after each approved sale or refund.

Approval starts a new sale at once (the queue moves); the customer's receipt
stays one press away: the Receipt button (F9) opens the last one, customer
and merchant copies, for the printer or a PDF. A sale paid in parts (cash,
cards) offers its receipt when it completes, with every part and the change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from pos_app.domain.cart import Cart
from pos_app.domain.payment_flow import PaymentState, StateName
from pos_app.domain.receipt import Receipt
from pos_app.services.reports import ReceiptService
from pos_app.ui.controls import touch_button
from pos_app.ui.text import window as text

if TYPE_CHECKING:  # QtPrintSupport loads with the first receipt, not with the till
    from pos_app.ui.receipt_view import ReceiptPreview

__all__ = ["ReceiptOffer"]


class ReceiptOffer(QObject):
    """Keeps the last receipt and opens it on the Receipt button or F9."""

    def __init__(self, receipts: ReceiptService, window: QWidget) -> None:
        super().__init__(window)
        self.receipts = receipts
        self.window = window
        self.last: Receipt | None = None
        self.preview: ReceiptPreview | None = None
        self.button = touch_button(window, "receiptButton", text.RECEIPT)
        self.button.setToolTip(text.RECEIPT_TIP)
        self.button.setEnabled(False)
        self.button.clicked.connect(self.open_last)
        shortcut = QShortcut(QKeySequence(Qt.Key.Key_F9), window)
        shortcut.activated.connect(self.open_last)

    def offer(self, state: PaymentState, cart: Cart | None = None) -> bool:
        """Keep the receipt of an approved sale or refund (`cart`: its lines)."""
        if state.name is not StateName.APPROVED:
            return False
        receipt = self.receipts.after(state, cart)
        if receipt is None:
            return False
        self.last = receipt
        self.button.setEnabled(True)
        return True

    def offer_ticket(self, ticket_id: str) -> bool:
        """Keep the receipt of a sale paid in parts (every part, the cash handed over
        and the change); False for an unknown sale."""
        receipt = self.receipts.for_ticket(ticket_id)
        if receipt is None:
            return False
        self.last = receipt
        self.button.setEnabled(True)
        return True

    def open_last(self) -> None:
        if self.last is not None:
            self.show(self.last, self.window)

    def show(self, receipt: Receipt, parent: QWidget) -> None:
        """One preview at a time (a second press brings it forward)."""
        from pos_app.ui.receipt_view import ReceiptPreview

        if self.preview is not None:
            self.preview.close()
        self.preview = ReceiptPreview(receipt, parent)
        self.preview.finished.connect(self._on_preview_finished)
        self.preview.open()

    def _on_preview_finished(self, _result: int) -> None:
        if self.preview is not None:
            self.preview.deleteLater()
            self.preview = None
