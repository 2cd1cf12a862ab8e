"""The sandbox's HTTP face: JustiFi's routes and the `/_sandbox/` control API.

Each JustiFi route goes through one wrapper that applies, in order: armed
faults, auth, the Sub-Account header, the JSON body, idempotency, then the
operation. Every refusal is JustiFi's error body with a 4xx; a bug in here is
a 500 in the same shape, never a traceback.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from pos_app.sandbox.clock import parse_iso
from pos_app.sandbox.engine import (
    ApiError,
    Event,
    Sandbox,
    SandboxConfig,
    not_found,
    public,
)
from pos_app.sandbox.events import EventSender, Publisher
from pos_app.sandbox.fault_responses import after_acting, before_acting
from pos_app.sandbox.faults import (
    BEFORE_ACTING,
    SESSION_KINDS,
    Fault,
    FaultPlan,
    FaultRequest,
    fault_from_body,
)
from pos_app.sandbox.fleet import TEST_CARDS, TerminalSpec

log = logging.getLogger("pos_app.sandbox")

IDEMPOTENCY_KEY_MAX = 100
FAILED_KEY_HOLD_SECONDS = 1.0  # "after it failed: 409, safe to retry later"
TICK_SECONDS = 0.02
LOOPBACK = ("127.0.0.1", "::1", "localhost", "testclient")

Handler = Callable[["Call"], tuple[int, Any]]
Refuser = Callable[[float], Awaitable[None]]


@dataclass
class Call:
    """One JustiFi request, after the checks every route shares."""

    request: Request
    sandbox: Sandbox
    sub_account: str | None
    body: dict[str, Any]
    device: dict[str, Any] | None = None  # a terminal-behaviour fault for a new session

    def path_param(self, name: str) -> str:
        """A path parameter."""
        return str(self.request.path_params[name])

    def find(self, kind: str, param: str = "id") -> dict[str, Any]:
        """The object a path names, in the caller's sub account."""
        return self.sandbox.find(kind, self.path_param(param), self.sub_account)


@dataclass
class IdempotencyEntry:
    """What a key has been used for, and how it went."""

    fingerprint: str
    state: str  # in_flight | done | failed
    status: int = 0
    payload: Any = None
    failed_at: float = 0.0


@dataclass
class Runtime:
    """Per-process state next to the sandbox's objects."""

    sandbox: Sandbox
    faults: FaultPlan = field(default_factory=FaultPlan)
    events: EventSender = field(default_factory=EventSender)
    idempotency: dict[tuple[str, str], IdempotencyEntry] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    refuse: Refuser | None = None  # set by the server: stop accepting for a while
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        # With a state file, keys outlive a restart as they do at JustiFi.
        for record in self.sandbox.store.all("idempotency"):
            account, _, key = record["id"].partition("|")
            self.idempotency[(account, key)] = IdempotencyEntry(
                record["fingerprint"], "done", record["status"], record["payload"]
            )

    def remember(self, key: tuple[str, str], entry: IdempotencyEntry) -> None:
        """Keep a finished request's answer for replays."""
        self.idempotency[key] = entry
        self.sandbox.store.put(
            "idempotency",
            {
                "id": f"{key[0]}|{key[1]}",
                "fingerprint": entry.fingerprint,
                "status": entry.status,
                "payload": entry.payload,
            },
        )

    def reset(self) -> None:
        """Everything back to a fresh start (control API)."""
        self.sandbox.reset()
        self.faults.reset()
        self.idempotency.clear()
        self.requests.clear()
        self.events.configure(_scenario_publisher(self.sandbox.config))


# -- responses -------------------------------------------------------------------


def envelope(object_type: str, data: Any) -> dict[str, Any]:
    """JustiFi's single-object envelope."""
    object_id = data.get("id") if isinstance(data, dict) else None
    return {"id": object_id, "type": object_type, "data": data, "page_info": None}


def error_response(error: ApiError) -> JSONResponse:
    """JustiFi's error body."""
    return JSONResponse(error.body(), status_code=error.status)


