"""Simulated terminals: status, paying in both flows, every outcome, refunds, voids."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.sandbox import SandboxHandle, wait_until

FINAL_INTENT = ("succeeded", "requires_payment_method")


def intent_outcome(sandbox: SandboxHandle, intent_id: str) -> dict[str, Any]:
    """Poll the intent until the terminal session is over."""

    def done() -> dict[str, Any] | None:
        intent = sandbox.get(f"/v1/payment_intents/{intent_id}")
        return intent if intent["status"] in FINAL_INTENT else None

    return wait_until(done)


def checkout_outcome(sandbox: SandboxHandle, checkout_id: str, attempts: int = 1) -> dict:
    def done() -> dict[str, Any] | None:
        checkout = sandbox.get(f"/v1/checkouts/{checkout_id}")
        return checkout if len(checkout["completions"]) >= attempts else None

    return wait_until(done)


def error_code(response: Any) -> str:
    return str(response.json()["error"]["code"])


# -- terminals -----------------------------------------------------------------------------


def test_default_fleet_is_listed_with_last_known_status(sandbox: SandboxHandle) -> None:
    terminals = sandbox.ok("GET", "/v1/terminals")["data"]
    by_id = {t["id"]: t for t in terminals}
    assert {"trm_front", "trm_side", "trm_virtual", "trm_patio", "trm_backoffice"} <= set(by_id)
    assert by_id["trm_backoffice"]["status"] == "disconnected"
    assert by_id["trm_front"]["status"] == "connected"
    assert by_id["trm_front"]["provider"] == "verifone_simulator"
    assert by_id["trm_front"]["nickname"] == "Front counter"


def test_list_filters(sandbox: SandboxHandle) -> None:
    offline = sandbox.ok("GET", "/v1/terminals", params={"status": "disconnected"})["data"]
    assert [t["id"] for t in offline] == ["trm_backoffice"]
    one = sandbox.ok("GET", "/v1/terminals", params={"terminal_id": "trm_side"})["data"]
    assert [t["id"] for t in one] == ["trm_side"]
    provider_id = one[0]["provider_id"]
    by_device = sandbox.ok("GET", "/v1/terminals", params={"provider_id": provider_id})["data"]
    assert [t["id"] for t in by_device] == ["trm_side"]


def test_status_is_connected_active_or_disconnected(sandbox: SandboxHandle) -> None:
    def status(terminal_id: str) -> str:
        return str(sandbox.get(f"/v1/terminals/{terminal_id}/status")["status"])

    assert status("trm_virtual") == "CONNECTED"
    assert status("trm_backoffice") == "DISCONNECTED"
    intent = sandbox.create_intent()
    assert sandbox.pay("trm_virtual", intent_id=intent["id"]).status_code == 201
    assert status("trm_virtual") == "ACTIVE"
    assert sandbox.get("/v1/terminals/trm_virtual")["status"] == "connected"
    sandbox.present("trm_virtual")
    assert status("trm_virtual") == "CONNECTED"


def test_unplug_and_replug(sandbox: SandboxHandle) -> None:
    sandbox.control("POST", "terminals/trm_front/unplug")
    assert sandbox.get("/v1/terminals/trm_front/status")["status"] == "DISCONNECTED"
    assert sandbox.get("/v1/terminals/trm_front")["status"] == "disconnected"
    sandbox.control("POST", "terminals/trm_front/replug")
    assert sandbox.get("/v1/terminals/trm_front/status")["status"] == "CONNECTED"


def test_nickname_update_and_identify(sandbox: SandboxHandle) -> None:
    updated = sandbox.ok("PATCH", "/v1/terminals/trm_front", {"nickname": "Lane 1"})
    assert updated["data"]["nickname"] == "Lane 1"
    assert sandbox.call("PATCH", "/v1/terminals/trm_front", {"nickname": ""}).status_code == 422
    identify = sandbox.call("POST", "/v1/terminals/trm_front/identify")
    assert identify.status_code == 204
    state = sandbox.control("GET", "state")
    front = next(t for t in state["terminals"] if t["id"] == "trm_front")
    assert front["identifying"] is True
    offline = sandbox.call("POST", "/v1/terminals/trm_backoffice/identify")
    assert offline.status_code == 409


def test_unknown_terminal_is_404(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent()
    assert sandbox.pay("trm_nope", intent_id=intent["id"]).status_code == 404
    assert sandbox.call("GET", "/v1/terminals/trm_nope/status").status_code == 404


def test_control_api_adds_a_terminal(sandbox: SandboxHandle) -> None:
    sandbox.control("POST", "terminals", {"id": "trm_lane9", "nickname": "Lane 9"})
    assert sandbox.get("/v1/terminals/trm_lane9")["nickname"] == "Lane 9"


# -- paying: payment intent flow ------------------------------------------------------------


def test_auto_terminal_approves_after_a_few_seconds(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(1250)
    response = sandbox.pay("trm_front", intent_id=intent["id"])
    assert response.status_code == 201
    body = response.json()
    assert body["type"] == "terminal_payment_intent"
    assert body["id"].startswith("tmses_")
    assert body["data"]["terminal"] == {"id": "trm_front"}
    assert body["data"]["payment_intent"]["status"] == "pending"
    final = intent_outcome(sandbox, intent["id"])
    assert final["status"] == "succeeded"
    payment = sandbox.get(f"/v1/payments/{final['successful_payment_id']}")
    assert payment["payment_mode"] == "card_present"
    assert payment["status"] == "succeeded"
    assert payment["amount"] == payment["amount_refundable"] == 1250
    assert payment["terminal_id"] == "trm_front"
    assert payment["payment_intent_id"] == intent["id"]
    card = payment["payment_method"]["card_present"]
    assert card["brand"]
    assert len(card["last4"]) == 4
    assert final["payment_method"]["card"]["acct_last_four"] == card["last4"]


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (1091, "card_declined"),
        (1092, "insufficient_funds"),
        (1093, "expired_card"),
        (1094, "do_not_honor"),
    ],
)
def test_declines_by_amount_leave_the_intent_retryable(
    sandbox: SandboxHandle, amount: int, code: str
) -> None:
    intent = sandbox.create_intent(amount)
    assert sandbox.pay("trm_side", intent_id=intent["id"]).status_code == 201
    final = intent_outcome(sandbox, intent["id"])
    assert final["status"] == "requires_payment_method"
    assert final["last_error"]["code"] == code
    payments = sandbox.ok("GET", f"/v1/payment_intents/{intent['id']}/payments")["data"]
    assert [(p["status"], p["error_code"]) for p in payments] == [("failed", code)]
    # Retry on another terminal: the same intent is payable again.
    assert sandbox.pay("trm_virtual", intent_id=intent["id"]).status_code == 201
    sandbox.present("trm_virtual", card="mastercard")
    retried = intent_outcome(sandbox, intent["id"])
    assert retried["status"] == "succeeded"
    assert len(sandbox.ok("GET", f"/v1/payment_intents/{intent['id']}/payments")["data"]) == 2


def test_customer_presses_x_by_amount(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(1095)
    sandbox.pay("trm_side", intent_id=intent["id"])
    final = intent_outcome(sandbox, intent["id"])
    assert final["status"] == "requires_payment_method"
    assert final["last_error"]["code"] == "canceled_on_terminal"
    assert final["last_error"]["payment_id"] is None


def test_customer_walks_away_and_the_device_times_out_after_90s(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(1096)
    sandbox.pay("trm_side", intent_id=intent["id"])
    sandbox.set_time(advance=80)
    assert sandbox.get(f"/v1/payment_intents/{intent['id']}")["status"] == "pending"
    sandbox.set_time(advance=11)
    final = sandbox.get(f"/v1/payment_intents/{intent['id']}")
    assert final["status"] == "requires_payment_method"
    assert final["last_error"]["code"] == "terminal_timeout"


def test_slow_customer_still_pays(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(2000)
    sandbox.pay("trm_patio", intent_id=intent["id"])
    sandbox.set_time(advance=20)
    assert sandbox.get(f"/v1/payment_intents/{intent['id']}")["status"] == "pending"
    assert intent_outcome(sandbox, intent["id"])["status"] == "succeeded"


def test_manual_terminal_waits_for_the_control_api(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(1000)
    sandbox.pay("trm_virtual", intent_id=intent["id"])
    sessions = sandbox.control("GET", "sessions")
    assert [s["terminal_id"] for s in sessions] == ["trm_virtual"]
    sandbox.present("trm_virtual", decline_code="pin_required")
    final = sandbox.get(f"/v1/payment_intents/{intent['id']}")
    assert final["last_error"]["code"] == "pin_required"
    sandbox.pay("trm_virtual", intent_id=intent["id"])
    sandbox.press_x("trm_virtual")
    assert sandbox.get(f"/v1/payment_intents/{intent['id']}")["last_error"]["code"] == (
        "canceled_on_terminal"
    )
    sandbox.pay("trm_virtual", intent_id=intent["id"])
    sandbox.present("trm_virtual", card="amex")
    paid = sandbox.get(f"/v1/payment_intents/{intent['id']}")
    assert paid["status"] == "succeeded"
    assert paid["payment_method"]["card"]["brand"] == "American Express"


def test_offline_terminal_is_409_terminal_not_connected(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent()
    response = sandbox.pay("trm_backoffice", intent_id=intent["id"])
    assert response.status_code == 409
    assert error_code(response) == "terminal_not_connected"
    assert sandbox.get(f"/v1/payment_intents/{intent['id']}")["status"] == (
        "requires_payment_method"
    )


def test_busy_terminal_is_409_terminal_busy(sandbox: SandboxHandle) -> None:
    first = sandbox.create_intent()
    second = sandbox.create_intent()
    assert sandbox.pay("trm_virtual", intent_id=first["id"]).status_code == 201
    response = sandbox.pay("trm_virtual", intent_id=second["id"])
    assert response.status_code == 409
    assert error_code(response) == "terminal_busy"


def test_paid_or_pending_intent_cannot_be_sent_again(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent()
    sandbox.pay("trm_virtual", intent_id=intent["id"])
    pending = sandbox.pay("trm_front", intent_id=intent["id"])
    assert pending.status_code == 422
    assert error_code(pending) == "payment_intent_not_payable"
    sandbox.present("trm_virtual")
    assert sandbox.pay("trm_front", intent_id=intent["id"]).status_code == 422


def test_pay_needs_exactly_one_target(sandbox: SandboxHandle) -> None:
    assert sandbox.call("POST", "/v1/terminals/pay", {"terminal_id": "trm_front"}).status_code == (
        422
    )
    both = {"terminal_id": "trm_front", "payment_intent_id": "pi_x", "checkout_id": "cho_x"}
    assert sandbox.call("POST", "/v1/terminals/pay", both).status_code == 422


def test_unplugged_mid_session_the_device_gives_up(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(2000)
    sandbox.pay("trm_patio", intent_id=intent["id"])
    sandbox.control("POST", "terminals/trm_patio/unplug")
    sandbox.set_time(advance=91)
    final = sandbox.get(f"/v1/payment_intents/{intent['id']}")
    assert final["last_error"]["code"] == "terminal_timeout"


# -- paying: checkout flow -------------------------------------------------------------------


def test_checkout_approval_adds_a_succeeded_completion(sandbox: SandboxHandle) -> None:
    checkout = sandbox.create_checkout(1799)
    assert checkout["id"].startswith("cho_")
    assert checkout["status"] == "created"
    response = sandbox.pay("trm_front", checkout_id=checkout["id"])
    assert response.status_code == 201
    body = response.json()
    assert body["type"] == "terminal_sessions"
    assert body["data"]["session_type"] == "payment"
    assert body["data"]["status"] == "created"
    assert body["data"]["checkout_id"] == checkout["id"]
    final = checkout_outcome(sandbox, checkout["id"])
    assert final["status"] == "completed"
    [completion] = final["completions"]
    assert completion["id"].startswith("chc_")
    assert completion["status"] == "succeeded"
    assert completion["payment_mode"] == "card_present"
    assert completion["payment_id"] == final["successful_payment_id"]
    payment = sandbox.get(f"/v1/payments/{completion['payment_id']}")
    assert payment["checkout_id"] == checkout["id"]


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        (1091, "card_declined"),
        (1092, "insufficient_funds"),
        (1093, "expired_card"),
        (1095, "canceled_on_terminal"),
    ],
)
def test_checkout_failures_add_failed_completions(
    sandbox: SandboxHandle, amount: int, code: str
) -> None:
    checkout = sandbox.create_checkout(amount)
    sandbox.pay("trm_side", checkout_id=checkout["id"])
    final = checkout_outcome(sandbox, checkout["id"])
    assert final["status"] == "attempted"
    assert final["completions"][0]["status"] == "failed"
    assert final["completions"][0]["payment_error_code"] == code
    # An attempted checkout can be paid again; completions grow per attempt.
    sandbox.pay("trm_virtual", checkout_id=checkout["id"])
    sandbox.present("trm_virtual")
    again = checkout_outcome(sandbox, checkout["id"], attempts=2)
    assert [c["status"] for c in again["completions"]] == ["failed", "succeeded"]
    assert again["status"] == "completed"
    assert sandbox.pay("trm_front", checkout_id=checkout["id"]).status_code == 422


def test_checkout_timeout(sandbox: SandboxHandle) -> None:
    checkout = sandbox.create_checkout(1096)
    sandbox.pay("trm_side", checkout_id=checkout["id"])
    sandbox.set_time(advance=91)
    final = sandbox.get(f"/v1/checkouts/{checkout['id']}")
    assert final["completions"][0]["payment_error_code"] == "terminal_timeout"


def test_checkout_busy_and_offline(sandbox: SandboxHandle) -> None:
    checkout = sandbox.create_checkout()
    assert error_code(sandbox.pay("trm_backoffice", checkout_id=checkout["id"])) == (
        "terminal_not_connected"
    )
    other = sandbox.create_intent()
    sandbox.pay("trm_virtual", intent_id=other["id"])
    assert error_code(sandbox.pay("trm_virtual", checkout_id=checkout["id"])) == "terminal_busy"


def test_checkout_refund_and_list(sandbox: SandboxHandle) -> None:
    checkout = sandbox.create_checkout(3000)
    sandbox.pay("trm_virtual", checkout_id=checkout["id"])
    sandbox.present("trm_virtual")
    refund = sandbox.ok("POST", f"/v1/checkouts/{checkout['id']}/refunds", {"amount": 1000})
    assert refund["type"] == "refund"
    assert refund["data"]["amount"] == 1000
    listed = sandbox.ok("GET", "/v1/checkouts")["data"]
    assert [c["id"] for c in listed] == [checkout["id"]]
    unpaid = sandbox.create_checkout()
    assert sandbox.call("POST", f"/v1/checkouts/{unpaid['id']}/refunds", {}).status_code == 422


# -- refunds --------------------------------------------------------------------------------


def terminal_refund(
    sandbox: SandboxHandle, intent_id: str, amount: int | None, terminal_id: str = "trm_virtual"
) -> Any:
    body: dict[str, Any] = {"payment_intent_id": intent_id, "terminal_id": terminal_id}
    if amount is not None:
        body["amount"] = amount
    return sandbox.call("POST", "/v1/terminals/refund", body)


def test_terminal_refund_partial_and_repeated(sandbox: SandboxHandle) -> None:
    intent = sandbox.paid_intent(5000)
    payment_id = intent["successful_payment_id"]
    response = terminal_refund(sandbox, intent["id"], 2000)
    assert response.status_code == 201
    assert response.json()["type"] == "terminal_payment_intent"
    assert sandbox.get("/v1/terminals/trm_virtual/status")["status"] == "ACTIVE"
    sandbox.present("trm_virtual")
    payment = sandbox.get(f"/v1/payments/{payment_id}")
    assert payment["amount_refunded"] == 2000
    assert payment["amount_refundable"] == 3000
    assert payment["status"] == "partially_refunded"
    [refund] = payment["refunds"]
    assert refund["id"].startswith("re_")
    assert refund["amount"] == 2000
    assert refund["terminal_id"] == "trm_virtual"
    terminal_refund(sandbox, intent["id"], 3000)
    sandbox.present("trm_virtual")
    payment = sandbox.get(f"/v1/payments/{payment_id}")
    assert payment["status"] == "fully_refunded"
    assert payment["amount_refundable"] == 0
    again = terminal_refund(sandbox, intent["id"], 100)
    assert again.status_code == 422
    assert error_code(again) == "payment_fully_refunded"


def test_terminal_refund_over_refundable_is_refused(sandbox: SandboxHandle) -> None:
    intent = sandbox.paid_intent(1000)
    response = terminal_refund(sandbox, intent["id"], 1001)
    assert response.status_code == 422
    assert error_code(response) == "refund_exceeds_amount_available"


def test_terminal_refund_needs_a_succeeded_intent(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent()
    response = terminal_refund(sandbox, intent["id"], 100)
    assert response.status_code == 422
    assert error_code(response) == "payment_intent_not_refundable"


@pytest.mark.parametrize(
    ("act", "code"), [("decline", "card_declined"), ("cancel", "canceled_on_terminal")]
)
def test_terminal_refund_can_fail_like_a_payment(
    sandbox: SandboxHandle, act: str, code: str
) -> None:
    intent = sandbox.paid_intent(4000)
    terminal_refund(sandbox, intent["id"], 1000)
    if act == "decline":
        sandbox.present("trm_virtual", decline_code="card_declined")
    else:
        sandbox.press_x("trm_virtual")
    after = sandbox.get(f"/v1/payment_intents/{intent['id']}")
    assert after["status"] == "succeeded"
    assert after["last_error"]["code"] == code
    assert after["last_error"]["session_type"] == "refund"
    payment = sandbox.get(f"/v1/payments/{intent['successful_payment_id']}")
    assert payment["amount_refunded"] == 0


def test_terminal_refund_times_out(sandbox: SandboxHandle) -> None:
    intent = sandbox.paid_intent(4000)
    terminal_refund(sandbox, intent["id"], 1000)
    sandbox.set_time(advance=91)
    after = sandbox.get(f"/v1/payment_intents/{intent['id']}")
    assert after["last_error"]["code"] == "terminal_timeout"


def test_card_refunds_partial_repeated_and_capped(sandbox: SandboxHandle) -> None:
    intent = sandbox.paid_intent(5000)
    payment_id = intent["successful_payment_id"]
    path = f"/v1/payments/{payment_id}/refunds"
    first = sandbox.ok("POST", path, {"amount": 1500, "reason": "customer_request"})
    assert first["type"] == "refund"
    assert first["data"]["status"] == "succeeded"
    assert first["data"]["amount"] == 1500
    over = sandbox.call("POST", path, {"amount": 3501})
    assert over.status_code == 422
    assert error_code(over) == "refund_exceeds_amount_available"
    rest = sandbox.ok("POST", path, {})
    assert rest["data"]["amount"] == 3500
    done = sandbox.call("POST", path, {"amount": 1})
    assert error_code(done) == "payment_fully_refunded"
    refunds = sandbox.ok("GET", "/v1/refunds")["data"]
    assert sorted(r["amount"] for r in refunds) == [1500, 3500]
    assert sandbox.get(f"/v1/refunds/{first['data']['id']}")["payment_id"] == payment_id


@pytest.mark.parametrize(
    "body", [{"amount": 0}, {"amount": -5}, {"amount": "1"}, {"reason": "because"}]
)
def test_card_refund_validation(sandbox: SandboxHandle, body: dict) -> None:
    intent = sandbox.paid_intent(5000)
    response = sandbox.call("POST", f"/v1/payments/{intent['successful_payment_id']}/refunds", body)
    assert response.status_code == 422


def test_failed_payment_cannot_be_refunded(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(1000)
    sandbox.pay("trm_virtual", intent_id=intent["id"])
    sandbox.present("trm_virtual", decline_code="card_declined")
    [payment] = sandbox.ok("GET", f"/v1/payment_intents/{intent['id']}/payments")["data"]
    response = sandbox.call("POST", f"/v1/payments/{payment['id']}/refunds", {})
    assert response.status_code == 422


# -- voids ------------------------------------------------------------------------------------


def test_void_within_25_minutes(sandbox: SandboxHandle) -> None:
    intent = sandbox.paid_intent(2500)
    sandbox.set_time(advance=24 * 60)
    voided = sandbox.ok("POST", f"/v1/payments/{intent['successful_payment_id']}/void")
    assert voided["data"]["status"] == "canceled"
    assert voided["data"]["amount_refundable"] == 0
    again = sandbox.call("POST", f"/v1/payments/{intent['successful_payment_id']}/void")
    assert again.status_code == 422


def test_void_outside_25_minutes_is_refused(sandbox: SandboxHandle) -> None:
    intent = sandbox.paid_intent(2500)
    sandbox.set_time(advance=25 * 60 + 5)
    response = sandbox.call("POST", f"/v1/payments/{intent['successful_payment_id']}/void")
    assert response.status_code == 422
    assert error_code(response) == "payment_outside_void_window"


def test_payments_list_filters(sandbox: SandboxHandle) -> None:
    sandbox.paid_intent(1000)
    declined = sandbox.create_intent(1000)
    sandbox.pay("trm_virtual", intent_id=declined["id"])
    sandbox.present("trm_virtual", decline_code="expired_card")
    failed = sandbox.ok("GET", "/v1/payments", params={"payment_status": "failed"})["data"]
    assert [p["error_code"] for p in failed] == ["expired_card"]
    later = sandbox.ok("GET", "/v1/payments", params={"created_after": "2999-01-01T00:00:00Z"})
    assert later["data"] == []
    assert len(sandbox.ok("GET", "/v1/payments")["data"]) == 2
