"""The settings service's view of the outside: the settings file, the keyring, JustiFi.

`pos_app.config.SettingsFileStore`, `pos_app.secrets.KeyringSecretStore` and
`pos_app.justifi.connection.check_connection` are the real ones; tests pass
fakes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from pos_app.services.settings.connection_report import ConnectionReport

__all__ = ["ConnectionChecker", "SecretStore", "SettingsStore", "StoreSetFields"]


class SettingsStore(Protocol):
    """The settings file (and the environment over it)."""

    def load(self) -> Mapping[str, object]:
        """The settings in force: every `SettingsValues` field name to its value.

        `demo` may be None (automatic: no client id means demo).
        """
        ...

    def locked_fields(self) -> frozenset[str]:
        """Fields an environment variable sets: saving cannot change them."""
        ...

    def save(self, values: Mapping[str, object]) -> None:
        """Write these fields (None removes one); ValueError or OSError with a sentence."""
        ...


@runtime_checkable
class StoreSetFields(Protocol):
    """A settings store on a lane in a store, which also knows what the store sets for
    every lane (its receipt header, tax rate, limits): those fields are shown, not
    edited here. A settings store without this method has none."""

    def store_fields(self) -> frozenset[str]:
        """Fields the store's shared settings set on this lane."""
        ...


class SecretStore(Protocol):
    """Where the client secret is kept."""

    def status(self) -> tuple[bool, str, str]:
        """(available, backend name, sentence) for this computer's keyring."""
        ...

    def from_environment(self) -> bool:
        """Whether JUSTIFI_CLIENT_SECRET supplies the secret."""
        ...

    def stored(self, client_id: str) -> bool:
        """Whether the keyring keeps a secret for this client id."""
        ...

    def read(self, client_id: str) -> str | None:
        """The secret the app would use (environment, then keyring)."""
        ...

    def store(self, client_id: str, secret: str) -> None:
        """Keep the secret; RuntimeError with a sentence when there is no usable keyring."""
        ...

    def delete(self, client_id: str) -> bool:
        """Forget the secret; False if none was kept; RuntimeError without a keyring."""
        ...


class ConnectionChecker(Protocol):
    """Fetches a token and lists terminals; never raises for a network or JustiFi problem."""

    async def __call__(
        self, api_url: str, client_id: str, client_secret: str, sub_account: str | None
    ) -> ConnectionReport:
        """The report of one connection test."""
        ...
