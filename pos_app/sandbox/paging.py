"""JustiFi's lists: `limit`, opaque cursors, newest first, time filters.

A cursor is the object's creation time and id, base64-encoded; a cursor
naming an object that no longer exists in the list yields an empty page.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from starlette.requests import Request

from pos_app.sandbox.clock import parse_iso
from pos_app.sandbox.errors import ApiError

DEFAULT_LIMIT = "25"
MAX_LIMIT = 100


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
    raw_limit = request.query_params.get("limit", DEFAULT_LIMIT)
    try:
        limit = int(raw_limit)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
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


def time_filter(request: Request, name: str) -> float | None:
    """A `created_after`/`created_before` query parameter as epoch seconds."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return parse_iso(raw)
    except ValueError as exc:
        raise ApiError(
            400, "invalid_parameter", f"{name} must be an ISO 8601 time.", param=name
        ) from exc
