"""The client secret: OS keyring first, the environment for kiosks and CI.

Never the settings file, never a log line. A machine without a usable keyring
(headless Linux, for one) raises on every call; that is reported, not fatal.
"""

from __future__ import annotations

import logging
import os

log = logging.getLogger("pos_app.secrets")

SERVICE = "pos-app/justifi"


class KeyringUnavailableError(RuntimeError):
    """No OS keyring on this machine: use JUSTIFI_CLIENT_SECRET instead."""


def read_client_secret(client_id: str) -> str | None:
    """The secret for a client id, from the environment or the keyring."""
    from_env = os.environ.get("JUSTIFI_CLIENT_SECRET")
    if from_env:
        return from_env
    try:
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(SERVICE, client_id)
        except KeyringError as exc:
            log.info("no usable keyring: %s", type(exc).__name__)
            return None
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None


def store_client_secret(client_id: str, secret: str) -> None:
    """Keep the secret in the OS keyring; KeyringUnavailableError if there is none."""
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(SERVICE, client_id, secret)
    except KeyringError as exc:
        raise KeyringUnavailableError(
            "This computer has no keyring to keep the client secret. Set the"
            " JUSTIFI_CLIENT_SECRET environment variable instead."
        ) from exc
