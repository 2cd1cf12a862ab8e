"""Sending a sale or a refund to a terminal: the session its screen shows.

`POST /v1/terminals/pay` (either flow) and `/v1/terminals/refund` check the
request, mark the terminal busy and start a session. What the device then
does (an `auto` customer's tap, a deadline, a terminal-behaviour fault) is
planned here as the session's `_action` and `_deadline`, and carried out by
`device.tick`.
"""

from __future__ import annotations

from typing import Any

from pos_app.sandbox import refunds, terminals
from pos_app.sandbox.clock import iso
from pos_app.sandbox.errors import ApiError
from pos_app.sandbox.fleet import DEVICE_TIMEOUT_SECONDS, outcome_for_amount
from pos_app.sandbox.ledger import Ledger, new_id
from pos_app.sandbox.store import Record
from pos_app.sandbox.validation import valid_id


def pay(
    books: Ledger, body: dict[str, Any], sub_account: str | None, device: Record | None = None
) -> Record:
    """POST /v1/terminals/pay in either form; returns the new session.

    `device` is a terminal-behaviour fault (`late_approval`, `never_resolves`).
    """
    terminal_id = valid_id(body.get("terminal_id"), "terminal_id")
    intent_id = body.get("payment_intent_id")
    checkout_id = body.get("checkout_id")
    if (intent_id is None) == (checkout_id is None):
        raise ApiError(
            422,
            "invalid_parameter",
            "Send exactly one of payment_intent_id or checkout_id.",
            param="payment_intent_id",
        )
    terminal = books.find("terminal", terminal_id, sub_account)
    if intent_id is not None:
        intent = books.find("payment_intent", valid_id(intent_id, "payment_intent_id"), sub_account)
        terminals.require_idle(terminal)
        if intent["status"] != "requires_payment_method":
            raise ApiError(
                422,
                "payment_intent_not_payable",
                f"Payment intent {intent['id']} is {intent['status']} and cannot be paid.",
                param="payment_intent_id",
            )
        intent["status"] = "pending"
        intent["last_error"] = None
        books.touch("payment_intent", intent)
        return start(
            books,
            terminal,
            "payment",
            intent["amount"],
            payment_intent_id=intent["id"],
            device=device,
        )
    checkout = books.find("checkout", valid_id(checkout_id, "checkout_id"), sub_account)
    terminals.require_idle(terminal)
    if checkout["status"] not in ("created", "attempted"):
        raise ApiError(
            422,
            "checkout_not_payable",
            f"Checkout {checkout['id']} is {checkout['status']} and cannot be paid.",
            param="checkout_id",
        )
    return start(
        books, terminal, "payment", checkout["amount"], checkout_id=checkout["id"], device=device
    )


def refund(
    books: Ledger, body: dict[str, Any], sub_account: str | None, device: Record | None = None
) -> Record:
    """POST /v1/terminals/refund: the customer taps to take money back."""
    terminal_id = valid_id(body.get("terminal_id"), "terminal_id")
    intent_id = valid_id(body.get("payment_intent_id"), "payment_intent_id")
    terminal = books.find("terminal", terminal_id, sub_account)
    intent = books.find("payment_intent", intent_id, sub_account)
    if intent["status"] != "succeeded" or not intent["successful_payment_id"]:
        raise ApiError(
            422,
            "payment_intent_not_refundable",
            f"Payment intent {intent_id} has not succeeded.",
            param="payment_intent_id",
        )
    payment = books.find("payment", intent["successful_payment_id"], None)
    amount = refunds.refundable_amount(payment, body.get("amount"))
    terminals.require_idle(terminal)
    return start(
        books,
        terminal,
        "refund",
        amount,
        payment_intent_id=intent_id,
        refund_payment_id=payment["id"],
        device=device,
    )


def _planned_action(
    terminal: Record, amount: int, started: float, device: Record | None
) -> tuple[dict[str, Any] | None, float | None]:
    """What the device will do and when it gives up (None: never)."""
    if device is not None and device["kind"] == "never_resolves":
        return None, None  # the device never reports: the session stays open
    if device is not None:  # late_approval: JustiFi hears an approval after 90 s
        approve_at = float(device["approve_at"])
        action = {
            "at": started + approve_at,
            "action": "approve",
            "code": None,
            "message": None,
            "card": None,
        }
        return action, started + max(DEVICE_TIMEOUT_SECONDS, approve_at + 1.0)
    deadline = started + DEVICE_TIMEOUT_SECONDS
    if terminal["_behaviour"] == "auto":
        outcome = outcome_for_amount(amount)
        if outcome.action != "walk_away":
            return {
                "at": started + terminal["_tap_after"],
                "action": outcome.action,
                "code": outcome.code,
                "message": outcome.message,
                "card": None,
            }, deadline
    return None, deadline


def start(
    books: Ledger,
    terminal: Record,
    session_type: str,
    amount: int,
    *,
    payment_intent_id: str | None = None,
    checkout_id: str | None = None,
    refund_payment_id: str | None = None,
    device: Record | None = None,
) -> Record:
    """A new session on an idle terminal (checked by the caller)."""
    started = books.clock.now()
    action, deadline = _planned_action(terminal, amount, started, device)
    session = {
        "id": new_id("tses" if checkout_id else "tmses"),
        "type": "terminal_sessions" if checkout_id else "terminal_payment_intent",
        "session_type": session_type,
        "status": "created",
        "amount": amount,
        "payment_id": None,
        "payment_intent_id": payment_intent_id,
        "checkout_id": checkout_id,
        "terminal_id": terminal["id"],
        "account_id": terminal["account_id"],
        "platform_account_id": books.config.platform_account,
        "created_at": iso(started),
        "updated_at": iso(started),
        "_deadline": deadline,
        "_device": device["kind"] if device else None,
        "_action": action,
        "_refund_payment_id": refund_payment_id,
        "_refund_id": None,
    }
    terminal["_session"] = session["id"]
    terminal["_last_active"] = iso(started)
    books.touch("terminal", terminal)
    return books.store.put("session", session)


def active(books: Ledger, terminal: Record) -> Record:
    """The session a terminal's screen shows; 409 when it shows none."""
    session_id = terminal["_session"]
    session = books.store.get("session", session_id) if session_id else None
    if session is None:
        raise ApiError(409, "no_active_session", f"Terminal {terminal['id']} is idle.")
    return session
