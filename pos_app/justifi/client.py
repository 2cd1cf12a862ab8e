"""Typed JustiFi API calls the POS makes, over ``JustifiHttp``.

Each method maps to one documented endpoint (see ``shared/justifi/API.md``) and returns
a model from ``models``. Money is int cents. Calls that move money take an
``idempotency_key``: pass the one recorded in the journal so a retry after a crash
returns the same object instead of charging twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from pos_app.justifi.errors import MalformedResponse
from pos_app.justifi.http import JustifiHttp
from pos_app.justifi.models import (
    Checkout,
    Page,
    Payment,
    PaymentIntent,
    Refund,
    Terminal,
    TerminalPaySession,
    TerminalStatus,
    unwrap,
)

__all__ = ["MAX_PAGES", "JustifiClient", "RefundReason"]

M = TypeVar("M", bound=BaseModel)

RefundReason = Literal["duplicate", "fraudulent", "customer_request"]
_REFUND_REASONS: frozenset[str] = frozenset({"duplicate", "fraudulent", "customer_request"})

#: Safety stop when following cursors: a server that never says ``has_next: false``
#: must not loop the app forever.
MAX_PAGES = 100


class JustifiClient:
    """The JustiFi endpoints the POS uses, as typed async methods."""

    def __init__(self, http: JustifiHttp) -> None:
        self._http = http

    @property
    def http(self) -> JustifiHttp:
        """The transport underneath."""
        return self._http

    # --- payment intents -------------------------------------------------------------------

    async def create_payment_intent(
        self,
        amount_cents: int,
        currency: str = "usd",
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> PaymentIntent:
        """``POST /v1/payment_intents``."""
        body: dict[str, Any] = {"amount": _amount(amount_cents), "currency": currency}
        if description is not None:
            body["description"] = description
        if metadata is not None:
            body["metadata"] = dict(metadata)
        path = "/v1/payment_intents"
        raw = await self._http.post(path, body, idempotency_key=idempotency_key)
        return _object(raw, PaymentIntent, "POST", path)

    async def get_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        """``GET /v1/payment_intents/{id}``."""
        path = f"/v1/payment_intents/{_seg(payment_intent_id)}"
        return _object(await self._http.get(path), PaymentIntent, "GET", path)

    async def list_payment_intents(
        self,
        limit: int = 25,
        after_cursor: str | None = None,
        before_cursor: str | None = None,
    ) -> Page[PaymentIntent]:
        """``GET /v1/payment_intents``: one page."""
        return await self._page(
            "/v1/payment_intents", PaymentIntent, _paging(limit, after_cursor, before_cursor)
        )

    async def update_payment_intent(
        self,
        payment_intent_id: str,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> PaymentIntent:
        """``PATCH /v1/payment_intents/{id}`` with only the fields given."""
        body: dict[str, Any] = {}
        if description is not None:
            body["description"] = description
        if metadata is not None:
            body["metadata"] = dict(metadata)
        path = f"/v1/payment_intents/{_seg(payment_intent_id)}"
        return _object(await self._http.patch(path, body), PaymentIntent, "PATCH", path)

    async def payment_intent_payments(self, payment_intent_id: str) -> list[Payment]:
        """``GET /v1/payment_intents/{id}/payments``: every attempt on the intent."""
        path = f"/v1/payment_intents/{_seg(payment_intent_id)}/payments"
        return await self._all_pages(path, Payment, {})

    # --- checkouts -------------------------------------------------------------------------

    async def create_checkout(
        self,
        amount_cents: int,
        description: str,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Checkout:
        """``POST /v1/checkouts``."""
        body: dict[str, Any] = {"amount": _amount(amount_cents), "description": description}
        if metadata is not None:
            body["metadata"] = dict(metadata)
        path = "/v1/checkouts"
        raw = await self._http.post(path, body, idempotency_key=idempotency_key)
        return _object(raw, Checkout, "POST", path)

    async def get_checkout(self, checkout_id: str) -> Checkout:
        """``GET /v1/checkouts/{id}``."""
        path = f"/v1/checkouts/{_seg(checkout_id)}"
        return _object(await self._http.get(path), Checkout, "GET", path)

    async def list_checkouts(
        self,
        limit: int = 25,
        after_cursor: str | None = None,
        before_cursor: str | None = None,
    ) -> Page[Checkout]:
        """``GET /v1/checkouts``: one page."""
        return await self._page(
            "/v1/checkouts", Checkout, _paging(limit, after_cursor, before_cursor)
        )

    async def refund_checkout(
        self,
        checkout_id: str,
        amount_cents: int | None = None,
        idempotency_key: str | None = None,
    ) -> Refund:
        """``POST /v1/checkouts/{id}/refunds``; no amount refunds what is left."""
        body: dict[str, Any] = {}
        if amount_cents is not None:
            body["amount"] = _amount(amount_cents)
        path = f"/v1/checkouts/{_seg(checkout_id)}/refunds"
        raw = await self._http.post(path, body, idempotency_key=idempotency_key)
        return _object(raw, Refund, "POST", path)

    # --- terminals -------------------------------------------------------------------------

    async def list_terminals(self, limit: int = 100, status: str | None = None) -> list[Terminal]:
        """``GET /v1/terminals``, following ``end_cursor`` through every page."""
        params: dict[str, str | int] = _paging(limit, None, None)
        if status is not None:
            params["status"] = status
        return await self._all_pages("/v1/terminals", Terminal, params)

    async def get_terminal(self, terminal_id: str) -> Terminal:
        """``GET /v1/terminals/{id}``."""
        path = f"/v1/terminals/{_seg(terminal_id)}"
        return _object(await self._http.get(path), Terminal, "GET", path)

    async def update_terminal(self, terminal_id: str, nickname: str) -> Terminal:
        """``PATCH /v1/terminals/{id}`` ``{"nickname"}``."""
        path = f"/v1/terminals/{_seg(terminal_id)}"
        raw = await self._http.patch(path, {"nickname": nickname})
        return _object(raw, Terminal, "PATCH", path)

    async def terminal_status(self, terminal_id: str) -> TerminalStatus:
        """``GET /v1/terminals/{id}/status``: reaches the device; not for tight loops."""
        path = f"/v1/terminals/{_seg(terminal_id)}/status"
        return _object(await self._http.get(path), TerminalStatus, "GET", path)

    async def identify_terminal(self, terminal_id: str) -> None:
        """``POST /v1/terminals/{id}/identify``: the device shows its name for 20 s."""
        await self._http.post(f"/v1/terminals/{_seg(terminal_id)}/identify", {})

    async def terminal_pay_intent(
        self,
        payment_intent_id: str,
        terminal_id: str,
        idempotency_key: str | None = None,
    ) -> TerminalPaySession:
        """``POST /v1/terminals/pay`` for a payment intent; returns at once."""
        body = {"payment_intent_id": payment_intent_id, "terminal_id": terminal_id}
        return await self._terminal_session("/v1/terminals/pay", body, idempotency_key)

    async def terminal_pay_checkout(
        self,
        checkout_id: str,
        terminal_id: str,
        idempotency_key: str | None = None,
    ) -> TerminalPaySession:
        """``POST /v1/terminals/pay`` for a checkout; returns at once."""
        body = {"checkout_id": checkout_id, "terminal_id": terminal_id}
        return await self._terminal_session("/v1/terminals/pay", body, idempotency_key)

    async def terminal_refund(
        self,
        payment_intent_id: str,
        terminal_id: str,
        amount_cents: int,
        idempotency_key: str | None = None,
    ) -> TerminalPaySession:
        """``POST /v1/terminals/refund`` (this project's path): refund on the device."""
        body: dict[str, Any] = {
            "payment_intent_id": payment_intent_id,
            "terminal_id": terminal_id,
            "amount": _amount(amount_cents),
        }
        return await self._terminal_session("/v1/terminals/refund", body, idempotency_key)

    # --- payments, refunds, voids ----------------------------------------------------------

    async def get_payment(self, payment_id: str) -> Payment:
        """``GET /v1/payments/{id}``."""
        path = f"/v1/payments/{_seg(payment_id)}"
        return _object(await self._http.get(path), Payment, "GET", path)

    async def list_payments(
        self,
        limit: int = 25,
        after_cursor: str | None = None,
        created_after: datetime | None = None,
        created_before: datetime | None = None,
        payment_status: str | None = None,
        before_cursor: str | None = None,
    ) -> Page[Payment]:
        """``GET /v1/payments``: one page, optionally filtered."""
        params = _paging(limit, after_cursor, before_cursor)
        if created_after is not None:
            params["created_after"] = _iso(created_after)
        if created_before is not None:
            params["created_before"] = _iso(created_before)
        if payment_status is not None:
            params["payment_status"] = payment_status
        return await self._page("/v1/payments", Payment, params)

    async def refund_payment(
        self,
        payment_id: str,
        amount_cents: int | None = None,
        reason: RefundReason | None = None,
        description: str | None = None,
        idempotency_key: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Refund:
        """``POST /v1/payments/{id}/refunds``; no amount refunds what is refundable."""
        body: dict[str, Any] = {}
        if amount_cents is not None:
            body["amount"] = _amount(amount_cents)
        if reason is not None:
            if reason not in _REFUND_REASONS:
                raise ValueError(f"refund reason must be one of {sorted(_REFUND_REASONS)}")
            body["reason"] = reason
        if description is not None:
            body["description"] = description
        if metadata is not None:
            body["metadata"] = dict(metadata)
        path = f"/v1/payments/{_seg(payment_id)}/refunds"
        raw = await self._http.post(path, body, idempotency_key=idempotency_key)
        return _object(raw, Refund, "POST", path)

    async def void_payment(self, payment_id: str, idempotency_key: str | None = None) -> Payment:
        """``POST /v1/payments/{id}/void`` (within 25 minutes of the payment).

        The answer's shape is not documented: a payment is expected; when the body is
        empty the payment is read back.
        """
        path = f"/v1/payments/{_seg(payment_id)}/void"
        raw = await self._http.post(path, {}, idempotency_key=idempotency_key)
        if raw is None:
            return await self.get_payment(payment_id)
        return _object(raw, Payment, "POST", path)

    async def get_refund(self, refund_id: str) -> Refund:
        """``GET /v1/refunds/{id}``."""
        path = f"/v1/refunds/{_seg(refund_id)}"
        return _object(await self._http.get(path), Refund, "GET", path)

    async def list_refunds(
        self,
        limit: int = 25,
        after_cursor: str | None = None,
        before_cursor: str | None = None,
    ) -> Page[Refund]:
        """``GET /v1/refunds``: one page."""
        return await self._page("/v1/refunds", Refund, _paging(limit, after_cursor, before_cursor))

    # --- helpers ---------------------------------------------------------------------------

    async def _terminal_session(
        self, path: str, body: Mapping[str, Any], idempotency_key: str | None
    ) -> TerminalPaySession:
        raw = await self._http.post(path, body, idempotency_key=idempotency_key)
        if raw is None:
            raise MalformedResponse(f"POST {path}: empty answer where a session was expected")
        try:
            return TerminalPaySession.model_validate(raw)
        except ValidationError as exc:
            raise _malformed("POST", path, exc) from None

    async def _page(self, path: str, model: type[M], params: Mapping[str, str | int]) -> Page[M]:
        raw = await self._http.get(path, params=params)
        if raw is None:
            raise MalformedResponse(f"GET {path}: empty answer where a list was expected")
        try:
            return Page.from_body(raw, model)
        except ValidationError as exc:
            raise _malformed("GET", path, exc) from None
        except TypeError as exc:
            raise MalformedResponse(f"GET {path}: {exc}") from None

    async def _all_pages(
        self, path: str, model: type[M], params: Mapping[str, str | int]
    ) -> list[M]:
        items: list[M] = []
        seen_cursors: set[str] = set()
        query = dict(params)
        for _ in range(MAX_PAGES):
            page = await self._page(path, model, query)
            items.extend(page.items)
            cursor = page.next_cursor
            if cursor is None or cursor in seen_cursors:
                break
            seen_cursors.add(cursor)
            query["after_cursor"] = cursor
        return items


def _object(raw: Mapping[str, Any] | None, model: type[M], method: str, path: str) -> M:
    if raw is None:
        raise MalformedResponse(f"{method} {path}: empty answer where an object was expected")
    try:
        return unwrap(raw, model)
    except ValidationError as exc:
        raise _malformed(method, path, exc) from None


def _malformed(method: str, path: str, exc: ValidationError) -> MalformedResponse:
    # Field locations and pydantic's messages only: never the input values (card data).
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or '(body)'}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False, include_context=False)[:3]
    )
    return MalformedResponse(f"{method} {path}: unexpected answer shape: {problems}"[:300])


def _seg(identifier: str) -> str:
    """An id as one path segment: never empty, never able to change the path."""
    if not identifier or not identifier.strip():
        raise ValueError("an id is required")
    return quote(identifier, safe="")


def _amount(amount_cents: int) -> int:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise TypeError("amounts are int cents")
    if amount_cents <= 0:
        raise ValueError("amount must be positive")
    return amount_cents


def _paging(
    limit: int, after_cursor: str | None, before_cursor: str | None
) -> dict[str, str | int]:
    if not 1 <= limit <= 100:
        raise ValueError("limit must be between 1 and 100")
    params: dict[str, str | int] = {"limit": limit}
    if after_cursor is not None:
        params["after_cursor"] = after_cursor
    if before_cursor is not None:
        params["before_cursor"] = before_cursor
    return params


def _iso(moment: datetime) -> str:
    """ISO 8601 in UTC with ``Z``; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
