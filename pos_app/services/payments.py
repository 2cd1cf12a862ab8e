"""The payment engine: charges, refunds and voids as async streams of states.

Each operation is journaled with its idempotency keys when its run is made,
before the first request leaves, and every state change is recorded.

The rule: from the moment a request that may start a terminal session or move
money has left (POST /terminals/pay or /terminals/refund, a refund to the
card, a void) until JustiFi gives a final answer, nothing ends the operation
but that answer or the deadline (the device's time plus a grace). Every other
failure (a refused token, 403, 404, 5xx, a body that is not JustiFi's, a
status nobody knows, no connection, no answer in time, a bug of ours) is
trouble: journaled and shown as `retrying` with a plain reason, and retried
with the same idempotency keys. Past the deadline the outcome is `unresolved`,
never a decline: the money may have moved, and `recover()` or a "check again"
finds out. JustiFi's own answers still end a run: a decline, a cancel or
timeout on the device, the terminal refusing the session (busy, not
connected), a refund or void refused with an error code.

One retry policy (`_attempts`) serves every step: the transport makes one
attempt per call, the engine shows the trouble at once and backs off from the
poll interval to a cap of about 2 s (or JustiFi's Retry-After), never past
the deadline.
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
from typing import Any, Generic, TypeVar

from pos_app.domain.errors import InvalidInputError
from pos_app.domain.money import Money
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
    GatewayError,
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
# The terminal's own refusals of a session: final, nothing reached the device.
TERMINAL_REFUSALS = frozenset({"terminal_busy", "terminal_not_connected"})


class InvalidRequestError(InvalidInputError):
    """A request the engine refuses before sending anything (a message for the cashier)."""


SLOW_ANSWER = "JustiFi is slow to answer"
INTERNAL_TROUBLE = "an unexpected error in this till (logged)"
INTERNAL_ERROR = "internal_error"


@dataclass(frozen=True)
class EngineSettings:
    """Timing of the engine; config.Settings sets the deadline, tests shrink everything."""

    poll_interval: float = 1.0
    device_timeout: float = 90.0  # the terminal gives up by itself after this
    grace: float = 30.0  # then this long without an answer makes the outcome unresolved
    prepare_timeout: float = 30.0  # creating the sale may take this long before giving up
    retry_pause: float | None = None  # first pause after a failed attempt (poll_interval)
    retry_cap: float = 2.0  # the pause between attempts grows up to this
    slow_after: float = 1.5  # a request unanswered this long shows as trouble meanwhile
    lane: str | None = None

    @property
    def first_pause(self) -> float:
        """The pause after the first failed attempt."""
        return self.retry_pause if self.retry_pause is not None else self.poll_interval

    def pause_after(self, failures: int) -> float:
        """The pause after `failures` failed attempts in a row: grows, then stays at the cap."""
        first = self.first_pause
        return min(max(self.retry_cap, first), first * 2.0 ** max(0, failures - 1))


@dataclass
class _Result(Generic[T]):
    """Where a step that yields events leaves its answer.

    `value`: the call's result. `answer`: an error the caller treats as JustiFi's
    answer (a refusal). Both None: the step gave up (its deadline passed).
    """

    value: T | None = None
    answer: Exception | None = None


class PaymentRun:
    """One operation under way: its journal record, its latest state, and the stream of states.

    The operation is journaled when the run is made (`await engine.charge(...)`),
    before anything is sent, so `state` (``preparing``) can be shown before
    iterating. Iterating yields every
    journaled state in order and always ends with a final state the journal
    holds; it raises nothing but asyncio.CancelledError.
    """

    def __init__(self, run: _Run, states: AsyncIterator[PaymentState]) -> None:
        self._run = run
        self.operation = run.operation
        self.states = states

    @property
    def state(self) -> PaymentState:
        """The latest journaled state."""
        return self._run.state

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
        self.sent = False  # a request that may start a session or move money has left
        self.ref: SessionRef | None = None
        self.logged_bugs: set[type[BaseException]] = set()

    async def apply(self, event: PaymentEvent) -> bool:
        """Step the machine; journal the result; True when the state changed."""
        new = transition(self.state, event)
        if new is self.state or new == self.state:
            return False
        old, self.state = self.state, new
        if new.name is old.name and new.trouble and new.trouble != old.trouble:
            # Still retrying, for another reason: journal the reason too.
            await self.engine.journal.update(self.operation, new.trouble)
        else:
            await self.engine.journal.record_state(self.operation, new)
        return True

    def cancel_wanted(self) -> bool:
        return self.cancel is not None and self.cancel.is_set() and not self.state.cancel_requested

    def expired(self) -> bool:
        return self.engine.monotonic() >= self.deadline

    def note_bug(self, exc: BaseException) -> None:
        """Log an unexpected error with its traceback, once per kind and run."""
        if type(exc) not in self.logged_bugs:
            self.logged_bugs.add(type(exc))
            log.error(
                "unexpected error in operation %s (%s)",
                self.operation.id,
                self.state.name.value,
                exc_info=exc,
            )


Steps = AsyncIterator[PaymentEvent]


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
        """Every terminal with the list's last known status, by name (one request)."""
        terminals = await self.gateway.list_terminals(live=False)
        return sorted(terminals, key=lambda t: (t.name.lower(), t.id))

    async def terminal_status(self, terminal_id: str) -> TerminalInfo:
        """One terminal's live readiness (reaches the device: not for a timer)."""
        return await self.gateway.terminal_info(terminal_id)

    async def identify_terminal(self, terminal_id: str) -> None:
        """Make the device show its name (to find it on the counter)."""
        await self.gateway.identify_terminal(terminal_id)

    @property
    def terminal_refunds(self) -> bool:
        """Whether refunds can go through a terminal (the flow says: payment intents only)."""
        return self.gateway.flow.supports_terminal_refunds

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

    async def charge(
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
        return await self._start(run, self._charge_steps(run))

    async def _start(self, run: _Run, steps: Steps) -> PaymentRun:
        """Journal the operation, then hand out its run (nothing is sent before this returns).

        A journal that cannot take it (another program holding it past the write
        deadline) raises JournalError, an UnavailableError: nothing was sent.
        """
        try:
            await self.journal.begin(run.operation)
        except BaseException:
            await _close(steps)
            raise
        return PaymentRun(run, self._drive(run, steps))

    async def _drive(self, run: _Run, steps: Steps) -> AsyncIterator[PaymentState]:
        """Apply the steps' events, yielding every state change, and always end final."""
        yield run.state
        try:
            async for event in steps:
                if await run.apply(event):
                    yield run.state
                if is_final(run.state):
                    break
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug in the engine never ends a run
            run.note_bug(exc)
        finally:
            await _close(steps)
        if is_final(run.state):
            return
        if not run.sent:
            # Nothing that can start a session or move money has left: nothing charged.
            if await run.apply(SendRefused(INTERNAL_ERROR, None)) or await run.apply(
                DeadlinePassed()
            ):
                yield run.state
            return
        async for state in self._settle_after_bug(run):
            yield state

    async def _settle_after_bug(self, run: _Run) -> AsyncIterator[PaymentState]:
        """After a bug once something was sent: ask JustiFi as recovery does, to the deadline."""
        if await run.apply(TransportTrouble(INTERNAL_TROUBLE)):
            yield run.state
        failures = 0
        while not is_final(run.state) and not run.expired():
            failures += 1
            async for event in self._pause(run, self.settings.pause_after(failures)):
                if await run.apply(event):
                    yield run.state
            try:
                observation = await self._observe_once(run)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - trouble until the deadline
                if not isinstance(exc, GatewayError):
                    run.note_bug(exc)
                continue
            if observation is not None and await self._apply_observation(run, observation):
                yield run.state
        if not is_final(run.state) and await run.apply(DeadlinePassed()):
            yield run.state

    async def _charge_steps(self, run: _Run) -> Steps:
        op = run.operation
        terminal_id = op.terminal_id or ""
        async for event in self._check_terminal(run, terminal_id):
            yield event
        if is_final(run.state):
            return
        created: _Result[str] = _Result()
        create = partial(
            self.gateway.create_sale, op.amount_cents, op.description, op.id, op.create_key
        )
        async for event in self._before_send(run, create, created):
            yield event
        sale_id = created.value
        if sale_id is None:
            return
        op.sale_id = sale_id
        yield IntentCreated(sale_id)
        if run.cancel_wanted():
            yield CancelRequested()
        if run.state.cancel_requested:
            yield CancelledBeforeSend()
            return
        async for event in self._send_and_poll(
            run,
            lambda: self.gateway.send_sale(sale_id, terminal_id, op.send_key),
            self.gateway.sale_outcome,
        ):
            yield event

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
                f"At most {Money(payment.refundable_cents).format()} can be refunded "
                "on this payment."
            )

    async def refund_on_terminal(
        self,
        payment: PaymentDetails,
        amount_cents: int,
        terminal_id: str,
        *,
        cancel: asyncio.Event | None = None,
    ) -> PaymentRun:
        """Refund with the card on the terminal (the customer taps again)."""
        if not self.gateway.flow.supports_terminal_refunds:
            raise InvalidRequestError(
                "Refunds on the terminal need the payment-intent flow; refund to the card."
            )
        self.check_refund(payment, amount_cents)
        op = self._new_operation(
            PaymentKind.REFUND, amount_cents, terminal_id, payment=payment, refund_mode="terminal"
        )
        run = _Run(self, op, initial_state(PaymentKind.REFUND, amount_cents, terminal_id), cancel)
        return await self._start(run, self._terminal_refund_steps(run, payment))

    async def _terminal_refund_steps(self, run: _Run, payment: PaymentDetails) -> Steps:
        op = run.operation
        terminal_id = op.terminal_id or ""
        async for event in self._check_terminal(run, terminal_id):
            yield event
        if is_final(run.state):
            return
        yield IntentCreated(payment.sale_id or payment.payment_id)
        if run.cancel_wanted() or run.state.cancel_requested:
            yield CancelRequested()
            yield CancelledBeforeSend()
            return
        async for event in self._send_and_poll(
            run,
            lambda: self.gateway.send_terminal_refund(
                payment, terminal_id, op.amount_cents, op.send_key
            ),
            self.gateway.terminal_refund_outcome,
        ):
            yield event

    async def refund_to_card(
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
        return await self._direct(
            op, lambda: self.gateway.refund_to_card(payment, amount_cents, reason, op.create_key)
        )

    async def void(self, payment: PaymentDetails) -> PaymentRun:
        """Void a payment (JustiFi allows it within 25 minutes)."""
        if payment.status != "succeeded":
            raise InvalidRequestError("Only an approved payment with no refunds can be voided.")
        op = self._new_operation(PaymentKind.VOID, payment.amount_cents, None, payment=payment)
        return await self._direct(op, lambda: self.gateway.void(payment, op.create_key))

    async def _direct(
        self, op: Operation, call: Callable[[], Awaitable[Observation]]
    ) -> PaymentRun:
        run = _Run(self, op, initial_state(op.kind, op.amount_cents, None), None)
        return await self._start(run, self._direct_steps(run, call))

    async def _direct_steps(self, run: _Run, call: Callable[[], Awaitable[Observation]]) -> Steps:
        op = run.operation
        yield IntentCreated(op.sale_id or op.payment_id or op.id)
        # The same key makes every attempt safe: JustiFi replays the first answer.
        run.sent = True
        yield SentToTerminal()
        answer: _Result[Observation] = _Result()
        async for event in self._attempts(run, call, answer, give_up=run.deadline):
            yield event
        if answer.value is None:
            yield DeadlinePassed()
            return
        event_for = self._observation_event(run, answer.value)
        if event_for is not None:
            yield event_for

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
            flow=self.gateway.flow.name,
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

    async def _check_terminal(self, run: _Run, terminal_id: str) -> Steps:
        """Ends the run `cancelled` when the terminal cannot take a sale now."""
        info: _Result[TerminalInfo] = _Result()
        async for event in self._before_send(
            run, lambda: self.gateway.terminal_info(terminal_id), info
        ):
            yield event
        if info.value is not None and not info.value.is_ready:
            busy = info.value.readiness is Readiness.BUSY
            yield SendRefused("terminal_busy" if busy else "terminal_not_connected", None)

    async def _before_send(
        self, run: _Run, call: Callable[[], Awaitable[T]], result: _Result[T]
    ) -> Steps:
        """A step before anything can reach a terminal, into `result`.

        Connection trouble is retried (and shown) for the prepare timeout, then the
        run ends `cancelled` (justifi_unreachable). JustiFi refusing (credentials,
        an unknown terminal, a bad request) or a bug here ends it `cancelled` at
        once: nothing was charged. `result.value` stays None then.
        """
        give_up = self.monotonic() + self.settings.prepare_timeout
        async for event in self._attempts(
            run, call, result, give_up=give_up, is_answer=_refusal_before_send
        ):
            yield event
        if result.value is not None:
            return
        exc = result.answer
        if exc is None:
            yield SendRefused(UNREACHABLE, None)
        elif isinstance(exc, GatewayConfigError):
            yield SendRefused(AUTH_FAILED, None)
        elif isinstance(exc, TerminalRefusedError | GatewayRefusedError):
            yield SendRefused(exc.code, exc.message)
        else:
            run.note_bug(exc)
            yield SendRefused(INTERNAL_ERROR, None)

    async def _attempts(
        self,
        run: _Run,
        call: Callable[[], Awaitable[T]],
        result: _Result[T],
        *,
        give_up: float,
        is_answer: Callable[[Exception], bool] = lambda exc: False,
    ) -> Steps:
        """The one retry policy: call until an answer, every failure shown as trouble.

        Each attempt is one request (the transport does not retry). A failure that
        `is_answer` does not claim is trouble: journaled and shown as `retrying`
        with its reason at once, then retried after a pause that starts at the
        poll interval and grows to a cap (or JustiFi's Retry-After), never past
        `give_up`. A request unanswered for `slow_after` shows as trouble while it
        runs. Success sets `result.value` and clears the trouble; an answer sets
        `result.answer`; past `give_up` both stay None.
        """
        failures = 0
        while True:
            outcome: _Result[T] = _Result()
            async for event in self._attempt(run, call, outcome):
                yield event
            if outcome.answer is None:
                result.value = outcome.value
                yield TransportRecovered()
                return
            exc = outcome.answer
            if is_answer(exc):
                result.answer = exc
                return
            if not isinstance(exc, GatewayError):
                run.note_bug(exc)
            failures += 1
            yield TransportTrouble(_trouble(exc))
            left = give_up - self.monotonic()
            if left <= 0:
                return
            pause = self.settings.pause_after(failures)
            retry_after = getattr(exc, "retry_after", None)
            if isinstance(retry_after, int | float) and retry_after > pause:
                pause = float(retry_after)
            async for event in self._pause(run, min(pause, left)):
                yield event

    async def _attempt(
        self, run: _Run, call: Callable[[], Awaitable[T]], outcome: _Result[T]
    ) -> Steps:
        """One request; meanwhile a cancel request or a slow answer is shown at once.

        Sets `outcome.value`, or `outcome.answer` to the exception it raised.
        """
        task: asyncio.Future[T] = asyncio.ensure_future(call())
        waiter: asyncio.Future[Any] | None = None
        slow_shown = False
        try:
            while not task.done():
                if run.cancel_wanted():
                    yield CancelRequested()
                waiting: set[asyncio.Future[Any]] = {task}
                if run.cancel is not None and not run.cancel.is_set():
                    if waiter is None:
                        waiter = asyncio.ensure_future(run.cancel.wait())
                    waiting.add(waiter)
                timeout = None if slow_shown else self.settings.slow_after
                done, _ = await asyncio.wait(
                    waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if not done and not slow_shown:
                    slow_shown = True
                    yield TransportTrouble(SLOW_ANSWER)
        finally:
            if waiter is not None:
                waiter.cancel()
            if not task.done():
                task.cancel()
        try:
            outcome.value = task.result()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the caller sorts answers from trouble
            outcome.answer = exc

    async def _pause(self, run: _Run, seconds: float) -> Steps:
        """Wait, but wake at once for a cancel request (and yield it)."""
        if run.cancel_wanted():
            yield CancelRequested()
        if run.cancel is None or run.state.cancel_requested:
            await self.sleep(seconds)
            return
        sleeper = asyncio.ensure_future(self.sleep(seconds))
        waiter = asyncio.ensure_future(run.cancel.wait())
        try:
            await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waiter.cancel()
        if run.cancel_wanted():
            yield CancelRequested()

    async def _send_and_poll(
        self,
        run: _Run,
        send: Callable[[], Awaitable[SessionRef]],
        poll: Callable[[SessionRef], Awaitable[Observation]],
    ) -> Steps:
        op = run.operation
        sent: _Result[SessionRef] = _Result()
        # From here the request may start a session: only JustiFi's answer or the
        # deadline ends the run. The same send key makes a resend safe.
        run.sent = True
        async for event in self._attempts(
            run, send, sent, give_up=run.deadline, is_answer=_terminal_refused
        ):
            yield event
        if isinstance(sent.answer, TerminalRefusedError):
            yield SendRefused(sent.answer.code, sent.answer.message)
            return
        ref = sent.value
        if ref is None:
            yield DeadlinePassed()
            return
        op.session_id = ref.session_id
        run.ref = ref
        yield SentToTerminal()
        async for event in self._poll(run, ref, poll):
            yield event

    async def _poll(
        self, run: _Run, ref: SessionRef, poll: Callable[[SessionRef], Awaitable[Observation]]
    ) -> Steps:
        while not is_final(run.state):
            async for event in self._pause(run, self.settings.poll_interval):
                yield event
            observation: _Result[Observation] = _Result()
            async for event in self._attempts(
                run, lambda: poll(ref), observation, give_up=run.deadline
            ):
                yield event
            if observation.value is not None:
                event_for = self._observation_event(run, observation.value)
                if event_for is not None:
                    yield event_for
                    continue
            if run.expired():
                yield DeadlinePassed()

    def _observation_event(self, run: _Run, observation: Observation) -> PaymentEvent | None:
        event = _event_for(observation)
        if event is not None and observation.refund_id:
            run.operation.refund_id = observation.refund_id
        return event

    async def _apply_observation(self, run: _Run, observation: Observation) -> bool:
        event = self._observation_event(run, observation)
        return event is not None and await run.apply(event)

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
        except asyncio.CancelledError:
            raise
        except GatewayError as exc:
            log.warning("recovery of %s could not settle it: %s", op.id, _trouble(exc))
        except Exception as exc:  # noqa: BLE001 - a bug must not stop the others' recovery
            run.note_bug(exc)
        if not is_final(run.state) or run.state.name is StateName.UNRESOLVED:
            await run.apply(DeadlinePassed())
        return run.state

    async def _observe_once(self, run: _Run) -> Observation | None:
        """One look at JustiFi for a run whose steps broke (None: nothing to ask yet)."""
        op = run.operation
        if run.ref is not None:
            if op.kind is PaymentKind.CHARGE:
                return await self.gateway.sale_outcome(run.ref)
            return await self.gateway.terminal_refund_outcome(run.ref)
        if op.kind is PaymentKind.CHARGE and op.sale_id:
            observation = await self.gateway.sale_state(op.sale_id, op.terminal_id)
            return None if observation.code == NOT_SENT else observation
        if op.payment_id and op.refund_mode != "terminal":
            payment = await self.gateway.payment_details(op.payment_id)
            if op.kind is PaymentKind.VOID:
                return await self.gateway.void(payment, op.create_key)
            return await self.gateway.refund_to_card(
                payment, op.amount_cents, op.reason, op.create_key
            )
        return None

    async def _reconcile_charge(self, run: _Run) -> None:
        op = run.operation
        sale_id = op.sale_id or await self.gateway.find_sale(op.id)
        if sale_id is None:
            await run.apply(SendRefused(NOT_SENT, None))
            return
        op.sale_id = sale_id
        while True:
            observation = await self.gateway.sale_state(sale_id, op.terminal_id)
            if observation.kind is not OutcomeKind.PENDING:
                if observation.kind is OutcomeKind.CANCELLED and observation.code == NOT_SENT:
                    await run.apply(SendRefused(NOT_SENT, None))
                else:
                    await self._apply_observation(run, observation)
                return
            if run.expired():
                return
            await self.sleep(self.settings.poll_interval)

    async def _reconcile_terminal_refund(self, run: _Run) -> None:
        op = run.operation
        if op.payment_id is None:
            await run.apply(SendRefused(NOT_SENT, None))
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
                if await self._apply_observation(run, observation) or (
                    observation.kind is not OutcomeKind.PENDING
                ):
                    return
                await self.sleep(self.settings.poll_interval)
            return
        found = await self.gateway.find_refund(op.payment_id, op.amount_cents, op.created_at)
        if found is not None:
            await self._apply_observation(run, found)
        else:
            await run.apply(SendRefused(NOT_SENT, None))

    async def _reconcile_direct(self, run: _Run) -> None:
        op = run.operation
        if op.payment_id is None:
            await run.apply(SendRefused(NOT_SENT, None))
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
        await self._apply_observation(run, observation)


def _trouble(exc: BaseException) -> str:
    """The plain reason for a "retrying" line: the gateway's, or ours for a bug."""
    if isinstance(exc, GatewayError):
        return exc.reason.strip()[:200] or "JustiFi could not be reached"
    return INTERNAL_TROUBLE


def _refusal_before_send(exc: Exception) -> bool:
    """Before anything is sent, everything but connection trouble ends the run (cancelled)."""
    return not isinstance(exc, GatewayUnavailableError)


def _terminal_refused(exc: Exception) -> bool:
    """The terminal refusing the session on /terminals/pay: nothing reached the device."""
    return isinstance(exc, TerminalRefusedError) and exc.code in TERMINAL_REFUSALS


async def _close(steps: AsyncIterator[PaymentEvent]) -> None:
    close = getattr(steps, "aclose", None)
    if close is not None:
        await close()


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
