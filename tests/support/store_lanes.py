"""Lanes joined to a store, for the store's integration tests and benchmarks.

A lane here is an engine (`pos_app.wiring.open_engine`, its own journal) whose
journal keeps an outbox, with a `StoreSync` sending it through a `PgStoreLink`
to the store at a URL, as the window runs it. The comparisons read the lane's
journal file and the store's tables directly (sqlite3 and psycopg), so they
check the app's code rather than reuse it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg

if TYPE_CHECKING:
    from pos_app.services.store_ports import LaneIdentity, StoreLink
    from pos_app.services.store_sync import StoreSync
    from pos_app.storage.journal import SqliteJournal

# The tests' sync: quick to notice a write and quick to retry (the app's 0.25 s and
# 0.5-5 s are for the benchmarks, which measure them).
TEST_SYNC = {"idle_poll": 0.05, "backoff": (0.05, 0.2)}


@dataclass
class StoreLane:
    """A lane's link to the store and the sync task sending its journal's outbox."""

    name: str
    journal: SqliteJournal
    identity: LaneIdentity
    link: StoreLink
    sync: StoreSync
    task: asyncio.Task[None] | None = None

    def pending(self) -> int:
        return self.journal.outbox_count()

    async def sent(self, within: float = 10.0) -> None:
        """Wait until the outbox is empty (the store acknowledged everything)."""
        await wait_for(lambda: self.journal.outbox_count() == 0, within, f"{self.name} sent")


async def wait_for(
    condition: Callable[[], object], within: float, what: str, interval: float = 0.02
) -> None:
    """Let the loop run until `condition()` is true; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def join_store(
    journal: SqliteJournal,
    name: str,
    store_url: str,
    *,
    run: bool = True,
    link: StoreLink | None = None,
    sync_options: dict[str, Any] | None = None,
) -> AsyncIterator[StoreLane]:
    """Join `journal`'s lane to the store: its outbox on, a link (`link`, else a
    `PgStoreLink` to `store_url`), and with `run` its sync task running until the end."""
    from pos_app.services.store_ports import LaneIdentity
    from pos_app.services.store_sync import StoreSync
    from pos_app.storage.store.connection import store_address
    from pos_app.storage.store.link import PgStoreLink

    await journal.enable_outbox()
    uid = journal.lane_uid()
    assert uid, "enable_outbox gives the journal a lane uid"
    identity = LaneIdentity(name, uid, "test")
    own_link = link is None
    the_link: StoreLink = PgStoreLink(store_address(store_url, None)) if link is None else link
    options = TEST_SYNC if sync_options is None else sync_options
    sync = StoreSync(the_link, identity, [journal], **options)
    journal.on_queued = sync.nudge  # as the app wires it: a write wakes the sync task
    lane = StoreLane(name, journal, identity, the_link, sync)
    if run:
        lane.task = asyncio.create_task(sync.run(), name=f"store sync {name}")
    try:
        yield lane
    finally:
        journal.on_queued = None
        stopped = True
        if lane.task is not None:
            lane.task.cancel()
            done, _ = await asyncio.wait({lane.task}, timeout=5.0)
            stopped = lane.task in done
        if own_link:
            await the_link.close()
        # Said at once, rather than a test hanging until the suite's timeout.
        assert stopped, f"the sync task of {name} did not stop when cancelled"


# -- comparing a lane's journal with the store ----------------------------------------------


@dataclass
class Comparison:
    """How one lane's journal and the store differ (every list empty: they agree)."""

    lane: str
    operations: int = 0  # in the journal
    events: int = 0
    tickets: int = 0
    cash: int = 0
    lost: list[str] = field(default_factory=list)  # in the journal, not in the store
    duplicated: list[str] = field(default_factory=list)  # in the store twice or unknown
    stale: list[str] = field(default_factory=list)  # in both, the store's state older

    @property
    def agrees(self) -> bool:
        return not (self.lost or self.duplicated or self.stale)

    def summary(self) -> str:
        return (
            f"{self.lane}: {self.operations} operations, {self.events} events, {self.tickets}"
            f" tickets, {self.cash} cash; lost {len(self.lost)}, duplicated"
            f" {len(self.duplicated)}, stale {len(self.stale)}"
        )


def _journal_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        rows = {
            "operations": conn.execute("SELECT id, status, updated_at FROM operations").fetchall(),
            "events": conn.execute(
                "SELECT seq, operation_id, status FROM operation_events"
            ).fetchall(),
            "tickets": [],
            "cash": [],
        }
        if "tickets" in tables:
            rows["tickets"] = conn.execute("SELECT id, status, updated_at FROM tickets").fetchall()
            rows["cash"] = conn.execute("SELECT id, amount_cents FROM cash_movements").fetchall()
    return rows


