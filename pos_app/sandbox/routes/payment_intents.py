"""Routes of `/v1/payment_intents` (the Payment Intent flow)."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from pos_app.sandbox import payment_intents, payments
from pos_app.sandbox.ledger import public
from pos_app.sandbox.paging import page
from pos_app.sandbox.responses import envelope
from pos_app.sandbox.routes.generic import get_one, list_of
from pos_app.sandbox.routes.wrapper import Call, justifi_route


def create_payment_intent(call: Call) -> tuple[int, Any]:
    """POST /v1/payment_intents."""
    assert call.sub_account is not None
    intent = payment_intents.create(call.sandbox, call.body, call.sub_account)
    return 201, envelope("payment_intent", public(intent))


def update_payment_intent(call: Call) -> tuple[int, Any]:
    """PATCH /v1/payment_intents/{id}."""
    intent = payment_intents.update(call.sandbox, call.find("payment_intent"), call.body)
    return 200, envelope("payment_intent", public(intent))


def payment_intent_payments(call: Call) -> tuple[int, Any]:
    """GET /v1/payment_intents/{id}/payments: its attempts, failed ones too."""
    intent = call.find("payment_intent")
    found = [
        payments.render(call.sandbox, p)
        for p in call.sandbox.visible("payment", call.sub_account)
        if p["payment_intent_id"] == intent["id"]
    ]
    return 200, page(call.request, found)


ROUTES = [
    Route(
        "/v1/payment_intents",
        justifi_route(create_payment_intent, sub_account="required", idempotency="required"),
        methods=["POST"],
    ),
    Route("/v1/payment_intents", justifi_route(list_of("payment_intent")), methods=["GET"]),
    Route("/v1/payment_intents/{id}", justifi_route(get_one("payment_intent")), methods=["GET"]),
    Route("/v1/payment_intents/{id}", justifi_route(update_payment_intent), methods=["PATCH"]),
    Route(
        "/v1/payment_intents/{id}/payments",
        justifi_route(payment_intent_payments),
        methods=["GET"],
    ),
]
