"""How tickets, their lines, shifts and cash movements are rows of the journal's file.

Column lists, INSERT statements, and the conversions both ways, for
`storage.tickets`. Times are stored as `storage.stamps` says; counts by
denomination as JSON text ({"2000": 3}), read back with int keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, Final

from pos_app.domain.tickets import (
    CashMovement,
    CashMovementKind,
    Shift,
    Ticket,
    TicketLine,
    TicketStatus,
)
from pos_app.storage.stamps import epoch_ms, from_iso, iso

__all__ = [
    "INSERT_LINE",
    "INSERT_MOVEMENT",
    "INSERT_SHIFT",
    "INSERT_TICKET",
    "LINE_COLUMNS",
    "MOVEMENT_COLUMNS",
    "SHIFT_COLUMNS",
    "TICKET_COLUMNS",
    "count_from_text",
    "count_text",
    "line_from_row",
    "line_values",
    "movement_from_row",
    "movement_values",
    "shift_from_row",
    "shift_values",
    "ticket_from_row",
    "ticket_values",
]

TICKET_COLUMNS: Final = (
    "id, lane, status, subtotal_cents, sale_discount_cents, sale_discount_reason, tax_cents,"
    " total_cents, served_by, discount_approved_by, cancelled_by, shift_id, description,"
    " created_at, updated_at"
)
INSERT_TICKET: Final = (
    f"INSERT INTO tickets ({TICKET_COLUMNS}, created_ms, updated_ms) VALUES ({', '.join('?' * 17)})"
)
LINE_COLUMNS: Final = "name, quantity, unit_price_cents, item_code, discount_cents, discount_reason"
INSERT_LINE: Final = (
    f"INSERT INTO ticket_lines (ticket_seq, line_no, ticket_id, {LINE_COLUMNS})"
    f" VALUES ({', '.join('?' * 9)})"
)
SHIFT_COLUMNS: Final = (
    "id, lane, opened_at, opened_by, float_cents, float_count, closed_at, closed_by,"
    " counted_cents, expected_cents, count"
)
INSERT_SHIFT: Final = (
    f"INSERT INTO shifts ({SHIFT_COLUMNS}, opened_ms, closed_ms) VALUES ({', '.join('?' * 13)})"
)
MOVEMENT_COLUMNS: Final = (
    "id, shift_id, kind, amount_cents, at, person, reason, ticket_id, tendered_cents,"
    " change_cents, approved_by"
)
INSERT_MOVEMENT: Final = (
    f"INSERT INTO cash_movements ({MOVEMENT_COLUMNS}, at_ms) VALUES ({', '.join('?' * 12)})"
)
_STATUSES: Final = {status.value: status for status in TicketStatus}
_KINDS: Final = {kind.value: kind for kind in CashMovementKind}


def ticket_values(ticket: Ticket) -> tuple[Any, ...]:
    """`INSERT_TICKET`'s parameters."""
    return (
        ticket.id,
        ticket.lane,
        TicketStatus(ticket.status).value,
        ticket.subtotal_cents,
        ticket.sale_discount_cents,
        ticket.sale_discount_reason,
        ticket.tax_cents,
        ticket.total_cents,
        ticket.served_by,
        ticket.discount_approved_by,
        ticket.cancelled_by,
        ticket.shift_id,
        ticket.description,
        iso(ticket.created_at),
        iso(ticket.updated_at),
        epoch_ms(ticket.created_at),
        epoch_ms(ticket.updated_at),
    )


def line_values(ticket: Ticket) -> list[tuple[Any, ...]]:
    """Each line's values after the ticket's seq (known once the ticket is inserted)."""
    return [
        (
            number,
            ticket.id,
            line.name,
            line.quantity,
            line.unit_price_cents,
            line.item_code,
            line.discount_cents,
            line.discount_reason,
        )
        for number, line in enumerate(ticket.lines, start=1)
    ]


