"""JustifiClient: paths, bodies and query strings of each call, and the models it returns."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from pos_app.justifi.client import JustifiClient
from pos_app.justifi.errors import MalformedResponse
from pos_app.justifi.gateway import JustifiGateway
from pos_app.justifi.http import JustifiHttp
from pos_app.justifi.models import Page, Payment, PaymentIntent
from pos_app.services.ports import GatewayUnavailableError

BASE = "https://api.test.justifi"

Route = Callable[[httpx.Request], httpx.Response]


def envelope(data: Any, type_: str, page_info: Any = None) -> dict[str, Any]:
    object_id = data.get("id") if isinstance(data, dict) else 1
    return {"id": object_id, "type": type_, "data": data, "page_info": page_info}


def page(
    items: list[dict[str, Any]], has_next: bool = False, end: str | None = None
) -> dict[str, Any]:
    info = {"has_previous": False, "has_next": has_next, "start_cursor": "s", "end_cursor": end}
    return {"id": 1, "type": "array", "data": items, "page_info": info}


INTENT = {
    "id": "pi_1",
    "account_id": "acc_1",
    "amount": 1799,
    "currency": "usd",
    "description": "Order 1042",
    "metadata": {"lane": "front"},
    "status": "requires_payment_method",
    "created_at": "2024-05-01T10:00:00Z",
    "updated_at": "2024-05-01T10:00:00Z",
}
PAYMENT = {
    "id": "py_1",
    "amount": 1799,
    "amount_refunded": 0,
    "amount_refundable": 1799,
    "status": "succeeded",
    "payment_mode": "card_present",
    "terminal_id": "trm_1",
    "payment_intent_id": "pi_1",
    "payment_method": {"card_present": {"brand": "Visa", "last4": "4242", "cardholder_name": "A"}},
    "created_at": "2024-05-01T10:00:05Z",
}
REFUND = {"id": "re_1", "payment_id": "py_1", "amount": 500, "status": "succeeded"}
CHECKOUT = {
    "id": "cho_1",
    "account_id": "acc_1",
    "amount": 1799,
    "description": "Order 1042",
    "status": "completed",
    "successful_payment_id": "py_1",
    "completions": [
        {"id": "chc_1", "payment_mode": "card_present", "status": "succeeded", "payment_id": "py_1"}
    ],
}
TERMINAL = {"id": "trm_1", "account_id": "acc_1", "nickname": "Front", "status": "connected"}


def _json_route(status: int, body: Any) -> Route:
    def route(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body)

    return route


class FakeApi:
    """Routes ``(method, path)`` to canned answers and records every API request."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], list[Route]] = {}
        self.requests: list[httpx.Request] = []

    def on(self, method: str, path: str, *answers: Any, status: int = 200) -> None:
        queue = self.routes.setdefault((method, path), [])
        for answer in answers:
            if callable(answer):
                queue.append(answer)
            else:
                queue.append(_json_route(status, answer))

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "tok"})
        self.requests.append(request)
        queue = self.routes.get((request.method, request.url.path))
        if not queue:
            return httpx.Response(404, json={"error": {"code": "not_found", "message": "no route"}})
        route = queue.pop(0) if len(queue) > 1 else queue[0]
        return route(request)

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def last_json(self) -> Any:
        return json.loads(self.last.content)


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
async def client(api: FakeApi) -> AsyncIterator[JustifiClient]:
    async def no_sleep(_seconds: float) -> None:
        return None

    transport = httpx.AsyncClient(transport=httpx.MockTransport(api.handler))
    http = JustifiHttp(BASE, "cid", "secret", "acc_sub", client=transport, sleep=no_sleep)
    yield JustifiClient(http)
    await transport.aclose()


# --- payment intents --------------------------------------------------------------------------


