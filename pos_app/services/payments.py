"""The payment engine: charges, refunds and voids as async streams of states.

Each operation is journaled with its idempotency keys before the first
request leaves, every state change is recorded, and the engine keeps polling
through connection trouble until the device's time is up plus a grace period.
Then the outcome is `unresolved`, never a decline: the money may have moved,
and `recover()` or a "check again" finds out.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Generic, TypeVar

from pos_app.domain.payment_flow import (
    Approved,
    CancelledBeforeSend,
    CancelRequested,
    DeadlinePassed,
    Declined,
    DeviceCancelled,
    DeviceTimedOut,
    IntentCreated,
    PaymentEvent,
    PaymentKind,
    PaymentState,
    SendRefused,
    SentToTerminal,
    StateName,
    TransportRecovered,
    TransportTrouble,
    initial_state,
    is_final,
    transition,
)
from pos_app.services.ports import (
    GatewayConfigError,
    GatewayRefusedError,
    GatewayUnavailableError,
    HistoryQuery,
    Journal,
    Observation,
    Operation,
    OutcomeKind,
    PaymentDetails,
    PaymentGateway,
    Readiness,
    SessionRef,
    TerminalInfo,
    TerminalRefusedError,
)

log = logging.getLogger("pos_app.services.payments")
T = TypeVar("T")

NOT_SENT = "not_sent"
UNREACHABLE = "justifi_unreachable"
AUTH_FAILED = "authentication_failed"


class InvalidRequestError(Exception):
    """A request the engine refuses before sending anything (a message for the cashier)."""


@dataclass(frozen=True)
class EngineSettings:
    """Timing of the engine; tests shrink these."""

    poll_interval: float = 1.0
    device_timeout: float = 90.0  # the terminal gives up by itself after this
    grace: float = 30.0  # then this long without an answer makes the outcome unresolved
    prepare_timeout: float = 30.0  # creating the sale may take this long before giving up
    retry_pause: float = 1.0  # pause between service-level retries of a failed step
    lane: str | None = None


@dataclass
class _Result(Generic[T]):
    """Where a step that yields states leaves its answer."""

    value: T | None = None


@dataclass
class PaymentRun:
    """One operation under way: its journal record and the stream of its states."""

    operation: Operation
    states: AsyncIterator[PaymentState]

    def __aiter__(self) -> AsyncIterator[PaymentState]:
        return self.states


class _Run:
    """One operation's state machine, journal and clock, stepped by the engine."""

    def __init__(
        self,
        engine: PaymentService,
        operation: Operation,
        state: PaymentState,
        cancel: asyncio.Event | None,
    ) -> None:
        self.engine = engine
        self.operation = operation
        self.state = state
        self.cancel = cancel
        self.started = engine.monotonic()
        self.deadline = self.started + engine.settings.device_timeout + engine.settings.grace

    def apply(self, event: PaymentEvent) -> bool:
        """Step the machine; journal the result; True when the state changed."""
        new = transition(self.state, event)
        if new is self.state:
            return False
        self.state = new
        self.engine.journal.record_state(self.operation, new)
        return True

    def cancel_wanted(self) -> bool:
        return self.cancel is not None and self.cancel.is_set() and not self.state.cancel_requested

    def expired(self) -> bool:
        return self.engine.monotonic() >= self.deadline


