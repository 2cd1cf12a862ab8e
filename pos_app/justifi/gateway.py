"""`PaymentGateway` on JustiFi: terminals, sales through one flow, payments and refunds.

The engine asks the same questions whatever the flow; the flow
(`pos_app.justifi.flows`) knows where its sale keeps the answer, and
`pos_app.justifi.answers` turns JustiFi's errors and statuses into the port's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final, Literal

from pos_app.justifi.answers import (
    REFUND_STATUSES,
    answered,
    guarded,
    known_status,
    ours,
    outcome_of_error,
    readiness,
)
from pos_app.justifi.client import JustifiClient
from pos_app.justifi.flows import FLOWS, JustifiFlow, flow_for
from pos_app.justifi.models import Payment, TerminalPaySession
from pos_app.services.ports import (
    GatewayRefusedError,
    Observation,
    OutcomeKind,
    PaymentDetails,
    SessionRef,
    TerminalInfo,
)

__all__ = ["OPERATION_METADATA_KEY", "JustifiGateway", "answered", "guarded"]

OPERATION_METADATA_KEY: Final = "pos_operation_id"
RECOVERY_SEARCH_PAGES: Final = 4  # how far back (x100 sales) a lost create is looked for
_SENT_MEMORY: Final = 256  # sessions whose baseline is remembered for a resend


def _reason(reason: str | None) -> Literal["duplicate", "fraudulent", "customer_request"] | None:
    if reason == "duplicate":
        return "duplicate"
    if reason == "fraudulent":
        return "fraudulent"
    if reason == "customer_request":
        return "customer_request"
    return None


class JustifiGateway:
    """The engine's port onto JustiFi, for one flow.

    `client` carries the engine's calls (one attempt each: the engine retries).
    `lists`, when given, carries the terminal picker's list and identify calls,
    which have no retry policy of their own (a transport with a small budget).
    """

    def __init__(
        self,
        client: JustifiClient,
        flow: JustifiFlow | str = "payment_intent",
        currency: str = "usd",
        *,
        lists: JustifiClient | None = None,
    ) -> None:
        # A name still works (the settings value); `flow_for` refuses any other.
        self.flow = flow_for(flow) if isinstance(flow, str) else flow
        self.client = client
        self.lists = lists or client
        self.currency = currency
        # idempotency key -> (sent_at, baseline): a resend must not count what the
        # first send already caused (the customer may have tapped in between).
        self._sent: dict[str, tuple[datetime, int]] = {}

    def _remember_send(self, idempotency_key: str, baseline: int) -> tuple[datetime, int]:
        if idempotency_key not in self._sent:
            if len(self._sent) >= _SENT_MEMORY:
                self._sent.pop(next(iter(self._sent)))
            self._sent[idempotency_key] = (datetime.now(UTC), baseline)
        return self._sent[idempotency_key]

    # -- terminals -------------------------------------------------------------------

    async def list_terminals(self, *, live: bool = True) -> Sequence[TerminalInfo]:
        terminals = await guarded(self.lists.list_terminals)
        infos = []
        for terminal in terminals:
            if terminal.status == "archived":
                continue
            if not live:  # the list's last known status (lower case), no device reached
                known = readiness(terminal.status.upper() if terminal.status else None)
                infos.append(
                    TerminalInfo(terminal.id, terminal.display_name, known, terminal.model_name)
                )
                continue
            infos.append(
                await self._info(
                    self.lists, terminal.id, terminal.display_name, terminal.model_name
                )
            )
        return infos

    async def terminal_info(self, terminal_id: str) -> TerminalInfo:
        terminal = await guarded(lambda: self.client.get_terminal(terminal_id))
        return await self._info(
            self.client, terminal.id, terminal.display_name, terminal.model_name
        )

    @staticmethod
    async def _info(
        client: JustifiClient, terminal_id: str, name: str, model: str | None
    ) -> TerminalInfo:
        status = await guarded(lambda: client.terminal_status(terminal_id))
        return TerminalInfo(terminal_id, name, readiness(status.status), model)

    async def identify_terminal(self, terminal_id: str) -> None:
        await guarded(lambda: self.lists.identify_terminal(terminal_id))

    # -- selling ----------------------------------------------------------------------

    async def create_sale(
        self, amount_cents: int, description: str | None, operation_id: str, idempotency_key: str
    ) -> str:
        metadata = {OPERATION_METADATA_KEY: operation_id}
        return await self.flow.create(
            self.client, amount_cents, self.currency, description, metadata, idempotency_key
        )

    async def find_sale(self, operation_id: str) -> str | None:
        cursor: str | None = None
        for _ in range(RECOVERY_SEARCH_PAGES):
            sales, has_next, cursor = await self.flow.page(self.client, cursor)
            for sale in sales:
                if sale.metadata.get(OPERATION_METADATA_KEY) == operation_id:
                    return sale.id
            if not has_next:
                return None
        return None

    async def send_sale(self, sale_id: str, terminal_id: str, idempotency_key: str) -> SessionRef:
        if idempotency_key in self._sent:
            sent_at, baseline = self._sent[idempotency_key]
        else:
            before = await self.flow.attempts_before_sending(self.client, sale_id)
            sent_at, baseline = self._remember_send(idempotency_key, before)
        session = await self.flow.send(self.client, sale_id, terminal_id, idempotency_key)
        return SessionRef(sale_id, terminal_id, session.id, sent_at, baseline)

    async def sale_outcome(self, ref: SessionRef) -> Observation:
        return await self.flow.outcome(self.client, ref)

    async def sale_state(self, sale_id: str, terminal_id: str | None) -> Observation:
        return await self.flow.state(self.client, sale_id, terminal_id, self.terminal_info)

    # -- payments and refunds ---------------------------------------------------------

    async def payment_details(self, payment_or_sale_id: str) -> PaymentDetails:
        some_id = payment_or_sale_id.strip()
        payment_id = some_id
        sale_id: str | None = None
        # A past sale may be of either flow, whatever this lane sells with now.
        for flow in FLOWS:
            if flow.owns(some_id):
                sale_id = some_id
                payment_id = await flow.paid(self.client, some_id)
                break
        payment = await guarded(lambda: self.client.get_payment(payment_id))
        return self._details(payment, sale_id)

    @staticmethod
    def _details(payment: Payment, sale_id: str | None) -> PaymentDetails:
        brand, last4 = payment.brand_last4()
        amount = payment.amount or 0
        refundable = payment.amount_refundable
        if refundable is None:
            refundable = amount - (payment.amount_refunded or 0)
        return PaymentDetails(
            payment_id=payment.id,
            sale_id=sale_id or payment.payment_intent_id or payment.checkout_id,
            amount_cents=amount,
            refundable_cents=refundable
            if payment.status in ("succeeded", "partially_refunded")
            else 0,
            status=payment.status or "unknown",
            created_at=payment.created_at,
            terminal_id=payment.terminal_id,
            card_brand=brand,
            card_last4=last4,
        )

    async def send_terminal_refund(
        self, payment: PaymentDetails, terminal_id: str, amount_cents: int, idempotency_key: str
    ) -> SessionRef:
        sale_id = payment.sale_id or ""
        if not any(flow.supports_terminal_refunds and flow.owns(sale_id) for flow in FLOWS):
            raise GatewayRefusedError(
                "terminal_refund_needs_payment_intent",
                "Refunds on the terminal need a payment intent; refund to the card instead.",
            )
        if idempotency_key in self._sent:
            sent_at, baseline = self._sent[idempotency_key]
        else:
            current = await guarded(lambda: self.client.get_payment(payment.payment_id))
            sent_at, baseline = self._remember_send(idempotency_key, len(current.refunds))
        session: TerminalPaySession = await guarded(
            lambda: self.client.terminal_refund(
                sale_id, terminal_id, amount_cents, idempotency_key=idempotency_key
            )
        )
        return SessionRef(
            sale_id,
            terminal_id,
            session.id,
            sent_at,
            baseline=baseline,
            payment_id=payment.payment_id,
        )

    async def terminal_refund_outcome(self, ref: SessionRef) -> Observation:
        payment = await guarded(lambda: self.client.get_payment(ref.payment_id or ""))
        brand, last4 = payment.brand_last4()
        new = payment.refunds[ref.baseline :]
        for refund in new:
            if refund.terminal_session_id in (None, ref.session_id):
                return Observation(
                    OutcomeKind.APPROVED,
                    payment_id=payment.id,
                    refund_id=refund.id,
                    card_brand=brand,
                    card_last4=last4,
                )
        intent = await guarded(lambda: self.client.get_payment_intent(ref.sale_id))
        error = intent.last_error
        if (
            error is not None
            and error.session_type in (None, "refund")
            and ours(error, ref)
            and (
                error.terminal_session_id == ref.session_id
                or intent.updated_at is None
                or intent.updated_at >= ref.sent_at
            )
        ):
            return outcome_of_error(error.code, error.message)
        return Observation(OutcomeKind.PENDING)

    async def find_refund(
        self, payment_id: str, amount_cents: int, since: datetime
    ) -> Observation | None:
        payment = await guarded(lambda: self.client.get_payment(payment_id))
        brand, last4 = payment.brand_last4()
        for refund in payment.refunds:
            if refund.amount == amount_cents and (
                refund.created_at is None or refund.created_at >= since
            ):
                return Observation(
                    OutcomeKind.APPROVED,
                    payment_id=payment_id,
                    refund_id=refund.id,
                    card_brand=brand,
                    card_last4=last4,
                )
        return None

    async def refund_to_card(
        self, payment: PaymentDetails, amount_cents: int, reason: str | None, idempotency_key: str
    ) -> Observation:
        try:
            refund = await answered(
                lambda: self.client.refund_payment(
                    payment.payment_id,
                    amount_cents,
                    reason=_reason(reason),
                    idempotency_key=idempotency_key,
                )
            )
        except GatewayRefusedError as exc:
            return Observation(
                OutcomeKind.DECLINED,
                payment_id=payment.payment_id,
                code=exc.code,
                message=exc.message,
            )
        known_status(refund.status, REFUND_STATUSES)
        if refund.status == "failed":
            return Observation(
                OutcomeKind.DECLINED,
                payment_id=payment.payment_id,
                refund_id=refund.id,
                code="refund_failed",
            )
        return Observation(
            OutcomeKind.APPROVED,
            payment_id=payment.payment_id,
            refund_id=refund.id,
            card_brand=payment.card_brand,
            card_last4=payment.card_last4,
        )

    async def void(self, payment: PaymentDetails, idempotency_key: str) -> Observation:
        try:
            voided = await answered(
                lambda: self.client.void_payment(
                    payment.payment_id, idempotency_key=idempotency_key
                )
            )
        except GatewayRefusedError as exc:
            return Observation(
                OutcomeKind.DECLINED,
                payment_id=payment.payment_id,
                code=exc.code,
                message=exc.message,
            )
        return Observation(
            OutcomeKind.APPROVED,
            payment_id=voided.id,
            card_brand=payment.card_brand,
            card_last4=payment.card_last4,
        )
