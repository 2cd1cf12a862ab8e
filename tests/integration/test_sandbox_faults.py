"""Armed faults over real HTTP: what the client sees, and what the sandbox did."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, SandboxHandle

INTENT_BODY = {"amount": 1000, "currency": "usd", "description": "fault test"}


def objects(sandbox: SandboxHandle) -> dict[str, int]:
    return dict(sandbox.stats()["objects"])


def armed(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return list(sandbox.control("GET", "faults"))


def create_intent(sandbox: SandboxHandle, key: str = "k-fault") -> httpx.Response:
    return sandbox.call("POST", "/v1/payment_intents", INTENT_BODY, key=key)


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


# -- answered at once, nothing done ------------------------------------------------------


@pytest.mark.parametrize(("kind", "status"), [("error_500", 500), ("error_503", 503)])
def test_server_errors_create_nothing(sandbox: SandboxHandle, kind: str, status: int) -> None:
    sandbox.token()
    before = objects(sandbox)
    sandbox.fault(kind, "/v1/payment_intents", method="POST")
    response = create_intent(sandbox)
    assert response.status_code == status
    assert error_code(response) == "server_error"
    assert objects(sandbox) == before
    assert armed(sandbox) == []
    # Nothing was done under that key either: the same request now goes through.
    assert create_intent(sandbox).status_code == 201
    assert objects(sandbox)["payment_intent"] == before["payment_intent"] + 1


def test_rate_limit_is_429_with_retry_after(sandbox: SandboxHandle) -> None:
    sandbox.token()
    before = objects(sandbox)
    sandbox.fault("rate_limit", "/v1/payment_intents", method="POST", retry_after=7)
    sandbox.fault("rate_limit", "/v1/terminals")
    limited = create_intent(sandbox)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "7"
    assert error_code(limited) == "rate_limited"
    assert objects(sandbox) == before
    default = sandbox.call("GET", "/v1/terminals")
    assert default.status_code == 429
    assert default.headers["Retry-After"] == "1"


def test_slow_waits_then_acts(sandbox: SandboxHandle) -> None:
    sandbox.token()
    sandbox.fault("slow", "/v1/terminals", method="GET", delay=0.3)
    started = time.monotonic()
    response = sandbox.call("GET", "/v1/terminals")
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200
    assert response.json()["data"]
    sandbox.fault("slow", "/v1/payment_intents", method="POST", delay=0.3)
    started = time.monotonic()
    assert create_intent(sandbox).status_code == 201
    assert time.monotonic() - started >= 0.3
    assert objects(sandbox)["payment_intent"] == 1


def test_slow_token_request(sandbox: SandboxHandle) -> None:
    sandbox.fault("slow", "/oauth/token", delay=0.3)
    started = time.monotonic()
    response = sandbox.client.post(
        "/oauth/token", json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 200


# -- the connection closes -----------------------------------------------------------------


def test_drop_is_a_transport_error_and_nothing_is_done(sandbox: SandboxHandle) -> None:
    sandbox.token()
    before = objects(sandbox)
    sandbox.fault("drop", "/v1/payment_intents", method="POST")
    with pytest.raises(httpx.TransportError):
        create_intent(sandbox, key="k-drop")
    assert objects(sandbox) == before
    assert armed(sandbox) == []
    # The key was never used: the retry creates the intent, once.
    retry = create_intent(sandbox, key="k-drop")
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry.headers
    assert objects(sandbox)["payment_intent"] == before["payment_intent"] + 1


def test_drop_on_the_token_request(sandbox: SandboxHandle) -> None:
    sandbox.fault("drop", "/oauth/token")
    with pytest.raises(httpx.TransportError):
        sandbox.token()
    assert sandbox.call("GET", "/v1/terminals").status_code == 200


def test_lost_answer_was_done_and_the_retry_replays_it(sandbox: SandboxHandle) -> None:
    sandbox.token()
    sandbox.fault("lost_answer", "/v1/payment_intents", method="POST")
    with pytest.raises(httpx.TransportError):
        create_intent(sandbox, key="k-lost")
    assert objects(sandbox)["payment_intent"] == 1
    [made] = sandbox.ok("GET", "/v1/payment_intents")["data"]
    retry = create_intent(sandbox, key="k-lost")
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["data"]["id"] == made["id"]
    assert retry.json()["data"]["amount"] == INTENT_BODY["amount"]
    assert objects(sandbox)["payment_intent"] == 1


def test_lost_answer_on_terminal_pay_does_not_start_a_second_sale(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(1000)
    body = {"payment_intent_id": intent["id"], "terminal_id": "trm_virtual"}
    sandbox.fault("lost_answer", "/v1/terminals/pay")
    with pytest.raises(httpx.TransportError):
        sandbox.call("POST", "/v1/terminals/pay", body, key="k-pay")
    assert objects(sandbox)["session"] == 1
    retry = sandbox.call("POST", "/v1/terminals/pay", body, key="k-pay")
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    [running] = sandbox.control("GET", "sessions")
    assert retry.json()["id"] == running["id"]
    assert objects(sandbox)["session"] == 1
    # A retry under a new key is a new request, refused while the sale runs.
    fresh = sandbox.call("POST", "/v1/terminals/pay", body, key="k-pay-2")
    assert fresh.status_code == 409
    assert error_code(fresh) == "terminal_busy"


# -- which requests a fault hits -------------------------------------------------------------


def test_count_hits_exactly_that_many_requests(sandbox: SandboxHandle) -> None:
    sandbox.token()
    sandbox.fault("error_503", "/v1/terminals", method="GET", count=3)
    assert armed(sandbox)[0]["count"] == 3
    statuses = [sandbox.call("GET", "/v1/terminals").status_code for _ in range(5)]
    assert statuses == [503, 503, 503, 200, 200]
    assert armed(sandbox) == []


def test_method_and_path_pattern(sandbox: SandboxHandle) -> None:
    sandbox.token()
    sandbox.fault("error_500", "/v1/payment_intents/*", method="get")
    [fault] = armed(sandbox)
    assert (fault["method"], fault["path"]) == ("GET", "/v1/payment_intents/*")
    # Neither the create (other method) nor the list (path without /...) is hit.
    created = create_intent(sandbox)
    assert created.status_code == 201
    assert sandbox.call("GET", "/v1/payment_intents").status_code == 200
    assert len(armed(sandbox)) == 1
    intent_id = created.json()["data"]["id"]
    assert sandbox.call("GET", f"/v1/payment_intents/{intent_id}").status_code == 500
    assert sandbox.call("GET", f"/v1/payment_intents/{intent_id}").status_code == 200


def test_method_only_fault(sandbox: SandboxHandle) -> None:
    sandbox.token()
    sandbox.fault("error_503", method="POST")
    assert sandbox.call("GET", "/v1/terminals").status_code == 200
    assert create_intent(sandbox).status_code == 503


def test_faults_are_taken_in_the_order_armed(sandbox: SandboxHandle) -> None:
    sandbox.token()
    sandbox.fault("error_500", "/v1/terminals")
    sandbox.fault("error_503", "/v1/terminals")
    assert [sandbox.call("GET", "/v1/terminals").status_code for _ in range(3)] == [500, 503, 200]


def test_control_api_is_never_faulted(sandbox: SandboxHandle) -> None:
    sandbox.fault("error_500")
    assert sandbox.client.get("/_sandbox/state").status_code == 200
    assert sandbox.client.get("/_sandbox/stats").status_code == 200
    assert len(armed(sandbox)) == 1


def test_delete_disarms_every_fault(sandbox: SandboxHandle) -> None:
    sandbox.token()
    sandbox.fault("error_500", count=100)
    sandbox.fault("drop", "/v1/terminals")
    assert len(armed(sandbox)) == 2
    response = sandbox.client.delete("/_sandbox/faults")
    assert response.status_code == 200
    assert response.json() == []
    assert armed(sandbox) == []
    assert sandbox.call("GET", "/v1/terminals").status_code == 200
    assert create_intent(sandbox).status_code == 201


def test_reset_disarms_too(sandbox: SandboxHandle) -> None:
    sandbox.fault("error_500", count=5)
    sandbox.reset()
    assert armed(sandbox) == []


# -- arming validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"kind": "explode"},
        {"kind": None},
        {"kind": "error_500", "count": 0},
        {"kind": "error_500", "count": -1},
        {"kind": "error_500", "count": 10_001},
        {"kind": "error_500", "count": 1.5},
        {"kind": "error_500", "count": "2"},
        {"kind": "error_500", "count": True},
        {"kind": "slow", "delay": -0.1},
        {"kind": "slow", "delay": 121},
        {"kind": "slow", "delay": "1"},
        {"kind": "slow", "delay": False},
        {"kind": "rate_limit", "retry_after": -1},
        {"kind": "rate_limit", "retry_after": 1.5},
        {"kind": "rate_limit", "retry_after": "1"},
        {"kind": "error_500", "path": ""},
        {"kind": "error_500", "path": 5},
        {"kind": "error_500", "path": None},
    ],
)
def test_bad_fault_bodies_are_422(sandbox: SandboxHandle, body: dict[str, Any]) -> None:
    response = sandbox.client.post("/_sandbox/faults", json=body)
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_parameter"
    assert response.json()["error"]["message"]
    assert armed(sandbox) == []


@pytest.mark.parametrize("method", [5, None, ""])
def test_bad_fault_method_is_422(sandbox: SandboxHandle, method: Any) -> None:
    response = sandbox.client.post("/_sandbox/faults", json={"kind": "error_500", "method": method})
    assert response.status_code == 422, response.text
    assert armed(sandbox) == []


def test_fault_body_must_be_a_json_object(sandbox: SandboxHandle) -> None:
    for content in (b"[1]", b"{nope"):
        response = sandbox.client.post("/_sandbox/faults", content=content)
        assert response.status_code == 400
        assert error_code(response) == "invalid_json"
    assert armed(sandbox) == []


def test_good_fault_body_is_listed_with_defaults(sandbox: SandboxHandle) -> None:
    listed = sandbox.client.post("/_sandbox/faults", json={"kind": "slow"}).json()
    assert listed == [
        {"kind": "slow", "method": "*", "path": "*", "count": 1, "delay": 2.0, "retry_after": 1}
    ]


# -- tokens -----------------------------------------------------------------------------------


def test_expiring_tokens_through_the_control_api(sandbox: SandboxHandle) -> None:
    assert sandbox.call("GET", "/v1/terminals").status_code == 200
    old = sandbox.token()
    expired = sandbox.control("POST", "tokens/expire")
    assert expired == {"expired": 1}
    refused = sandbox.call("GET", "/v1/terminals")
    assert refused.status_code == 401
    assert error_code(refused) == "token_expired"
    sandbox._token = None  # fetch a new one, as the client does on a 401
    assert sandbox.token() != old
    assert sandbox.call("GET", "/v1/terminals").status_code == 200
    still = sandbox.client.get("/v1/terminals", headers={"Authorization": f"Bearer {old}"})
    assert still.status_code == 401
