"""The composition root: a demo lane on its sandbox child, the manager's services, the
sandbox's URL awaited without a thread, and a `wiring` import that costs the till nothing."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from pos_app import wiring
from pos_app.config import load_settings, save_settings
from pos_app.sandbox.remote import SandboxProcess, launch_sandbox
from pos_app.services.audit_log import AuditQuery
from pos_app.services.manager import ManagerStatus
from pos_app.services.settings import SettingsForm
from tests.support.lanes import lane as engine_lane
from tests.support.memory_keyring import isolate_settings
from tests.support.sandbox import SandboxHandle

# A frame is 16 ms; a loaded 2-core machine adds its own jitter. Reading the URL with a
# blocking read would hold the loop for the child's whole start (about a second).
LONGEST_STALL = 0.25


@pytest.fixture
def lane_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Settings, data and logs under `tmp_path`; the log handler the lane adds is removed."""
    isolate_settings(monkeypatch, tmp_path / "config")
    monkeypatch.setenv("POS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("POS_LOG_DIR", str(tmp_path / "logs"))
    root = logging.getLogger()
    before = list(root.handlers)
    yield tmp_path
    for handler in [h for h in root.handlers if h not in before]:
        root.removeHandler(handler)
        handler.close()


async def stalls_while(work: asyncio.Future[str]) -> tuple[str, float]:
    """`work`'s result and the longest time the loop went without running a 1 ms ticker."""
    loop = asyncio.get_running_loop()
    longest = 0.0
    last = loop.time()
    while not work.done():
        await asyncio.sleep(0.001)
        now = loop.time()
        longest = max(longest, now - last)
        last = now
    return work.result(), longest


async def test_the_sandbox_url_is_awaited_without_a_thread_or_a_stall(tmp_path: Path) -> None:
    threads = {t.ident for t in threading.enumerate()}
    sandbox = launch_sandbox(tmp_path / "state.sqlite3", 20.0)
    try:
        url, longest = await stalls_while(asyncio.ensure_future(sandbox.wait_url()))

        assert url.startswith("http://127.0.0.1:")
        assert longest < LONGEST_STALL
        assert {t.ident for t in threading.enumerate()} == threads
        assert await sandbox.wait_url() == url == sandbox.url
    finally:
        sandbox.stop()
    assert sandbox.process.poll() is not None
    assert not sandbox.output.exists()


async def test_a_sandbox_that_ends_without_a_url_is_an_error(tmp_path: Path) -> None:
    sandbox = launch_sandbox(extra=("--scenario", str(tmp_path / "no-such-fleet.toml")))

    with pytest.raises(RuntimeError, match="did not start"):
        await sandbox.wait_url()

    assert sandbox.process.poll() is not None
    assert not sandbox.output.exists()


async def test_a_demo_lane_runs_on_its_sandbox_child_with_the_manager_services(
    lane_folders: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    launched: list[SandboxProcess] = []

    def launch(settings: object) -> SandboxProcess:
        sandbox = launch_sandbox(lane_folders / "demo.sqlite3", 20.0)
        launched.append(sandbox)
        return sandbox

    monkeypatch.setattr(wiring, "launch_demo_sandbox", launch)
    settings = load_settings()

    async with wiring.open_lane(settings, demo=True) as lane:
        assert lane.demo
        assert lane.sandbox_url == launched[0].url
        assert lane.client is not None
        terminals = await lane.service.gateway.list_terminals()
        assert "trm_front" in {t.id for t in terminals}
        with wiring.manager_services(lane, lane_folders / "audit.sqlite3") as services:
            assert services.manager.lane == settings.lane
            assert services.manager.status() is ManagerStatus.NO_STAFF
            assert services.settings.can_test(SettingsForm(demo=True))  # the demo account
            assert services.receipts.journal is lane.journal
            # Every end-of-day report carries the audit chain's head, so paper anchors it.
            services.manager.create_owner("Olga", "735190")
            report = await services.reports.day_report(date.today())
            assert report.audit_head == services.manager.audit_head().short
            audit = services.audit
        with pytest.raises(Exception, match="closed"):
            audit.entries(AuditQuery())

    assert launched[0].process.poll() is not None  # stopped with the lane


async def test_the_staff_service_signs_out_after_the_set_idle_time_and_takes_a_new_one_up(
    lane_folders: Path, sandbox: SandboxHandle
) -> None:
    save_settings({"idle_sign_out_minutes": 7})
    settings = load_settings()
    audit_file = lane_folders / "audit.sqlite3"
    async with engine_lane(sandbox.url, lane_folders / "journal.sqlite3") as engine:
        lane = wiring.Lane(settings, engine.service, engine.journal, False, None, engine.reports)
        with wiring.manager_services(lane, audit_file) as services:
            manager = services.manager
            assert manager.idle_timeout == timedelta(minutes=7)
            manager.create_owner("Olga", "735190")  # signed in
            expires = manager.session_expires_at
            assert expires is not None
            assert timedelta(minutes=6) < expires - manager.now() <= timedelta(minutes=7)

            form = replace(services.settings.current(), idle_sign_out_minutes="3")
            assert not services.settings.save(form).restart_needed

            assert manager.idle_timeout == timedelta(minutes=3)
            expires = manager.session_expires_at
            assert expires is not None
            assert expires - manager.now() <= timedelta(minutes=3)  # the open session too
    # The command line's staff service reads the same setting.
    with wiring.manager_service(load_settings(), audit_file) as cli:
        assert cli.idle_timeout == timedelta(minutes=3)


def test_importing_the_wiring_loads_no_qt_no_engine_and_no_settings_model() -> None:
    heavy = ("PySide6", "qasync", "httpx", "pydantic", "pos_app.justifi.http", "pos_app.storage")
    code = f"import sys, pos_app.wiring; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == ""
