"""The client secret's keyring: which backends are acceptable, store / read / delete."""

from __future__ import annotations

import base64
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring.backend
import pytest

from pos_app import secrets
from pos_app.secrets import (
    CHAIN_FILE_SERVICE,
    CHAIN_SERVICE,
    NO_KEYRING_MESSAGE,
    KeyringChainKeys,
    KeyringSecretStore,
    KeyringUnavailableError,
    delete_client_secret,
    keyring_status,
    read_client_secret,
    read_stored_secret,
    store_client_secret,
)
from pos_app.storage.audit import SqliteAuditLog
from tests.support.file_keyring import BACKEND_NAME as FILE_BACKEND_NAME
from tests.support.file_keyring import FILE_ENV
from tests.support.memory_keyring import (
    BACKEND_NAME,
    LOCKED_BACKEND_NAME,
    MemoryKeyring,
    isolate_settings,
)

SECRET = "sk-test-Zq8vX3kP-keyring-only"
CLIENT_ID = "test_client"

# Stands for keyrings.alt's plaintext file backend (not installed here): same module
# path and class name, a working store, so only the judgement can refuse it.
PLAINTEXT_MODULE = """
from keyring.backend import KeyringBackend


class PlaintextKeyring(KeyringBackend):
    priority = 0.5
    kept = {}

    def get_password(self, service, username):
        return self.kept.get((service, username))

    def set_password(self, service, username, password):
        self.kept[(service, username)] = password

    def delete_password(self, service, username):
        self.kept.pop((service, username))
"""


@pytest.fixture(autouse=True)
def _memory_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_settings(monkeypatch, tmp_path / "config")


