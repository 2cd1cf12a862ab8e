"""JustiFi's answers in the port's terms: errors, statuses, outcomes.

`guarded` and `answered` turn JustiFi's errors into the port's (each with a
plain reason); the rest reads an object's status or error into an
`Observation`, refusing a status this till does not know (schema drift is
trouble, not an outcome). Both flows and the gateway use these.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final, TypeVar

from pos_app.justifi.client import JustifiClient
from pos_app.justifi.errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequest,
    JustifiError,
    MalformedResponse,
    NetworkError,
    NotFound,
    PaymentDeclined,
    PermissionDenied,
    TransientError,
    plain_reason,
)
from pos_app.justifi.models import LastError, PaymentIntent
from pos_app.services.ports import (
    GatewayConfigError,
    GatewayRefusedError,
    GatewayUnavailableError,
    Observation,
    OutcomeKind,
    Readiness,
    SessionRef,
    TerminalRefusedError,
)

T = TypeVar("T")

CANCELED_ON_TERMINAL: Final = "canceled_on_terminal"
TERMINAL_TIMEOUT: Final = "terminal_timeout"
NOT_SENT: Final = "not_sent"
TERMINAL_REFUSALS: Final = ("terminal_not_connected", "terminal_busy")
UNKNOWN_STATUS: Final = "JustiFi answered a status this till does not know"
# What each object's `status` may be; anything else is schema drift, not an outcome.
INTENT_STATUSES: Final = frozenset(
    {"requires_payment_method", "pending", "requires_capture", "canceled", "succeeded"}
)
CHECKOUT_STATUSES: Final = frozenset({"created", "attempted", "completed", "expired"})
COMPLETION_STATUSES: Final = frozenset({"succeeded", "failed", "processing"})
REFUND_STATUSES: Final = frozenset({"pending", "succeeded", "failed"})
# 4xx statuses that are not JustiFi's answer to the request itself.
_NOT_AN_ANSWER: Final = frozenset({401, 403, 404, 408, 409, 425, 429})


async def guarded(call: Callable[[], Awaitable[T]]) -> T:
    """Run one JustiFi call, turning its errors into the port's (each with a plain reason)."""
    try:
        return await call()
    except (NetworkError, TransientError, MalformedResponse) as exc:
        retry_after = exc.retry_after if isinstance(exc, TransientError) else None
        raise GatewayUnavailableError(plain_reason(exc), retry_after=retry_after) from exc
    except (AuthenticationError, PermissionDenied) as exc:
        raise GatewayConfigError(plain_reason(exc)) from exc
    except ConflictError as exc:
        if exc.code in TERMINAL_REFUSALS:
            raise TerminalRefusedError(exc.code, exc.message) from exc
        raise GatewayUnavailableError(plain_reason(exc)) from exc
    except NotFound as exc:
        if exc.param == "terminal_id" or "terminal" in (exc.message or "").lower():
            raise TerminalRefusedError("terminal_not_found", exc.message) from exc
        raise GatewayRefusedError(
            exc.code or "not_found", exc.message, reason=plain_reason(exc)
        ) from exc
    except (InvalidRequest, PaymentDeclined, JustifiError) as exc:
        raise GatewayRefusedError(
            exc.code or "invalid_request", exc.message, reason=plain_reason(exc)
        ) from exc


async def answered(call: Callable[[], Awaitable[T]]) -> T:
    """Run a call that moves money: only JustiFi's own refusal is an answer.

    A 4xx with a JSON error code (an amount over the refundable one, outside the
    void window) raises GatewayRefusedError. Everything else (401, 403, 404, 409,
    429, 5xx, a body that is not JustiFi's, no answer) raises
    GatewayUnavailableError: the request may have been carried out, so the caller
    asks again with the same idempotency key.
    """
    try:
        return await call()
    except JustifiError as exc:
        status = exc.status
        refused = status is not None and 400 <= status < 500 and status not in _NOT_AN_ANSWER
        if refused and exc.code:
            raise GatewayRefusedError(exc.code, exc.message, reason=plain_reason(exc)) from exc
        retry_after = exc.retry_after if isinstance(exc, TransientError) else None
        raise GatewayUnavailableError(plain_reason(exc), retry_after=retry_after) from exc


def readiness(live: str | None) -> Readiness:
    """What the picker shows for a terminal's live status."""
    if live == "CONNECTED":
        return Readiness.CONNECTED
    if live == "ACTIVE":
        return Readiness.BUSY
    if live in ("DISCONNECTED", "OFFLINE"):
        return Readiness.OFFLINE
    return Readiness.UNKNOWN


def outcome_of_error(
    code: str | None, message: str | None, payment_id: str | None = None
) -> Observation:
    """A failed attempt's outcome: cancelled or timed out on the device, else declined."""
    if code == CANCELED_ON_TERMINAL:
        return Observation(OutcomeKind.CANCELLED, code=code, message=message)
    if code == TERMINAL_TIMEOUT:
        return Observation(OutcomeKind.TIMED_OUT, code=code, message=message)
    return Observation(
        OutcomeKind.DECLINED, payment_id=payment_id, code=code or "card_declined", message=message
    )


def ours(error: LastError, ref: SessionRef) -> bool:
    """Whether an intent's last error is about this attempt and not an earlier one."""
    if error.terminal_session_id and ref.session_id:
        return error.terminal_session_id == ref.session_id
    return error.terminal_id in (None, ref.terminal_id)


async def approved(
    client: JustifiClient, payment_id: str | None, intent: PaymentIntent | None
) -> Observation:
    """A paid sale's approval with the card's brand and last four (asks the payment if need be)."""
    brand, last4 = (None, None)
    if intent is not None and intent.payment_method is not None:
        brand, last4 = intent.payment_method.brand_last4()
    if not payment_id:
        # Success without the payment's id is not an answer this till can book.
        raise GatewayUnavailableError("JustiFi's answer has no payment id")
    if brand is None or last4 is None:
        payment = await guarded(lambda: client.get_payment(payment_id))
        brand, last4 = payment.brand_last4()
    return Observation(
        OutcomeKind.APPROVED, payment_id=payment_id, card_brand=brand, card_last4=last4
    )


def known_status(status: str | None, known: frozenset[str], *, optional: bool = True) -> None:
    """Refuse a status this till cannot interpret (schema drift): trouble, not an outcome.

    A missing status is allowed where the object says its outcome elsewhere
    (`optional`); an intent's status is its outcome, so it must be there.
    """
    if status is None and optional:
        return
    if status not in known:
        raise GatewayUnavailableError(UNKNOWN_STATUS)
