"""Payment intents (the Payment Intent flow): create, update, a failed attempt.

An intent is sent to a terminal (`sessions`), and the device's outcome
(`device`) moves it: success to `succeeded`; a decline, an X or a timeout back
to `requires_payment_method` with `last_error` set, so it can be sent again.
"""

from __future__ import annotations

from typing import Any

from pos_app.sandbox.fleet import ERROR_MESSAGES
from pos_app.sandbox.ledger import Ledger, new_id
from pos_app.sandbox.store import Record
from pos_app.sandbox.validation import valid_amount, valid_currency, valid_metadata, valid_text


def create(books: Ledger, body: dict[str, Any], sub_account: str) -> Record:
    """POST /v1/payment_intents."""
    now = books.now()
    intent = {
        "id": new_id("pi"),
        "account_id": sub_account,
        "amount": valid_amount(body.get("amount")),
        "currency": valid_currency(body.get("currency")),
        "description": valid_text(body.get("description"), "description"),
        "metadata": valid_metadata(body.get("metadata")),
        "payment_method": None,
        "status": "requires_payment_method",
        "successful_payment_id": None,
        "last_error": None,
        "created_at": now,
        "updated_at": now,
    }
    return books.store.put("payment_intent", intent)


def update(books: Ledger, intent: Record, body: dict[str, Any]) -> Record:
    """PATCH /v1/payment_intents/{id}: description and metadata only."""
    if "description" in body:
        intent["description"] = valid_text(body["description"], "description")
    if "metadata" in body:
        intent["metadata"] = valid_metadata(body["metadata"])
    return books.touch("payment_intent", intent)


def attempt_failed(books: Ledger, session: Record, code: str, payment_id: str | None) -> None:
    """A terminal attempt on the intent failed: `last_error` says how.

    A failed payment puts the intent back to `requires_payment_method`; a
    failed terminal refund leaves it `succeeded`.
    """
    intent = books.find("payment_intent", session["payment_intent_id"], None)
    if session["session_type"] == "payment":
        intent["status"] = "requires_payment_method"
    intent["last_error"] = {
        "code": code,
        "message": ERROR_MESSAGES.get(code, "The transaction failed."),
        "payment_id": payment_id,
        "terminal_id": session["terminal_id"],
        "terminal_session_id": session["id"],
        "session_type": session["session_type"],
    }
    books.touch("payment_intent", intent)
