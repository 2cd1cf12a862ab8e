"""What the lanes of a store share, through a real PostgreSQL: two lanes' audit logs
sharing their people (added on lane 1, signs in on lane 2; locked on lane 2, locked on
lane 1), the catalog and the store's settings set from the command line and taken by
another lane, and `audit verify` catching a lane file rewritten after the store had it."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pos_app.domain.staff import StaffRole
from pos_app.resources import load_catalog
from pos_app.services.audit_log import AuditQuery
from pos_app.services.manager import ManagerService
from pos_app.services.sign_in import SignInStatus
from pos_app.services.store_ports import LaneIdentity, StoreLink
from pos_app.services.store_shared import CatalogPull, SettingsPull, StaffPull
from pos_app.storage.audit import SqliteAuditLog
from pos_app.storage.store import open_link, store_address_of
from tests.integration.cli_support import OWNER, OWNER_PIN, cli_env, run_cli
from tests.support.manager import FAST_SCRYPT, Clock
from tests.support.postgres import free_port

NO_JUSTIFI = "http://127.0.0.1:9"  # never asked: these commands open no lane
CATALOG = (
    '[[item]]\ncode = "TEA"\nname = "Green tea"\nprice = "2.50"\nbarcode = "0012345"\n\n'
    '[[item]]\ncode = "CAKE"\nname = "Lemon cake"\nprice = "3.75"\n'
)
WRONG = "999999"


class StoreLane:
    """A lane's audit log in a store: its outbox sent by hand (the sync task's work)."""

    def __init__(self, base: Path, name: str, clock: Clock) -> None:
        self.name = name
        self.log = SqliteAuditLog(base / name / "audit.sqlite3", lane=name, shared_pins=True)
        asyncio.run(self.log.enable_outbox())
        self.service = ManagerService(
            self.log, self.log, lane=name, clock=clock, scrypt=FAST_SCRYPT
        )
        uid = self.log.lane_uid()
        assert uid is not None
        self.identity = LaneIdentity(name, uid)
        self.pull = StaffPull(self.log, name)

    async def send(self, link: StoreLink) -> None:
        while (batch := self.log.outbox_batch(500)) is not None:
            await link.send(self.identity, batch.records, 0)
            await self.log.acknowledge(batch.last_seq)


def _run(store_url: str, work: Any) -> Any:
    async def main() -> Any:
        link = open_link(store_address_of(store_url, None))
        try:
            return await work(link)
        finally:
            await link.close()

    return asyncio.run(main())


@pytest.fixture
def two_lanes(tmp_path: Path) -> Iterator[tuple[StoreLane, StoreLane]]:
    clock = Clock()
    one, two = StoreLane(tmp_path, "lane-1", clock), StoreLane(tmp_path, "lane-2", clock)
    yield one, two
    one.log.close()
    two.log.close()


def test_a_person_added_on_lane_1_signs_in_on_lane_2(
    store_url: str, two_lanes: tuple[StoreLane, StoreLane]
) -> None:
    one, two = two_lanes
    one.service.create_owner(OWNER, OWNER_PIN)
    owner = one.service.current()
    assert owner is not None
    one.service.add_person("Bob Marsh", StaffRole.CASHIER, "2580", by=owner)
    one.service.sign_out()
    assert two.log.find_staff("Bob Marsh") is None

    async def share(link: StoreLink) -> None:
        await one.send(link)
        await two.pull.pull(link)

    _run(store_url, share)
    assert two.service.sign_in("2580", "Bob Marsh").status is SignInStatus.SIGNED_IN
    assert two.log.verify().ok


def test_locked_on_lane_2_is_locked_on_lane_1(
    store_url: str, two_lanes: tuple[StoreLane, StoreLane]
) -> None:
    one, two = two_lanes
    one.service.create_owner(OWNER, OWNER_PIN)
    one.service.sign_out()

    async def one_to_two(link: StoreLink) -> None:
        await one.send(link)
        await two.pull.pull(link)

    _run(store_url, one_to_two)
    for _ in range(20):
        if two.service.sign_in(WRONG, OWNER).status is SignInStatus.LOCKED:
            break
    assert two.service.sign_in(OWNER_PIN, OWNER).status is SignInStatus.LOCKED
    assert one.service.sign_in(OWNER_PIN, OWNER).status is SignInStatus.SIGNED_IN
    one.service.sign_out()

    async def two_to_one(link: StoreLink) -> None:
        await two.send(link)
        await one.pull.pull(link)

    _run(store_url, two_to_one)
    assert one.service.sign_in(OWNER_PIN, OWNER).status is SignInStatus.LOCKED
    synced = one.log.entries(AuditQuery(actions=("staff_synced",)))
    assert json.loads(synced[0].detail)["changed_by_lane"] == "lane-2"


# -- the command line ------------------------------------------------------------------------


def store_env(base: Path, url: str, lane: str, *, owner: bool = True) -> dict[str, str]:
    env = cli_env(
        NO_JUSTIFI,
        base,
        owner=owner,
        POS_STORE_URL=url,
        POS_LANE=lane,
        JUSTIFI_CLIENT_ID=None,
        JUSTIFI_CLIENT_SECRET=None,
    )
    env.pop("POS_STORE_PASSWORD", None)
    return env


def test_a_catalog_imported_on_one_lane_is_taken_by_another(store_url: str, tmp_path: Path) -> None:
    env = store_env(tmp_path / "one", store_url, "lane-1", owner=False)
    source = tmp_path / "shop-catalog.toml"
    source.write_text(CATALOG, encoding="utf-8")
    result = run_cli(["store", "catalog", "import", str(source)], env)
    assert result.returncode == 0, result.stderr
    assert "The catalog of 2 items is in the store" in result.stdout
    own = Path(env["POS_DATA_DIR"])
    assert [i.code for i in load_catalog(own).items] == ["TEA", "CAKE"]  # this lane at once

    other = tmp_path / "two" / "data"
    _run(store_url, CatalogPull(other).pull)
    assert [i.code for i in load_catalog(other).items] == ["TEA", "CAKE"]

    audit = run_cli(["audit", "export", "--json", str(tmp_path / "audit.json")], env)
    assert audit.returncode == 0, audit.stderr
    entries = json.loads((tmp_path / "audit.json").read_text(encoding="utf-8"))["entries"]
    imported = [json.loads(e["detail"]) for e in entries if e["action"] == "settings_change"]
    assert imported == [{"scope": "store", "catalog_items": 2, "file": "shop-catalog.toml"}]

    exported = run_cli(["store", "catalog", "export"], env)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == CATALOG

    source.write_text('[[item]]\ncode = "X"\nname = "Bad"\nprice = 2.5\n', encoding="utf-8")
    refused = run_cli(["store", "catalog", "import", str(source)], env)
    assert refused.returncode == 3
    assert "price must be a quoted string" in refused.stderr
    assert run_cli(["store", "catalog", "export"], env).stdout == CATALOG  # unchanged


def test_store_settings_set_reach_another_lane_settings(
    store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = store_env(tmp_path / "one", store_url, "lane-1")
    result = run_cli(
        [
            "store",
            "settings",
            "set",
            "tax_rate_bps=825",
            "receipt_header=Corner Shop",
            "--as",
            OWNER,
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    assert "Set for the whole store: tax_rate_bps = 825, receipt_header = Corner Shop" in (
        result.stdout
    )
    shown = run_cli(["store", "settings", "--json"], env)
    assert shown.returncode == 0, shown.stderr
    settings = json.loads(shown.stdout)["settings"]
    assert (settings["tax_rate_bps"], settings["receipt_header"]) == (825, "Corner Shop")
    assert settings["currency"] is None

    other = tmp_path / "two" / "data"
    _run(store_url, SettingsPull(other).pull)
    from pos_app.config import SettingsFileStore, load_settings

    monkeypatch.setenv("POS_DATA_DIR", str(other))
    monkeypatch.setenv("POS_CONFIG_DIR", str(tmp_path / "two" / "config"))
    monkeypatch.setenv("POS_STORE_URL", store_url)
    for name in ("POS_TAX_RATE_BPS", "POS_RECEIPT_HEADER"):
        monkeypatch.delenv(name, raising=False)
    lane_two = load_settings()
    assert (lane_two.tax_rate_bps, lane_two.receipt_header) == (825, "Corner Shop")
    assert SettingsFileStore().store_fields() == {"tax_rate_bps", "receipt_header"}

    bad = run_cli(["store", "settings", "set", "tax_rate_bps=lots", "--as", OWNER], env)
    assert bad.returncode == 3
    assert "tax_rate_bps" in bad.stderr
    wrong_pin = run_cli(
        ["store", "settings", "set", "tax_rate_bps=100", "--as", OWNER], env, pin=WRONG
    )
    assert wrong_pin.returncode == 3
    unchanged = json.loads(run_cli(["store", "settings", "--json"], env).stdout)["settings"]
    assert unchanged["tax_rate_bps"] == 825

    audit = run_cli(["audit", "export", "--json", str(tmp_path / "audit.json")], env)
    assert audit.returncode == 0, audit.stderr
    entries = json.loads((tmp_path / "audit.json").read_text(encoding="utf-8"))["entries"]
    changes = [e for e in entries if e["action"] == "settings_change"]
    assert len(changes) == 1
    assert changes[0]["who"] == OWNER
    assert json.loads(changes[0]["detail"])["tax_rate_bps"] == 825


# -- audit verify against the store's copy ------------------------------------------------------


def _plain_seal(row: list[Any]) -> str:
    fields = ["pos-audit-v1", *row[:9]]
    return hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()


def rewrite_entry(path: Path, seq: int, who: str) -> None:
    """Change one entry's author, then relink and reseal every entry and move the head:
    a chain consistent on its own (no keyring here: plain SHA-256), made without the app."""
    columns = "seq, at, who, lane, action, subject, detail, outcome, prev_hash, hash, mac"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("DROP TRIGGER IF EXISTS audit_entries_no_update")
        conn.execute("DROP TRIGGER IF EXISTS audit_entries_no_delete")
        rows = [list(r) for r in conn.execute(f"SELECT {columns} FROM audit_entries ORDER BY seq")]
        rows[seq - 1][2] = who
        conn.execute("DELETE FROM audit_entries")
        prev = "0" * 64
        for row in rows:
            row[8] = prev
            row[9] = prev = _plain_seal(row)
            conn.execute(
                f"INSERT INTO audit_entries ({columns}) VALUES ({','.join('?' * 11)})", row
            )
        conn.execute("UPDATE lane_state SET head_seq = ?, head_hash = ?", (len(rows), prev))
    finally:
        conn.close()


def test_audit_verify_catches_a_lane_file_rewritten_after_the_store_had_it(
    store_url: str, tmp_path: Path
) -> None:
    env = store_env(tmp_path, store_url, "lane-1")
    path = Path(env["POS_DATA_DIR"]) / "audit.sqlite3"
    with SqliteAuditLog(path, lane="lane-1", shared_pins=True) as log:
        asyncio.run(log.enable_outbox())
        uid = log.lane_uid()
        assert uid is not None
        lane = StoreLane.__new__(StoreLane)
        lane.log, lane.identity = log, LaneIdentity("lane-1", uid)
        _run(store_url, lane.send)
        sent = log.head().seq

    intact = run_cli(["audit", "verify"], env)
    assert intact.returncode == 0, intact.stderr
    assert f"The store's copy matches, up to entry {sent}" in intact.stdout

    rewrite_entry(path, 2, "Mallory")
    local_only = run_cli(["audit", "verify"], env.copy() | {"POS_STORE_URL": ""})
    assert local_only.returncode == 0, local_only.stdout  # consistent on its own
    broken = run_cli(["audit", "verify", "--json"], env)
    assert broken.returncode == 1, broken.stderr
    verdict = json.loads(broken.stdout)
    assert verdict["ok"] is True  # the local chain checks...
    assert verdict["store"]["ok"] is False  # ...the store's copy does not
    assert verdict["store"]["differs_at"] == 2
    assert "does not match the store's copy (entry 2 differs)" in verdict["store"]["message"]

    away = env | {"POS_STORE_URL": f"postgresql://pos@127.0.0.1:{free_port()}/store"}
    unreachable = run_cli(["audit", "verify"], away)
    assert unreachable.returncode == 0, unreachable.stderr
    assert "could not be compared" in unreachable.stdout
