"""Test a JustiFi connection: fetch a token, list the terminals, say plainly what is wrong.

`check_connection` is the settings service's `ConnectionChecker`. It never
raises for a network or JustiFi problem: every failure becomes a
`ConnectionReport` whose sentence a shop's IT person can act on (the host
cannot be found, nothing listens there, no answer in time, a TLS problem,
wrong client id or secret, a sub account these credentials may not use, an
answer that is not JustiFi's). The client secret and the token appear in no
sentence and no log line.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Iterator

import httpx

from pos_app.justifi.client import JustifiClient
from pos_app.justifi.errors import (
    AuthenticationError,
    InvalidRequest,
    JustifiError,
    NetworkError,
    PermissionDenied,
    TransientError,
)
from pos_app.justifi.http import JustifiHttp
from pos_app.services.settings import (
    TLS_REASONS,
    ConnectionProblem,
    ConnectionReport,
    TerminalSummary,
)

__all__ = ["DEFAULT_CHECK_TIMEOUT", "check_connection"]

log = logging.getLogger("pos_app.justifi.connection")

#: Seconds to wait for each answer: long enough for a slow shop line, short enough
#: that a manager is not left wondering.
DEFAULT_CHECK_TIMEOUT = 10.0
_MIN_SCRUB_LENGTH = 6


async def check_connection(
    api_url: str,
    client_id: str,
    client_secret: str,
    sub_account: str | None,
    *,
    answer_within: float = DEFAULT_CHECK_TIMEOUT,
    client: httpx.AsyncClient | None = None,
) -> ConnectionReport:
    """Fetch a token and list the terminals; the report says what worked or what is wrong.

    Args:
        api_url: the JustiFi host, e.g. ``https://api.justifi.ai``.
        client_id: OAuth client id.
        client_secret: OAuth client secret (used for the token request only).
        sub_account: the ``Sub-Account`` whose terminals to list, or None.
        answer_within: seconds to wait for each answer; one attempt each, no retries.
        client: a shared ``httpx.AsyncClient``; a short-lived one when None.
    """
    try:
        url = httpx.URL(api_url)
    except (httpx.InvalidURL, TypeError):
        return ConnectionReport.failed(ConnectionProblem.BAD_URL, url=api_url)
    if url.scheme not in ("http", "https") or not url.host:
        return ConnectionReport.failed(ConnectionProblem.BAD_URL, url=api_url)
    port = url.port or (443 if url.scheme == "https" else 80)
    host = f"{url.host}:{url.port}" if url.port else url.host
    details: dict[str, object] = {
        "host": host,
        "port": port,
        "url": api_url,
        "seconds": _seconds(answer_within),
        "sub_account": sub_account or "",
    }
    try:
        async with JustifiHttp(
            api_url,
            client_id,
            client_secret,
            sub_account or None,
            client=client,
            timeout=httpx.Timeout(answer_within),
            max_attempts=1,
        ) as http:
            terminals = await JustifiClient(http).list_terminals()
    except JustifiError as exc:
        problem, extra = _classify(exc)
        log.info("connection test to %s failed: %s (%s)", host, problem.value, type(exc).__name__)
        report = ConnectionReport.failed(problem, **{**details, **extra})
    except httpx.InvalidURL:
        log.info("connection test to %s failed: the URL is not valid", host)
        report = ConnectionReport.failed(ConnectionProblem.BAD_URL, **details)
    else:
        summaries = [TerminalSummary(t.id, t.display_name, t.status) for t in terminals]
        log.info("connection test to %s: connected, %d terminals", host, len(summaries))
        report = ConnectionReport.connected(host, summaries)
    if len(client_secret) >= _MIN_SCRUB_LENGTH and client_secret in report.message:
        # Only a server could have put it there (a terminal named after it): never show it.
        report = ConnectionReport(
            report.ok,
            report.message.replace(client_secret, "[redacted]"),
            report.problem,
            report.terminals,
        )
    return report


def _seconds(timeout: float) -> str:
    return f"{timeout:g}"


def _classify(exc: JustifiError) -> tuple[ConnectionProblem, dict[str, object]]:
    """The problem an error from the JustiFi client stands for."""
    if isinstance(exc, NetworkError):
        return _network_problem(exc)
    if isinstance(exc, AuthenticationError):
        return ConnectionProblem.CREDENTIALS, {}
    if isinstance(exc, PermissionDenied):
        return ConnectionProblem.SUB_ACCOUNT, {}
    if isinstance(exc, InvalidRequest) and "sub_account" in f"{exc.code} {exc.param}":
        return ConnectionProblem.SUB_ACCOUNT, {}
    if isinstance(exc, TransientError):
        return ConnectionProblem.SERVER_ERROR, {}
    return ConnectionProblem.UNEXPECTED, {}  # 404, a body that is not JustiFi's, ...


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception and everything it was raised from or during, innermost last."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _network_problem(exc: NetworkError) -> tuple[ConnectionProblem, dict[str, object]]:
    causes = list(_causes(exc))
    for cause in causes:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return ConnectionProblem.TLS, {"why": TLS_REASONS[_certificate_reason(cause)]}
        if isinstance(cause, ssl.SSLError):
            reason = (cause.reason or "").upper()
            kind = "not_tls" if reason in _NOT_TLS_REASONS else "other"
            return ConnectionProblem.TLS, {"why": TLS_REASONS[kind]}
    for cause in causes:
        if isinstance(cause, httpx.UnsupportedProtocol):
            return ConnectionProblem.BAD_URL, {}
        if isinstance(cause, socket.gaierror):
            return ConnectionProblem.HOST_NOT_FOUND, {}
        if isinstance(cause, ConnectionRefusedError):
            return ConnectionProblem.REFUSED, {}
        if isinstance(cause, httpx.TimeoutException | TimeoutError):
            return ConnectionProblem.TIMEOUT, {}
    for cause in causes:
        if isinstance(cause, httpx.ConnectError):
            return ConnectionProblem.REFUSED, {}
    return ConnectionProblem.DROPPED, {}


# OpenSSL's reasons when the other side does not speak TLS at all (e.g. plain HTTP).
_NOT_TLS_REASONS = frozenset(
    {"WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "HTTP_REQUEST", "UNKNOWN_PROTOCOL"}
)


def _certificate_reason(error: ssl.SSLCertVerificationError) -> str:
    text = f"{error.verify_message} {error.reason}".lower()
    if "expired" in text or "not yet valid" in text:
        return "expired"
    if "mismatch" in text or "hostname" in text:
        return "hostname"
    return "untrusted"
