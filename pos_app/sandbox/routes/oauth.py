"""`POST /oauth/token`: a bearer token for the client's keys (no envelope).

It takes no token and no Sub-Account, so it skips those checks of the
wrapper but not its faults.
"""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from pos_app.sandbox.errors import ApiError
from pos_app.sandbox.fault_responses import before_acting
from pos_app.sandbox.faults import BEFORE_ACTING
from pos_app.sandbox.responses import error_response
from pos_app.sandbox.routes.wrapper import answer, take_fault
from pos_app.sandbox.runtime import runtime_of
from pos_app.sandbox.validation import json_object


async def oauth_token(request: Request) -> Response:
    """POST /oauth/token."""
    runtime = runtime_of(request)
    runtime.requests["POST /oauth/token"] += 1
    raw = await request.body()
    fault = take_fault(runtime, request, raw)
    if fault is not None and fault.kind in BEFORE_ACTING:
        return before_acting(fault)
    sandbox = runtime.sandbox
    try:
        body = json_object(raw)
        token = sandbox.tokens.issue(
            body.get("client_id"), body.get("client_secret"), sandbox.clock.now()
        )
    except ApiError as error:
        return error_response(error)
    if fault is not None and fault.kind == "slow":
        await asyncio.sleep(fault.delay)
    return await answer(runtime, fault, 200, {"access_token": token})


ROUTES = [Route("/oauth/token", oauth_token, methods=["POST"])]
