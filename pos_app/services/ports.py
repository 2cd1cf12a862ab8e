"""The ports the payment engine needs: a gateway to JustiFi and a journal.

`pos_app.justifi` implements `PaymentGateway` (both JustiFi flows behind it)
and `pos_app.storage` implements `Journal`. Services see only these types, so
the CLI, the window and the tests share one engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from pos_app.domain.errors import (
    ConfigurationError,
    InvalidInputError,
    UnavailableError,
)
from pos_app.domain.payment_flow import PaymentKind, PaymentState
from pos_app.domain.tickets import CashMovement, Shift, Ticket, TicketStatus


class Readiness(StrEnum):
    """What the terminal picker shows."""

    CONNECTED = "connected"
    BUSY = "busy"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class TerminalInfo:
    """A terminal as the lane sees it."""

    id: str
    name: str
    readiness: Readiness
    model: str | None = None

    @property
    def is_ready(self) -> bool:
        """Only an idle, connected terminal can take a sale."""
        return self.readiness is Readiness.CONNECTED


class OutcomeKind(StrEnum):
    """What a poll of a terminal session found."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


@dataclass(frozen=True)
class Observation:
    """One poll's answer about one terminal session."""

    kind: OutcomeKind
    payment_id: str | None = None
    refund_id: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class SessionRef:
    """What identifies one attempt on a terminal, to tell it from earlier ones."""

    sale_id: str
    terminal_id: str
    session_id: str | None
    sent_at: datetime
    baseline: int = 0  # completions (checkout) or refunds (payment) before sending
    payment_id: str | None = None  # the paid payment, for refunds


@dataclass(frozen=True)
class PaymentDetails:
    """A past payment as refunds need it."""

    payment_id: str
    sale_id: str | None  # payment intent or checkout id
    amount_cents: int
    refundable_cents: int
    status: str
    created_at: datetime | None
    terminal_id: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None


class GatewayError(Exception):
    """Base of the gateway's errors; each kind is also one of `domain.errors`' kinds.

    `reason` is a short plain sentence for a "retrying" line ("JustiFi answered
    HTTP 503", "no answer within 5 s"): never a response body, a token or a secret.
    It is also the `message` a person reads, unless the kind says otherwise.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TerminalRefusedError(GatewayError, UnavailableError):
    """The terminal could not take the sale (not connected, busy, unknown): nothing charged."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class GatewayUnavailableError(GatewayError, UnavailableError):
    """JustiFi could not be reached, or its answer could not be used (the outcome is not known).

    `retry_after`: seconds JustiFi asked to wait (429 Retry-After), when it said.
    """

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class GatewayConfigError(GatewayError, ConfigurationError):
    """The credentials or settings are wrong (JustiFi refused them): fix the setup."""


class GatewayRefusedError(GatewayError, InvalidInputError):
    """JustiFi refused a request for a reason the cashier must hear (code + `message`)."""

    def __init__(self, code: str, message: str, *, reason: str | None = None) -> None:
        super().__init__(reason or f"JustiFi refused the request ({code})")
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


class PaymentFlow(Protocol):
    """One of JustiFi's ways to sell on a terminal, as the engine and the clients see it.

    Callers ask what a flow supports instead of comparing names.
    """

    @property
    def name(self) -> str:
        """The settings value (`payment_flow`) and the journal's `flow` column."""
        ...

    @property
    def supports_terminal_refunds(self) -> bool:
        """Whether a refund can go through a terminal (else only to the card)."""
        ...

    @property
    def sale_id_field(self) -> str:
        """How JustiFi names a sale's id on a payment (`payment_intent_id`, `checkout_id`)."""
        ...


