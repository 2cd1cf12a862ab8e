"""Fixtures every suite shares."""

from __future__ import annotations

import asyncio
import gc
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

from pos_app.services.manager import ManagerService
from pos_app.storage.audit import SqliteAuditLog
from tests.support.manager import Clock
from tests.support.postgres import PgServer, database_name, pg_server
from tests.support.sandbox import SandboxHandle, sandbox_process
from tests.support.staff_screens import add_staff, staff_service

GUI_TESTS = Path(__file__).parent / "gui"


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """GUI tests run on one qasync loop (as the app does); the rest on plain asyncio."""
    if GUI_TESTS in Path(str(item.path)).parents:
        import qasync
        from PySide6.QtWidgets import QApplication  # qasync finds it through QT_API

        def qt_loop() -> asyncio.AbstractEventLoop:
            app = QApplication.instance() or QApplication([])
            loop: asyncio.AbstractEventLoop = qasync.QEventLoop(app)
            return loop

        return {"qasync": qt_loop}
    return {"asyncio": asyncio.new_event_loop}


@pytest.fixture(autouse=True)
def _collect_garbage_on_this_thread() -> Iterator[None]:
    # Qt objects must die on the GUI thread: collect here, not on some other thread.
    yield
    gc.collect()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection built (the imported modules, Qt's and pydantic's classes, the
    test items): the collection after each test then walks only what tests made since, not
    some hundred thousand objects that live for the whole run (0.1-0.2 s a test, minutes
    a run). What a test makes is still collected after it, on this thread."""
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """One sandbox child process for the whole run."""
    with sandbox_process() as url:
        yield url


@pytest.fixture
def sandbox(sandbox_url: str) -> Iterator[SandboxHandle]:
    """The shared sandbox, reset to a fresh state for this test, running 20x fast."""
    handle = SandboxHandle(sandbox_url)
    handle.reset()
    handle.set_time(scale=20)
    yield handle
    handle.client.close()


def pytest_configure(config: Any) -> None:
    """Nothing in a test run may touch the real user folders or keyring."""
    os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


# Test files whose tests share a module fixture that one worker must build for all of them:
# the bundle's (packaging/build.sh writes dist/pos-app, a minute or more; two workers
# building it at once write over each other).
ONE_WORKER_FILES = ("tests/packaging/test_bundle.py",)


@pytest.hookimpl(optionalhook=True)  # an xdist hook: without xdist, never called
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """`-n N --dist loadgroup` (scripts/test.sh), with each of ONE_WORKER_FILES one group.

    xdist 3.8's own `xdist_group` marks do nothing under pytest 9: xdist renames
    `item._nodeid`, which pytest 9 no longer reads, so the group is named here by file,
    on the controller. The largest unit goes out first: the bundle's build starts with the
    run, beside the other tests, instead of alone at its tail.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class FileGroups(LoadGroupScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if path in ONE_WORKER_FILES else str(super()._split_scope(nodeid))

    return FileGroups(config, log)


# -- a lane's staff (staff screens and services) --------------------------------------------


@pytest.fixture
def clock() -> Clock:
    """The staff service's clock, stepped by the test."""
    return Clock()


@pytest.fixture
def log() -> Iterator[SqliteAuditLog]:
    """An audit log in memory."""
    with SqliteAuditLog(":memory:") as audit:
        yield audit


@pytest.fixture
def service(log: SqliteAuditLog, clock: Clock) -> ManagerService:
    """A staff service with an owner, a manager and a cashier (tests.support.staff_screens)."""
    service = staff_service(log, clock)
    add_staff(service)
    return service


# -- the store's database (a throwaway PostgreSQL for the run) --------------------------------

STORE_TEMPLATE = "store_template"


@pytest.fixture(scope="session")
def pg() -> Iterator[PgServer]:
    """One throwaway PostgreSQL server for the whole run, started when a test first asks."""
    with pg_server() as server:
        yield server


@pytest.fixture(scope="session")
def _store_template(pg: PgServer) -> str:
    """A database with the store's schema, copied for each test that wants one."""
    url = pg.create_database(STORE_TEMPLATE)

    async def init() -> None:
        from pos_app.storage.store.connection import connect, store_address
        from pos_app.storage.store.schema import init_store

        conn = await connect(store_address(url, None))
        try:
            await init_store(conn)
        finally:
            await conn.close()

    asyncio.run(init())
    return STORE_TEMPLATE


@pytest.fixture
def empty_store_url(pg: PgServer) -> Iterator[str]:
    """A fresh, empty database of its own for this test (no schema: `store init` not run)."""
    url = pg.create_database()
    yield url
    pg.drop_database(database_name(url))


@pytest.fixture
def store_url(pg: PgServer, _store_template: str) -> Iterator[str]:
    """A fresh database of its own for this test, with the store's schema."""
    url = pg.create_database(template=_store_template)
    yield url
    pg.drop_database(database_name(url))
