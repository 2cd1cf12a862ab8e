"""JustiFi's HTTP answers read: the JSON object of a success, or a typed error.

Every message built here is scrubbed of the secret and any token (the caller
passes its `scrub`), shortened, and never echoes a whole body. Also the plain
sentence for an attempt that got no answer, and `Retry-After` as seconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final

import httpx
from pydantic import ValidationError

from pos_app.justifi.errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequest,
    JustifiError,
    MalformedResponse,
    NotFound,
    PaymentDeclined,
    PermissionDenied,
    TransientError,
)
from pos_app.justifi.models import ErrorBody, ErrorDetail

#: Longest ``Retry-After`` kept on a TransientError (callers clamp it to their deadline).
RETRY_AFTER_LIMIT: Final = 3600.0
EXCERPT_LIMIT: Final = 200
MESSAGE_LIMIT: Final = 300

Scrub = Callable[[str], str]


def result_of(
    method: str, path: str, response: httpx.Response, scrub: Scrub
) -> dict[str, Any] | None:
    """The JSON object of a 2xx answer (None when empty); else raise its typed error."""
    status = response.status_code
    if not 200 <= status < 300:
        raise error_for(method, path, response, scrub)
    if status == 204 or not response.content.strip():
        return None
    try:
        parsed = response.json()
    except ValueError:
        raise MalformedResponse(
            f"{method} {path}: the answer is not JSON: {excerpt(response, scrub)}",
            status=status,
        ) from None
    if not isinstance(parsed, dict):
        raise MalformedResponse(
            f"{method} {path}: expected a JSON object, got {type(parsed).__name__}",
            status=status,
        )
    return parsed


def error_detail(response: httpx.Response) -> ErrorDetail:
    """JustiFi's error object in an answer, or an empty one when there is none."""
    try:
        parsed = response.json()
    except ValueError:
        return ErrorDetail()
    if not isinstance(parsed, dict) or "error" not in parsed:
        return ErrorDetail()
    try:
        return ErrorBody.model_validate(parsed).error
    except ValidationError:
        return ErrorDetail()


def error_for(method: str, path: str, response: httpx.Response, scrub: Scrub) -> JustifiError:
    """The typed error for a non-2xx answer, its message scrubbed of every secret."""
    status = response.status_code
    detail = error_detail(response)
    message = scrub(detail.message or "")[:MESSAGE_LIMIT]
    if not message:
        message = f"JustiFi answered HTTP {status} to {method} {path}"
    kwargs: dict[str, Any] = {
        "status": status,
        "code": detail.code,
        "param": detail.param,
        "decline_code": detail.decline_code,
    }
    if status == 429 or status >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), cap=RETRY_AFTER_LIMIT)
        return TransientError(message, retry_after=retry_after, **kwargs)
    error_class: type[JustifiError]
    if detail.code == "idempotency_params_mismatch" or status in (400, 422):
        error_class = InvalidRequest
    elif status == 401:
        error_class = AuthenticationError
    elif status == 402:
        error_class = PaymentDeclined
    elif status == 403:
        error_class = PermissionDenied
    elif status == 404:
        error_class = NotFound
    elif status == 409:
        error_class = ConflictError
    elif 400 <= status < 500:
        error_class = InvalidRequest
    else:
        error_class = JustifiError
        message = f"JustiFi answered an unexpected HTTP {status} to {method} {path}"
    return error_class(message, **kwargs)


def excerpt(response: httpx.Response, scrub: Scrub) -> str:
    """The start of a body that is not JustiFi's, quoted, scrubbed."""
    text = response.content[:EXCERPT_LIMIT].decode("utf-8", errors="replace")
    return repr(scrub(text))


def describe_exception(exc: Exception, timeout: httpx.Timeout) -> str:
    """A short plain sentence for a failed attempt (it becomes the "retrying" reason)."""
    if isinstance(exc, httpx.TimeoutException):
        limit = timeout.connect if isinstance(exc, httpx.ConnectTimeout) else timeout.read
        return f"no answer within {limit:g} s" if limit else "no answer in time"
    if isinstance(exc, httpx.ConnectError):
        return "could not connect to JustiFi"
    return "the connection to JustiFi dropped"


def parse_retry_after(value: str | None, *, cap: float) -> float | None:
    """``Retry-After`` as seconds (number or HTTP date), clamped to [0, cap]."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), cap)
