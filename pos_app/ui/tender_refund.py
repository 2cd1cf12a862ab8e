"""Refund by tender: a sale paid in cash, or in parts, gives back by the way it was paid.

`TenderRefundDialog` lists a sale's tender parts, each with what it can still
give back, and asks which goes back: the cash (how much, at most what the sale
kept less what went back already) or one card part (which then goes on to the
`RefundDialog` with that payment, as any card refund does). It only asks; the
manager tools run the refund after the manager's approval.

`last_sale_target` is what "Refund last sale..." means with tickets: the last
completed sale of the open shift, or the last card charge when it is newer
(a charge made without a ticket is refunded as before).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.money import AmountError, AmountErrorReason, Money, parse_amount
from pos_app.domain.tender import TenderKind, TenderPart, TicketPayments
from pos_app.domain.tickets import Ticket, TicketStatus
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.dialog_foot import dialog_foot
from pos_app.ui.tasks import accepted, finished_result
from pos_app.ui.text import payment as text
from pos_app.ui.text import staff as staff_text

if TYPE_CHECKING:
    from pos_app.services.ports import Operation
    from pos_app.services.sales import SaleService
    from pos_app.services.shifts import ShiftService

__all__ = [
    "SaleTarget",
    "TenderRefundChoice",
    "TenderRefundDialog",
    "last_sale_target",
    "needs_chooser",
]

_PART_ROLE = int(Qt.ItemDataRole.UserRole) + 1


@dataclass(frozen=True)
class TenderRefundChoice:
    """What goes back: cash (`amount_cents`) or one card part (`payment_ref`)."""

    kind: TenderKind
    amount_cents: int | None = None  # cash only
    payment_ref: str | None = None  # card only: JustiFi's payment (or the journal's charge)


@dataclass(frozen=True)
class SaleTarget:
    """The sale "Refund last sale..." means: a ticket, or a card charge without one."""

    ticket_id: str | None = None
    payment_ref: str | None = None


def needs_chooser(payments: TicketPayments) -> bool:
    """More than one part, or a cash part: the sale is refunded by tender. A sale paid by
    one card alone keeps the card refund's own dialog."""
    return len(payments.parts) > 1 or any(p.kind is TenderKind.CASH for p in payments.parts)


def card_ref(part: TenderPart) -> str | None:
    """What the refund dialog asks JustiFi about for a card part."""
    return part.payment_id or part.operation_id


def last_sale_target(
    charge: Operation | None, sales: SaleService | None, shifts: ShiftService | None
) -> SaleTarget | None:
    """The newest completed sale of the open shift, or the newest approved card charge when
    it is newer (its ticket when it has one); None when nothing was sold."""
    ticket: Ticket | None = None
    shift = shifts.current() if shifts is not None else None
    if sales is not None and shift is not None:
        done = [
            t
            for t in sales.store.shift_tickets(shift.id)
            if t.status is TicketStatus.COMPLETE and t.lane == sales.lane
        ]
        ticket = max(done, key=lambda t: t.updated_at, default=None)
    if charge is not None and (ticket is None or charge.updated_at >= ticket.updated_at):
        if charge.ticket_id and sales is not None:
            return SaleTarget(ticket_id=charge.ticket_id)
        return SaleTarget(payment_ref=charge.payment_id or charge.sale_id or charge.id)
    return SaleTarget(ticket_id=ticket.id) if ticket is not None else None


@dataclass(frozen=True)
class _Choice:
    kind: TenderKind
    paid_cents: int
    left_cents: int
    label: str
    payment_ref: str | None = None