class _QuietDrops(logging.Filter):
    """Keep the deliberate drops out of the server's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


# -- paging ------------------------------------------------------------------------


def _cursor(record: dict[str, Any]) -> str:
    raw = json.dumps([record["created_at"], record["id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_id(cursor: str, param: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        decoded = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError, binascii.Error, RecursionError):
        decoded = None
    if not (isinstance(decoded, list) and len(decoded) == 2 and isinstance(decoded[1], str)):
        raise ApiError(400, "invalid_parameter", f"{param} is not a valid cursor.", param=param)
    return decoded[1]


def page(request: Request, records: list[dict[str, Any]]) -> dict[str, Any]:
    """A JustiFi list: `limit`, `after_cursor`, `before_cursor`, newest first."""
    hide_newer_than = getattr(request.state, "hide_newer_than", None)
    if hide_newer_than is not None:  # a `stale_list` fault: the index lags the writes
        records = [r for r in records if parse_iso(r["created_at"]) <= hide_newer_than]
    raw_limit = request.query_params.get("limit", "25")
    try:
        limit = int(raw_limit)
    except ValueError:
        limit = 0
    if not 1 <= limit <= 100:
        raise ApiError(
            400, "invalid_parameter", "limit must be an integer from 1 to 100.", param="limit"
        )
    ids = [r["id"] for r in records]
    after = request.query_params.get("after_cursor")
    before = request.query_params.get("before_cursor")
    start, stop = 0, len(records)
    if after:
        object_id = _cursor_id(after, "after_cursor")
        start = ids.index(object_id) + 1 if object_id in ids else len(records)
        stop = min(start + limit, len(records))
    elif before:
        object_id = _cursor_id(before, "before_cursor")
        stop = ids.index(object_id) if object_id in ids else 0
        start = max(0, stop - limit)
    else:
        stop = min(limit, len(records))
    chunk = records[start:stop]
    return {
        "id": None,
        "type": "array",
        "data": chunk,
        "page_info": {
            "has_previous": start > 0,
            "has_next": stop < len(records),
            "start_cursor": _cursor(chunk[0]) if chunk else None,
            "end_cursor": _cursor(chunk[-1]) if chunk else None,
        },
    }


def _time_filter(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return parse_iso(raw)
    except ValueError as exc:
        raise ApiError(
            400, "invalid_parameter", f"{name} must be an ISO 8601 time.", param=name
        ) from exc


# -- the wrapper every JustiFi route goes through -------------------------------------


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
        # Refuse what could be stored but never sent back (lone surrogates, say).
        json.dumps(body, allow_nan=False, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeError, RecursionError) as exc:
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def _fingerprint(request: Request, sub_account: str | None, body: dict[str, Any]) -> str:
    canonical = json.dumps([request.method, request.url.path, sub_account, body], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _terminals_of(sandbox: Sandbox, path: str, raw: bytes) -> set[str]:
    """Terminals a request is about: in its path, its body, or its intent's sessions."""
    store = sandbox.store
    segments = [s for s in path.split("/") if s]
    found = {s for s in segments if store.get("terminal", s) is not None}
    try:
        body = json.loads(raw) if raw.strip() else None
    except (ValueError, RecursionError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("terminal_id"), str):
        found.add(body["terminal_id"])
    ids = set(segments)
    for session in store.all("session"):
        if ids & {session["payment_intent_id"], session["checkout_id"], session["payment_id"]}:
            found.add(session["terminal_id"])
    for kind in ("payment", "refund"):
        for object_id in ids:
            record = store.get(kind, object_id)
            if record is not None and record.get("terminal_id"):
                found.add(record["terminal_id"])
    return found


def _take_fault(runtime: Runtime, request: Request, raw: bytes) -> Fault | None:
    path = request.url.path
    return runtime.faults.take(
        FaultRequest(
            request.method,
            path,
            request.headers.get("sub-account"),
            lambda: _terminals_of(runtime.sandbox, path, raw),
        )
    )


async def _answer(
    runtime: Runtime,
    fault: Fault | None,
    status: int,
    payload: Any,
    headers: dict[str, str] | None = None,
) -> Response:
    """The operation's answer through whatever fault strikes after the work is done."""
    if fault is not None and fault.kind == "read_lag" and status in (200, 201):
        data = payload.get("data") if isinstance(payload, dict) else None
        object_id = data.get("id") if isinstance(data, dict) else None
        if isinstance(object_id, str):
            runtime.faults.lag_reads(fault, object_id)
    if fault is not None and fault.kind == "delayed_answer":
        await asyncio.sleep(fault.delay)
    return after_acting(fault, status, payload, headers or {})


