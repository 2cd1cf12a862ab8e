"""The journal as the `TicketStore`: tickets, shifts and cash movements (schema v4)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pos_app.domain.errors import InvalidInputError, user_message
from pos_app.domain.payment_flow import PaymentKind, StateName
from pos_app.domain.tickets import (
    CashMovement,
    CashMovementKind,
    Shift,
    Ticket,
    TicketLine,
    TicketStatus,
)
from pos_app.services.ports import Operation, TicketStore
from pos_app.storage.journal import JournalError, SqliteJournal
from pos_app.storage.migrations import SCHEMA_VERSION, migrate
from tests.support.journal_lock import LoopStallMeter, lock_held_elsewhere

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))
LANE = "lane-1"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def make_shift(shift_id: str = "s1", minutes: float = 0, **changes: object) -> Shift:
    shift = Shift(
        id=shift_id, lane=LANE, opened_at=at(minutes), opened_by="Ann", float_cents=10_000
    )
    return replace(shift, **changes)  # type: ignore[arg-type]


def make_ticket(ticket_id: str, minutes: float = 0, **changes: object) -> Ticket:
    """An OPEN ticket of shift s1: a discounted latte and two croissants."""
    lines = (
        TicketLine("Latte", 1, 450, item_code="LAT", discount_cents=45, discount_reason="staff"),
        TicketLine("Croissant", 2, 300),
    )
    ticket = Ticket(
        id=ticket_id,
        lane=LANE,
        status=TicketStatus.OPEN,
        lines=lines,
        subtotal_cents=1005,
        sale_discount_cents=0,
        tax_cents=80,
        total_cents=1085,
        created_at=at(minutes),
        updated_at=at(minutes),
        shift_id="s1",
    )
    return replace(ticket, **changes)  # type: ignore[arg-type]


def make_movement(movement_id: str, minutes: float = 0, **changes: object) -> CashMovement:
    """A paid in of $20 to shift s1."""
    movement = CashMovement(
        id=movement_id,
        shift_id="s1",
        kind=CashMovementKind.PAID_IN,
        amount_cents=2000,
        at=at(minutes),
        person="Ann",
        reason="change from the bank",
    )
    return replace(movement, **changes)  # type: ignore[arg-type]


def make_op(op_id: str, minutes: float = 0, **changes: object) -> Operation:
    op = Operation(
        id=op_id,
        kind=PaymentKind.CHARGE,
        amount_cents=500,
        status=StateName.APPROVED.value,
        flow="payment_intent",
        create_key=f"ck-{op_id}",
        send_key=f"sk-{op_id}",
        created_at=at(minutes),
        updated_at=at(minutes),
    )
    return replace(op, **changes)  # type: ignore[arg-type]


@pytest.fixture
def journal() -> Iterator[SqliteJournal]:
    with SqliteJournal(":memory:") as opened:
        yield opened


@pytest.fixture
async def shifted(journal: SqliteJournal) -> SqliteJournal:
    """A journal with shift s1 open on LANE."""
    await journal.add_shift(make_shift())
    return journal


def test_the_journal_is_a_ticket_store() -> None:
    with SqliteJournal(":memory:") as opened:
        port: TicketStore = opened
        assert port.ticket("nope") is None
        assert port.current_shift(LANE) is None
        assert port.open_tickets() == []
        assert port.cash_movements() == []


# -- tickets --------------------------------------------------------------------------------


async def test_every_ticket_field_and_line_round_trips(shifted: SqliteJournal) -> None:
    ticket = make_ticket(
        "t1",
        status=TicketStatus.COMPLETE,
        sale_discount_cents=100,
        sale_discount_reason="loyal customer",
        total_cents=985,
        served_by="Ann",
        discount_approved_by="Zoë",
        cancelled_by="Bea",
        description="Table 4",
        created_at=datetime(2026, 3, 2, 10, 4, 5, 678901, tzinfo=PARIS),
        updated_at=datetime(2026, 3, 2, 10, 6, 7, 1, tzinfo=PARIS),
    )
    await shifted.add_ticket(ticket)

    loaded = shifted.ticket("t1")

    assert loaded == ticket
    assert loaded is not None
    assert [line.name for line in loaded.lines] == ["Latte", "Croissant"]  # in sale order
    assert loaded.discount_cents == 145
    assert loaded.status is TicketStatus.COMPLETE
    assert loaded.created_at.utcoffset() == timedelta(0)


async def test_a_ticket_without_a_shift_or_lines_round_trips(journal: SqliteJournal) -> None:
    ticket = make_ticket("card-only", shift_id=None, lines=())
    await journal.add_ticket(ticket)
    assert journal.ticket("card-only") == ticket


async def test_a_ticket_is_journaled_once(shifted: SqliteJournal) -> None:
    await shifted.add_ticket(make_ticket("t1"))
    with pytest.raises(JournalError, match="already journaled"):
        await shifted.add_ticket(make_ticket("t1", total_cents=1))
    kept = shifted.ticket("t1")
    assert kept is not None
    assert (kept.total_cents, len(kept.lines)) == (1085, 2)


async def test_a_ticket_of_an_unknown_shift_is_refused(journal: SqliteJournal) -> None:
    with pytest.raises(JournalError, match="FOREIGN KEY"):
        await journal.add_ticket(make_ticket("t1", shift_id="nope"))
    assert journal.ticket("t1") is None


async def test_naive_ticket_times_are_refused(shifted: SqliteJournal) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await shifted.add_ticket(make_ticket("t1", created_at=datetime(2026, 1, 1)))
    with pytest.raises(ValueError, match="timezone-aware"):
        shifted.tickets_between(datetime(2026, 1, 1), T0)
    assert shifted.ticket("t1") is None


async def test_a_ticket_status_moves_and_keeps_who_cancelled(shifted: SqliteJournal) -> None:
    await shifted.add_ticket(make_ticket("t1"))

    await shifted.set_ticket_status("t1", TicketStatus.CANCELLED, at=at(5), cancelled_by="Bea")
    cancelled = shifted.ticket("t1")
    assert cancelled is not None
    assert (cancelled.status, cancelled.cancelled_by) == (TicketStatus.CANCELLED, "Bea")
    assert (cancelled.created_at, cancelled.updated_at) == (at(0), at(5))

    await shifted.set_ticket_status("t1", TicketStatus.CANCELLED, at=at(6))
    again = shifted.ticket("t1")
    assert again is not None
    assert again.cancelled_by == "Bea"  # not erased by a later call without it


async def test_the_status_of_an_unknown_ticket_is_an_error(journal: SqliteJournal) -> None:
    with pytest.raises(JournalError, match="not in the journal"):
        await journal.set_ticket_status("nope", TicketStatus.COMPLETE, at=T0)


async def test_open_tickets_are_the_open_ones_oldest_first(shifted: SqliteJournal) -> None:
    await shifted.add_ticket(make_ticket("newer", 2))
    await shifted.add_ticket(make_ticket("done", 0, status=TicketStatus.COMPLETE))
    await shifted.add_ticket(make_ticket("older", 1))
    await shifted.add_ticket(make_ticket("other lane", 3, lane="lane-2", shift_id=None))
    await shifted.add_ticket(make_ticket("tie", 2))  # same ms as "newer": insertion order
    await shifted.set_ticket_status("older", TicketStatus.COMPLETE, at=at(4))

    assert [t.id for t in shifted.open_tickets()] == ["newer", "tie", "other lane"]
    assert [t.id for t in shifted.open_tickets(lane=LANE)] == ["newer", "tie"]
    assert [len(t.lines) for t in shifted.open_tickets()] == [2, 2, 2]


async def test_tickets_between_is_inclusive_then_exclusive(journal: SqliteJournal) -> None:
    edge = T0 + timedelta(microseconds=500)  # inside one millisecond
    for name, moment in (
        ("before", edge - timedelta(microseconds=1)),
        ("at since", edge),
        ("inside", edge + timedelta(minutes=1)),
        ("at until", edge + timedelta(hours=1)),
    ):
        await journal.add_ticket(make_ticket(name, shift_id=None, created_at=moment))

    found = journal.tickets_between(edge.astimezone(PARIS), edge + timedelta(hours=1))

    assert [t.id for t in found] == ["at since", "inside"]


async def test_shift_tickets_are_that_shifts_oldest_first(shifted: SqliteJournal) -> None:
    await shifted.add_shift(make_shift("s0", -60, lane="lane-2"))
    await shifted.add_ticket(make_ticket("b", 2))
    await shifted.add_ticket(make_ticket("elsewhere", 1, lane="lane-2", shift_id="s0"))
    await shifted.add_ticket(make_ticket("a", 1))
    await shifted.add_ticket(make_ticket("day", 1, shift_id=None))

    tickets = shifted.shift_tickets("s1")

    assert [t.id for t in tickets] == ["a", "b"]
    assert all(t.lines == make_ticket("x").lines for t in tickets)
    assert shifted.shift_tickets("nope") == []


# -- shifts ---------------------------------------------------------------------------------


async def test_a_shift_round_trips_with_its_float_count(journal: SqliteJournal) -> None:
    shift = make_shift(float_count={2000: 3, 1000: 2, 25: 80}, opened_at=at(0).astimezone(PARIS))
    await journal.add_shift(shift)

    loaded = journal.current_shift(LANE)

    assert loaded == shift
    assert loaded is not None
    assert loaded.float_count == {2000: 3, 1000: 2, 25: 80}
    assert loaded.count is None
    assert loaded.is_open
    assert journal.shift("s1") == shift
    assert journal.shift("nope") is None
    assert journal.current_shift("lane-2") is None


async def test_a_second_open_shift_on_a_lane_is_refused(shifted: SqliteJournal) -> None:
    with pytest.raises(InvalidInputError) as refused:
        await shifted.add_shift(make_shift("s2", 5))
    assert user_message(refused.value) == "A shift is already open on this lane."
    assert shifted.shift("s2") is None

    await shifted.add_shift(make_shift("other", 5, lane="lane-2"))  # another lane may
    current = shifted.current_shift("lane-2")
    assert current is not None
    assert current.id == "other"


async def test_two_lane_processes_cannot_both_open_a_shift(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with SqliteJournal(path) as first, SqliteJournal(path) as second:
        await first.add_shift(make_shift("from-first"))
        with pytest.raises(InvalidInputError, match="already open"):
            await second.add_shift(make_shift("from-second"))
        current = second.current_shift(LANE)
        assert current is not None
        assert current.id == "from-first"


async def test_a_shift_id_is_journaled_once(shifted: SqliteJournal) -> None:
    with pytest.raises(JournalError, match="already journaled"):
        await shifted.add_shift(make_shift("s1", lane="lane-2"))


async def test_closing_a_shift_saves_the_count_and_frees_the_lane(
    shifted: SqliteJournal,
) -> None:
    shift = shifted.current_shift(LANE)
    assert shift is not None
    closed = replace(
        shift,
        closed_at=at(480),
        closed_by="Bea",
        counted_cents=24_510,
        expected_cents=24_600,
        count={10_000: 1, 2000: 7, 5: 2},
    )

    await shifted.close_shift(closed)

    loaded = shifted.shift("s1")
    assert loaded == closed
    assert loaded is not None
    assert loaded.count == {10_000: 1, 2000: 7, 5: 2}
    assert loaded.over_short_cents == -90
    assert not loaded.is_open
    assert shifted.current_shift(LANE) is None
    await shifted.add_shift(make_shift("s2", 490))  # the lane can open the next one
    assert [s.id for s in shifted.recent_shifts(LANE)] == ["s2", "s1"]


async def test_a_shift_closes_once(shifted: SqliteJournal) -> None:
    first = replace(make_shift(), closed_at=at(60), counted_cents=100, expected_cents=100)
    await shifted.close_shift(first)
    with pytest.raises(InvalidInputError) as refused:
        await shifted.close_shift(replace(first, closed_at=at(61), counted_cents=5))
    assert user_message(refused.value) == "This shift is already closed."
    kept = shifted.shift("s1")
    assert kept is not None
    assert (kept.closed_at, kept.counted_cents) == (at(60), 100)


async def test_closing_needs_a_known_shift_and_a_close_time(journal: SqliteJournal) -> None:
    with pytest.raises(JournalError, match="not in the journal"):
        await journal.close_shift(make_shift("nope", closed_at=at(1)))
    with pytest.raises(ValueError, match="closed_at"):
        await journal.close_shift(make_shift("nope"))


async def test_recent_shifts_are_the_lanes_newest_first(journal: SqliteJournal) -> None:
    for number in range(5):
        opened = make_shift(f"s{number}", number * 60, closed_at=at(number * 60 + 30))
        await journal.add_shift(opened)
    await journal.add_shift(make_shift("elsewhere", 400, lane="lane-2"))

    assert [s.id for s in journal.recent_shifts(LANE)] == ["s4", "s3", "s2", "s1", "s0"]
    assert [s.id for s in journal.recent_shifts(LANE, limit=2)] == ["s4", "s3"]
    assert journal.recent_shifts(LANE, limit=0) == []
    assert journal.recent_shifts("lane-3") == []


# -- cash movements -------------------------------------------------------------------------


async def test_every_cash_movement_field_round_trips(shifted: SqliteJournal) -> None:
    await shifted.add_ticket(make_ticket("t1"))
    movement = CashMovement(
        id="m1",
        shift_id="s1",
        kind=CashMovementKind.SALE,
        amount_cents=1085,
        at=datetime(2026, 3, 2, 10, 1, 2, 345678, tzinfo=PARIS),
        person="Ann",
        reason="sale",
        ticket_id="t1",
        tendered_cents=2000,
        change_cents=915,
        approved_by="Zoë",
    )
    await shifted.add_cash_movement(movement)

    assert shifted.cash_movements() == [movement]
    assert shifted.cash_movements()[0].kind is CashMovementKind.SALE
    assert shifted.cash_movements()[0].at.utcoffset() == timedelta(0)
    ticket = shifted.ticket("t1")
    assert ticket is not None
    assert ticket.status is TicketStatus.OPEN  # not completed unless asked


async def test_cash_movements_filter_and_come_oldest_first(shifted: SqliteJournal) -> None:
    await shifted.add_shift(make_shift("s0", -60, lane="lane-2"))
    await shifted.add_ticket(make_ticket("t1"))
    await shifted.add_ticket(make_ticket("t2"))
    sale = {"kind": CashMovementKind.SALE, "ticket_id": "t1"}
    movements = [
        make_movement("late", 30),
        make_movement("sale t1", 10, **sale),
        make_movement("refund t1", 20, kind=CashMovementKind.REFUND, ticket_id="t1"),
        make_movement("sale t2", 10, kind=CashMovementKind.SALE, ticket_id="t2"),  # tie
        make_movement("other shift", 15, shift_id="s0"),
        make_movement("no sale", 5, kind=CashMovementKind.NO_SALE, amount_cents=0),
    ]
    for movement in movements:
        await shifted.add_cash_movement(movement)

    def ids(**filters: object) -> list[str]:
        return [m.id for m in shifted.cash_movements(**filters)]  # type: ignore[arg-type]

    everything = ["no sale", "sale t1", "sale t2", "other shift", "refund t1", "late"]
    assert ids() == everything
    assert ids(shift_id="s1") == ["no sale", "sale t1", "sale t2", "refund t1", "late"]
    assert ids(ticket_id="t1") == ["sale t1", "refund t1"]
    assert ids(since=at(10), until=at(20)) == ["sale t1", "sale t2", "other shift"]
    assert ids(shift_id="s1", since=at(10).astimezone(PARIS), until=at(30)) == [
        "sale t1",
        "sale t2",
        "refund t1",
    ]
    assert ids(shift_id="s0", ticket_id="t1") == []


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"amount_cents": -1}, "CHECK"),
        ({"shift_id": "nope"}, "FOREIGN KEY"),
        ({"ticket_id": "nope"}, "FOREIGN KEY"),
    ],
)
async def test_a_cash_movement_the_drawer_cannot_have_is_refused(
    shifted: SqliteJournal, changes: dict[str, object], error: str
) -> None:
    with pytest.raises(JournalError, match=error):
        await shifted.add_cash_movement(make_movement("bad", **changes))
    assert shifted.cash_movements() == []


async def test_a_cash_movement_is_journaled_once(shifted: SqliteJournal) -> None:
    await shifted.add_cash_movement(make_movement("m1"))
    with pytest.raises(JournalError, match="already journaled"):
        await shifted.add_cash_movement(make_movement("m1", amount_cents=1))
    assert [m.amount_cents for m in shifted.cash_movements()] == [2000]


async def test_cash_movements_are_append_only(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with SqliteJournal(path) as journal:
        await journal.add_shift(make_shift())
        await journal.add_cash_movement(make_movement("m1"))

    raw = sqlite3.connect(path, isolation_level=None)
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("UPDATE cash_movements SET amount_cents = 1")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute("DELETE FROM cash_movements")
    finally:
        raw.close()

    with SqliteJournal(path) as journal:
        assert [m.amount_cents for m in journal.cash_movements()] == [2000]


async def test_a_cash_part_can_complete_its_ticket(shifted: SqliteJournal) -> None:
    await shifted.add_ticket(make_ticket("t1"))
    paid = make_movement(
        "m1",
        3,
        kind=CashMovementKind.SALE,
        ticket_id="t1",
        amount_cents=1085,
        tendered_cents=2000,
        change_cents=915,
    )

    await shifted.add_cash_movement(paid, complete_ticket=True)

    ticket = shifted.ticket("t1")
    assert ticket is not None
    assert (ticket.status, ticket.updated_at) == (TicketStatus.COMPLETE, at(3))
    assert shifted.open_tickets() == []
    assert shifted.cash_movements(ticket_id="t1") == [paid]


async def test_a_failed_completion_leaves_neither_write(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with SqliteJournal(path) as journal:
        await journal.add_shift(make_shift())
        await journal.add_ticket(make_ticket("t1"))
        # The second write of the transaction (the ticket's completion) fails.
        journal._conn.execute(
            "CREATE TEMP TRIGGER refuse_completion BEFORE UPDATE ON main.tickets"
            " BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )
        paid = make_movement("m1", kind=CashMovementKind.SALE, ticket_id="t1")

        with pytest.raises(JournalError, match="disk trouble"):
            await journal.add_cash_movement(paid, complete_ticket=True)

        assert journal.cash_movements() == []
        ticket = journal.ticket("t1")
        assert ticket is not None
        assert ticket.status is TicketStatus.OPEN
        # Without the completion, the same movement goes in: nothing was left half done.
        await journal.add_cash_movement(paid)
        assert journal.cash_movements() == [paid]


async def test_completing_needs_a_ticket(shifted: SqliteJournal) -> None:
    with pytest.raises(ValueError, match="ticket_id"):
        await shifted.add_cash_movement(make_movement("m1"), complete_ticket=True)
    assert shifted.cash_movements() == []


async def test_add_many_is_all_or_nothing(journal: SqliteJournal) -> None:
    with pytest.raises(JournalError, match="already journaled"):
        await journal.add_many(
            shifts=[make_shift()],
            tickets=[make_ticket("t1")],
            movements=[make_movement("m1"), make_movement("m1")],
        )
    assert (journal.shift("s1"), journal.ticket("t1"), journal.cash_movements()) == (None, None, [])

    await journal.add_many(
        shifts=[make_shift()], tickets=[make_ticket("t1")], movements=[make_movement("m1")]
    )
    assert journal.shift_tickets("s1") == [make_ticket("t1")]
    assert [m.id for m in journal.cash_movements(shift_id="s1")] == ["m1"]


# -- operations of a ticket and a shift -----------------------------------------------------


async def test_operations_keep_their_ticket_and_shift(shifted: SqliteJournal) -> None:
    await shifted.add_ticket(make_ticket("t1"))
    await shifted.begin(make_op("charge", 2, ticket_id="t1", shift_id="s1"))
    await shifted.begin(make_op("declined", 1, ticket_id="t1", shift_id="s1", status="declined"))
    await shifted.begin(make_op("day sale", 3))
    await shifted.begin(make_op("other ticket", 4, ticket_id="t2", shift_id="s1"))
    refund = make_op("refund", 5, kind=PaymentKind.REFUND, ticket_id="t1", shift_id="s2")
    await shifted.begin(refund)

    assert [op.id for op in shifted.ticket_operations("t1")] == ["declined", "charge", "refund"]
    assert [op.id for op in shifted.shift_operations("s1")] == [
        "declined",
        "charge",
        "other ticket",
    ]
    assert shifted.get("refund") == refund
    loaded = shifted.get("charge")
    assert loaded is not None
    assert (loaded.ticket_id, loaded.shift_id) == ("t1", "s1")
    assert shifted.ticket_operations("nope") == []

    # `update` saves them like every other field.
    loaded.ticket_id, loaded.shift_id = "t9", None
    await shifted.update(loaded)
    assert shifted.get("charge") == loaded
    assert [op.id for op in shifted.ticket_operations("t9")] == ["charge"]


# -- the counter's reads use their indexes ----------------------------------------------------


def test_the_counters_reads_search_their_indexes(journal: SqliteJournal) -> None:
    plans = journal.explain_ticket_queries()

    assert plans["open_tickets"] == ["SCAN tickets USING INDEX ix_tickets_open"]
    assert plans["shift_tickets"] == ["SEARCH tickets USING INDEX ix_tickets_shift (shift_id=?)"]
    assert any("ticket_lines USING PRIMARY KEY (ticket_seq=?)" in p for p in plans["ticket lines"])
    assert plans["current_shift"] == ["SEARCH shifts USING INDEX ix_shifts_open_lane (lane=?)"]
    assert plans["cash_movements(shift_id)"] == [
        "SEARCH cash_movements USING INDEX ix_cash_shift (shift_id=?)"
    ]
    assert plans["cash_movements(ticket_id)"] == [
        "SEARCH cash_movements USING INDEX ix_cash_ticket (ticket_id=?)"
    ]
    assert plans["ticket_operations"] == [
        "SEARCH operations USING INDEX ix_operations_ticket (ticket_id=?)"
    ]
    assert plans["shift_operations"] == [
        "SEARCH operations USING INDEX ix_operations_shift (shift_id=?)"
    ]


# -- another lane holding the lock ------------------------------------------------------------


async def test_a_cash_write_waits_for_another_lane_while_the_loop_runs_on(
    tmp_path: Path,
) -> None:
    path = tmp_path / "journal.sqlite3"
    with SqliteJournal(path) as journal:
        await journal.add_shift(make_shift())
        with lock_held_elsewhere(path) as holder:
            async with LoopStallMeter() as meter:
                write = asyncio.ensure_future(journal.add_cash_movement(make_movement("m1")))
                await meter.wait_ticks(30)  # the loop ticks on while the write waits
                assert not write.done()
                assert journal.cash_movements() == []  # reads do not wait
                holder.release(wait=False)
                await asyncio.wait_for(write, 10)
        assert [m.id for m in journal.cash_movements()] == ["m1"]
    assert meter.longest < 0.05


# -- migration ------------------------------------------------------------------------------


async def test_a_journal_of_the_previous_schema_gains_tickets(tmp_path: Path) -> None:
    """A journal written before tickets (v3) opens, keeps its rows, and takes tickets."""
    path = tmp_path / "journal.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    assert migrate(raw, target=3) == 3
    raw.execute(
        "INSERT INTO operations (id, kind, amount_cents, status, flow, create_key, send_key,"
        " description, description_fold, served_by, served_by_fold, created_at, created_ms,"
        " updated_at, updated_ms) VALUES ('old', 'charge', 700, 'approved', 'payment_intent',"
        " 'ck', 'sk', 'Tea', 'tea', 'Ann', 'ann', '2024-06-01T10:00:00.000000+00:00',"
        " 1717236000000, '2024-06-01T10:00:00.000000+00:00', 1717236000000)"
    )
    raw.close()

    with SqliteJournal(path) as journal:
        assert journal.schema_version == SCHEMA_VERSION >= 4
        old = journal.get("old")
        assert old is not None
        assert (old.amount_cents, old.served_by, old.ticket_id, old.shift_id) == (
            700,
            "Ann",
            None,
            None,
        )
        await journal.add_shift(make_shift())
        await journal.add_ticket(make_ticket("t1"))
        await journal.begin(make_op("new", ticket_id="t1", shift_id="s1"))
        await journal.add_cash_movement(
            make_movement("m1", kind=CashMovementKind.SALE, ticket_id="t1"), complete_ticket=True
        )
        assert [op.id for op in journal.shift_operations("s1")] == ["new"]
        assert [t.status for t in journal.shift_tickets("s1")] == [TicketStatus.COMPLETE]

    with SqliteJournal(path) as reopened:  # and stays at v4, its records kept
        assert reopened.schema_version == SCHEMA_VERSION
        assert [m.id for m in reopened.cash_movements(ticket_id="t1")] == ["m1"]
