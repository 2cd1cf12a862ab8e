"""Routes of `/v1/checkouts` (the Checkout flow)."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from pos_app.sandbox import checkouts
from pos_app.sandbox.ledger import public
from pos_app.sandbox.responses import envelope
from pos_app.sandbox.routes.generic import get_one, list_of
from pos_app.sandbox.routes.wrapper import Call, justifi_route


def create_checkout(call: Call) -> tuple[int, Any]:
    """POST /v1/checkouts."""
    assert call.sub_account is not None
    checkout = checkouts.create(call.sandbox, call.body, call.sub_account)
    return 201, envelope("checkout", public(checkout))


def refund_checkout(call: Call) -> tuple[int, Any]:
    """POST /v1/checkouts/{id}/refunds."""
    refund = checkouts.refund(call.sandbox, call.find("checkout"), call.body)
    return 201, envelope("refund", public(refund))


ROUTES = [
    Route(
        "/v1/checkouts", justifi_route(create_checkout, sub_account="required"), methods=["POST"]
    ),
    Route("/v1/checkouts", justifi_route(list_of("checkout")), methods=["GET"]),
    Route("/v1/checkouts/{id}", justifi_route(get_one("checkout")), methods=["GET"]),
    Route(
        "/v1/checkouts/{id}/refunds",
        justifi_route(refund_checkout, idempotency="required"),
        methods=["POST"],
    ),
]
