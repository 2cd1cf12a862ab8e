"""The local outbox of a lane in a store: journal schema v5, audit schema v3, the records
built from the rows' current content, and nothing at all for a lane without a store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from pos_app.domain.payment_flow import PaymentKind, StateName
from pos_app.domain.tickets import (
    CashMovement,
    CashMovementKind,
    Shift,
    Ticket,
    TicketLine,
    TicketStatus,
)
from pos_app.services.audit_log import AuditAction, NewAuditEntry, StaffRecord
from pos_app.services.ports import Operation
from pos_app.services.store_ports import Outbox, RecordKind, StoreRecord
from pos_app.storage.audit import SqliteAuditLog
from pos_app.storage.audit_schema import MIGRATIONS as AUDIT_MIGRATIONS
from pos_app.storage.journal import SqliteJournal
from pos_app.storage.migrations import SCHEMA_VERSION, migrate

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
LANE = "lane-1"
PLAIN_HASH = "scrypt$16384$8$1$c2FsdA$aGFzaA"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def charge(op_id: str, minutes: float = 0) -> Operation:
    return Operation(
        id=op_id,
        kind=PaymentKind.CHARGE,
        amount_cents=1085,
        status=StateName.PREPARING.value,
        flow="payment_intent",
        lane=LANE,
        create_key=f"ck-{op_id}",
        send_key=f"sk-{op_id}",
        served_by="Ann",
        ticket_id="t1",
        shift_id="s1",
        created_at=at(minutes),
        updated_at=at(minutes),
    )


SHIFT = Shift(
    id="s1", lane=LANE, opened_at=at(0), opened_by="Ann", float_cents=10_000,
    float_count={2000: 5},
)  # fmt: skip
TICKET = Ticket(
    id="t1",
    lane=LANE,
    status=TicketStatus.OPEN,
    lines=(
        TicketLine("Latte", 1, 450, item_code="LAT", discount_cents=45),
        TicketLine("Bun", 2, 300),
    ),
    subtotal_cents=1005,
    sale_discount_cents=0,
    tax_cents=80,
    total_cents=1085,
    created_at=at(1),
    updated_at=at(1),
    shift_id="s1",
    served_by="Ann",
)
PAID_IN = CashMovement(
    id="c1", shift_id="s1", kind=CashMovementKind.PAID_IN, amount_cents=2000, at=at(3),
    person="Ann", reason="change from the bank",
)  # fmt: skip


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[SqliteJournal]:
    with SqliteJournal(tmp_path / "journal.sqlite3") as opened:
        yield opened


async def a_day(journal: SqliteJournal) -> None:
    """A shift, a sale with its card part (two events), and a paid in."""
    await journal.add_shift(SHIFT)
    await journal.add_ticket(TICKET)
    op = charge("op1", 2)
    await journal.begin(op)
    await journal.update(replace(op, status=StateName.APPROVED.value, card_last4="4242"))
    await journal.add_cash_movement(PAID_IN)


def kinds(records: list[StoreRecord] | tuple[StoreRecord, ...]) -> list[tuple[str, str]]:
    return [(record.kind.value, record.key) for record in records]


# -- a lane without a store ----------------------------------------------------------------


async def test_a_lane_without_a_store_writes_no_outbox_rows(journal: SqliteJournal) -> None:
    port: Outbox = journal
    await a_day(journal)
    assert port.outbox_count() == 0
    assert port.outbox_batch(500) is None
    assert journal.lane_uid() is None
    assert not journal.outbox_enabled()


def test_the_journal_is_at_schema_5(journal: SqliteJournal) -> None:
    assert journal.schema_version == SCHEMA_VERSION == 5


async def test_a_v4_journal_migrates_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with SqliteJournal(path) as journal:
        await a_day(journal)
    raw = sqlite3.connect(path, isolation_level=None)
    for name in ("outbox", "outbox_state"):  # back to v4: what shops have today
        raw.execute(f"DROP TABLE {name}")
    for (trigger,) in raw.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'outbox_%'"
    ).fetchall():
        raw.execute(f"DROP TRIGGER {trigger}")
    raw.execute("PRAGMA user_version = 4")
    raw.close()
    with SqliteJournal(path) as journal:
        assert journal.schema_version == 5
        assert journal.get("op1") is not None
        assert journal.outbox_count() == 0
        await journal.enable_outbox()
        assert journal.outbox_count() == 6


def test_the_v5_step_applies_on_a_v4_file_from_the_migrations_alone(tmp_path: Path) -> None:
    raw = sqlite3.connect(tmp_path / "j.sqlite3", isolation_level=None)
    assert migrate(raw, target=4) == 4
    assert migrate(raw) == 5
    assert raw.execute("SELECT enabled, lane_uid FROM outbox_state").fetchall() == [(0, None)]
    raw.close()


# -- joining a store -----------------------------------------------------------------------


async def test_joining_queues_everything_once_oldest_first(journal: SqliteJournal) -> None:
    await a_day(journal)
    await journal.enable_outbox()
    uid = journal.lane_uid()
    assert uid is not None
    assert len(uid) == 32
    batch = journal.outbox_batch(500)
    assert batch is not None
    assert batch.source == "journal"
    assert kinds(batch.records) == [
        ("shift", "s1"), ("ticket", "t1"), ("operation", "op1"), ("event", "1"),
        ("event", "2"), ("cash", "c1"),
    ]  # fmt: skip
    await journal.enable_outbox()  # again: nothing more, the same uid
    assert journal.outbox_count() == 6
    assert journal.lane_uid() == uid


async def test_records_carry_the_store_columns_with_current_content(
    journal: SqliteJournal,
) -> None:
    await journal.enable_outbox()
    await a_day(journal)
    await journal.close_shift(
        replace(
            SHIFT,
            closed_at=at(9),
            closed_by="Bob",
            counted_cents=12_000,
            expected_cents=12_000,
            count={2000: 6},
        )
    )
    batch = journal.outbox_batch(500)
    assert batch is not None
    records = {(r.kind, r.key): r.data for r in batch.records}
    # The shift is sent once, at its first place, as it is now (closed).
    assert kinds(batch.records)[0] == ("shift", "s1")
    shift = records[(RecordKind.SHIFT, "s1")]
    assert shift["closed_by"] == "Bob"
    assert shift["count"] == {"2000": 6}
    assert shift["float_count"] == {"2000": 5}
    assert "lane" not in shift
    assert "opened_ms" not in shift
    op = records[(RecordKind.OPERATION, "op1")]
    assert op["status"] == "approved"
    assert op["card_last4"] == "4242"
    assert op["created_at"] == at(2).isoformat(timespec="microseconds")
    assert not {"lane", "create_key", "send_key", "created_ms"} & set(op)
    assert len(op) == 24
    ticket = records[(RecordKind.TICKET, "t1")]
    assert ticket["lines"] == [
        {"line_no": 1, "name": "Latte", "item_code": "LAT", "quantity": 1,
         "unit_price_cents": 450, "discount_cents": 45, "discount_reason": None},
        {"line_no": 2, "name": "Bun", "item_code": None, "quantity": 2,
         "unit_price_cents": 300, "discount_cents": 0, "discount_reason": None},
    ]  # fmt: skip
    assert records[(RecordKind.EVENT, "2")] == {
        "seq": 2, "operation_id": "op1", "at": records[(RecordKind.EVENT, "2")]["at"],
        "status": "approved", "detail": None,
    }  # fmt: skip
    assert records[(RecordKind.CASH, "c1")]["reason"] == "change from the bank"


async def test_acknowledge_forgets_up_to_the_batch_and_later_writes_wait(
    journal: SqliteJournal,
) -> None:
    await journal.enable_outbox()
    await journal.begin(charge("op1"))
    first = journal.outbox_batch(500)
    assert first is not None
    # Written after the batch was read: must not be forgotten with it.
    await journal.update(replace(charge("op1"), status=StateName.APPROVED.value))
    await journal.acknowledge(first.last_seq)
    again = journal.outbox_batch(500)
    assert again is not None
    assert kinds(again.records) == [("operation", "op1"), ("event", "2")]
    assert again.records[0].data["status"] == "approved"
    await journal.acknowledge(again.last_seq)
    assert journal.outbox_count() == 0
    assert journal.outbox_batch(500) is None


async def test_a_batch_takes_at_most_limit_queued_rows(journal: SqliteJournal) -> None:
    await journal.enable_outbox()
    await journal.begin_many(charge(f"op{n}", n) for n in range(5))
    batch = journal.outbox_batch(3)
    assert batch is not None
    assert kinds(batch.records) == [("operation", "op0"), ("event", "1"), ("operation", "op1")]
    assert journal.outbox_count() == 10
    assert journal.outbox_count_after(batch.last_seq) == 7
    await journal.acknowledge(batch.last_seq)
    assert journal.outbox_count() == 7
    assert journal.outbox_count_after(batch.last_seq) == 7
    assert journal.outbox_count_after(batch.last_seq + 2) == 5


# -- the audit file ------------------------------------------------------------------------


def entry(action: AuditAction = AuditAction.SIGN_IN, subject: str | None = None) -> NewAuditEntry:
    return NewAuditEntry(
        at=T0, who="Ann", lane=LANE, action=action, subject=subject, detail={}, outcome="ok"
    )


def person(name: str = "Ann", **changes: object) -> StaffRecord:
    record = StaffRecord(
        id=None, name=name, role="cashier", active=True, pin_hash=PLAIN_HASH, failed_tries=0,
        locked_until=None,
    )  # fmt: skip
    return replace(record, **changes)  # type: ignore[arg-type]


@pytest.fixture
def audit(tmp_path: Path) -> Iterator[SqliteAuditLog]:
    with SqliteAuditLog(tmp_path / "audit.sqlite3", lane=LANE) as opened:
        yield opened


def test_an_audit_file_without_a_store_queues_nothing(audit: SqliteAuditLog) -> None:
    port: Outbox = audit
    audit.append(entry())
    audit.save_staff(None, person(), entry(AuditAction.STAFF_ADDED, "Ann"))
    assert audit.schema_version == 3
    assert port.outbox_count() == 0
    assert port.outbox_source == "audit"


async def test_the_audit_outbox_sends_people_and_entries(audit: SqliteAuditLog) -> None:
    audit.append(entry())
    added = audit.save_staff(None, person(), entry(AuditAction.STAFF_ADDED, "Ann"))
    assert added is not None
    await audit.enable_outbox()
    batch = audit.outbox_batch(500)
    assert batch is not None
    assert kinds(batch.records) == [("staff", "Ann"), ("audit", "1"), ("audit", "2")]
    ann = batch.records[0].data
    assert ann == {
        "name": "Ann", "role": "cashier", "active": True, "pin_hash": PLAIN_HASH,
        "failed_tries": 0, "locked_until": None, "changed_at": ann["changed_at"],
    }  # fmt: skip
    assert added.changed_at is not None
    assert ann["changed_at"] == added.changed_at.isoformat(timespec="microseconds")
    second = batch.records[2].data
    assert set(second) == {
        "seq", "at", "who", "action", "subject", "detail", "outcome", "prev_hash", "hash", "mac",
    }  # fmt: skip
    assert second["hash"] == audit.head().hash
    await audit.acknowledge(batch.last_seq)
    locked = replace(added, failed_tries=1)
    saved = audit.save_staff(added, locked, entry(AuditAction.PIN_FAILED, "Ann"))
    assert saved is not None
    after = audit.outbox_batch(500)
    assert after is not None
    assert kinds(after.records) == [("staff", "Ann"), ("audit", "3")]
    assert after.records[0].data["failed_tries"] == 1


def test_every_local_change_is_stamped_and_a_pulled_stamp_is_kept(
    audit: SqliteAuditLog,
) -> None:
    added = audit.save_staff(None, person(), entry(AuditAction.STAFF_ADDED, "Ann"))
    assert added is not None
    assert added.changed_at is not None
    # A local change that leaves the stamp as it was gets a newer one.
    changed = audit.save_staff(added, replace(added, failed_tries=2), entry(subject="Ann"))
    assert changed is not None
    assert changed.changed_at is not None
    assert changed.changed_at > added.changed_at
    assert audit.find_staff("ann") == changed
    stored = audit.find_staff("Ann")
    assert stored is not None
    assert stored.changed_at == changed.changed_at
    # A row taken from the store keeps the store's stamp, even an older one.
    store_stamp = at(-60)
    pulled = replace(changed, failed_tries=0, changed_at=store_stamp)
    kept = audit.save_staff(changed, pulled, entry(AuditAction.STAFF_SYNCED, "Ann"))
    assert kept is not None
    assert kept.changed_at == store_stamp
    assert audit.verify().ok


def test_a_change_made_outside_the_app_is_stamped_by_the_triggers(
    audit: SqliteAuditLog, tmp_path: Path
) -> None:
    audit.save_staff(None, person(), entry(AuditAction.STAFF_ADDED, "Ann"))
    before = audit.find_staff("Ann")
    assert before is not None
    assert before.changed_at is not None
    raw = sqlite3.connect(tmp_path / "audit.sqlite3", isolation_level=None)
    raw.execute("UPDATE staff SET role = 'manager'")
    raw.execute(
        "INSERT INTO staff (name, role, pin_hash, created_at) VALUES ('Bob', 'cashier', ?, ?)",
        (PLAIN_HASH, T0.isoformat()),
    )
    raw.close()
    after, bob = audit.find_staff("Ann"), audit.find_staff("Bob")
    assert after is not None
    assert after.changed_at is not None
    assert after.changed_at > before.changed_at
    assert bob is not None
    assert bob.changed_at is not None


def test_a_v2_audit_file_migrates_with_its_people_stamped(tmp_path: Path) -> None:
    path = tmp_path / "audit.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    for step in AUDIT_MIGRATIONS[:2]:  # v1 and v2 as shops have them
        for statement in step.statements:
            raw.execute(statement)
    raw.execute("DROP TABLE manager_state")
    raw.execute(
        "INSERT INTO staff (name, role, pin_hash, created_at) VALUES ('Ann', 'owner', ?, ?)",
        (PLAIN_HASH, T0.isoformat(timespec="microseconds")),
    )
    raw.execute("PRAGMA user_version = 2")
    raw.close()
    with SqliteAuditLog(path, lane=LANE) as audit:
        assert audit.schema_version == 3
        ann = audit.find_staff("Ann")
        assert ann is not None
        assert ann.changed_at == T0
        assert audit.outbox_count() == 0
        assert audit.store_value("staff") is None


def test_pull_cursors_are_kept(audit: SqliteAuditLog) -> None:
    assert audit.store_value("staff_cursor") is None
    audit.set_store_value("staff_cursor", "2026-12-04T09:00:00+00:00")
    audit.set_store_value("staff_cursor", "2026-12-04T10:00:00+00:00")
    assert audit.store_value("staff_cursor") == "2026-12-04T10:00:00+00:00"


def test_shared_pins_hash_without_this_computers_pepper(tmp_path: Path) -> None:
    from tests.support.file_keyring import MemoryChainKeys

    keys = MemoryChainKeys()
    with SqliteAuditLog(tmp_path / "a.sqlite3", keys, lane=LANE) as alone:
        assert alone.pepper() is not None
    with SqliteAuditLog(tmp_path / "a.sqlite3", keys, lane=LANE, shared_pins=True) as joined:
        assert joined.pepper() is None
