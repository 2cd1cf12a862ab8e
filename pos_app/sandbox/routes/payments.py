"""Routes of `/v1/payments` and `/v1/refunds`: reading, refunding, voiding."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from pos_app.sandbox import payments, refunds
from pos_app.sandbox.clock import parse_iso
from pos_app.sandbox.ledger import public
from pos_app.sandbox.paging import page, time_filter
from pos_app.sandbox.responses import envelope
from pos_app.sandbox.routes.generic import get_one
from pos_app.sandbox.routes.wrapper import Call, justifi_route


def list_payments(call: Call) -> tuple[int, Any]:
    """GET /v1/payments, filtered by `created_after`, `created_before`, `payment_status`."""
    after = time_filter(call.request, "created_after")
    before = time_filter(call.request, "created_before")
    wanted_status = call.request.query_params.get("payment_status")
    records = []
    for payment in call.sandbox.visible("payment", call.sub_account):
        created = parse_iso(payment["created_at"])
        if (after is not None and created < after) or (before is not None and created > before):
            continue
        if wanted_status and payment["status"] != wanted_status:
            continue
        records.append(payments.render(call.sandbox, payment))
    return 200, page(call.request, records)


def get_payment(call: Call) -> tuple[int, Any]:
    """GET /v1/payments/{id}, its refunds expanded."""
    return 200, envelope("payment", payments.render(call.sandbox, call.find("payment")))


def refund_payment(call: Call) -> tuple[int, Any]:
    """POST /v1/payments/{id}/refunds."""
    refund = refunds.refund_payment(call.sandbox, call.find("payment"), call.body)
    return 201, envelope("refund", public(refund))


def void_payment(call: Call) -> tuple[int, Any]:
    """POST /v1/payments/{id}/void."""
    payment = payments.void(call.sandbox, call.find("payment"))
    return 200, envelope("payment", payments.render(call.sandbox, payment))


def list_refunds(call: Call) -> tuple[int, Any]:
    """GET /v1/refunds, filtered by `payment_id`."""
    payment_id = call.request.query_params.get("payment_id")
    records = [
        public(r)
        for r in call.sandbox.visible("refund", call.sub_account)
        if payment_id in (None, r["payment_id"])
    ]
    return 200, page(call.request, records)


ROUTES = [
    Route("/v1/payments", justifi_route(list_payments), methods=["GET"]),
    Route("/v1/payments/{id}", justifi_route(get_payment), methods=["GET"]),
    Route(
        "/v1/payments/{id}/refunds",
        justifi_route(refund_payment, idempotency="required"),
        methods=["POST"],
    ),
    Route(
        "/v1/payments/{id}/void",
        justifi_route(void_payment, idempotency="required"),
        methods=["POST"],
    ),
    Route("/v1/refunds", justifi_route(list_refunds), methods=["GET"]),
    Route("/v1/refunds/{id}", justifi_route(get_one("refund")), methods=["GET"]),
]
