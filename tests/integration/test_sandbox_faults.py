"""Armed faults over real HTTP: what the client sees, and what the sandbox did."""

from __future__ import annotations

import json
import threading
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
import pytest

from tests.support.sandbox import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_SUB_ACCOUNT,
    SandboxHandle,
    wait_until,
)

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
        {"kind": "error_after_acting", "status": 501},
        {"kind": "error_after_acting", "body": "xml"},
        {"kind": "error_page", "body": "json"},
        {"kind": "malformed", "shape": "xml"},
        {"kind": "unknown_status", "value": "succeeded"},
        {"kind": "unknown_status", "value": ""},
        {"kind": "read_lag", "reads": 0},
        {"kind": "stale_list", "lag": 0},
        {"kind": "late_approval", "approve_at": -1},
        {"kind": "refuse_connections", "seconds": 61},
        {"kind": "refuse_connections", "count": 2},
        {"kind": "refuse_connections", "path": "/v1/terminals"},
        {"kind": "error_500", "probability": 0},
        {"kind": "error_500", "probability": 1.5},
        {"kind": "error_500", "seed": "x"},
        {"kind": "error_500", "terminal": ""},
        {"kind": "error_500", "sub_account": 5},
        {"kind": "error_500", "status": 502},
        {"kind": "error_500", "bogus": 1},
        {"kind": "rate_limit", "retry_after_format": "minutes"},
    ],
)
def test_bad_fault_bodies_are_400(sandbox: SandboxHandle, body: dict[str, Any]) -> None:
    response = sandbox.client.post("/_sandbox/faults", json=body)
    assert response.status_code == 400, response.text
    assert error_code(response) == "invalid_parameter"
    assert response.json()["error"]["message"]
    assert armed(sandbox) == []


@pytest.mark.parametrize("method", [5, None, ""])
def test_bad_fault_method_is_400(sandbox: SandboxHandle, method: Any) -> None:
    response = sandbox.client.post("/_sandbox/faults", json={"kind": "error_500", "method": method})
    assert response.status_code == 400, response.text
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
        {
            "id": "flt_1",
            "kind": "slow",
            "method": "*",
            "path": "*",
            "count": 1,
            "probability": 1.0,
            "seed": None,
            "terminal": None,
            "sub_account": None,
            "delay": 2.0,
            "retry_after": 1,
            "hits": 0,
        }
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


def test_a_field_of_another_kind_is_named_in_the_message(sandbox: SandboxHandle) -> None:
    response = sandbox.client.post("/_sandbox/faults", json={"kind": "error_500", "status": 502})
    assert response.status_code == 400
    assert "status does not apply to kind error_500" in response.json()["error"]["message"]


# -- 5xx after the work was done ----------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "content_type"),
    [
        (500, "json", "application/json"),
        (502, "html", "text/html"),
        (503, "text", "text/plain"),
        (504, "html", "text/html"),
    ],
)
def test_error_after_acting_did_the_work(
    sandbox: SandboxHandle, status: int, body: str, content_type: str
) -> None:
    sandbox.token()
    sandbox.fault(
        "error_after_acting", "/v1/payment_intents", method="POST", status=status, body=body
    )
    response = create_intent(sandbox, key="k-after")
    assert response.status_code == status
    assert response.headers["content-type"].startswith(content_type)
    if body == "json":
        assert error_code(response) == "server_error"
    elif body == "html":
        assert f"<title>{status} " in response.text
    else:
        assert response.text == "Service Temporarily Unavailable"
    # The intent exists: the retry with the same key gets it, and nothing new is made.
    assert objects(sandbox)["payment_intent"] == 1
    retry = create_intent(sandbox, key="k-after")
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert objects(sandbox)["payment_intent"] == 1


