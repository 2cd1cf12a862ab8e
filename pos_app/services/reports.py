"""Receipts and the end-of-day report, over the journal and JustiFi's list of payments.

`ReceiptService` builds receipts from journaled operations (after an approval,
or a reprint from the history) and of sales paid in parts (tickets, with their
cash and card parts from the `TicketStore`). `ReportService.day_report` sums a
day from the journal, adds the drawer's cash from the ticket store, and
reconciles the card figures with the payments JustiFi holds for the same
window, fetched through the `PaymentsSource` port (`pos_app.justifi.payments_list`
implements it).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Final, Protocol

from pos_app.domain.cart import Cart
from pos_app.domain.errors import UserFacingError
from pos_app.domain.payment_flow import PaymentKind, PaymentState
from pos_app.domain.receipt import (
    Receipt,
    ReceiptCopy,
    receipt_from_cash_refund,
    receipt_from_operation,
    receipt_from_ticket,
)
from pos_app.domain.report import DayReport, JustifiPayment, build_day_report, day_window
from pos_app.domain.tender import TicketPayments
from pos_app.domain.tickets import CashMovement, CashMovementKind, Ticket
from pos_app.services.ports import (
    GatewayConfigError,
    GatewayRefusedError,
    GatewayUnavailableError,
    HistoryQuery,
    Journal,
    Operation,
    TicketStore,
)
from pos_app.services.sales import tender_parts

__all__ = ["PaymentsSource", "ReceiptService", "ReportService", "ReportSettings"]

log = logging.getLogger("pos_app.services.reports")

_PAGE: Final = 1000  # journal rows per history query


class PaymentsSource(Protocol):
    """JustiFi's payments, as reconciliation needs them."""

    async def payments_between(
        self, created_after: datetime, created_before: datetime
    ) -> Sequence[JustifiPayment]:
        """Every payment created in the window (both ends included), all pages."""
        ...

    async def payment(self, payment_id: str) -> JustifiPayment | None:
        """One payment, or None when JustiFi does not know it."""
        ...


