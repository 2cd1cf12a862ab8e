"""A store's view held in memory (no server), for the window's tests: the operations,
tickets and cash of other lanes, read as `PgStoreView` reads them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.tickets import CashMovement, Ticket
from pos_app.services.history import matches
from pos_app.services.ports import HistoryQuery, JournalEntry, Operation
from pos_app.services.store_ports import (
    StoreDay,
    StoreStatus,
    StoreTicket,
    StoreUnavailableError,
)


@dataclass
class FakeStoreView:
    """Every lane's records as a store would hold them; `down` makes every read fail as
    an unreachable store does."""

    operations: list[Operation] = field(default_factory=list)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    cash: list[tuple[str, CashMovement]] = field(default_factory=list)
    lanes: list[str] = field(default_factory=list)
    down: bool = False
    asked: list[str] = field(default_factory=list)

    def _check(self, what: str) -> None:
        self.asked.append(what)
        if self.down:
            raise StoreUnavailableError("the store's database at store.local cannot be reached")

    async def history(self, query: HistoryQuery, lane: str | None = None) -> list[Operation]:
        from pos_app.services.history import HistoryRow

        self._check("history")
        found = [
            op
            for op in self.operations
            if (lane is None or op.lane == lane) and matches(HistoryRow.from_operation(op), query)
        ]
        found.sort(key=lambda op: op.created_at, reverse=True)
        return found[query.offset : query.offset + query.limit]

    async def cash_history(
        self, query: HistoryQuery, lane: str | None = None
    ) -> list[tuple[str, CashMovement]]:
        self._check("cash_history")
        return [(name, m) for name, m in self.cash if lane is None or name == lane]

    async def entries(self, lane: str, operation_id: str) -> list[JournalEntry]:
        self._check("entries")
        return [
            JournalEntry(op.id, op.created_at, op.status, None)
            for op in self.operations
            if op.id == operation_id and op.lane == lane
        ]

    async def ticket(self, ticket_id: str) -> StoreTicket | None:
        self._check("ticket")
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return None
        charges = {op.payment_id for op in self.operations if op.ticket_id == ticket_id}
        ops = [
            op
            for op in self.operations
            if op.ticket_id == ticket_id
            or (op.kind is not PaymentKind.CHARGE and op.payment_id in charges)
        ]
        cash = [m for _, m in self.cash if m.ticket_id == ticket_id]
        return StoreTicket(ticket.lane, ticket, ops, cash)

    async def operation(self, operation_id: str) -> Operation | None:
        self._check("operation")
        return next((op for op in self.operations if op.id == operation_id), None)

    async def day(self, since: datetime, until: datetime, lane: str | None = None) -> StoreDay:
        raise NotImplementedError

    async def lane_names(self) -> list[str]:
        self._check("lanes")
        return list(self.lanes)

    async def status(self) -> StoreStatus:
        raise NotImplementedError
