"""SCHEMAS.md (shared JustiFi notes) parsed, and a checker of objects against it.

Used by the contract tests (objects fetched from the sandbox) and the event
tests (objects the sandbox publishes). A field added to SCHEMAS.md is checked
from then on, with no change here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tests.support.sandbox import CONTRACT_DIR

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