def test_error_after_acting_on_terminal_pay_started_the_sale(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(1000)
    sandbox.fault("error_after_acting", "/v1/terminals/pay", status=502, body="html")
    response = sandbox.pay("trm_virtual", intent_id=intent["id"])
    assert response.status_code == 502
    assert sandbox.get(f"/v1/payment_intents/{intent['id']}")["status"] == "pending"
    assert len(sandbox.control("GET", "sessions")) == 1


# -- non-JSON errors, stray 401, 403 before acting ------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "content_type", "text"),
    [
        (502, "html", "text/html", "502 Bad Gateway"),
        (504, "html", "text/html", "504 Gateway Time-out"),
        (500, "text", "text/plain", "Internal Server Error"),
    ],
)
def test_error_page_is_not_json_and_nothing_is_done(
    sandbox: SandboxHandle, status: int, body: str, content_type: str, text: str
) -> None:
    sandbox.token()
    sandbox.fault("error_page", "/v1/payment_intents", method="POST", status=status, body=body)
    response = create_intent(sandbox, key="k-page")
    assert response.status_code == status
    assert response.headers["content-type"].startswith(content_type)
    assert text in response.text
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert objects(sandbox)["payment_intent"] == 0
    retry = create_intent(sandbox, key="k-page")
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry.headers


def test_stray_401_on_a_fresh_token(sandbox: SandboxHandle) -> None:
    token = sandbox.token()
    sandbox.fault("unauthorized", "/v1/terminals")
    refused = sandbox.call("GET", "/v1/terminals")
    assert refused.status_code == 401
    assert error_code(refused) == "unauthorized"
    # The same token works on the next request: nothing was wrong with it.
    again = sandbox.client.get("/v1/terminals", headers={"Authorization": f"Bearer {token}"})
    assert again.status_code == 200


@pytest.mark.parametrize("kind", ["unauthorized", "forbidden"])
def test_token_rights_faults_never_hit_the_token_request(sandbox: SandboxHandle, kind: str) -> None:
    # From /oauth/token a 401 or 403 means wrong credentials, which no retry mends.
    sandbox.fault(kind, count=2)
    assert sandbox.token()
    refused = sandbox.call("GET", "/v1/terminals")
    assert refused.status_code in (401, 403)
    assert armed(sandbox)[0]["count"] == 1


def test_forbidden_is_justifi_shaped_403(sandbox: SandboxHandle) -> None:
    sandbox.token()
    sandbox.fault("forbidden", "/v1/payment_intents", method="POST")
    response = create_intent(sandbox)
    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "code": "forbidden",
            "message": "You do not have permission to perform this action.",
        }
    }
    assert objects(sandbox)["payment_intent"] == 0


# -- reads and lists that lag behind writes --------------------------------------------------


def test_read_lag_404s_the_new_object_n_times(sandbox: SandboxHandle) -> None:
    sandbox.token()
    sandbox.fault("read_lag", "/v1/payment_intents", reads=2)
    created = create_intent(sandbox)
    assert created.status_code == 201
    intent_id = created.json()["data"]["id"]
    reads = [sandbox.call("GET", f"/v1/payment_intents/{intent_id}") for _ in range(3)]
    assert [r.status_code for r in reads] == [404, 404, 200]
    assert error_code(reads[0]) == "not_found"
    assert reads[2].json()["data"]["id"] == intent_id
    assert sandbox.stats()["faults"]["by_kind"] == {"read_lag": 3}


def test_read_lag_on_a_checkout(sandbox: SandboxHandle) -> None:
    sandbox.fault("read_lag", "/v1/checkouts", reads=1)
    checkout = sandbox.create_checkout(1000)
    assert sandbox.call("GET", f"/v1/checkouts/{checkout['id']}").status_code == 404
    assert sandbox.call("GET", f"/v1/checkouts/{checkout['id']}").status_code == 200


