"""The control API under `/_sandbox/`: what tests and the virtual terminal drive.

Loopback only and without auth: present a card, decline or press X on a
terminal, unplug and replug it, move the clock, arm faults, expire tokens,
set an event publisher, read the state and the request counts, reset.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pos_app.sandbox import device, sessions, terminals
from pos_app.sandbox.errors import ApiError
from pos_app.sandbox.events import Publisher
from pos_app.sandbox.faults import Fault, fault_from_body
from pos_app.sandbox.fleet import TEST_CARDS, TerminalSpec
from pos_app.sandbox.ledger import public
from pos_app.sandbox.responses import error_response
from pos_app.sandbox.routes.wrapper import Endpoint
from pos_app.sandbox.runtime import Runtime, runtime_of
from pos_app.sandbox.store import Record
from pos_app.sandbox.validation import json_object

LOOPBACK = ("127.0.0.1", "::1", "localhost", "testclient")

ControlHandler = Callable[[Runtime, dict[str, Any], Request], Any]


def control_route(handler: ControlHandler) -> Endpoint:
    """Wrap a control operation: loopback only, JSON in and out, 4xx on bad input."""

    async def endpoint(request: Request) -> Response:
        runtime = runtime_of(request)
        if request.client is not None and request.client.host not in LOOPBACK:
            return error_response(
                ApiError(403, "forbidden", "The control API answers this computer only.")
            )
        runtime.sandbox.tick()
        try:
            body = json_object(await request.body()) if request.method == "POST" else {}
            result = handler(runtime, body, request)
        except ApiError as error:
            return error_response(error)
        except (ValueError, TypeError) as exc:
            return error_response(ApiError(422, "invalid_parameter", str(exc)))
        return JSONResponse(result)

    return endpoint


def _terminal_view(runtime: Runtime, terminal: Record) -> dict[str, Any]:
    sandbox = runtime.sandbox
    session_id = terminal["_session"]
    session = sandbox.store.get("session", session_id) if session_id else None
    return {
        **public(terminal),
        "behaviour": terminal["_behaviour"],
        "tap_after": terminal["_tap_after"],
        "live_status": terminals.live_status(terminal),
        "identifying": terminals.identifying(sandbox, terminal),
        "session": _session_view(session) if session else None,
    }


def _session_view(session: Record) -> dict[str, Any]:
    return {
        **public(session),
        "deadline_epoch": session["_deadline"],
        "device_fault": session.get("_device"),
    }


def _terminal(runtime: Runtime, request: Request) -> Record:
    return runtime.sandbox.find("terminal", request.path_params["id"], None)


def control_state(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    """GET /_sandbox/state: the clock, every terminal, the test cards."""
    sandbox = runtime.sandbox
    return {
        "time_scale": sandbox.clock.scale,
        "now": sandbox.now(),
        "terminals": [_terminal_view(runtime, t) for t in sandbox.store.all("terminal")],
        "test_cards": [{"key": c.key, "brand": c.brand, "last4": c.last4} for c in TEST_CARDS],
    }


def control_terminals(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    """GET lists the terminals; POST adds one."""
    if request.method == "POST":
        spec = TerminalSpec(
            id=str(body.get("id") or f"trm_{runtime.sandbox.store.count('terminal') + 1:04d}"),
            nickname=str(body.get("nickname", "New terminal")),
            behaviour=str(body.get("behaviour", "manual")),
            tap_after=float(body.get("tap_after", 3.0)),
            connected=bool(body.get("connected", True)),
            model_name=str(body.get("model_name", "e285")),
            sub_account=body.get("sub_account"),
        )
        return _terminal_view(runtime, terminals.add(runtime.sandbox, spec))
    return [_terminal_view(runtime, t) for t in runtime.sandbox.store.all("terminal")]


def control_present(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    """POST .../present: a card approves (or `decline_code` declines) the running sale."""
    sandbox = runtime.sandbox
    session = sessions.active(sandbox, _terminal(runtime, request))
    decline = body.get("decline_code")
    if decline is not None:
        device.act(sandbox, session, "decline", str(decline), body.get("card"))
    else:
        device.act(sandbox, session, "approve", None, body.get("card"))
    return _session_view(session)


def control_cancel(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    """POST .../cancel: X pressed on the device."""
    sandbox = runtime.sandbox
    session = sessions.active(sandbox, _terminal(runtime, request))
    return _session_view(device.act(sandbox, session, "cancel"))


def control_plug(connected: bool) -> ControlHandler:
    """POST .../unplug or .../replug."""

    def handler(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
        terminal = terminals.set_connected(runtime.sandbox, _terminal(runtime, request), connected)
        return _terminal_view(runtime, terminal)

    return handler


def control_time(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    """POST /_sandbox/time: `scale` and/or `advance_seconds`."""
    clock = runtime.sandbox.clock
    if "scale" in body:
        clock.set_scale(float(body["scale"]))
    if "advance_seconds" in body:
        clock.advance(float(body["advance_seconds"]))
    runtime.sandbox.tick()
    return {"time_scale": clock.scale, "now": runtime.sandbox.now()}


def control_reset(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    """POST /_sandbox/reset."""
    runtime.reset()
    return {"reset": True}


def control_sessions(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    """GET /_sandbox/sessions: the running ones."""
    return [
        _session_view(s) for s in runtime.sandbox.store.all("session") if s["status"] == "created"
    ]


def control_faults(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    """GET lists the armed faults, POST arms one, DELETE disarms all."""
    if request.method == "POST":
        try:
            fault = fault_from_body(body)
        except ValueError as exc:
            raise ApiError(400, "invalid_parameter", f"Bad fault: {exc}.") from exc
        if fault.kind == "refuse_connections":
            _refuse_connections(runtime, fault)
        else:
            runtime.faults.arm(fault)
    elif request.method == "DELETE":
        runtime.faults.clear()
    return [f.as_dict() for f in runtime.faults.faults]


def _refuse_connections(runtime: Runtime, fault: Fault) -> None:
    """Close the listening socket now and reopen it on the same port `seconds` later."""
    refuse = runtime.refuse
    if refuse is None:
        raise ApiError(
            400,
            "invalid_parameter",
            "Bad fault: refuse_connections needs the sandbox served by `pos-app sandbox`"
            " or server.serving().",
        )
    seconds = float(fault.param("seconds"))
    fault.count = None
    runtime.faults.arm(fault)
    runtime.faults.refusing_until = time.monotonic() + seconds

    async def window() -> None:
        try:
            await refuse(seconds)
        finally:
            if fault in runtime.faults.faults:
                runtime.faults.faults.remove(fault)

    task = asyncio.get_running_loop().create_task(window())
    runtime.tasks.add(task)
    task.add_done_callback(runtime.tasks.discard)


def control_tokens_expire(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    """POST /_sandbox/tokens/expire: every token issued so far expires now."""
    sandbox = runtime.sandbox
    return {"expired": sandbox.tokens.expire_all(sandbox.clock.now())}


def control_stats(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    """GET /_sandbox/stats: requests by route, fault hits, objects by kind."""
    store = runtime.sandbox.store
    return {
        "requests": dict(runtime.requests),
        "requests_total": sum(runtime.requests.values()),
        "faults": runtime.faults.stats(),
        "objects": {
            kind: store.count(kind)
            for kind in ("payment_intent", "checkout", "payment", "refund", "session")
        },
    }


def control_events(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    """GET shows the publisher and its deliveries; POST sets (or removes) it."""
    if request.method == "POST":
        url, secret = body.get("url"), body.get("secret")
        if not url:
            runtime.events.configure(None)
            return {"publisher": None}
        if not isinstance(url, str) or not isinstance(secret, str) or not secret:
            raise ValueError("url and secret are required strings")
        names = tuple(str(n) for n in body.get("names", ()))
        runtime.events.configure(Publisher(url, secret, names))
    publisher = runtime.events.publisher
    if publisher is None:
        return {"publisher": None, "deliveries": []}
    return {
        "publisher": {"url": publisher.url, "names": list(publisher.names)},
        "deliveries": list(publisher.deliveries),
    }


_CONTROL: list[tuple[str, ControlHandler, list[str]]] = [
    ("/_sandbox/state", control_state, ["GET"]),
    ("/_sandbox/terminals", control_terminals, ["GET", "POST"]),
    ("/_sandbox/terminals/{id}/present", control_present, ["POST"]),
    ("/_sandbox/terminals/{id}/cancel", control_cancel, ["POST"]),
    ("/_sandbox/terminals/{id}/unplug", control_plug(False), ["POST"]),
    ("/_sandbox/terminals/{id}/replug", control_plug(True), ["POST"]),
    ("/_sandbox/time", control_time, ["POST"]),
    ("/_sandbox/reset", control_reset, ["POST"]),
    ("/_sandbox/sessions", control_sessions, ["GET"]),
    ("/_sandbox/faults", control_faults, ["GET", "POST", "DELETE"]),
    ("/_sandbox/tokens/expire", control_tokens_expire, ["POST"]),
    ("/_sandbox/stats", control_stats, ["GET"]),
    ("/_sandbox/events", control_events, ["GET", "POST"]),
]

ROUTES = [Route(path, control_route(fn), methods=methods) for path, fn, methods in _CONTROL]
