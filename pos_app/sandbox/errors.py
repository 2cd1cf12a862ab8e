"""A refusal in JustiFi's shape, raised anywhere in the sandbox.

The rules raise `ApiError`; the HTTP side (`responses.error_response`) turns
it into JustiFi's error body with its status. The sandbox stands for a
foreign system, so this is not part of the app's error family: no person at
the till reads it, the JustiFi client does.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A refusal in JustiFi's shape: HTTP status, code, message, param."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        param: str | None = None,
        decline_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.decline_code = decline_code

    def body(self) -> dict[str, Any]:
        """JustiFi's error body."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.decline_code is not None:
            error["decline_code"] = self.decline_code
        return {"error": error}


def not_found(kind: str, object_id: str) -> ApiError:
    """404 for an id that does not exist in the caller's sub account."""
    return ApiError(404, "not_found", f"No {kind} with id {object_id!r}.", param="id")
