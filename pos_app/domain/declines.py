"""Cashier sentences for JustiFi error and decline codes, and for terminal outcomes.

Every sentence a cashier reads about a refused payment lives here, in one
table, ready for translation. Each says what happened and what to do next.
"""

from __future__ import annotations

import re
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "CASHIER_MESSAGES",
    "GENERIC_DECLINE_MESSAGE",
    "DeclineCode",
    "cashier_message",
]


class DeclineCode(StrEnum):
    """Codes the counter meets: JustiFi's, plus the terminal outcomes this app names."""

    CARD_DECLINED = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED_CARD = "expired_card"
    DO_NOT_HONOR = "do_not_honor"
    PIN_REQUIRED = "pin_required"
    INCORRECT_PIN = "incorrect_pin"
    AMOUNT_BELOW_MINIMUM = "amount_below_minimum"
    REFUND_EXCEEDS_AMOUNT_AVAILABLE = "refund_exceeds_amount_available"
    PAYMENT_FULLY_REFUNDED = "payment_fully_refunded"
    PAYMENT_OUTSIDE_VOID_WINDOW = "payment_outside_void_window"
    GATEWAY_ERROR = "gateway_error"
    GATEWAY_ERROR_PLEASE_RETRY = "gateway_error_please_retry"
    TERMINAL_NOT_CONNECTED = "terminal_not_connected"
    TERMINAL_BUSY = "terminal_busy"
    CANCELED_ON_TERMINAL = "canceled_on_terminal"
    TERMINAL_TIMEOUT = "terminal_timeout"
    # Not a JustiFi code: the cashier cancelled before anything reached the terminal.
    CANCELLED_BEFORE_SEND = "cancelled_before_send"
    # Not JustiFi codes: the engine's own reasons why nothing reached a terminal.
    NOT_SENT = "not_sent"
    JUSTIFI_UNREACHABLE = "justifi_unreachable"
    TERMINAL_NOT_FOUND = "terminal_not_found"
    AUTHENTICATION_FAILED = "authentication_failed"


GENERIC_DECLINE_MESSAGE: Final = "The card was declined. Ask for another card."

_MESSAGES: Final[dict[str, str]] = {
    DeclineCode.CARD_DECLINED: GENERIC_DECLINE_MESSAGE,
    DeclineCode.INSUFFICIENT_FUNDS: (
        "The card was declined for insufficient funds. Ask for another card."
    ),
    DeclineCode.EXPIRED_CARD: "The card has expired. Ask for another card.",
    DeclineCode.DO_NOT_HONOR: (
        "The card's bank declined the payment. Ask for another card;"
        " the customer can call their bank."
    ),
    DeclineCode.PIN_REQUIRED: (
        "This card needs a PIN. Try again and have the customer insert the card and enter the PIN."
    ),
    DeclineCode.INCORRECT_PIN: (
        "The PIN was wrong. Try again and have the customer re-enter the PIN,"
        " or ask for another card."
    ),
    DeclineCode.AMOUNT_BELOW_MINIMUM: (
        "The amount is too small for a card payment. Enter more than $0.50."
    ),
    DeclineCode.REFUND_EXCEEDS_AMOUNT_AVAILABLE: (
        "The refund is more than what is left on this payment. Enter a smaller amount."
    ),
    DeclineCode.PAYMENT_FULLY_REFUNDED: (
        "This payment has already been refunded in full. There is nothing left to refund."
    ),
    DeclineCode.PAYMENT_OUTSIDE_VOID_WINDOW: (
        "This payment is too old to void (over 25 minutes). Refund it instead."
    ),
    DeclineCode.GATEWAY_ERROR: (
        "The payment network had a problem. Wait a moment, then try again."
    ),
    DeclineCode.GATEWAY_ERROR_PLEASE_RETRY: (
        "The payment network had a brief problem. Try the payment again."
    ),
    DeclineCode.TERMINAL_NOT_CONNECTED: (
        "The card terminal is not connected. Check it is on and online, then try again."
    ),
    DeclineCode.TERMINAL_BUSY: (
        "The card terminal is busy with another payment. Wait for it to finish"
        " or pick another terminal."
    ),
    DeclineCode.CANCELED_ON_TERMINAL: (
        "The payment was cancelled on the terminal. Start again when the customer is ready."
    ),
    DeclineCode.TERMINAL_TIMEOUT: (
        "The terminal stopped waiting for the card. Start again when the customer is ready."
    ),
    DeclineCode.CANCELLED_BEFORE_SEND: (
        "Cancelled before anything was sent to the terminal. Nothing was charged."
    ),
    DeclineCode.NOT_SENT: "This never reached the terminal. Nothing was charged.",
    DeclineCode.JUSTIFI_UNREACHABLE: (
        "Could not reach JustiFi, so nothing was sent to the terminal and nothing was"
        " charged. Check the internet connection, then try again."
    ),
    DeclineCode.AUTHENTICATION_FAILED: (
        "JustiFi refused this lane's credentials. Nothing was charged. Ask a manager to"
        " check the settings."
    ),
    DeclineCode.TERMINAL_NOT_FOUND: (
        "That card terminal is not on this account. Pick another terminal."
    ),
}

CASHIER_MESSAGES: Final = MappingProxyType(_MESSAGES)
"""Read-only code -> cashier sentence table (keys are DeclineCode values)."""

_MAX_FOREIGN_MESSAGE_LENGTH: Final = 200
# A foreign message that looks like markup, JSON or an HTTP status is not for a cashier.
_UNFIT_FOR_CASHIER: Final = re.compile(
    r"[{}\[\]<>\\]|\bhttps?\b|\bstatus\b|\b[1-5][0-9]{2}\b", re.IGNORECASE
)


def _clean_foreign_message(message: str | None) -> str | None:
    """Return JustiFi's own message if a cashier can read it, else None."""
    if message is None:
        return None
    text = " ".join(message.split())  # also drops control characters like newlines
    if not text or not text.isprintable() or len(text) > _MAX_FOREIGN_MESSAGE_LENGTH:
        return None
    if _UNFIT_FOR_CASHIER.search(text):
        return None
    if text[-1] not in ".!?":
        text += "."
    return text


def cashier_message(code: str | None, justifi_message: str | None = None) -> str:
    """Return a short sentence telling the cashier what happened and what to do next.

    Known codes get this app's sentence. Unknown codes fall back to JustiFi's
    message when it is plain text, else to a generic decline sentence. The
    result never holds JSON, markup or an HTTP status.
    """
    if code is not None:
        known = _MESSAGES.get(code.strip().lower())
        if known is not None:
            return known
    return _clean_foreign_message(justifi_message) or GENERIC_DECLINE_MESSAGE
