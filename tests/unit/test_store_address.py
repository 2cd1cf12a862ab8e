"""The store database's address and password, without a server: the URL split from its
password (never shown), the refusals of a connection in sentences, and the password
kept in the keyring under the URL without it (POS_STORE_PASSWORD first)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pos_app.secrets import (
    STORE_SERVICE,
    KeyringUnavailableError,
    delete_store_password,
    read_store_password,
    save_store_password,
    store_password_user,
)
from pos_app.services.store_ports import StoreRefusedError
from pos_app.storage.store.connection import refused_for, store_address
from tests.support.memory_keyring import MemoryKeyring, isolate_settings

URL = "postgresql://pos@store-server:5432/pos_store"
PASSWORD = "Tr0ub4dor-store"


@pytest.fixture(autouse=True)
def _memory_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate_settings(monkeypatch, tmp_path / "config")


# -- the address -----------------------------------------------------------------------------


def test_an_address_keeps_its_password_apart_and_never_shows_it() -> None:
    address = store_address(URL, PASSWORD)
    assert address.url == URL
    assert address.password == PASSWORD
    assert (address.host, address.user, address.database) == (
        "store-server:5432",
        "pos",
        "pos_store",
    )
    assert PASSWORD not in repr(address)
    assert PASSWORD not in address.display()


def test_a_password_in_the_url_wins_and_is_taken_out_of_it() -> None:
    address = store_address("postgresql://pos:p%40ss@store-server/pos_store?sslmode=require", "x")
    assert address.url == "postgresql://pos@store-server/pos_store?sslmode=require"
    assert address.password == "p@ss"
    assert address.database == "pos_store"
    assert "p@ss" not in repr(address)


def test_no_password_is_none() -> None:
    assert store_address(URL, None).password is None
    assert store_address(URL, "").password is None


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://pos@host/db", "starts with postgresql://"),
        ("postgresql://pos@host/", "needs a host and a database name"),
        ("postgresql:///db", "needs a host and a database name"),
    ],
)
def test_an_unusable_url_is_refused_in_a_sentence(url: str, problem: str) -> None:
    with pytest.raises(StoreRefusedError, match=problem):
        store_address(url, None)


@pytest.mark.parametrize(
    ("server_said", "sentence"),
    [
        (
            'connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:'
            '  password authentication failed for user "pos"',
            "did not accept the password for user 'pos'",
        ),
        ("fe_sendauth: no password supplied", "asks a password for user 'pos'; set"),
        ('FATAL:  role "pos" does not exist', "has no user 'pos'; create it"),
        ('FATAL:  database "pos_store" does not exist', "no database 'pos_store'; create it"),
        (
            'FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "pos"',
            "does not let user 'pos' in from this computer",
        ),
        ("FATAL:  something else entirely", "refused the connection: something else entirely"),
    ],
)
def test_a_server_s_refusal_is_a_sentence_naming_the_host(server_said: str, sentence: str) -> None:
    refusal = refused_for(store_address(URL, PASSWORD), server_said)
    assert refusal is not None
    assert sentence in refusal.message
    assert "store-server:5432" in refusal.message
    assert PASSWORD not in refusal.message


@pytest.mark.parametrize(
    "server_said",
    [
        'connection to server at "10.0.0.5", port 5432 failed: Connection refused',
        "connection to server at ... failed: timeout expired",
        "FATAL:  the database system is starting up",
        "FATAL:  sorry, too many clients already",
    ],
)
def test_nothing_answering_or_a_busy_server_is_not_a_refusal(server_said: str) -> None:
    assert refused_for(store_address(URL, None), server_said) is None


# -- the password ----------------------------------------------------------------------------


def test_the_keyring_user_is_the_url_without_its_password() -> None:
    assert store_password_user(" postgresql://pos:secret@h/db ") == "postgresql://pos@h/db"
    assert store_password_user(URL) == URL


def test_a_password_saved_is_read_back_and_forgotten(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert read_store_password(URL) is None
    save_store_password("postgresql://pos:old@store-server:5432/pos_store", PASSWORD)
    assert MemoryKeyring.passwords == {(STORE_SERVICE, URL): PASSWORD}
    assert read_store_password(URL) == PASSWORD
    assert read_store_password("postgresql://pos@other/pos_store") is None
    assert delete_store_password(URL) is True
    assert delete_store_password(URL) is False
    assert read_store_password(URL) is None
    assert PASSWORD not in caplog.text


def test_pos_store_password_wins_over_the_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    save_store_password(URL, PASSWORD)
    monkeypatch.setenv("POS_STORE_PASSWORD", "from-the-environment")
    assert read_store_password(URL) == "from-the-environment"


def test_without_a_keyring_the_sentence_names_pos_store_password(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    with pytest.raises(KeyringUnavailableError, match="POS_STORE_PASSWORD") as raised:
        save_store_password(URL, PASSWORD)
    assert "JUSTIFI" not in raised.value.message
    assert "there is none" in raised.value.message
    with pytest.raises(KeyringUnavailableError, match="POS_STORE_PASSWORD"):
        delete_store_password(URL)
    assert read_store_password(URL) is None  # reported in the log, not fatal


def test_an_empty_password_or_url_is_not_saved() -> None:
    with pytest.raises(ValueError, match="empty password"):
        save_store_password(URL, "")
    with pytest.raises(ValueError, match="store URL"):
        save_store_password(" ", PASSWORD)
    assert MemoryKeyring.passwords == {}
