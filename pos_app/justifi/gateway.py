"""`PaymentGateway` on JustiFi: the payment-intent flow and the checkout flow.

The engine asks the same questions of both flows; this module knows where
each flow keeps the answer (an intent's status and `last_error`, or a
checkout's `completions`) and turns JustiFi's errors into the port's errors.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Literal, TypeVar

from pos_app.justifi.client import JustifiClient
from pos_app.justifi.errors import (
    AuthenticationError,
    ConflictError,
    InvalidRequest,
    JustifiError,
    MalformedResponse,
    NetworkError,
    NotFound,
    PaymentDeclined,
    PermissionDenied,
    TransientError,
    plain_reason,
)
from pos_app.justifi.models import (
    Checkout,
    CheckoutCompletion,
    LastError,
    Payment,
    PaymentIntent,
    TerminalPaySession,
)
from pos_app.services.ports import (
    GatewayConfigError,
    GatewayRefusedError,
    GatewayUnavailableError,
    Observation,
    OutcomeKind,
    PaymentDetails,
    Readiness,
    SessionRef,
    TerminalInfo,
    TerminalRefusedError,
)

T = TypeVar("T")

FLOWS = ("payment_intent", "checkout")
OPERATION_METADATA_KEY = "pos_operation_id"
CANCELED_ON_TERMINAL = "canceled_on_terminal"
TERMINAL_TIMEOUT = "terminal_timeout"
NOT_SENT = "not_sent"
TERMINAL_REFUSALS = ("terminal_not_connected", "terminal_busy")
RECOVERY_SEARCH_PAGES = 4  # how far back (x100 sales) a lost create is looked for
UNKNOWN_STATUS = "JustiFi answered a status this till does not know"
# What each object's `status` may be; anything else is schema drift, not an outcome.
INTENT_STATUSES = frozenset(
    {"requires_payment_method", "pending", "requires_capture", "canceled", "succeeded"}
)
CHECKOUT_STATUSES = frozenset({"created", "attempted", "completed", "expired"})
COMPLETION_STATUSES = frozenset({"succeeded", "failed", "processing"})
REFUND_STATUSES = frozenset({"pending", "succeeded", "failed"})
# 4xx statuses that are not JustiFi's answer to the request itself.
_NOT_AN_ANSWER = frozenset({401, 403, 404, 408, 409, 425, 429})
_SENT_MEMORY = 256  # sessions whose baseline is remembered for a resend


async def guarded(call: Callable[[], Awaitable[T]]) -> T:
    """Run one JustiFi call, turning its errors into the port's (each with a plain reason)."""
    try:
        return await call()
    except (NetworkError, TransientError, MalformedResponse) as exc:
        retry_after = exc.retry_after if isinstance(exc, TransientError) else None
        raise GatewayUnavailableError(plain_reason(exc), retry_after=retry_after) from exc
    except (AuthenticationError, PermissionDenied) as exc:
        raise GatewayConfigError(plain_reason(exc)) from exc
    except ConflictError as exc:
        if exc.code in TERMINAL_REFUSALS:
            raise TerminalRefusedError(exc.code, exc.message) from exc
        raise GatewayUnavailableError(plain_reason(exc)) from exc
    except NotFound as exc:
        if exc.param == "terminal_id" or "terminal" in (exc.message or "").lower():
            raise TerminalRefusedError("terminal_not_found", exc.message) from exc
        raise GatewayRefusedError(
            exc.code or "not_found", exc.message, reason=plain_reason(exc)
        ) from exc
    except (InvalidRequest, PaymentDeclined, JustifiError) as exc:
        raise GatewayRefusedError(
            exc.code or "invalid_request", exc.message, reason=plain_reason(exc)
        ) from exc


async def answered(call: Callable[[], Awaitable[T]]) -> T:
    """Run a call that moves money: only JustiFi's own refusal is an answer.

    A 4xx with a JSON error code (an amount over the refundable one, outside the
    void window) raises GatewayRefusedError. Everything else (401, 403, 404, 409,
    429, 5xx, a body that is not JustiFi's, no answer) raises
    GatewayUnavailableError: the request may have been carried out, so the caller
    asks again with the same idempotency key.
    """
    try:
        return await call()
    except JustifiError as exc:
        status = exc.status
        refused = status is not None and 400 <= status < 500 and status not in _NOT_AN_ANSWER
        if refused and exc.code:
            raise GatewayRefusedError(exc.code, exc.message, reason=plain_reason(exc)) from exc
        retry_after = exc.retry_after if isinstance(exc, TransientError) else None
        raise GatewayUnavailableError(plain_reason(exc), retry_after=retry_after) from exc


def _readiness(live: str | None) -> Readiness:
    if live == "CONNECTED":
        return Readiness.CONNECTED
    if live == "ACTIVE":
        return Readiness.BUSY
    if live in ("DISCONNECTED", "OFFLINE"):
        return Readiness.OFFLINE
    return Readiness.UNKNOWN


