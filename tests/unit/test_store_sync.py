"""The sync task against a fake store link (no server): order per outbox, acknowledged only
after the link returned, backoff, a refused lane, pulls, nudges and the CLI's drain."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pos_app.domain.payment_flow import PaymentKind, StateName
from pos_app.services.audit_log import AuditAction, NewAuditEntry
from pos_app.services.ports import Operation
from pos_app.services.store_ports import (
    JsonValue,
    LaneIdentity,
    RecordKind,
    SharedStaff,
    StoreLink,
    StoreRecord,
    StoreRefusedError,
    StoreUnavailableError,
    SyncState,
    SyncStatus,
)
from pos_app.services.store_sync import REFUSED_RETRY, StoreSync
from pos_app.storage.audit import SqliteAuditLog
from pos_app.storage.journal import SqliteJournal

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
LANE = LaneIdentity("lane-1", "uid-1", "test")
DOWN = "the store's database at db.shop cannot be reached"


async def wait_until(condition: Callable[[], object], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


class FakeLink:
    """A store that keeps what it was sent, keyed as the real one (a resend changes
    nothing), and fails as told: `down` (unreachable), `refuse` (a sentence), `lose_ack`
    (writes, then the answer is lost), `hang` (never answers)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[RecordKind, str], Mapping[str, JsonValue]] = {}
        self.order: list[tuple[str, str]] = []
        self.calls: list[str] = []
        self.pending_seen: list[int] = []
        self.down = False
        self.refuse: str | None = None
        self.lose_ack = 0
        self.hang = False

    def _check(self, call: str) -> None:
        self.calls.append(call)
        if self.refuse is not None:
            raise StoreRefusedError(self.refuse)
        if self.down:
            raise StoreUnavailableError(DOWN)

    async def send(self, lane: LaneIdentity, records: Sequence[StoreRecord], pending: int) -> None:
        self._check("send")
        if self.hang:
            await asyncio.Event().wait()
        for record in records:
            if (record.kind, record.key) not in self.rows:
                self.order.append((record.kind.value, record.key))
            self.rows[(record.kind, record.key)] = record.data
        self.pending_seen.append(pending)
        if self.lose_ack:
            self.lose_ack -= 1
            raise StoreUnavailableError(DOWN)

    async def heartbeat(self, lane: LaneIdentity, pending: int) -> None:
        self._check("heartbeat")

    async def staff_since(self, changed_after: datetime | None) -> list[SharedStaff]:
        self._check("staff_since")
        return []

    async def catalog(self) -> tuple[str, datetime] | None:
        return None

    async def put_catalog(self, toml_text: str, changed_by: str) -> None:
        raise NotImplementedError

    async def store_settings(self) -> dict[str, JsonValue]:
        return {}

    async def put_store_settings(self, values: Mapping[str, JsonValue], changed_by: str) -> None:
        raise NotImplementedError

    async def audit_head(self, lane: str) -> tuple[int, str] | None:
        return None

    async def audit_hash(self, lane: str, seq: int) -> str | None:
        return None

    async def close(self) -> None:
        return None


class CountingPull:
    def __init__(self) -> None:
        self.pulls = 0

    async def pull(self, link: StoreLink) -> None:
        await link.staff_since(None)
        self.pulls += 1


class Stop(Exception):
    """Ends a run driven by a fake sleep."""


def charge(op_id: str, minutes: float = 0) -> Operation:
    at = T0 + timedelta(minutes=minutes)
    return Operation(
        id=op_id, kind=PaymentKind.CHARGE, amount_cents=500, status=StateName.PREPARING.value,
        flow="payment_intent", create_key=f"ck-{op_id}", send_key=f"sk-{op_id}",
        created_at=at, updated_at=at,
    )  # fmt: skip


@pytest.fixture
async def journal(tmp_path: Path) -> AsyncIterator[SqliteJournal]:
    with SqliteJournal(tmp_path / "journal.sqlite3") as opened:
        await opened.enable_outbox()
        yield opened


