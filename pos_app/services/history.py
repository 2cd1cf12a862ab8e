"""The manager's history: this lane's journal merged with what JustiFi holds.

The journal answers fast and pages (indexes on time, amount, last four and
status), so 100,000 sales open at once. JustiFi's own list of payments for the
same window adds the sales this lane never journaled (rung on another lane, or
through another tool); those rows say so. The drawer's cash is in the history
too: a sale's cash part ("Cash sale"), cash refunded ("Cash refund") and cash
returned when a partly paid sale was cancelled are rows read from the ticket
store (the journal itself, on a lane) for the same filters. A row's details
(refundable amount, the state changes, the audit entries and, for a row of a
sale rung up as a ticket, the whole sale: its lines, its tender parts and what
went back by tender) are fetched only when it is selected.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, Protocol, cast

from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.tender import TicketPayments
from pos_app.domain.tickets import CashMovement, CashMovementKind, Ticket
from pos_app.services.audit_log import AuditEntry, AuditQuery
from pos_app.services.manager import ManagerService
from pos_app.services.ports import (
    GatewayConfigError,
    GatewayRefusedError,
    GatewayUnavailableError,
    HistoryQuery,
    Journal,
    JournalEntry,
    Operation,
    PaymentDetails,
    TicketStore,
)
from pos_app.services.ticket_parts import tender_parts

# The kinds of the drawer's rows (beside the journal's charge, refund and void).
CASH_SALE: Final = "cash_sale"
CASH_REFUND: Final = "cash_refund"
CASH_RETURNED: Final = "cash_returned"  # a partly paid sale cancelled: its cash went back
CASH_KINDS: Final = {
    CashMovementKind.SALE: CASH_SALE,
    CashMovementKind.REFUND: CASH_REFUND,
    CashMovementKind.CANCEL_RETURN: CASH_RETURNED,
}
_CASH_BACK: Final = frozenset({CashMovementKind.REFUND, CashMovementKind.CANCEL_RETURN})
# The kind filter's "Sales" and "Refunds" take the drawer's too.
_KIND_FILTER: Final = {
    PaymentKind.CHARGE.value: CASH_SALE,
    PaymentKind.REFUND.value: CASH_REFUND,
}

# JustiFi's payment statuses, in the words of the history's status filter.
REMOTE_STATUS = {
    "succeeded": "approved",
    "pending": "pending",
    "failed": "declined",
    "canceled": "voided",
    "refunded": "refunded",
    "disputed": "disputed",
}


class RemotePayment(Protocol):
    """A payment as JustiFi lists it (brand and last four only)."""

    @property
    def id(self) -> str: ...
    @property
    def amount_cents(self) -> int: ...
    @property
    def amount_refunded_cents(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> datetime | None: ...
    @property
    def card_brand(self) -> str | None: ...
    @property
    def card_last4(self) -> str | None: ...
    @property
    def sale_id(self) -> str | None: ...
    @property
    def terminal_id(self) -> str | None: ...


class RemotePayments(Protocol):
    """JustiFi's payments of the sub account for a time window."""

    async def payments_between(
        self, created_after: datetime, created_before: datetime
    ) -> Sequence[RemotePayment]:
        """Every payment created in the window, all pages."""
        ...


