"""Cashier sentences for decline and error codes."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain.declines import (
    CASHIER_MESSAGES,
    GENERIC_DECLINE_MESSAGE,
    DeclineCode,
    cashier_message,
)

REQUIRED_CODES = [
    "card_declined",
    "insufficient_funds",
    "expired_card",
    "do_not_honor",
    "pin_required",
    "incorrect_pin",
    "amount_below_minimum",
    "refund_exceeds_amount_available",
    "payment_fully_refunded",
    "payment_outside_void_window",
    "gateway_error",
    "gateway_error_please_retry",
    "terminal_not_connected",
    "terminal_busy",
    "canceled_on_terminal",
    "terminal_timeout",
]

# What a cashier must never read.
RAW = re.compile(r"[{}\[\]<>]|\b[1-5][0-9]{2}\b|HTTP|status|Traceback|_")


@pytest.mark.parametrize("code", REQUIRED_CODES)
def test_every_known_code_has_a_short_plain_sentence(code: str) -> None:
    message = cashier_message(code)
    assert message == CASHIER_MESSAGES[code]
    assert message.endswith(".")
    assert len(message) <= 110
    assert RAW.search(message) is None, message
    # Two sentences: what happened, then what to do next.
    assert message.count(".") >= 2 or ";" in message


@pytest.mark.parametrize(
    ("code", "expected_words"),
    [
        ("insufficient_funds", "insufficient funds"),
        ("expired_card", "expired"),
        ("incorrect_pin", "PIN"),
        ("pin_required", "PIN"),
        ("amount_below_minimum", "$0.50"),
        ("payment_outside_void_window", "Refund it instead"),
        ("terminal_not_connected", "not connected"),
        ("terminal_busy", "busy"),
        ("canceled_on_terminal", "cancelled on the terminal"),
        ("terminal_timeout", "stopped waiting"),
        ("gateway_error_please_retry", "Try the payment again"),
    ],
)
def test_sentences_say_what_happened(code: str, expected_words: str) -> None:
    assert expected_words in cashier_message(code)


def test_known_code_ignores_justifi_message() -> None:
    assert (
        cashier_message("expired_card", "Your card is expired (EXP)")
        == CASHIER_MESSAGES["expired_card"]
    )


@pytest.mark.parametrize("code", ["EXPIRED_CARD", " expired_card ", DeclineCode.EXPIRED_CARD])
def test_codes_are_matched_loosely(code: str) -> None:
    assert cashier_message(code) == CASHIER_MESSAGES["expired_card"]


def test_every_decline_code_has_a_message() -> None:
    assert set(CASHIER_MESSAGES) == {code.value for code in DeclineCode}
    assert set(REQUIRED_CODES) <= set(CASHIER_MESSAGES)


@pytest.mark.parametrize(
    ("code", "justifi_message", "expected"),
    [
        (None, None, GENERIC_DECLINE_MESSAGE),
        ("mystery_code", None, GENERIC_DECLINE_MESSAGE),
        ("mystery_code", "", GENERIC_DECLINE_MESSAGE),
        ("mystery_code", "   ", GENERIC_DECLINE_MESSAGE),
        ("mystery_code", "Card is restricted", "Card is restricted."),
        ("mystery_code", "Card is restricted.", "Card is restricted."),
        (None, "  Card   is\nrestricted! ", "Card is restricted!"),
        ("mystery_code", '{"error": {"code": "x"}}', GENERIC_DECLINE_MESSAGE),
        ("mystery_code", "HTTP 502 Bad Gateway", GENERIC_DECLINE_MESSAGE),
        ("mystery_code", "Request failed with status 500", GENERIC_DECLINE_MESSAGE),
        ("mystery_code", "<html><body>oops</body></html>", GENERIC_DECLINE_MESSAGE),
        ("mystery_code", "x" * 500, GENERIC_DECLINE_MESSAGE),
        ("mystery_code", "bad\x00byte", GENERIC_DECLINE_MESSAGE),
    ],
)
def test_fallback(code: str | None, justifi_message: str | None, expected: str) -> None:
    assert cashier_message(code, justifi_message) == expected


def test_messages_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        CASHIER_MESSAGES["card_declined"] = "x"  # type: ignore[index]


@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()))
def test_cashier_message_is_always_a_plain_sentence(
    code: str | None, justifi_message: str | None
) -> None:
    message = cashier_message(code, justifi_message)
    assert message
    assert message[-1] in ".!?"
    assert len(message) <= 201
    assert "{" not in message
    assert "\n" not in message