@pytest.fixture
async def audit(tmp_path: Path) -> AsyncIterator[SqliteAuditLog]:
    with SqliteAuditLog(tmp_path / "audit.sqlite3", lane="lane-1") as opened:
        await opened.enable_outbox()
        yield opened


def sign_in() -> NewAuditEntry:
    return NewAuditEntry(T0, "Ann", "lane-1", AuditAction.SIGN_IN, None, {}, "ok")


async def test_records_go_in_order_per_outbox_and_are_forgotten_after(
    journal: SqliteJournal, audit: SqliteAuditLog
) -> None:
    await journal.begin_many(charge(f"op{n}", n) for n in range(3))
    audit.append(sign_in())
    link = FakeLink()
    statuses: list[SyncStatus] = []
    sync = StoreSync(link, LANE, [journal, audit], batch=2, on_status=statuses.append)
    assert await sync.send_once() == 7
    assert link.order == [
        ("operation", "op0"), ("event", "1"), ("operation", "op1"), ("event", "2"),
        ("operation", "op2"), ("event", "3"), ("audit", "1"),
    ]  # fmt: skip
    assert link.calls == ["send"] * 4  # 2 + 2 + 2 from the journal, then the audit's
    assert link.pending_seen == [5, 3, 1, 0]
    assert journal.outbox_count() == audit.outbox_count() == 0
    assert statuses[-1].state is SyncState.SENDING
    assert statuses[-1].pending == 0
    assert statuses[-1].last_sent_at is not None
    assert await sync.send_once() == 0


async def test_nothing_is_forgotten_when_the_store_did_not_take_it(
    journal: SqliteJournal,
) -> None:
    await journal.begin(charge("op1"))
    link = FakeLink()
    link.down = True
    sync = StoreSync(link, LANE, [journal])
    with pytest.raises(StoreUnavailableError):
        await sync.send_once()
    assert journal.outbox_count() == 2
    assert link.rows == {}


async def test_a_lost_acknowledgement_means_a_resend_the_store_ignores(
    journal: SqliteJournal,
) -> None:
    op = charge("op1")
    await journal.begin(op)
    link = FakeLink()
    link.lose_ack = 1  # written in the store, but the lane never heard back
    sync = StoreSync(link, LANE, [journal])
    with pytest.raises(StoreUnavailableError):
        await sync.send_once()
    assert journal.outbox_count() == 2  # kept: the lane cannot know the store has it
    await journal.update(replace(op, status=StateName.APPROVED.value))
    assert await sync.send_once() == 3  # the resend, with the operation as it is now
    assert link.order == [("operation", "op1"), ("event", "1"), ("event", "2")]
    assert link.rows[(RecordKind.OPERATION, "op1")]["status"] == "approved"
    assert journal.outbox_count() == 0


async def test_backoff_doubles_to_its_cap_then_the_outbox_drains_when_the_store_is_back(
    journal: SqliteJournal,
) -> None:
    await journal.begin(charge("op1"))
    link = FakeLink()
    link.down = True
    pauses: list[float] = []
    statuses: list[SyncStatus] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 6:
            link.down = False  # the store is back
        if len(pauses) == 8:
            raise Stop
        await asyncio.sleep(0)

    sync = StoreSync(link, LANE, [journal], sleep=sleep, on_status=statuses.append)
    with pytest.raises(Stop):
        await sync.run()
    assert pauses[:6] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    assert pauses[6:] == [0.25, 0.25]  # back to the idle poll
    unreachable = [s for s in statuses if s.state is SyncState.UNREACHABLE]
    assert unreachable[0] == SyncStatus(SyncState.UNREACHABLE, 2, None, DOWN)
    assert statuses[-1].state is SyncState.SENT
    assert statuses[-1].pending == 0
    assert journal.outbox_count() == 0
    assert len(link.rows) == 2


