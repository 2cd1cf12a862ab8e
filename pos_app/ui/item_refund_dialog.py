"""Refund a sale item by item: pick how many of each line come back.

`ItemRefundDialog` lists a sale's lines (of this lane or, in a store, of any
lane), each with what was sold, what already came back and the units coming
back between a "-" and a "+"; the amount is computed as they change by the pure
`domain.line_refund` (each line's share of the discounts and the tax), capped
at what the sale can still give back. It only asks: the manager tools then
run the refund on this lane (the card part chooser, then the card refund
with that amount and the items in its description).

`sale_to_refund` says whether a sale shown in the history can be refunded item
by item, and with what: the units that already came back (read from the
descriptions of its refunds on any lane, and of this lane's not yet in the
store) and what it can still give back (its card parts, as JustiFi last said
for the selected payment; its cash only on the lane whose drawer took it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QBrush, QColor, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.line_refund import ItemRefund, item_refund, line_shares, refunded_quantities
from pos_app.domain.money import Money
from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.tender import TenderKind
from pos_app.domain.tickets import CashMovementKind, Ticket, TicketStatus
from pos_app.services.history import TicketSale
from pos_app.services.ports import Operation, PaymentDetails
from pos_app.ui.controls import MIN_TOUCH, touch_button
from pos_app.ui.dialog_foot import dialog_foot
from pos_app.ui.tasks import accepted, finished_result
from pos_app.ui.tender_refund import when_text
from pos_app.ui.text import history as text
from pos_app.ui.text import staff as staff_text

__all__ = ["ItemRefundDialog", "SaleToRefund", "sale_to_refund"]

# A refund in these states gave nothing back.
_NOTHING_MOVED: Final = frozenset({"declined", "cancelled", "timed_out"})

_ITEM, _SOLD, _BACK, _LESS, _REFUND, _MORE, _WORTH = range(7)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_CENTER = Qt.AlignmentFlag.AlignCenter
_SIGNS: Final = {"Less": "\u2212", "More": "+"}
_BUTTON_FILL: Final = "#e4e7eb"  # the "-" and "+" cells look pressable
_GONE_FILL: Final = "#f4f5f6"  # a line with nothing left


@dataclass(frozen=True)
class SaleToRefund:
    """A sale the history offers to refund item by item."""

    sale: TicketSale
    already: Mapping[int, int]  # line_no -> units already given back
    refundable_cents: int  # what it can still give back from here
    this_lane: bool  # rung on this lane: its cash can go back from this drawer

    @property
    def ticket(self) -> Ticket:
        return self.sale.ticket


def sale_to_refund(
    sale: TicketSale,
    *,
    this_lane: bool,
    more_refunds: Iterable[Operation] = (),
    payment: PaymentDetails | None = None,
) -> SaleToRefund | None:
    """What refunding `sale` item by item starts from, or None when it cannot be: not
    paid, nothing left to give back from here, or every unit back already.

    `more_refunds`: this lane's refunds of the sale (the store may not have them yet);
    `payment`: JustiFi's word on one of its card payments (its refundable amount wins)."""
    ticket = sale.ticket
    if ticket.status is not TicketStatus.COMPLETE or not ticket.lines:
        return None
    found = {op.id: op for op in (*sale.card_back, *more_refunds)}
    texts = [
        op.description
        for op in found.values()
        if op.kind is PaymentKind.REFUND and op.status not in _NOTHING_MOVED
    ]
    texts += [m.reason for m in sale.cash_back if m.kind is CashMovementKind.REFUND]
    already = refunded_quantities(texts)
    left = 0
    for part in sale.payments.parts:
        if part.kind is TenderKind.CASH:
            left += part.refundable_cents if this_lane else 0
        elif payment is not None and part.payment_id == payment.payment_id:
            left += min(part.refundable_cents, max(payment.refundable_cents, 0))
        else:
            left += part.refundable_cents
    units = any(line.quantity > already.get(n, 0) for n, line in enumerate(ticket.lines, start=1))
    if left <= 0 or not units:
        return None
    return SaleToRefund(sale, already, left, this_lane)


