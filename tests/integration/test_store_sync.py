"""A lane's records reaching a real store (PostgreSQL) through the app's wiring: the
CLI's exit drain, the window's sync task with the store away and back (nothing lost,
nothing twice), a dead store that costs a command at most its drain and never its exit
code, and a lane without a store that keeps no outbox at all."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from pos_app import wiring
from pos_app.config import load_settings
from pos_app.services.store_ports import SyncState
from tests.integration.cli_support import cli_env, run_cli
from tests.support.lanes import collect
from tests.support.memory_keyring import isolate_settings
from tests.support.postgres import free_port
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, SUB_ACCOUNT, SandboxHandle
from tests.support.store_lanes import compare_lane, wait_for

LANE = "front"


def dead_url(port: int) -> str:
    return f"postgresql://pos@127.0.0.1:{port}/store"


def outbox_of(journal: Path) -> tuple[int, int]:
    """(enabled, waiting records) of a journal's outbox, read from the file itself."""
    with sqlite3.connect(f"file:{journal}?mode=ro", uri=True) as conn:
        enabled = conn.execute("SELECT enabled FROM outbox_state").fetchone()[0]
        waiting = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
    return int(enabled), int(waiting)


@pytest.fixture
def silent_store() -> Iterator[int]:
    """A port that takes connections and never answers (a store hung, or a firewall
    dropping its replies): connecting waits for its whole timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        yield int(listener.getsockname()[1])


# -- the CLI --------------------------------------------------------------------------------


def test_a_charge_reaches_the_store_before_the_command_exits(
    sandbox: SandboxHandle, tmp_path: Path, store_url: str
) -> None:
    env = cli_env(sandbox.url, tmp_path, POS_STORE_URL=store_url, POS_LANE=LANE)
    result = run_cli(["charge", "12.34", "--terminal", "trm_front", "--json"], env)
    assert result.returncode == 0, result.stderr
    charged = json.loads(result.stdout)
    journal = tmp_path / "data" / "journal.sqlite3"
    assert outbox_of(journal) == (1, 0)
    found = compare_lane(journal, LANE, store_url)
    assert found.agrees, found.summary()
    assert found.operations == 1
    assert found.events >= 3
    with psycopg.connect(store_url) as conn:
        row = conn.execute(
            "SELECT status, amount_cents, card_last4, lane FROM operations WHERE payment_id = %s",
            [charged["payment_id"]],
        ).fetchone()
        lane = conn.execute("SELECT pending, app_version FROM lanes WHERE name = %s", [LANE])
        seen = lane.fetchone()
    assert row == ("approved", 1234, charged["card_last4"], LANE)
    assert seen is not None
    assert seen[0] == 0


def test_a_dead_store_costs_a_command_its_drain_and_never_its_answer(
    sandbox: SandboxHandle, tmp_path: Path, store_url: str, silent_store: int
) -> None:
    args = ["charge", "5.00", "--terminal", "trm_front", "--json"]
    env = cli_env(sandbox.url, tmp_path, POS_STORE_URL=dead_url(silent_store), POS_LANE=LANE)
    result = run_cli(args, env)
    assert result.returncode == 0, result.stderr
    charged = json.loads(result.stdout)  # one JSON object, as without a store
    assert charged["status"] == "approved"
    assert "store" not in result.stdout.lower()
    journal = tmp_path / "data" / "journal.sqlite3"
    enabled, waiting = outbox_of(journal)
    assert enabled == 1
    assert waiting >= 4  # the charge and its events keep for later
    # The store never answered: the drain gave up at its deadline (the connection's own
    # timeout is 3 s), and said so in one line of the log.
    logged = (tmp_path / "logs" / "pos-app.log").read_text()
    assert logged.count("pos_app.services.store_sync") == 1
    assert "records waiting after 2 s" in logged
    # The store is back: `store sync` sends what waited, once.
    env["POS_STORE_URL"] = store_url
    synced = run_cli(["store", "sync", "--json"], env)
    assert synced.returncode == 0, synced.stderr
    assert outbox_of(journal)[1] == 0
    found = compare_lane(journal, LANE, store_url)
    assert found.agrees, found.summary()


def test_a_lane_without_a_store_keeps_no_outbox(sandbox: SandboxHandle, tmp_path: Path) -> None:
    env = cli_env(sandbox.url, tmp_path, POS_LANE=LANE)
    assert run_cli(["charge", "3.00", "--terminal", "trm_front", "--json"], env).returncode == 0
    assert outbox_of(tmp_path / "data" / "journal.sqlite3") == (0, 0)
    logged = (tmp_path / "logs" / "pos-app.log").read_text()
    assert "store" not in logged.lower()


# -- the window's sync task (in process, as the window runs it) ------------------------------


@pytest.fixture
def lane_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox: SandboxHandle
) -> Iterator[Path]:
    """A lane's settings from the environment (the sandbox's account), files under tmp_path."""
    isolate_settings(monkeypatch, tmp_path / "config")
    for name, value in {
        "JUSTIFI_API_URL": sandbox.url,
        "JUSTIFI_CLIENT_ID": CLIENT_ID,
        "JUSTIFI_CLIENT_SECRET": CLIENT_SECRET,
        "JUSTIFI_SUB_ACCOUNT": SUB_ACCOUNT,
        "POS_DATA_DIR": str(tmp_path / "data"),
        "POS_LOG_DIR": str(tmp_path / "logs"),
        "POS_POLL_INTERVAL": "0.05",
        "POS_LANE": LANE,
    }.items():
        monkeypatch.setenv(name, value)
    root = logging.getLogger()
    before = list(root.handlers)
    yield tmp_path
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()


async def test_the_store_away_and_back_loses_nothing_and_doubles_nothing(
    lane_env: Path, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> None:
    from pos_app.storage.store.connection import store_address
    from pos_app.storage.store.link import PgStoreLink

    monkeypatch.setenv("POS_STORE_URL", dead_url(free_port()))  # the store is away
    settings = load_settings()
    async with wiring.open_lane(settings, demo=False) as lane:
        sync = lane.sync
        assert sync is not None
        assert lane.store_view is not None
        sync.backoff = (0.05, 0.2)  # the tests' pace; the app's is 0.5 s to 5 s
        states: list[SyncState] = []
        sync.on_status = lambda status: states.append(status.state)
        task = asyncio.create_task(sync.run())
        try:
            for cents in (1000, 1100, 1200):
                final = (await collect(await lane.service.charge(cents, "trm_front")))[-1]
                assert final.name.value == "approved"
            await wait_for(lambda: SyncState.UNREACHABLE in states, 10, "unreachable said")
            assert sync.status.pending >= 12
            assert "cannot be reached" in sync.status.message
            # The store is back (at its right address): everything goes, once.
            away = sync.link
            sync.link = PgStoreLink(store_address(store_url, None))
            await wait_for(lambda: lane.journal.outbox_count() == 0, 15, "the outbox drained")
            await wait_for(lambda: sync.status.state is SyncState.SENT, 5, "up to date said")
            # A sale after the return goes without waiting for a poll of the backoff.
            final = (await collect(await lane.service.charge(1300, "trm_front")))[-1]
            assert final.name.value == "approved"
            await wait_for(lambda: lane.journal.outbox_count() == 0, 5, "the last sale sent")
        finally:
            task.cancel()
            stopped, _ = await asyncio.wait({task}, timeout=5.0)
            await sync.link.close()
            sync.link = away
        assert task in stopped, "the sync task did not stop when cancelled"
    found = compare_lane(lane_env / "data" / "journal.sqlite3", LANE, store_url)
    assert found.agrees, found.summary()
    assert found.operations == 4


async def test_the_manager_services_join_the_store_with_plain_pins_and_the_audit_outbox(
    lane_env: Path, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> None:
    monkeypatch.setenv("POS_STORE_URL", store_url)
    settings = load_settings()
    async with wiring.open_lane(settings, demo=False) as lane:
        sync = lane.sync
        assert sync is not None
        with wiring.manager_services(lane, lane_env / "data" / "audit.sqlite3") as services:
            assert services.audit.shared_pins
            assert services.audit.pepper() is None
            assert services.audit in sync.outboxes
            services.manager.create_owner("Olga", "735190")
            await sync.send_once()
            await sync.pull_once()
            head = services.audit.head()
        assert services.audit not in sync.outboxes  # closed with the services
    with psycopg.connect(store_url) as conn:
        stored = conn.execute(
            "SELECT audit_head_seq, audit_head_hash FROM lanes WHERE name = %s", [LANE]
        ).fetchone()
        olga = conn.execute("SELECT role, pin_hash FROM staff WHERE name_key = 'olga'").fetchone()
    assert stored == (head.seq, head.hash)
    assert olga is not None
    assert olga[0] == "owner"
    assert olga[1].startswith("scrypt$")  # plain: every lane of the store checks it


async def test_a_lane_without_a_store_has_no_sync_and_no_outbox(lane_env: Path) -> None:
    settings = load_settings()
    async with wiring.open_lane(settings, demo=False) as lane:
        assert lane.sync is None
        assert lane.store_view is None
        final = (await collect(await lane.service.charge(700, "trm_front")))[-1]
        assert final.name.value == "approved"
        assert not lane.journal.outbox_enabled()
        assert lane.journal.outbox_count() == 0
        with wiring.manager_services(lane, lane_env / "data" / "audit.sqlite3") as services:
            assert not services.audit.shared_pins
            assert services.sync is None


def test_a_staff_command_sends_its_audit_records_before_it_exits(
    sandbox: SandboxHandle, tmp_path: Path, store_url: str
) -> None:
    env = cli_env(sandbox.url, tmp_path, owner=False, POS_STORE_URL=store_url, POS_LANE=LANE)
    added = run_cli(["staff", "add", "Olga", "--role", "owner"], env, stdin=["735190"])
    assert added.returncode == 0, added.stderr
    with psycopg.connect(store_url) as conn:
        olga = conn.execute("SELECT role, pin_hash FROM staff WHERE name_key = 'olga'").fetchone()
        head = conn.execute("SELECT audit_head_seq FROM lanes WHERE name = %s", [LANE]).fetchone()
        entries = conn.execute(
            "SELECT count(*) FROM audit_entries WHERE lane = %s", [LANE]
        ).fetchone()
    assert olga is not None
    assert olga[0] == "owner"
    assert olga[1].startswith("scrypt$")  # no pepper: every lane of the store checks it
    assert head is not None
    assert entries is not None
    assert head[0] == entries[0] >= 2  # the owner added and the recovery code set