async def test_a_refused_lane_stops_sending_and_says_why(journal: SqliteJournal) -> None:
    await journal.begin(charge("op1"))
    link = FakeLink()
    link.refuse = "Another computer already sends as lane 'lane-1' to this store"
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 3:
            raise Stop
        await asyncio.sleep(0)

    sync = StoreSync(link, LANE, [journal], sleep=sleep)
    with pytest.raises(Stop):
        await sync.run()
    assert sync.status == SyncStatus(SyncState.REFUSED, 2, None, link.refuse)
    assert pauses == [REFUSED_RETRY] * 3  # no quick retries, no backoff hammering
    assert link.calls == ["send"] * 3  # one try per retry period
    assert journal.outbox_count() == 2


async def test_pulls_after_connecting_and_every_pull_period(journal: SqliteJournal) -> None:
    link = FakeLink()
    pull = CountingPull()
    now = [0.0]
    pauses: list[float] = []

    async def sleep(seconds: float) -> None:
        pauses.append(seconds)
        now[0] += seconds
        if len(pauses) == 2:  # a sale while the store is away: pull again once it is back
            await journal.begin(charge("op1"))
            link.down = True
        if len(pauses) == 3:
            assert seconds == 0.5
            link.down = False
        if now[0] >= 33 or len(pauses) > 500:
            raise Stop
        await asyncio.sleep(0)

    sync = StoreSync(
        link, LANE, [journal], pulls=[pull], sleep=sleep, clock=lambda: now[0], idle_poll=1.0
    )
    with pytest.raises(Stop):
        await sync.run()
    # At start, after the store came back (at 2.5 s), and 30 s after that; an idle
    # lane with nothing to send asks the store nothing in between.
    assert pull.pulls == 3
    assert link.calls == [
        "heartbeat", "staff_since", "send", "send", "heartbeat", "staff_since", "heartbeat",
        "staff_since",
    ]  # fmt: skip
    sync.add_pull(CountingPull())
    await sync.pull_once()
    assert pull.pulls == 4


async def test_a_nudge_wakes_the_idle_task(journal: SqliteJournal) -> None:
    link = FakeLink()
    sync = StoreSync(link, LANE, [journal], idle_poll=3600)
    task = asyncio.create_task(sync.run())
    try:
        await wait_until(lambda: sync.status.state is SyncState.SENT)
        await journal.begin(charge("op1"))
        sync.nudge()
        await wait_until(lambda: journal.outbox_count() == 0, within=2.0)
        assert (RecordKind.OPERATION, "op1") in link.rows
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_drain_keeps_its_deadline_and_what_is_left(journal: SqliteJournal) -> None:
    await journal.begin(charge("op1"))
    link = FakeLink()
    link.hang = True
    sync = StoreSync(link, LANE, [journal])
    started = time.monotonic()
    assert await sync.drain(0.2) is False
    assert time.monotonic() - started < 1.0
    assert journal.outbox_count() == 2
    link.hang, link.down = False, True
    assert await sync.drain(0.2) is False
    link.down = False
    assert await sync.drain(0.2) is True
    assert journal.outbox_count() == 0
    assert await sync.drain(0.2) is True  # nothing to send: the store is not even asked
    assert link.calls == ["send"] * 3


async def test_a_cancel_a_driver_turns_into_unreachable_still_stops_the_task(
    journal: SqliteJournal,
) -> None:
    await journal.begin(charge("op1"))
    link = FakeLink()
    link.hang = True
    original = link.send

    async def send(lane: LaneIdentity, records: Sequence[StoreRecord], pending: int) -> None:
        try:
            await original(lane, records, pending)
        except asyncio.CancelledError:
            raise StoreUnavailableError(DOWN) from None  # as psycopg's connect may answer

    link.send = send  # type: ignore[method-assign]
    sync = StoreSync(link, LANE, [journal])
    task = asyncio.create_task(sync.run())
    await wait_until(lambda: link.calls == ["send"])
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2.0)
    assert task in done
    assert task.cancelled()
