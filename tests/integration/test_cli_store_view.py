"""`pos-app report --day` and `pos-app history --store` as subprocesses: a lane's own day
against the sandbox (also without a store), and two lanes of a store whose day, read from
the store, lists neither lane's card payments as a difference with JustiFi, while the
lane's own journal does list the other lane's."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from pos_app.cli_store_view import run_history
from pos_app.services.store_ports import LaneIdentity
from pos_app.storage.journal import SqliteJournal
from pos_app.storage.store.connection import store_address
from pos_app.storage.store.link import PgStoreLink
from tests.integration.cli_support import cli_env, journal_path, run_cli
from tests.support.sandbox import SandboxHandle


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def charge(env: dict[str, str], amount: str) -> dict[str, Any]:
    out = ok(run_cli(["charge", amount, "--terminal", "trm_side", "--json"], env)).strip()
    value = json.loads(out.splitlines()[-1])
    assert value["status"] == "approved"
    return dict(value)


def local_day(op: dict[str, Any]) -> str:
    return datetime.fromisoformat(op["created_at"]).astimezone().date().isoformat()


def lane_env(sandbox: SandboxHandle, base: Path, name: str, store: str | None) -> dict[str, str]:
    return cli_env(sandbox.url, base / name, owner=False, POS_LANE=name, POS_STORE_URL=store)


def report(env: dict[str, str], *args: str) -> dict[str, Any]:
    value = json.loads(ok(run_cli(["report", *args, "--json"], env)))
    assert isinstance(value, dict)
    return value


# -- a lane's own day --------------------------------------------------------------------------


def test_report_day_alone_is_this_lanes_day_in_words_json_and_csv(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    env = lane_env(sandbox, tmp_path, "lane-1", None)
    sale = charge(env, "12.50")
    day = local_day(sale)
    data = report(env, "--day", day)
    assert data["day"] == day
    assert data["lane_filter"] == ["lane-1"]
    assert data["total"]["totals"]["sales"] == {"count": 1, "cents": 1250}
    assert data["justifi_checked"] is True
    assert data["reconciled"] is True
    assert data["differences"] == []

    words = ok(run_cli(["report", "--day", day], env))
    assert f"End of day {day}: lane lane-1 (from its journal)" in words
    assert "reconciled, no difference" in words
    assert "$12.50" in words

    target = tmp_path / "day.csv"
    said = ok(run_cli(["report", "--day", day, "--csv", str(target)], env))
    assert said.strip() == f"Saved the end of day of {day} to {target}."
    rows = list(csv.reader(target.read_text(encoding="utf-8").splitlines()))
    assert rows[0][:2] == ["report", "day"]
    assert rows[1][:3] == ["end_of_day", day, "lane-1"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--day", "2026-12-04", "--store"], "not in a store"),
        (["--day", "2026-12-04", "--lane", "lane-2"], "not in a store"),
        (["--day", "2026-13-01"], "is not a date like"),
        (["--day", "2026-12-04", "--json", "--csv", "x.csv"], "choose one"),
        (["--shift", "--store"], "go with --day"),
    ],
)
def test_report_day_refusals_are_one_sentence_and_exit_3(
    sandbox: SandboxHandle, tmp_path: Path, args: list[str], said: str
) -> None:
    env = lane_env(sandbox, tmp_path, "lane-1", None)
    result = run_cli(["report", *args], env)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert said in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_report_needs_shift_or_day(sandbox: SandboxHandle, tmp_path: Path) -> None:
    env = lane_env(sandbox, tmp_path, "lane-1", None)
    result = run_cli(["report", "--shift", "--day", "2026-12-04"], env)
    assert result.returncode == 2
    assert "not allowed with" in result.stderr


# -- two lanes of a store ------------------------------------------------------------------


def send_to_store(env: dict[str, str], url: str, name: str) -> None:
    """What the lane's sync task does: send what the journal's outbox still holds (the
    command's own drain at exit may have sent it all already)."""

    async def send() -> None:
        link = PgStoreLink(store_address(url, None))
        with SqliteJournal(journal_path(env)) as journal:
            await journal.enable_outbox()
            uid = journal.lane_uid()
            assert uid is not None
            while (batch := journal.outbox_batch(1000)) is not None:
                await link.send(LaneIdentity(name, uid, "test"), batch.records, 0)
                await journal.acknowledge(batch.last_seq)
        await link.close()

    asyncio.run(send())


@pytest.fixture
def two_lanes(
    sandbox: SandboxHandle, tmp_path: Path, store_url: str
) -> tuple[dict[str, str], dict[str, str], str]:
    one = lane_env(sandbox, tmp_path, "lane-1", store_url)
    two = lane_env(sandbox, tmp_path, "lane-2", store_url)
    first = charge(one, "12.50")
    charge(two, "20.00")
    charge(two, "7.25")
    for env, name in ((one, "lane-1"), (two, "lane-2")):
        send_to_store(env, store_url, name)
    return one, two, local_day(first)


def test_the_stores_day_has_no_difference_for_either_lanes_payments(
    two_lanes: tuple[dict[str, str], dict[str, str], str],
) -> None:
    one, _, day = two_lanes
    store = report(one, "--day", day, "--store")
    assert store["scope"] == "store"
    assert store["lane_filter"] is None
    assert store["total"]["totals"]["sales"] == {"count": 3, "cents": 3975}
    assert [(s["lane"], s["totals"]["sales"]["cents"]) for s in store["lanes"]] == [
        ("lane-1", 1250),
        ("lane-2", 2725),
    ]
    assert store["justifi_payments"] == {"count": 3, "cents": 3975}
    assert store["differences"] == []
    assert store["reconciled"] is True

    other = report(one, "--day", day, "--lane", "lane-2")
    assert other["lane_filter"] == ["lane-2"]
    assert other["total"]["totals"]["sales"] == {"count": 2, "cents": 2725}
    assert other["differences"] == []

    # The control: lane-1's own journal does not know lane-2's two payments.
    own = report(one, "--day", day)
    assert [d["kind"] for d in own["differences"]] == ["missing_from_journal"] * 2

    words = ok(run_cli(["report", "--day", day, "--store"], one))
    assert f"End of day {day}: the whole store (lane-1, lane-2)" in words
    assert "reconciled, no difference" in words


def test_history_store_lists_every_lane_with_its_lane(
    two_lanes: tuple[dict[str, str], dict[str, str], str],
) -> None:
    one, _, _ = two_lanes
    out = ok(run_cli(["history", "--store", "--json"], one))
    found = [json.loads(line) for line in out.splitlines()]
    assert [(f["lane"], f["amount"]) for f in found] == [
        ("lane-2", 725),
        ("lane-2", 2000),
        ("lane-1", 1250),
    ]
    only = ok(run_cli(["history", "--store", "--lane", "lane-1"], one)).splitlines()
    assert len(only) == 1
    assert only[0].startswith("lane-1 ")
    assert "$12.50" in only[0]


def history_args(**given: Any) -> argparse.Namespace:
    values = {"store": True, "lane": None, "since": None, "limit": 100, "person": None}
    return argparse.Namespace(**{**values, "json": False, **given})


def test_run_history_reads_the_store_of_the_settings(
    two_lanes: tuple[dict[str, str], dict[str, str], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    one, _, _ = two_lanes
    for name, value in one.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    assert run_history(history_args(json=True, person="NOBODY"), out) == 0
    assert out.getvalue() == ""
    assert run_history(history_args(lane="lane-2", limit=1), out) == 0
    (line,) = out.getvalue().splitlines()
    assert line.startswith("lane-2 ")
    assert "$7.25" in line
    out = io.StringIO()
    assert run_history(history_args(lane="lane-9"), out) == 0
    assert out.getvalue() == "No sales on lane lane-9 in the store yet.\n"


def test_run_history_without_a_store_is_one_sentence_exit_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in cli_env("http://127.0.0.1:9", tmp_path, owner=False).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("POS_STORE_URL", raising=False)
    assert run_history(history_args(), io.StringIO()) == 3
    said = capsys.readouterr().err.strip().splitlines()
    assert len(said) == 1
    assert "not in a store" in said[0]
    assert "--store" in said[0]
