"""The store's "done when", against a real PostgreSQL and the sandbox over HTTP.

Two lanes selling into one store; the store going away and coming back while
the lanes keep selling; a lane killed mid-sale (the CLI, SIGKILLed while the
terminal waits) and recovered with the store right; a resend after a lost
acknowledgement (the store committed, the lane never heard); and two lanes
refunding one sale at once (JustiFi refuses the one that would exceed; the
store shows both attempts). Each ends by comparing every lane's journal with
the store's rows (tests/support/store_lanes.py): nothing lost, nothing twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from pos_app.domain.payment_flow import StateName
from pos_app.domain.tickets import (
    CashMovement,
    CashMovementKind,
    Shift,
    Ticket,
    TicketLine,
    TicketStatus,
)
from pos_app.services.store_ports import (
    LaneIdentity,
    StoreLink,
    StoreRecord,
    StoreUnavailableError,
    SyncState,
)
from tests.integration.cli_support import cli_env, journal_path, popen_cli, run_cli
from tests.support.lanes import TEST_ENGINE, TestLane, collect, lane
from tests.support.postgres import PgServer
from tests.support.sandbox import SandboxHandle, wait_until
from tests.support.store_lanes import StoreLane, compare_lane, join_store, wait_for


@asynccontextmanager
async def lanes_in_store(
    sandbox: SandboxHandle, tmp_path: Path, store_url: str, names: Sequence[str], **join: object
) -> AsyncIterator[list[tuple[TestLane, StoreLane]]]:
    """Engines on the sandbox, each on its own journal, each joined to the store."""
    async with AsyncExitStack() as stack:
        joined = []
        for name in names:
            engine = dataclasses.replace(TEST_ENGINE, lane=name)
            path = tmp_path / name / "journal.sqlite3"
            path.parent.mkdir()
            built = await stack.enter_async_context(lane(sandbox.url, path, engine=engine))
            store = await stack.enter_async_context(
                join_store(built.journal, name, store_url, **join)
            )
            joined.append((built, store))
        yield joined


def store_rows(store_url: str, query: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(store_url) as conn:
        return conn.execute(query, params).fetchall()


def assert_store_matches(store: StoreLane, store_url: str) -> None:
    comparison = compare_lane(Path(store.journal.path), store.name, store_url)
    assert comparison.agrees, (
        comparison.summary()
        + "\n"
        + "\n".join(comparison.lost + comparison.duplicated + comparison.stale)
    )
    assert comparison.operations > 0


async def approved_charge(engine: TestLane, amount: int, terminal: str = "trm_side") -> str:
    run = await engine.service.charge(amount, terminal, f"sale of {amount}")
    final = (await collect(run))[-1]
    assert final.name is StateName.APPROVED, final
    return run.operation.id


async def cash_sale(engine: TestLane, name: str) -> Ticket:
    """A shift opened, a two-line sale rung up, then paid in cash (the sale completes)."""
    now = datetime.now(UTC)
    shift = Shift(str(uuid.uuid4()), name, now, "Ann", 10_000)
    lines = (TicketLine("latte", 2, 450, "SKU-1"), TicketLine("bagel", 1, 300))
    ticket = Ticket(
        str(uuid.uuid4()), name, TicketStatus.OPEN, lines, 1200, 0, 99, 1299, now, now,
        served_by="Ann", shift_id=shift.id,
    )  # fmt: skip
    await engine.journal.add_many(shifts=[shift], tickets=[ticket])
    movement = CashMovement(
        str(uuid.uuid4()), shift.id, CashMovementKind.SALE, 1299, datetime.now(UTC), "Ann",
        ticket_id=ticket.id, tendered_cents=2000, change_cents=701,
    )  # fmt: skip
    await engine.journal.add_cash_movement(movement, complete_ticket=True)
    return ticket


# -- two lanes --------------------------------------------------------------------------------


async def test_two_lanes_send_every_sale_to_one_store(
    sandbox: SandboxHandle, store_url: str, tmp_path: Path
) -> None:
    async with lanes_in_store(sandbox, tmp_path, store_url, ["lane-1", "lane-2"]) as joined:
        (one, one_store), (two, two_store) = joined

        async def lane_one() -> list[str]:  # one terminal: one sale after the other
            return [await approved_charge(one, 1250), await approved_charge(one, 830)]

        first, second = await asyncio.gather(lane_one(), approved_charge(two, 2400, "trm_front"))
        charged = [*first, second]
        ticket = await cash_sale(two, "lane-2")
        await asyncio.gather(one_store.sent(), two_store.sent())
        assert_store_matches(one_store, store_url)
        assert_store_matches(two_store, store_url)
    by_lane = store_rows(
        store_url, "SELECT id, lane, status FROM operations WHERE id = ANY(%s)", charged
    )
    assert sorted((lane_, status) for _, lane_, status in by_lane) == [
        ("lane-1", "approved"),
        ("lane-1", "approved"),
        ("lane-2", "approved"),
    ]
    [sold] = store_rows(
        store_url, "SELECT lane, status, total_cents FROM tickets WHERE id = %s", ticket.id
    )
    assert sold == ("lane-2", "complete", 1299)
    lines = store_rows(
        store_url,
        "SELECT line_no, name, quantity FROM ticket_lines WHERE ticket_id = %s ORDER BY line_no",
        ticket.id,
    )
    assert [(name, quantity) for _, name, quantity in lines] == [("latte", 2), ("bagel", 1)]
    seen = store_rows(store_url, "SELECT name, lane_uid, pending FROM lanes ORDER BY name")
    assert [(name, pending) for name, _, pending in seen] == [("lane-1", 0), ("lane-2", 0)]
    assert seen[0][1] != seen[1][1]  # each journal its own uid


# -- the store away and back -------------------------------------------------------------------


async def test_lanes_keep_selling_while_the_store_is_away_and_send_it_all_when_it_is_back(
    sandbox: SandboxHandle, pg: PgServer, store_url: str, tmp_path: Path
) -> None:
    async with lanes_in_store(sandbox, tmp_path, store_url, ["lane-1", "lane-2"]) as joined:
        (one, one_store), (two, two_store) = joined
        await approved_charge(one, 1000)
        await one_store.sent()
        pg.stop()
        try:
            # Selling goes on: approved as before, each sale kept in the outbox.
            during = await asyncio.gather(
                approved_charge(one, 1100, "trm_side"), approved_charge(two, 1200, "trm_front")
            )
            await cash_sale(two, "lane-2")
            await wait_for(
                lambda: one_store.sync.status.state is SyncState.UNREACHABLE,
                10.0,
                "lane-1 says the store is unreachable",
            )
            assert one_store.pending() > 0
            assert two_store.pending() > 0
            assert one_store.sync.status.pending > 0
        finally:
            pg.start()
        await asyncio.gather(one_store.sent(), two_store.sent())
        await wait_for(
            lambda: one_store.sync.status.state is SyncState.SENT, 10.0, "lane-1 up to date"
        )
        assert_store_matches(one_store, store_url)
        assert_store_matches(two_store, store_url)
    found = store_rows(store_url, "SELECT status FROM operations WHERE id = ANY(%s)", during)
    assert found == [("approved",), ("approved",)]


# -- a lane killed mid-sale --------------------------------------------------------------------


def test_a_lane_killed_mid_sale_is_recovered_and_the_store_gets_it_right(
    sandbox: SandboxHandle, store_url: str, tmp_path: Path
) -> None:
    env = cli_env(sandbox.url, tmp_path, POS_STORE_URL=store_url, POS_LANE="lane-9")
    proc = popen_cli(["charge", "12.34", "--terminal", "trm_virtual", "--json"], env)
    try:
        wait_until(lambda: sandbox.control("GET", "sessions"), timeout=30)
        proc.send_signal(signal.SIGKILL)  # the lane dies while the terminal waits
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    sandbox.present("trm_virtual", card="visa")  # the customer taps anyway
    recovered = run_cli(["recover", "--json"], env)
    assert recovered.returncode == 0, recovered.stderr
    # recover sends what it wrote before it exits (at most 2 s): the store is right now.
    [(op_id, status, last4)] = store_rows(
        store_url, "SELECT id, status, card_last4 FROM operations WHERE lane = 'lane-9'"
    )
    assert (status, last4) == ("approved", "4242")
    comparison = compare_lane(journal_path(env), "lane-9", store_url)
    assert comparison.agrees, comparison.summary()
    events = store_rows(
        store_url,
        "SELECT status FROM operation_events WHERE operation_id = %s ORDER BY seq",
        op_id,
    )
    assert events[0] == ("preparing",)
    assert events[-1] == ("approved",)
    synced = run_cli(["store", "sync", "--json"], env)
    assert synced.returncode == 0, synced.stderr
    [(name, pending)] = store_rows(store_url, "SELECT name, pending FROM lanes")
    assert (name, pending) == ("lane-9", 0)


# -- a lost acknowledgement --------------------------------------------------------------------


@dataclasses.dataclass
class AnswerLost:
    """A link whose next `send` commits in the store, then loses the answer (the call
    raises StoreUnavailableError as a cut connection would)."""

    link: StoreLink
    lose_next: bool = True
    sent: list[list[StoreRecord]] = dataclasses.field(default_factory=list)

    async def send(self, lane: LaneIdentity, records: Sequence[StoreRecord], pending: int) -> None:
        await self.link.send(lane, records, pending)
        self.sent.append(list(records))
        if self.lose_next:
            self.lose_next = False
            raise StoreUnavailableError("the store's answer was lost")

    def __getattr__(self, name: str) -> object:
        return getattr(self.link, name)


async def test_a_batch_resent_after_its_acknowledgement_was_lost_changes_nothing(
    sandbox: SandboxHandle, store_url: str, tmp_path: Path
) -> None:
    from pos_app.storage.store.connection import store_address
    from pos_app.storage.store.link import PgStoreLink

    real = PgStoreLink(store_address(store_url, None))
    losing = AnswerLost(real)
    try:
        async with lanes_in_store(
            sandbox, tmp_path, store_url, ["lane-1"], run=False, link=losing
        ) as joined:
            [(one, store)] = joined
            await approved_charge(one, 1500)
            await cash_sale(one, "lane-1")
            waiting = store.pending()
            with pytest.raises(StoreUnavailableError):
                await store.sync.send_once()
            # The store has them all; the lane does not know it and keeps them.
            assert store.pending() == waiting
            before = counts(store_url)
            assert before["operations"] == 1
            assert before["tickets"] == 1
            second = await approved_charge(one, 1600)  # more written meanwhile
            await store.sync.send_once()
            assert store.pending() == 0
            resent = {(r.kind, r.key) for r in losing.sent[0]}
            assert resent <= {(r.kind, r.key) for batch in losing.sent[1:] for r in batch}
            after = counts(store_url)
            second_events = len(one.journal.entries(second))
            assert after == {
                **before,
                "operations": before["operations"] + 1,
                "events": before["events"] + second_events,
            }
            assert_store_matches(store, store_url)
    finally:
        await real.close()


def counts(store_url: str) -> dict[str, int]:
    tables = {
        "operations": "operations",
        "events": "operation_events",
        "tickets": "tickets",
        "lines": "ticket_lines",
        "shifts": "shifts",
        "cash": "cash_movements",
    }
    with psycopg.connect(store_url) as conn:
        return {
            name: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for name, table in tables.items()
        }


# -- two lanes refunding one sale ----------------------------------------------------------


async def test_two_lanes_refunding_one_sale_at_once_give_back_no_more_than_it_was(
    sandbox: SandboxHandle, store_url: str, tmp_path: Path
) -> None:
    async with lanes_in_store(sandbox, tmp_path, store_url, ["lane-1", "lane-2"]) as joined:
        (one, one_store), (two, two_store) = joined
        op_id = await approved_charge(one, 2000)
        sold = one.journal.get(op_id)
        assert sold is not None
        assert sold.payment_id is not None
        # Both lanes see the whole sale refundable, then refund 15.00 each at once.
        details = await asyncio.gather(
            one.service.payment_details(sold.payment_id),
            two.service.payment_details(sold.payment_id),
        )
        assert [d.refundable_cents for d in details] == [2000, 2000]
        runs = [
            await one.service.refund_to_card(details[0], 1500, approved_by="Bea"),
            await two.service.refund_to_card(details[1], 1500, approved_by="Olga"),
        ]
        finals = [states[-1] for states in await asyncio.gather(*(collect(r) for r in runs))]
        assert sorted(f.name.value for f in finals) == ["approved", "declined"]
        refused = next(f for f in finals if f.name is StateName.DECLINED)
        assert refused.decline_code == "refund_exceeds_amount_available"
        assert (await one.service.payment_details(sold.payment_id)).refundable_cents == 500
        await asyncio.gather(one_store.sent(), two_store.sent())
        assert_store_matches(one_store, store_url)
        assert_store_matches(two_store, store_url)
    attempts = store_rows(
        store_url,
        "SELECT lane, status, decline_code, amount_cents FROM operations"
        " WHERE kind = 'refund' AND payment_id = %s ORDER BY lane",
        sold.payment_id,
    )
    assert len(attempts) == 2
    assert {row[0] for row in attempts} == {"lane-1", "lane-2"}
    assert sorted((row[1], row[2], row[3]) for row in attempts) == [
        ("approved", None, 1500),
        ("declined", "refund_exceeds_amount_available", 1500),
    ]
