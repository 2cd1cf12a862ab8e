"""The store's view for the manager: every lane's history and the store's end of day.

`StoreViewService` reads the store (a `StoreView`, `storage/store/reads.py`)
and gives the manager's screens and commands what the lane's own services
give them, from the same code:

- `history_rows`: the history's rows (`HistoryRow`) of every lane, or one: card
  operations and the drawer's cash rows, newest first, each with its lane;
- `ticket_sale`: one sale of any lane with its lines, its parts and what went
  back (a refund another lane gave included);
- `day_report`: the end of day of the store or of one lane, built by
  `ReportService` itself over the store's day (`StoreDayRecords`, the day
  held in memory and read through the journal's and the ticket store's ports),
  so the store's day and a lane's come out of one builder. Every lane's
  operations are in the reconciliation, so a payment any lane of the store
  took is matched, never a "not in the journal" difference, even on one
  lane's report; the audit heads of the lanes covered are printed on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, tzinfo
from typing import Final

from pos_app.domain.errors import InvalidInputError
from pos_app.domain.payment_flow import PaymentKind, PaymentState
from pos_app.domain.report import DayReport, day_window
from pos_app.domain.report.statuses import FINAL_STATUSES
from pos_app.domain.tickets import CashMovement, CashMovementKind, Shift, Ticket, TicketStatus
from pos_app.services.history import HistoryRow, TicketSale, _CashFilter
from pos_app.services.ports import HistoryQuery, JournalEntry, Operation
from pos_app.services.reports import PaymentsSource, ReportService, ReportSettings
from pos_app.services.store_ports import StoreDay, StoreView
from pos_app.services.ticket_parts import tender_parts

__all__ = ["READ_ONLY_TEXT", "StoreDayRecords", "StoreViewService", "heads_line"]

READ_ONLY_TEXT: Final = "The store's day is read from the store: it cannot be written to."
_BACK_KINDS: Final = (PaymentKind.REFUND, PaymentKind.VOID)
_CASH_BACK: Final = (CashMovementKind.REFUND, CashMovementKind.CANCEL_RETURN)


class StoreViewService:
    """The manager's reads of the store (see the module's docstring). `remote` is
    JustiFi's list of payments, for reconciliation (None: the report is not checked).
    Raises the view's StoreUnavailableError when the store cannot be reached."""

    def __init__(
        self,
        view: StoreView,
        remote: PaymentsSource | None,
        settings: ReportSettings | None = None,
    ) -> None:
        self.view = view
        self.remote = remote
        self.settings = settings or ReportSettings()

    async def lanes(self) -> list[str]:
        """Every lane the store has seen, by name."""
        return await self.view.lane_names()

    async def history_rows(self, query: HistoryQuery, lane: str | None = None) -> list[HistoryRow]:
        """The history of every lane (or `lane`): card operations and the drawer's cash
        rows, filtered as a lane's history is, newest first, `query.limit` rows from
        `query.offset` of them all. Each row carries its lane."""
        if query.offset < 0:
            raise ValueError(f"offset must not be negative: {query.offset}")
        wanted = query.limit + query.offset
        operations = await self.view.history(replace(query, limit=wanted, offset=0), lane)
        rows = [HistoryRow.from_operation(op) for op in operations]
        cash = _CashFilter.of(query)
        if cash is not None:
            movements = await self.view.cash_history(replace(query, limit=wanted, offset=0), lane)
            rows += [
                HistoryRow.from_movement(movement, name)
                for name, movement in movements
                if cash.takes(movement)
            ]
        rows.sort(key=lambda row: (row.created_at, row.id), reverse=True)
        return rows[query.offset : query.offset + query.limit]

    async def entries(self, row: HistoryRow) -> list[JournalEntry]:
        """The state changes of a row's operation, oldest first (none for a cash row)."""
        if row.operation is None or row.lane is None:
            return []
        return await self.view.entries(row.lane, row.operation.id)

    async def refunds(self, row: HistoryRow) -> list[Operation]:
        """The refunds and voids of a sale's payment on every lane, oldest first."""
        if not row.payment_id or row.kind != PaymentKind.CHARGE.value:
            return []
        kinds = (PaymentKind.REFUND.value, PaymentKind.VOID.value)
        found = await self.view.history(
            HistoryQuery(kinds=kinds, text=row.payment_id, limit=500), None
        )
        return sorted(
            (op for op in found if op.payment_id == row.payment_id), key=lambda op: op.created_at
        )

    async def ticket_sale(self, ticket_id: str) -> TicketSale | None:
        """The whole sale of any lane: its lines and totals, each tender part with what went
        back from it (on any lane), the cash and card given back; None: unknown."""
        found = await self.view.ticket(ticket_id)
        if found is None:
            return None
        movements, operations = list(found.cash), list(found.operations)
        return TicketSale(
            found.ticket,
            tender_parts(found.ticket, movements, operations),
            tuple(m for m in movements if m.kind in _CASH_BACK),
            tuple(op for op in operations if op.kind in _BACK_KINDS),
        )

    async def day_report(
        self, day: date, lane: str | None = None, tz: tzinfo | None = None
    ) -> DayReport:
        """The end of day of the whole store (`lane` None) or of one lane, reconciled with
        JustiFi against every lane's operations, with the audit heads of the lanes
        covered. `tz`: the day's time zone (default: the settings', else this computer's).
        """
        settings = self.settings if tz is None else replace(self.settings, tz=tz)
        start, end = day_window(day, settings.tz)
        store_day = await self.view.day(start - settings.margin, end + settings.margin)
        records = StoreDayRecords(store_day)
        covered = [lane] if lane is not None else list(store_day.lanes)
        reports = ReportService(records, self.remote, settings, tickets=records)
        return await reports.day_report(day, lane, audit_head=heads_line(store_day, covered))