@dataclass(frozen=True)
class HistoryRow:
    """One line of the history: a journaled operation, or a payment only JustiFi knows."""

    id: str  # the operation id, or the JustiFi payment id of a remote row
    kind: str
    amount_cents: int
    status: str
    created_at: datetime
    lane: str | None
    terminal_id: str | None = None
    description: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    sale_id: str | None = None
    payment_id: str | None = None
    refund_id: str | None = None
    refunded_cents: int = 0
    served_by: str | None = None  # None: no name journaled (or found only at JustiFi)
    approved_by: str | None = None
    operation: Operation | None = None  # None: the drawer's cash, or found only at JustiFi
    ticket_id: str | None = None  # the sale (ticket) it belongs to, when rung up as one
    movement: CashMovement | None = None  # the drawer's cash movement of a cash row

    @property
    def is_remote(self) -> bool:
        """Not in this lane's journal (another lane, or another tool)."""
        return self.operation is None and self.movement is None

    @property
    def is_cash(self) -> bool:
        """Cash into or out of this lane's drawer."""
        return self.movement is not None

    @property
    def is_money_in(self) -> bool:
        """A sale (card or cash): the amount shows without a minus."""
        return self.kind in (PaymentKind.CHARGE.value, CASH_SALE)

    @property
    def payment_ref(self) -> str | None:
        """What JustiFi knows the sale by, for refunds and details."""
        return self.payment_id or self.sale_id

    @classmethod
    def from_operation(cls, op: Operation) -> HistoryRow:
        return cls(
            id=op.id,
            kind=op.kind.value,
            amount_cents=op.amount_cents,
            status=op.status,
            created_at=op.created_at,
            lane=op.lane,
            terminal_id=op.terminal_id,
            description=op.description,
            card_brand=op.card_brand,
            card_last4=op.card_last4,
            sale_id=op.sale_id,
            payment_id=op.payment_id,
            refund_id=op.refund_id,
            served_by=op.served_by,
            approved_by=op.approved_by,
            operation=op,
            ticket_id=op.ticket_id,
        )

    @classmethod
    def from_movement(cls, movement: CashMovement, lane: str | None) -> HistoryRow:
        """A cash row: a sale's cash part, a cash refund, or cash returned on a cancel."""
        return cls(
            id=movement.id,
            kind=CASH_KINDS[movement.kind],
            amount_cents=movement.amount_cents,
            status="approved",
            created_at=movement.at,
            lane=lane,
            description=movement.reason if movement.kind is not CashMovementKind.SALE else None,
            served_by=movement.person,
            approved_by=movement.approved_by,
            ticket_id=movement.ticket_id,
            movement=movement,
        )

    @classmethod
    def from_remote(cls, payment: RemotePayment, fallback_time: datetime) -> HistoryRow:
        return cls(
            id=payment.id,
            kind=PaymentKind.CHARGE.value,
            amount_cents=payment.amount_cents,
            status=REMOTE_STATUS.get(payment.status, payment.status),
            created_at=payment.created_at or fallback_time,
            lane=None,
            terminal_id=payment.terminal_id,
            card_brand=payment.card_brand,
            card_last4=payment.card_last4,
            sale_id=payment.sale_id,
            payment_id=payment.id,
            refunded_cents=payment.amount_refunded_cents,
        )


@dataclass(frozen=True)
class SaleDetails:
    """What the detail pane shows about one row."""

    row: HistoryRow
    payment: PaymentDetails | None  # None: not a card payment JustiFi knows (yet)
    payment_error: str | None = None
    entries: Sequence[JournalEntry] = ()
    refunds: Sequence[Operation] = ()
    audit: Sequence[AuditEntry] = ()
    sale: TicketSale | None = None  # the whole sale, for a row of a ticket


@dataclass(frozen=True)
class TicketSale:
    """A sale rung up as a ticket, as the detail pane shows it: its lines and totals,
    each tender part with what went back from it, and the money given back by tender."""

    ticket: Ticket
    payments: TicketPayments
    cash_back: Sequence[CashMovement] = ()  # cash refunds and cash returned, oldest first
    card_back: Sequence[Operation] = ()  # refunds and voids of its card parts, oldest first


def matches(row: HistoryRow, query: HistoryQuery) -> bool:
    """The journal's filters, applied to a row JustiFi returned."""
    if query.since is not None and row.created_at < query.since:
        return False
    if query.until is not None and row.created_at >= query.until:
        return False
    if query.amount_cents is not None and row.amount_cents != query.amount_cents:
        return False
    if query.card_last4 and row.card_last4 != query.card_last4:
        return False
    if query.statuses and row.status not in query.statuses:
        return False
    if query.kinds and row.kind not in query.kinds:
        return False
    person = (query.person or "").strip().casefold()
    if person and person not in {
        (name or "").strip().casefold() for name in (row.served_by, row.approved_by)
    }:
        return False
    if query.text:
        needle = query.text.casefold()
        haystack = (
            row.id,
            row.sale_id,
            row.payment_id,
            row.description,
            row.terminal_id,
            row.ticket_id,
        )
        if not any(needle in value.casefold() for value in haystack if value):
            return False
    return True


