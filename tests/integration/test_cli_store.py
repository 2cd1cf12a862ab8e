"""`pos-app store init|status|sync` as subprocesses against a real PostgreSQL: no JustiFi
needed, the store's sentences on stderr, and the exit codes a script relies on."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.integration.cli_support import cli_env, run_cli
from tests.support.postgres import free_port

NO_JUSTIFI = "http://127.0.0.1:9"  # never asked: these commands do not open a lane


def store_env(tmp_path: Path, url: str | None) -> dict[str, str]:
    env = cli_env(
        NO_JUSTIFI,
        tmp_path,
        owner=False,
        POS_STORE_URL=url,
        POS_LANE="lane-7",
        JUSTIFI_CLIENT_ID=None,
        JUSTIFI_CLIENT_SECRET=None,
    )
    env.pop("POS_STORE_PASSWORD", None)
    return env


def test_init_sets_the_store_up_once_and_says_so_twice(
    empty_store_url: str, tmp_path: Path
) -> None:
    env = store_env(tmp_path, empty_store_url)
    first = run_cli(["store", "init"], env)
    assert first.returncode == 0, first.stderr
    assert "is set up: schema 1" in first.stdout
    again = run_cli(["store", "init", "--json"], env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == {
        "store": empty_store_url,
        "schema_before": 1,
        "schema": 1,
    }


def test_status_json_shows_the_schema_the_lanes_and_this_lane(
    store_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(store_url) as conn:
        conn.execute(
            "INSERT INTO lanes (name, lane_uid, pending, audit_head_seq, audit_head_hash)"
            " VALUES ('lane-2', 'uid-2', 4, 12, 'abcdef0123456789abcdef0123')"
        )
    env = store_env(tmp_path, store_url)
    result = run_cli(["store", "status", "--json"], env)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["schema_version"] == 1
    assert status["known_version"] == 1
    assert [
        (lane["name"], lane["pending"], lane["audit_head_seq"]) for lane in status["lanes"]
    ] == [("lane-2", 4, 12)]
    assert status["lanes"][0]["last_seen"]
    assert status["this_lane"] == {"name": "lane-7", "outbox": None}  # not joined yet
    text = run_cli(["store", "status"], env)
    assert text.returncode == 0, text.stderr
    assert "schema 1 (this pos-app knows 1)" in text.stdout
    assert "12:abcdef0123456789abcd" in text.stdout
    assert "This lane (lane-7): has not joined yet" in text.stdout


def test_a_lane_not_in_a_store_is_told_how_to_join(tmp_path: Path) -> None:
    for command in ("init", "status", "sync"):
        result = run_cli(["store", command], store_env(tmp_path, None))
        assert result.returncode == 3, result.stderr
        assert result.stderr == (
            "pos-app: This lane is not in a store: set POS_STORE_URL or the Settings"
            " dialog's Store database\n"
        )


def test_a_store_not_set_up_says_to_run_init(empty_store_url: str, tmp_path: Path) -> None:
    result = run_cli(["store", "status"], store_env(tmp_path, empty_store_url))
    assert result.returncode == 3
    assert "run 'pos-app store init' once" in result.stderr
    assert result.stdout == ""


def test_a_store_that_cannot_be_reached_exits_2_naming_the_host(tmp_path: Path) -> None:
    port = free_port()
    env = store_env(tmp_path, f"postgresql://pos@127.0.0.1:{port}/pos_store")
    env["POS_STORE_PASSWORD"] = "never-shown-pw"
    for command in ("init", "status"):
        result = run_cli(["store", command], env)
        assert result.returncode == 2, result.stderr
        assert f"The store's database at 127.0.0.1:{port} cannot be reached" in result.stderr
        assert "never-shown-pw" not in result.stderr + result.stdout


@pytest.mark.parametrize("command", ["init", "status"])
def test_a_newer_store_is_refused(store_url: str, tmp_path: Path, command: str) -> None:
    with psycopg.connect(store_url) as conn:
        conn.execute("UPDATE store_meta SET value = '3' WHERE key = 'schema_version'")
    result = run_cli(["store", command], store_env(tmp_path, store_url))
    assert result.returncode == 3
    assert "newer pos-app (schema 3); update this lane" in result.stderr