def heads_line(store_day: StoreDay, lanes: Sequence[str]) -> str:
    """The audit heads of `lanes` as a report prints them: "till-1 412:3f7a...; till-2
    88:9b1c..." (a lane with no audit entry yet is left out); "" when none is known."""
    heads = store_day.audit_heads
    return "; ".join(f"{name} {heads[name]}" for name in lanes if heads.get(name))


class StoreDayRecords:
    """A `StoreDay` held in memory, read through the journal's and the ticket store's
    ports, so `ReportService` builds the store's day as it builds a lane's. Read-only:
    every write raises InvalidInputError."""

    def __init__(self, store_day: StoreDay) -> None:
        self.day = store_day
        self._operations = sorted(store_day.operations, key=lambda op: (op.created_at, op.id))
        self._by_id = {op.id: op for op in self._operations}
        self._by_ref: dict[str, list[Operation]] = {}
        for op in self._operations:
            for ref in {op.id, op.sale_id, op.payment_id, op.refund_id} - {None}:
                assert ref is not None
                self._by_ref.setdefault(ref, []).append(op)
        self._tickets = {ticket.id: ticket for ticket in store_day.tickets}
        self._shifts = {shift.id: shift for shift in store_day.shifts}
        self._cash = sorted(store_day.cash, key=lambda m: (m.at, m.id))

    # -- Journal: reads ---------------------------------------------------------------------

    def get(self, operation_id: str) -> Operation | None:
        return self._by_id.get(operation_id)

    def unfinished(self) -> list[Operation]:
        return [op for op in self._operations if op.status not in FINAL_STATUSES]

    def history(self, query: HistoryQuery) -> list[Operation]:
        """The journal's filters over the day's operations, newest first. A `text` that is
        an id of the day (the report looks up payment ids, one by one) answers through a
        dictionary; any other text is a part of a description."""
        text = (query.text or "").strip()
        pool = self._text_matches(text) if text else self._operations
        found = [op for op in pool if _takes(op, query)]
        found.sort(key=lambda op: (op.created_at, op.id), reverse=True)
        return found[query.offset : query.offset + max(query.limit, 0)]

    def _text_matches(self, text: str) -> Sequence[Operation]:
        by_id = self._by_ref.get(text)
        if by_id is not None:
            return by_id
        needle = text.casefold()
        return [op for op in self._operations if needle in (op.description or "").casefold()]

    def entries(self, operation_id: str) -> list[JournalEntry]:
        return []  # the report needs none; the store's are `StoreView.entries`

    def find_by_justifi_id(self, justifi_id: str) -> Operation | None:
        """The newest charge whose sale or payment has this id, else the refund/void."""
        ops = self._by_ref.get(justifi_id, ())
        charges = [
            op
            for op in ops
            if op.kind is PaymentKind.CHARGE and justifi_id in (op.sale_id, op.payment_id)
        ]
        refunds = [op for op in ops if op.refund_id == justifi_id]
        found = charges or refunds
        return max(found, key=lambda op: op.created_at) if found else None

    def people(self) -> list[str]:
        names = {
            name.strip().casefold(): name.strip()
            for op in self._operations
            for name in (op.served_by, op.approved_by)
            if name and name.strip()
        }
        return [names[key] for key in sorted(names)]

    # -- TicketStore: reads -----------------------------------------------------------------

    def ticket(self, ticket_id: str) -> Ticket | None:
        return self._tickets.get(ticket_id)

    def open_tickets(self) -> list[Ticket]:
        return [t for t in self._tickets_by_time() if t.status is TicketStatus.OPEN]

    def tickets_between(self, since: datetime, until: datetime) -> list[Ticket]:
        return [t for t in self._tickets_by_time() if since <= t.created_at < until]

    def shift_tickets(self, shift_id: str) -> list[Ticket]:
        return [t for t in self._tickets_by_time() if t.shift_id == shift_id]

    def current_shift(self, lane: str) -> Shift | None:
        open_ones = [s for s in self._shifts.values() if s.lane == lane and s.is_open]
        return max(open_ones, key=lambda s: s.opened_at) if open_ones else None

    def shift(self, shift_id: str) -> Shift | None:
        return self._shifts.get(shift_id)

    def recent_shifts(self, lane: str, limit: int = 20) -> list[Shift]:
        mine = sorted(
            (s for s in self._shifts.values() if s.lane == lane),
            key=lambda s: s.opened_at,
            reverse=True,
        )
        return mine[:limit]

    def cash_movements(
        self,
        *,
        shift_id: str | None = None,
        ticket_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[CashMovement]:
        return [
            m
            for m in self._cash
            if (shift_id is None or m.shift_id == shift_id)
            and (ticket_id is None or m.ticket_id == ticket_id)
            and (since is None or m.at >= since)
            and (until is None or m.at < until)
        ]

    def ticket_operations(self, ticket_id: str) -> list[Operation]:
        return [op for op in self._operations if op.ticket_id == ticket_id]

    def shift_operations(self, shift_id: str) -> list[Operation]:
        return [op for op in self._operations if op.shift_id == shift_id]

    def _tickets_by_time(self) -> list[Ticket]:
        return sorted(self._tickets.values(), key=lambda t: (t.created_at, t.id))

    # -- writes: none -----------------------------------------------------------------------

    async def begin(self, operation: Operation) -> None:
        raise InvalidInputError(READ_ONLY_TEXT)

    async def update(self, operation: Operation, detail: str | None = None) -> None:
        raise InvalidInputError(READ_ONLY_TEXT)

    async def record_state(self, operation: Operation, state: PaymentState) -> None:
        raise InvalidInputError(READ_ONLY_TEXT)

    async def add_ticket(self, ticket: Ticket) -> None:
        raise InvalidInputError(READ_ONLY_TEXT)

    async def set_ticket_status(
        self,
        ticket_id: str,
        status: TicketStatus,
        *,
        at: datetime,
        cancelled_by: str | None = None,
    ) -> None:
        raise InvalidInputError(READ_ONLY_TEXT)

    async def add_cash_movement(
        self, movement: CashMovement, *, complete_ticket: bool = False
    ) -> None:
        raise InvalidInputError(READ_ONLY_TEXT)

    async def add_shift(self, shift: Shift) -> None:
        raise InvalidInputError(READ_ONLY_TEXT)

    async def close_shift(self, shift: Shift) -> None:
        raise InvalidInputError(READ_ONLY_TEXT)


def _takes(op: Operation, query: HistoryQuery) -> bool:
    """The journal's filters but `text` (matched before), on one operation."""
    if query.since is not None and op.created_at < query.since:
        return False
    if query.until is not None and op.created_at >= query.until:
        return False
    if query.amount_cents is not None and op.amount_cents != query.amount_cents:
        return False
    if query.card_last4 is not None and op.card_last4 != query.card_last4:
        return False
    if query.statuses and op.status not in query.statuses:
        return False
    if query.kinds and op.kind.value not in query.kinds:
        return False
    person = (query.person or "").strip().casefold()
    return not person or person in {
        (name or "").strip().casefold() for name in (op.served_by, op.approved_by)
    }
