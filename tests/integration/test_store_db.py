"""The store's database side against a real PostgreSQL: the schema's migrations, and
`PgStoreLink` writing a lane's records (idempotent, newest state wins, one name per
lane, the audit head moving forward) and reading the shared data."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from pos_app.services.store_ports import (
    LaneIdentity,
    StoreRecord,
    StoreRefusedError,
    StoreUnavailableError,
)
from pos_app.storage.store import init_store_at, status_at, store_address_of
from pos_app.storage.store.connection import connect, store_address
from pos_app.storage.store.link import PgStoreLink
from pos_app.storage.store.schema import STORE_SCHEMA_VERSION, init_store, store_schema_version
from tests.support.postgres import ROLE, PgServer, database_name, free_port
from tests.support.store_records import (
    LANE_1,
    LANE_2,
    T0,
    audit,
    cash,
    event,
    line,
    operation,
    shift,
    staff,
    ticket,
)


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()  # type: ignore[arg-type]  # test-only literal SQL


@pytest.fixture
async def link(store_url: str) -> AsyncIterator[PgStoreLink]:
    built = PgStoreLink(store_address(store_url, None))
    yield built
    await built.close()


# -- the schema ------------------------------------------------------------------------------


async def test_init_creates_the_schema_once_and_twice_changes_nothing(
    empty_store_url: str,
) -> None:
    address = store_address_of(empty_store_url, None)
    assert await init_store_at(address) == (0, STORE_SCHEMA_VERSION)
    assert await init_store_at(address) == (STORE_SCHEMA_VERSION, STORE_SCHEMA_VERSION)
    status = await status_at(address)
    assert (status.schema_version, status.known_version) == (1, 1)
    assert status.lanes == []


async def test_two_lanes_running_init_at_once_both_succeed(empty_store_url: str) -> None:
    address = store_address_of(empty_store_url, None)
    first, second = await asyncio.gather(init_store_at(address), init_store_at(address))
    assert sorted([first, second]) == [(0, 1), (1, 1)]
    assert rows(empty_store_url, "SELECT value FROM store_meta") == [("1",)]


async def test_a_newer_schema_is_refused_and_left_alone(store_url: str) -> None:
    with psycopg.connect(store_url) as conn:
        conn.execute("UPDATE store_meta SET value = '7' WHERE key = 'schema_version'")
    address = store_address_of(store_url, None)
    with pytest.raises(StoreRefusedError, match=r"newer pos-app \(schema 7\); update this lane"):
        await init_store_at(address)
    with pytest.raises(StoreRefusedError, match="newer pos-app"):
        await status_at(address)
    link = PgStoreLink(address)
    with pytest.raises(StoreRefusedError, match="newer pos-app"):
        await link.heartbeat(LANE_1, 0)
    await link.close()
    assert rows(store_url, "SELECT value FROM store_meta") == [("7",)]


async def test_a_store_not_set_up_says_to_run_store_init(empty_store_url: str) -> None:
    address = store_address_of(empty_store_url, None)
    with pytest.raises(StoreRefusedError, match="pos-app store init"):
        await status_at(address)
    link = PgStoreLink(address)
    with pytest.raises(StoreRefusedError, match="pos-app store init"):
        await link.send(LANE_1, [operation("op_1")], 0)
    await link.close()
    conn = await connect(address)
    assert await store_schema_version(conn) == 0
    await conn.close()


async def test_a_closed_port_is_unreachable_and_a_missing_database_refused(
    store_url: str,
) -> None:
    dead = store_address_of(f"postgresql://pos@127.0.0.1:{free_port()}/store", "s3cret-pw")
    with pytest.raises(StoreUnavailableError) as unreachable:
        await status_at(dead)
    assert "127.0.0.1" in unreachable.value.message
    assert "s3cret-pw" not in unreachable.value.message
    missing = store_address_of(store_url.rsplit("/", 1)[0] + "/no_such_store", None)
    with pytest.raises(StoreRefusedError, match=r"no database 'no_such_store'.*createdb"):
        await status_at(missing)


async def test_init_on_a_store_already_set_up_changes_nothing(store_url: str) -> None:
    conn = await connect(store_address(store_url, None))
    try:
        assert await init_store(conn) == (1, 1)
    finally:
        await conn.close()


# -- a lane's records --------------------------------------------------------------------------


async def test_a_batch_sent_twice_leaves_the_same_rows(link: PgStoreLink, store_url: str) -> None:
    batch = [
        shift(closed=False),
        ticket("tk_1", "open", 0, [line(1, "Tea"), line(2, "Cake", 2)]),
        operation("op_1", "approved", 1, card_brand="visa", card_last4="4242"),
        event(1, "op_1", "pending"),
        event(2, "op_1", "approved"),
        cash("cm_1"),
        audit(1),
        staff("Ann", 0),
    ]
    tables = (
        "operations", "operation_events", "tickets", "ticket_lines", "shifts",
        "cash_movements", "audit_entries", "staff",
    )  # fmt: skip
    queries = {t: f"SELECT * FROM {t} ORDER BY 1, 2" for t in tables}
    queries["operations"] = "SELECT id, lane, status, card_last4, updated_at FROM operations"
    queries["tickets"] = "SELECT id, lane, status, updated_at FROM tickets"
    queries["cash_movements"] = "SELECT id, lane, amount_cents FROM cash_movements"

    await link.send(LANE_1, batch, 3)
    first = {t: rows(store_url, q) for t, q in queries.items()}
    await link.send(LANE_1, batch, 0)
    assert {t: rows(store_url, q) for t, q in queries.items()} == first
    assert first["operations"] == [("op_1", "lane-1", "approved", "4242", T0 + timedelta(1 / 1440))]
    assert [r[:2] for r in first["operation_events"]] == [("lane-1", 1), ("lane-1", 2)]
    assert [(r[1], r[2], r[4]) for r in first["ticket_lines"]] == [(1, "Tea", 1), (2, "Cake", 2)]
    assert all(len(first[t]) == 1 for t in ("shifts", "cash_movements", "audit_entries", "staff"))
    assert rows(store_url, "SELECT pending FROM lanes") == [(0,)]


async def test_an_older_state_sent_late_never_overwrites_a_newer_one(
    link: PgStoreLink, store_url: str
) -> None:
    await link.send(LANE_1, [operation("op_1", "approved", 2)], 0)
    await link.send(LANE_1, [ticket("tk_1", "paid", 3, [line(1, "Tea"), line(2, "Cake")])], 0)
    # The lost acknowledgement's older batch arrives after the newer one.
    await link.send(
        LANE_1,
        [operation("op_1", "pending", 1), ticket("tk_1", "open", 1, [line(1, "Tea")])],
        0,
    )
    assert rows(store_url, "SELECT status FROM operations") == [("approved",)]
    assert rows(store_url, "SELECT status FROM tickets") == [("paid",)]
    assert rows(store_url, "SELECT name FROM ticket_lines ORDER BY line_no") == [
        ("Tea",),
        ("Cake",),
    ]
    # A newer state of the ticket replaces its lines.
    await link.send(LANE_1, [ticket("tk_1", "refunded", 4, [line(1, "Tea")])], 0)
    assert rows(store_url, "SELECT name FROM ticket_lines") == [("Tea",)]


async def test_a_closed_shift_never_reopens(link: PgStoreLink, store_url: str) -> None:
    await link.send(LANE_1, [shift(closed=True, counted=11900)], 0)
    await link.send(LANE_1, [shift(closed=False)], 0)
    assert rows(store_url, "SELECT closed_by, counted_cents, count FROM shifts") == [
        ("Bob", 11900, {"2000": 6})
    ]


async def test_a_second_computer_with_a_lane_s_name_is_refused(
    link: PgStoreLink, store_url: str
) -> None:
    await link.send(LANE_1, [operation("op_1")], 0)
    impostor = LaneIdentity("lane-1", "uid-other")
    with pytest.raises(StoreRefusedError, match="Another computer already sends as lane 'lane-1'"):
        await link.send(impostor, [operation("op_2")], 0)
    assert rows(store_url, "SELECT id FROM operations") == [("op_1",)]
    assert rows(store_url, "SELECT name, lane_uid FROM lanes") == [("lane-1", "uid-1")]
    # The link stays usable for the lane that owns the name.
    await link.heartbeat(LANE_1, 5)
    assert rows(store_url, "SELECT pending FROM lanes") == [(5,)]


async def test_rows_carry_the_sending_lane(link: PgStoreLink, store_url: str) -> None:
    await link.send(LANE_2, [operation("op_9", lane="somewhere-else")], 0)
    assert rows(store_url, "SELECT lane FROM operations") == [("lane-2",)]


async def test_the_audit_head_moves_forward_only(link: PgStoreLink, store_url: str) -> None:
    assert await link.audit_head("lane-1") is None
    await link.send(LANE_1, [audit(1), audit(2), audit(3)], 0)
    assert await link.audit_head("lane-1") == (3, "h3")
    await link.send(LANE_1, [audit(2)], 0)  # a resend of an older batch
    assert await link.audit_head("lane-1") == (3, "h3")
    assert await link.audit_hash("lane-1", 2) == "h2"
    assert await link.audit_hash("lane-1", 9) is None
    assert await link.audit_head("lane-2") is None


async def test_staff_the_newest_change_wins(link: PgStoreLink) -> None:
    await link.send(LANE_1, [staff("Ann", 10, tries=3)], 0)
    await link.send(LANE_2, [staff("ann", 5, tries=0, role="manager")], 0)  # older: ignored
    people = await link.staff_since(None)
    assert [(p.name, p.failed_tries, p.changed_by_lane) for p in people] == [("Ann", 3, "lane-1")]
    await link.send(LANE_2, [staff("ANN", 20, tries=0), staff("Bob", 15)], 0)
    people = await link.staff_since(None)
    assert [(p.name, p.failed_tries, p.changed_by_lane) for p in people] == [
        ("Bob", 0, "lane-2"),
        ("ANN", 0, "lane-2"),
    ]
    assert [p.name for p in await link.staff_since(T0 + timedelta(minutes=15))] == ["ANN"]


async def test_catalog_and_store_settings_round_trip(link: PgStoreLink) -> None:
    assert await link.catalog() is None
    await link.put_catalog('[[items]]\nname = "Tea"\n', "Olga")
    toml, changed_at = await link.catalog() or ("", None)
    assert toml.startswith("[[items]]")
    assert changed_at is not None
    await link.put_store_settings({"tax_rate_bps": 825, "receipt_header": "Corner Shop"}, "Olga")
    await link.put_store_settings({"receipt_header": None}, "Olga")
    assert await link.store_settings() == {"tax_rate_bps": 825}


async def test_status_lists_each_lane_with_its_head_and_waiting_records(
    link: PgStoreLink, store_url: str
) -> None:
    await link.send(LANE_2, [audit(1)], 4)
    await link.heartbeat(LANE_1, 0)
    status = await status_at(store_address_of(store_url, None))
    assert [(s.name, s.pending, s.audit_head_seq, s.audit_head_hash) for s in status.lanes] == [
        ("lane-1", 0, 0, None),
        ("lane-2", 4, 1, "h1"),
    ]
    assert all(s.last_seen is not None for s in status.lanes)


async def test_the_link_reconnects_after_its_connection_was_cut(
    link: PgStoreLink, store_url: str
) -> None:
    await link.heartbeat(LANE_1, 0)
    with psycopg.connect(store_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = 'pos-app'"
        )
    with pytest.raises(StoreUnavailableError):
        await link.send(LANE_1, [operation("op_1")], 0)
    await link.send(LANE_1, [operation("op_1")], 0)
    assert rows(store_url, "SELECT id FROM operations") == [("op_1",)]


async def test_a_batch_of_500_records_is_written_in_one_short_transaction(
    link: PgStoreLink, store_url: str
) -> None:
    batch: list[StoreRecord] = []
    for n in range(100):
        batch += [
            operation(f"op_{n}", "approved", 1),
            event(2 * n + 1, f"op_{n}", "pending"),
            event(2 * n + 2, f"op_{n}", "approved"),
            ticket(f"tk_{n}", "paid", 1, [line(1, "Tea"), line(2, "Cake")]),
            audit(n + 1),
        ]
    await link.heartbeat(LANE_1, 0)  # connected: the figure is the write alone
    started = time.perf_counter()
    await link.send(LANE_1, batch, 0)
    elapsed = time.perf_counter() - started
    assert rows(store_url, "SELECT count(*) FROM operations") == [(100,)]
    assert rows(store_url, "SELECT count(*) FROM ticket_lines") == [(200,)]
    assert elapsed < 1.0, f"500 records took {elapsed * 1000:.0f} ms"  # a loose bound: CI


async def test_a_send_cancelled_midway_writes_all_or_nothing_and_the_link_goes_on(
    link: PgStoreLink, store_url: str
) -> None:
    batch = [operation(f"op_{n}", "approved", 1) for n in range(400)]
    await link.heartbeat(LANE_1, 0)
    with pytest.raises(TimeoutError):  # a drain's deadline falling mid-transaction
        await asyncio.wait_for(link.send(LANE_1, batch, 0), 0.002)
    assert rows(store_url, "SELECT count(*) FROM operations")[0][0] in (0, 400)
    await link.send(LANE_1, [*batch, operation("op_last")], 0)
    assert rows(store_url, "SELECT count(*) FROM operations") == [(401,)]


async def test_the_database_s_owner_sets_it_up_without_being_a_superuser(pg: PgServer) -> None:
    # The README's way: createuser pos_clerk; createdb -O pos_clerk pos_store_x
    role = f"owner_{uuid.uuid4().hex[:8]}"
    pg.sql(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
    name = f"s_{uuid.uuid4().hex[:12]}"
    pg.sql(f'CREATE DATABASE "{name}" OWNER {role}')
    try:
        url = pg.url(name).replace(f"{ROLE}@", f"{role}@")
        address = store_address_of(url, None)
        assert await init_store_at(address) == (0, STORE_SCHEMA_VERSION)
        assert (await status_at(address)).schema_version == STORE_SCHEMA_VERSION
    finally:
        pg.drop_database(name)


async def test_a_user_who_may_not_create_is_told_what_to_grant(
    pg: PgServer, empty_store_url: str
) -> None:
    role = f"clerk_{uuid.uuid4().hex[:8]}"
    pg.sql(f"CREATE ROLE {role} LOGIN NOSUPERUSER")
    url = empty_store_url.replace(f"{ROLE}@", f"{role}@")
    with pytest.raises(StoreRefusedError) as refused:
        await init_store_at(store_address_of(url, None))
    assert f"does not let user '{role}' create" in refused.value.message
    assert "pos-app store init' again" in refused.value.message
    assert rows(empty_store_url, "SELECT to_regclass('store_meta')") == [(None,)]


async def test_a_connection_has_the_statement_timeout_and_no_autocommit(store_url: str) -> None:
    conn = await connect(store_address(store_url, None))
    try:
        cur = await conn.execute("SHOW statement_timeout")
        assert await cur.fetchone() == ("5s",)
        assert not conn.autocommit
    finally:
        await conn.close()


async def test_the_password_path_end_to_end(pg: PgServer, store_url: str) -> None:
    # One role of this test's asks a password (scram), the rest of the server still trusts.
    role = f"pw_{uuid.uuid4().hex[:8]}"
    pg.sql(f"CREATE ROLE {role} LOGIN PASSWORD 'right-pass' NOSUPERUSER")
    pg.sql(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}", database_name(store_url))
    hba = pg.data_dir / "pg_hba.conf"
    hba.write_text(f"host all {role} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    pg.sql("SELECT pg_reload_conf()")
    url = store_url.replace(f"{ROLE}@", f"{role}@")
    assert (await status_at(store_address_of(url, "right-pass"))).schema_version == 1
    with pytest.raises(StoreRefusedError) as wrong:
        await status_at(store_address_of(url, "wrong-pass"))
    assert f"did not accept the password for user '{role}'" in wrong.value.message
    assert "wrong-pass" not in wrong.value.message
    with pytest.raises(StoreRefusedError, match="asks a password"):
        await status_at(store_address_of(url, None))
    # A password inside the URL (from the environment) is taken out and used.
    inside = url.replace(f"{role}@", f"{role}:right-pass@")
    address = store_address_of(inside, None)
    assert "right-pass" not in address.url
    assert (await status_at(address)).schema_version == 1


async def test_a_batch_naming_a_row_twice_keeps_its_last_state(
    link: PgStoreLink, store_url: str
) -> None:
    await link.send(
        LANE_1,
        [
            operation("op_1", "pending", 0),
            ticket("tk_1", "open", 0, [line(1, "Tea")]),
            staff("Ann", 1),
            operation("op_1", "approved", 1),
            ticket("tk_1", "paid", 1, [line(1, "Tea"), line(2, "Cake")]),
            staff("ann", 2, tries=1),
            event(1, "op_1", "pending"),
            event(1, "op_1", "pending"),
        ],
        0,
    )
    assert rows(store_url, "SELECT status FROM operations") == [("approved",)]
    assert rows(store_url, "SELECT status FROM tickets") == [("paid",)]
    assert rows(store_url, "SELECT count(*) FROM ticket_lines") == [(2,)]
    assert rows(store_url, "SELECT name, failed_tries FROM staff") == [("ann", 1)]
    assert rows(store_url, "SELECT count(*) FROM operation_events") == [(1,)]
