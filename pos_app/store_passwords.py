"""The store database's password as the settings service keeps it: the OS keyring.

`KeyringStorePasswords` is the `pos_app.services.settings.StorePasswords` a lane's
settings service is given: it calls `pos_app.secrets`' store-password functions
(service `pos-app-store`, user name the store's URL without a password), and
POS_STORE_PASSWORD in the lane's environment wins over the keyring, as it does
for the sync task. Never the settings file.
"""

from __future__ import annotations

import os

from pos_app import secrets

__all__ = ["KeyringStorePasswords"]


class KeyringStorePasswords:
    """The store database's password in this computer's keyring."""

    def available(self) -> bool:
        """Whether this computer has a keyring the app may keep a password in."""
        return secrets.keyring_status().available

    def from_environment(self) -> bool:
        """Whether POS_STORE_PASSWORD supplies the password."""
        return bool(os.environ.get(secrets.STORE_PASSWORD_ENV))

    def read(self, url: str) -> str | None:
        """The password the lane would use for `url` (environment, then keyring)."""
        return secrets.read_store_password(url)

    def save(self, url: str, password: str) -> None:
        """Keep the password for `url`; RuntimeError (a sentence) when there is no keyring."""
        secrets.save_store_password(url, password)

    def delete(self, url: str) -> None:
        """Forget the password kept for `url`."""
        secrets.delete_store_password(url)
