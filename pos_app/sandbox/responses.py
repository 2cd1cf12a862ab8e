"""JustiFi's answers: the single-object envelope and the error body.

Every refusal the sandbox sends (a rule's `ApiError`, an armed fault's JSON
error, an unknown route) goes through `error_response`, so the shape is
written once.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from pos_app.sandbox.errors import ApiError


def envelope(object_type: str, data: Any, object_id: str | None = None) -> dict[str, Any]:
    """JustiFi's single-object envelope; its id is the object's unless given."""
    if object_id is None and isinstance(data, dict):
        object_id = data.get("id")
    return {"id": object_id, "type": object_type, "data": data, "page_info": None}


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    """JustiFi's error body with the error's status."""
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such route, wrong method) in JustiFi's shape."""
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


class _QuietDrops(logging.Filter):
    """Keep the deliberate drops out of the server's error log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


def quiet_deliberate_drops() -> None:
    """Stop uvicorn logging the connections a `drop` or `lost_answer` fault cuts."""
    server_log = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _QuietDrops) for f in server_log.filters):
        server_log.addFilter(_QuietDrops())
