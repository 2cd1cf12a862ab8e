"""The SQLite journal: crash-safe records, history filters, migrations, query plans."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos_app.domain.errors import UnavailableError, user_message
from pos_app.domain.payment_flow import PaymentKind, PaymentState, StateName
from pos_app.services.ports import HistoryQuery, Journal, Operation
from pos_app.storage.journal import JournalError, SqliteJournal
from pos_app.storage.migrations import SCHEMA_VERSION, migrate
from tests.support.journal_lock import LoopStallMeter

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))


def make_op(op_id: str, minutes: float = 0, **changes: object) -> Operation:
    """A charge created `minutes` after T0."""
    at = T0 + timedelta(minutes=minutes)
    op = Operation(
        id=op_id,
        kind=PaymentKind.CHARGE,
        amount_cents=1000,
        status=StateName.PREPARING.value,
        flow="payment_intent",
        create_key=f"ck-{op_id}",
        send_key=f"sk-{op_id}",
        created_at=at,
        updated_at=at,
    )
    return replace(op, **changes)  # type: ignore[arg-type]


@pytest.fixture
def journal() -> Iterator[SqliteJournal]:
    with SqliteJournal(":memory:") as opened:
        yield opened


def test_is_a_journal() -> None:
    with SqliteJournal(":memory:") as opened:
        port: Journal = opened
        assert port.get("nope") is None


# -- records ------------------------------------------------------------------------


async def test_every_operation_field_round_trips(journal: SqliteJournal) -> None:
    op = Operation(
        id="op-1",
        kind=PaymentKind.REFUND,
        amount_cents=12_345,
        status=StateName.APPROVED.value,
        flow="checkout",
        terminal_id="trm_1",
        description="Table 4: 2 lattes",
        lane="lane-2",
        create_key="create-key",
        send_key="send-key",
        sale_id="cho_1",
        session_id="sess_1",
        payment_id="py_1",
        refund_id="re_1",
        original_id="op-0",
        refund_mode="terminal",
        reason="customer changed mind",
        card_brand="visa",
        card_last4="4242",
        decline_code="none",
        decline_message="nothing",
        served_by="Ann",
        approved_by="Zoë",
        created_at=datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=PARIS),
        updated_at=datetime(2025, 1, 2, 3, 6, 7, 1, tzinfo=PARIS),
    )
    await journal.begin(op)

    loaded = journal.get("op-1")

    assert loaded is not None
    for name in (f.name for f in fields(Operation)):
        assert getattr(loaded, name) == getattr(op, name), name
    assert loaded.kind is PaymentKind.REFUND
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == timedelta(0)


async def test_optional_fields_round_trip_as_none(journal: SqliteJournal) -> None:
    op = make_op("bare")
    await journal.begin(op)
    assert journal.get("bare") == op


async def test_only_the_last_four_digits_are_ever_stored(journal: SqliteJournal) -> None:
    await journal.begin(make_op("pan", card_last4="4111 1111 1111 1234"))
    await journal.begin(make_op("short", card_last4="12"))

    assert (stored := journal.get("pan")) is not None
    assert stored.card_last4 == "1234"
    assert (short := journal.get("short")) is not None
    assert short.card_last4 is None


async def test_naive_datetimes_are_refused(journal: SqliteJournal) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        await journal.begin(make_op("naive", created_at=datetime(2025, 1, 1)))
    with pytest.raises(ValueError, match="timezone-aware"):
        journal.history(HistoryQuery(since=datetime(2025, 1, 1)))
    assert journal.get("naive") is None


async def test_begin_twice_is_an_error_and_keeps_the_first(journal: SqliteJournal) -> None:
    await journal.begin(make_op("dup", amount_cents=100))
    with pytest.raises(JournalError, match="already journaled"):
        await journal.begin(make_op("dup", amount_cents=200))
    assert (kept := journal.get("dup")) is not None
    assert kept.amount_cents == 100
    assert len(journal.entries("dup")) == 1


async def test_begin_many_is_all_or_nothing(journal: SqliteJournal) -> None:
    await journal.begin(make_op("b"))
    with pytest.raises(JournalError):
        await journal.begin_many([make_op("a"), make_op("b")])
    assert journal.get("a") is None
    assert await journal.begin_many([make_op("c"), make_op("d")]) == 2


async def test_a_value_sqlite_cannot_bind_is_a_bug_not_a_busy_journal(
    journal: SqliteJournal,
) -> None:
    """A mistake in our code reaches the bug funnel as it is; it never tells a person to
    try again (a JournalError is an UnavailableError), and nothing is half written."""
    with pytest.raises(sqlite3.ProgrammingError) as raised:
        await journal.begin(make_op("odd", terminal_id=object()))
    assert not isinstance(raised.value, JournalError)
    assert user_message(raised.value) is None
    assert journal.get("odd") is None


async def test_update_of_an_unknown_operation_is_an_error(journal: SqliteJournal) -> None:
    with pytest.raises(JournalError, match="not in the journal"):
        await journal.update(make_op("ghost"))
    assert journal.entries("ghost") == []


async def test_begin_update_and_entries(journal: SqliteJournal) -> None:
    op = make_op("op")
    before = datetime.now(UTC)
    await journal.begin(op)
    op.sale_id = "pi_1"
    op.status = StateName.SENDING.value
    await journal.update(op)
    op.status = StateName.RETRYING.value
    await journal.update(op, "connection reset")

    entries = journal.entries("op")

    assert [(e.status, e.detail) for e in entries] == [
        ("preparing", None),
        ("sending", None),
        ("retrying", "connection reset"),
    ]
    assert all(e.operation_id == "op" for e in entries)
    assert all(e.at.tzinfo is not None and e.at >= before for e in entries)
    assert entries == sorted(entries, key=lambda e: e.at)
    assert (saved := journal.get("op")) is not None
    assert (saved.status, saved.sale_id) == ("retrying", "pi_1")


async def test_events_are_append_only(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with SqliteJournal(path) as opened:
        await opened.begin(make_op("op"))
    raw = sqlite3.connect(path)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("UPDATE operation_events SET status = 'approved'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            raw.execute("DELETE FROM operation_events")
    finally:
        raw.close()


# -- record_state -----------------------------------------------------------------------


def _state(name: StateName, **changes: object) -> PaymentState:
    state = PaymentState(kind=PaymentKind.CHARGE, name=name, amount_cents=1000)
    return replace(state, **changes)  # type: ignore[arg-type]


async def test_record_state_copies_the_state_onto_the_operation(journal: SqliteJournal) -> None:
    op = make_op("op")
    await journal.begin(op)
    state = _state(
        StateName.DECLINED,
        terminal_id="trm_9",
        intent_id="pi_9",
        payment_id="py_9",
        refund_id="re_9",
        card_brand="amex",
        card_last4="0005",
        decline_code="insufficient_funds",
        decline_message="Not enough money",
    )

    await journal.record_state(op, state)

    expected = {
        "status": "declined",
        "terminal_id": "trm_9",
        "sale_id": "pi_9",
        "payment_id": "py_9",
        "refund_id": "re_9",
        "card_brand": "amex",
        "card_last4": "0005",
        "decline_code": "insufficient_funds",
        "decline_message": "Not enough money",
    }
    saved = journal.get("op")
    assert saved is not None
    for name, value in expected.items():
        assert getattr(op, name) == value, name
        assert getattr(saved, name) == value, name
    assert op.updated_at > T0
    assert saved.updated_at == op.updated_at
    assert [e.status for e in journal.entries("op")] == ["preparing", "declined"]


async def test_record_state_writes_nothing_when_nothing_changed(journal: SqliteJournal) -> None:
    op = make_op("op")
    await journal.begin(op)
    waiting = _state(StateName.WAITING, intent_id="pi_1", terminal_id="trm_1")
    await journal.record_state(op, waiting)
    stamped = op.updated_at

    for _ in range(5):  # polling
        await journal.record_state(op, waiting)
    await journal.record_state(op, replace(waiting, trouble="timeout"))

    assert [e.status for e in journal.entries("op")] == ["preparing", "waiting"]
    assert op.updated_at == stamped
    assert (saved := journal.get("op")) is not None
    assert saved.updated_at == stamped


async def test_record_state_appends_the_trouble_as_detail(journal: SqliteJournal) -> None:
    op = make_op("op")
    await journal.begin(op)
    await journal.record_state(op, _state(StateName.RETRYING, trouble="HTTP 503"))
    assert journal.entries("op")[-1].detail == "HTTP 503"


async def test_record_state_never_erases_a_known_field(journal: SqliteJournal) -> None:
    op = make_op("op", sale_id="pi_1", terminal_id="trm_1")
    await journal.begin(op)
    await journal.record_state(op, _state(StateName.UNRESOLVED))
    assert (saved := journal.get("op")) is not None
    assert (saved.status, saved.sale_id, saved.terminal_id) == ("unresolved", "pi_1", "trm_1")


# -- unfinished and find ------------------------------------------------------------------


async def test_unfinished_keeps_unresolved_and_drops_finals_oldest_first(
    journal: SqliteJournal,
) -> None:
    for minutes, name in enumerate(reversed(list(StateName))):
        await journal.begin(make_op(name.value, minutes=minutes, status=name.value))

    unfinished = [op.id for op in journal.unfinished()]

    assert unfinished == [
        "unresolved",
        "cancel_requested",
        "retrying",
        "waiting",
        "sending",
        "preparing",
    ]


async def test_find_by_justifi_id(journal: SqliteJournal) -> None:
    await journal.begin(make_op("charge", sale_id="pi_1", payment_id="py_1"))
    # A later refund of it carries the charge's ids too; it must not shadow the charge.
    await journal.begin(
        make_op(
            "refund",
            minutes=5,
            kind=PaymentKind.REFUND,
            sale_id="pi_1",
            payment_id="py_1",
            refund_id="re_1",
        )
    )

    def found(justifi_id: str) -> str | None:
        op = journal.find_by_justifi_id(justifi_id)
        return None if op is None else op.id

    assert found("pi_1") == "charge"
    assert found("py_1") == "charge"
    assert found("re_1") == "refund"
    assert found("py_2") is None


# -- history --------------------------------------------------------------------------------

HISTORY_OPS = (
    make_op("a", 0, amount_cents=500, card_last4="4242", status="approved",
            description="Café au lait", sale_id="pi_a", payment_id="py_a", served_by="Zoë"),
    make_op("b", 60, amount_cents=1250, card_last4="0005", status="declined",
            description="Table 3: bagel", sale_id="pi_b", served_by="Ann"),
    make_op("c", 120, amount_cents=500, card_last4="4242", status="unresolved",
            description=None, sale_id="pi_c"),
    make_op("d", 1440, amount_cents=500, kind=PaymentKind.REFUND, status="approved",
            card_last4="4242", sale_id="pi_a", payment_id="py_a", refund_id="re_d",
            description="refund café", served_by="Ann", approved_by="ZOË"),
    make_op("e", 1500, amount_cents=999, kind=PaymentKind.VOID, status="cancelled",
            description="VOID order 42"),
    make_op("f", 2880, amount_cents=1250, card_last4="1111", status="approved",
            description="order 42", sale_id="pi_f", payment_id="py_f"),
)  # fmt: skip


@pytest.fixture
async def history_journal(journal: SqliteJournal) -> SqliteJournal:
    for op in HISTORY_OPS:
        await journal.begin(op)
    return journal


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(HistoryQuery(), "fedcba", id="all-newest-first"),
        pytest.param(HistoryQuery(since=T0 + timedelta(minutes=60)), "fedcb", id="since-inclusive"),
        pytest.param(HistoryQuery(until=T0 + timedelta(minutes=120)), "ba", id="until-exclusive"),
        pytest.param(
            HistoryQuery(since=T0 + timedelta(days=1), until=T0 + timedelta(days=2)),
            "ed",
            id="one-day",
        ),
        pytest.param(
            HistoryQuery(since=(T0 + timedelta(minutes=60)).astimezone(PARIS)),
            "fedcb",
            id="since-other-timezone",
        ),
        pytest.param(
            HistoryQuery(since=T0 + timedelta(minutes=60, microseconds=1)),
            "fedc",
            id="since-below-the-millisecond",
        ),
        pytest.param(HistoryQuery(amount_cents=500), "dca", id="amount"),
        pytest.param(HistoryQuery(amount_cents=7), "", id="amount-none"),
        pytest.param(HistoryQuery(card_last4="4242"), "dca", id="last4"),
        pytest.param(HistoryQuery(statuses=("approved",)), "fda", id="status"),
        pytest.param(
            HistoryQuery(statuses=(StateName.DECLINED, StateName.UNRESOLVED)), "cb", id="statuses"
        ),
        pytest.param(HistoryQuery(kinds=("refund", "void")), "ed", id="kinds"),
        pytest.param(HistoryQuery(text="CAFÉ"), "da", id="text-case-insensitive"),
        pytest.param(HistoryQuery(text="order 42"), "fe", id="text-substring"),
        pytest.param(HistoryQuery(text="  bagel "), "b", id="text-stripped"),
        pytest.param(HistoryQuery(text="pi_a"), "da", id="text-sale-id"),
        pytest.param(HistoryQuery(text="py_f"), "f", id="text-payment-id"),
        pytest.param(HistoryQuery(text="re_d"), "d", id="text-refund-id"),
        pytest.param(HistoryQuery(text="c"), "dca", id="text-operation-id-or-description"),
        pytest.param(HistoryQuery(text="pi_"), "", id="text-ids-match-whole"),
        pytest.param(HistoryQuery(text=""), "fedcba", id="text-empty"),
        pytest.param(HistoryQuery(person="ann"), "db", id="person-served-any-case"),
        pytest.param(HistoryQuery(person=" zoë "), "da", id="person-served-or-approved"),
        pytest.param(HistoryQuery(person="An"), "", id="person-whole-name"),
        pytest.param(HistoryQuery(person="Bob"), "", id="person-none"),
        pytest.param(HistoryQuery(person=""), "fedcba", id="person-empty"),
        pytest.param(HistoryQuery(person="Zoë", kinds=("refund",)), "d", id="person+kind"),
        pytest.param(HistoryQuery(person="ann", text="BAGEL"), "b", id="person+text"),
        pytest.param(HistoryQuery(person="ann", text="re_d"), "d", id="person+text-id"),
        pytest.param(
            HistoryQuery(person="zoë", since=T0 + timedelta(minutes=1)), "d", id="person+since"
        ),
        pytest.param(
            HistoryQuery(amount_cents=500, statuses=("approved",)), "da", id="amount+status"
        ),
        pytest.param(
            HistoryQuery(card_last4="4242", kinds=("charge",), since=T0 + timedelta(minutes=1)),
            "c",
            id="last4+kind+since",
        ),
        pytest.param(
            HistoryQuery(text="café", amount_cents=500, until=T0 + timedelta(hours=1)),
            "a",
            id="text+amount+until",
        ),
        pytest.param(
            HistoryQuery(amount_cents=1250, card_last4="1111", statuses=("declined",)),
            "",
            id="contradiction",
        ),
    ],
)
def test_history_filters(
    history_journal: SqliteJournal, query: HistoryQuery, expected: str
) -> None:
    assert "".join(op.id for op in history_journal.history(query)) == expected


def test_history_pages_cover_everything_once(history_journal: SqliteJournal) -> None:
    pages = [
        [op.id for op in history_journal.history(HistoryQuery(limit=4, offset=offset))]
        for offset in (0, 4, 8)
    ]
    assert pages == [list("fedc"), list("ba"), []]
    assert history_journal.history(HistoryQuery(limit=0)) == []
    filtered = history_journal.history(HistoryQuery(amount_cents=500, limit=1, offset=1))
    assert [op.id for op in filtered] == ["c"]


async def test_history_breaks_millisecond_ties_by_insertion(journal: SqliteJournal) -> None:
    for name in "xyz":
        await journal.begin(make_op(name))
    assert [op.id for op in journal.history(HistoryQuery())] == ["z", "y", "x"]


def test_history_rejects_a_negative_offset(journal: SqliteJournal) -> None:
    with pytest.raises(ValueError, match="offset"):
        journal.history(HistoryQuery(offset=-1))


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(HistoryQuery(), id="newest"),
        pytest.param(HistoryQuery(amount_cents=500), id="amount"),
        pytest.param(HistoryQuery(card_last4="4242"), id="last4"),
        pytest.param(HistoryQuery(statuses=("declined",)), id="status"),
        pytest.param(HistoryQuery(statuses=("declined", "cancelled")), id="statuses"),
        pytest.param(HistoryQuery(since=T0, until=T0 + timedelta(days=1)), id="date-range"),
        pytest.param(HistoryQuery(since=T0), id="since"),
        pytest.param(HistoryQuery(text="py_1"), id="text"),
        pytest.param(HistoryQuery(person="Ann"), id="person"),
        pytest.param(HistoryQuery(person="Ann", text="latte"), id="person+text"),
    ],
)
def test_history_queries_use_an_index(journal: SqliteJournal, query: HistoryQuery) -> None:
    plan = journal.explain_history(query)
    assert any("INDEX" in line for line in plan), plan
    assert "SCAN operations" not in plan, plan


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (HistoryQuery(amount_cents=500), "ix_operations_amount"),
        (HistoryQuery(card_last4="4242"), "ix_operations_last4"),
        (HistoryQuery(statuses=("declined",)), "ix_operations_status"),
        (HistoryQuery(since=T0, until=T0 + timedelta(days=1)), "ix_operations_created"),
    ],
)
def test_selective_filters_search_their_own_index(
    journal: SqliteJournal, query: HistoryQuery, index: str
) -> None:
    plan = journal.explain_history(query)
    assert any(line.startswith("SEARCH operations") and index in line for line in plan), plan


def test_id_lookups_search_indexes(journal: SqliteJournal) -> None:
    plan = journal.explain_find_by_justifi_id()
    for index in ("ix_operations_sale", "ix_operations_payment", "ix_operations_refund"):
        assert any(line.startswith("SEARCH") and index in line for line in plan), plan
    assert not any(line.startswith("SCAN") for line in plan), plan
    text_plan = journal.explain_history(HistoryQuery(text="py_1"))
    for index in ("ix_operations_sale", "ix_operations_payment", "ix_operations_refund"):
        assert any(line.startswith("SEARCH") and index in line for line in text_plan), text_plan


def test_person_lookups_search_their_indexes(journal: SqliteJournal) -> None:
    plan = journal.explain_history(HistoryQuery(person="Ann"))
    for index in ("ix_operations_served", "ix_operations_approved"):
        assert any(line.startswith("SEARCH") and index in line for line in plan), plan


async def test_people_are_every_name_once_in_its_latest_spelling(
    history_journal: SqliteJournal,
) -> None:
    assert history_journal.people() == ["Ann", "ZOË"]
    await history_journal.begin(make_op("g", 3000, served_by="zoë"))
    await history_journal.begin(make_op("h", 3001, served_by="Bea", approved_by="ann"))
    assert history_journal.people() == ["ann", "Bea", "zoë"]


def test_people_of_an_empty_journal(journal: SqliteJournal) -> None:
    assert journal.people() == []


def test_people_skip_through_the_name_indexes(journal: SqliteJournal) -> None:
    plan = journal.explain_people()
    assert not any(line.startswith("SCAN operations") for line in plan), plan
    for index in ("ix_operations_served", "ix_operations_approved"):
        assert any(line.startswith("SEARCH") and index in line for line in plan), plan


async def test_a_person_update_keeps_the_filter_in_step(journal: SqliteJournal) -> None:
    op = make_op("x", served_by="Ann")
    await journal.begin(op)
    op.approved_by = "Bea"
    await journal.update(op)
    assert [o.id for o in journal.history(HistoryQuery(person="BEA"))] == ["x"]
    assert [o.id for o in journal.history(HistoryQuery(person="ann"))] == ["x"]


_ops = st.lists(
    st.tuples(
        st.sampled_from([100, 250, 500, 999]),
        st.integers(min_value=0, max_value=60 * 24 * 30),
        st.sampled_from(list(StateName)),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=_ops, amount=st.sampled_from([100, 250, 500, 999, 1]), limit=st.integers(1, 40))
def test_history_by_amount_matches_brute_force(
    rows: list[tuple[int, int, StateName]], amount: int, limit: int
) -> None:
    ops = [
        make_op(f"op{i}", minutes, amount_cents=cents, status=status.value)
        for i, (cents, minutes, status) in enumerate(rows)
    ]
    with SqliteJournal(":memory:") as fresh:
        asyncio.run(fresh.begin_many(ops))
        found = fresh.history(HistoryQuery(amount_cents=amount, limit=limit))

    ranked = sorted(enumerate(ops), key=lambda pair: (pair[1].created_at, pair[0]), reverse=True)
    expected = [op for _, op in ranked if op.amount_cents == amount][:limit]
    assert found == expected


_people = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=60 * 24 * 30),
        st.sampled_from([None, "Ann", "ann", "Bea", "Zoë"]),
        st.sampled_from([None, "Bea", "ZOË"]),
        st.sampled_from([PaymentKind.CHARGE, PaymentKind.REFUND]),
    ),
    max_size=30,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=_people,
    person=st.sampled_from(["ANN", "bea", "zoë", "Cy"]),
    refunds_only=st.booleans(),
    limit=st.integers(1, 12),
    offset=st.integers(0, 12),
)
def test_history_by_person_matches_brute_force(
    rows: list[tuple[int, str | None, str | None, PaymentKind]],
    person: str,
    refunds_only: bool,
    limit: int,
    offset: int,
) -> None:
    ops = [
        make_op(f"op{i}", minutes, served_by=served, approved_by=approved, kind=kind)
        for i, (minutes, served, approved, kind) in enumerate(rows)
    ]
    kinds = ("refund",) if refunds_only else ()
    with SqliteJournal(":memory:") as fresh:
        asyncio.run(fresh.begin_many(ops))
        found = fresh.history(HistoryQuery(person=person, kinds=kinds, limit=limit, offset=offset))

    def matches(op: Operation) -> bool:
        names = {(op.served_by or "").casefold(), (op.approved_by or "").casefold()}
        return person.casefold() in names and (not refunds_only or op.kind is PaymentKind.REFUND)

    ranked = sorted(enumerate(ops), key=lambda pair: (pair[1].created_at, pair[0]), reverse=True)
    expected = [op for _, op in ranked if matches(op)][offset : offset + limit]
    assert found == expected


# -- files, lanes, migrations ------------------------------------------------------------------


async def test_a_file_journal_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "data" / "journal.sqlite3"
    with SqliteJournal(path) as first:
        op = make_op("op", description="kept")
        await first.begin(op)
        op.status = "approved"
        await first.update(op)

    with SqliteJournal(path) as again:
        assert again.get("op") == op
        assert [e.status for e in again.entries("op")] == ["preparing", "approved"]
        mode = again._conn.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"


def test_an_acknowledged_write_survives_a_killed_process(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    script = (
        "import asyncio, os, sys\n"
        "from tests.unit.test_journal import make_op\n"
        "from pos_app.storage.journal import SqliteJournal\n"
        "journal = SqliteJournal(sys.argv[1])\n"
        "asyncio.run(journal.begin(make_op('op', status='sending')))\n"
        "os._exit(0)  # no close, no checkpoint: as if the power went\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, cwd=root, timeout=60)

    with SqliteJournal(path) as reopened:
        assert [op.id for op in reopened.unfinished()] == ["op"]


async def test_two_lanes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with SqliteJournal(path) as lane1, SqliteJournal(path) as lane2:
        await lane1.begin(make_op("from-1"))
        assert lane2.get("from-1") is not None
        op = make_op("from-2", minutes=1)
        await lane2.begin(op)
        op.status = "approved"
        await lane2.update(op)
        assert (seen := lane1.get("from-2")) is not None
        assert seen.status == "approved"
        assert [o.id for o in lane1.history(HistoryQuery())] == ["from-2", "from-1"]


def test_an_old_schema_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    assert migrate(raw, target=1) == 1
    raw.execute(
        "INSERT INTO operations (id, kind, amount_cents, status, flow, create_key, send_key,"
        " description, created_at, created_ms, updated_at, updated_ms) VALUES"
        " ('old', 'charge', 700, 'approved', 'payment_intent', 'ck', 'sk', 'Crème brûlée',"
        " '2024-06-01T10:00:00.000000+00:00', 1717236000000,"
        " '2024-06-01T10:00:00.000000+00:00', 1717236000000)"
    )
    raw.close()

    with SqliteJournal(path) as journal:
        assert journal.schema_version == SCHEMA_VERSION > 1
        found = journal.history(HistoryQuery(text="CRÈME"))
        assert [op.id for op in found] == ["old"]
        assert found[0].created_at == datetime(2024, 6, 1, 10, tzinfo=UTC)
        assert journal.explain_history(HistoryQuery(amount_cents=700)) == [
            "SEARCH operations USING INDEX ix_operations_amount (amount_cents=?)"
        ]


async def test_a_journal_of_the_previous_schema_gains_people(tmp_path: Path) -> None:
    """A journal written before named staff opens, keeps its rows, and records people."""
    path = tmp_path / "journal.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    assert migrate(raw, target=2) == 2
    raw.execute(
        "INSERT INTO operations (id, kind, amount_cents, status, flow, create_key, send_key,"
        " description, description_fold, created_at, created_ms, updated_at, updated_ms)"
        " VALUES ('old', 'charge', 700, 'approved', 'payment_intent', 'ck', 'sk', 'Tea', 'tea',"
        " '2024-06-01T10:00:00.000000+00:00', 1717236000000,"
        " '2024-06-01T10:00:00.000000+00:00', 1717236000000)"
    )
    raw.close()

    with SqliteJournal(path) as journal:
        assert journal.schema_version == SCHEMA_VERSION >= 3
        old = journal.get("old")
        assert old is not None
        assert (old.amount_cents, old.served_by, old.approved_by) == (700, None, None)
        await journal.begin(make_op("new", served_by="Ann", approved_by="Bea"))
        assert [op.id for op in journal.history(HistoryQuery(person="ann"))] == ["new"]
        assert [op.id for op in journal.history(HistoryQuery(text="tea"))] == ["old"]


async def test_a_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with SqliteJournal(path) as journal:
        await journal.begin(make_op("op"))
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()

    with pytest.raises(JournalError, match="newer version"):
        SqliteJournal(path)

    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert raw.execute("SELECT id FROM operations").fetchall() == [("op",)]
    finally:
        raw.close()


def test_opening_again_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    SqliteJournal(path).close()
    with SqliteJournal(path) as again:
        assert again.schema_version == SCHEMA_VERSION


def test_close_is_idempotent_and_final() -> None:
    journal = SqliteJournal(":memory:")
    journal.close()
    journal.close()
    with pytest.raises(sqlite3.ProgrammingError):
        journal.get("op")


# -- another lane holding the lock ----------------------------------------------------------


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[Path, sqlite3.Connection]]:
    """A journal file whose write lock another connection holds (as another lane would)."""
    path = tmp_path / "journal.sqlite3"
    SqliteJournal(path).close()
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield path, other
    finally:
        if other.in_transaction:
            other.execute("COMMIT")
        other.close()


async def test_a_write_waits_for_the_lock_while_the_loop_runs_on(
    held: tuple[Path, sqlite3.Connection],
) -> None:
    path, other = held
    with SqliteJournal(path) as journal:
        async with LoopStallMeter() as meter:
            write = asyncio.ensure_future(journal.begin(make_op("op")))
            await meter.wait_ticks(30)  # the loop ticks on while the write waits
            assert not write.done()
            reads = []
            for _ in range(20):
                started = time.perf_counter()
                assert journal.history(HistoryQuery()) == []
                reads.append(time.perf_counter() - started)
            other.execute("COMMIT")
            await asyncio.wait_for(write, 10)
        assert journal.get("op") is not None
    print(f"longest stall {meter.longest * 1000:.1f} ms, slowest read {max(reads) * 1000:.2f} ms")
    assert meter.longest < 0.05
    assert max(reads) < 0.016


async def test_a_lock_held_past_the_deadline_is_a_plain_unavailable_error(
    held: tuple[Path, sqlite3.Connection],
) -> None:
    path, other = held
    with SqliteJournal(path, write_deadline=0.2) as journal:
        with pytest.raises(UnavailableError) as raised:
            await journal.begin(make_op("op"))
        assert isinstance(raised.value, JournalError)
        assert user_message(raised.value) == (
            "The journal stayed in use by another program on this computer for 0.2 seconds. "
            "Try again in a moment."
        )
        other.execute("COMMIT")
        assert journal.get("op") is None
        await journal.begin(make_op("op"))  # free again: the next write goes through
        assert journal.get("op") is not None


def test_an_up_to_date_journal_opens_while_another_lane_writes(
    held: tuple[Path, sqlite3.Connection],
) -> None:
    path, _ = held
    started = time.perf_counter()
    with SqliteJournal(path) as opened:  # no migration to apply: no write lock needed
        assert opened.schema_version == SCHEMA_VERSION
        assert opened.unfinished() == []
    assert time.perf_counter() - started < 1.0
