"""Payments: made by the device's outcome, shown with their refunds, voided.

A card-present payment carries the tapped test card, a processing fee of
2.6 % + 15 cents when it succeeded, and the refunds made against it; its
`balance` and `refunded` are computed when shown (`render`).
"""

from __future__ import annotations

import secrets
from typing import Any

from pos_app.sandbox.clock import parse_iso
from pos_app.sandbox.errors import ApiError
from pos_app.sandbox.fleet import TestCard, error_description, find_card
from pos_app.sandbox.ledger import Ledger, new_id, public
from pos_app.sandbox.store import Record

VOID_WINDOW_SECONDS = 25 * 60


def processing_fee(amount: int) -> int:
    """The sandbox's card-present processing fee: 2.6% + 15 cents, in cents."""
    return round(amount * 0.026) + 15


def fee_record(amount: int, currency: str, now: str) -> Record:
    """One fee item of a payment's `fees`."""
    return {
        "id": new_id("fee"),
        "amount": amount,
        "currency": currency,
        "type": "processing_fee",
        "created_at": now,
        "updated_at": now,
    }


def source_of(books: Ledger, session: Record) -> Record:
    """The payment intent or checkout a session was sent for."""
    if session["payment_intent_id"]:
        return books.find("payment_intent", session["payment_intent_id"], None)
    return books.find("checkout", session["checkout_id"], None)


def create(
    books: Ledger, session: Record, status: str, card_key: str | None, code: str | None = None
) -> Record:
    """The payment a session's outcome makes: `succeeded` or `failed` with `code`."""
    card = find_card(card_key, session["amount"]) or find_card(None, session["amount"])
    assert card is not None
    now = books.now()
    succeeded = status == "succeeded"
    source = source_of(books, session)
    currency = str(source.get("currency") or "usd")
    fee = processing_fee(session["amount"]) if succeeded else 0
    payment = {
        "id": new_id("py"),
        "account_id": session["account_id"],
        "amount": session["amount"],
        "amount_disputed": 0,
        "amount_refunded": 0,
        "amount_refundable": session["amount"] if succeeded else 0,
        "balance": 0,  # computed when shown
        "fee_amount": fee,
        "financial_transaction_id": new_id("ft") if succeeded else None,
        "captured": succeeded,
        "capture_strategy": "automatic",
        "currency": currency,
        "description": source.get("description"),
        "disputed": False,
        "disputes": [],
        "error_code": code,
        "error_description": error_description(code),
        "is_test": True,
        "metadata": {},
        "payment_intent_id": session["payment_intent_id"],
        "checkout_id": session["checkout_id"],
        "payment_method": {
            "status": "valid",
            "invalid_reason": None,
            "created_at": now,
            "updated_at": now,
            "card_present": {
                "brand": card.brand,
                "last4": card.last4,
                "cardholder_name": card.cardholder_name,
                "expiry": card.expiry,
            },
            "customer_id": None,
            "signature": None,
            "account_id": session["account_id"],
        },
        "application_fee": None,  # a card-present sale carries no platform fee
        "application_fee_rate_id": None,
        "fees": [fee_record(fee, currency, now)] if fee else [],
        "refunded": False,
        "status": status,
        "payment_mode": "card_present",
        "terminal_id": session["terminal_id"],
        "transaction_hold": None,
        "expedited": None,
        "refunds": [],
        "created_at": now,
        "updated_at": now,
    }
    return books.store.put("payment", payment)


def card_method(card: TestCard, account_id: str, now: str) -> dict[str, Any]:
    """A payment method as JustiFi shows it on an intent (the seed's shape)."""
    month, year = card.expiry.split("/")
    method_id = new_id("pm")
    return {
        "card": {
            "id": method_id,
            "acct_last_four": card.last4,
            "brand": card.brand,
            "name": card.cardholder_name,
            "token": method_id,
            "month": str(int(month)),
            "year": f"20{year}",
            "metadata": {},
            "created_at": now,
            "updated_at": now,
            "address_line1_check": "unchecked",
            "address_postal_code_check": "unchecked",
        },
        "customer_id": None,
        "signature": secrets.token_urlsafe(16),
        "account_id": account_id,
    }


def render(books: Ledger, payment: Record) -> Record:
    """A payment with its refunds expanded, as the API shows it."""
    rendered = dict(payment)
    settled = payment["status"] in ("succeeded", "partially_refunded", "fully_refunded")
    fee = int(payment.get("fee_amount") or 0)
    rendered["balance"] = payment["amount"] - fee - payment["amount_refunded"] if settled else 0
    rendered["refunded"] = payment["amount_refunded"] > 0
    rendered["refunds"] = [
        public(r) for r in (books.store.get("refund", rid) for rid in payment["refunds"]) if r
    ]
    return public(rendered)


def void(books: Ledger, payment: Record) -> Record:
    """POST /v1/payments/{id}/void: only within 25 minutes, only untouched."""
    if payment["status"] != "succeeded" or payment["amount_refunded"]:
        raise ApiError(
            422,
            "payment_not_voidable",
            f"Payment {payment['id']} is {payment['status']} and cannot be voided.",
            param="id",
        )
    age = books.clock.now() - parse_iso(payment["created_at"])
    if age > VOID_WINDOW_SECONDS:
        raise ApiError(
            422,
            "payment_outside_void_window",
            "Payments can only be voided within 25 minutes.",
            param="id",
        )
    payment["status"] = "canceled"
    payment["amount_refundable"] = 0
    return books.touch("payment", payment)
