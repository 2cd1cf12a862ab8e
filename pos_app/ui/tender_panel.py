"""The tender panel: a sale paid in parts, while some of it is still to pay.

It lists what was paid ("Cash $10.00", "Visa •••• 4242 $12.00"), the card
attempts that were declined (plainly, so nobody takes a decline for a part
paid), and what is left to pay in large type. "Cancel sale..." asks for the
sale to be given up (the window's till flow asks a manager, then gives back
what was paid). The panel only shows: the figures come from the journal
through `SaleService.payments`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QLabel, QListWidget, QVBoxLayout, QWidget

from pos_app.domain.money import Money
from pos_app.domain.tender import TenderKind, TenderPart, TicketPayments
from pos_app.ui.controls import touch_button
from pos_app.ui.style import style_sheet
from pos_app.ui.text import till as text

__all__ = ["TenderPanel", "part_line"]

_BALANCE_FONT_PX: Final = 32


def _money(cents: int) -> str:
    return Money(cents).format()


def part_line(part: TenderPart) -> str:
    """How the panel lists one paid part: "Cash $10.00", "Visa •••• 4242 $12.00"."""
    if part.kind is TenderKind.CASH and part.change_cents and part.tendered_cents is not None:
        return text.PART_CHANGE.format(
            label=part.label,
            amount=_money(part.amount_cents),
            tendered=_money(part.tendered_cents),
            change=_money(part.change_cents),
        )
    return text.PART_LINE.format(label=part.label, amount=_money(part.amount_cents))


class TenderPanel(QFrame):
    """The paid parts of the sale on screen, what is left, and Cancel sale."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tenderPanel")
        self.setStyleSheet(style_sheet("tender"))
        title = QLabel(text.PANEL_TITLE, self)
        title.setObjectName("tenderPanelTitle")
        bold = QFont(title.font())
        bold.setBold(True)
        title.setFont(bold)
        self.parts_list = QListWidget(self)
        self.parts_list.setObjectName("tenderPartsList")
        self.parts_list.setAccessibleName(text.PANEL_TITLE)
        self.parts_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.parts_list.setMaximumHeight(120)
        self.declined_label = QLabel("", self)
        self.declined_label.setObjectName("tenderDeclinedLabel")
        self.declined_label.setWordWrap(True)
        self.balance_label = QLabel("", self)
        self.balance_label.setObjectName("balanceDueLabel")
        big = QFont(self.balance_label.font())
        big.setPixelSize(_BALANCE_FONT_PX)
        big.setBold(True)
        self.balance_label.setFont(big)
        self.cancel_button = touch_button(self, "cancelSaleButton", text.CANCEL_SALE)
        self.cancel_button.setAccessibleName(text.CANCEL_SALE_NAME)
        self.cancel_button.clicked.connect(self.cancel_requested)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.parts_list)
        layout.addWidget(self.declined_label)
        layout.addWidget(self.balance_label)
        layout.addWidget(self.cancel_button)
        self.payments: TicketPayments | None = None
        self.hide()

    def show_payments(self, payments: TicketPayments, declined: Sequence[str] = ()) -> None:
        """Show the parts paid, the declined attempts and the balance."""
        self.payments = payments
        self.parts_list.clear()
        for part in payments.parts:
            self.parts_list.addItem(part_line(part))
        self.declined_label.setText("\n".join(declined))
        self.declined_label.setVisible(bool(declined))
        balance = _money(payments.balance_cents)
        self.balance_label.setText(text.BALANCE_DUE.format(amount=balance))
        self.balance_label.setAccessibleName(text.BALANCE_DUE_NAME.format(amount=balance))
        self.show()

    def lines(self) -> list[str]:
        """The paid parts as listed (tests, screen readers)."""
        return [self.parts_list.item(row).text() for row in range(self.parts_list.count())]

    def clear(self) -> None:
        """No sale partly paid: hide."""
        self.payments = None
        self.parts_list.clear()
        self.declined_label.clear()
        self.balance_label.clear()
        self.hide()