class ReceiptService:
    """Receipts of journaled operations and of sales paid in parts, with the store's
    header lines.

    `tickets` is where sales (tickets) and their cash parts are kept (the journal
    itself, on a lane); None on a journal from before tickets: every receipt is
    then an operation's.
    """

    def __init__(
        self,
        journal: Journal,
        header: Sequence[str] = (),
        *,
        tz: tzinfo | None = None,
        currency: str = "usd",
        tickets: TicketStore | None = None,
    ) -> None:
        self.journal = journal
        self.header = tuple(header)
        self.tz = tz
        self.currency = currency
        self.tickets = tickets

    def for_ticket(
        self, ticket_id: str, copy: ReceiptCopy = ReceiptCopy.CUSTOMER
    ) -> Receipt | None:
        """The receipt of a sale with every part paid towards it; None for an unknown
        sale (or without a ticket store)."""
        store = self.tickets
        ticket = store.ticket(ticket_id) if store is not None else None
        if ticket is None:
            return None
        return receipt_from_ticket(
            ticket,
            self.payments(ticket),
            header=self.header,
            copy=copy,
            tz=self.tz,
            currency=self.currency,
        )

    def for_cash_refund(
        self, movement: CashMovement, copy: ReceiptCopy = ReceiptCopy.CUSTOMER
    ) -> Receipt | None:
        """The receipt of cash refunded from the drawer (a REFUND movement), naming its
        sale when the store knows it; None for any other movement."""
        if movement.kind is not CashMovementKind.REFUND:
            return None
        store = self.tickets
        ticket = store.ticket(movement.ticket_id) if store and movement.ticket_id else None
        return receipt_from_cash_refund(
            movement, ticket, header=self.header, copy=copy, tz=self.tz, currency=self.currency
        )

    def payments(self, ticket: Ticket) -> TicketPayments:
        """A sale's parts as the store has them: cash movements and approved card charges,
        with what has been given back of each."""
        store = self.tickets
        if store is None:
            return TicketPayments(ticket.total_cents)
        # The sale service's own reading, so a receipt and the till never disagree.
        return tender_parts(
            ticket,
            store.cash_movements(ticket_id=ticket.id),
            store.ticket_operations(ticket.id),
        )

    def for_operation(
        self,
        operation: Operation,
        copy: ReceiptCopy = ReceiptCopy.CUSTOMER,
        cart: Cart | None = None,
    ) -> Receipt:
        """The receipt of an operation at hand (`cart`: the sale's cart, for its lines)."""
        return receipt_from_operation(
            operation,
            header=self.header,
            copy=copy,
            cart=cart,
            tz=self.tz,
            currency=self.currency,
        )

    def receipt(
        self,
        operation_id: str,
        copy: ReceiptCopy = ReceiptCopy.CUSTOMER,
        cart: Cart | None = None,
    ) -> Receipt | None:
        """A reprint from the history; None for an unknown operation. A card part of a
        sale paid in parts reprints as the sale's receipt, with every part."""
        operation = self.journal.get(operation_id)
        return None if operation is None else self._receipt_of(operation, copy, cart)

    def after(self, state: PaymentState, cart: Cart | None = None) -> Receipt | None:
        """The receipt to offer after the payment dialog ended in `state` (for a card part
        of a sale paid in parts: the sale's receipt, with every part so far)."""
        operation = self._operation_of(state)
        return (
            None if operation is None else self._receipt_of(operation, ReceiptCopy.CUSTOMER, cart)
        )

    def _receipt_of(self, operation: Operation, copy: ReceiptCopy, cart: Cart | None) -> Receipt:
        if operation.kind is PaymentKind.CHARGE and operation.ticket_id:
            receipt = self.for_ticket(operation.ticket_id, copy)
            if receipt is not None:
                return receipt
        return self.for_operation(operation, copy, cart)

    def _operation_of(self, state: PaymentState) -> Operation | None:
        if state.kind is PaymentKind.REFUND and state.refund_id:
            return self.journal.find_by_justifi_id(state.refund_id)
        if state.kind is PaymentKind.VOID and state.payment_id:
            voids = self.journal.history(
                HistoryQuery(kinds=(PaymentKind.VOID.value,), text=state.payment_id, limit=1)
            )
            return voids[0] if voids else None
        some_id = state.payment_id or state.intent_id
        return self.journal.find_by_justifi_id(some_id) if some_id else None


@dataclass(frozen=True)
class ReportSettings:
    """How the report reads the day.

    `margin` widens the window on both sides for matching: a sale started just
    before midnight may have its payment created just after it.
    """

    tz: tzinfo | None = None  # the store's time zone; None: this computer's
    currency: str = "usd"
    margin: timedelta = timedelta(minutes=30)