async def test_create_payment_intent(api: FakeApi, client: JustifiClient) -> None:
    api.on("POST", "/v1/payment_intents", envelope(INTENT, "payment_intent"), status=201)
    intent = await client.create_payment_intent(
        1799, "usd", "Order 1042", {"lane": "front"}, idempotency_key="journal-1"
    )
    assert isinstance(intent, PaymentIntent)
    assert (intent.id, intent.amount, intent.metadata) == ("pi_1", 1799, {"lane": "front"})
    assert api.last_json() == {
        "amount": 1799,
        "currency": "usd",
        "description": "Order 1042",
        "metadata": {"lane": "front"},
    }
    assert api.last.headers["Idempotency-Key"] == "journal-1"
    assert api.last.headers["Sub-Account"] == "acc_sub"


@pytest.mark.parametrize(
    ("amount", "error"), [(0, ValueError), (-5, ValueError), (True, TypeError), (10.5, TypeError)]
)
async def test_amounts_must_be_positive_int_cents(
    api: FakeApi, client: JustifiClient, amount: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await client.create_payment_intent(amount, "usd", "x", None)
    assert api.requests == []


async def test_get_payment_intent(api: FakeApi, client: JustifiClient) -> None:
    api.on("GET", "/v1/payment_intents/pi_1", envelope(INTENT, "payment_intent"))
    intent = await client.get_payment_intent("pi_1")
    assert intent.status == "requires_payment_method"
    assert intent.created_at == datetime(2024, 5, 1, 10, tzinfo=UTC)


async def test_list_payment_intents_one_page(api: FakeApi, client: JustifiClient) -> None:
    api.on("GET", "/v1/payment_intents", page([INTENT], has_next=True, end="c1"))
    result = await client.list_payment_intents(limit=10, after_cursor="c0")
    assert isinstance(result, Page)
    assert [i.id for i in result.items] == ["pi_1"]
    assert result.next_cursor == "c1"
    assert dict(api.last.url.params) == {"limit": "10", "after_cursor": "c0"}


@pytest.mark.parametrize("limit", [0, 101])
async def test_limit_out_of_range(client: JustifiClient, limit: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        await client.list_payment_intents(limit=limit)


async def test_update_payment_intent_sends_only_given_fields(
    api: FakeApi, client: JustifiClient
) -> None:
    api.on("PATCH", "/v1/payment_intents/pi_1", envelope(INTENT, "payment_intent"))
    await client.update_payment_intent("pi_1", metadata={"receipt": "R-9"})
    assert api.last.method == "PATCH"
    assert api.last_json() == {"metadata": {"receipt": "R-9"}}


async def test_payment_intent_payments(api: FakeApi, client: JustifiClient) -> None:
    failed = {**PAYMENT, "id": "py_0", "status": "failed", "error_code": "card_declined"}
    api.on("GET", "/v1/payment_intents/pi_1/payments", page([failed, PAYMENT]))
    payments = await client.payment_intent_payments("pi_1")
    assert [(p.id, p.status, p.error_code) for p in payments] == [
        ("py_0", "failed", "card_declined"),
        ("py_1", "succeeded", None),
    ]


# --- checkouts ----------------------------------------------------------------------------------


async def test_create_and_get_checkout(api: FakeApi, client: JustifiClient) -> None:
    created = {**CHECKOUT, "status": "created", "completions": [], "successful_payment_id": None}
    api.on("POST", "/v1/checkouts", envelope(created, "checkout"), status=201)
    api.on("GET", "/v1/checkouts/cho_1", envelope(CHECKOUT, "checkout"))

    checkout = await client.create_checkout(1799, "Order 1042", idempotency_key="k-cho")
    assert checkout.status == "created"
    assert api.last_json() == {"amount": 1799, "description": "Order 1042"}
    assert api.last.headers["Idempotency-Key"] == "k-cho"

    checkout = await client.get_checkout("cho_1")
    assert checkout.successful_payment_id == "py_1"
    assert checkout.completions[0].payment_id == "py_1"


async def test_list_checkouts(api: FakeApi, client: JustifiClient) -> None:
    api.on("GET", "/v1/checkouts", page([CHECKOUT]))
    result = await client.list_checkouts()
    assert [c.id for c in result.items] == ["cho_1"]
    assert dict(api.last.url.params) == {"limit": "25"}


@pytest.mark.parametrize(("amount", "body"), [(500, {"amount": 500}), (None, {})])
async def test_refund_checkout(
    api: FakeApi, client: JustifiClient, amount: int | None, body: dict[str, Any]
) -> None:
    api.on("POST", "/v1/checkouts/cho_1/refunds", envelope(REFUND, "refund"), status=201)
    refund = await client.refund_checkout("cho_1", amount, idempotency_key="k-re")
    assert refund.id == "re_1"
    assert api.last_json() == body
    assert api.last.headers["Idempotency-Key"] == "k-re"


# --- terminals ----------------------------------------------------------------------------------


async def test_list_terminals_follows_every_page(api: FakeApi, client: JustifiClient) -> None:
    api.on(
        "GET",
        "/v1/terminals",
        page([{**TERMINAL, "id": "trm_1"}], has_next=True, end="c1"),
        page([{**TERMINAL, "id": "trm_2"}], has_next=True, end="c2"),
        page([{**TERMINAL, "id": "trm_3"}], has_next=False, end="c3"),
    )
    terminals = await client.list_terminals(status="connected")
    assert [t.id for t in terminals] == ["trm_1", "trm_2", "trm_3"]
    params = [dict(r.url.params) for r in api.requests]
    assert params == [
        {"limit": "100", "status": "connected"},
        {"limit": "100", "status": "connected", "after_cursor": "c1"},
        {"limit": "100", "status": "connected", "after_cursor": "c2"},
    ]


async def test_list_terminals_stops_on_a_repeated_cursor(
    api: FakeApi, client: JustifiClient
) -> None:
    api.on("GET", "/v1/terminals", page([TERMINAL], has_next=True, end="same"))
    terminals = await client.list_terminals()
    assert len(terminals) == 2
    assert len(api.requests) == 2


async def test_get_and_update_terminal(api: FakeApi, client: JustifiClient) -> None:
    api.on("GET", "/v1/terminals/trm_1", envelope(TERMINAL, "terminal", "string"))
    api.on("PATCH", "/v1/terminals/trm_1", envelope({**TERMINAL, "nickname": "Back"}, "terminal"))
    assert (await client.get_terminal("trm_1")).display_name == "Front"
    updated = await client.update_terminal("trm_1", "Back")
    assert updated.nickname == "Back"
    assert api.last_json() == {"nickname": "Back"}


@pytest.mark.parametrize(("status", "ready"), [("CONNECTED", True), ("ACTIVE", False)])
async def test_terminal_status(
    api: FakeApi, client: JustifiClient, status: str, ready: bool
) -> None:
    data = {"id": "trm_1", "status": status, "last_date_time_active": "2024-05-01T10:00:00Z"}
    api.on("GET", "/v1/terminals/trm_1/status", envelope(data, "terminal", "string"))
    assert (await client.terminal_status("trm_1")).is_ready is ready


async def test_identify_terminal(api: FakeApi, client: JustifiClient) -> None:
    api.on("POST", "/v1/terminals/trm_1/identify", lambda _r: httpx.Response(204))
    await client.identify_terminal("trm_1")
    assert (api.last.method, api.last.url.path) == ("POST", "/v1/terminals/trm_1/identify")


async def test_terminal_pay_intent(api: FakeApi, client: JustifiClient) -> None:
    answer = {
        "id": "tmses_1",
        "type": "terminal_payment_intent",
        "data": {"payment_intent": INTENT, "terminal": {"id": "trm_1"}},
        "page_info": "string",
    }
    api.on("POST", "/v1/terminals/pay", answer, status=201)
    session = await client.terminal_pay_intent("pi_1", "trm_1", idempotency_key="k-pay")
    assert (session.id, session.terminal_id, session.payment_intent_id) == (
        "tmses_1",
        "trm_1",
        "pi_1",
    )
    assert api.last_json() == {"payment_intent_id": "pi_1", "terminal_id": "trm_1"}
    assert api.last.headers["Idempotency-Key"] == "k-pay"


async def test_terminal_pay_checkout(api: FakeApi, client: JustifiClient) -> None:
    data = {
        "id": "tses_1",
        "session_type": "payment",
        "status": "created",
        "checkout_id": "cho_1",
        "payment_id": None,
        "terminal_id": "trm_1",
        "account_id": "acc_1",
    }
    api.on("POST", "/v1/terminals/pay", envelope(data, "terminal_sessions"), status=201)
    session = await client.terminal_pay_checkout("cho_1", "trm_1", idempotency_key="k-pay")
    assert (session.id, session.checkout_id, session.status) == ("tses_1", "cho_1", "created")
    assert api.last_json() == {"checkout_id": "cho_1", "terminal_id": "trm_1"}


async def test_terminal_refund(api: FakeApi, client: JustifiClient) -> None:
    answer = {
        "id": "tmses_2",
        "type": "terminal_payment_intent",
        "data": {"payment_intent": INTENT, "terminal": {"id": "trm_1"}},
    }
    api.on("POST", "/v1/terminals/refund", answer, status=201)
    session = await client.terminal_refund("pi_1", "trm_1", 1000, idempotency_key="k-tr")
    assert session.id == "tmses_2"
    assert api.last_json() == {"payment_intent_id": "pi_1", "terminal_id": "trm_1", "amount": 1000}
    assert api.last.headers["Idempotency-Key"] == "k-tr"


# --- payments, refunds, voids -------------------------------------------------------------------


async def test_get_payment(api: FakeApi, client: JustifiClient) -> None:
    api.on("GET", "/v1/payments/py_1", envelope(PAYMENT, "payment"))
    payment = await client.get_payment("py_1")
    assert payment.brand_last4() == ("Visa", "4242")
    assert payment.amount_refundable == 1799


async def test_list_payments_filters(api: FakeApi, client: JustifiClient) -> None:
    api.on("GET", "/v1/payments", page([PAYMENT]))
    eastern = timezone(timedelta(hours=-5))
    result = await client.list_payments(
        limit=50,
        after_cursor="c9",
        created_after=datetime(2024, 5, 1, 5, 0, tzinfo=eastern),
        created_before=datetime(2024, 5, 2),
        payment_status="succeeded",
    )
    assert isinstance(result.items[0], Payment)
    assert dict(api.last.url.params) == {
        "limit": "50",
        "after_cursor": "c9",
        "created_after": "2024-05-01T10:00:00Z",
        "created_before": "2024-05-02T00:00:00Z",
        "payment_status": "succeeded",
    }


async def test_refund_payment(api: FakeApi, client: JustifiClient) -> None:
    api.on("POST", "/v1/payments/py_1/refunds", envelope(REFUND, "refund"), status=201)
    refund = await client.refund_payment(
        "py_1", 500, "customer_request", "Changed mind", idempotency_key="k-ref"
    )
    assert (refund.id, refund.amount, refund.status) == ("re_1", 500, "succeeded")
    assert api.last_json() == {
        "amount": 500,
        "reason": "customer_request",
        "description": "Changed mind",
    }
    assert api.last.headers["Idempotency-Key"] == "k-ref"


async def test_refund_payment_full_amount_sends_no_amount(
    api: FakeApi, client: JustifiClient
) -> None:
    api.on("POST", "/v1/payments/py_1/refunds", envelope(REFUND, "refund"), status=201)
    await client.refund_payment("py_1")
    assert api.last_json() == {}


async def test_refund_reason_is_checked(api: FakeApi, client: JustifiClient) -> None:
    with pytest.raises(ValueError, match="reason"):
        await client.refund_payment("py_1", 500, "because")  # type: ignore[arg-type]
    assert api.requests == []


async def test_void_payment(api: FakeApi, client: JustifiClient) -> None:
    api.on("POST", "/v1/payments/py_1/void", envelope({**PAYMENT, "status": "canceled"}, "payment"))
    payment = await client.void_payment("py_1", idempotency_key="k-void")
    assert payment.status == "canceled"
    assert api.last.headers["Idempotency-Key"] == "k-void"


async def test_void_without_body_reads_the_payment_back(
    api: FakeApi, client: JustifiClient
) -> None:
    api.on("POST", "/v1/payments/py_1/void", lambda _r: httpx.Response(204))
    api.on("GET", "/v1/payments/py_1", envelope({**PAYMENT, "status": "canceled"}, "payment"))
    payment = await client.void_payment("py_1")
    assert payment.status == "canceled"
    assert [(r.method, r.url.path) for r in api.requests] == [
        ("POST", "/v1/payments/py_1/void"),
        ("GET", "/v1/payments/py_1"),
    ]


async def test_get_and_list_refunds(api: FakeApi, client: JustifiClient) -> None:
    api.on("GET", "/v1/refunds/re_1", envelope(REFUND, "refund"))
    api.on("GET", "/v1/refunds", page([REFUND]))
    assert (await client.get_refund("re_1")).payment_id == "py_1"
    assert [r.id for r in (await client.list_refunds(limit=5)).items] == ["re_1"]


# --- robustness -------------------------------------------------------------------------------


async def test_ids_cannot_change_the_path(api: FakeApi, client: JustifiClient) -> None:
    api.on("GET", "/v1/payments/py_1/../refunds", envelope(PAYMENT, "payment"))  # decoded
    await client.get_payment("py_1/../refunds")
    assert api.last.url.raw_path == b"/v1/payments/py_1%2F..%2Frefunds"


async def test_empty_id_is_refused(client: JustifiClient) -> None:
    with pytest.raises(ValueError, match="id"):
        await client.get_payment("")


async def test_wrong_shape_is_malformed_without_echoing_card_data(
    api: FakeApi, client: JustifiClient
) -> None:
    bad = {**PAYMENT, "amount": "lots", "payment_method": {"card": {"name": "Amanda Kessel"}}}
    api.on("GET", "/v1/payments/py_1", envelope(bad, "payment"))
    with pytest.raises(MalformedResponse) as caught:
        await client.get_payment("py_1")
    text = str(caught.value)
    assert "GET /v1/payments/py_1" in text
    assert "amount" in text
    assert "lots" not in text
    assert "Amanda" not in text


async def test_list_with_non_array_data_is_malformed(api: FakeApi, client: JustifiClient) -> None:
    api.on("GET", "/v1/refunds", {"id": 1, "type": "array", "data": {"id": "re_1"}})
    with pytest.raises(MalformedResponse, match="not an array"):
        await client.list_refunds()


async def test_bare_object_without_envelope_is_tolerated(
    api: FakeApi, client: JustifiClient
) -> None:
    api.on("GET", "/v1/refunds/re_1", REFUND)
    assert (await client.get_refund("re_1")).id == "re_1"


# --- the gateway: one attempt for the engine, a small budget for the picker ---------------------


async def test_gateway_lists_terminals_with_a_budget_but_the_engine_call_is_one_attempt(
    api: FakeApi, client: JustifiClient
) -> None:
    busy = httpx.Response(503, json={"error": {"code": "server_error", "message": "busy"}})
    status = envelope({"id": "trm_1", "status": "CONNECTED"}, "terminal")
    gateway = JustifiGateway(client, lists=JustifiClient(client.http.with_attempts(3)))
    api.on("GET", "/v1/terminals", lambda _r: busy, page([TERMINAL]))
    api.on("GET", "/v1/terminals/trm_1/status", status)
    [terminal] = await gateway.list_terminals()
    assert (terminal.id, terminal.is_ready) == ("trm_1", True)
    api.on("GET", "/v1/terminals/trm_1", lambda _r: busy, envelope(TERMINAL, "terminal"))
    before = len(api.requests)
    with pytest.raises(GatewayUnavailableError) as caught:
        await gateway.terminal_info("trm_1")
    assert caught.value.reason == "JustiFi answered HTTP 503"
    assert len(api.requests) == before + 1


def test_an_envelope_that_lost_its_data_is_malformed_not_an_empty_sale() -> None:
    """Read as a bare checkout it would have no status: 'still pending', never trouble."""
    from pydantic import ValidationError

    from pos_app.justifi.models import Checkout, unwrap

    with pytest.raises(ValidationError):
        unwrap({"id": "cho_1", "type": "checkout", "page_info": None}, Checkout)
    assert unwrap({"id": "cho_1", "status": "created"}, Checkout).id == "cho_1"  # a bare object