def _choices(payments: TicketPayments) -> list[_Choice]:
    """The cash parts as one (the drawer gives back cash, whichever part it came from),
    then each card part."""
    cash = [p for p in payments.parts if p.kind is TenderKind.CASH]
    found = []
    if cash:
        found.append(
            _Choice(
                TenderKind.CASH,
                sum(p.amount_cents for p in cash),
                sum(p.refundable_cents for p in cash),
                cash[0].label,
            )
        )
    found += [
        _Choice(TenderKind.CARD, p.amount_cents, p.refundable_cents, p.label, card_ref(p))
        for p in payments.parts
        if p.kind is TenderKind.CARD
    ]
    return found


class TenderRefundDialog(QDialog):
    """Asks which tender of a sale goes back; `ask()` returns the choice or None."""

    def __init__(
        self,
        ticket: Ticket,
        payments: TicketPayments,
        parent: QWidget | None = None,
        *,
        shift_open: bool = True,
        approved_by: str | None = None,
        cash_cents: int | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("tenderRefundDialog")
        self.setWindowTitle(text.TENDER_REFUND_TITLE)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._choices = _choices(payments)
        self._shift_open = shift_open
        self._cash_cents = cash_cents  # items going back: the cash they are worth
        self._choice: TenderRefundChoice | None = None
        self._build(ticket, approved_by)
        first = next((i for i, c in enumerate(self._choices) if c.left_cents > 0), -1)
        self.parts_list.setCurrentRow(first)
        self._update()

    # -- building -----------------------------------------------------------------------

    def _build(self, ticket: Ticket, approved_by: str | None) -> None:
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        if approved_by is not None:
            layout.addWidget(
                self._label("tenderRefundApproved", staff_text.APPROVED_BY.format(name=approved_by))
            )
        total = Money(ticket.total_cents).format()
        sale = text.TENDER_REFUND_SALE.format(total=total, when=when_text(ticket.updated_at))
        self.sale_label = self._label("tenderRefundSale", sale)
        font = self.sale_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.sale_label.setFont(font)
        layout.addWidget(self.sale_label)
        layout.addWidget(self._label("tenderRefundChoose", text.TENDER_REFUND_CHOOSE))
        self.parts_list = QListWidget(self)
        self.parts_list.setObjectName("tenderRefundParts")
        self.parts_list.setAccessibleName(text.TENDER_REFUND_TITLE)
        for choice in self._choices:
            template = (
                text.TENDER_REFUND_PART if choice.left_cents else text.TENDER_REFUND_PART_DONE
            )
            line = template.format(
                label=choice.label,
                paid=Money(choice.paid_cents).format(),
                left=Money(choice.left_cents).format(),
            )
            item = QListWidgetItem(line, self.parts_list)
            item.setSizeHint(QSize(0, MIN_TOUCH))  # a row a finger can press
            item.setData(_PART_ROLE, choice)
            if not choice.left_cents:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
        self.parts_list.setSpacing(4)
        self.parts_list.setMinimumHeight(MIN_TOUCH * min(4, max(2, len(self._choices))) + 16)
        self.parts_list.currentRowChanged.connect(self._on_parts_list_current_row_changed)
        layout.addWidget(self.parts_list)

        row = QHBoxLayout()
        self.amount_caption = QLabel(text.TENDER_REFUND_CASH_AMOUNT, self)
        self.amount_edit = QLineEdit(self)
        self.amount_edit.setObjectName("cashRefundAmountEdit")
        self.amount_edit.setAccessibleName(text.TENDER_REFUND_CASH_AMOUNT)
        self.amount_edit.setMinimumHeight(MIN_TOUCH)
        self.amount_caption.setBuddy(self.amount_edit)
        self.amount_edit.textChanged.connect(self._on_amount_edit_text_changed)
        row.addWidget(self.amount_caption)
        row.addWidget(self.amount_edit, 1)
        layout.addLayout(row)
        self.foot = dialog_foot(
            self,
            problem_name="tenderRefundHint",
            cancel_text=text.CANCEL_REFUND_BUTTON,
            cancel_name="cancelTenderRefundButton",
            confirm_name="confirmTenderRefundButton",
            on_confirm=self._on_confirm_button_clicked,
        )
        self.hint_label = self.foot.problem
        self.cancel_button, self.confirm_button = self.foot.cancel, self.foot.confirm
        layout.addWidget(self.hint_label)
        layout.addLayout(self.foot.buttons)

    def _label(self, name: str, value: str) -> QLabel:
        label = QLabel(value, self)
        label.setObjectName(name)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setAccessibleName(value)
        return label

    # -- state ----------------------------------------------------------------------------

    @property
    def selected(self) -> _Choice | None:
        item = self.parts_list.currentItem()
        data = item.data(_PART_ROLE) if item is not None else None
        return data if isinstance(data, _Choice) and data.left_cents > 0 else None

    @property
    def choice(self) -> TenderRefundChoice | None:
        """The confirmed choice, once confirmed."""
        return self._choice

    def select_tender(self, kind: TenderKind, index: int = 0) -> None:
        """Select the `index`-th part of that kind (the cash is one)."""
        rows = [i for i, c in enumerate(self._choices) if c.kind is kind]
        self.parts_list.setCurrentRow(rows[index])

    def _cash_amount(self, selected: _Choice) -> tuple[int | None, str]:
        if not self._shift_open:
            return None, text.TENDER_REFUND_NO_SHIFT
        left = selected.left_cents
        try:
            money = parse_amount(self.amount_edit.text(), minimum_cents=1, maximum_cents=left)
        except AmountError as exc:
            if exc.reason is AmountErrorReason.ABOVE_MAXIMUM:
                return None, text.TENDER_REFUND_ABOVE.format(amount=Money(left).format())
            return None, exc.message
        return money.cents, ""

    def _update(self) -> None:
        selected = self.selected
        cash = selected is not None and selected.kind is TenderKind.CASH
        self.amount_caption.setVisible(cash)
        self.amount_edit.setVisible(cash)
        problem, label = "", text.CONFIRM_CARD_PART_BUTTON
        if selected is None:
            problem = text.TENDER_REFUND_PICK
        elif cash:
            cents, problem = self._cash_amount(selected)
            label = text.CONFIRM_CASH_REFUND_BUTTON.format(
                amount=Money(cents).format() if cents is not None else ""
            ).replace("  ", " ")
        self.foot.show_problem(problem)
        self.confirm_button.setText(label)
        self.confirm_button.setAccessibleName(label)
        self.confirm_button.setEnabled(not problem and self._choice is None)

    # -- asking ---------------------------------------------------------------------------

    async def ask(self) -> TenderRefundChoice | None:
        """Open the dialog (never exec) and wait: the choice, or None if cancelled."""
        return self._choice if accepted(await finished_result(self)) else None

    # -- slots ----------------------------------------------------------------------------

    def _on_parts_list_current_row_changed(self, _row: int) -> None:
        selected = self.selected
        if selected is not None and selected.kind is TenderKind.CASH:
            cents = selected.left_cents
            if self._cash_cents is not None:
                cents = min(cents, self._cash_cents)
            self.amount_edit.setText(Money(cents).format().removeprefix("$"))
        self._update()

    def _on_amount_edit_text_changed(self, _text: str) -> None:
        self._update()

    def _on_confirm_button_clicked(self) -> None:
        selected = self.selected
        if self._choice is not None or selected is None or not self.confirm_button.isEnabled():
            return
        if selected.kind is TenderKind.CASH:
            cents, _ = self._cash_amount(selected)
            if cents is None:
                return
            self._choice = TenderRefundChoice(TenderKind.CASH, amount_cents=cents)
        else:
            self._choice = TenderRefundChoice(TenderKind.CARD, payment_ref=selected.payment_ref)
        self.confirm_button.setEnabled(False)
        self.accept()


def when_text(at: datetime) -> str:
    """A moment as the chooser shows it."""
    return at.astimezone().strftime("%Y-%m-%d %H:%M")