class ReportService:
    """The end-of-day report: the journal's day and the drawer's cash, with the card
    figures reconciled with JustiFi's payments.

    `audit_head` gives the audit chain's head to print on every report
    (`AuditHead.short`, e.g. from `ManagerService.audit_head`); None: no line.
    `tickets` is where the sales and the drawer's cash movements are kept (the
    journal itself, on a lane); None: the report has no cash figures.
    """

    def __init__(
        self,
        journal: Journal,
        payments: PaymentsSource | None,
        settings: ReportSettings | None = None,
        *,
        audit_head: Callable[[], str | None] | None = None,
        tickets: TicketStore | None = None,
    ) -> None:
        self.journal = journal
        self.payments = payments
        self.settings = settings or ReportSettings()
        self._audit_head = audit_head
        self.tickets = tickets

    async def day_report(
        self, day: date, lane: str | None = None, *, audit_head: str | None = None
    ) -> DayReport:
        """The report of one local day, for one lane or (None) every lane.

        When JustiFi cannot be reached, the report still sums the journal but is
        marked not checked (`justifi_checked` False): nothing is reconciled.
        `audit_head` (else the constructor's provider) is printed on the report.
        Cash (the drawer's movements, counted in the lane of their shift) never
        reaches JustiFi: it is summed, not reconciled.
        """
        settings = self.settings
        start, end = day_window(day, settings.tz)
        operations = self._history(start - settings.margin, end + settings.margin)
        operations += self._related(operations)
        payments: list[JustifiPayment] | None = None
        if self.payments is not None:
            try:
                payments = await self._justifi(operations, start, end)
            except (GatewayUnavailableError, GatewayConfigError, GatewayRefusedError) as exc:
                log.warning("end-of-day report: JustiFi's payments not available: %s", exc)
                payments = None
        if payments is not None:
            operations += self._found_by_payment(operations, payments)
        movements, shift_lanes, tickets = self._cash(start - settings.margin, end + settings.margin)
        return build_day_report(
            day,
            operations,
            payments,
            lanes=None if lane is None else (lane,),
            tz=settings.tz,
            currency=settings.currency,
            audit_head=audit_head if audit_head is not None else self._head(),
            movements=movements,
            shift_lanes=shift_lanes,
            tickets=tickets,
        )

    def _cash(
        self, since: datetime, until: datetime
    ) -> tuple[list[CashMovement] | None, dict[str, str], list[Ticket]]:
        """The drawer's movements in the window, their shifts' lanes, and the sales."""
        store = self.tickets
        if store is None:
            return None, {}, []
        movements = store.cash_movements(since=since, until=until)
        lanes: dict[str, str] = {}
        for shift_id in sorted({movement.shift_id for movement in movements}):
            shift = store.shift(shift_id)
            if shift is not None:
                lanes[shift_id] = shift.lane
        return movements, lanes, store.tickets_between(since, until)

    def _head(self) -> str | None:
        """The provider's audit head; None (no line, logged) when the audit log fails."""
        if self._audit_head is None:
            return None
        try:
            return self._audit_head()
        except (UserFacingError, sqlite3.Error, OSError) as exc:
            log.warning("end-of-day report: the audit head is not available: %s", exc)
            return None

    def _history(self, since: datetime, until: datetime) -> list[Operation]:
        found: list[Operation] = []
        while True:
            page = self.journal.history(
                HistoryQuery(since=since, until=until, limit=_PAGE, offset=len(found))
            )
            found += page
            if len(page) < _PAGE:
                return found

    def _related(self, operations: Sequence[Operation]) -> list[Operation]:
        """Every journaled operation on the payments of `operations` (refunds on later days)."""
        known = {op.id for op in operations}
        payment_ids = sorted({op.payment_id for op in operations if op.payment_id})
        related: list[Operation] = []
        for payment_id in payment_ids:
            for op in self.journal.history(HistoryQuery(text=payment_id, limit=_PAGE)):
                if op.id not in known and op.payment_id == payment_id:
                    known.add(op.id)
                    related.append(op)
        return related

    async def _justifi(
        self, operations: Sequence[Operation], start: datetime, end: datetime
    ) -> list[JustifiPayment]:
        assert self.payments is not None
        margin = self.settings.margin
        payments = list(await self.payments.payments_between(start - margin, end + margin))
        listed = {p.id for p in payments}
        # Payments the day's operations refer to but created outside the window
        # (a refund today of last week's sale): asked for one by one.
        wanted = sorted(
            {
                op.payment_id
                for op in operations
                if op.payment_id and op.payment_id not in listed and start <= op.created_at < end
            }
        )
        for payment_id in wanted:
            payment = await self.payments.payment(payment_id)
            if payment is not None:
                payments.append(payment)
        return payments

    def _found_by_payment(
        self, operations: Sequence[Operation], payments: Sequence[JustifiPayment]
    ) -> list[Operation]:
        """Charges of JustiFi's payments that the window's history missed (clock skew)."""
        known_ids = {op.id for op in operations}
        referred = {op.payment_id for op in operations} | {op.sale_id for op in operations}
        found: list[Operation] = []
        for payment in payments:
            if payment.id in referred or (payment.sale_id and payment.sale_id in referred):
                continue
            op = self.journal.find_by_justifi_id(payment.id)
            if op is None and payment.sale_id:
                op = self.journal.find_by_justifi_id(payment.sale_id)
            if op is not None and op.id not in known_ids:
                known_ids.add(op.id)
                found.append(op)
        return found