class PaymentGateway(Protocol):
    """JustiFi as the engine needs it; one flow (payment intent or checkout) per instance."""

    @property
    def flow(self) -> PaymentFlow:
        """The flow this gateway sells with."""
        ...

    async def list_terminals(self, *, live: bool = True) -> Sequence[TerminalInfo]:
        """Every terminal with its live readiness (1 + N requests); with `live=False` the
        list's last known status (one request, no device reached)."""
        ...

    async def terminal_info(self, terminal_id: str) -> TerminalInfo:
        """One terminal's live readiness (reaches the device)."""
        ...

    async def identify_terminal(self, terminal_id: str) -> None:
        """Make the device show its name."""
        ...

    async def create_sale(
        self, amount_cents: int, description: str | None, operation_id: str, idempotency_key: str
    ) -> str:
        """Create the payment intent or checkout; returns its id."""
        ...

    async def find_sale(self, operation_id: str) -> str | None:
        """The sale created for an operation whose answer was lost, if it exists."""
        ...

    async def send_sale(self, sale_id: str, terminal_id: str, idempotency_key: str) -> SessionRef:
        """Send the sale to the terminal; TerminalRefusedError if it cannot take it."""
        ...

    async def sale_outcome(self, ref: SessionRef) -> Observation:
        """Poll one payment attempt."""
        ...

    async def sale_state(self, sale_id: str, terminal_id: str | None) -> Observation:
        """The sale's outcome without a session (recovery).

        PENDING while a session may still run; CANCELLED with code `not_sent` when
        nothing ever reached a terminal.
        """
        ...

    async def payment_details(self, payment_or_sale_id: str) -> PaymentDetails:
        """A payment by payment id, payment intent id or checkout id."""
        ...

    async def send_terminal_refund(
        self, payment: PaymentDetails, terminal_id: str, amount_cents: int, idempotency_key: str
    ) -> SessionRef:
        """Start a refund on the terminal (the customer taps again)."""
        ...

    async def terminal_refund_outcome(self, ref: SessionRef) -> Observation:
        """Poll one terminal refund."""
        ...

    async def find_refund(
        self, payment_id: str, amount_cents: int, since: datetime
    ) -> Observation | None:
        """A refund of this amount made on the payment since a time (recovery)."""
        ...

    async def refund_to_card(
        self,
        payment: PaymentDetails,
        amount_cents: int,
        reason: str | None,
        idempotency_key: str,
    ) -> Observation:
        """Refund to the original card (no terminal)."""
        ...

    async def void(self, payment: PaymentDetails, idempotency_key: str) -> Observation:
        """Void a payment within 25 minutes."""
        ...


@dataclass
class Operation:
    """A charge, refund or void as the journal keeps it."""

    id: str
    kind: PaymentKind
    amount_cents: int
    status: str  # a StateName value
    flow: str  # payment_intent | checkout
    terminal_id: str | None = None
    description: str | None = None
    lane: str | None = None
    create_key: str = ""  # Idempotency-Key for creating the sale or the refund/void
    send_key: str = ""  # Idempotency-Key for sending to the terminal
    sale_id: str | None = None
    session_id: str | None = None
    payment_id: str | None = None
    refund_id: str | None = None
    original_id: str | None = None  # refunds and voids: the charge's operation id, if local
    refund_mode: str | None = None  # terminal | card
    reason: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    decline_code: str | None = None
    decline_message: str | None = None
    served_by: str | None = None  # the person working the till (None before named staff)
    approved_by: str | None = None  # refunds and voids: the manager or owner who approved
    ticket_id: str | None = None  # the sale (ticket) this card part pays or gives back
    shift_id: str | None = None  # the shift it belongs to; None: the day's (no shift open)
    created_at: datetime = field(default_factory=lambda: datetime.now().astimezone())
    updated_at: datetime = field(default_factory=lambda: datetime.now().astimezone())


@dataclass(frozen=True)
class HistoryQuery:
    """Filters for the history; every one optional, results newest first."""

    since: datetime | None = None
    until: datetime | None = None
    amount_cents: int | None = None
    card_last4: str | None = None
    statuses: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    text: str | None = None  # in the description or any JustiFi id
    person: str | None = None  # served or approved it: a whole name, any case
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class JournalEntry:
    """One appended state change of an operation."""

    operation_id: str
    at: datetime
    status: str
    detail: str | None