@pytest.mark.parametrize("path", ["/v1/payment_intents", "/v1/payments", "/v1/refunds"])
def test_stale_list_leaves_out_recent_objects(sandbox: SandboxHandle, path: str) -> None:
    old = sandbox.paid_intent(1000)
    sandbox.ok("POST", f"/v1/payments/{old['successful_payment_id']}/refunds", {"amount": 100})
    sandbox.set_time(advance=120)
    new = sandbox.paid_intent(2000)
    sandbox.ok("POST", f"/v1/payments/{new['successful_payment_id']}/refunds", {"amount": 100})
    sandbox.fault("stale_list", path, lag=60)
    stale = sandbox.ok("GET", path)["data"]
    fresh = sandbox.ok("GET", path)["data"]
    assert len(stale) == 1
    assert len(fresh) == 2
    assert stale[0] == fresh[1]  # the older object, newest-first order kept


def test_stale_list_on_checkouts_with_probability_is_unlimited(sandbox: SandboxHandle) -> None:
    sandbox.create_checkout(1000)
    listing = sandbox.fault("stale_list", "/v1/checkouts", probability=1.0, lag=30)
    assert listing["count"] is None
    for _ in range(3):
        assert sandbox.ok("GET", "/v1/checkouts")["data"] == []
    sandbox.set_time(advance=31)
    assert len(sandbox.ok("GET", "/v1/checkouts")["data"]) == 1
    assert armed(sandbox)[0]["hits"] == 4


# -- malformed 200s and unknown statuses --------------------------------------------------------


@pytest.mark.parametrize("shape", ["truncated", "array", "no_data", "wrong_type"])
def test_malformed_answers(sandbox: SandboxHandle, shape: str) -> None:
    intent = sandbox.create_intent(1234)
    sandbox.fault("malformed", "/v1/payment_intents/*", method="GET", shape=shape)
    response = sandbox.call("GET", f"/v1/payment_intents/{intent['id']}")
    assert response.status_code == 200
    if shape == "truncated":
        with pytest.raises(json.JSONDecodeError):
            response.json()
        assert response.text.startswith('{"id":')
        return
    body = response.json()
    if shape == "array":
        assert isinstance(body, list)
        assert body[0]["data"]["id"] == intent["id"]
    elif shape == "no_data":
        assert "data" not in body
        assert body["id"] == intent["id"]
    else:
        assert body["data"]["amount"] == "12.34"
    # The next read is whole again.
    assert sandbox.get(f"/v1/payment_intents/{intent['id']}")["amount"] == 1234


def test_malformed_list_has_data_of_the_wrong_type(sandbox: SandboxHandle) -> None:
    sandbox.fault("malformed", "/v1/terminals", shape="wrong_type")
    assert isinstance(sandbox.ok("GET", "/v1/terminals")["data"], dict)


