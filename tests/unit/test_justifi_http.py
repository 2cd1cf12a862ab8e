"""JustifiHttp against httpx.MockTransport: token, headers, idempotency, retries, errors."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from pos_app import __version__
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
from pos_app.justifi.http import DEFAULT_TIMEOUT, JustifiHttp, RetryInfo

BASE = "https://api.test.justifi"
CLIENT_ID = "test_client_id"
SECRET = "test_SECRET_s3cr3t_value"
SUB_ACCOUNT = "acc_sub123"
PI_BODY = {"id": "pi_1", "type": "payment_intent", "data": {"id": "pi_1"}, "page_info": None}

Scripted = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


class FakeJustifi:
    """Issues tokens ``tok-1``, ``tok-2``... and answers API calls from a script."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.script: list[Scripted] = []
        self.token_status = 200
        self.token_script: list[Scripted] = []

    @property
    def token_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == "/oauth/token"]

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != "/oauth/token"]

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        await asyncio.sleep(0)  # let concurrent callers interleave
        if request.url.path == "/oauth/token":
            if self.token_script:
                return _play(self.token_script.pop(0), request)
            if self.token_status != 200:
                return httpx.Response(
                    self.token_status, json={"error": {"code": "invalid_client", "message": "no"}}
                )
            return httpx.Response(200, json={"access_token": f"tok-{len(self.token_requests)}"})
        if self.script:
            return _play(self.script.pop(0), request)
        return httpx.Response(200, json=PI_BODY)


def _play(item: Scripted, request: httpx.Request) -> httpx.Response:
    if isinstance(item, Exception):
        raise item
    if isinstance(item, httpx.Response):
        return item
    return item(request)


