"""A sale's parts as the journal keeps them: its cash movements and its card operations.

`tender_parts` turns them into the domain's `TicketPayments` (what each part
applied and what went back from it); the other helpers say what the sale
service must wait for: a card part whose outcome is not known yet, or money on
its way back to a card. Pure functions over records already read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from pos_app.domain.errors import InvalidInputError
from pos_app.domain.payment_flow import PaymentKind, StateName
from pos_app.domain.tender import TenderKind, TenderPart, TicketPayments
from pos_app.domain.tickets import CashMovement, CashMovementKind, Ticket
from pos_app.services.ports import Operation

__all__ = [
    "CARD_UNRESOLVED",
    "SETTLED",
    "all_given_back",
    "check_no_card_unresolved",
    "given_back",
    "giving_back",
    "tender_parts",
    "under_way_cents",
]

# Statuses after which a charge can no longer pay (or stop paying) anything.
SETTLED: Final = frozenset(
    {
        StateName.APPROVED.value,
        StateName.DECLINED.value,
        StateName.CANCELLED.value,
        StateName.TIMED_OUT.value,
    }
)
CARD_UNRESOLVED: Final = (
    "A card payment of this sale is unresolved: check it again in the history first."
)


def tender_parts(
    ticket: Ticket, movements: Sequence[CashMovement], operations: Sequence[Operation]
) -> TicketPayments:
    """A sale's parts from its cash movements and its journaled operations: SALE movements
    and approved charges, each with what went back from it (cash given back is counted
    against the cash parts oldest first; refunds and voids against their charge)."""
    parts: list[TenderPart] = []
    cash_back = sum(
        m.amount_cents
        for m in movements
        if m.kind in (CashMovementKind.REFUND, CashMovementKind.CANCEL_RETURN)
    )
    for movement in movements:
        if movement.kind is not CashMovementKind.SALE:
            continue
        back = min(cash_back, movement.amount_cents)
        cash_back -= back
        parts.append(
            TenderPart(
                kind=TenderKind.CASH,
                amount_cents=movement.amount_cents,
                at=movement.at,
                tendered_cents=movement.tendered_cents,
                change_cents=movement.change_cents,
                movement_id=movement.id,
                refunded_cents=back,
            )
        )
    for op in operations:
        if op.kind is not PaymentKind.CHARGE or op.status != StateName.APPROVED.value:
            continue
        parts.append(
            TenderPart(
                kind=TenderKind.CARD,
                amount_cents=op.amount_cents,
                at=op.updated_at,
                card_brand=op.card_brand,
                card_last4=op.card_last4,
                operation_id=op.id,
                payment_id=op.payment_id,
                refunded_cents=min(op.amount_cents, given_back(op, operations)),
            )
        )
    parts.sort(key=lambda part: part.at)
    return TicketPayments(ticket.total_cents, tuple(parts))


def given_back(charge: Operation, operations: Sequence[Operation]) -> int:
    """What approved refunds and voids of `charge` gave back."""
    total = 0
    for op in operations:
        if op.status != StateName.APPROVED.value or op.kind is PaymentKind.CHARGE:
            continue
        if op.original_id != charge.id and (
            op.payment_id is None or op.payment_id != charge.payment_id
        ):
            continue
        total += charge.amount_cents if op.kind is PaymentKind.VOID else op.amount_cents
    return total


def under_way_cents(operations: Sequence[Operation]) -> int:
    """Card parts sent or being sent whose outcome is not known yet."""
    return sum(
        op.amount_cents
        for op in operations
        if op.kind is PaymentKind.CHARGE and op.status not in SETTLED
    )


def giving_back(operations: Sequence[Operation]) -> bool:
    """A void or refund of the sale whose outcome is not known yet (unresolved included)."""
    return any(op.kind is not PaymentKind.CHARGE and op.status not in SETTLED for op in operations)


def check_no_card_unresolved(operations: Sequence[Operation]) -> None:
    """An unresolved card part may have paid: the sale waits for a "check again"."""
    if any(
        op.kind is PaymentKind.CHARGE and op.status == StateName.UNRESOLVED.value
        for op in operations
    ):
        raise InvalidInputError(CARD_UNRESOLVED)


def all_given_back(payments: TicketPayments) -> bool:
    """Parts were paid and every one of them went back (a cancel that finished)."""
    return bool(payments.parts) and payments.refundable_cents == 0
