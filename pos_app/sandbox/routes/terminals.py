"""Routes of `/v1/terminals`: the fleet, each device's status, and sending to one."""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from pos_app.sandbox import sessions, terminals
from pos_app.sandbox.ledger import public
from pos_app.sandbox.paging import page
from pos_app.sandbox.responses import envelope
from pos_app.sandbox.routes.generic import get_one
from pos_app.sandbox.routes.wrapper import Call, justifi_route
from pos_app.sandbox.store import Record

CHECKOUT_SESSION_FIELDS = (
    "id",
    "session_type",
    "status",
    "payment_id",
    "payment_intent_id",
    "terminal_id",
    "account_id",
    "platform_account_id",
    "checkout_id",
)


def list_terminals(call: Call) -> tuple[int, Any]:
    """GET /v1/terminals, filtered by `status`, `terminal_id`, `provider_id`."""
    query = call.request.query_params
    records = [
        public(t)
        for t in call.sandbox.visible("terminal", call.sub_account)
        if query.get("status") in (None, t["status"])
        and query.get("terminal_id") in (None, t["id"])
        and query.get("provider_id") in (None, t["provider_id"])
    ]
    return 200, page(call.request, records)


def update_terminal(call: Call) -> tuple[int, Any]:
    """PATCH /v1/terminals/{id}."""
    terminal = terminals.update(call.sandbox, call.find("terminal"), call.body)
    return 200, envelope("terminal", public(terminal))


def terminal_status(call: Call) -> tuple[int, Any]:
    """GET /v1/terminals/{id}/status."""
    return 200, envelope("terminal", terminals.status(call.sandbox, call.find("terminal")))


def identify_terminal(call: Call) -> tuple[int, Any]:
    """POST /v1/terminals/{id}/identify."""
    terminals.identify(call.sandbox, call.find("terminal"))
    return 204, None


def _session_response(call: Call, session: Record) -> dict[str, Any]:
    """A checkout's session as itself; an intent's as the intent and the terminal."""
    if session["type"] == "terminal_sessions":
        data = {k: session[k] for k in CHECKOUT_SESSION_FIELDS}
        return envelope("terminal_sessions", data)
    intent = call.sandbox.find("payment_intent", session["payment_intent_id"], None)
    data = {"payment_intent": public(intent), "terminal": {"id": session["terminal_id"]}}
    return envelope("terminal_payment_intent", data, object_id=session["id"])


def terminal_pay(call: Call) -> tuple[int, Any]:
    """POST /v1/terminals/pay."""
    session = sessions.pay(call.sandbox, call.body, call.sub_account, call.device)
    return 201, _session_response(call, session)


def terminal_refund(call: Call) -> tuple[int, Any]:
    """POST /v1/terminals/refund."""
    session = sessions.refund(call.sandbox, call.body, call.sub_account, call.device)
    return 201, _session_response(call, session)


# /pay and /refund before /{id}, so neither is read as a terminal id.
ROUTES = [
    Route("/v1/terminals", justifi_route(list_terminals), methods=["GET"]),
    Route("/v1/terminals/pay", justifi_route(terminal_pay), methods=["POST"]),
    Route(
        "/v1/terminals/refund",
        justifi_route(terminal_refund, idempotency="required"),
        methods=["POST"],
    ),
    Route("/v1/terminals/{id}", justifi_route(get_one("terminal")), methods=["GET"]),
    Route("/v1/terminals/{id}", justifi_route(update_terminal), methods=["PATCH"]),
    Route("/v1/terminals/{id}/status", justifi_route(terminal_status), methods=["GET"]),
    Route("/v1/terminals/{id}/identify", justifi_route(identify_terminal), methods=["POST"]),
]
