"""Keyrings for the audit chain's key in tests: one in a JSON file, one in memory.

`FileKeyring` lets a CLI test run as a subprocess keep the chain's key across
processes, as the OS keyring does: set

    PYTHON_KEYRING_BACKEND=tests.support.file_keyring.FileKeyring
    POS_TEST_KEYRING_FILE=<a path in the test's tmp folder>

with the repository root on PYTHONPATH. Without POS_TEST_KEYRING_FILE the backend
is not viable, so keyring's own choice never picks it.

`MemoryChainKeys` is the `ChainKeys` port for unit tests: a dict, with switches
for "no keyring" and for forgetting keys.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

BACKEND_NAME = "tests.support.file_keyring.FileKeyring"
FILE_ENV = "POS_TEST_KEYRING_FILE"


def _file() -> Path:
    name = os.environ.get(FILE_ENV)
    if not name:
        raise RuntimeError(f"{FILE_ENV} is not set")
    return Path(name)


class FileKeyring(KeyringBackend):
    """Passwords in the JSON file named by POS_TEST_KEYRING_FILE (a test's stand-in for
    the OS keyring, shared by every process of the test)."""

    @properties.classproperty
    def priority(cls) -> float:
        _file()  # not viable (RuntimeError) without the file's name
        return 0.1

    @staticmethod
    def _read() -> dict[str, str]:
        try:
            data = json.loads(_file().read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {str(key): str(value) for key, value in data.items()}

    @staticmethod
    def _write(entries: dict[str, str]) -> None:
        path = _file()
        partial = path.with_name(path.name + ".part")
        partial.write_text(json.dumps(entries, sort_keys=True), encoding="utf-8")
        partial.replace(path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(f"{service}\x1f{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        entries = self._read()
        entries[f"{service}\x1f{username}"] = password
        self._write(entries)

    def delete_password(self, service: str, username: str) -> None:
        entries = self._read()
        if entries.pop(f"{service}\x1f{username}", None) is None:
            raise PasswordDeleteError("no such password")
        self._write(entries)


class MemoryChainKeys:
    """The audit log's `ChainKeys` port in memory.

    `present=False` is a computer without a keyring; `forget(chain_id)` is a keyring
    that lost one key, `forget_all()` one that lost everything (the keys and what it
    remembered of each file). `secrets` and `files` (file id -> chain id) show what
    is kept.
    """

    def __init__(self, *, present: bool = True) -> None:
        self.present = present
        self.secrets: dict[str, bytes] = {}
        self.files: dict[str, str] = {}
        self.loads = 0

    def available(self) -> bool:
        return self.present

    def load(self, chain_id: str) -> bytes | None:
        self.loads += 1
        return self.secrets.get(chain_id) if self.present else None

    def create(self, chain_id: str) -> bytes | None:
        if not self.present:
            return None
        return self.secrets.setdefault(chain_id, secrets.token_bytes(32))

    def keyed_chain(self, file_id: str) -> str | None:
        return self.files.get(file_id) if self.present else None

    def remember_keyed_chain(self, file_id: str, chain_id: str) -> bool:
        if not self.present:
            return False
        self.files[file_id] = chain_id
        return True

    def forget(self, chain_id: str) -> None:
        self.secrets.pop(chain_id, None)

    def forget_all(self) -> None:
        self.secrets.clear()
        self.files.clear()