class PaymentService:
    """Charges, refunds, voids and recovery on one gateway and one journal."""

    def __init__(
        self,
        gateway: PaymentGateway,
        journal: Journal,
        settings: EngineSettings | None = None,
        *,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.gateway = gateway
        self.journal = journal
        self.settings = settings or EngineSettings()
        self.sleep = sleep
        self.monotonic = monotonic

    # -- what the window asks -----------------------------------------------------------

    async def list_terminals(self) -> list[TerminalInfo]:
        """Every terminal with its live readiness, by name."""
        terminals = await self.gateway.list_terminals()
        return sorted(terminals, key=lambda t: (t.name.lower(), t.id))

    async def identify_terminal(self, terminal_id: str) -> None:
        """Make the device show its name (to find it on the counter)."""
        await self.gateway.identify_terminal(terminal_id)

    @property
    def terminal_refunds(self) -> bool:
        """Whether refunds can go through a terminal (the payment-intent flow only)."""
        return self.gateway.flow == "payment_intent"

    def last_sale(self) -> Operation | None:
        """The newest approved charge of this lane's journal."""
        found = self.journal.history(
            HistoryQuery(kinds=(PaymentKind.CHARGE.value,), statuses=("approved",), limit=1)
        )
        return found[0] if found else None

    def unfinished(self) -> list[Operation]:
        """Operations not yet settled (in progress or unresolved)."""
        return self.journal.unfinished()

    # -- charge -------------------------------------------------------------------------

    def charge(
        self,
        amount_cents: int,
        terminal_id: str,
        description: str | None = None,
        *,
        cancel: asyncio.Event | None = None,
    ) -> PaymentRun:
        """Charge on a terminal; iterate the run for every state up to a final one."""
        operation = self._new_operation(
            PaymentKind.CHARGE, amount_cents, terminal_id, description=description
        )
        run = _Run(
            self, operation, initial_state(PaymentKind.CHARGE, amount_cents, terminal_id), cancel
        )
        return PaymentRun(operation, self._begin(run, self._charge_steps(run)))

    async def _begin(
        self, run: _Run, steps: AsyncIterator[PaymentState]
    ) -> AsyncIterator[PaymentState]:
        self.journal.begin(run.operation)
        yield run.state
        async for state in steps:
            yield state

    async def _charge_steps(self, run: _Run) -> AsyncIterator[PaymentState]:
        op = run.operation
        terminal_id = op.terminal_id or ""
        async for state in self._check_terminal(run, terminal_id):
            yield state
        if is_final(run.state):
            return
        created: _Result[str] = _Result()
        create = partial(
            self.gateway.create_sale, op.amount_cents, op.description, op.id, op.create_key
        )
        async for state in self._step(run, create, created):
            yield state
        sale_id = created.value
        if sale_id is None:
            yield run.state
            return
        if run.cancel_wanted():
            run.apply(CancelRequested())
        op.sale_id = sale_id
        run.apply(IntentCreated(sale_id))
        yield run.state
        if run.state.cancel_requested:
            run.apply(CancelledBeforeSend())
            yield run.state
            return
        async for state in self._send_and_poll(
            run,
            lambda: self.gateway.send_sale(sale_id, terminal_id, op.send_key),
            self.gateway.sale_outcome,
        ):
            yield state

    # -- refunds and voids ----------------------------------------------------------------

    async def payment_details(self, payment_or_sale_id: str) -> PaymentDetails:
        """A past payment (to show what can be refunded)."""
        return await self.gateway.payment_details(payment_or_sale_id)

    def check_refund(self, payment: PaymentDetails, amount_cents: int) -> None:
        """Refuse, before any request, a refund the payment cannot take."""
        if amount_cents <= 0:
            raise InvalidRequestError("Enter a refund amount above zero.")
        if payment.refundable_cents <= 0:
            raise InvalidRequestError("Nothing is left to refund on this payment.")
        if amount_cents > payment.refundable_cents:
            raise InvalidRequestError(
                f"At most {payment.refundable_cents / 100:,.2f} can be refunded on this payment."
            )

    def refund_on_terminal(
        self,
        payment: PaymentDetails,
        amount_cents: int,
        terminal_id: str,
        *,
        cancel: asyncio.Event | None = None,
    ) -> PaymentRun:
        """Refund with the card on the terminal (the customer taps again)."""
        if self.gateway.flow == "checkout":
            raise InvalidRequestError(
                "Refunds on the terminal need the payment-intent flow; refund to the card."
            )
        self.check_refund(payment, amount_cents)
        op = self._new_operation(
            PaymentKind.REFUND, amount_cents, terminal_id, payment=payment, refund_mode="terminal"
        )
        run = _Run(self, op, initial_state(PaymentKind.REFUND, amount_cents, terminal_id), cancel)
        return PaymentRun(op, self._begin(run, self._terminal_refund_steps(run, payment)))

    async def _terminal_refund_steps(
        self, run: _Run, payment: PaymentDetails
    ) -> AsyncIterator[PaymentState]:
        op = run.operation
        terminal_id = op.terminal_id or ""
        async for state in self._check_terminal(run, terminal_id):
            yield state
        if is_final(run.state):
            return
        run.apply(IntentCreated(payment.sale_id or payment.payment_id))
        yield run.state
        if run.cancel_wanted():
            run.apply(CancelRequested())
            run.apply(CancelledBeforeSend())
            yield run.state
            return
        async for state in self._send_and_poll(
            run,
            lambda: self.gateway.send_terminal_refund(
                payment, terminal_id, op.amount_cents, op.send_key
            ),
            self.gateway.terminal_refund_outcome,
        ):
            yield state

    def refund_to_card(
        self, payment: PaymentDetails, amount_cents: int, reason: str | None = None
    ) -> PaymentRun:
        """Refund to the original card, no terminal involved."""
        self.check_refund(payment, amount_cents)
        op = self._new_operation(
            PaymentKind.REFUND,
            amount_cents,
            None,
            payment=payment,
            refund_mode="card",
            reason=reason,
        )
        return self._direct(
            op, lambda: self.gateway.refund_to_card(payment, amount_cents, reason, op.create_key)
        )

    def void(self, payment: PaymentDetails) -> PaymentRun:
        """Void a payment (JustiFi allows it within 25 minutes)."""
        if payment.status != "succeeded":
            raise InvalidRequestError("Only an approved payment with no refunds can be voided.")
        op = self._new_operation(PaymentKind.VOID, payment.amount_cents, None, payment=payment)
        return self._direct(op, lambda: self.gateway.void(payment, op.create_key))

    def _direct(self, op: Operation, call: Callable[[], Awaitable[Observation]]) -> PaymentRun:
        run = _Run(self, op, initial_state(op.kind, op.amount_cents, None), None)
        return PaymentRun(op, self._begin(run, self._direct_steps(run, call)))

    async def _direct_steps(
        self, run: _Run, call: Callable[[], Awaitable[Observation]]
    ) -> AsyncIterator[PaymentState]:
        op = run.operation
        run.apply(IntentCreated(op.sale_id or op.payment_id or op.id))
        run.apply(SentToTerminal())
        yield run.state
        while True:
            try:
                observation = await call()
            except GatewayUnavailableError as exc:
                if run.apply(TransportTrouble(_trouble(exc))):
                    yield run.state
                if run.expired():
                    run.apply(DeadlinePassed())
                    yield run.state
                    return
                await self.sleep(self.settings.retry_pause)
                continue
            run.apply(TransportRecovered())
            self._apply_observation(run, observation)
            yield run.state
            return

    # -- shared steps ---------------------------------------------------------------------

    def _new_operation(
        self,
        kind: PaymentKind,
        amount_cents: int,
        terminal_id: str | None,
        *,
        description: str | None = None,
        payment: PaymentDetails | None = None,
        refund_mode: str | None = None,
        reason: str | None = None,
    ) -> Operation:
        original = None
        if payment is not None:
            original = self.journal.find_by_justifi_id(payment.payment_id) or (
                self.journal.find_by_justifi_id(payment.sale_id) if payment.sale_id else None
            )
        return Operation(
            id=str(uuid.uuid4()),
            kind=kind,
            amount_cents=amount_cents,
            status=StateName.PREPARING.value,
            flow=self.gateway.flow,
            terminal_id=terminal_id,
            description=description
            if payment is None
            else (original.description if original else None),
            lane=self.settings.lane,
            create_key=str(uuid.uuid4()),
            send_key=str(uuid.uuid4()),
            sale_id=payment.sale_id if payment else None,
            payment_id=payment.payment_id if payment else None,
            original_id=original.id if original else None,
            refund_mode=refund_mode,
            reason=reason,
            card_brand=payment.card_brand if payment else None,
            card_last4=payment.card_last4 if payment else None,
        )

    async def _check_terminal(self, run: _Run, terminal_id: str) -> AsyncIterator[PaymentState]:
        """Ends the run `cancelled` when the terminal cannot take a sale now."""
        info: _Result[TerminalInfo] = _Result()
        async for state in self._step(run, lambda: self.gateway.terminal_info(terminal_id), info):
            yield state
        if info.value is None:
            yield run.state
        elif not info.value.is_ready:
            busy = info.value.readiness is Readiness.BUSY
            run.apply(SendRefused("terminal_busy" if busy else "terminal_not_connected", None))
            yield run.state

    async def _step(
        self, run: _Run, call: Callable[[], Awaitable[T]], result: _Result[T]
    ) -> AsyncIterator[PaymentState]:
        """Run a step that comes before anything reaches a terminal, into `result`.

        Connection trouble is retried (and shown) for the prepare timeout; a refusal
        ends the run `cancelled`, nothing charged. `result.value` stays None then.
        """
        give_up = self.monotonic() + self.settings.prepare_timeout
        while True:
            try:
                result.value = await call()
            except GatewayUnavailableError as exc:
                if run.apply(TransportTrouble(_trouble(exc))):
                    yield run.state
                if self.monotonic() >= give_up:
                    run.apply(SendRefused(UNREACHABLE, None))
                    return
                await self.sleep(self.settings.retry_pause)
                continue
            except (TerminalRefusedError, GatewayRefusedError) as exc:
                run.apply(SendRefused(exc.code, exc.message))
                return
            except GatewayConfigError:
                # Nothing was sent; journal that before the caller reports the setup error.
                run.apply(SendRefused(AUTH_FAILED, None))
                raise
            if run.apply(TransportRecovered()):
                yield run.state
            return

    async def _send_and_poll(
        self,
        run: _Run,
        send: Callable[[], Awaitable[SessionRef]],
        poll: Callable[[SessionRef], Awaitable[Observation]],
    ) -> AsyncIterator[PaymentState]:
        op = run.operation
        ref: SessionRef | None = None
        # The same send key makes a resend safe: JustiFi replays the first session.
        while ref is None:
            try:
                ref = await send()
            except TerminalRefusedError as exc:
                run.apply(SendRefused(exc.code, exc.message))
                yield run.state
                return
            except GatewayUnavailableError as exc:
                if run.apply(TransportTrouble(_trouble(exc))):
                    yield run.state
                if run.expired():
                    run.apply(DeadlinePassed())
                    yield run.state
                    return
                await self.sleep(self.settings.retry_pause)
        op.session_id = ref.session_id
        run.apply(TransportRecovered())
        run.apply(SentToTerminal())
        yield run.state
        async for state in self._poll(run, ref, poll):
            yield state

    async def _poll(
        self, run: _Run, ref: SessionRef, poll: Callable[[SessionRef], Awaitable[Observation]]
    ) -> AsyncIterator[PaymentState]:
        while not is_final(run.state):
            if run.cancel_wanted() and run.apply(CancelRequested()):
                yield run.state
            await self.sleep(self.settings.poll_interval)
            try:
                observation = await poll(ref)
            except GatewayUnavailableError as exc:
                if run.apply(TransportTrouble(_trouble(exc))):
                    yield run.state
            else:
                if run.apply(TransportRecovered()):
                    yield run.state
                if self._apply_observation(run, observation):
                    yield run.state
                    continue
            if run.expired():
                run.apply(DeadlinePassed())
                yield run.state

    def _apply_observation(self, run: _Run, observation: Observation) -> bool:
        event = _event_for(observation)
        if event is None:
            return False
        if observation.refund_id:
            run.operation.refund_id = observation.refund_id
        return run.apply(event)

    # -- recovery -------------------------------------------------------------------------

    async def check_again(self, operation_id: str) -> PaymentState | None:
        """Ask JustiFi once more about one operation (the "Check again" button)."""
        operation = self.journal.get(operation_id)
        if operation is None:
            return None
        return await self._reconcile(operation)

    async def recover(self) -> list[Operation]:
        """Settle every operation the journal has not seen finish; returns them, updated.

        Afterwards none is left in progress: each is final, or `unresolved` when
        JustiFi could not be reached (to be checked again).
        """
        settled = []
        for operation in self.journal.unfinished():
            await self._reconcile(operation)
            settled.append(self.journal.get(operation.id) or operation)
        return settled

    async def _reconcile(self, op: Operation) -> PaymentState:
        state = _state_of(op)
        run = _Run(self, op, state, None)
        try:
            if op.kind is PaymentKind.CHARGE:
                await self._reconcile_charge(run)
            elif op.refund_mode == "terminal":
                await self._reconcile_terminal_refund(run)
            else:
                await self._reconcile_direct(run)
        except GatewayUnavailableError as exc:
            log.warning("recovery of %s could not reach JustiFi: %s", op.id, _trouble(exc))
        if not is_final(run.state) or run.state.name is StateName.UNRESOLVED:
            run.apply(DeadlinePassed())
        return run.state

    async def _reconcile_charge(self, run: _Run) -> None:
        op = run.operation
        sale_id = op.sale_id or await self.gateway.find_sale(op.id)
        if sale_id is None:
            run.apply(SendRefused(NOT_SENT, None))
            return
        op.sale_id = sale_id
        while True:
            observation = await self.gateway.sale_state(sale_id, op.terminal_id)
            if observation.kind is not OutcomeKind.PENDING:
                if observation.kind is OutcomeKind.CANCELLED and observation.code == NOT_SENT:
                    run.apply(SendRefused(NOT_SENT, None))
                else:
                    self._apply_observation(run, observation)
                return
            if run.expired():
                return
            await self.sleep(self.settings.poll_interval)

    async def _reconcile_terminal_refund(self, run: _Run) -> None:
        op = run.operation
        if op.payment_id is None:
            run.apply(SendRefused(NOT_SENT, None))
            return
        if op.session_id and op.sale_id and op.terminal_id:
            ref = SessionRef(
                op.sale_id,
                op.terminal_id,
                op.session_id,
                op.created_at,
                baseline=0,
                payment_id=op.payment_id,
            )
            while not run.expired():
                observation = await self.gateway.terminal_refund_outcome(ref)
                if self._apply_observation(run, observation) or (
                    observation.kind is not OutcomeKind.PENDING
                ):
                    return
                await self.sleep(self.settings.poll_interval)
            return
        found = await self.gateway.find_refund(op.payment_id, op.amount_cents, op.created_at)
        if found is not None:
            self._apply_observation(run, found)
        else:
            run.apply(SendRefused(NOT_SENT, None))

    async def _reconcile_direct(self, run: _Run) -> None:
        op = run.operation
        if op.payment_id is None:
            run.apply(SendRefused(NOT_SENT, None))
            return
        payment = await self.gateway.payment_details(op.payment_id)
        # The same key replays the first answer if the request got through, or
        # carries out what the manager asked for if it never did.
        if op.kind is PaymentKind.VOID:
            observation = await self.gateway.void(payment, op.create_key)
        else:
            observation = await self.gateway.refund_to_card(
                payment, op.amount_cents, op.reason, op.create_key
            )
        self._apply_observation(run, observation)


def _trouble(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text[:200]


def _event_for(observation: Observation) -> PaymentEvent | None:
    match observation.kind:
        case OutcomeKind.APPROVED:
            return Approved(
                observation.payment_id,
                observation.card_brand,
                observation.card_last4,
                observation.refund_id,
            )
        case OutcomeKind.DECLINED:
            return Declined(observation.code, observation.message)
        case OutcomeKind.CANCELLED:
            return DeviceCancelled()
        case OutcomeKind.TIMED_OUT:
            return DeviceTimedOut()
    return None


def _state_of(op: Operation) -> PaymentState:
    """Rebuild the machine's state from a journaled operation, for recovery.

    What matters is whether anything may have reached a terminal: before a
    confirmed send the state allows "never sent" (cancelled, nothing charged);
    after it only an outcome from JustiFi can settle it.
    """
    state = initial_state(op.kind, op.amount_cents, op.terminal_id)
    direct = op.kind is PaymentKind.VOID or op.refund_mode == "card"
    if op.session_id is None and not direct:
        name = StateName.SENDING if op.sale_id else StateName.PREPARING
    elif op.status == StateName.UNRESOLVED.value:
        name = StateName.UNRESOLVED
    else:
        name = StateName.WAITING
    return replace(
        state,
        name=name,
        intent_id=op.sale_id,
        payment_id=op.payment_id,
        refund_id=op.refund_id,
        card_brand=op.card_brand,
        card_last4=op.card_last4,
    )


def now_utc() -> datetime:
    """The current time, aware."""
    return datetime.now(UTC)