def test_unknown_status_on_a_poll(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(1000)
    sandbox.fault("unknown_status", "/v1/payment_intents/*", method="GET")
    odd = sandbox.get(f"/v1/payment_intents/{intent['id']}")
    assert odd["status"] == "under_review"
    assert sandbox.get(f"/v1/payment_intents/{intent['id']}")["status"] == "requires_payment_method"
    sandbox.fault("unknown_status", "/v1/terminals/pay", value="queued_at_network")
    paid = sandbox.pay("trm_virtual", intent_id=intent["id"])
    assert paid.json()["data"]["payment_intent"]["status"] == "queued_at_network"
    # Only the answer was odd: the sale really runs.
    assert sandbox.get(f"/v1/payment_intents/{intent['id']}")["status"] == "pending"


# -- the connection, and time ---------------------------------------------------------------------


def test_refuse_connections_then_listen_again(sandbox: SandboxHandle) -> None:
    sandbox.token()
    listed = sandbox.fault("refuse_connections", seconds=1.0)
    assert listed["kind"] == "refuse_connections"
    with pytest.raises(httpx.ConnectError):
        sandbox.call("GET", "/v1/terminals")
    with httpx.Client(base_url=sandbox.url) as other, pytest.raises(httpx.ConnectError):
        other.get("/_sandbox/state")

    def answers() -> bool:
        try:
            return sandbox.call("GET", "/v1/terminals").status_code == 200
        except httpx.ConnectError:
            return False

    wait_until(answers, timeout=10)
    assert sandbox.control("GET", "faults") == []


def test_delayed_answer_acts_first(sandbox: SandboxHandle) -> None:
    sandbox.token()
    sandbox.fault("delayed_answer", "/v1/payment_intents", method="POST", delay=1.0)
    done: list[httpx.Response] = []
    started = time.monotonic()
    worker = threading.Thread(
        target=lambda: done.append(create_intent(sandbox.__class__(sandbox.url)))
    )
    worker.start()
    # The intent exists while its answer is still on its way.
    wait_until(lambda: objects(sandbox)["payment_intent"] == 1)
    assert not done
    worker.join(10)
    assert done[0].status_code == 201
    assert time.monotonic() - started >= 1.0
    assert objects(sandbox)["payment_intent"] == 1


# -- terminal behaviours ---------------------------------------------------------------------------


@pytest.mark.parametrize("flow", ["payment_intent", "checkout"])
def test_late_approval_after_the_device_timeout_succeeds(sandbox: SandboxHandle, flow: str) -> None:
    sandbox.set_time(scale=1)
    sandbox.fault("late_approval", terminal="trm_virtual", approve_at=95)
    if flow == "payment_intent":
        intent = sandbox.create_intent(1000)
        assert sandbox.pay("trm_virtual", intent_id=intent["id"]).status_code == 201
        poll = f"/v1/payment_intents/{intent['id']}"
    else:
        checkout = sandbox.create_checkout(1000)
        assert sandbox.pay("trm_virtual", checkout_id=checkout["id"]).status_code == 201
        poll = f"/v1/checkouts/{checkout['id']}"
    [session] = sandbox.control("GET", "sessions")
    assert session["device_fault"] == "late_approval"
    sandbox.set_time(advance=91)  # past the device's 90 s: nothing has happened yet
    assert sandbox.get(poll)["status"] in ("pending", "created")
    sandbox.set_time(advance=5)
    done = sandbox.get(poll)
    assert done["status"] in ("succeeded", "completed")
    assert done["successful_payment_id"]
    assert objects(sandbox)["payment"] == 1


def test_late_approval_of_a_terminal_refund(sandbox: SandboxHandle) -> None:
    sandbox.set_time(scale=1)
    intent = sandbox.paid_intent(1000)
    sandbox.fault("late_approval", "/v1/terminals/refund", approve_at=95)
    body = {"payment_intent_id": intent["id"], "terminal_id": "trm_virtual", "amount": 400}
    assert sandbox.call("POST", "/v1/terminals/refund", body).status_code == 201
    sandbox.set_time(advance=96)
    payment = sandbox.get(f"/v1/payments/{intent['successful_payment_id']}")
    assert payment["amount_refunded"] == 400


def test_never_resolves_stays_pending(sandbox: SandboxHandle) -> None:
    sandbox.set_time(scale=1)
    sandbox.fault("never_resolves", terminal="trm_front")
    intent = sandbox.create_intent(1000)  # .00 on an auto terminal would approve at 3 s
    assert sandbox.pay("trm_front", intent_id=intent["id"]).status_code == 201
    sandbox.set_time(advance=3600)
    assert sandbox.get(f"/v1/payment_intents/{intent['id']}")["status"] == "pending"
    [session] = sandbox.control("GET", "sessions")
    assert session["deadline_epoch"] is None
    assert objects(sandbox)["payment"] == 0


# -- sustained 429 ------------------------------------------------------------------------------


def test_sustained_rate_limit_with_an_http_date(sandbox: SandboxHandle) -> None:
    sandbox.token()
    sandbox.fault(
        "rate_limit",
        "/v1/terminals",
        probability=1.0,
        retry_after=30,
        retry_after_format="http_date",
    )
    responses = [sandbox.call("GET", "/v1/terminals") for _ in range(5)]
    assert {r.status_code for r in responses} == {429}
    when = parsedate_to_datetime(responses[0].headers["Retry-After"])
    assert 20 <= when.timestamp() - time.time() <= 40
    assert armed(sandbox)[0]["hits"] == 5
    sandbox.control("DELETE", "faults")
    assert sandbox.call("GET", "/v1/terminals").status_code == 200


# -- probability, seed, terminal and sub-account scope, stats -----------------------------------


def _pattern(sandbox: SandboxHandle) -> list[int]:
    sandbox.fault("error_503", "/v1/terminals", probability=0.5, seed=7)
    return [sandbox.call("GET", "/v1/terminals").status_code for _ in range(30)]


def test_probability_is_reproducible_with_a_seed(sandbox: SandboxHandle) -> None:
    first = _pattern(sandbox)
    assert set(first) == {200, 503}
    assert sandbox.stats()["faults"]["hits"] == first.count(503)
    sandbox.reset()
    assert _pattern(sandbox) == first


def test_probability_with_a_count_stops(sandbox: SandboxHandle) -> None:
    sandbox.fault("error_503", "/v1/terminals", probability=0.5, seed=1, count=2)
    statuses = [sandbox.call("GET", "/v1/terminals").status_code for _ in range(40)]
    assert statuses.count(503) == 2
    assert armed(sandbox) == []


def test_terminal_scope(sandbox: SandboxHandle) -> None:
    front = sandbox.create_intent(1000)
    side = sandbox.create_intent(1000)
    assert sandbox.pay("trm_side", intent_id=side["id"]).status_code == 201
    sandbox.fault("error_503", terminal="trm_front", count=100)
    assert sandbox.call("GET", "/v1/terminals/trm_front/status").status_code == 503
    assert sandbox.call("GET", "/v1/terminals/trm_side/status").status_code == 200
    assert sandbox.pay("trm_front", intent_id=front["id"]).status_code == 503  # body names it
    assert sandbox.call("GET", f"/v1/payment_intents/{side['id']}").status_code == 200
    sandbox.control("DELETE", "faults")
    assert sandbox.pay("trm_front", intent_id=front["id"]).status_code == 201
    sandbox.fault("error_503", terminal="trm_front", count=100)
    # Polls of the intent sent to trm_front are about trm_front.
    assert sandbox.call("GET", f"/v1/payment_intents/{front['id']}").status_code == 503
    assert sandbox.call("GET", f"/v1/payment_intents/{side['id']}").status_code == 200


def test_sub_account_scope(sandbox: SandboxHandle) -> None:
    sandbox.fault("forbidden", sub_account=OTHER_SUB_ACCOUNT, count=10)
    assert sandbox.call("GET", "/v1/terminals", sub_account=OTHER_SUB_ACCOUNT).status_code == 403
    assert sandbox.call("GET", "/v1/terminals").status_code == 200
    assert sandbox.call("GET", "/v1/terminals", sub_account=None).status_code == 200


def test_stats_count_hits_per_fault_and_kind(sandbox: SandboxHandle) -> None:
    sandbox.token()
    first = sandbox.fault("error_500", "/v1/terminals", count=2)
    second = sandbox.fault("unauthorized", "/v1/terminals", count=1)
    for _ in range(4):
        sandbox.call("GET", "/v1/terminals")
    stats = sandbox.stats()
    assert stats["faults"] == {
        "hits": 3,
        "by_kind": {"error_500": 2, "unauthorized": 1},
        "by_fault": {first["id"]: 2, second["id"]: 1},
    }
    assert stats["requests_total"] >= 4
    sandbox.control("DELETE", "faults")
    assert sandbox.stats()["faults"]["hits"] == 3  # disarming keeps the tally
    sandbox.reset()
    assert sandbox.stats()["faults"]["hits"] == 0
