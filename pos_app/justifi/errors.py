"""Typed errors raised by the JustiFi client.

Messages come from JustiFi's error bodies (already scrubbed of credentials by the
transport) or from this package; they never hold the client secret, the access token
or a response body longer than a short excerpt. They are meant for logs and for the
service layer, which turns them into cashier sentences: never show them raw.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthenticationError",
    "ConflictError",
    "InvalidRequest",
    "JustifiError",
    "MalformedResponse",
    "NetworkError",
    "NotFound",
    "PaymentDeclined",
    "PermissionDenied",
    "TransientError",
    "plain_reason",
]


class JustifiError(Exception):
    """Base of every error from the JustiFi client.

    Attributes:
        status: HTTP status, when a response arrived.
        code: JustiFi's error code (e.g. ``card_declined``), when given.
        message: human-readable text, for logs.
        param: the request field the error is about, when given.
        decline_code: the issuer's decline reason, on declines.
        reason: a short plain sentence for the cashier's "retrying" line, when the
            raiser knows better than `plain_reason` (never a body or a token).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        reason: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.param = param
        self.decline_code = decline_code
        self.reason = reason

    def __str__(self) -> str:
        parts = [self.message]
        details = []
        if self.status is not None:
            details.append(f"HTTP {self.status}")
        if self.code:
            details.append(f"code {self.code}")
        if self.decline_code:
            details.append(f"decline {self.decline_code}")
        if details:
            parts.append(f"({', '.join(details)})")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, "
            f"message={self.message!r})"
        )


class AuthenticationError(JustifiError):
    """Credentials refused: 401 after the one refresh-and-retry, or bad id/secret."""


class PermissionDenied(JustifiError):
    """403: these credentials may not do this (e.g. wrong sub account)."""


class NotFound(JustifiError):
    """404: the id is unknown to JustiFi (or to this sub account)."""


class PaymentDeclined(JustifiError):
    """402: the card was declined. An outcome for the gateway, not a crash."""


class InvalidRequest(JustifiError):
    """400 / 422, or ``idempotency_params_mismatch``: the request itself is wrong."""


class ConflictError(JustifiError):
    """409 that was not retried or kept failing (e.g. ``terminal_busy``)."""


class TransientError(JustifiError):
    """5xx or 429 that persisted through every retry.

    ``retry_after`` is the server's ``Retry-After`` in seconds (number or HTTP date),
    when it sent one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class NetworkError(JustifiError):
    """Timeouts or dropped connections through every retry.

    ``maybe_acted`` is True when a request may have reached JustiFi (the connection
    dropped after sending, a read timed out, or a server answered an earlier attempt),
    so the outcome must be checked rather than assumed not to have happened.
    """

    def __init__(self, message: str, *, maybe_acted: bool, reason: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.maybe_acted = maybe_acted

    def __repr__(self) -> str:
        return f"NetworkError(maybe_acted={self.maybe_acted!r}, message={self.message!r})"


class MalformedResponse(JustifiError):
    """A response body that could not be parsed or did not have the expected shape."""


def plain_reason(exc: JustifiError) -> str:
    """A short plain sentence saying what went wrong, for a "retrying" line.

    Never a response body, a token or an id: only the kind of trouble and,
    where it helps, the HTTP status.
    """
    if exc.reason:
        return exc.reason
    if isinstance(exc, NetworkError):
        return "the connection to JustiFi failed"
    if isinstance(exc, MalformedResponse):
        return "JustiFi's answer could not be read"
    if isinstance(exc, AuthenticationError):
        return "JustiFi refused the access token"
    if isinstance(exc, PermissionDenied):
        return "JustiFi refused permission (HTTP 403)"
    if isinstance(exc, NotFound):
        return "JustiFi did not find it yet (HTTP 404)"
    if isinstance(exc, ConflictError):
        return "JustiFi is still busy with the request (HTTP 409)"
    if exc.status == 429:
        return "JustiFi asked to slow down (HTTP 429)"
    if exc.status is not None:
        return f"JustiFi answered HTTP {exc.status}"
    return "JustiFi's answer was not what this till expects"
