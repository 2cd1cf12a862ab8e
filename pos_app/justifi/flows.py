"""JustiFi's two ways to sell on a terminal, as classes: payment intents and checkouts.

Each flow knows how its sale is created, found again, sent to a terminal and
read back (an intent's status and `last_error`, or a checkout's
`completions`), and says what it supports (`supports_terminal_refunds`) and
how its sale's id is named, so nobody compares flow names. The settings value
stays the string `payment_flow`; `flow_for(name)` gives its class.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Final

from pos_app.justifi.answers import (
    CHECKOUT_STATUSES,
    COMPLETION_STATUSES,
    INTENT_STATUSES,
    NOT_SENT,
    approved,
    guarded,
    known_status,
    ours,
    outcome_of_error,
)
from pos_app.justifi.client import JustifiClient
from pos_app.justifi.models import Checkout, CheckoutCompletion, PaymentIntent, TerminalPaySession
from pos_app.services.ports import (
    GatewayRefusedError,
    Observation,
    OutcomeKind,
    Readiness,
    SessionRef,
    TerminalInfo,
)

__all__ = ["FLOW_NAMES", "CheckoutFlow", "JustifiFlow", "PaymentIntentFlow", "flow_for"]

TerminalLookup = Callable[[str], Awaitable[TerminalInfo]]


class JustifiFlow(ABC):
    """One JustiFi flow: the `PaymentFlow` port, and how its sales are made and read.

    A flow holds no connection: every call gets the client to use.
    """

    name: str  # the settings value
    sale_id_field: str  # how JustiFi names a sale's id on a payment
    sale_id_prefix: str  # JustiFi's ids of this flow's sales start so
    supports_terminal_refunds: bool

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self))

    def owns(self, sale_id: str) -> bool:
        """Whether `sale_id` is one of this flow's sales (by JustiFi's id prefix)."""
        return sale_id.startswith(self.sale_id_prefix)

    @abstractmethod
    async def create(
        self,
        client: JustifiClient,
        amount_cents: int,
        currency: str,
        description: str | None,
        metadata: Mapping[str, str],
        idempotency_key: str,
    ) -> str:
        """Create the sale; its id."""

    @abstractmethod
    async def page(
        self, client: JustifiClient, cursor: str | None
    ) -> tuple[Sequence[PaymentIntent | Checkout], bool, str | None]:
        """One page of recent sales (newest first), whether there is a next, and its cursor."""

    @abstractmethod
    async def attempts_before_sending(self, client: JustifiClient, sale_id: str) -> int:
        """How many payment attempts the sale already has (so a poll counts only new ones)."""

    @abstractmethod
    async def send(
        self, client: JustifiClient, sale_id: str, terminal_id: str, idempotency_key: str
    ) -> TerminalPaySession:
        """Send the sale to the terminal."""

    @abstractmethod
    async def outcome(self, client: JustifiClient, ref: SessionRef) -> Observation:
        """Poll one attempt on a terminal."""

    @abstractmethod
    async def state(
        self,
        client: JustifiClient,
        sale_id: str,
        terminal_id: str | None,
        terminal_info: TerminalLookup,
    ) -> Observation:
        """The sale's outcome without a session (recovery); CANCELLED `not_sent` if never sent."""

    @abstractmethod
    async def paid(self, client: JustifiClient, sale_id: str) -> str:
        """The id of the sale's successful payment; GatewayRefusedError if it has none."""


class PaymentIntentFlow(JustifiFlow):
    """A payment intent per sale; the terminal pays the intent (refunds on the terminal too)."""

    name = "payment_intent"
    sale_id_field = "payment_intent_id"
    sale_id_prefix = "pi_"
    supports_terminal_refunds = True

    async def create(
        self,
        client: JustifiClient,
        amount_cents: int,
        currency: str,
        description: str | None,
        metadata: Mapping[str, str],
        idempotency_key: str,
    ) -> str:
        intent = await guarded(
            lambda: client.create_payment_intent(
                amount_cents, currency, description, dict(metadata), idempotency_key=idempotency_key
            )
        )
        return intent.id

    async def page(
        self, client: JustifiClient, cursor: str | None
    ) -> tuple[Sequence[PaymentIntent], bool, str | None]:
        intents = await guarded(lambda: client.list_payment_intents(100, cursor))
        return list(intents.items), intents.has_next, intents.next_cursor

    async def attempts_before_sending(self, client: JustifiClient, sale_id: str) -> int:
        return 0  # an intent's attempt is told apart by its terminal session

    async def send(
        self, client: JustifiClient, sale_id: str, terminal_id: str, idempotency_key: str
    ) -> TerminalPaySession:
        return await guarded(
            lambda: client.terminal_pay_intent(
                sale_id, terminal_id, idempotency_key=idempotency_key
            )
        )

    async def outcome(self, client: JustifiClient, ref: SessionRef) -> Observation:
        intent = await guarded(lambda: client.get_payment_intent(ref.sale_id))
        known_status(intent.status, INTENT_STATUSES, optional=False)
        if intent.status == "succeeded":
            return await approved(client, intent.successful_payment_id, intent)
        if intent.status == "canceled":
            return Observation(OutcomeKind.CANCELLED, code="payment_intent_canceled")
        error = intent.last_error
        if intent.status == "requires_payment_method" and error is not None and ours(error, ref):
            return outcome_of_error(error.code, error.message, error.payment_id)
        return Observation(OutcomeKind.PENDING)

    async def state(
        self,
        client: JustifiClient,
        sale_id: str,
        terminal_id: str | None,
        terminal_info: TerminalLookup,
    ) -> Observation:
        intent = await guarded(lambda: client.get_payment_intent(sale_id))
        known_status(intent.status, INTENT_STATUSES, optional=False)
        if intent.status == "succeeded":
            return await approved(client, intent.successful_payment_id, intent)
        if intent.status in ("pending", "requires_capture"):
            return Observation(OutcomeKind.PENDING)
        if intent.status == "canceled":
            return Observation(OutcomeKind.CANCELLED, code="payment_intent_canceled")
        if intent.last_error is not None and intent.last_error.session_type != "refund":
            error = intent.last_error
            return outcome_of_error(error.code, error.message, error.payment_id)
        return Observation(OutcomeKind.CANCELLED, code=NOT_SENT)

    async def paid(self, client: JustifiClient, sale_id: str) -> str:
        intent = await guarded(lambda: client.get_payment_intent(sale_id))
        if not intent.successful_payment_id:
            raise GatewayRefusedError(
                "payment_intent_not_refundable", f"{sale_id} has no successful payment."
            )
        return intent.successful_payment_id


