"""The manager's history: this lane's journal merged with what JustiFi holds.

The journal answers fast and pages (indexes on time, amount, last four and
status), so 100,000 sales open at once. JustiFi's own list of payments for the
same window adds the sales this lane never journaled (rung on another lane, or
through another tool); those rows say so. A row's details (refundable amount,
the state changes, the audit entries) are fetched only when it is selected.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from pos_app.domain.payment_flow import PaymentKind
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
)

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
    operation: Operation | None = None  # None: found only at JustiFi

    @property
    def is_remote(self) -> bool:
        """Not in this lane's journal (another lane, or another tool)."""
        return self.operation is None

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
        haystack = (row.id, row.sale_id, row.payment_id, row.description, row.terminal_id)
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
    ) -> None:
        self.journal = journal
        self.remote = remote
        self._payment_details = payment_details
        self._manager = manager

    def people(self) -> list[str]:
        """The names the journal knows (who served or approved), for the person filter."""
        return self.journal.people()

    def page(self, query: HistoryQuery, offset: int, limit: int) -> list[HistoryRow]:
        """One page of this lane's journal, newest first."""
        found = self.journal.history(replace(query, offset=offset, limit=limit))
        return [HistoryRow.from_operation(op) for op in found]

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
        return SaleDetails(row, payment, error, entries, refunds, self._audit_of(row))

    def _audit_of(self, row: HistoryRow) -> list[AuditEntry]:
        """The audit entries about the sale (a manager's eyes only: none when signed out)."""
        if self._manager is None or not self._manager.is_manager():
            return []
        subjects = {row.id, *(value for value in (row.payment_id, row.sale_id) if value)}
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
