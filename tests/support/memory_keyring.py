"""A keyring backend that keeps passwords in this process's memory, for tests.

Select it with PYTHON_KEYRING_BACKEND=tests.support.memory_keyring.MemoryKeyring.
`pos_app.secrets` loads the named backend afresh on every call, so the
passwords live on the class, shared by every instance; `clear()` empties it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked, PasswordDeleteError

BACKEND_NAME = "tests.support.memory_keyring.MemoryKeyring"
LOCKED_BACKEND_NAME = "tests.support.memory_keyring.LockedKeyring"


class MemoryKeyring(KeyringBackend):
    """Passwords in a dict; nothing touches the disk or the desktop's keyring."""

    priority = 1  # type: ignore[assignment]
    passwords: ClassVar[dict[tuple[str, str], str]] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise PasswordDeleteError("no such password") from None

    @classmethod
    def clear(cls) -> None:
        """Forget every password."""
        cls.passwords.clear()


class LockedKeyring(KeyringBackend):
    """A keyring that is there but locked: every call raises KeyringLocked."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the keyring is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the keyring is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the keyring is locked")


def isolate_settings(monkeypatch: pytest.MonkeyPatch, config_dir: Path) -> Path:
    """No JUSTIFI_* / POS_* variables but POS_CONFIG_DIR, the memory keyring, emptied."""
    for name in list(os.environ):
        if name.upper().startswith(("JUSTIFI_", "POS_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("POS_CONFIG_DIR", str(config_dir))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", BACKEND_NAME)
    MemoryKeyring.clear()
    return config_dir / "settings.toml"
