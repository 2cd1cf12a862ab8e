"""Every field SCHEMAS.md documents, on every object the sandbox answers with.

SCHEMAS.md is parsed here, so a field added there later fails this module
until the sandbox has it too. The objects come from a running sandbox over
real HTTP, after a real approved charge and a refund in each flow. Each
documented field must be present, of the documented type, with a value from
the documented enum; timestamps must parse. A field may be null only where a
counter sale has none (listed below with the reason). Nested objects whose
fields SCHEMAS.md lists (the card-present payment method, checkout
completions, a completion's checkout) are checked the same way. The client
models must accept each object, and each documented value.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from pos_app.justifi.models import (
    Checkout,
    CheckoutCompletion,
    Payment,
    PaymentIntent,
    PaymentMethod,
    Refund,
    Terminal,
    TerminalStatus,
)
from tests.support.sandbox import SandboxHandle
from tests.support.schemas import DOCS, FieldDoc, schema_errors

MODELS: dict[str, type[BaseModel]] = {
    "Payment": Payment,
    "Payment intent": PaymentIntent,
    "Checkout": Checkout,
    "CheckoutCompletion": CheckoutCompletion,
    "Refund": Refund,
    "Terminal": Terminal,
    "TerminalStatus": TerminalStatus,
    "CardPresentPaymentMethod": PaymentMethod,
}


def check(schema: str, obj: Any, where: str) -> None:
    errors = schema_errors(schema, obj, where)
    assert not errors, "\n".join(errors)
    MODELS[schema].model_validate(obj)


# -- SCHEMAS.md itself -----------------------------------------------------------------------


def test_schemas_md_parses_into_every_object_the_sandbox_returns() -> None:
    assert set(DOCS) >= set(MODELS), set(MODELS) - set(DOCS)
    assert len(DOCS["Payment"]) == 33
    assert [d.name for d in DOCS["TerminalStatus"]] == [
        "id",
        "status",
        "last_date_time_connected",
        "last_date_time_active",
    ]
    assert DOCS["Checkout"][5].enum() == ("USD", "CAD")
    assert next(d for d in DOCS["Terminal"] if d.name == "provider").enum() == (
        "verifone",
        "verifone_simulator",
    )


def test_the_checker_catches_a_missing_field_a_bad_type_and_an_undocumented_value() -> None:
    refund = {
        "id": "re_1",
        "payment_id": "py_1",
        "amount": "5.00",
        "description": None,
        "reason": None,
        "status": "done",
        "metadata": {},
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "yesterday",
    }
    errors = schema_errors("Refund", refund, "$")
    assert errors == [
        "$.amount: '5.00' is not a number",
        "$.status: 'done' is not one of pending, succeeded, failed",
        "$.returned_fees: missing",
        "$.updated_at: 'yesterday' is not an ISO 8601 date-time",
    ]


# -- the sandbox over HTTP, both flows ----------------------------------------------------------


def _intent_flow(sandbox: SandboxHandle) -> dict[str, Any]:
    """An approved intent on the manual terminal, then a terminal refund, approved too."""
    intent = sandbox.paid_intent(1000, card="amex")
    body = {"payment_intent_id": intent["id"], "terminal_id": "trm_virtual", "amount": 300}
    assert sandbox.call("POST", "/v1/terminals/refund", body).status_code == 201
    sandbox.present("trm_virtual")
    payment = sandbox.get(f"/v1/payments/{intent['successful_payment_id']}")
    [refund_id] = [r["id"] for r in payment["refunds"]]
    return {
        "intent": sandbox.get(f"/v1/payment_intents/{intent['id']}"),
        "payment": payment,
        "refund": sandbox.get(f"/v1/refunds/{refund_id}"),
        "listed_payment": sandbox.ok("GET", f"/v1/payment_intents/{intent['id']}/payments")["data"][
            0
        ],
    }


def _checkout_flow(sandbox: SandboxHandle) -> dict[str, Any]:
    """A checkout declined once, then approved, then refunded."""
    checkout = sandbox.create_checkout(1799)
    assert sandbox.pay("trm_virtual", checkout_id=checkout["id"]).status_code == 201
    sandbox.present("trm_virtual", decline_code="insufficient_funds")
    assert sandbox.pay("trm_virtual", checkout_id=checkout["id"]).status_code == 201
    sandbox.press_x("trm_virtual")
    assert sandbox.pay("trm_virtual", checkout_id=checkout["id"]).status_code == 201
    sandbox.present("trm_virtual", card="mastercard")
    done = sandbox.get(f"/v1/checkouts/{checkout['id']}")
    refund = sandbox.ok("POST", f"/v1/checkouts/{checkout['id']}/refunds", {"amount": 500})
    return {
        "created": checkout,
        "checkout": done,
        "payment": sandbox.get(f"/v1/payments/{done['successful_payment_id']}"),
        "refund": sandbox.get(f"/v1/refunds/{refund['data']['id']}"),
    }


def test_payment_intent_flow_objects_have_every_documented_field(sandbox: SandboxHandle) -> None:
    created = sandbox.create_intent(1000, metadata={"lane": "1"})
    check("Payment intent", created, "$.created_intent")
    objects = _intent_flow(sandbox)
    check("Payment intent", objects["intent"], "$.intent")
    check("Payment", objects["payment"], "$.payment")
    check("Payment", objects["listed_payment"], "$.payments[0]")
    check("Refund", objects["refund"], "$.refund")
    payment = objects["payment"]
    assert payment["status"] == "partially_refunded"
    assert payment["refunded"] is True
    assert payment["balance"] == payment["amount"] - payment["fee_amount"] - 300
    assert payment["payment_method"]["card_present"]["last4"] == "8431"
    assert payment["payment_intent_id"] == objects["intent"]["id"]


def test_checkout_flow_objects_have_every_documented_field(sandbox: SandboxHandle) -> None:
    objects = _checkout_flow(sandbox)
    check("Checkout", objects["created"], "$.created_checkout")
    check("Checkout", objects["checkout"], "$.checkout")
    check("Payment", objects["payment"], "$.payment")
    check("Refund", objects["refund"], "$.refund")
    checkout = objects["checkout"]
    assert [c["status"] for c in checkout["completions"]] == ["failed", "failed", "succeeded"]
    assert [c["payment_status"] for c in checkout["completions"]] == ["failed", None, "succeeded"]
    assert checkout["payment_amount"] == 1799
    assert checkout["payment_currency"] == "USD"
    assert checkout["payment"]["id"] == checkout["successful_payment_id"]
    parsed = Checkout.model_validate(checkout)
    assert parsed.amount == 1799
    assert parsed.completions[-1].payment_id == checkout["successful_payment_id"]


def test_failed_payment_has_every_documented_field(sandbox: SandboxHandle) -> None:
    intent = sandbox.create_intent(1000)
    assert sandbox.pay("trm_virtual", intent_id=intent["id"]).status_code == 201
    sandbox.present("trm_virtual", decline_code="do_not_honor")
    [failed] = sandbox.ok("GET", f"/v1/payment_intents/{intent['id']}/payments")["data"]
    check("Payment", failed, "$.failed")
    assert (failed["status"], failed["fee_amount"], failed["fees"]) == ("failed", 0, [])


def test_lists_show_the_same_fields(sandbox: SandboxHandle) -> None:
    _intent_flow(sandbox)
    _checkout_flow(sandbox)
    for path, schema in (
        ("/v1/payment_intents", "Payment intent"),
        ("/v1/checkouts", "Checkout"),
        ("/v1/payments", "Payment"),
        ("/v1/refunds", "Refund"),
        ("/v1/terminals", "Terminal"),
    ):
        items = sandbox.ok("GET", path)["data"]
        assert items, path
        for i, item in enumerate(items):
            check(schema, item, f"{path}[{i}]")


def test_terminal_and_its_status_have_every_documented_field(sandbox: SandboxHandle) -> None:
    check("Terminal", sandbox.get("/v1/terminals/trm_front"), "$.terminal")
    check("TerminalStatus", sandbox.get("/v1/terminals/trm_front/status"), "$.status")
    sandbox.paid_intent(1000)
    status = sandbox.get("/v1/terminals/trm_virtual/status")
    check("TerminalStatus", status, "$.status_after_sale")
    assert status["last_date_time_active"] is not None
    asked = sandbox.get("/v1/terminals/trm_virtual")
    check("Terminal", asked, "$.terminal_after_status")
    assert asked["status_last_requested_at"] is not None


# -- the client models accept every documented value ------------------------------------------


@pytest.mark.parametrize("schema", sorted(MODELS))
def test_models_accept_every_documented_field_as_null(schema: str) -> None:
    """A field documented as nullable (or left out) never makes a model refuse the object."""
    obj: dict[str, Any] = {doc.name: None for doc in DOCS[schema]}
    if "id" in obj:
        obj["id"] = "x_1"
    MODELS[schema].model_validate(obj)


@pytest.mark.parametrize(
    ("schema", "doc"),
    [(schema, doc) for schema in sorted(MODELS) for doc in DOCS[schema] if doc.enum()],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_models_accept_every_documented_enum_value(schema: str, doc: FieldDoc) -> None:
    for value in doc.enum() or ():
        obj = {"id": "x_1", doc.name: value}
        parsed = MODELS[schema].model_validate(obj)
        if doc.name in type(parsed).model_fields:
            assert str(getattr(parsed, doc.name)).lower() == value.lower()


def test_checkout_model_reads_the_documented_payment_fields() -> None:
    parsed = Checkout.model_validate(
        {
            "id": "cho_1",
            "payment_amount": 1250,
            "payment_currency": "CAD",
            "payment_description": "Order 7",
        }
    )
    assert (parsed.amount, parsed.currency, parsed.description) == (1250, "cad", "Order 7")