class Journal(Protocol):
    """The crash-safe record of every operation (SQLite in the user data dir).

    Writes are coroutines that never hold the event loop waiting for another
    process's lock; reads are plain calls (they never wait on a writer).
    """

    async def begin(self, operation: Operation) -> None:
        """Record a new operation and its idempotency keys before any request leaves."""
        ...

    async def update(self, operation: Operation, detail: str | None = None) -> None:
        """Save the operation's new fields and append its status with the time."""
        ...

    async def record_state(self, operation: Operation, state: PaymentState) -> None:
        """Copy a state machine state onto the operation and `update` it."""
        ...

    def get(self, operation_id: str) -> Operation | None:
        """One operation."""
        ...

    def unfinished(self) -> list[Operation]:
        """Operations whose status is not final (unresolved included)."""
        ...

    def history(self, query: HistoryQuery) -> list[Operation]:
        """Operations matching the query, newest first."""
        ...

    def entries(self, operation_id: str) -> list[JournalEntry]:
        """The state changes of one operation, oldest first."""
        ...

    def find_by_justifi_id(self, justifi_id: str) -> Operation | None:
        """The charge whose sale, payment or refund has this id."""
        ...

    def people(self) -> list[str]:
        """Every name that served or approved an operation, in its latest spelling,
        sorted case-insensitively (the history's person filter offers them)."""
        ...


class TicketStore(Protocol):
    """Sales (tickets), shifts and the drawer's cash movements, kept in the journal's file.

    `pos_app.storage` implements it (the journal's `SqliteJournal`). Writes are
    coroutines, each one transaction; reads are plain calls. Datetimes come back
    aware, in UTC. Cash movements are append-only.
    """

    async def add_ticket(self, ticket: Ticket) -> None:
        """Record a new ticket with its lines."""
        ...

    async def set_ticket_status(
        self,
        ticket_id: str,
        status: TicketStatus,
        *,
        at: datetime,
        cancelled_by: str | None = None,
    ) -> None:
        """Move a ticket to `status`, keeping who approved a cancel."""
        ...

    async def add_cash_movement(
        self, movement: CashMovement, *, complete_ticket: bool = False
    ) -> None:
        """Append a movement; with `complete_ticket`, set its ticket COMPLETE in the same
        transaction (both are written or neither)."""
        ...

    async def add_shift(self, shift: Shift) -> None:
        """Record an opened shift; InvalidInputError if the lane has one open already."""
        ...

    async def close_shift(self, shift: Shift) -> None:
        """Save a shift's close: closed_at/by, counted, expected and the count."""
        ...

    def ticket(self, ticket_id: str) -> Ticket | None:
        """One ticket with its lines."""
        ...

    def open_tickets(self) -> list[Ticket]:
        """Tickets still OPEN, oldest first."""
        ...

    def tickets_between(self, since: datetime, until: datetime) -> list[Ticket]:
        """Tickets created in [since, until), oldest first."""
        ...

    def shift_tickets(self, shift_id: str) -> list[Ticket]:
        """The tickets of one shift, oldest first."""
        ...

    def current_shift(self, lane: str) -> Shift | None:
        """The lane's open shift, if any."""
        ...

    def shift(self, shift_id: str) -> Shift | None:
        """One shift."""
        ...

    def recent_shifts(self, lane: str, limit: int = 20) -> list[Shift]:
        """The lane's shifts, newest first."""
        ...

    def cash_movements(
        self,
        *,
        shift_id: str | None = None,
        ticket_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[CashMovement]:
        """Cash movements matching every filter given, oldest first."""
        ...

    def ticket_operations(self, ticket_id: str) -> list[Operation]:
        """The journal's operations of one ticket, oldest first."""
        ...

    def shift_operations(self, shift_id: str) -> list[Operation]:
        """The journal's operations of one shift, oldest first."""
        ...
