"""HTTP transport for the JustiFi API: token, headers, idempotency, typed errors.

One ``JustifiHttp`` per set of credentials, over one long-lived ``httpx.AsyncClient``.
It never logs headers, bodies, the token or the secret, and scrubs the secret and any
token it has held from every error message it builds.

By default a call is ONE attempt with a short timeout (plus the one token refresh
and retry on a 401): the payment engine owns the retry policy, so it can show
"retrying" at once and keep its own deadline. Callers with no such policy (the
terminal list, reports) take a small budget with ``with_attempts``; it shares the
client and the token.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx
from pydantic import ValidationError

from pos_app import __version__
from pos_app.justifi.errors import (
    AuthenticationError,
    MalformedResponse,
    NetworkError,
    TransientError,
)
from pos_app.justifi.models import TokenResponse
from pos_app.justifi.responses import (
    describe_exception,
    error_detail,
    parse_retry_after,
    result_of,
)

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "DEFAULT_TIMEOUT",
    "DEFAULT_USER_AGENT",
    "NON_RETRYABLE_CONFLICT_CODES",
    "JustifiHttp",
    "RetryInfo",
]

logger = logging.getLogger("pos_app.justifi")

DEFAULT_TIMEOUT = httpx.Timeout(5.0)
#: Attempts per call by default: one; the engine decides what happens next.
DEFAULT_MAX_ATTEMPTS = 1
DEFAULT_USER_AGENT = f"pos-app/{__version__}"
TOKEN_PATH = "/oauth/token"
MAX_IDEMPOTENCY_KEY_LENGTH = 100

#: 409 codes that are a real state of the world, not an idempotent request still in flight.
NON_RETRYABLE_CONFLICT_CODES = frozenset(
    {"terminal_busy", "terminal_not_connected", "idempotency_params_mismatch"}
)

# Timeouts and dropped connections: worth another try with the same key and body.
_RETRYABLE_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.TimeoutException,
    httpx.NetworkError,  # ConnectError, ReadError, WriteError, CloseError
    httpx.RemoteProtocolError,
)
# Failures that prove the request never reached the server.
_NEVER_SENT_EXCEPTIONS: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
_AUTH_REFUSED_MESSAGE = "JustiFi refused the client id or secret"
_TOKEN_REFUSED_REASON = "JustiFi refused the access token"


@dataclass
class _TokenState:
    """The cached token, shared by every transport made with ``with_attempts``."""

    token: str | None = None
    obtained_at: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    retired: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class RetryInfo:
    """Why and when the transport is about to retry; passed to ``on_retry``.

    Attributes:
        method: HTTP method of the call.
        path: API path, without query string.
        attempt: the attempt that just failed (1-based).
        max_attempts: the attempt budget.
        delay: seconds the transport will wait before the next attempt.
        reason: short description (``"timeout"``, ``"connection dropped"``, ``"HTTP 503"``).
        status: HTTP status of the failed attempt, when a response arrived.
    """

    method: str
    path: str
    attempt: int
    max_attempts: int
    delay: float
    reason: str
    status: int | None = None


class JustifiHttp:
    """Authenticated JSON transport to JustiFi (one attempt per call unless told otherwise).

    Args:
        base_url: API host, e.g. ``https://api.justifi.ai`` (paths add ``/v1``).
        client_id: OAuth client id.
        client_secret: OAuth client secret; kept only in memory, never logged.
        sub_account: value of the ``Sub-Account`` header, or None to omit it.
        client: shared ``httpx.AsyncClient``; one is created (and owned) when None.
        user_agent: ``User-Agent`` header.
        timeout: per-request timeout (5 s by default).
        max_attempts: attempts per call, first one included (1 by default).
        backoff_base: first backoff ceiling in seconds (full jitter below it).
        backoff_cap: largest backoff ceiling; ``Retry-After`` is capped at 4 times it.
        sleep: awaitable sleep, injectable for tests.
        monotonic: clock for token age and timings, injectable for tests.
        token_lifetime: seconds a token lives (JustiFi: 24 h, not returned).
        refresh_margin: refresh this many seconds before the lifetime ends.
        on_retry: called with a RetryInfo before each retry sleep.
        rng: random source for jitter.
    """

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        sub_account: str | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff_base: float = 0.25,
        backoff_cap: float = 4.0,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        token_lifetime: float = 24 * 3600,
        refresh_margin: float = 3600,
        on_retry: Callable[[RetryInfo], object] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._base_url = base_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._sub_account = sub_account or None
        self._owns_client = client is None
        self._client = client if client is not None else httpx.AsyncClient(timeout=timeout)
        self._user_agent = user_agent
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._sleep = sleep
        self._monotonic = monotonic
        self._token_lifetime = token_lifetime
        self._refresh_after = max(0.0, token_lifetime - refresh_margin)
        self._on_retry = on_retry
        self._rng = rng if rng is not None else random.Random()
        self._tokens = _TokenState()

    def __repr__(self) -> str:
        return f"JustifiHttp(base_url={self._base_url!r}, sub_account={self._sub_account!r})"

    @property
    def base_url(self) -> str:
        """The API host this transport talks to."""
        return self._base_url

    @property
    def sub_account(self) -> str | None:
        """The ``Sub-Account`` sent with every call, if any."""
        return self._sub_account

    @property
    def max_attempts(self) -> int:
        """Attempts per call, the first one included."""
        return self._max_attempts

    def with_attempts(
        self, max_attempts: int, *, timeout: httpx.Timeout | None = None
    ) -> JustifiHttp:
        """A transport on the same client and token with another attempt budget.

        For callers with no retry policy of their own (the terminal list, reports).
        It never closes the shared client.
        """
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        sibling = copy.copy(self)
        sibling._max_attempts = max_attempts
        sibling._owns_client = False
        if timeout is not None:
            sibling._timeout = timeout
        return sibling

    # --- lifecycle ----------------------------------------------------------------------

    async def aclose(self) -> None:
        """Close the HTTP client if this transport created it; forget the token."""
        self._tokens.token = None
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- public calls -------------------------------------------------------------------

    async def get(
        self, path: str, *, params: Mapping[str, str | int] | None = None
    ) -> dict[str, Any] | None:
        """GET ``path`` and return the parsed JSON object."""
        return await self.request("GET", path, params=params)

    async def post(
        self,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
    ) -> dict[str, Any] | None:
        """POST ``body`` as JSON with an ``Idempotency-Key`` (generated when not given)."""
        return await self.request("POST", path, body=body, idempotency_key=idempotency_key)

    async def patch(self, path: str, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """PATCH ``body`` as JSON."""
        return await self.request("PATCH", path, body=body)

    async def request(
        self,
        method: str,
        path: str,
        *,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str | int] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any] | None:
        """Send one logical call: retries reuse the same idempotency key and body bytes.

        Returns the parsed JSON object for a 2xx answer (None for 204 or an empty body).

        Raises:
            JustifiError: a subclass matching the failure (see ``errors``).
        """
        method = method.upper()
        if not path.startswith("/"):
            raise ValueError("path must start with '/'")
        extra_headers: dict[str, str] = {}
        if method == "POST" or idempotency_key is not None:
            key = idempotency_key if idempotency_key is not None else str(uuid.uuid4())
            if not key or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
                raise ValueError("Idempotency-Key must be 1 to 100 characters")
            extra_headers["Idempotency-Key"] = key
        content = _encode(body) if body is not None else None

        token = await self._token_for_request()
        response = await self._send(method, path, content, params, extra_headers, token)
        if response.status_code == 401:
            logger.info(
                "JustiFi %s %s -> 401; fetching a new token and retrying once", method, path
            )
            token = await self._refresh_after_rejection(token)
            response = await self._send(method, path, content, params, extra_headers, token)
            if response.status_code == 401:
                detail = error_detail(response)
                raise AuthenticationError(
                    "JustiFi rejected the access token even after fetching a new one",
                    status=401,
                    code=detail.code,
                    reason=_TOKEN_REFUSED_REASON,
                )
        return result_of(method, path, response, self._scrub)

    def invalidate_token(self) -> None:
        """Forget the cached token; the next call fetches a new one."""
        self._retire_token()

    # --- token ----------------------------------------------------------------------------

    def _token_age(self) -> float:
        return self._monotonic() - self._tokens.obtained_at

    def _token_is_fresh(self) -> bool:
        return self._tokens.token is not None and self._token_age() < self._refresh_after

    async def _token_for_request(self) -> str:
        tokens = self._tokens
        if tokens.token is not None and self._token_is_fresh():
            return tokens.token
        async with tokens.lock:
            if tokens.token is not None and self._token_is_fresh():
                return tokens.token
            old = tokens.token
            old_still_valid = old is not None and self._token_age() < self._token_lifetime
            try:
                return await self._fetch_token()
            except (NetworkError, TransientError) as exc:
                if old is not None and old_still_valid:
                    # An early refresh failed; the current token still has time left.
                    logger.warning("JustiFi token refresh failed (%s); using the current one", exc)
                    return old
                raise

    async def _refresh_after_rejection(self, rejected: str) -> str:
        tokens = self._tokens
        async with tokens.lock:
            if tokens.token is not None and tokens.token != rejected:
                return tokens.token  # another caller already fetched a new one
            self._retire_token()
            return await self._fetch_token()

    def _retire_token(self) -> None:
        tokens = self._tokens
        if tokens.token is not None:
            # Remember a few old tokens so a server echoing one is still scrubbed.
            tokens.retired = [*tokens.retired[-2:], tokens.token]
        tokens.token = None

    async def _fetch_token(self) -> str:
        content = _encode({"client_id": self._client_id, "client_secret": self._client_secret})
        response = await self._send("POST", TOKEN_PATH, content, None, {}, None)
        if response.status_code in (400, 401, 403):
            detail = error_detail(response)
            raise AuthenticationError(
                _AUTH_REFUSED_MESSAGE,
                status=response.status_code,
                code=detail.code,
                reason=_AUTH_REFUSED_MESSAGE,
            )
        body = result_of("POST", TOKEN_PATH, response, self._scrub)
        try:
            token = TokenResponse.model_validate(body).access_token.get_secret_value()
        except ValidationError:
            raise MalformedResponse(
                f"POST {TOKEN_PATH}: the answer has no access_token",
                status=response.status_code,
            ) from None
        if not token:
            raise MalformedResponse(f"POST {TOKEN_PATH}: the access_token is empty")
        self._tokens.token = token
        self._tokens.obtained_at = self._monotonic()
        return token

    # --- sending and retrying ---------------------------------------------------------------

    def _headers(self, path: str, token: str | None, has_body: bool) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": self._user_agent}
        if has_body:
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if self._sub_account is not None and path != TOKEN_PATH:
            headers["Sub-Account"] = self._sub_account
        return headers

    async def _send(
        self,
        method: str,
        path: str,
        content: bytes | None,
        params: Mapping[str, str | int] | None,
        extra_headers: Mapping[str, str],
        token: str | None,
    ) -> httpx.Response:
        """Send with retries; return the last response, or raise NetworkError."""
        headers = self._headers(path, token, content is not None)
        headers.update(extra_headers)
        url = self._base_url + path
        maybe_acted = False
        attempt = 0
        while True:
            attempt += 1
            started = self._monotonic()
            try:
                response = await self._client.request(
                    method,
                    url,
                    content=content,
                    params=dict(params) if params else None,
                    headers=headers,
                    timeout=self._timeout,
                )
            except httpx.DecodingError:
                raise MalformedResponse(
                    f"{method} {path}: the response could not be decoded"
                ) from None
            except _RETRYABLE_EXCEPTIONS as exc:
                elapsed_ms = (self._monotonic() - started) * 1000
                if not isinstance(exc, _NEVER_SENT_EXCEPTIONS):
                    maybe_acted = True
                reason = describe_exception(exc, self._timeout)
                logger.warning(
                    "JustiFi %s %s failed: %s (attempt %d/%d, %.0f ms)",
                    method,
                    path,
                    reason,
                    attempt,
                    self._max_attempts,
                    elapsed_ms,
                )
                if attempt >= self._max_attempts:
                    raise NetworkError(
                        f"{method} {path}: {reason} after {attempt} attempt(s)",
                        maybe_acted=maybe_acted,
                        reason=reason,
                    ) from None
                await self._before_retry(method, path, attempt, self._backoff(attempt), reason)
                continue
            except httpx.RequestError as exc:
                # Not a flaky network: a bad URL, a proxy refusing, a local protocol error.
                raise NetworkError(
                    f"{method} {path}: could not talk to JustiFi ({type(exc).__name__})",
                    maybe_acted=maybe_acted,
                    reason="could not talk to JustiFi",
                ) from None

            elapsed_ms = (self._monotonic() - started) * 1000
            status = response.status_code
            logger.log(
                logging.DEBUG if status < 400 and method == "GET" else logging.INFO,
                "JustiFi %s %s -> %d (attempt %d/%d, %.0f ms)",
                method,
                path,
                status,
                attempt,
                self._max_attempts,
                elapsed_ms,
            )
            delay = self._retry_delay(response, attempt)
            if delay is None or attempt >= self._max_attempts:
                return response
            maybe_acted = True
            await self._before_retry(method, path, attempt, delay, f"HTTP {status}", status)

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying this response, or None when it is final."""
        status = response.status_code
        if status == 409:
            if error_detail(response).code in NON_RETRYABLE_CONFLICT_CODES:
                return None
        elif status != 429 and status < 500:
            return None
        retry_after = parse_retry_after(
            response.headers.get("Retry-After"), cap=self._backoff_cap * 4
        )
        return retry_after if retry_after is not None else self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._backoff_cap, self._backoff_base * 2 ** (attempt - 1))
        return self._rng.uniform(0, ceiling)

    async def _before_retry(
        self,
        method: str,
        path: str,
        attempt: int,
        delay: float,
        reason: str,
        status: int | None = None,
    ) -> None:
        if self._on_retry is not None:
            info = RetryInfo(method, path, attempt, self._max_attempts, delay, reason, status)
            try:
                self._on_retry(info)
            except Exception:  # a broken progress callback must not break a payment
                logger.exception("JustiFi on_retry callback failed")
        await self._sleep(delay)

    def _scrub(self, text: str) -> str:
        tokens = self._tokens
        for secret in (self._client_secret, tokens.token, *tokens.retired):
            if secret:
                text = text.replace(secret, "[redacted]")
        return text


def _encode(body: Mapping[str, Any]) -> bytes:
    """Encode once per logical call, so every retry sends identical bytes."""
    return json.dumps(dict(body), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
