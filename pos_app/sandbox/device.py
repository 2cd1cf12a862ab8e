"""The device acting: a card tapped or declined, X pressed, the 90 s deadline.

`tick` carries out every running session's planned action whose time has
come (an `auto` customer, a `late_approval`) and times out the ones nobody
acted on; `act` is the same for the control API's present, decline and X.
Each ending updates the session, frees the terminal, makes the payment or
refund, moves the intent or the checkout, and emits the events.
"""

from __future__ import annotations

from pos_app.sandbox import checkouts, payment_intents, payments, refunds
from pos_app.sandbox.errors import ApiError
from pos_app.sandbox.fleet import CANCELED_ON_TERMINAL, TERMINAL_TIMEOUT, find_card
from pos_app.sandbox.ledger import Ledger
from pos_app.sandbox.store import Record


def tick(books: Ledger) -> None:
    """Let every running session act whose time has come."""
    now = books.clock.now()
    for session in books.store.all("session"):
        if session["status"] != "created":
            continue
        action = session["_action"]
        if action is not None and now >= action["at"]:
            act(books, session, action["action"], action.get("code"), action.get("card"))
        elif session["_deadline"] is not None and now >= session["_deadline"]:
            finish_without_card(books, session, TERMINAL_TIMEOUT)


def act(
    books: Ledger,
    session: Record,
    action: str,
    code: str | None = None,
    card_key: str | None = None,
) -> Record:
    """The customer (or cashier) acts on a running session."""
    if session["status"] != "created":
        raise ApiError(409, "session_finished", f"Session {session['id']} has ended.")
    if action == "approve":
        card = find_card(card_key, session["amount"])
        if card is None:
            raise ApiError(
                422, "invalid_parameter", f"Unknown test card {card_key!r}.", param="card"
            )
        if session["session_type"] == "refund":
            _approve_refund(books, session)
        else:
            _approve_payment(books, session, card.key)
    elif action == "decline":
        decline = code or "card_declined"
        if session["session_type"] == "refund":
            _fail_refund(books, session, decline)
        else:
            _decline_payment(books, session, decline, card_key)
    elif action == "cancel":
        finish_without_card(books, session, CANCELED_ON_TERMINAL)
    else:
        raise ApiError(422, "invalid_parameter", f"Unknown action {action!r}.", param="action")
    return session


def finish_without_card(books: Ledger, session: Record, code: str) -> None:
    """X pressed (`canceled_on_terminal`) or nobody acted (`terminal_timeout`)."""
    status = "canceled" if code == CANCELED_ON_TERMINAL else "timed_out"
    _end_session(books, session, status)
    if session["session_type"] == "refund":
        _fail_refund(books, session, code, end=False)
    elif session["payment_intent_id"]:
        payment_intents.attempt_failed(books, session, code, None)
    else:
        checkouts.add_completion(books, session, None, "failed", code)


def _end_session(books: Ledger, session: Record, status: str) -> None:
    session["status"] = status
    session["_action"] = None
    session["updated_at"] = books.now()
    books.store.put("session", session)
    terminal = books.store.get("terminal", session["terminal_id"])
    if terminal is not None and terminal["_session"] == session["id"]:
        terminal["_session"] = None
        books.touch("terminal", terminal)


def _approve_payment(books: Ledger, session: Record, card_key: str) -> None:
    card = find_card(card_key, session["amount"])
    assert card is not None  # checked by act()
    payment = payments.create(books, session, "succeeded", card_key)
    session["payment_id"] = payment["id"]
    _end_session(books, session, "completed")
    card_method = payments.card_method(card, session["account_id"], books.now())
    if session["payment_intent_id"]:
        intent = books.find("payment_intent", session["payment_intent_id"], None)
        intent.update(
            status="succeeded",
            successful_payment_id=payment["id"],
            payment_method=card_method,
            last_error=None,
        )
        books.touch("payment_intent", intent)
        books.emit("payment_intent.succeeded", intent)
    else:
        checkouts.add_completion(books, session, payment, "succeeded", None)
    books.emit("payment.succeeded", payments.render(books, payment))


def _decline_payment(books: Ledger, session: Record, code: str, card_key: str | None) -> None:
    payment = payments.create(books, session, "failed", card_key, code)
    session["payment_id"] = payment["id"]
    _end_session(books, session, "failed")
    if session["payment_intent_id"]:
        payment_intents.attempt_failed(books, session, code, payment["id"])
    else:
        checkouts.add_completion(books, session, payment, "failed", code)
    books.emit("payment.failed", payments.render(books, payment))


def _approve_refund(books: Ledger, session: Record) -> None:
    # The refund goes to the card that paid, whichever was tapped.
    payment = books.find("payment", session["_refund_payment_id"], None)
    if session["amount"] > payment["amount_refundable"]:
        # Another refund took the money while the customer was tapping.
        _fail_refund(books, session, "refund_exceeds_amount_available")
        return
    refund = refunds.record(books, payment, session["amount"], session=session)
    session["_refund_id"] = refund["id"]
    session["payment_id"] = payment["id"]
    _end_session(books, session, "completed")


def _fail_refund(books: Ledger, session: Record, code: str, *, end: bool = True) -> None:
    if end:
        _end_session(books, session, "failed")
    payment_intents.attempt_failed(books, session, code, None)
