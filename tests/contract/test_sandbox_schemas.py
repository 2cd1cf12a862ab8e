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

import re
from dataclasses import dataclass
from datetime import datetime
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
from tests.support.sandbox import CONTRACT_DIR, SandboxHandle

SCHEMAS = CONTRACT_DIR.parent / "SCHEMAS.md"

# Fields that may be null, per object, because a counter sale has none.
NULLABLE: dict[str, dict[str, str]] = {
    "Payment": {
        "description": "a sale may have no description",
        "error_code": "only a failed payment has one",
        "error_description": "only a failed payment has one",
        "payment_intent_id": "null in the checkout flow",
        "checkout_id": "null in the payment_intent flow",
        "application_fee": "a card-present payment has no application fee",
        "application_fee_rate_id": "no application fee",
        "transaction_hold": "no hold on a counter sale",
        "expedited": "documented boolean or null; no expedited payout",
        "financial_transaction_id": "only a settled payment has one",
    },
    "Payment intent": {
        "description": "a sale may have no description",
        "payment_method": "no card until one is presented",
        "successful_payment_id": "none until it succeeds",
    },
    "Checkout": {
        "payment_intent_id": "a terminal checkout makes no payment intent",
        "payment_description": "a sale may have no description",
        "payment_method_group_id": "no saved-method group at a counter",
        "successful_payment_id": "none until it completes",
        "statement_descriptor": "the account's default descriptor applies",
        "application_fees": "no platform fee on a counter sale",
        "payment": "none until it completes",
    },
    "CheckoutCompletion": {
        "payment_token": "a tapped card is not tokenised for the platform",
        "payment_error_code": "only a failed attempt has one",
        "payment_error_description": "only a failed attempt has one",
        "payment_response": "none when no payment was made (X, timeout)",
        "checkout": "null inside its own checkout (the enclosing object)",
        "payment_id": "none when no payment was made (X, timeout)",
        "payment_status": "none when no payment was made (X, timeout)",
        "payment_method_id": "card-present payments keep no payment method",
    },
    "Refund": {
        "description": "optional on a refund",
        "reason": "optional on a refund",
    },
    "Terminal": {
        "terminal_order_created_at": "not ordered through JustiFi",
        "status_last_requested_at": "null until the status is first asked",
    },
    "TerminalStatus": {"last_date_time_active": "null before the first sale"},
    "CardPresentPaymentMethod": {
        "invalid_reason": "documented string or null",
        "customer_id": "documented string or null",
        "signature": "documented string or null",
    },
}

# Nested objects SCHEMAS.md lists fields for: (object, field) -> nested schema.
NESTED = {
    ("Checkout", "completions"): "CheckoutCompletion",
    ("CheckoutCompletion", "checkout"): "Checkout",
}

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


@dataclass(frozen=True)
class FieldDoc:
    """One row of a SCHEMAS.md table."""

    name: str
    type: str
    values: str

    def enum(self) -> tuple[str, ...] | None:
        """The documented values, when the field is an enum."""
        match = re.fullmatch(r"one of (.+)", self.values) or re.fullmatch(
            r"enum\[(.+)\]", self.type
        )
        if match is None:
            return None
        return tuple(v for v in re.split(r"[,\s]+", match.group(1)) if v)


def parse_schemas(text: str) -> dict[str, list[FieldDoc]]:
    """Object name (the heading before its parenthesis) -> its documented fields."""
    schemas: dict[str, list[FieldDoc]] = {}
    counts: dict[str, int] = {}
    current: str | None = None
    for line in text.splitlines():
        heading = re.match(r"^###\s+(.+?)\s*\((.*?)(\d+) fields\)\s*$", line)
        if heading:
            current = heading.group(1).strip()
            schemas[current] = []
            counts[current] = int(heading.group(3))
            continue
        if line.startswith("#"):
            current = None
            continue
        row = re.match(r"^\|\s*`([^`]+)`\s*\|([^|]*)\|([^|]*)\|\s*$", line)
        if current is not None and row:
            schemas[current].append(
                FieldDoc(row.group(1), row.group(2).strip(), row.group(3).strip())
            )
    for name, fields in schemas.items():
        assert len(fields) == counts[name], f"{name}: heading says {counts[name]} fields"
    return schemas


DOCS = parse_schemas(SCHEMAS.read_text(encoding="utf-8"))


def type_errors(doc: FieldDoc, value: Any, where: str) -> list[str]:
    """Where a non-null value is not of the documented type or enum."""
    kind = doc.type
    ok: bool
    if kind.startswith("enum[") or kind == "string" or kind == "string or null":
        ok = isinstance(value, str)
    elif kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif kind in ("boolean", "boolean or null"):
        ok = isinstance(value, bool)
    elif kind.startswith("array"):
        ok = isinstance(value, list)
        if ok and "objects" in kind:
            ok = all(isinstance(item, dict) for item in value)
    elif kind == "object":
        ok = isinstance(value, dict)
    else:
        return [f"{where}: SCHEMAS.md type {kind!r} is not known to this test"]
    if not ok:
        return [f"{where}: {value!r} is not a {kind}"]
    enum = doc.enum()
    if enum is not None and value not in enum:
        return [f"{where}: {value!r} is not one of {', '.join(enum)}"]
    if doc.values == "date-time":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return [f"{where}: {value!r} is not an ISO 8601 date-time"]
    if doc.values == "json" and not isinstance(value, dict):
        return [f"{where}: {value!r} is not a JSON object"]
    return []


def schema_errors(schema: str, obj: Any, where: str) -> list[str]:
    """Every way `obj` differs from SCHEMAS.md's `schema`, nested objects included."""
    if not isinstance(obj, dict):
        return [f"{where}: {type(obj).__name__} where {schema} is an object"]
    errors: list[str] = []
    nullable = NULLABLE.get(schema, {})
    for doc in DOCS[schema]:
        at = f"{where}.{doc.name}"
        if doc.name not in obj:
            errors.append(f"{at}: missing")
            continue
        value = obj[doc.name]
        if value is None:
            if doc.name not in nullable:
                errors.append(f"{at}: null, and a counter sale always has one")
            continue
        errors += type_errors(doc, value, at)
        nested = NESTED.get((schema, doc.name))
        if nested is not None:
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                errors += schema_errors(nested, item, f"{at}[{i}]")
    if schema == "Payment" and isinstance(obj.get("payment_method"), dict):
        method = obj["payment_method"]
        if "card_present" in method:
            errors += schema_errors("CardPresentPaymentMethod", method, f"{where}.payment_method")
    return errors


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
