"""What an armed fault answers instead of (or on top of) the real answer.

`before_acting` answers for the kinds that strike before the request is
carried out; `after_acting` turns the real answer into what the client sees
for the kinds that strike after the work is done.
"""

from __future__ import annotations

import copy
import json
import time
from email.utils import formatdate
from typing import Any

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from pos_app.sandbox.errors import ApiError
from pos_app.sandbox.faults import Fault
from pos_app.sandbox.responses import error_response

REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


class DroppedConnection(Response):
    """Starts an answer and stops: the server closes the connection mid-reply.

    An ASGI app cannot close its socket; uvicorn does so when an app returns
    after starting a response it never finished, which the client sees as
    the connection dropping.
    """

    def __init__(self) -> None:
        super().__init__(status_code=200)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )


def json_error(status: int, code: str, message: str, **headers: str) -> JSONResponse:
    """JustiFi's error body (no `param`: a fault is about no field)."""
    return error_response(ApiError(status, code, message), headers)


def html_page(status: int) -> Response:
    """A load balancer's error page, as nginx writes it."""
    title = f"{status} {REASONS[status]}"
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return Response(page, status_code=status, media_type="text/html")


def error_with_body(status: int, body: str) -> Response:
    """A 5xx with a JSON, HTML or plain-text body."""
    if body == "html":
        return html_page(status)
    if body == "text":
        return PlainTextResponse(REASONS[status], status_code=status)
    return json_error(status, "server_error", "Simulated server error.")


def retry_after(fault: Fault) -> str:
    """`Retry-After` in seconds, or as the HTTP date that many seconds from now."""
    if fault.params.get("retry_after_format") == "http_date":
        return formatdate(time.time() + fault.retry_after, usegmt=True)
    return str(fault.retry_after)


def before_acting(fault: Fault) -> Response:
    """The answer of a fault that strikes before anything is done."""
    kind = fault.kind
    if kind == "drop":
        return DroppedConnection()
    if kind == "rate_limit":
        return json_error(
            429, "rate_limited", "Too many requests.", **{"Retry-After": retry_after(fault)}
        )
    if kind == "unauthorized":
        return json_error(401, "unauthorized", "The access token is not valid.")
    if kind == "forbidden":
        return json_error(403, "forbidden", "You do not have permission to perform this action.")
    if kind == "error_page":
        return error_with_body(int(fault.param("status")), str(fault.param("body")))
    return json_error(
        500 if kind == "error_500" else 503, "server_error", "Simulated server error."
    )


def after_acting(
    fault: Fault | None, status: int, payload: Any, headers: dict[str, str]
) -> Response:
    """The real answer, or what a fault striking after the work makes of it."""
    kind = fault.kind if fault is not None else None
    if kind == "lost_answer":
        return DroppedConnection()
    if fault is not None and kind == "error_after_acting":
        return error_with_body(int(fault.param("status")), str(fault.param("body")))
    if status == 204:
        return Response(status_code=204, headers=headers)
    if fault is not None and kind == "malformed":
        return _malformed(str(fault.param("shape")), status, payload, headers)
    if fault is not None and kind == "unknown_status":
        payload = with_status(payload, str(fault.param("value")))
    return JSONResponse(payload, status_code=status, headers=headers)


def _malformed(shape: str, status: int, payload: Any, headers: dict[str, str]) -> Response:
    if shape == "truncated":
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return Response(raw[: max(1, len(raw) // 2)], status, headers, "application/json")
    if shape == "array":
        return JSONResponse([payload], status, headers)
    body = copy.deepcopy(payload)
    if shape == "no_data":
        if isinstance(body, dict):
            body.pop("data" if "data" in body else "access_token", None)
        return JSONResponse(body, status, headers)
    return JSONResponse(_wrong_type(body), status, headers)


def _wrong_type(body: Any) -> Any:
    """One field with the wrong type: an amount as a string, a list as an object..."""
    if not isinstance(body, dict):
        return body
    if "access_token" in body:
        body["access_token"] = 12345
        return body
    data = body.get("data")
    if isinstance(data, list):
        body["data"] = {"items": data}
        return body
    if isinstance(data, dict):
        nested = data.get("payment_intent")
        target: dict[str, Any] = nested if isinstance(nested, dict) else data
        if "amount" in target:
            target["amount"] = f"{target['amount'] / 100:.2f}"
        elif "status" in target:
            target["status"] = 7
        else:
            target["id"] = 12345
    return body


def with_status(payload: Any, value: str) -> Any:
    """The answer with every object's `status` replaced by `value`."""
    body = copy.deepcopy(payload)
    if not isinstance(body, dict):
        return body
    data = body.get("data")
    items = data if isinstance(data, list) else [data]
    for item in items:
        if not isinstance(item, dict):
            continue
        if "status" in item:
            item["status"] = value
        nested = item.get("payment_intent")
        if isinstance(nested, dict) and "status" in nested:
            nested["status"] = value
    return body
