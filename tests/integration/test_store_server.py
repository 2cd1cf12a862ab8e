"""The throwaway PostgreSQL the store's tests run on: a database of its own per test,
and a server that can go away and come back (the store's outages)."""

from __future__ import annotations

import psycopg
import pytest

from tests.support.postgres import PgServer


def test_each_test_gets_an_empty_database_of_its_own(empty_store_url: str) -> None:
    with psycopg.connect(empty_store_url) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        user = conn.execute("SELECT current_user").fetchone()
    assert tables == (0,)
    assert user == ("pos",)


def test_the_server_goes_away_and_comes_back_with_its_data(
    pg: PgServer, empty_store_url: str
) -> None:
    with psycopg.connect(empty_store_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE kept (n integer)")
        conn.execute("INSERT INTO kept VALUES (7)")
    pg.stop()
    assert not pg.is_running()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(empty_store_url, connect_timeout=2)
    pg.start()
    with psycopg.connect(empty_store_url) as conn:
        assert conn.execute("SELECT n FROM kept").fetchone() == (7,)
