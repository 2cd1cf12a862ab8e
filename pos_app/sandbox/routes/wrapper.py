"""The one wrapper every JustiFi route goes through.

In order: count the request, answer a lagging read's 404, let an armed fault
strike before acting, check auth and the Sub-Account header, read the JSON
body, claim the idempotency key (or replay its answer), then the operation,
whose answer passes through whatever fault strikes after acting. Every
refusal is JustiFi's error body with a 4xx; a bug in here is a 500 in the
same shape, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from pos_app.sandbox.engine import Sandbox
from pos_app.sandbox.errors import ApiError, not_found
from pos_app.sandbox.fault_responses import after_acting, before_acting
from pos_app.sandbox.faults import BEFORE_ACTING, SESSION_KINDS, Fault, FaultRequest
from pos_app.sandbox.responses import error_response
from pos_app.sandbox.runtime import Runtime, runtime_of
from pos_app.sandbox.store import Record
from pos_app.sandbox.tokens import check_sub_account
from pos_app.sandbox.validation import json_object

log = logging.getLogger("pos_app.sandbox")

Handler = Callable[["Call"], tuple[int, Any]]
Endpoint = Callable[[Request], Awaitable[Response]]


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

    def find(self, kind: str, param: str = "id") -> Record:
        """The object a path names, in the caller's sub account."""
        return self.sandbox.find(kind, self.path_param(param), self.sub_account)


def terminals_of(sandbox: Sandbox, path: str, raw: bytes) -> set[str]:
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


def take_fault(runtime: Runtime, request: Request, raw: bytes) -> Fault | None:
    """The armed fault that strikes this request, if any (counted as a hit)."""
    path = request.url.path
    return runtime.faults.take(
        FaultRequest(
            request.method,
            path,
            request.headers.get("sub-account"),
            lambda: terminals_of(runtime.sandbox, path, raw),
        )
    )


async def answer(
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
) -> Endpoint:
    """Wrap an operation with the checks JustiFi applies to every call."""

    async def endpoint(request: Request) -> Response:
        runtime = runtime_of(request)
        sandbox = runtime.sandbox
        sandbox.tick()
        route = request.scope.get("route")
        runtime.requests[f"{request.method} {getattr(route, 'path', request.url.path)}"] += 1
        lagging = runtime.faults.lagging_read(request.method, request.url.path)
        if lagging is not None:
            return error_response(not_found("object", lagging))
        raw = await request.body() if request.method in ("POST", "PATCH") else b""
        fault = take_fault(runtime, request, raw)
        if fault is not None and fault.kind in BEFORE_ACTING:
            return before_acting(fault)
        key: tuple[str, str] | None = None
        try:
            if auth:
                sandbox.tokens.check(request.headers.get("authorization"), sandbox.clock.now())
            account = check_sub_account(
                sandbox.config,
                request.headers.get("sub-account"),
                required=sub_account == "required",
            )
            body = json_object(raw) if request.method in ("POST", "PATCH") else {}
            if request.method == "POST":
                key, replay = runtime.keys.claim(
                    request.headers.get("idempotency-key"),
                    (request.method, request.url.path),
                    account,
                    body,
                    required=idempotency == "required",
                )
                if replay is not None:
                    return await answer(
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
            runtime.keys.failed(key)
            return error_response(error)
        except Exception:
            runtime.keys.failed(key)
            log.exception("sandbox bug in %s %s", request.method, request.url.path)
            return error_response(ApiError(500, "internal_error", "The sandbox failed."))
        if key is not None:
            runtime.keys.done(key, status, payload)
        return await answer(runtime, fault, status, payload)

    return endpoint