class ItemRefundDialog(QDialog):
    """Asks which items of one sale come back; `ask()` returns the `ItemRefund` or None.

    `already` is line_no -> units already given back; `refundable_cents` what the sale
    can still give back (the refund is capped there; JustiFi checks again on sending).

    Each line is one row of plain cells (no widget per row, so a long sale opens as
    fast as a short one): a finger-sized "-" and "+" around the units coming back; on
    the keyboard, + and - (or a digit) change the current row's units."""

    def __init__(
        self,
        ticket: Ticket,
        parent: QWidget | None = None,
        *,
        already: Mapping[int, int] | None = None,
        refundable_cents: int,
        approved_by: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("itemRefundDialog")
        self.setWindowTitle(text.ITEMS_TITLE)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.ticket = ticket
        self.already = {n: q for n, q in (already or {}).items() if q > 0}
        self.refundable_cents = max(refundable_cents, 0)
        self._result: ItemRefund | None = None
        self.quantities: dict[int, int] = {}  # line_no -> units coming back
        self.maximums: dict[int, int] = {}  # line_no -> units left to give back
        self._build(approved_by)
        self._update()

    # -- building -----------------------------------------------------------------------

    def _build(self, approved_by: str | None) -> None:
        self.setMinimumWidth(680)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        if approved_by is not None:
            layout.addWidget(
                self._label("itemRefundApproved", staff_text.APPROVED_BY.format(name=approved_by))
            )
        ticket = self.ticket
        sale = text.ITEMS_SALE.format(
            total=Money(ticket.total_cents).format(),
            lane=ticket.lane,
            when=when_text(ticket.created_at),
        )
        self.sale_label = self._label("itemRefundSale", sale)
        font = self.sale_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.sale_label.setFont(font)
        layout.addWidget(self.sale_label)
        layout.addWidget(self._label("itemRefundChoose", text.ITEMS_CHOOSE))
        layout.addWidget(self._build_table(), 1)

        quick = QHBoxLayout()
        self.all_button = touch_button(self, "itemRefundAllButton", text.ITEMS_ALL)
        self.all_button.clicked.connect(self.choose_all)
        self.none_button = touch_button(self, "itemRefundNoneButton", text.ITEMS_NONE)
        self.none_button.clicked.connect(self._on_none_button_clicked)
        quick.addWidget(self.all_button)
        quick.addWidget(self.none_button)
        quick.addStretch(1)
        self.amount_label = self._label("itemRefundAmount", "")
        font = self.amount_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.amount_label.setFont(font)
        quick.addWidget(self.amount_label)
        layout.addLayout(quick)

        self.foot = dialog_foot(
            self,
            problem_name="itemRefundHint",
            cancel_text=text.ITEMS_CANCEL,
            cancel_name="cancelItemRefundButton",
            confirm_name="confirmItemRefundButton",
            on_confirm=self._on_confirm_button_clicked,
        )
        self.hint_label = self.foot.problem
        self.cancel_button, self.confirm_button = self.foot.cancel, self.foot.confirm
        layout.addWidget(self.hint_label)
        layout.addLayout(self.foot.buttons)

    def _build_table(self) -> QTableWidget:
        lines = self.ticket.lines
        table = self.table = QTableWidget(len(lines), len(text.ITEMS_COLUMNS), self)
        table.setObjectName("itemRefundLines")
        table.setAccessibleName(text.ITEMS_TITLE)
        table.setHorizontalHeaderLabels(list(text.ITEMS_COLUMNS))
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(MIN_TOUCH + 4)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        shares = line_shares(self.ticket)
        for row, (line, share) in enumerate(zip(lines, shares, strict=True)):
            line_no = row + 1
            back = min(self.already.get(line_no, 0), line.quantity)
            left = line.quantity - back if share.total_cents >= 0 else 0
            self.quantities[line_no], self.maximums[line_no] = 0, left
            name = line.name + (f" ({line.discount_reason})" if line.discount_reason else "")
            table.setItem(row, _ITEM, QTableWidgetItem(name))
            table.setItem(row, _SOLD, _cell(f"{line.quantity}", _RIGHT))
            table.setItem(row, _BACK, _cell(f"{back}" if back else "", _RIGHT))
            for column, sign in ((_LESS, "Less"), (_MORE, "More")):
                button = _cell(_SIGNS[sign], _CENTER, f"{text.ITEMS_STEP[sign]}: {line.name}")
                button.setBackground(QBrush(QColor(_BUTTON_FILL if left else _GONE_FILL)))
                table.setItem(row, column, button)
            table.setItem(row, _REFUND, _cell("0", _CENTER, f"{text.ITEMS_REFUND}: {line.name}"))
            table.setItem(row, _WORTH, _cell("", _RIGHT))
        header = table.horizontalHeader()
        header.setSectionResizeMode(_ITEM, QHeaderView.ResizeMode.Stretch)
        for column, width in ((_SOLD, 56), (_BACK, 104), (_REFUND, 64), (_WORTH, 96)):
            table.setColumnWidth(column, width)
        for column in (_LESS, _MORE):
            table.setColumnWidth(column, MIN_TOUCH + 4)  # a finger's "-" and "+"
        table.cellClicked.connect(self._on_table_cell_clicked)
        table.installEventFilter(self)
        table.setMinimumHeight((MIN_TOUCH + 4) * min(6, max(2, len(lines))) + 32)
        return table

    def _label(self, name: str, value: str) -> QLabel:
        label = QLabel(value, self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setAccessibleName(value)
        return label

    # -- state ----------------------------------------------------------------------------

    @property
    def chosen(self) -> dict[int, int]:
        """line_no -> units to give back, as chosen now."""
        return {n: q for n, q in self.quantities.items() if q}

    @property
    def refund(self) -> ItemRefund:
        """What the chosen units give back now (capped)."""
        return item_refund(
            self.ticket, self.chosen, already=self.already, refundable_cents=self.refundable_cents
        )

    @property
    def result_refund(self) -> ItemRefund | None:
        """The confirmed refund, once confirmed."""
        return self._result

    def set_quantity(self, line_no: int, quantity: int) -> None:
        """Units of one line coming back, within 0 and what is left of it."""
        wanted = max(0, min(quantity, self.maximums[line_no]))
        if wanted != self.quantities[line_no]:
            self.quantities[line_no] = wanted
            self._update()

    def step(self, line_no: int, by: int) -> None:
        """One more (`by` 1) or one less (-1) of a line."""
        self.set_quantity(line_no, self.quantities[line_no] + by)

    def choose_all(self) -> None:
        """Every unit left of every line."""
        self.quantities.update(self.maximums)
        self._update()

    def _update(self) -> None:
        refund = self.refund
        worth = {line.line_no: line.cents for line in refund.lines}
        for line_no, quantity in self.quantities.items():
            row = line_no - 1
            for column, value in (
                (_REFUND, f"{quantity}"),
                (_WORTH, Money(worth[line_no]).format() if line_no in worth else ""),
            ):
                cell = self.table.item(row, column)
                if cell is not None and cell.text() != value:
                    cell.setText(value)
        amount = Money(refund.amount_cents).format()
        self.amount_label.setText(text.ITEMS_AMOUNT.format(amount=amount))
        self.amount_label.setAccessibleName(self.amount_label.text())
        problem = ""
        if not any(self.maximums.values()):
            problem = text.ITEMS_NOTHING_LEFT
        elif refund.lines and refund.items_cents == 0:
            problem = text.ITEMS_ZERO
        elif refund.capped:
            problem = text.ITEMS_CAPPED.format(
                worth=Money(refund.items_cents).format(),
                left=Money(self.refundable_cents).format(),
                amount=amount,
            )
        self.foot.show_problem(problem)
        label = text.ITEMS_CONFIRM.format(amount=amount)
        self.confirm_button.setText(label)
        self.confirm_button.setAccessibleName(label)
        self.confirm_button.setEnabled(refund.amount_cents > 0 and self._result is None)

    # -- asking ---------------------------------------------------------------------------

    async def ask(self) -> ItemRefund | None:
        """Open the dialog (never exec) and wait: the refund, or None if cancelled."""
        return self._result if accepted(await finished_result(self)) else None

    # -- slots ----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """+ and - (or a digit) on the table change the current row's units."""
        row = self.table.currentRow()
        if watched is not self.table or not isinstance(event, QKeyEvent) or row < 0:
            return super().eventFilter(watched, event)
        if event.type() != QEvent.Type.KeyPress:
            return super().eventFilter(watched, event)
        key, typed = event.key(), event.text()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.step(row + 1, 1)
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.step(row + 1, -1)
        elif typed.isdigit() and typed.isascii():
            self.set_quantity(row + 1, int(typed))
        else:
            return super().eventFilter(watched, event)
        return True

    def _on_table_cell_clicked(self, row: int, column: int) -> None:
        if column in (_LESS, _MORE):
            self.step(row + 1, -1 if column == _LESS else 1)

    def _on_none_button_clicked(self) -> None:
        for line_no in self.quantities:
            self.quantities[line_no] = 0
        self._update()

    def _on_confirm_button_clicked(self) -> None:
        if self._result is not None or not self.confirm_button.isEnabled():
            return
        refund = self.refund
        if refund.amount_cents <= 0:
            return
        self._result = refund
        self.confirm_button.setEnabled(False)
        self.accept()


def _cell(
    value: str, alignment: Qt.AlignmentFlag, accessible: str | None = None
) -> QTableWidgetItem:
    item = QTableWidgetItem(value)
    item.setTextAlignment(alignment)
    if accessible is not None:
        item.setData(Qt.ItemDataRole.AccessibleTextRole, accessible)
    return item
