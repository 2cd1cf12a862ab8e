"""The gateway's and the engine's errors are kinds of `domain.errors`: a person may read them."""

from __future__ import annotations

import pytest

from pos_app.domain.errors import (
    ConfigurationError,
    InvalidInputError,
    UnavailableError,
    UserFacingError,
    user_message,
)
from pos_app.services.payments import InvalidRequestError
from pos_app.services.ports import (
    GatewayConfigError,
    GatewayError,
    GatewayRefusedError,
    GatewayUnavailableError,
    TerminalRefusedError,
)
from pos_app.storage.journal import JournalError


@pytest.mark.parametrize(
    ("error", "kind", "message"),
    [
        (
            GatewayUnavailableError("JustiFi did not answer within 5 s", retry_after=2.0),
            UnavailableError,
            "JustiFi did not answer within 5 s",
        ),
        (
            TerminalRefusedError("terminal_busy", "The terminal is busy with another sale."),
            UnavailableError,
            "The terminal is busy with another sale.",
        ),
        (
            GatewayRefusedError("amount_too_large", "The refund is larger than the payment."),
            InvalidInputError,
            "The refund is larger than the payment.",
        ),
        (
            GatewayConfigError("JustiFi refused the credentials"),
            ConfigurationError,
            "JustiFi refused the credentials",
        ),
        (
            InvalidRequestError("Enter a refund amount above zero."),
            InvalidInputError,
            "Enter a refund amount above zero.",
        ),
        (JournalError("the journal is not writable"), UnavailableError, None),
    ],
)
def test_each_error_is_its_kind_with_a_sentence(
    error: Exception, kind: type[UserFacingError], message: str | None
) -> None:
    assert isinstance(error, kind)
    assert user_message(error) == (message or str(error))
    assert str(error) == user_message(error)


def test_a_gateway_error_keeps_its_reason_apart_from_the_cashiers_message() -> None:
    refused = GatewayRefusedError("outside_void_window", "It is too late to void this payment.")
    assert isinstance(refused, GatewayError)
    assert refused.code == "outside_void_window"
    assert refused.reason == "JustiFi refused the request (outside_void_window)"
    assert refused.message == "It is too late to void this payment."
    unavailable = GatewayUnavailableError("JustiFi answered HTTP 503", retry_after=3)
    assert (unavailable.reason, unavailable.retry_after) == ("JustiFi answered HTTP 503", 3)
