"""'Test connection' against the real sandbox: what works, and each thing that can be wrong.

Every failure must be a sentence a shop's IT person can act on, and the
client secret must appear in no sentence and no log record. A mock
transport stands in only for what the sandbox cannot produce (a certificate
problem, an answer that is not JSON).
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Callable

import httpx
import pytest

from pos_app.justifi.connection import check_connection
from pos_app.services.settings import (
    TLS_REASONS,
    ConnectionProblem,
    ConnectionReport,
    connection_sentence,
)
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, SUB_ACCOUNT, SandboxHandle

WRONG_SECRET = "wrong-secret-Zq8vX3kP"


@pytest.fixture(autouse=True)
def _capture_everything(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)


def assert_never_shown(
    secret: str, report: ConnectionReport, caplog: pytest.LogCaptureFixture
) -> None:
    assert secret not in report.message
    assert secret not in repr(report)
    for record in caplog.records:
        assert secret not in record.getMessage()
        assert secret not in repr(record.args)
    assert secret not in caplog.text


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sandbox_host(sandbox: SandboxHandle) -> str:
    return sandbox.url.removeprefix("http://")


async def test_success_lists_the_terminals(
    sandbox: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    expected = sandbox.ok("GET", "/v1/terminals?limit=100")["data"]
    report = await check_connection(sandbox.url, CLIENT_ID, CLIENT_SECRET, SUB_ACCOUNT)
    assert report.ok
    assert report.problem is None
    assert {t.id for t in report.terminals} == {t["id"] for t in expected}
    assert "trm_virtual" in {t.id for t in report.terminals}
    assert report.message.startswith(f"Connected to JustiFi at {sandbox_host(sandbox)}.")
    assert f"{len(expected)} terminals: " in report.message
    for terminal in expected:
        assert (terminal.get("nickname") or terminal["id"]) in report.message
    assert_never_shown(CLIENT_SECRET, report, caplog)


async def test_no_terminals_is_said_plainly(sandbox: SandboxHandle) -> None:
    # The second sub account has no terminals of its own.
    report = await check_connection(sandbox.url, CLIENT_ID, CLIENT_SECRET, "acc_sandbox_other")
    assert report.ok
    assert report.terminals == ()
    assert "No terminals are set up for this sub account yet" in report.message


async def test_a_wrong_secret_is_the_credentials_sentence(
    sandbox: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    report = await check_connection(sandbox.url, CLIENT_ID, WRONG_SECRET, SUB_ACCOUNT)
    assert not report.ok
    assert report.problem is ConnectionProblem.CREDENTIALS
    assert report.message == (
        "JustiFi did not accept the client id and secret. Check both in the JustiFi"
        " dashboard, and that they belong together (a test client id needs its test secret)."
    )
    assert_never_shown(WRONG_SECRET, report, caplog)


async def test_a_wrong_client_id_is_the_credentials_sentence(sandbox: SandboxHandle) -> None:
    report = await check_connection(sandbox.url, "test_nobody", CLIENT_SECRET, SUB_ACCOUNT)
    assert report.problem is ConnectionProblem.CREDENTIALS


async def test_a_closed_port_is_the_unreachable_sentence(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = closed_port()
    report = await check_connection(f"http://127.0.0.1:{port}", CLIENT_ID, WRONG_SECRET, None)
    assert not report.ok
    assert report.problem is ConnectionProblem.REFUSED
    assert report.problem.unreachable
    assert report.message == connection_sentence(
        ConnectionProblem.REFUSED, host=f"127.0.0.1:{port}"
    )
    assert report.message.startswith(f"Nothing at 127.0.0.1:{port} accepted the connection.")
    assert_never_shown(WRONG_SECRET, report, caplog)


async def test_a_wrong_sub_account_is_named(
    sandbox: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    report = await check_connection(sandbox.url, CLIENT_ID, CLIENT_SECRET, "acc_not_ours")
    assert not report.ok
    assert report.problem is ConnectionProblem.SUB_ACCOUNT
    assert report.message.startswith(
        "JustiFi accepted the client id and secret, but they may not use the sub account"
        " acc_not_ours."
    )
    assert_never_shown(CLIENT_SECRET, report, caplog)


async def test_an_unknown_host_is_the_dns_sentence(caplog: pytest.LogCaptureFixture) -> None:
    report = await check_connection(
        "https://no-such-host.invalid", CLIENT_ID, WRONG_SECRET, SUB_ACCOUNT
    )
    assert report.problem is ConnectionProblem.HOST_NOT_FOUND
    assert report.problem.unreachable
    assert report.message.startswith("The address no-such-host.invalid could not be found.")
    assert_never_shown(WRONG_SECRET, report, caplog)


async def test_no_answer_in_time_is_the_timeout_sentence(
    sandbox: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    sandbox.fault("slow", path="/oauth/token", delay=3)
    report = await check_connection(
        sandbox.url, CLIENT_ID, CLIENT_SECRET, SUB_ACCOUNT, answer_within=0.3
    )
    assert report.problem is ConnectionProblem.TIMEOUT
    assert report.problem.unreachable
    assert report.message.startswith(f"{sandbox_host(sandbox)} did not answer within 0.3 seconds.")
    assert_never_shown(CLIENT_SECRET, report, caplog)


async def test_https_to_a_plain_http_port_is_a_tls_problem(
    sandbox: SandboxHandle, caplog: pytest.LogCaptureFixture
) -> None:
    url = sandbox.url.replace("http://", "https://")
    report = await check_connection(url, CLIENT_ID, WRONG_SECRET, SUB_ACCOUNT)
    assert report.problem is ConnectionProblem.TLS
    assert report.message == (
        f"The secure connection to {sandbox_host(sandbox)} failed: {TLS_REASONS['not_tls']}"
    )
    assert_never_shown(WRONG_SECRET, report, caplog)


async def test_a_url_that_is_not_the_api_is_an_unexpected_answer(sandbox: SandboxHandle) -> None:
    report = await check_connection(sandbox.url + "/_sandbox", CLIENT_ID, CLIENT_SECRET, None)
    assert report.problem is ConnectionProblem.UNEXPECTED
    assert "answered, but not the way the JustiFi API does" in report.message


async def test_a_server_error_says_to_wait(sandbox: SandboxHandle) -> None:
    sandbox.fault("error_503", path="/v1/terminals")
    report = await check_connection(sandbox.url, CLIENT_ID, CLIENT_SECRET, SUB_ACCOUNT)
    assert report.problem is ConnectionProblem.SERVER_ERROR
    assert "Wait a few minutes and test again" in report.message


async def test_not_a_web_address() -> None:
    report = await check_connection("api.justifi.ai", CLIENT_ID, WRONG_SECRET, SUB_ACCOUNT)
    assert report.problem is ConnectionProblem.BAD_URL
    assert report.message.startswith("api.justifi.ai is not a web address")


# -- shapes the sandbox cannot produce ---------------------------------------------------------


def raising(error: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("handshake failed", request=request) from error

    return handler


def certificate_error(message: str) -> ssl.SSLCertVerificationError:
    error = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] {message}")
    error.verify_message = message
    error.reason = "CERTIFICATE_VERIFY_FAILED"
    return error


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (certificate_error("self-signed certificate in certificate chain"), "untrusted"),
        (certificate_error("certificate has expired"), "expired"),
        (certificate_error("Hostname mismatch, certificate is not valid for 'x'."), "hostname"),
    ],
)
async def test_certificate_problems_say_which(
    error: ssl.SSLCertVerificationError, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with httpx.AsyncClient(transport=httpx.MockTransport(raising(error))) as client:
        report = await check_connection(
            "https://api.justifi.ai", CLIENT_ID, WRONG_SECRET, SUB_ACCOUNT, client=client
        )
    assert report.problem is ConnectionProblem.TLS
    assert report.message == (
        f"The secure connection to api.justifi.ai failed: {TLS_REASONS[reason]}"
    )
    assert_never_shown(WRONG_SECRET, report, caplog)


async def test_an_answer_that_is_not_json_is_unexpected(caplog: pytest.LogCaptureFixture) -> None:
    def captive_portal(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>Please sign in to the hotel wifi</html>")

    transport = httpx.MockTransport(captive_portal)
    async with httpx.AsyncClient(transport=transport) as client:
        report = await check_connection(
            "https://api.justifi.ai", CLIENT_ID, WRONG_SECRET, SUB_ACCOUNT, client=client
        )
    assert report.problem is ConnectionProblem.UNEXPECTED
    assert report.message.startswith("api.justifi.ai answered, but not the way")
    assert_never_shown(WRONG_SECRET, report, caplog)


async def test_a_server_echoing_the_secret_never_gets_it_shown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "tok_123456789"})
        terminal = {"id": "trm_1", "nickname": f"named {WRONG_SECRET}"}
        return httpx.Response(200, json={"id": 1, "type": "array", "data": [terminal]})

    async with httpx.AsyncClient(transport=httpx.MockTransport(echo)) as client:
        report = await check_connection(
            "https://api.justifi.ai", CLIENT_ID, WRONG_SECRET, SUB_ACCOUNT, client=client
        )
    assert report.ok
    assert "[redacted]" in report.message
    assert WRONG_SECRET not in report.message
    assert "tok_123456789" not in caplog.text
