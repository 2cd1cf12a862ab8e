"""The sandbox accepts every contract request and answers in every contract shape.

For each `<call>.request.json` / `<call>.response.json` in the contract folder
the sandbox is sent the request (with ids it created in place of the seed's
placeholders) and its answer must have the example's SHAPE: every key the
example has, recursively; objects where the example has objects, lists where
it has lists. Values are the sandbox's own. A contract file this module does
not map is a failure, so a new example cannot be skipped silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, CONTRACT_DIR, SandboxHandle

# Keys whose value may be null in an answer where the example shows a value,
# because API.md lets them be absent or empty:
NULLABLE = {
    # An intent has no payment method until a card is presented; the seed's
    # example shows one even on `requires_payment_method`. API.md: the client
    # must cope with "missing optional ones" and the list example omits it.
    "payment_method": "no card presented yet",
    # The card on a terminal payment belongs to no saved customer.
    "customer_id": "card-present payments have no customer",
}
# Envelope keys whose type the seed's placeholders leave open (API.md, "Envelope").
ENVELOPE_ID_TYPES = (str, int)
PAGE_INFO_TYPES = (type(None), dict, str)

PLACEHOLDER_TERMINAL = "trm_abc123"
TERMINAL = "trm_virtual"  # manual: nothing happens until the test presents a card


def load(name: str) -> Any:
    return json.loads((CONTRACT_DIR / name).read_text(encoding="utf-8"))


def contract_calls() -> list[str]:
    names = sorted(p.name for p in CONTRACT_DIR.glob("*.json"))
    calls = {n.removesuffix(".json").rsplit(".", 1)[0] for n in names}
    return sorted(calls)


def substitute(value: Any, ids: dict[str, str]) -> Any:
    """The request with the seed's placeholder ids replaced by real ones."""
    if isinstance(value, dict):
        return {k: substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    if isinstance(value, str) and value in ids:
        return ids[value]
    return value


def request_body(call: str, ids: dict[str, str]) -> dict[str, Any]:
    body = substitute(load(f"{call}.request.json"), {PLACEHOLDER_TERMINAL: TERMINAL, **ids})
    leftovers = [v for v in body.values() if isinstance(v, str) and v.endswith("_abc123")]
    assert not leftovers, f"{call}: placeholder ids left unsubstituted: {leftovers}"
    return body


def shape_errors(example: Any, answer: Any, path: str = "$") -> list[str]:
    """Where `answer` lacks the shape of `example` (empty list: same shape)."""
    key = path.rsplit(".", 1)[-1]
    if example is None:
        return []
    if answer is None:
        return [] if key in NULLABLE else [f"{path}: null where the example has a value"]
    if isinstance(example, dict):
        if not isinstance(answer, dict):
            return [f"{path}: {type(answer).__name__} where the example has an object"]
        errors = [f"{path}.{k}: missing" for k in example if k not in answer]
        for k in example:
            if k in answer:
                errors += shape_errors(example[k], answer[k], f"{path}.{k}")
        return errors
    if isinstance(example, list):
        if not isinstance(answer, list):
            return [f"{path}: {type(answer).__name__} where the example has a list"]
        if not example:
            return []
        errors = []
        for i, item in enumerate(answer):
            errors += shape_errors(example[0], item, f"{path}[{i}]")
        return errors
    if isinstance(answer, dict | list):
        return [f"{path}: {type(answer).__name__} where the example has a scalar"]
    return []


def assert_envelope_shape(example: dict[str, Any], answer: Any) -> None:
    """Same shape as the example; envelope `id` and `page_info` as the seed allows."""
    assert isinstance(answer, dict), answer
    assert set(example) <= set(answer), f"missing envelope keys: {set(example) - set(answer)}"
    assert isinstance(answer["id"], ENVELOPE_ID_TYPES) or (
        example["type"] == "array" and answer["id"] is None
    ), answer["id"]
    assert isinstance(answer["page_info"], PAGE_INFO_TYPES), answer["page_info"]
    assert answer["type"] == example["type"]
    errors = shape_errors(example["data"], answer["data"], "$.data")
    if isinstance(example["page_info"], dict) and isinstance(answer["page_info"], dict):
        errors += shape_errors(example["page_info"], answer["page_info"], "$.page_info")
    assert not errors, "\n".join(errors) + "\n" + json.dumps(answer, indent=2)


def created(response: Any) -> Any:
    assert response.status_code == 201, response.text
    return response.json()


def fetched(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


# -- one check per contract call ------------------------------------------------------------


def check_oauth_token(sandbox: SandboxHandle) -> None:
    answer = fetched(
        sandbox.client.post(
            "/oauth/token", json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
        )
    )
    example = load("oauth_token.response.json")
    assert set(answer) == set(example)
    assert isinstance(answer["access_token"], str)
    assert answer["access_token"]


def check_payment_intent_create(sandbox: SandboxHandle) -> None:
    body = request_body("payment_intent_create", {})
    answer = created(sandbox.call("POST", "/v1/payment_intents", body))
    assert_envelope_shape(load("payment_intent.response.json"), answer)
    data = answer["data"]
    assert (data["amount"], data["currency"]) == (body["amount"], body["currency"])
    assert (data["description"], data["metadata"]) == (body["description"], body["metadata"])
    assert data["status"] == "requires_payment_method"


def paid_intent(sandbox: SandboxHandle) -> dict[str, Any]:
    """An intent made from the contract's create request and paid on the terminal."""
    body = request_body("payment_intent_create", {})
    intent = created(sandbox.call("POST", "/v1/payment_intents", body))["data"]
    assert sandbox.pay(TERMINAL, intent_id=intent["id"]).status_code == 201
    sandbox.present(TERMINAL, card="visa")
    return sandbox.get(f"/v1/payment_intents/{intent['id']}")


def check_payment_intent(sandbox: SandboxHandle) -> None:
    intent = paid_intent(sandbox)
    answer = fetched(sandbox.call("GET", f"/v1/payment_intents/{intent['id']}"))
    assert answer["data"]["status"] == "succeeded"
    assert answer["data"]["payment_method"] is not None, "a paid intent shows its card"
    assert answer["data"]["payment_method"]["card"]["acct_last_four"] in ("4242", 4242)
    assert_envelope_shape(load("payment_intent.response.json"), answer)


def check_terminal_get(sandbox: SandboxHandle) -> None:
    answer = fetched(sandbox.call("GET", f"/v1/terminals/{TERMINAL}"))
    assert_envelope_shape(load("terminal_get.response.json"), answer)
    assert answer["data"]["id"] == TERMINAL


def check_terminal_status(sandbox: SandboxHandle) -> None:
    paid_intent(sandbox)  # so the device has been active at least once
    answer = fetched(sandbox.call("GET", f"/v1/terminals/{TERMINAL}/status"))
    assert_envelope_shape(load("terminal_status.response.json"), answer)
    assert answer["data"]["status"] == "CONNECTED"


def check_terminals_list(sandbox: SandboxHandle) -> None:
    answer = fetched(sandbox.call("GET", "/v1/terminals"))
    assert answer["data"], "the default fleet is listed"
    assert_envelope_shape(load("terminals_list.response.json"), answer)


def check_terminals_pay(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(1000)
    body = request_body("terminals_pay", {"pi_abc123": intent["id"]})
    answer = created(sandbox.call("POST", "/v1/terminals/pay", body))
    assert_envelope_shape(load("terminals_pay.response.json"), answer)
    assert answer["data"]["payment_intent"]["id"] == intent["id"]
    assert answer["data"]["terminal"]["id"] == TERMINAL


def check_checkout_create(sandbox: SandboxHandle) -> None:
    body = request_body("checkout_create", {})
    answer = created(sandbox.call("POST", "/v1/checkouts", body))
    # No checkout example in the seed: the envelope, and the request echoed.
    assert set(answer) >= {"id", "type", "data", "page_info"}
    assert answer["type"] == "checkout"
    data = answer["data"]
    assert answer["id"] == data["id"]
    assert data["id"].startswith("cho_")
    assert data["status"] == "created"
    assert data["completions"] == []
    for key in ("amount", "description", "metadata"):
        assert data[key] == body[key]


def check_terminals_pay_checkout(sandbox: SandboxHandle) -> None:
    checkout = created(sandbox.call("POST", "/v1/checkouts", request_body("checkout_create", {})))[
        "data"
    ]
    body = request_body("terminals_pay_checkout", {"cho_abc123": checkout["id"]})
    answer = created(sandbox.call("POST", "/v1/terminals/pay", body))
    assert_envelope_shape(load("terminals_pay_checkout.response.json"), answer)
    data = answer["data"]
    assert answer["id"] == data["id"]
    assert data["checkout_id"] == checkout["id"]
    assert data["terminal_id"] == TERMINAL
    assert (data["session_type"], data["status"]) == ("payment", "created")


def check_terminals_refund(sandbox: SandboxHandle) -> None:
    intent = paid_intent(sandbox)
    body = request_body("terminals_refund", {"pi_abc123": intent["id"]})
    assert body["amount"] <= intent["amount"]
    answer = created(sandbox.call("POST", "/v1/terminals/refund", body))
    assert_envelope_shape(load("terminals_refund.response.json"), answer)
    assert answer["data"]["payment_intent"]["id"] == intent["id"]
    sandbox.present(TERMINAL)
    payment = sandbox.get(f"/v1/payments/{intent['successful_payment_id']}")
    assert payment["amount_refunded"] == body["amount"]


def check_error_sub_account_required(sandbox: SandboxHandle) -> None:
    example = load("error.sub_account_required.response.json")
    for path, body in (
        ("/v1/payment_intents", request_body("payment_intent_create", {})),
        ("/v1/checkouts", request_body("checkout_create", {})),
    ):
        response = sandbox.call("POST", path, body, sub_account=None)
        assert response.status_code == 400
        assert response.json() == example


CHECKS: dict[str, Callable[[SandboxHandle], None]] = {
    "oauth_token": check_oauth_token,
    "payment_intent": check_payment_intent,
    "payment_intent_create": check_payment_intent_create,
    "terminal_get": check_terminal_get,
    "terminal_status": check_terminal_status,
    "terminals_list": check_terminals_list,
    "terminals_pay": check_terminals_pay,
    "terminals_pay_checkout": check_terminals_pay_checkout,
    "terminals_refund": check_terminals_refund,
    "checkout_create": check_checkout_create,
    "error.sub_account_required": check_error_sub_account_required,
}


def test_contract_folder_is_there() -> None:
    assert CONTRACT_DIR.is_dir(), f"no contract folder at {CONTRACT_DIR}"
    assert contract_calls(), f"no contract files in {CONTRACT_DIR}"


def test_every_contract_file_is_mapped() -> None:
    unmapped = [call for call in contract_calls() if call not in CHECKS]
    assert not unmapped, f"contract calls without a sandbox check: {unmapped}"
    stale = [call for call in CHECKS if call not in contract_calls()]
    assert not stale, f"checks for contract calls that no longer exist: {stale}"


@pytest.mark.parametrize("call", contract_calls())
def test_sandbox_honours_the_contract(sandbox: SandboxHandle, call: str) -> None:
    check = CHECKS.get(call)
    if check is None:
        pytest.fail(f"contract call {call!r} has no sandbox check in this module")
    check(sandbox)


# -- the shape check itself ------------------------------------------------------------------


def test_shape_check_finds_missing_and_mistyped_keys() -> None:
    example = {"a": 1, "b": {"c": "x", "d": [{"e": 1}]}, "payment_method": {"card": {}}}
    assert shape_errors(example, {**example, "extra": 1}) == []
    assert shape_errors(example, {**example, "payment_method": None}) == []
    assert shape_errors(example, {"a": 1, "b": {"c": "x", "d": [{}]}, "payment_method": {}}) == [
        "$.b.d[0].e: missing",
        "$.payment_method.card: missing",
    ]
    assert shape_errors(example, {**example, "a": None}) == [
        "$.a: null where the example has a value"
    ]
    assert shape_errors(example, {**example, "b": "x"}) == [
        "$.b: str where the example has an object"
    ]
    assert shape_errors(example, {**example, "a": {}}) == [
        "$.a: dict where the example has a scalar"
    ]
