"""The reconciliation with JustiFi: every difference between the journal and JustiFi's payments.

Every difference is listed, none is settled here:

- a payment at JustiFi that no journal operation knows (another lane's sale,
  a sale the journal lost, or one made outside the POS);
- an approved journal operation whose payment JustiFi does not have;
- a sale whose amount differs;
- a payment whose refunds in the journal do not add up to what JustiFi refunded;
- a status the two sides disagree on (a void JustiFi did not record, a
  "declined" sale JustiFi took the money for, a disputed payment, ...);
- an operation the journal has not seen finish (unresolved or in progress).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from pos_app.domain.money import Money
from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.receipt import JournaledOperation, last_four_only
from pos_app.domain.report.statuses import (
    APPROVED,
    CANCELED,
    FAILED,
    MONEY_STATUSES,
    NOT_CHARGED,
    SETTLED_STATUSES,
)

__all__ = [
    "DIFFERENCE_SENTENCES",
    "DIFFERENCE_TITLES",
    "Difference",
    "DifferenceKind",
    "JustifiPayment",
    "Reconciliation",
    "unsettled",
    "within",
]

VOIDED_WORD: Final = "voided"


class DifferenceKind(StrEnum):
    """What kind of disagreement between the journal and JustiFi."""

    MISSING_FROM_JOURNAL = "missing_from_journal"
    MISSING_AT_JUSTIFI = "missing_at_justifi"
    AMOUNT_MISMATCH = "amount_mismatch"
    REFUND_MISMATCH = "refund_mismatch"
    STATUS_MISMATCH = "status_mismatch"
    UNRESOLVED = "unresolved"


DIFFERENCE_TITLES: Final[dict[DifferenceKind, str]] = {
    DifferenceKind.MISSING_FROM_JOURNAL: "Not in the journal",
    DifferenceKind.MISSING_AT_JUSTIFI: "Not at JustiFi",
    DifferenceKind.AMOUNT_MISMATCH: "Amount differs",
    DifferenceKind.REFUND_MISMATCH: "Refunds differ",
    DifferenceKind.STATUS_MISMATCH: "Status differs",
    DifferenceKind.UNRESOLVED: "Not settled",
}
DIFFERENCE_SENTENCES: Final[dict[DifferenceKind, str]] = {
    DifferenceKind.MISSING_FROM_JOURNAL: (
        "JustiFi has payment {payment} of {amount} ({justifi}) that this journal does not:"
        " taken on another lane or outside the POS."
    ),
    DifferenceKind.MISSING_AT_JUSTIFI: (
        "The journal has an approved {kind} of {amount} (payment {payment}) that JustiFi"
        " does not have."
    ),
    DifferenceKind.AMOUNT_MISMATCH: (
        "Payment {payment}: the journal charged {journal}, JustiFi has {justifi}."
    ),
    DifferenceKind.REFUND_MISMATCH: (
        "Payment {payment}: refunds in the journal total {journal}, JustiFi refunded {justifi}."
    ),
    DifferenceKind.STATUS_MISMATCH: (
        "Payment {payment}: the journal says {journal}, JustiFi says {justifi}."
    ),
    DifferenceKind.UNRESOLVED: (
        "The {kind} of {amount} is {journal} in the journal: check it again before closing the day."
    ),
}
KIND_WORDS: Final[dict[PaymentKind, str]] = {
    PaymentKind.CHARGE: "sale",
    PaymentKind.REFUND: "refund",
    PaymentKind.VOID: "void",
}
UNKNOWN_ID: Final = "(none)"


@dataclass(frozen=True, slots=True)
class JustifiPayment:
    """A payment as JustiFi lists it, reduced to what reconciliation needs.

    `sale_id` is its payment intent or checkout. Only brand and last four of the card.
    """

    id: str
    amount_cents: int
    amount_refunded_cents: int
    status: str
    created_at: datetime | None
    card_brand: str | None = None
    card_last4: str | None = None
    sale_id: str | None = None
    terminal_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "card_last4", last_four_only(self.card_last4))


@dataclass(frozen=True, slots=True)
class Difference:
    """One disagreement between the journal and JustiFi, for a manager to look into.

    `journal` and `justifi` hold what each side says, ready to show (an amount
    or a status). `amount_cents` is the amount concerned.
    """

    kind: DifferenceKind
    payment_id: str | None
    operation_id: str | None
    lane: str | None
    amount_cents: int
    journal: str | None = None
    justifi: str | None = None
    operation_kind: PaymentKind | None = None
    at: datetime | None = None
    currency: str = "usd"

    @property
    def title(self) -> str:
        """A few words naming the kind of difference."""
        return DIFFERENCE_TITLES[self.kind]

    @property
    def description(self) -> str:
        """One sentence for the manager."""
        kind = KIND_WORDS.get(self.operation_kind or PaymentKind.CHARGE, "sale")
        return DIFFERENCE_SENTENCES[self.kind].format(
            payment=self.payment_id or UNKNOWN_ID,
            amount=Money(self.amount_cents, self.currency).format(),
            journal=self.journal or "",
            justifi=self.justifi or "",
            kind=kind,
        )


def within(payment: JustifiPayment, start: datetime, end: datetime) -> bool:
    """Whether JustiFi made the payment in [start, end) (one without a time came from the
    window's own list)."""
    return payment.created_at is None or start <= payment.created_at < end


def _money(cents: int, currency: str) -> str:
    return Money(cents, currency).format()


def unsettled(op: JournaledOperation, currency: str) -> Difference:
    """The difference an operation the journal has not seen finish makes."""
    return Difference(
        kind=DifferenceKind.UNRESOLVED,
        payment_id=op.payment_id,
        operation_id=op.id,
        lane=op.lane,
        amount_cents=op.amount_cents,
        journal=op.status,
        operation_kind=op.kind,
        at=op.created_at,
        currency=currency,
    )


class Reconciliation:
    """Matches the journal's operations with JustiFi's payments and lists what differs."""

    def __init__(
        self,
        operations: Sequence[JournaledOperation],
        payments: Sequence[JustifiPayment],
        currency: str,
    ) -> None:
        self.currency = currency
        self.by_id = {p.id: p for p in payments}
        self.by_sale: dict[str, list[JustifiPayment]] = {}
        for payment in payments:
            if payment.sale_id:
                self.by_sale.setdefault(payment.sale_id, []).append(payment)
        self.refunded: dict[str, int] = {}
        self.voided: set[str] = set()
        self.known: set[str] = set()  # payments some journal operation refers to
        for op in operations:
            if op.kind is PaymentKind.CHARGE:
                found = self.payment_of(op)
                if found is not None:
                    self.known.add(found.id)
            elif op.payment_id:
                self.known.add(op.payment_id)
            if op.status != APPROVED or not op.payment_id:
                continue
            if op.kind is PaymentKind.REFUND:
                self.refunded[op.payment_id] = self.refunded.get(op.payment_id, 0) + op.amount_cents
            elif op.kind is PaymentKind.VOID:
                self.voided.add(op.payment_id)
        self.checked: set[str] = set()
        self.found: list[Difference] = []

    def payment_of(self, op: JournaledOperation) -> JustifiPayment | None:
        """The charge's payment: by its payment id, else the sale's one that took money."""
        if op.payment_id:
            return self.by_id.get(op.payment_id)
        candidates = self.by_sale.get(op.sale_id or "", [])
        taken = [p for p in candidates if p.status != FAILED] or candidates
        return taken[0] if taken else None

    def run(
        self, mine: Sequence[JournaledOperation], in_window: Sequence[JustifiPayment]
    ) -> list[Difference]:
        """The differences for the report's operations (`mine`) and JustiFi's payments made
        in the window (`in_window`)."""
        for op in mine:
            if op.kind is PaymentKind.CHARGE:
                self.charge(op)
            elif op.status == APPROVED:
                self.refund_or_void(op)
        for payment in in_window:
            if payment.status != FAILED and payment.id not in self.known:
                self.add(
                    DifferenceKind.MISSING_FROM_JOURNAL,
                    payment=payment,
                    amount=payment.amount_cents,
                    justifi=payment.status,
                )
        return self.found

    def charge(self, op: JournaledOperation) -> None:
        """A sale: JustiFi must have it, for the same amount, unless nothing was charged."""
        payment = self.payment_of(op)
        if op.status == APPROVED:
            if payment is None:
                self.add(DifferenceKind.MISSING_AT_JUSTIFI, op=op, amount=op.amount_cents)
                return
            if payment.amount_cents != op.amount_cents:
                self.add(
                    DifferenceKind.AMOUNT_MISMATCH,
                    op=op,
                    payment=payment,
                    amount=op.amount_cents,
                    journal=_money(op.amount_cents, self.currency),
                    justifi=_money(payment.amount_cents, self.currency),
                )
            self.settlement(payment, op)
        elif op.status in NOT_CHARGED and payment is not None and payment.status in MONEY_STATUSES:
            self.add(
                DifferenceKind.STATUS_MISMATCH,
                op=op,
                payment=payment,
                amount=payment.amount_cents,
                journal=op.status,
                justifi=payment.status,
            )

    def refund_or_void(self, op: JournaledOperation) -> None:
        """An approved refund or void: JustiFi must have its payment, settled to match."""
        payment = self.by_id.get(op.payment_id or "")
        if payment is None:
            self.add(DifferenceKind.MISSING_AT_JUSTIFI, op=op, amount=op.amount_cents)
            return
        self.settlement(payment, op)

    def settlement(self, payment: JustifiPayment, op: JournaledOperation) -> None:
        """Voids and refunds of one payment, checked once whatever refers to it."""
        if payment.id in self.checked:
            return
        self.checked.add(payment.id)
        if payment.id in self.voided:
            if payment.status != CANCELED:
                self.status_differs(payment, op, VOIDED_WORD)
            return
        if payment.status not in SETTLED_STATUSES:
            self.status_differs(payment, op, APPROVED)
            return
        refunded = self.refunded.get(payment.id, 0)
        if refunded != payment.amount_refunded_cents:
            self.add(
                DifferenceKind.REFUND_MISMATCH,
                op=op,
                payment=payment,
                amount=abs(payment.amount_refunded_cents - refunded),
                journal=_money(refunded, self.currency),
                justifi=_money(payment.amount_refunded_cents, self.currency),
            )

    def status_differs(self, payment: JustifiPayment, op: JournaledOperation, said: str) -> None:
        """The journal said `said` of the payment; JustiFi says otherwise."""
        self.add(
            DifferenceKind.STATUS_MISMATCH,
            op=op,
            payment=payment,
            amount=payment.amount_cents,
            journal=said,
            justifi=payment.status,
        )

    def add(
        self,
        kind: DifferenceKind,
        *,
        amount: int,
        op: JournaledOperation | None = None,
        payment: JustifiPayment | None = None,
        journal: str | None = None,
        justifi: str | None = None,
    ) -> None:
        """Note one difference."""
        payment_id = payment.id if payment is not None else (op.payment_id if op else None)
        self.found.append(
            Difference(
                kind=kind,
                payment_id=payment_id,
                operation_id=op.id if op is not None else None,
                lane=op.lane if op is not None else None,
                amount_cents=amount,
                journal=journal,
                justifi=justifi,
                operation_kind=op.kind if op is not None else None,
                at=op.created_at if op is not None else (payment.created_at if payment else None),
                currency=self.currency,
            )
        )