class CheckoutFlow(JustifiFlow):
    """A checkout per sale; the terminal completes it (refunds go to the card only)."""

    name = "checkout"
    sale_id_field = "checkout_id"
    sale_id_prefix = "cho_"
    supports_terminal_refunds = False

    async def create(
        self,
        client: JustifiClient,
        amount_cents: int,
        currency: str,
        description: str | None,
        metadata: Mapping[str, str],
        idempotency_key: str,
    ) -> str:
        checkout = await guarded(
            lambda: client.create_checkout(
                amount_cents, description or "Sale", dict(metadata), idempotency_key=idempotency_key
            )
        )
        return checkout.id

    async def page(
        self, client: JustifiClient, cursor: str | None
    ) -> tuple[Sequence[Checkout], bool, str | None]:
        checkouts = await guarded(lambda: client.list_checkouts(100, cursor))
        return list(checkouts.items), checkouts.has_next, checkouts.next_cursor

    async def attempts_before_sending(self, client: JustifiClient, sale_id: str) -> int:
        checkout = await guarded(lambda: client.get_checkout(sale_id))
        return len(checkout.completions)

    async def send(
        self, client: JustifiClient, sale_id: str, terminal_id: str, idempotency_key: str
    ) -> TerminalPaySession:
        return await guarded(
            lambda: client.terminal_pay_checkout(
                sale_id, terminal_id, idempotency_key=idempotency_key
            )
        )

    async def outcome(self, client: JustifiClient, ref: SessionRef) -> Observation:
        checkout = await guarded(lambda: client.get_checkout(ref.sale_id))
        known_status(checkout.status, CHECKOUT_STATUSES)
        new = checkout.completions[ref.baseline :]
        mine = [c for c in new if c.terminal_session_id in (None, ref.session_id)]
        for completion in mine or new:
            return await _completion_outcome(client, completion)
        if checkout.status == "completed" and checkout.successful_payment_id:
            return await approved(client, checkout.successful_payment_id, None)
        return Observation(OutcomeKind.PENDING)

    async def state(
        self,
        client: JustifiClient,
        sale_id: str,
        terminal_id: str | None,
        terminal_info: TerminalLookup,
    ) -> Observation:
        checkout = await guarded(lambda: client.get_checkout(sale_id))
        if checkout.completions:
            return await _completion_outcome(client, checkout.completions[-1])
        # A checkout has no "pending": a busy terminal may be running it.
        if terminal_id:
            info = await terminal_info(terminal_id)
            if info.readiness is Readiness.BUSY:
                return Observation(OutcomeKind.PENDING)
        return Observation(OutcomeKind.CANCELLED, code=NOT_SENT)

    async def paid(self, client: JustifiClient, sale_id: str) -> str:
        checkout = await guarded(lambda: client.get_checkout(sale_id))
        if not checkout.successful_payment_id:
            raise GatewayRefusedError(
                "checkout_not_refundable", f"{sale_id} has no successful payment."
            )
        return checkout.successful_payment_id


async def _completion_outcome(client: JustifiClient, completion: CheckoutCompletion) -> Observation:
    known_status(completion.status, COMPLETION_STATUSES)
    if completion.status == "succeeded":
        return await approved(client, completion.payment_id, None)
    if completion.status == "failed":
        return outcome_of_error(
            completion.payment_error_code,
            completion.payment_error_description,
            completion.payment_id,
        )
    return Observation(OutcomeKind.PENDING)


FLOWS: Final[tuple[JustifiFlow, ...]] = (PaymentIntentFlow(), CheckoutFlow())
FLOW_NAMES: Final = tuple(flow.name for flow in FLOWS)


def flow_for(name: str) -> JustifiFlow:
    """The flow a `payment_flow` setting names; ValueError for any other name."""
    for flow in FLOWS:
        if flow.name == name:
            return flow
    raise ValueError(f"payment flow must be one of {', '.join(FLOW_NAMES)}")
