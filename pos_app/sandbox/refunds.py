"""Refunds: how much a payment can still give back, and recording one.

A refund goes back to the card that paid, by API (`POST
/v1/payments/{id}/refunds`, also through a checkout) or by a customer tapping
on a terminal (`device`). Either way it raises the payment's
`amount_refunded` and emits `payment.refunded`.
"""

from __future__ import annotations

from typing import Any

from pos_app.sandbox import payments
from pos_app.sandbox.errors import ApiError
from pos_app.sandbox.ledger import Ledger, new_id
from pos_app.sandbox.store import Record
from pos_app.sandbox.validation import valid_metadata, valid_positive_int, valid_text

REFUND_REASONS = ("duplicate", "fraudulent", "customer_request")


def refundable_amount(payment: Record, raw: Any) -> int:
    """The amount a refund asks for (all that is left when `raw` is None), checked."""
    refundable = payment["amount_refundable"]
    if payment["status"] in ("fully_refunded",) or (
        payment["status"] == "succeeded" and refundable == 0
    ):
        raise ApiError(
            422,
            "payment_fully_refunded",
            f"Payment {payment['id']} is fully refunded.",
            param="amount",
        )
    if payment["status"] not in ("succeeded", "partially_refunded"):
        raise ApiError(
            422,
            "payment_not_refundable",
            f"Payment {payment['id']} is {payment['status']}.",
            param="id",
        )
    if raw is None:
        return int(refundable)
    amount = valid_positive_int(raw, "amount")
    if amount > refundable:
        raise ApiError(
            422,
            "refund_exceeds_amount_available",
            f"Refund of {amount} exceeds the {refundable} available to refund.",
            param="amount",
        )
    return amount


def refund_payment(books: Ledger, payment: Record, body: dict[str, Any]) -> Record:
    """POST /v1/payments/{id}/refunds: back to the original card."""
    amount = refundable_amount(payment, body.get("amount"))
    reason = body.get("reason")
    if reason is not None and reason not in REFUND_REASONS:
        raise ApiError(
            422,
            "invalid_parameter",
            f"reason must be one of {', '.join(REFUND_REASONS)}.",
            param="reason",
        )
    return record(
        books,
        payment,
        amount,
        reason=reason,
        description=valid_text(body.get("description"), "description"),
        metadata=valid_metadata(body.get("metadata")),
    )


def record(
    books: Ledger,
    payment: Record,
    amount: int,
    *,
    reason: str | None = None,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
    session: Record | None = None,
) -> Record:
    """A succeeded refund of `amount` against `payment` (checked by the caller)."""
    now = books.now()
    refund = {
        "id": new_id("re"),
        "account_id": payment["account_id"],
        "payment_id": payment["id"],
        "amount": amount,
        "currency": payment["currency"],
        "reason": reason,
        "description": description,
        "metadata": metadata or {},
        "status": "succeeded",
        "returned_fees": [],  # processing fees are not returned on a refund
        "terminal_id": session["terminal_id"] if session else None,
        "terminal_session_id": session["id"] if session else None,
        "created_at": now,
        "updated_at": now,
    }
    books.store.put("refund", refund)
    payment["amount_refunded"] += amount
    payment["amount_refundable"] -= amount
    payment["status"] = (
        "fully_refunded" if payment["amount_refundable"] == 0 else "partially_refunded"
    )
    payment["refunds"].append(refund["id"])
    books.touch("payment", payment)
    books.emit("payment.refunded", payments.render(books, payment))
    return refund
