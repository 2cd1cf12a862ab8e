"""The Settings dialog's store test against a real PostgreSQL: ready, not set up, older or
newer, no such database, a wrong password, nothing listening; never the password."""

from __future__ import annotations

import psycopg
import pytest

from pos_app.services.settings import StoreCheck
from pos_app.storage.store import check as check_module
from pos_app.storage.store.check import check_store
from pos_app.storage.store.connection import StoreAddress, refused_for
from pos_app.storage.store.schema import STORE_SCHEMA_VERSION
from tests.support.postgres import PgServer, free_port


def set_version(url: str, version: int) -> None:
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE store_meta SET value = %s WHERE key = 'schema_version'", (str(version),)
        )


async def test_a_store_set_up_by_this_app_is_ready(store_url: str) -> None:
    report = await check_store(store_url, None)
    assert report.outcome is StoreCheck.READY
    assert report.ok
    assert report.schema_version == STORE_SCHEMA_VERSION
    host = store_url.split("@", 1)[1].split("/", 1)[0]
    assert report.message == (
        f"The store's database at {host} answers: schema 1, ready for this lane."
    )


async def test_an_empty_database_says_to_run_store_init(empty_store_url: str) -> None:
    report = await check_store(empty_store_url, None)
    assert report.outcome is StoreCheck.NOT_SET_UP
    assert not report.ok
    assert "run 'pos-app store init' once, on any lane" in report.message


async def test_a_newer_schema_says_to_update_this_lane(store_url: str) -> None:
    set_version(store_url, STORE_SCHEMA_VERSION + 1)
    report = await check_store(store_url, None)
    assert report.outcome is StoreCheck.NEWER
    assert report.schema_version == STORE_SCHEMA_VERSION + 1
    assert "update pos-app on this lane" in report.message


async def test_a_database_that_does_not_exist_is_said_in_the_servers_terms(pg: PgServer) -> None:
    report = await check_store(pg.url("no_such_store"), "a-typed-password")
    assert report.outcome is StoreCheck.REFUSED
    assert "has no database 'no_such_store'" in report.message
    assert "a-typed-password" not in report.message


async def test_nothing_listening_is_unreachable_within_the_timeout() -> None:
    url = f"postgresql://pos@127.0.0.1:{free_port()}/pos_store"
    report = await check_store(url, "pw", timeout=1.0)
    assert report.outcome is StoreCheck.UNREACHABLE
    assert report.message.startswith("The store's database at 127.0.0.1:")
    assert "cannot be reached" in report.message


async def test_a_wrong_password_is_its_own_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test server trusts loopback (no password asked), so the server's refusal is
    # handed to the connection's own mapping, as libpq words it.
    async def refused(address: StoreAddress, **_options: float) -> None:
        server = f'FATAL:  password authentication failed for user "{address.user}"'
        refusal = refused_for(address, server)
        assert refusal is not None
        raise refusal

    monkeypatch.setattr(check_module, "connect", refused)
    report = await check_store("postgresql://pos@store-server/pos_store", "wrong-one")
    assert report.outcome is StoreCheck.WRONG_PASSWORD
    assert report.message.startswith("The store's database at store-server did not accept")
    assert "wrong-one" not in report.message


async def test_a_password_in_the_address_is_never_in_the_sentence(pg: PgServer) -> None:
    url = pg.url("no_such_store").replace("://pos@", "://pos:url-pw@")
    report = await check_store(url, None)
    assert "url-pw" not in report.message
