"""Checkouts (the Checkout flow): create, refund, and the completions they gather.

Every terminal attempt on a checkout appends a completion; a succeeded one
makes the checkout `completed`, anything else leaves it `attempted` (it can
be sent again). Each completion emits `checkout.completion.<status>`.
"""

from __future__ import annotations

from typing import Any

from pos_app.sandbox import refunds
from pos_app.sandbox.errors import ApiError
from pos_app.sandbox.fleet import error_description
from pos_app.sandbox.ledger import Ledger, new_id, public
from pos_app.sandbox.store import Record
from pos_app.sandbox.validation import valid_amount, valid_currency, valid_metadata, valid_text


def create(books: Ledger, body: dict[str, Any], sub_account: str) -> Record:
    """POST /v1/checkouts."""
    now = books.now()
    amount = valid_amount(body.get("amount"))
    currency = valid_currency(body.get("currency"))
    description = valid_text(body.get("description"), "description")
    checkout: Record = {
        "id": new_id("cho"),
        "account_id": sub_account,
        "platform_account_id": books.config.platform_account,
        "payment_intent_id": None,
        "payment_amount": amount,
        "payment_currency": currency.upper(),
        "payment_description": description,
        "payment_methods": [],  # saved methods: none for a customer at the counter
        "payment_method_group_id": None,
        "amount": amount,
        "currency": currency,
        "description": description,
        "metadata": valid_metadata(body.get("metadata")),
        "status": "created",
        "mode": "test",
        "successful_payment_id": None,
        "statement_descriptor": None,
        "application_fees": None,  # no platform fee on a counter sale
        "payment_settings": {
            "credit_card_payments": True,
            "ach_payments": False,
            "bnpl_payments": False,
            "saved_payment_methods": False,
        },
        "payment": None,
        "completions": [],
        "created_at": now,
        "updated_at": now,
    }
    return books.store.put("checkout", checkout)


def refund(books: Ledger, checkout: Record, body: dict[str, Any]) -> Record:
    """POST /v1/checkouts/{id}/refunds: a card refund of its payment."""
    payment_id = checkout.get("successful_payment_id")
    if not payment_id:
        raise ApiError(
            422,
            "checkout_not_refundable",
            "The checkout has no successful payment.",
            param="id",
        )
    payment = books.find("payment", payment_id, None)
    return refunds.refund_payment(books, payment, body)


def add_completion(
    books: Ledger, session: Record, payment: Record | None, status: str, code: str | None
) -> None:
    """Record a terminal attempt's end on its checkout (`succeeded` or `failed`)."""
    checkout = books.find("checkout", session["checkout_id"], None)
    now = books.now()
    completion = {
        "id": new_id("chc"),
        "payment_mode": "card_present",
        "payment_token": None,  # a tapped card is not tokenised for the platform
        "status": status,
        "payment_status": payment["status"] if payment else None,
        "payment_error_code": code,
        "payment_error_description": error_description(code),
        "payment_response": (
            {"id": payment["id"], "status": payment["status"], "amount": payment["amount"]}
            if payment
            else None
        ),
        "checkout_id": checkout["id"],
        "additional_transactions": [],
        "checkout": None,  # the enclosing checkout; events carry it whole
        "payment_id": payment["id"] if payment else None,
        "payment_method_id": None,
        "terminal_id": session["terminal_id"],
        "terminal_session_id": session["id"],
        "created_at": now,
        "updated_at": now,
    }
    checkout["completions"].append(completion)
    if status == "succeeded" and payment is not None:
        checkout["status"] = "completed"
        checkout["successful_payment_id"] = payment["id"]
        checkout["payment"] = {
            "id": payment["id"],
            "amount": payment["amount"],
            "currency": payment["currency"],
            "status": payment["status"],
            "payment_mode": payment["payment_mode"],
        }
    else:
        checkout["status"] = "attempted"
    books.touch("checkout", checkout)
    books.emit(
        f"checkout.completion.{status}",
        {**completion, "account_id": checkout["account_id"], "checkout": public(checkout)},
    )
