"""A lane's records as the outbox sends them (`StoreRecord`s with the spec's keys), for the
store's tests and benchmarks: an operation, an event, a sale with its lines, a shift, a
cash movement, an audit entry and a person, each at minutes after T0."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pos_app.services.store_ports import LaneIdentity, RecordKind, StoreRecord

LANE_1 = LaneIdentity("lane-1", "uid-1", "1.0")
LANE_2 = LaneIdentity("lane-2", "uid-2", "1.0")
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


def operation(op_id: str, status: str = "pending", updated: float = 0, **more: Any) -> StoreRecord:
    data: dict[str, Any] = {
        "id": op_id, "kind": "charge", "amount_cents": 1250, "status": status,
        "flow": "payment_intent", "terminal_id": "trm_1", "description": "Coffee",
        "sale_id": None, "session_id": None, "payment_id": None, "refund_id": None,
        "original_id": None, "refund_mode": None, "reason": None, "card_brand": None,
        "card_last4": None, "decline_code": None, "decline_message": None,
        "served_by": "Ann", "approved_by": None, "ticket_id": None, "shift_id": None,
        "created_at": at(0), "updated_at": at(updated), **more,
    }  # fmt: skip
    return StoreRecord(RecordKind.OPERATION, op_id, data)


def event(seq: int, op_id: str, status: str) -> StoreRecord:
    data = {"seq": seq, "operation_id": op_id, "at": at(seq), "status": status, "detail": None}
    return StoreRecord(RecordKind.EVENT, str(seq), data)


def ticket(ticket_id: str, status: str, updated: float, lines: list[dict[str, Any]]) -> StoreRecord:
    data: dict[str, Any] = {
        "id": ticket_id, "status": status, "subtotal_cents": 1000, "sale_discount_cents": 0,
        "sale_discount_reason": None, "tax_cents": 80, "total_cents": 1080, "served_by": "Ann",
        "discount_approved_by": None, "cancelled_by": None, "shift_id": "sh_1",
        "description": "2 items", "created_at": at(0), "updated_at": at(updated), "lines": lines,
    }  # fmt: skip
    return StoreRecord(RecordKind.TICKET, ticket_id, data)


def line(no: int, name: str, quantity: int = 1) -> dict[str, Any]:
    return {
        "line_no": no, "name": name, "item_code": None, "quantity": quantity,
        "unit_price_cents": 500, "discount_cents": 0, "discount_reason": None,
    }  # fmt: skip


def shift(closed: bool, counted: int | None = None) -> StoreRecord:
    data: dict[str, Any] = {
        "id": "sh_1", "opened_at": at(0), "opened_by": "Ann", "float_cents": 10000,
        "float_count": {"2000": 5}, "closed_at": at(60) if closed else None,
        "closed_by": "Bob" if closed else None, "counted_cents": counted,
        "expected_cents": 12000 if closed else None, "count": {"2000": 6} if closed else None,
    }  # fmt: skip
    return StoreRecord(RecordKind.SHIFT, "sh_1", data)


def cash(cash_id: str) -> StoreRecord:
    data: dict[str, Any] = {
        "id": cash_id, "shift_id": "sh_1", "kind": "sale", "amount_cents": 700, "at": at(5),
        "person": "Ann", "reason": None, "ticket_id": "tk_1", "tendered_cents": 1000,
        "change_cents": 300, "approved_by": None,
    }  # fmt: skip
    return StoreRecord(RecordKind.CASH, cash_id, data)


def audit(seq: int) -> StoreRecord:
    data: dict[str, Any] = {
        "seq": seq, "at": at(seq), "who": "Ann", "action": "sign_in", "subject": None,
        "detail": "", "outcome": "ok", "prev_hash": f"h{seq - 1}", "hash": f"h{seq}",
        "mac": "",
    }  # fmt: skip
    return StoreRecord(RecordKind.AUDIT, str(seq), data)


def staff(name: str, changed: float, *, tries: int = 0, role: str = "cashier") -> StoreRecord:
    data: dict[str, Any] = {
        "name": name, "role": role, "active": True, "pin_hash": "scrypt$x",
        "failed_tries": tries, "locked_until": None, "changed_at": at(changed),
    }  # fmt: skip
    return StoreRecord(RecordKind.STAFF, name, data)