@lru_cache(maxsize=4096)
def line_from_row(
    name: str,
    quantity: int,
    unit_price_cents: int,
    item_code: str | None,
    discount_cents: int,
    discount_reason: str | None,
) -> TicketLine:
    """A line as read back; lines are frozen and repeat a lot (the same latte all day),
    so equal rows share one object and a shift's report skips most constructions."""
    return TicketLine(name, quantity, unit_price_cents, item_code, discount_cents, discount_reason)


def ticket_from_row(row: Sequence[Any], lines: tuple[TicketLine, ...]) -> Ticket:
    """A ticket from `seq, TICKET_COLUMNS` and its lines."""
    (_seq, id_, lane, status, subtotal, sale_discount, sale_reason, tax, total, served_by,
     discount_approved_by, cancelled_by, shift_id, description, created, updated) = row  # fmt: skip
    return Ticket(
        id=id_,
        lane=lane,
        status=_STATUSES[status],
        lines=lines,
        subtotal_cents=subtotal,
        sale_discount_cents=sale_discount,
        tax_cents=tax,
        total_cents=total,
        created_at=from_iso(created),
        updated_at=from_iso(updated),
        sale_discount_reason=sale_reason,
        served_by=served_by,
        discount_approved_by=discount_approved_by,
        cancelled_by=cancelled_by,
        shift_id=shift_id,
        description=description,
    )


def shift_values(shift: Shift) -> tuple[Any, ...]:
    """`INSERT_SHIFT`'s parameters."""
    closed = shift.closed_at
    return (
        shift.id,
        shift.lane,
        iso(shift.opened_at),
        shift.opened_by,
        shift.float_cents,
        count_text(shift.float_count),
        None if closed is None else iso(closed),
        shift.closed_by,
        shift.counted_cents,
        shift.expected_cents,
        count_text(shift.count),
        epoch_ms(shift.opened_at),
        None if closed is None else epoch_ms(closed),
    )


def shift_from_row(row: Sequence[Any]) -> Shift:
    """A shift from `SHIFT_COLUMNS`."""
    (id_, lane, opened_at, opened_by, float_cents, float_count, closed_at, closed_by,
     counted, expected, count) = row  # fmt: skip
    return Shift(
        id=id_,
        lane=lane,
        opened_at=from_iso(opened_at),
        opened_by=opened_by,
        float_cents=float_cents,
        closed_at=None if closed_at is None else from_iso(closed_at),
        closed_by=closed_by,
        counted_cents=counted,
        expected_cents=expected,
        count=count_from_text(count),
        float_count=count_from_text(float_count),
    )


def movement_values(movement: CashMovement) -> tuple[Any, ...]:
    """`INSERT_MOVEMENT`'s parameters."""
    return (
        movement.id,
        movement.shift_id,
        CashMovementKind(movement.kind).value,
        movement.amount_cents,
        iso(movement.at),
        movement.person,
        movement.reason,
        movement.ticket_id,
        movement.tendered_cents,
        movement.change_cents,
        movement.approved_by,
        epoch_ms(movement.at),
    )


def movement_from_row(row: Sequence[Any]) -> CashMovement:
    """A cash movement from `MOVEMENT_COLUMNS`."""
    (id_, shift_id, kind, amount, at, person, reason, ticket_id, tendered, change,
     approved_by) = row  # fmt: skip
    return CashMovement(
        id=id_,
        shift_id=shift_id,
        kind=_KINDS[kind],
        amount_cents=amount,
        at=from_iso(at),
        person=person,
        reason=reason,
        ticket_id=ticket_id,
        tendered_cents=tendered,
        change_cents=change,
        approved_by=approved_by,
    )


def count_text(count: Mapping[int, int] | None) -> str | None:
    """A count by denomination as JSON text, denominations largest first."""
    if count is None:
        return None
    return json.dumps({str(int(value)): int(n) for value, n in sorted(count.items(), reverse=True)})


def count_from_text(text: str | None) -> dict[int, int] | None:
    """A count stored by `count_text`, with int keys again."""
    if text is None:
        return None
    return {int(value): int(n) for value, n in json.loads(text).items()}