def justifi_route(
    handler: Handler,
    *,
    auth: bool = True,
    sub_account: str = "optional",  # optional | required
    idempotency: str = "optional",  # optional | required (POST only)
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap an operation with the checks JustiFi applies to every call."""

    async def endpoint(request: Request) -> Response:
        runtime = _runtime(request)
        sandbox = runtime.sandbox
        sandbox.tick()
        route = request.scope.get("route")
        runtime.requests[f"{request.method} {getattr(route, 'path', request.url.path)}"] += 1
        lagging = runtime.faults.lagging_read(request.method, request.url.path)
        if lagging is not None:
            return error_response(not_found("object", lagging))
        raw = await request.body() if request.method in ("POST", "PATCH") else b""
        fault = _take_fault(runtime, request, raw)
        if fault is not None and fault.kind in BEFORE_ACTING:
            return before_acting(fault)
        key: tuple[str, str] | None = None
        try:
            if auth:
                sandbox.check_token(request.headers.get("authorization"))
            account = sandbox.check_sub_account(
                request.headers.get("sub-account"), required=sub_account == "required"
            )
            body = await _json_body(request) if request.method in ("POST", "PATCH") else {}
            if request.method == "POST":
                key, replay = _claim_key(runtime, request, account, body, idempotency)
                if replay is not None:
                    return await _answer(
                        runtime,
                        fault,
                        replay.status,
                        replay.payload,
                        {"Idempotent-Replayed": "true"},
                    )
            if fault is not None and fault.kind == "slow":
                await asyncio.sleep(fault.delay)
            if fault is not None and fault.kind == "stale_list":
                request.state.hide_newer_than = sandbox.clock.now() - float(fault.param("lag"))
            device = None
            if fault is not None and fault.kind in SESSION_KINDS:
                device = {"kind": fault.kind, **fault.params}
            sandbox.tick()
            status, payload = handler(Call(request, sandbox, account, body, device))
        except ApiError as error:
            _release_key(runtime, key, failed=True)
            return error_response(error)
        except Exception:
            _release_key(runtime, key, failed=True)
            log.exception("sandbox bug in %s %s", request.method, request.url.path)
            return error_response(ApiError(500, "internal_error", "The sandbox failed."))
        if key is not None:
            runtime.remember(
                key, IdempotencyEntry(runtime.idempotency[key].fingerprint, "done", status, payload)
            )
        return await _answer(runtime, fault, status, payload)

    return endpoint


def _claim_key(
    runtime: Runtime,
    request: Request,
    account: str | None,
    body: dict[str, Any],
    rule: str,
) -> tuple[tuple[str, str] | None, IdempotencyEntry | None]:
    raw = request.headers.get("idempotency-key")
    if raw is None:
        if rule == "required":
            raise ApiError(
                400,
                "idempotency_key_required",
                "Missing required header: Idempotency-Key",
                param="base",
            )
        return None, None
    if not raw or len(raw) > IDEMPOTENCY_KEY_MAX:
        raise ApiError(
            422,
            "invalid_idempotency_key",
            f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} characters.",
            param="Idempotency-Key",
        )
    key = (account or "", raw)
    fingerprint = _fingerprint(request, account, body)
    entry = runtime.idempotency.get(key)
    if entry is not None:
        if entry.fingerprint != fingerprint:
            raise ApiError(
                422,
                "idempotency_params_mismatch",
                "This Idempotency-Key was used with different parameters.",
                param="Idempotency-Key",
            )
        if entry.state == "done":
            return None, entry
        held = (
            entry.state == "failed" and time.monotonic() - entry.failed_at < FAILED_KEY_HOLD_SECONDS
        )
        if entry.state == "in_flight" or held:
            raise ApiError(
                409,
                "idempotency_request_in_progress",
                "A request with this Idempotency-Key is in progress or just failed; retry later.",
                param="Idempotency-Key",
            )
    runtime.idempotency[key] = IdempotencyEntry(fingerprint, "in_flight")
    return key, None


def _release_key(runtime: Runtime, key: tuple[str, str] | None, *, failed: bool) -> None:
    if key is not None and key in runtime.idempotency and failed:
        entry = runtime.idempotency[key]
        entry.state = "failed"
        entry.failed_at = time.monotonic()


# -- JustiFi operations --------------------------------------------------------------


async def oauth_token(request: Request) -> Response:
    """POST /oauth/token (no envelope)."""
    runtime = _runtime(request)
    runtime.requests["POST /oauth/token"] += 1
    raw = await request.body()
    fault = _take_fault(runtime, request, raw)
    if fault is not None and fault.kind in BEFORE_ACTING:
        return before_acting(fault)
    try:
        body = await _json_body(request)
        token = runtime.sandbox.issue_token(body.get("client_id"), body.get("client_secret"))
    except ApiError as error:
        return error_response(error)
    if fault is not None and fault.kind == "slow":
        await asyncio.sleep(fault.delay)
    return await _answer(runtime, fault, 200, {"access_token": token})


def _list(kind: str, object_type: str | None = None) -> Handler:
    def handler(call: Call) -> tuple[int, Any]:
        records = [public(r) for r in call.sandbox.visible(kind, call.sub_account)]
        return 200, page(call.request, records)

    del object_type
    return handler


def _get(kind: str) -> Handler:
    def handler(call: Call) -> tuple[int, Any]:
        return 200, envelope(kind, public(call.find(kind)))

    return handler


def create_payment_intent(call: Call) -> tuple[int, Any]:
    assert call.sub_account is not None
    intent = call.sandbox.create_payment_intent(call.body, call.sub_account)
    return 201, envelope("payment_intent", public(intent))


def update_payment_intent(call: Call) -> tuple[int, Any]:
    intent = call.sandbox.update_payment_intent(call.find("payment_intent"), call.body)
    return 200, envelope("payment_intent", public(intent))


def payment_intent_payments(call: Call) -> tuple[int, Any]:
    intent = call.find("payment_intent")
    payments = [
        call.sandbox.render_payment(p)
        for p in call.sandbox.visible("payment", call.sub_account)
        if p["payment_intent_id"] == intent["id"]
    ]
    return 200, page(call.request, payments)


def create_checkout(call: Call) -> tuple[int, Any]:
    assert call.sub_account is not None
    return 201, envelope(
        "checkout", public(call.sandbox.create_checkout(call.body, call.sub_account))
    )


def refund_checkout(call: Call) -> tuple[int, Any]:
    refund = call.sandbox.refund_checkout(call.find("checkout"), call.body)
    return 201, envelope("refund", public(refund))


def list_terminals(call: Call) -> tuple[int, Any]:
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
    terminal = call.sandbox.update_terminal(call.find("terminal"), call.body)
    return 200, envelope("terminal", public(terminal))


def terminal_status(call: Call) -> tuple[int, Any]:
    return 200, envelope("terminal", call.sandbox.terminal_status(call.find("terminal")))


def identify_terminal(call: Call) -> tuple[int, Any]:
    call.sandbox.identify_terminal(call.find("terminal"))
    return 204, None


def _session_response(call: Call, session: dict[str, Any]) -> dict[str, Any]:
    if session["type"] == "terminal_sessions":
        data = {
            k: session[k]
            for k in (
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
        }
        return envelope("terminal_sessions", data)
    intent = call.sandbox.find("payment_intent", session["payment_intent_id"], None)
    data = {"payment_intent": public(intent), "terminal": {"id": session["terminal_id"]}}
    return {"id": session["id"], "type": "terminal_payment_intent", "data": data, "page_info": None}


def terminal_pay(call: Call) -> tuple[int, Any]:
    session = call.sandbox.terminal_pay(call.body, call.sub_account, call.device)
    return 201, _session_response(call, session)


def terminal_refund(call: Call) -> tuple[int, Any]:
    session = call.sandbox.terminal_refund(call.body, call.sub_account, call.device)
    return 201, _session_response(call, session)


def list_payments(call: Call) -> tuple[int, Any]:
    after = _time_filter(call.request, "created_after")
    before = _time_filter(call.request, "created_before")
    wanted_status = call.request.query_params.get("payment_status")
    records = []
    for payment in call.sandbox.visible("payment", call.sub_account):
        created = parse_iso(payment["created_at"])
        if (after is not None and created < after) or (before is not None and created > before):
            continue
        if wanted_status and payment["status"] != wanted_status:
            continue
        records.append(call.sandbox.render_payment(payment))
    return 200, page(call.request, records)


def get_payment(call: Call) -> tuple[int, Any]:
    return 200, envelope("payment", call.sandbox.render_payment(call.find("payment")))


def refund_payment(call: Call) -> tuple[int, Any]:
    refund = call.sandbox.refund_payment(call.find("payment"), call.body)
    return 201, envelope("refund", public(refund))


def void_payment(call: Call) -> tuple[int, Any]:
    payment = call.sandbox.void_payment(call.find("payment"))
    return 200, envelope("payment", call.sandbox.render_payment(payment))


def list_refunds(call: Call) -> tuple[int, Any]:
    payment_id = call.request.query_params.get("payment_id")
    records = [
        public(r)
        for r in call.sandbox.visible("refund", call.sub_account)
        if payment_id in (None, r["payment_id"])
    ]
    return 200, page(call.request, records)


# -- control API (/_sandbox/, loopback only, no auth) ----------------------------------


def _control(
    handler: Callable[[Runtime, dict[str, Any], Request], Any],
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        runtime = _runtime(request)
        if request.client is not None and request.client.host not in LOOPBACK:
            return error_response(
                ApiError(403, "forbidden", "The control API answers this computer only.")
            )
        runtime.sandbox.tick()
        try:
            body = await _json_body(request) if request.method == "POST" else {}
            result = handler(runtime, body, request)
        except ApiError as error:
            return error_response(error)
        except (ValueError, TypeError) as exc:
            return error_response(ApiError(422, "invalid_parameter", str(exc)))
        return JSONResponse(result)

    return endpoint


def _terminal_view(runtime: Runtime, terminal: dict[str, Any]) -> dict[str, Any]:
    sandbox = runtime.sandbox
    session_id = terminal["_session"]
    session = sandbox.store.get("session", session_id) if session_id else None
    identify_until = terminal["_identify_until"]
    return {
        **public(terminal),
        "behaviour": terminal["_behaviour"],
        "tap_after": terminal["_tap_after"],
        "live_status": sandbox.terminal_live_status(terminal),
        "identifying": bool(identify_until and parse_iso(identify_until) > sandbox.clock.now()),
        "session": _session_view(session) if session else None,
    }


def _session_view(session: dict[str, Any]) -> dict[str, Any]:
    return {
        **public(session),
        "deadline_epoch": session["_deadline"],
        "device_fault": session.get("_device"),
    }


def control_state(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    sandbox = runtime.sandbox
    return {
        "time_scale": sandbox.clock.scale,
        "now": sandbox.now(),
        "terminals": [_terminal_view(runtime, t) for t in sandbox.store.all("terminal")],
        "test_cards": [{"key": c.key, "brand": c.brand, "last4": c.last4} for c in TEST_CARDS],
    }


def control_terminals(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
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
        return _terminal_view(runtime, runtime.sandbox.add_terminal(spec))
    return [_terminal_view(runtime, t) for t in runtime.sandbox.store.all("terminal")]


def _terminal(runtime: Runtime, request: Request) -> dict[str, Any]:
    return runtime.sandbox.find("terminal", request.path_params["id"], None)


def control_present(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    terminal = _terminal(runtime, request)
    session = runtime.sandbox.active_session(terminal)
    decline = body.get("decline_code")
    if decline is not None:
        runtime.sandbox.act(session, "decline", str(decline), body.get("card"))
    else:
        runtime.sandbox.act(session, "approve", None, body.get("card"))
    return _session_view(session)


def control_cancel(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    session = runtime.sandbox.active_session(_terminal(runtime, request))
    return _session_view(runtime.sandbox.act(session, "cancel"))


def control_plug(connected: bool) -> Callable[[Runtime, dict[str, Any], Request], Any]:
    def handler(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
        terminal = runtime.sandbox.set_connected(_terminal(runtime, request), connected)
        return _terminal_view(runtime, terminal)

    return handler


def control_time(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    clock = runtime.sandbox.clock
    if "scale" in body:
        clock.set_scale(float(body["scale"]))
    if "advance_seconds" in body:
        clock.advance(float(body["advance_seconds"]))
    runtime.sandbox.tick()
    return {"time_scale": clock.scale, "now": runtime.sandbox.now()}


def control_reset(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    runtime.reset()
    return {"reset": True}


def control_sessions(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
    return [
        _session_view(s) for s in runtime.sandbox.store.all("session") if s["status"] == "created"
    ]


def control_faults(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
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
    return {"expired": runtime.sandbox.expire_tokens()}


def control_stats(runtime: Runtime, body: dict[str, Any], request: Request) -> Any:
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


# -- assembly --------------------------------------------------------------------------


def _scenario_publisher(config: SandboxConfig) -> Publisher | None:
    scenario = config.scenario
    if scenario.event_url and scenario.event_secret:
        return Publisher(scenario.event_url, scenario.event_secret, scenario.event_names)
    return None


def _routes() -> list[Route]:
    r = justifi_route
    control = [
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
    return [
        Route("/oauth/token", oauth_token, methods=["POST"]),
        Route(
            "/v1/payment_intents",
            r(create_payment_intent, sub_account="required", idempotency="required"),
            methods=["POST"],
        ),
        Route("/v1/payment_intents", r(_list("payment_intent")), methods=["GET"]),
        Route("/v1/payment_intents/{id}", r(_get("payment_intent")), methods=["GET"]),
        Route("/v1/payment_intents/{id}", r(update_payment_intent), methods=["PATCH"]),
        Route("/v1/payment_intents/{id}/payments", r(payment_intent_payments), methods=["GET"]),
        Route("/v1/checkouts", r(create_checkout, sub_account="required"), methods=["POST"]),
        Route("/v1/checkouts", r(_list("checkout")), methods=["GET"]),
        Route("/v1/checkouts/{id}", r(_get("checkout")), methods=["GET"]),
        Route(
            "/v1/checkouts/{id}/refunds",
            r(refund_checkout, idempotency="required"),
            methods=["POST"],
        ),
        Route("/v1/terminals", r(list_terminals), methods=["GET"]),
        Route("/v1/terminals/pay", r(terminal_pay), methods=["POST"]),
        Route("/v1/terminals/refund", r(terminal_refund, idempotency="required"), methods=["POST"]),
        Route("/v1/terminals/{id}", r(_get("terminal")), methods=["GET"]),
        Route("/v1/terminals/{id}", r(update_terminal), methods=["PATCH"]),
        Route("/v1/terminals/{id}/status", r(terminal_status), methods=["GET"]),
        Route("/v1/terminals/{id}/identify", r(identify_terminal), methods=["POST"]),
        Route("/v1/payments", r(list_payments), methods=["GET"]),
        Route("/v1/payments/{id}", r(get_payment), methods=["GET"]),
        Route(
            "/v1/payments/{id}/refunds", r(refund_payment, idempotency="required"), methods=["POST"]
        ),
        Route("/v1/payments/{id}/void", r(void_payment, idempotency="required"), methods=["POST"]),
        Route("/v1/refunds", r(list_refunds), methods=["GET"]),
        Route("/v1/refunds/{id}", r(_get("refund")), methods=["GET"]),
        *(Route(path, _control(fn), methods=methods) for path, fn, methods in control),
    ]


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(ApiError(404, "not_found", f"No route {request.url.path}."))
    if exc.status_code == 405:
        return error_response(
            ApiError(
                405, "method_not_allowed", f"{request.method} is not allowed on {request.url.path}."
            )
        )
    return error_response(ApiError(exc.status_code, "invalid_request", str(exc.detail)))


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """The sandbox as an ASGI app (state in this process)."""
    runtime = Runtime(Sandbox(config or SandboxConfig()))
    runtime.events.configure(_scenario_publisher(runtime.sandbox.config))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()

        def publish(event: Event) -> None:
            runtime.events.submit(event.payload(runtime.sandbox.config.platform_account))

        runtime.sandbox.on_event = publish

        async def ticker() -> None:
            # Simulated customers act and devices time out even when nobody polls.
            while True:
                runtime.sandbox.tick()
                await asyncio.sleep(TICK_SECONDS)

        task = loop.create_task(ticker())
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await runtime.events.aclose()
            runtime.sandbox.store.close()

    app = Starlette(
        routes=_routes(), lifespan=lifespan, exception_handlers={HTTPException: _http_error}
    )
    app.state.runtime = runtime
    return app
