"""The sandbox answers like JustiFi: auth, envelope, errors, scoping, idempotency, paging."""

from __future__ import annotations

import pytest

from tests.support.sandbox import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_SUB_ACCOUNT,
    SandboxHandle,
)


def error_code(response: object) -> str:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    return str(body["error"]["code"])


# -- auth -------------------------------------------------------------------------------


def test_token_for_the_demo_credentials(sandbox: SandboxHandle) -> None:
    response = sandbox.client.post(
        "/oauth/token", json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    assert response.status_code == 200
    assert set(response.json()) == {"access_token"}


@pytest.mark.parametrize(
    "body",
    [
        {"client_id": CLIENT_ID, "client_secret": "wrong"},
        {"client_id": "wrong", "client_secret": CLIENT_SECRET},
    ],
)
def test_wrong_credentials_get_401_in_justifi_shape(sandbox: SandboxHandle, body: dict) -> None:
    response = sandbox.client.post("/oauth/token", json=body)
    assert response.status_code == 401
    assert error_code(response) == "invalid_client"


def test_every_v1_call_needs_a_token(sandbox: SandboxHandle) -> None:
    assert sandbox.client.get("/v1/terminals").status_code == 401
    bad = sandbox.client.get("/v1/terminals", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert error_code(bad) == "unauthorized"


def test_token_expires_after_its_lifetime(sandbox: SandboxHandle) -> None:
    assert sandbox.call("GET", "/v1/terminals").status_code == 200
    sandbox.set_time(advance=24 * 3600 + 1)
    expired = sandbox.call("GET", "/v1/terminals")
    assert expired.status_code == 401
    assert error_code(expired) == "token_expired"


# -- envelope and Sub-Account ------------------------------------------------------------------


def test_single_object_envelope(sandbox: SandboxHandle) -> None:
    body = sandbox.ok("POST", "/v1/payment_intents", {"amount": 1234, "currency": "usd"})
    assert set(body) == {"id", "type", "data", "page_info"}
    assert body["type"] == "payment_intent"
    assert body["id"] == body["data"]["id"]
    assert body["data"]["id"].startswith("pi_")
    assert body["data"]["status"] == "requires_payment_method"
    assert body["data"]["amount"] == 1234


def test_creates_need_sub_account_header(sandbox: SandboxHandle) -> None:
    for path in ("/v1/payment_intents", "/v1/checkouts"):
        response = sandbox.call("POST", path, {"amount": 1000}, sub_account=None)
        assert response.status_code == 400
        assert response.json() == {
            "error": {
                "param": "base",
                "code": "sub_account_header_required",
                "message": "Missing required header: Sub-Account",
            }
        }


def test_unknown_sub_account_is_refused(sandbox: SandboxHandle) -> None:
    response = sandbox.call(
        "POST", "/v1/payment_intents", {"amount": 1000}, sub_account="acc_nobody"
    )
    assert response.status_code == 403


def test_objects_are_scoped_to_their_sub_account(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent()
    other = sandbox.call(
        "GET", f"/v1/payment_intents/{intent['id']}", sub_account=OTHER_SUB_ACCOUNT
    )
    assert other.status_code == 404
    assert error_code(other) == "not_found"
    listed = sandbox.ok("GET", "/v1/payment_intents", sub_account=OTHER_SUB_ACCOUNT)
    assert listed["data"] == []
    # Without the header the platform sees every sub account's objects.
    unscoped = sandbox.ok("GET", f"/v1/payment_intents/{intent['id']}", sub_account=None)
    assert unscoped["data"]["id"] == intent["id"]


def test_seller_account_alone_is_not_a_sub_account(sandbox: SandboxHandle) -> None:
    headers = {
        "Authorization": f"Bearer {sandbox.token()}",
        "Seller-Account": "acc_sandbox_demo",
        "Idempotency-Key": "k-seller",
    }
    response = sandbox.client.post("/v1/payment_intents", json={"amount": 1000}, headers=headers)
    assert response.status_code == 400


def test_unknown_route_and_method_are_justifi_errors(sandbox: SandboxHandle) -> None:
    missing = sandbox.call("GET", "/v1/nothing_here")
    assert missing.status_code == 404
    assert error_code(missing) == "not_found"
    wrong_method = sandbox.call("DELETE", "/v1/payment_intents")
    assert wrong_method.status_code == 405
    error_code(wrong_method)


# -- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        ({"amount": 50}, "amount_below_minimum", "amount"),
        ({"amount": 0}, "amount_below_minimum", "amount"),
        ({"amount": -100}, "amount_below_minimum", "amount"),
        ({"amount": 10.5}, "invalid_parameter", "amount"),
        ({"amount": "1000"}, "invalid_parameter", "amount"),
        ({"amount": True}, "invalid_parameter", "amount"),
        ({}, "invalid_parameter", "amount"),
        ({"amount": 1000, "currency": "eur"}, "invalid_parameter", "currency"),
        ({"amount": 1000, "description": 7}, "invalid_parameter", "description"),
        ({"amount": 1000, "metadata": [1]}, "invalid_parameter", "metadata"),
    ],
)
def test_invalid_intent_fields(sandbox: SandboxHandle, body: dict, code: str, param: str) -> None:
    response = sandbox.call("POST", "/v1/payment_intents", body)
    assert response.status_code == 422
    assert error_code(response) == code
    assert response.json()["error"]["param"] == param


def test_minimum_amount_is_51_cents_and_cad_is_accepted(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(51, currency="CAD")
    assert intent["amount"] == 51
    assert intent["currency"] == "cad"


def test_unknown_fields_are_ignored(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(1000, flavour="vanilla")
    assert "flavour" not in intent


def test_malformed_json_is_a_400(sandbox: SandboxHandle) -> None:
    headers = sandbox.headers(key="k-json")
    response = sandbox.client.post("/v1/payment_intents", content=b"{nope", headers=headers)
    assert response.status_code == 400
    assert error_code(response) == "invalid_json"
    listed = sandbox.client.post(
        "/v1/payment_intents", content=b"[1,2]", headers=sandbox.headers(key="k-list")
    )
    assert listed.status_code == 400


def test_update_intent_description_and_metadata(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent()
    updated = sandbox.ok(
        "PATCH",
        f"/v1/payment_intents/{intent['id']}",
        {"description": "new", "metadata": {"lane": "2"}, "amount": 1},
    )
    assert updated["data"]["description"] == "new"
    assert updated["data"]["metadata"] == {"lane": "2"}
    assert updated["data"]["amount"] == intent["amount"]


# -- idempotency -----------------------------------------------------------------------


def test_same_key_same_body_replays_the_original(sandbox: SandboxHandle) -> None:
    first = sandbox.call("POST", "/v1/payment_intents", {"amount": 1000}, key="order-1")
    again = sandbox.call("POST", "/v1/payment_intents", {"amount": 1000}, key="order-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert sandbox.stats()["objects"]["payment_intent"] == 1


def test_same_key_different_body_is_refused(sandbox: SandboxHandle) -> None:
    sandbox.call("POST", "/v1/payment_intents", {"amount": 1000}, key="order-2")
    mismatch = sandbox.call("POST", "/v1/payment_intents", {"amount": 2000}, key="order-2")
    assert mismatch.status_code == 422
    assert error_code(mismatch) == "idempotency_params_mismatch"


def test_key_over_100_characters_is_refused(sandbox: SandboxHandle) -> None:
    response = sandbox.call("POST", "/v1/payment_intents", {"amount": 1000}, key="k" * 101)
    assert response.status_code == 422
    ok = sandbox.call("POST", "/v1/payment_intents", {"amount": 1000}, key="k" * 100)
    assert ok.status_code == 201


def test_key_is_required_on_intent_creation(sandbox: SandboxHandle) -> None:
    headers = {"Authorization": f"Bearer {sandbox.token()}", "Sub-Account": "acc_sandbox_demo"}
    response = sandbox.client.post("/v1/payment_intents", json={"amount": 1000}, headers=headers)
    assert response.status_code == 400
    assert error_code(response) == "idempotency_key_required"


def test_same_key_while_in_flight_is_409(sandbox: SandboxHandle) -> None:
    import threading

    sandbox.fault("slow", "/v1/payment_intents", method="POST", delay=1.0)
    results: list[int] = []
    first = threading.Thread(
        target=lambda: results.append(
            sandbox.call("POST", "/v1/payment_intents", {"amount": 1000}, key="k-slow").status_code
        )
    )
    first.start()
    from tests.support.sandbox import wait_until

    # The slow request has claimed the key once the fault is consumed.
    wait_until(lambda: sandbox.control("GET", "faults") == [])
    second = sandbox.call("POST", "/v1/payment_intents", {"amount": 1000}, key="k-slow")
    first.join()
    assert second.status_code == 409
    assert results == [201]
    replay = sandbox.call("POST", "/v1/payment_intents", {"amount": 1000}, key="k-slow")
    assert replay.status_code == 201
    assert sandbox.stats()["objects"]["payment_intent"] == 1


def test_key_of_a_failed_request_is_409_briefly_then_usable(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(1000)
    body = {"payment_intent_id": intent["id"], "terminal_id": "trm_backoffice"}
    refused = sandbox.call("POST", "/v1/terminals/pay", body, key="k-failed")
    assert refused.status_code == 409
    assert error_code(refused) == "terminal_not_connected"
    held = sandbox.call("POST", "/v1/terminals/pay", body, key="k-failed")
    assert held.status_code == 409
    assert error_code(held) == "idempotency_request_in_progress"


# -- paging ---------------------------------------------------------------------------------


def test_lists_page_with_cursors(sandbox: SandboxHandle) -> None:
    created = [sandbox.create_intent(1000 + i)["id"] for i in range(5)]
    newest_first = list(reversed(created))
    first = sandbox.ok("GET", "/v1/payment_intents", params={"limit": 2})
    assert first["type"] == "array"
    assert [i["id"] for i in first["data"]] == newest_first[:2]
    assert first["page_info"]["has_next"] is True
    assert first["page_info"]["has_previous"] is False
    second = sandbox.ok(
        "GET",
        "/v1/payment_intents",
        params={"limit": 2, "after_cursor": first["page_info"]["end_cursor"]},
    )
    assert [i["id"] for i in second["data"]] == newest_first[2:4]
    assert second["page_info"]["has_previous"] is True
    back = sandbox.ok(
        "GET",
        "/v1/payment_intents",
        params={"limit": 2, "before_cursor": second["page_info"]["start_cursor"]},
    )
    assert [i["id"] for i in back["data"]] == newest_first[:2]
    last = sandbox.ok(
        "GET",
        "/v1/payment_intents",
        params={"limit": 2, "after_cursor": second["page_info"]["end_cursor"]},
    )
    assert [i["id"] for i in last["data"]] == newest_first[4:]
    assert last["page_info"]["has_next"] is False


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_limit_outside_1_to_100_is_refused(sandbox: SandboxHandle, limit: str) -> None:
    response = sandbox.call("GET", "/v1/payment_intents", params={"limit": limit})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "limit"


def test_bad_cursor_is_refused(sandbox: SandboxHandle) -> None:
    response = sandbox.call("GET", "/v1/payment_intents", params={"after_cursor": "@@@"})
    assert response.status_code == 400