@pytest.fixture
def plaintext_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[type]:
    package = tmp_path / "alt" / "keyrings" / "alt"
    package.mkdir(parents=True)
    (package.parent / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "file.py").write_text(PLAINTEXT_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path / "alt"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    import keyrings.alt.file  # type: ignore[import-not-found]

    yield keyrings.alt.file.PlaintextKeyring
    for name in ("keyrings.alt.file", "keyrings.alt", "keyrings"):
        sys.modules.pop(name, None)


def test_the_memory_keyring_is_acceptable() -> None:
    status = keyring_status()
    assert status.available
    assert status.backend == BACKEND_NAME
    assert BACKEND_NAME in status.message
    assert KeyringSecretStore().status() == status


def test_store_read_and_delete(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store = KeyringSecretStore()
    assert not store.stored(CLIENT_ID)
    store_client_secret(CLIENT_ID, SECRET)
    assert MemoryKeyring.passwords == {(secrets.SERVICE, CLIENT_ID): SECRET}
    assert read_client_secret(CLIENT_ID) == SECRET
    assert read_stored_secret(CLIENT_ID) == SECRET
    assert store.stored(CLIENT_ID)
    assert read_client_secret("test_other") is None
    assert delete_client_secret(CLIENT_ID) is True
    assert delete_client_secret(CLIENT_ID) is False  # nothing left to delete
    assert read_client_secret(CLIENT_ID) is None
    assert SECRET not in caplog.text


def test_the_environment_wins_over_the_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    store_client_secret(CLIENT_ID, SECRET)
    monkeypatch.setenv("JUSTIFI_CLIENT_SECRET", "from-the-environment")
    assert read_client_secret(CLIENT_ID) == "from-the-environment"
    assert read_stored_secret(CLIENT_ID) == SECRET
    assert KeyringSecretStore().from_environment()


def test_an_empty_client_id_or_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="client id"):
        store_client_secret(" ", SECRET)
    with pytest.raises(ValueError, match="empty client secret"):
        store_client_secret(CLIENT_ID, "")
    assert read_client_secret("") is None
    assert MemoryKeyring.passwords == {}


@pytest.mark.parametrize(
    "backend", ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"]
)
def test_no_keyring(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    status = keyring_status()
    assert status == (False, backend, NO_KEYRING_MESSAGE)
    assert status.message == (
        "This computer has no keyring; set JUSTIFI_CLIENT_SECRET in the lane's environment instead."
    )
    with pytest.raises(KeyringUnavailableError, match="JUSTIFI_CLIENT_SECRET"):
        store_client_secret(CLIENT_ID, SECRET)
    with pytest.raises(KeyringUnavailableError):
        delete_client_secret(CLIENT_ID)
    assert read_client_secret(CLIENT_ID) is None  # reported, not fatal
    assert not KeyringSecretStore().stored(CLIENT_ID)


def test_a_plaintext_backend_is_not_acceptable_for_the_secret(
    plaintext_backend: type,
) -> None:
    status = keyring_status()
    assert not status.available
    assert status.backend == "keyrings.alt.file.PlaintextKeyring"
    assert "plain text" in status.message
    assert "JUSTIFI_CLIENT_SECRET" in status.message
    with pytest.raises(KeyringUnavailableError, match="plain text"):
        store_client_secret(CLIENT_ID, SECRET)
    assert plaintext_backend.kept == {}  # type: ignore[attr-defined]
    plaintext_backend.kept[(secrets.SERVICE, CLIENT_ID)] = SECRET  # type: ignore[attr-defined]
    assert read_client_secret(CLIENT_ID) is None  # not even read from there


def test_a_chain_with_a_plaintext_member_is_not_acceptable(
    plaintext_backend: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    members = [MemoryKeyring(), plaintext_backend()]
    monkeypatch.setattr(keyring.backend, "get_all_keyring", lambda: members)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.chainer.ChainerBackend")
    status = keyring_status()
    assert not status.available
    assert "keyrings.alt.file.PlaintextKeyring" in status.backend
    members.pop()
    members.append(MemoryKeyring())
    assert keyring_status().available


def test_a_locked_keyring_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", LOCKED_BACKEND_NAME)
    status = keyring_status()
    assert not status.available
    assert "KeyringLocked" in status.message
    assert "Unlock" in status.message
    with pytest.raises(KeyringUnavailableError, match="KeyringLocked"):
        store_client_secret(CLIENT_ID, SECRET)
    assert read_client_secret(CLIENT_ID) is None


def test_a_backend_that_cannot_be_loaded_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "no_such_module.Keyring")
    status = keyring_status()
    assert not status.available
    assert "no_such_module.Keyring" in status.message
    with pytest.raises(KeyringUnavailableError):
        store_client_secret(CLIENT_ID, SECRET)


# -- the audit chain's key (KeyringChainKeys) ------------------------------------------------

CHAIN_ID = "0123456789abcdef0123456789abcdef"


def test_a_chain_key_is_made_once_kept_and_never_replaced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    keys = KeyringChainKeys()
    assert keys.available()
    assert keys.load(CHAIN_ID) is None
    secret = keys.create(CHAIN_ID)
    assert secret is not None
    assert len(secret) == 32
    assert keys.load(CHAIN_ID) == secret
    assert keys.create(CHAIN_ID) == secret  # a second lane opening the file keeps it
    (stored,) = MemoryKeyring.passwords.items()
    assert stored[0] == (CHAIN_SERVICE, CHAIN_ID)
    assert base64.b64decode(stored[1]) == secret
    assert stored[1] not in caplog.text


def test_an_unreadable_chain_key_reads_as_none() -> None:
    MemoryKeyring.passwords[(CHAIN_SERVICE, CHAIN_ID)] = "not base64!"
    assert KeyringChainKeys().load(CHAIN_ID) is None
    MemoryKeyring.passwords[(CHAIN_SERVICE, CHAIN_ID)] = base64.b64encode(b"short").decode()
    assert KeyringChainKeys().load(CHAIN_ID) is None


@pytest.mark.parametrize(
    "backend",
    ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring", LOCKED_BACKEND_NAME],
)
def test_no_usable_keyring_means_no_chain_key(
    monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    keys = KeyringChainKeys()
    assert not keys.available()
    assert keys.create(CHAIN_ID) is None
    assert keys.load(CHAIN_ID) is None


def test_a_plaintext_backend_never_keeps_the_chain_key(plaintext_backend: type) -> None:
    keys = KeyringChainKeys()
    assert not keys.available()
    assert keys.create(CHAIN_ID) is None
    assert plaintext_backend.kept == {}  # type: ignore[attr-defined]


def test_the_file_keyring_keeps_a_chain_key_across_processes(tmp_path: Path) -> None:
    """What the CLI's subprocess tests rely on: a log keyed in one process is checked with
    the same key in the next (tests.support.file_keyring)."""
    script = (
        "import sys\n"
        "from pos_app.secrets import KeyringChainKeys\n"
        "from pos_app.storage.audit import SqliteAuditLog\n"
        "with SqliteAuditLog(sys.argv[1], KeyringChainKeys()) as log:\n"
        "    print(log.key_status().value, log.verify().ok, log.head().seq)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "PYTHON_KEYRING_BACKEND": FILE_BACKEND_NAME,
        FILE_ENV: str(tmp_path / "keyring.json"),
    }
    audit = str(tmp_path / "audit.sqlite3")

    def run() -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, audit], env=env, capture_output=True, text=True,
            check=True, timeout=60,
        )  # fmt: skip
        return done.stdout.strip()

    assert run() == "keyed True 1"  # keyed: the CHAIN_KEYED entry
    assert run() == "keyed True 1"  # the same key found again: no second keying
    assert CHAIN_SERVICE in (tmp_path / "keyring.json").read_text(encoding="utf-8")
    (tmp_path / "keyring.json").unlink()  # the keyring lost it
    assert run() == "key_missing True 2"  # a new keyed part; the first cannot be checked
    assert CHAIN_FILE_SERVICE in (tmp_path / "keyring.json").read_text(encoding="utf-8")
    with sqlite3.connect(audit) as conn:  # another chain id written into the file
        conn.execute("UPDATE lane_state SET chain_id = ?", ("f" * 32,))
    assert run() == "key_missing False 2"  # found, and not keyed afresh


FILE_ID = "00112233445566778899aabbccddeeff"


def test_the_keyring_remembers_which_chain_each_audit_file_was_keyed_as() -> None:
    keys = KeyringChainKeys()
    assert keys.keyed_chain(FILE_ID) is None
    assert keys.remember_keyed_chain(FILE_ID, CHAIN_ID)
    assert keys.keyed_chain(FILE_ID) == CHAIN_ID
    assert keys.keyed_chain("another file") is None
    other = "fedcba9876543210fedcba9876543210"
    assert keys.remember_keyed_chain(FILE_ID, other)  # a re-keying moves it
    assert keys.keyed_chain(FILE_ID) == other
    # A service of its own: no chain id written into a file can name this record.
    assert MemoryKeyring.passwords == {(CHAIN_FILE_SERVICE, FILE_ID): other}
    assert keys.load(FILE_ID) is None


@pytest.mark.parametrize("stored", ["", "   ", "x" * 65, "abc\x00def"])
def test_an_unreadable_file_record_reads_as_nothing_remembered(stored: str) -> None:
    MemoryKeyring.passwords[(CHAIN_FILE_SERVICE, FILE_ID)] = stored
    assert KeyringChainKeys().keyed_chain(FILE_ID) is None


@pytest.mark.parametrize(
    "backend",
    ["keyring.backends.fail.Keyring", "keyring.backends.null.Keyring", LOCKED_BACKEND_NAME],
)
def test_no_usable_keyring_remembers_no_file(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
    keys = KeyringChainKeys()
    assert not keys.remember_keyed_chain(FILE_ID, CHAIN_ID)
    assert keys.keyed_chain(FILE_ID) is None


@pytest.mark.parametrize("swapped", ["e" * 32, " " * 16], ids=["another", "blank"])
def test_a_swapped_chain_id_is_found_through_the_os_keyring(tmp_path: Path, swapped: str) -> None:
    """The audit log on the real provider: the file is remembered as its chain, and a
    file naming another chain (even a blank one, which names no key) fails the check
    naming both; on a keyring that lost everything the file opens as before."""
    path = tmp_path / "audit.sqlite3"
    with SqliteAuditLog(path, KeyringChainKeys()) as log:
        assert log.verify().ok
    keyed_as = next(v for (service, _), v in MemoryKeyring.passwords.items()
                    if service == CHAIN_FILE_SERVICE)  # fmt: skip
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE lane_state SET chain_id = ?", (swapped,))
    with SqliteAuditLog(path, KeyringChainKeys()) as log:
        check = log.verify()
    assert not check.ok
    assert f"keyed this audit log as chain {keyed_as}; the file now says" in check.message
    MemoryKeyring.clear()
    with SqliteAuditLog(path, KeyringChainKeys()) as log:
        check = log.verify()
        assert (check.ok, check.key_status.value) == (True, "key_missing"), check