class FakeClock:
    """A monotonic clock that only moves when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def api() -> FakeJustifi:
    return FakeJustifi()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
async def make_http(
    api: FakeJustifi, clock: FakeClock, sleeps: list[float]
) -> AsyncIterator[Callable[..., JustifiHttp]]:
    created: list[httpx.AsyncClient] = []

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    def factory(**overrides: Any) -> JustifiHttp:
        client = httpx.AsyncClient(transport=httpx.MockTransport(api.handler))
        created.append(client)
        options: dict[str, Any] = {
            "client": client,
            "sleep": fake_sleep,
            "monotonic": clock,
            "rng": random.Random(7),
        }
        options.update(overrides)
        sub_account = options.pop("sub_account", SUB_ACCOUNT)
        return JustifiHttp(BASE, CLIENT_ID, SECRET, sub_account, **options)

    yield factory
    for client in created:
        await client.aclose()


def _err(
    status: int, code: str | None = None, message: str = "nope", **extra: Any
) -> httpx.Response:
    error: dict[str, Any] = {"message": message, **extra}
    if code is not None:
        error["code"] = code
    return httpx.Response(status, json={"error": error})


# --- token ------------------------------------------------------------------------------------


async def test_token_fetched_once_and_reused(api: FakeJustifi, make_http: Any) -> None:
    http = make_http()
    assert await http.get("/v1/payment_intents/pi_1") == PI_BODY
    await http.get("/v1/payment_intents/pi_1")

    assert len(api.token_requests) == 1
    token_request = api.token_requests[0]
    assert str(token_request.url) == f"{BASE}/oauth/token"
    assert json.loads(token_request.content) == {"client_id": CLIENT_ID, "client_secret": SECRET}
    assert "Authorization" not in token_request.headers
    assert [r.headers["Authorization"] for r in api.api_requests] == ["Bearer tok-1"] * 2


async def test_token_refreshed_early(api: FakeJustifi, make_http: Any, clock: FakeClock) -> None:
    http = make_http(token_lifetime=100.0, refresh_margin=30.0)
    await http.get("/v1/terminals")
    clock.now += 69.0
    await http.get("/v1/terminals")
    assert len(api.token_requests) == 1
    clock.now += 2.0  # now past lifetime - margin, still inside the lifetime
    await http.get("/v1/terminals")
    assert len(api.token_requests) == 2
    assert api.api_requests[-1].headers["Authorization"] == "Bearer tok-2"


async def test_failed_early_refresh_keeps_the_still_valid_token(
    api: FakeJustifi, make_http: Any, clock: FakeClock
) -> None:
    http = make_http(token_lifetime=100.0, refresh_margin=30.0, max_attempts=2)
    await http.get("/v1/terminals")
    clock.now += 80.0
    api.token_script = [httpx.Response(503), httpx.Response(503)]
    await http.get("/v1/terminals")
    assert api.api_requests[-1].headers["Authorization"] == "Bearer tok-1"


async def test_401_fetches_a_new_token_and_retries_once(api: FakeJustifi, make_http: Any) -> None:
    http = make_http()
    api.script = [_err(401, "unauthorized"), httpx.Response(201, json=PI_BODY)]
    result = await http.post("/v1/payment_intents", {"amount": 1000}, idempotency_key="key-1")

    assert result == PI_BODY
    assert len(api.token_requests) == 2
    first, second = api.api_requests
    assert first.headers["Authorization"] == "Bearer tok-1"
    assert second.headers["Authorization"] == "Bearer tok-2"
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"] == "key-1"
    assert first.content == second.content


async def test_second_401_raises_authentication_error(api: FakeJustifi, make_http: Any) -> None:
    http = make_http()
    api.script = [_err(401), _err(401), httpx.Response(200, json=PI_BODY)]
    with pytest.raises(AuthenticationError) as caught:
        await http.get("/v1/payment_intents/pi_1")
    assert caught.value.status == 401
    assert len(api.api_requests) == 2
    assert len(api.token_requests) == 2


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_bad_credentials_raise_authentication_error(
    api: FakeJustifi, make_http: Any, status: int
) -> None:
    api.token_status = status
    http = make_http()
    with pytest.raises(AuthenticationError, match="JustiFi refused the client id or secret"):
        await http.get("/v1/terminals")
    assert len(api.token_requests) == 1
    assert api.api_requests == []


async def test_token_answer_without_access_token_is_malformed(
    api: FakeJustifi, make_http: Any
) -> None:
    api.token_script = [httpx.Response(200, json={"token": "x"})]
    with pytest.raises(MalformedResponse, match="access_token"):
        await make_http().get("/v1/terminals")


async def test_concurrent_callers_share_one_token_fetch(api: FakeJustifi, make_http: Any) -> None:
    http = make_http()
    await asyncio.gather(*(http.get(f"/v1/payment_intents/pi_{n}") for n in range(5)))
    assert len(api.token_requests) == 1
    assert len(api.api_requests) == 5


async def test_concurrent_401s_share_one_refresh(api: FakeJustifi, make_http: Any) -> None:
    http = make_http()
    await http.get("/v1/terminals")  # tok-1 cached
    api.script = [_err(401), _err(401), _err(401)]
    await asyncio.gather(*(http.get("/v1/terminals") for _ in range(3)))
    assert len(api.token_requests) == 2
    assert all(r.headers["Authorization"] == "Bearer tok-2" for r in api.api_requests[-3:])


# --- headers and idempotency --------------------------------------------------------------------


async def test_headers_on_every_call(api: FakeJustifi, make_http: Any) -> None:
    http = make_http()
    await http.get("/v1/terminals")
    await http.post("/v1/payment_intents", {"amount": 1000})
    await http.patch("/v1/payment_intents/pi_1", {"description": "x"})
    for request in api.api_requests:
        assert request.headers["Accept"] == "application/json"
        assert request.headers["User-Agent"] == f"pos-app/{__version__}"
        assert request.headers["Sub-Account"] == SUB_ACCOUNT
        assert "Seller-Account" not in request.headers
    for request in api.requests:
        assert "Seller-Account" not in request.headers
    post = api.api_requests[1]
    assert post.headers["Content-Type"] == "application/json"


async def test_no_sub_account_header_when_not_configured(api: FakeJustifi, make_http: Any) -> None:
    await make_http(sub_account=None).get("/v1/terminals")
    assert "Sub-Account" not in api.api_requests[0].headers
    assert "Seller-Account" not in api.api_requests[0].headers


async def test_every_post_gets_a_fresh_uuid4_key(api: FakeJustifi, make_http: Any) -> None:
    http = make_http()
    await http.post("/v1/checkouts", {"amount": 1000, "description": "a"})
    await http.post("/v1/checkouts", {"amount": 1000, "description": "a"})
    keys = [r.headers["Idempotency-Key"] for r in api.api_requests]
    assert keys[0] != keys[1]
    assert all(uuid.UUID(key).version == 4 for key in keys)


async def test_caller_key_is_sent(api: FakeJustifi, make_http: Any) -> None:
    await make_http().post("/v1/checkouts", {"amount": 1000}, idempotency_key="journal-key-7")
    assert api.api_requests[0].headers["Idempotency-Key"] == "journal-key-7"


async def test_get_carries_no_idempotency_key(api: FakeJustifi, make_http: Any) -> None:
    await make_http().get("/v1/terminals")
    assert "Idempotency-Key" not in api.api_requests[0].headers


async def test_idempotency_key_over_100_characters_is_refused(make_http: Any) -> None:
    with pytest.raises(ValueError, match="Idempotency-Key"):
        await make_http().post("/v1/checkouts", {}, idempotency_key="k" * 101)


# --- retries ------------------------------------------------------------------------------------


async def test_same_key_and_body_across_retries(
    api: FakeJustifi, make_http: Any, sleeps: list[float]
) -> None:
    infos: list[RetryInfo] = []
    http = make_http(on_retry=infos.append, max_attempts=5)
    api.script = [
        httpx.Response(503),
        httpx.ReadTimeout("slow"),
        httpx.Response(502, text="<html>bad gateway</html>"),
        httpx.Response(201, json=PI_BODY),
    ]
    body = {"amount": 1000, "currency": "usd", "metadata": {"lane": "front", "é": "ü"}}
    assert await http.post("/v1/payment_intents", body) == PI_BODY

    sent = api.api_requests
    assert len(sent) == 4
    assert len({r.headers["Idempotency-Key"] for r in sent}) == 1
    assert len({r.content for r in sent}) == 1
    assert json.loads(sent[0].content) == body
    assert len(sleeps) == 3
    assert [info.attempt for info in infos] == [1, 2, 3]
    assert [info.reason for info in infos] == ["HTTP 503", "no answer within 5 s", "HTTP 502"]
    assert [info.delay for info in infos] == sleeps


async def test_5xx_burst_then_success(api: FakeJustifi, make_http: Any) -> None:
    api.script = [httpx.Response(500), httpx.Response(503), httpx.Response(200, json=PI_BODY)]
    assert await make_http(max_attempts=5).get("/v1/payment_intents/pi_1") == PI_BODY
    assert len(api.api_requests) == 3


async def test_5xx_until_attempts_run_out(api: FakeJustifi, make_http: Any) -> None:
    api.script = [_err(503, "gateway_error", "Gateway error") for _ in range(4)]
    with pytest.raises(TransientError) as caught:
        await make_http(max_attempts=3).get("/v1/payment_intents/pi_1")
    assert caught.value.status == 503
    assert caught.value.code == "gateway_error"
    assert len(api.api_requests) == 3


async def test_backoff_is_exponential_with_full_jitter(
    api: FakeJustifi, make_http: Any, sleeps: list[float]
) -> None:
    api.script = [httpx.Response(503) for _ in range(6)]
    with pytest.raises(TransientError):
        await make_http(max_attempts=6, backoff_base=0.5, backoff_cap=2.0).get("/v1/terminals")
    assert len(sleeps) == 5
    for attempt, delay in enumerate(sleeps, start=1):
        assert 0 <= delay <= min(2.0, 0.5 * 2 ** (attempt - 1))


async def test_429_retry_after_is_honoured(
    api: FakeJustifi, make_http: Any, sleeps: list[float]
) -> None:
    api.script = [
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(429, headers={"Retry-After": "1000"}),
        httpx.Response(200, json=PI_BODY),
    ]
    assert await make_http(backoff_cap=4.0, max_attempts=5).get("/v1/terminals") == PI_BODY
    assert sleeps == [3.0, 16.0]  # the second is capped at 4 * backoff_cap


async def test_429_until_attempts_run_out(api: FakeJustifi, make_http: Any) -> None:
    api.script = [httpx.Response(429) for _ in range(2)]
    with pytest.raises(TransientError) as caught:
        await make_http(max_attempts=2).get("/v1/terminals")
    assert caught.value.status == 429


@pytest.mark.parametrize(
    "failure",
    [
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ReadError("connection reset"),
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectTimeout("slow"),
        httpx.WriteError("broken pipe"),
    ],
    ids=lambda exc: type(exc).__name__,
)
async def test_dropped_connection_is_retried(
    api: FakeJustifi, make_http: Any, failure: Exception
) -> None:
    api.script = [failure, httpx.Response(201, json=PI_BODY)]
    http = make_http(max_attempts=5)
    result = await http.post("/v1/payment_intents", {"amount": 1000}, idempotency_key="k1")
    assert result == PI_BODY
    assert [r.headers["Idempotency-Key"] for r in api.api_requests] == ["k1", "k1"]


@pytest.mark.parametrize(
    ("failure", "maybe_acted"),
    [
        (httpx.ReadError("reset"), True),
        (httpx.RemoteProtocolError("dropped"), True),
        (httpx.ReadTimeout("slow"), True),
        (httpx.ConnectError("refused"), False),
        (httpx.ConnectTimeout("slow"), False),
    ],
    ids=lambda value: type(value).__name__,
)
async def test_network_errors_exhausted(
    api: FakeJustifi, make_http: Any, failure: Exception, maybe_acted: bool
) -> None:
    api.script = [failure] * 3
    with pytest.raises(NetworkError) as caught:
        await make_http(max_attempts=3).post("/v1/payment_intents", {"amount": 1000})
    assert caught.value.maybe_acted is maybe_acted
    assert len(api.api_requests) == 3


async def test_connect_failures_after_a_5xx_may_have_acted(
    api: FakeJustifi, make_http: Any
) -> None:
    api.script = [httpx.Response(500), httpx.ConnectError("refused")]
    with pytest.raises(NetworkError) as caught:
        await make_http(max_attempts=2).post("/v1/payment_intents", {"amount": 1000})
    assert caught.value.maybe_acted is True


async def test_unsupported_transport_failure_is_not_retried(
    api: FakeJustifi, make_http: Any
) -> None:
    api.script = [httpx.UnsupportedProtocol("no"), httpx.Response(200, json=PI_BODY)]
    with pytest.raises(NetworkError) as caught:
        await make_http().get("/v1/terminals")
    assert caught.value.maybe_acted is False
    assert len(api.api_requests) == 1


@pytest.mark.parametrize("code", ["terminal_busy", "terminal_not_connected"])
async def test_409_terminal_state_is_not_retried(
    api: FakeJustifi, make_http: Any, sleeps: list[float], code: str
) -> None:
    api.script = [_err(409, code, "Terminal is busy"), httpx.Response(201, json=PI_BODY)]
    with pytest.raises(ConflictError) as caught:
        await make_http().post("/v1/terminals/pay", {"payment_intent_id": "pi_1"})
    assert caught.value.code == code
    assert caught.value.status == 409
    assert len(api.api_requests) == 1
    assert sleeps == []


async def test_409_in_flight_is_retried(api: FakeJustifi, make_http: Any) -> None:
    api.script = [
        _err(409, "idempotency_request_in_progress"),
        httpx.Response(409),
        _err(409, None, "Request in progress"),
        httpx.Response(201, json=PI_BODY),
    ]
    assert await make_http(max_attempts=5).post("/v1/payment_intents", {"amount": 1000}) == PI_BODY
    assert len({r.headers["Idempotency-Key"] for r in api.api_requests}) == 1
    assert len(api.api_requests) == 4


async def test_409_in_flight_until_attempts_run_out(api: FakeJustifi, make_http: Any) -> None:
    api.script = [_err(409, "in_flight") for _ in range(2)]
    with pytest.raises(ConflictError):
        await make_http(max_attempts=2).post("/v1/payment_intents", {"amount": 1000})


@pytest.mark.parametrize("status", [409, 422, 400])
async def test_idempotency_params_mismatch_is_invalid_request(
    api: FakeJustifi, make_http: Any, status: int
) -> None:
    api.script = [_err(status, "idempotency_params_mismatch"), httpx.Response(201, json=PI_BODY)]
    with pytest.raises(InvalidRequest) as caught:
        await make_http().post("/v1/payment_intents", {"amount": 1000})
    assert caught.value.code == "idempotency_params_mismatch"
    assert len(api.api_requests) == 1


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, InvalidRequest),
        (422, InvalidRequest),
        (402, PaymentDeclined),
        (403, PermissionDenied),
        (404, NotFound),
        (405, InvalidRequest),
    ],
)
async def test_other_4xx_are_not_retried(
    api: FakeJustifi,
    make_http: Any,
    sleeps: list[float],
    status: int,
    error_class: type[JustifiError],
) -> None:
    api.script = [_err(status, "some_code", "Some message", param="amount")]
    with pytest.raises(error_class) as caught:
        await make_http().post("/v1/payment_intents", {"amount": 1})
    assert caught.value.status == status
    assert caught.value.code == "some_code"
    assert caught.value.param == "amount"
    assert caught.value.message == "Some message"
    assert len(api.api_requests) == 1
    assert sleeps == []


async def test_decline_carries_decline_code(api: FakeJustifi, make_http: Any) -> None:
    api.script = [_err(402, "card_declined", "Declined", decline_code="insufficient_funds")]
    with pytest.raises(PaymentDeclined) as caught:
        await make_http().post("/v1/payment_intents", {"amount": 1000})
    assert caught.value.decline_code == "insufficient_funds"


async def test_on_retry_failure_does_not_break_the_call(api: FakeJustifi, make_http: Any) -> None:
    def broken(info: RetryInfo) -> None:
        raise RuntimeError("widget gone")

    api.script = [httpx.Response(503), httpx.Response(200, json=PI_BODY)]
    assert await make_http(on_retry=broken, max_attempts=5).get("/v1/terminals") == PI_BODY


# --- bodies ---------------------------------------------------------------------------------------


async def test_bare_string_error_body(api: FakeJustifi, make_http: Any) -> None:
    api.script = [httpx.Response(400, json={"error": "amount is required"})]
    with pytest.raises(InvalidRequest) as caught:
        await make_http().post("/v1/payment_intents", {})
    assert caught.value.message == "amount is required"
    assert caught.value.code is None


async def test_non_json_error_body(api: FakeJustifi, make_http: Any) -> None:
    api.script = [httpx.Response(404, text="<html>Not Found</html>")]
    with pytest.raises(NotFound) as caught:
        await make_http().get("/v1/payments/py_404")
    assert caught.value.code is None
    assert "/v1/payments/py_404" in caught.value.message


async def test_malformed_json_raises_malformed_response(api: FakeJustifi, make_http: Any) -> None:
    api.script = [httpx.Response(200, text="{not json" + "x" * 5000)]
    with pytest.raises(MalformedResponse) as caught:
        await make_http().get("/v1/payment_intents/pi_1")
    text = str(caught.value)
    assert "GET /v1/payment_intents/pi_1" in text
    assert "not JSON" in text
    assert text.count("x") <= 200


async def test_json_that_is_not_an_object_is_malformed(api: FakeJustifi, make_http: Any) -> None:
    api.script = [httpx.Response(200, json=[1, 2])]
    with pytest.raises(MalformedResponse, match="JSON object"):
        await make_http().get("/v1/terminals")


async def test_204_returns_none(api: FakeJustifi, make_http: Any) -> None:
    api.script = [httpx.Response(204)]
    assert await make_http().post("/v1/terminals/trm_1/identify", {}) is None


# --- secrets and logs ---------------------------------------------------------------------------


async def test_secret_and_token_never_in_errors_or_logs(
    api: FakeJustifi, make_http: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = f"bad secret {SECRET} with token tok-1"
    http = make_http(max_attempts=2)
    errors: list[BaseException] = []

    api.script = [_err(400, "bad", echo)]
    with pytest.raises(InvalidRequest) as caught:
        await http.post("/v1/payment_intents", {"amount": 1000})
    errors.append(caught.value)

    api.script = [httpx.Response(200, text=f"<{echo}>")]
    with pytest.raises(MalformedResponse) as malformed:
        await http.get("/v1/terminals")
    errors.append(malformed.value)

    api.script = [
        httpx.Response(500, json={"error": echo}),
        httpx.Response(500, json={"error": echo}),
    ]
    with pytest.raises(TransientError) as transient:
        await http.get("/v1/terminals")
    errors.append(transient.value)

    api.script = [httpx.ReadError(echo), httpx.ReadError(echo)]
    with pytest.raises(NetworkError) as network:
        await http.get("/v1/terminals")
    errors.append(network.value)

    api.token_status = 401
    http.invalidate_token()
    with pytest.raises(AuthenticationError) as auth:
        await http.get("/v1/terminals")
    errors.append(auth.value)

    for error in errors:
        for text in (str(error), repr(error)):
            assert SECRET not in text
            assert "tok-1" not in text
    assert "[redacted]" in str(errors[0])
    assert caplog.records, "the transport should log its calls"
    for record in caplog.records:
        message = record.getMessage()
        assert SECRET not in message
        assert "tok-1" not in message
        assert "Bearer" not in message
    assert SECRET not in repr(http)


async def test_logs_method_path_status_attempt(
    api: FakeJustifi, make_http: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="pos_app.justifi")
    api.script = [httpx.Response(503), httpx.Response(201, json=PI_BODY)]
    http = make_http(max_attempts=5)
    await http.post("/v1/payment_intents", {"amount": 1000, "description": "Order 7"})
    messages = [r.getMessage() for r in caplog.records if r.name == "pos_app.justifi"]
    assert any("POST /v1/payment_intents -> 503 (attempt 1/5" in m for m in messages)
    assert any("POST /v1/payment_intents -> 201 (attempt 2/5" in m for m in messages)
    assert not any("Order 7" in m for m in messages)


# --- one attempt by default: the engine owns the retry policy ----------------------------------


async def test_by_default_a_call_is_one_attempt_with_a_short_timeout(
    api: FakeJustifi, make_http: Any, sleeps: list[float]
) -> None:
    api.script = [httpx.Response(503), httpx.Response(200, json=PI_BODY)]
    http = make_http()
    assert http.max_attempts == 1
    with pytest.raises(TransientError) as caught:
        await http.get("/v1/payment_intents/pi_1")
    assert plain_reason(caught.value) == "JustiFi answered HTTP 503"
    assert len(api.api_requests) == 1
    assert sleeps == []
    assert DEFAULT_TIMEOUT.read is not None
    assert DEFAULT_TIMEOUT.read <= 5.0


async def test_one_attempt_still_refreshes_a_rejected_token_once(
    api: FakeJustifi, make_http: Any
) -> None:
    http = make_http()
    api.script = [_err(401, "token_expired"), httpx.Response(200, json=PI_BODY)]
    assert await http.get("/v1/terminals") == PI_BODY
    assert len(api.token_requests) == 2
    api.script = [_err(401, "token_expired"), _err(401, "token_expired")]
    with pytest.raises(AuthenticationError) as caught:
        await http.get("/v1/terminals")
    assert plain_reason(caught.value) == "JustiFi refused the access token"


async def test_timeout_reason_names_the_limit(api: FakeJustifi, make_http: Any) -> None:
    api.script = [httpx.ReadTimeout("slow")]
    with pytest.raises(NetworkError) as caught:
        await make_http().get("/v1/terminals")
    assert plain_reason(caught.value) == "no answer within 5 s"
    api.script = [httpx.ConnectError("refused")]
    with pytest.raises(NetworkError) as caught:
        await make_http().get("/v1/terminals")
    assert plain_reason(caught.value) == "could not connect to JustiFi"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("7", 7.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), (None, None)],
)
async def test_429_carries_retry_after_for_the_engine(
    api: FakeJustifi, make_http: Any, header: str | None, seconds: float | None
) -> None:
    headers = {"Retry-After": header} if header is not None else {}
    api.script = [httpx.Response(429, headers=headers)]
    with pytest.raises(TransientError) as caught:
        await make_http().get("/v1/terminals")
    assert caught.value.retry_after == seconds
    assert plain_reason(caught.value) == "JustiFi asked to slow down (HTTP 429)"


async def test_with_attempts_shares_the_token_and_the_client(
    api: FakeJustifi, make_http: Any
) -> None:
    single = make_http()
    budget = single.with_attempts(3)
    assert (single.max_attempts, budget.max_attempts) == (1, 3)
    await single.get("/v1/terminals")
    api.script = [httpx.Response(503), httpx.Response(200, json=PI_BODY)]
    assert await budget.get("/v1/terminals") == PI_BODY
    assert len(api.token_requests) == 1  # one token for both
    await budget.aclose()
    assert not single._client.is_closed
    with pytest.raises(ValueError, match="at least 1"):
        single.with_attempts(0)


# --- lifecycle ------------------------------------------------------------------------------------


async def test_async_with_closes_an_owned_client() -> None:
    async with JustifiHttp(BASE, CLIENT_ID, SECRET, None) as http:
        owned = http._client
        assert not owned.is_closed
    assert owned.is_closed


async def test_a_shared_client_is_left_open(make_http: Any) -> None:
    http = make_http()
    await http.aclose()
    assert not http._client.is_closed