def _outcome_of_error(
    code: str | None, message: str | None, payment_id: str | None = None
) -> Observation:
    if code == CANCELED_ON_TERMINAL:
        return Observation(OutcomeKind.CANCELLED, code=code, message=message)
    if code == TERMINAL_TIMEOUT:
        return Observation(OutcomeKind.TIMED_OUT, code=code, message=message)
    return Observation(
        OutcomeKind.DECLINED, payment_id=payment_id, code=code or "card_declined", message=message
    )


def _reason(reason: str | None) -> Literal["duplicate", "fraudulent", "customer_request"] | None:
    if reason == "duplicate":
        return "duplicate"
    if reason == "fraudulent":
        return "fraudulent"
    if reason == "customer_request":
        return "customer_request"
    return None


def _ours(error: LastError, ref: SessionRef) -> bool:
    """Whether an intent's last error is about this attempt and not an earlier one."""
    if error.terminal_session_id and ref.session_id:
        return error.terminal_session_id == ref.session_id
    return error.terminal_id in (None, ref.terminal_id)


class JustifiGateway:
    """The engine's port onto JustiFi, for one flow.

    `client` carries the engine's calls (one attempt each: the engine retries).
    `lists`, when given, carries the terminal picker's list and identify calls,
    which have no retry policy of their own (a transport with a small budget).
    """

    def __init__(
        self,
        client: JustifiClient,
        flow: str = "payment_intent",
        currency: str = "usd",
        *,
        lists: JustifiClient | None = None,
    ) -> None:
        if flow not in FLOWS:
            raise ValueError(f"payment flow must be one of {', '.join(FLOWS)}")
        self.client = client
        self.lists = lists or client
        self.flow = flow
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
                known = _readiness(terminal.status.upper() if terminal.status else None)
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
        return TerminalInfo(terminal_id, name, _readiness(status.status), model)

    async def identify_terminal(self, terminal_id: str) -> None:
        await guarded(lambda: self.lists.identify_terminal(terminal_id))

    # -- selling ----------------------------------------------------------------------

    async def create_sale(
        self, amount_cents: int, description: str | None, operation_id: str, idempotency_key: str
    ) -> str:
        metadata = {OPERATION_METADATA_KEY: operation_id}
        if self.flow == "checkout":
            checkout = await guarded(
                lambda: self.client.create_checkout(
                    amount_cents, description or "Sale", metadata, idempotency_key=idempotency_key
                )
            )
            return checkout.id
        intent = await guarded(
            lambda: self.client.create_payment_intent(
                amount_cents, self.currency, description, metadata, idempotency_key=idempotency_key
            )
        )
        return intent.id

    async def find_sale(self, operation_id: str) -> str | None:
        cursor: str | None = None
        for _ in range(RECOVERY_SEARCH_PAGES):
            sales, has_next, cursor = await self._sales_page(cursor)
            for sale in sales:
                if sale.metadata.get(OPERATION_METADATA_KEY) == operation_id:
                    return sale.id
            if not has_next:
                return None
        return None

    async def _sales_page(
        self, cursor: str | None
    ) -> tuple[list[PaymentIntent] | list[Checkout], bool, str | None]:
        if self.flow == "checkout":
            checkouts = await guarded(lambda: self.client.list_checkouts(100, cursor))
            return list(checkouts.items), checkouts.has_next, checkouts.next_cursor
        intents = await guarded(lambda: self.client.list_payment_intents(100, cursor))
        return list(intents.items), intents.has_next, intents.next_cursor

    async def send_sale(self, sale_id: str, terminal_id: str, idempotency_key: str) -> SessionRef:
        if idempotency_key in self._sent:
            sent_at, baseline = self._sent[idempotency_key]
        elif self.flow == "checkout":
            checkout = await guarded(lambda: self.client.get_checkout(sale_id))
            sent_at, baseline = self._remember_send(idempotency_key, len(checkout.completions))
        else:
            sent_at, baseline = self._remember_send(idempotency_key, 0)
        if self.flow == "checkout":
            session = await guarded(
                lambda: self.client.terminal_pay_checkout(
                    sale_id, terminal_id, idempotency_key=idempotency_key
                )
            )
        else:
            session = await guarded(
                lambda: self.client.terminal_pay_intent(
                    sale_id, terminal_id, idempotency_key=idempotency_key
                )
            )
        return SessionRef(sale_id, terminal_id, session.id, sent_at, baseline)

    async def sale_outcome(self, ref: SessionRef) -> Observation:
        if self.flow == "checkout":
            checkout = await guarded(lambda: self.client.get_checkout(ref.sale_id))
            return await self._checkout_outcome(checkout, ref)
        intent = await guarded(lambda: self.client.get_payment_intent(ref.sale_id))
        _known(intent.status, INTENT_STATUSES, optional=False)
        if intent.status == "succeeded":
            return await self._approved(intent.successful_payment_id, intent)
        if intent.status == "canceled":
            return Observation(OutcomeKind.CANCELLED, code="payment_intent_canceled")
        error = intent.last_error
        if intent.status == "requires_payment_method" and error is not None and _ours(error, ref):
            return _outcome_of_error(error.code, error.message, error.payment_id)
        return Observation(OutcomeKind.PENDING)

    async def _checkout_outcome(self, checkout: Checkout, ref: SessionRef) -> Observation:
        _known(checkout.status, CHECKOUT_STATUSES)
        new = checkout.completions[ref.baseline :]
        mine = [c for c in new if c.terminal_session_id in (None, ref.session_id)]
        for completion in mine or new:
            return await self._completion_outcome(completion)
        if checkout.status == "completed" and checkout.successful_payment_id:
            return await self._approved(checkout.successful_payment_id, None)
        return Observation(OutcomeKind.PENDING)

    async def _completion_outcome(self, completion: CheckoutCompletion) -> Observation:
        _known(completion.status, COMPLETION_STATUSES)
        if completion.status == "succeeded":
            return await self._approved(completion.payment_id, None)
        if completion.status == "failed":
            return _outcome_of_error(
                completion.payment_error_code,
                completion.payment_error_description,
                completion.payment_id,
            )
        return Observation(OutcomeKind.PENDING)

    async def _approved(self, payment_id: str | None, intent: PaymentIntent | None) -> Observation:
        brand, last4 = (None, None)
        if intent is not None and intent.payment_method is not None:
            brand, last4 = intent.payment_method.brand_last4()
        if not payment_id:
            # Success without the payment's id is not an answer this till can book.
            raise GatewayUnavailableError("JustiFi's answer has no payment id")
        if brand is None or last4 is None:
            payment = await guarded(lambda: self.client.get_payment(payment_id))
            brand, last4 = payment.brand_last4()
        return Observation(
            OutcomeKind.APPROVED, payment_id=payment_id, card_brand=brand, card_last4=last4
        )

    async def sale_state(self, sale_id: str, terminal_id: str | None) -> Observation:
        if self.flow == "checkout":
            checkout = await guarded(lambda: self.client.get_checkout(sale_id))
            if checkout.completions:
                return await self._completion_outcome(checkout.completions[-1])
            return await self._maybe_running(terminal_id)
        intent = await guarded(lambda: self.client.get_payment_intent(sale_id))
        _known(intent.status, INTENT_STATUSES, optional=False)
        if intent.status == "succeeded":
            return await self._approved(intent.successful_payment_id, intent)
        if intent.status in ("pending", "requires_capture"):
            return Observation(OutcomeKind.PENDING)
        if intent.status == "canceled":
            return Observation(OutcomeKind.CANCELLED, code="payment_intent_canceled")
        if intent.last_error is not None and intent.last_error.session_type != "refund":
            error = intent.last_error
            return _outcome_of_error(error.code, error.message, error.payment_id)
        return Observation(OutcomeKind.CANCELLED, code=NOT_SENT)

    async def _maybe_running(self, terminal_id: str | None) -> Observation:
        # A checkout has no "pending": a busy terminal may be running it.
        if terminal_id:
            info = await self.terminal_info(terminal_id)
            if info.readiness is Readiness.BUSY:
                return Observation(OutcomeKind.PENDING)
        return Observation(OutcomeKind.CANCELLED, code=NOT_SENT)

    # -- payments and refunds ---------------------------------------------------------

    async def payment_details(self, payment_or_sale_id: str) -> PaymentDetails:
        some_id = payment_or_sale_id.strip()
        payment_id = some_id
        sale_id: str | None = None
        if some_id.startswith("pi_"):
            intent = await guarded(lambda: self.client.get_payment_intent(some_id))
            sale_id = intent.id
            if not intent.successful_payment_id:
                raise GatewayRefusedError(
                    "payment_intent_not_refundable", f"{some_id} has no successful payment."
                )
            payment_id = intent.successful_payment_id
        elif some_id.startswith("cho_"):
            checkout = await guarded(lambda: self.client.get_checkout(some_id))
            sale_id = checkout.id
            if not checkout.successful_payment_id:
                raise GatewayRefusedError(
                    "checkout_not_refundable", f"{some_id} has no successful payment."
                )
            payment_id = checkout.successful_payment_id
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
        if not payment.sale_id or not payment.sale_id.startswith("pi_"):
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
                payment.sale_id or "", terminal_id, amount_cents, idempotency_key=idempotency_key
            )
        )
        return SessionRef(
            payment.sale_id,
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
            and _ours(error, ref)
            and (
                error.terminal_session_id == ref.session_id
                or intent.updated_at is None
                or intent.updated_at >= ref.sent_at
            )
        ):
            return _outcome_of_error(error.code, error.message)
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
        _known(refund.status, REFUND_STATUSES)
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


def _known(status: str | None, known: frozenset[str], *, optional: bool = True) -> None:
    """Refuse a status this till cannot interpret (schema drift): trouble, not an outcome.

    A missing status is allowed where the object says its outcome elsewhere
    (`optional`); an intent's status is its outcome, so it must be there.
    """
    if status is None and optional:
        return
    if status not in known:
        raise GatewayUnavailableError(UNKNOWN_STATUS)