def _when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def compare_lane(journal_path: Path, lane: str, store_url: str) -> Comparison:
    """Every operation, event, sale and cash movement of the lane's journal against the
    store's rows sent as `lane`: lost, duplicated (a row the journal has not, or an event
    written twice under another number) and stale (the store's state older)."""
    local = _journal_rows(journal_path)
    found = Comparison(
        lane,
        operations=len(local["operations"]),
        events=len(local["events"]),
        tickets=len(local["tickets"]),
        cash=len(local["cash"]),
    )
    with psycopg.connect(store_url) as conn:
        ops = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT id, status, updated_at FROM operations WHERE lane = %s", [lane]
            )
        }
        events = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT seq, operation_id, status FROM operation_events WHERE lane = %s", [lane]
            )
        }
        tickets = {
            row[0]: row[1:]
            for row in conn.execute(
                "SELECT id, status, updated_at FROM tickets WHERE lane = %s", [lane]
            )
        }
        cash = {
            row[0] for row in conn.execute("SELECT id FROM cash_movements WHERE lane = %s", [lane])
        }
    _compare_states("operation", local["operations"], ops, found)
    _compare_states("ticket", local["tickets"], tickets, found)
    journal_events = {seq: (op_id, status) for seq, op_id, status in local["events"]}
    for seq, (op_id, status) in journal_events.items():
        if seq not in events:
            found.lost.append(f"event {seq} ({op_id} {status})")
        elif tuple(events[seq]) != (op_id, status):
            found.stale.append(f"event {seq}: store {events[seq]} != journal {(op_id, status)}")
    found.duplicated += [
        f"event {seq} unknown to the journal" for seq in events.keys() - journal_events.keys()
    ]
    stored = Counter(tuple(value) for value in events.values())
    journaled = Counter(journal_events.values())
    found.duplicated += [
        f"event {key} written {n} times, {journaled[key]} in the journal"
        for key, n in stored.items()
        if n > journaled[key]
    ]
    local_cash = {row[0] for row in local["cash"]}
    found.lost += [f"cash {cash_id}" for cash_id in local_cash - cash]
    found.duplicated += [f"cash {cash_id} unknown to the journal" for cash_id in cash - local_cash]
    return found


def _compare_states(
    what: str,
    local: Iterable[tuple[Any, ...]],
    store: dict[str, tuple[Any, ...]],
    found: Comparison,
) -> None:
    ids = set()
    for row_id, status, updated_at in local:
        ids.add(row_id)
        if row_id not in store:
            found.lost.append(f"{what} {row_id} ({status})")
            continue
        store_status, store_updated = store[row_id]
        if store_status != status or _when(store_updated) != _when(updated_at):
            found.stale.append(f"{what} {row_id}: store {store_status}, journal {status}")
    found.duplicated += [f"{what} {row_id} unknown to the journal" for row_id in store.keys() - ids]


def compare_lanes(journals: Sequence[tuple[str, Path]], store_url: str) -> list[Comparison]:
    """`compare_lane` for each (lane, journal file)."""
    return [compare_lane(path, lane, store_url) for lane, path in journals]


# -- when the store first saw each approval (benchmarks) -----------------------------------

APPROVALS_SEEN = """
CREATE TABLE IF NOT EXISTS bench_seen (
    id text PRIMARY KEY, seen_at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE OR REPLACE FUNCTION bench_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'approved' THEN
        INSERT INTO bench_seen (id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS bench_seen ON operations;
CREATE TRIGGER bench_seen AFTER INSERT OR UPDATE ON operations
    FOR EACH ROW EXECUTE FUNCTION bench_seen();
"""


def watch_approvals(store_url: str) -> None:
    """Note in `bench_seen` when the store first writes each operation as approved
    (clock_timestamp, in the writing transaction): a benchmark-only trigger."""
    with psycopg.connect(store_url, autocommit=True) as conn:
        conn.execute(APPROVALS_SEEN)


def approvals_seen(store_url: str) -> dict[str, float]:
    """Operation id -> when the store wrote it as approved (Unix time)."""
    with psycopg.connect(store_url) as conn:
        return {
            row[0]: row[1].timestamp() for row in conn.execute("SELECT id, seen_at FROM bench_seen")
        }