class HistoryService:
    """Pages of the journal, JustiFi's extra sales, and one sale's details."""

    def __init__(
        self,
        journal: Journal,
        remote: RemotePayments | None,
        payment_details: Callable[[str], Awaitable[PaymentDetails]],
        *,
        manager: ManagerService | None = None,
        tickets: TicketStore | None = None,
    ) -> None:
        self.journal = journal
        self.remote = remote
        self._payment_details = payment_details
        self._manager = manager
        # On a lane the journal is the ticket store too (one file): found without wiring.
        self.tickets = tickets if tickets is not None else _ticket_store(journal)
        self._shift_lanes: dict[str, str | None] = {}

    def people(self) -> list[str]:
        """The names the journal knows (who served or approved), for the person filter."""
        return self.journal.people()

    def page(self, query: HistoryQuery, offset: int, limit: int) -> list[HistoryRow]:
        """One page of this lane's journal, newest first."""
        found = self.journal.history(replace(query, offset=offset, limit=limit))
        return [HistoryRow.from_operation(op) for op in found]

    def cash_rows(
        self,
        query: HistoryQuery,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[HistoryRow]:
        """The drawer's rows for the filters (cash sales, cash refunds, cash returned),
        newest first, in [since, until) within the query's dates (the model reads them a
        stretch of time at a time, beside the journal's pages)."""
        store = self.tickets
        if store is None:
            return []
        wanted = _CashFilter.of(query)
        if wanted is None:
            return []
        since = max(filter(None, (since, query.since)), default=None)
        until = min(filter(None, (until, query.until)), default=None)
        if since is not None and until is not None and since >= until:
            return []
        rows = [
            HistoryRow.from_movement(movement, self._lane_of(store, movement.shift_id))
            for movement in store.cash_movements(since=since, until=until)
            if wanted.takes(movement)
        ]
        rows.reverse()
        return rows

    def _lane_of(self, store: TicketStore, shift_id: str) -> str | None:
        if shift_id not in self._shift_lanes:
            shift = store.shift(shift_id)
            self._shift_lanes[shift_id] = shift.lane if shift is not None else None
        return self._shift_lanes[shift_id]

    def ticket_sale(self, ticket_id: str) -> TicketSale | None:
        """The whole sale a row belongs to (None: unknown here, or no ticket store)."""
        store = self.tickets
        ticket = store.ticket(ticket_id) if store is not None else None
        if store is None or ticket is None:
            return None
        movements = store.cash_movements(ticket_id=ticket_id)
        operations = store.ticket_operations(ticket_id)
        back_kinds = (PaymentKind.REFUND, PaymentKind.VOID)
        return TicketSale(
            ticket,
            tender_parts(ticket, movements, operations),
            tuple(m for m in movements if m.kind in _CASH_BACK),
            tuple(op for op in operations if op.kind in back_kinds),
        )

    async def remote_rows(
        self, query: HistoryQuery, since: datetime, until: datetime
    ) -> list[HistoryRow]:
        """JustiFi's payments in [since, until) that this journal does not hold,
        filtered like the journal, newest first. Raises the gateway's errors."""
        if self.remote is None:
            return []
        payments = await self.remote.payments_between(since, until)
        rows = []
        for payment in payments:
            if self.journal.find_by_justifi_id(payment.id) is not None:
                continue
            if payment.sale_id and self.journal.find_by_justifi_id(payment.sale_id) is not None:
                continue
            row = HistoryRow.from_remote(payment, fallback_time=since)
            if matches(row, query):
                rows.append(row)
        rows.sort(key=lambda row: row.created_at, reverse=True)
        return rows

    async def details(self, row: HistoryRow) -> SaleDetails:
        """Refundable amount from JustiFi, the journal's state changes and refunds,
        and the audit entries of the sale."""
        payment: PaymentDetails | None = None
        error: str | None = None
        ref = row.payment_ref
        if ref and row.kind == PaymentKind.CHARGE.value:
            try:
                payment = await self._payment_details(ref)
            except (GatewayUnavailableError, GatewayRefusedError, GatewayConfigError) as exc:
                error = exc.message  # the rest still shows
        entries: Sequence[JournalEntry] = ()
        refunds: list[Operation] = []
        if row.operation is not None:
            entries = self.journal.entries(row.operation.id)
        if row.kind == PaymentKind.CHARGE.value:
            refunds = self._refunds_of(row)
        sale = self.ticket_sale(row.ticket_id) if row.ticket_id else None
        return SaleDetails(row, payment, error, entries, refunds, self._audit_of(row), sale)

    def _audit_of(self, row: HistoryRow) -> list[AuditEntry]:
        """The audit entries about the sale (a manager's eyes only: none when signed out)."""
        if self._manager is None or not self._manager.is_manager():
            return []
        ids = (row.payment_id, row.sale_id, row.ticket_id)
        subjects = {row.id, *(value for value in ids if value)}
        found = {
            entry.seq: entry
            for subject in subjects
            for entry in self._manager.audit_entries(AuditQuery(subject=subject, limit=500))
        }
        return [found[seq] for seq in sorted(found)]

    def _refunds_of(self, row: HistoryRow) -> list[Operation]:
        """This lane's refunds and voids of the payment (they carry its payment id)."""
        if not row.payment_id:
            return []
        kinds = (PaymentKind.REFUND.value, PaymentKind.VOID.value)
        found = self.journal.history(HistoryQuery(kinds=kinds, text=row.payment_id, limit=500))
        return sorted(
            (op for op in found if op.payment_id == row.payment_id), key=lambda op: op.created_at
        )


def _ticket_store(journal: Journal) -> TicketStore | None:
    """The journal when it keeps tickets too (the lane's SQLite journal does)."""
    found = getattr(journal, "cash_movements", None)
    return cast("TicketStore", journal) if callable(found) else None


@dataclass(frozen=True)
class _CashFilter:
    """`matches` for the drawer's movements, checked before any row is made (a month of
    cash is thousands of them): "Sales" and "Refunds" take the drawer's sales and
    refunds too; a cash row is "approved" and has no card. The dates are the store's."""

    kinds: frozenset[str]
    amount_cents: int | None
    person: str
    needle: str

    @classmethod
    def of(cls, query: HistoryQuery) -> _CashFilter | None:
        """The filter, or None when no cash row can match."""
        if query.card_last4 or (query.statuses and "approved" not in query.statuses):
            return None
        kinds = frozenset(CASH_KINDS.values())
        if query.kinds:
            asked = {*query.kinds, *(_KIND_FILTER[k] for k in query.kinds if k in _KIND_FILTER)}
            kinds = kinds & asked
            if not kinds:
                return None
        person = (query.person or "").strip().casefold()
        return cls(kinds, query.amount_cents, person, (query.text or "").casefold())

    def takes(self, movement: CashMovement) -> bool:
        kind = CASH_KINDS.get(movement.kind)
        if kind is None or kind not in self.kinds:
            return False
        if self.amount_cents is not None and movement.amount_cents != self.amount_cents:
            return False
        if self.person and self.person not in {
            (name or "").strip().casefold() for name in (movement.person, movement.approved_by)
        }:
            return False
        if self.needle:
            reason = movement.reason if movement.kind is not CashMovementKind.SALE else None
            haystack = (movement.id, movement.ticket_id, reason)
            return any(self.needle in value.casefold() for value in haystack if value)
        return True
