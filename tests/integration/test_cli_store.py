"""`pos-app store init|status|sync` as subprocesses against a real PostgreSQL: no JustiFi
needed, the store's sentences on stderr, and the exit codes a script relies on."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest

from tests.integration.cli_support import OWNER, OWNER_PIN, add_owner, cli_env, run_cli
from tests.support.postgres import free_port

NO_JUSTIFI = "http://127.0.0.1:9"  # never asked: these commands do not open a lane


def store_env(tmp_path: Path, url: str | None, lane: str = "lane-7") -> dict[str, str]:
    env = cli_env(
        NO_JUSTIFI,
        tmp_path,
        owner=False,
        POS_STORE_URL=url,
        POS_LANE=lane,
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


def test_sync_sends_the_lane_s_staff_and_audit_trail_and_status_shows_it(
    store_url: str, tmp_path: Path
) -> None:
    env = store_env(tmp_path, store_url)
    add_owner(Path(env["POS_DATA_DIR"]), OWNER, OWNER_PIN)
    result = run_cli(["store", "sync", "--json"], env)
    assert result.returncode == 0, result.stderr
    sent = json.loads(result.stdout)
    assert (sent["reached"], sent["left"]) == (True, 0)
    assert sent["sent"] >= 2  # the owner and the audit entry of their creation
    with psycopg.connect(store_url) as conn:
        people = conn.execute("SELECT name, role, changed_by_lane FROM staff").fetchall()
        head = conn.execute("SELECT max(seq) FROM audit_entries WHERE lane = 'lane-7'").fetchone()
    assert people == [(OWNER, "owner", "lane-7")]
    status = json.loads(run_cli(["store", "status", "--json"], env).stdout)
    assert [(lane["name"], lane["pending"]) for lane in status["lanes"]] == [("lane-7", 0)]
    assert head is not None
    assert status["lanes"][0]["audit_head_seq"] == head[0]
    assert status["this_lane"] == {"name": "lane-7", "outbox": 0}
    again = run_cli(["store", "sync"], env)
    assert again.returncode == 0, again.stderr
    assert "nothing left to send" in again.stdout


def test_sync_with_the_store_away_exits_5_and_keeps_what_waits(tmp_path: Path) -> None:
    env = store_env(tmp_path, f"postgresql://pos@127.0.0.1:{free_port()}/pos_store")
    add_owner(Path(env["POS_DATA_DIR"]), OWNER, OWNER_PIN)
    result = run_cli(["store", "sync", "--json"], env)
    assert result.returncode == 5, result.stderr
    said = json.loads(result.stdout)
    assert (said["reached"], said["sent"]) == (False, 0)
    left = said["left"]
    assert left >= 2
    assert "cannot be reached" in result.stderr
    assert f"{left} records left to send" in result.stderr


def test_sync_of_a_second_computer_using_a_lane_s_name_is_refused(
    store_url: str, tmp_path: Path
) -> None:
    first = store_env(tmp_path / "pc1", store_url)
    assert run_cli(["store", "sync"], first).returncode == 0
    second = store_env(tmp_path / "pc2", store_url)  # other files, the same lane name
    result = run_cli(["store", "sync"], second)
    assert result.returncode == 3
    assert "Another computer already sends as lane 'lane-7'" in result.stderr


def test_a_second_lane_s_sync_takes_the_first_lane_s_people_and_sends_its_own_note_of_it(
    store_url: str, tmp_path: Path
) -> None:
    first = store_env(tmp_path / "pc1", store_url)
    add_owner(Path(first["POS_DATA_DIR"]), OWNER, OWNER_PIN)
    assert run_cli(["store", "sync"], first).returncode == 0
    second = store_env(tmp_path / "pc2", store_url, lane="lane-8")
    result = run_cli(["store", "sync"], second)
    assert result.returncode == 0, result.stderr
    assert "nothing left to send" in result.stdout
    status = json.loads(run_cli(["store", "status", "--json"], second).stdout)
    assert status["this_lane"] == {"name": "lane-8", "outbox": 0}
    heads = {lane["name"]: lane["audit_head_seq"] for lane in status["lanes"]}
    assert heads["lane-8"] >= 1  # the audit entry of taking Olga from the store
    with psycopg.connect(store_url) as conn:
        people = conn.execute("SELECT name, changed_by_lane FROM staff").fetchall()
    assert people == [(OWNER, "lane-7")]
