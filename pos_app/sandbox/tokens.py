"""Auth: bearer tokens for the account's keys, and the Sub-Account header.

Times are simulated epoch seconds from the sandbox's clock, passed in, so a
faster clock also ages tokens faster. Tokens live in memory only: a restart
or a reset forgets them, as the docs say.
"""

from __future__ import annotations

import secrets
from typing import Any

from pos_app.sandbox.accounts import SandboxConfig
from pos_app.sandbox.errors import ApiError


class Tokens:
    """The tokens issued so far and when each expires."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._expiry: dict[str, float] = {}

    def issue(self, client_id: Any, client_secret: Any, now: float) -> str:
        """A bearer token for the right credentials; 401 otherwise."""
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            raise ApiError(
                400, "invalid_parameter", "client_id and client_secret are required strings."
            )
        id_ok = secrets.compare_digest(client_id.encode(), self.config.client_id.encode())
        secret_ok = secrets.compare_digest(
            client_secret.encode(), self.config.client_secret.encode()
        )
        if not (id_ok and secret_ok):
            raise ApiError(401, "invalid_client", "Invalid client_id or client_secret.")
        token = "sbx_" + secrets.token_urlsafe(24)
        self._expiry[token] = now + self.config.token_ttl
        return token

    def check(self, authorization: str | None, now: float) -> None:
        """401 unless the header carries a live token."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "unauthorized", "Missing bearer token in Authorization header.")
        expires = self._expiry.get(token.strip())
        if expires is None:
            raise ApiError(401, "unauthorized", "The access token is not valid.")
        if now >= expires:
            raise ApiError(401, "token_expired", "The access token has expired.")

    def expire_all(self, now: float) -> int:
        """Make every issued token expired now (control API); how many."""
        for token in self._expiry:
            self._expiry[token] = now
        return len(self._expiry)

    def clear(self) -> None:
        """Forget every token (reset)."""
        self._expiry.clear()


def check_sub_account(
    config: SandboxConfig, sub_account: str | None, *, required: bool
) -> str | None:
    """The sub account a request acts for, after checking the keys may act for it."""
    if not sub_account:
        if required:
            raise ApiError(
                400,
                "sub_account_header_required",
                "Missing required header: Sub-Account",
                param="base",
            )
        return None
    if sub_account not in config.sub_accounts:
        raise ApiError(
            403, "forbidden", f"Sub account {sub_account!r} is not available to these keys."
        )
    return sub_account
