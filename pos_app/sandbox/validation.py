"""Request validation: JustiFi-shaped 4xx for a bad body or a bad field.

Every check raises `ApiError` with the field's name as `param` and a message
that says what is allowed, never echoing the value.
"""

from __future__ import annotations

import json
from typing import Any

from pos_app.sandbox.errors import ApiError

MINIMUM_AMOUNT = 51  # JustiFi: amounts must exceed 50 cents
MAXIMUM_AMOUNT = 99_999_999
CURRENCIES = ("usd", "cad")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def json_object(raw: bytes) -> dict[str, Any]:
    """A request body as a JSON object; an empty body is `{}`."""
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
        # Refuse what could be stored but never sent back (lone surrogates, say).
        json.dumps(body, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError) as exc:
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def valid_amount(raw: Any) -> int:
    """An amount in cents above JustiFi's 50-cent minimum."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ApiError(
            422, "invalid_parameter", "amount must be an integer number of cents.", param="amount"
        )
    if raw < MINIMUM_AMOUNT:
        raise ApiError(
            422, "amount_below_minimum", "amount must be greater than 50 cents.", param="amount"
        )
    if raw > MAXIMUM_AMOUNT:
        raise ApiError(
            422, "invalid_parameter", f"amount must be at most {MAXIMUM_AMOUNT}.", param="amount"
        )
    return raw


def valid_positive_int(raw: Any, param: str) -> int:
    """A positive integer (refund amounts)."""
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0 or raw > MAXIMUM_AMOUNT:
        raise ApiError(
            422, "invalid_parameter", f"{param} must be a positive integer of cents.", param=param
        )
    return raw


def valid_currency(raw: Any) -> str:
    """usd (the default) or cad."""
    if raw is None:
        return "usd"
    if not isinstance(raw, str) or raw.lower() not in CURRENCIES:
        raise ApiError(422, "invalid_parameter", "currency must be usd or cad.", param="currency")
    return raw.lower()


def valid_text(raw: Any, param: str, limit: int = 255) -> str | None:
    """An optional string of at most `limit` characters."""
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > limit:
        raise ApiError(
            422,
            "invalid_parameter",
            f"{param} must be a string of at most {limit} characters.",
            param=param,
        )
    return raw


def valid_metadata(raw: Any) -> dict[str, Any]:
    """An optional flat object of string keys and scalar values."""
    if raw is None:
        return {}
    if (
        not isinstance(raw, dict)
        or len(raw) > 50
        or not all(
            isinstance(k, str)
            and len(k) <= 40
            and (v is None or isinstance(v, str | int | float))
            and len(str(v)) <= 500
            for k, v in raw.items()
        )
    ):
        raise ApiError(
            422,
            "invalid_parameter",
            "metadata must be an object of at most 50 keys with scalar values.",
            param="metadata",
        )
    return dict(raw)


def valid_id(raw: Any, param: str) -> str:
    """A required id string."""
    if not isinstance(raw, str) or not raw or len(raw) > 100:
        raise ApiError(422, "invalid_parameter", f"{param} is required.", param=param)
    return raw
