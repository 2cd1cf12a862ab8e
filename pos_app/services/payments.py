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

One retry policy (`services.retry.attempts`) serves every step: the transport
makes one attempt per call, the engine shows the trouble at once and backs off
from the poll interval to a cap of about 2 s (or JustiFi's Retry-After), never
past the deadline. A run and what it hands out live in `services.payment_run`,
recovery in `services.recovery`.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from functools import partial

from pos_app.domain.errors import InvalidInputError
from pos_app.domain.money import Money
from pos_app.domain.payment_flow import (
    CancelledBeforeSend,
    CancelRequested,
    DeadlinePassed,
    IntentCreated,
    PaymentKind,
    PaymentState,
    SendRefused,
    SentToTerminal,
    StateName,
    TransportTrouble,
    initial_state,
    is_final,
)
from pos_app.services.payment_run import (
    INTERNAL_ERROR,
    INTERNAL_TROUBLE,
    EngineSettings,
    PaymentRun,
    Run,
    StepResult,
    Steps,
    T,
    observation_event,
)
from pos_app.services.ports import (
    GatewayConfigError,
    GatewayRefusedError,
    GatewayUnavailableError,
    HistoryQuery,
    Journal,
    Observation,
    Operation,
    PaymentDetails,
    PaymentGateway,
    Readiness,
    SessionRef,
    TerminalInfo,
    TerminalRefusedError,
)
from pos_app.services.recovery import NOT_SENT, Recovery
from pos_app.services.retry import attempts, pause

__all__ = [
    "AUTH_FAILED",
    "NOT_SENT",
    "TERMINAL_REFUSALS",
    "UNREACHABLE",
    "EngineSettings",
    "InvalidRequestError",
    "PaymentRun",
    "PaymentService",
]

UNREACHABLE = "justifi_unreachable"
AUTH_FAILED = "authentication_failed"
# The terminal's own refusals of a session: final, nothing reached the device.
TERMINAL_REFUSALS = frozenset({"terminal_busy", "terminal_not_connected"})


class InvalidRequestError(InvalidInputError):
    """A request the engine refuses before sending anything (a message for the cashier)."""


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
        open_shift: Callable[[], str | None] | None = None,
    ) -> None:
        self.gateway = gateway
        self.journal = journal
        self.settings = settings or EngineSettings()
        self.sleep = sleep
        self.monotonic = monotonic
        # The lane's open shift, for an operation whose caller named none (a plain charge,
        # a refund from the history): card sales belong to the open shift when there is one.
        self.open_shift = open_shift
        self._recovery = Recovery(self)

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
        served_by: str | None = None,
        ticket_id: str | None = None,
        shift_id: str | None = None,
    ) -> PaymentRun:
        """Charge on a terminal; iterate the run for every state up to a final one.

        `served_by`: the person working the till, journaled with the operation.
        `ticket_id`: the sale this charge is a card part of; `shift_id`: the open shift
        (None: the charge belongs to the day). Both are journaled with the operation.
        """
        operation = self._new_operation(
            PaymentKind.CHARGE,
            amount_cents,
            terminal_id,
            description=description,
            served_by=served_by,
            ticket_id=ticket_id,
            shift_id=shift_id,
        )
        run = Run(
            self, operation, initial_state(PaymentKind.CHARGE, amount_cents, terminal_id), cancel
        )
        return await self._start(run, self._charge_steps(run))

    async def _start(self, run: Run, steps: Steps) -> PaymentRun:
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

    async def _drive(self, run: Run, steps: Steps) -> AsyncIterator[PaymentState]:
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

    async def _settle_after_bug(self, run: Run) -> AsyncIterator[PaymentState]:
        """After a bug once something was sent: poll JustiFi as recovery would, to the deadline.

        The same poll and the same retry policy as a run's own: only the question
        differs (recovery's one look, which needs no session of ours).
        """
        if await run.apply(TransportTrouble(INTERNAL_TROUBLE)):
            yield run.state
        steps = self._poll(run, lambda: self._recovery.observe_once(run))
        try:
            async for event in steps:
                if await run.apply(event):
                    yield run.state
        finally:
            await _close(steps)
        if not is_final(run.state) and await run.apply(DeadlinePassed()):
            yield run.state

    async def _charge_steps(self, run: Run) -> Steps:
        op = run.operation
        terminal_id = op.terminal_id or ""
        async for event in self._check_terminal(run, terminal_id):
            yield event
        if is_final(run.state):
            return
        created: StepResult[str] = StepResult()
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
        served_by: str | None = None,
        approved_by: str | None = None,
        shift_id: str | None = None,
        description: str | None = None,
        ticket_id: str | None = None,
    ) -> PaymentRun:
        """Refund with the card on the terminal (the customer taps again).

        `served_by` works the till; `approved_by` is the manager or owner who approved;
        `shift_id` the open shift (None: the day's). The refund carries its charge's
        `ticket_id` when the charge is in this journal, else `ticket_id` (a sale of
        another lane of the store); `description` (the items going back) replaces the
        charge's.
        """
        if not self.gateway.flow.supports_terminal_refunds:
            raise InvalidRequestError(
                "Refunds on the terminal need the payment-intent flow; refund to the card."
            )
        self.check_refund(payment, amount_cents)
        op = self._new_operation(
            PaymentKind.REFUND,
            amount_cents,
            terminal_id,
            payment=payment,
            refund_mode="terminal",
            served_by=served_by,
            approved_by=approved_by,
            shift_id=shift_id,
            description=description,
            ticket_id=ticket_id,
        )
        run = Run(self, op, initial_state(PaymentKind.REFUND, amount_cents, terminal_id), cancel)
        return await self._start(run, self._terminal_refund_steps(run, payment))

    async def _terminal_refund_steps(self, run: Run, payment: PaymentDetails) -> Steps:
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
        self,
        payment: PaymentDetails,
        amount_cents: int,
        reason: str | None = None,
        *,
        served_by: str | None = None,
        approved_by: str | None = None,
        shift_id: str | None = None,
        description: str | None = None,
        ticket_id: str | None = None,
    ) -> PaymentRun:
        """Refund to the original card, no terminal involved (who, shift, ticket and
        description as for `refund_on_terminal`)."""
        self.check_refund(payment, amount_cents)
        op = self._new_operation(
            PaymentKind.REFUND,
            amount_cents,
            None,
            payment=payment,
            refund_mode="card",
            reason=reason,
            served_by=served_by,
            approved_by=approved_by,
            shift_id=shift_id,
            description=description,
            ticket_id=ticket_id,
        )
        return await self._direct(
            op, lambda: self.gateway.refund_to_card(payment, amount_cents, reason, op.create_key)
        )

    async def void(
        self,
        payment: PaymentDetails,
        *,
        served_by: str | None = None,
        approved_by: str | None = None,
        shift_id: str | None = None,
    ) -> PaymentRun:
        """Void a payment (JustiFi allows it within 25 minutes; who, shift and ticket as
        for refunds)."""
        if payment.status != "succeeded":
            raise InvalidRequestError("Only an approved payment with no refunds can be voided.")
        op = self._new_operation(
            PaymentKind.VOID,
            payment.amount_cents,
            None,
            payment=payment,
            served_by=served_by,
            approved_by=approved_by,
            shift_id=shift_id,
        )
        return await self._direct(op, lambda: self.gateway.void(payment, op.create_key))

    async def _direct(
        self, op: Operation, call: Callable[[], Awaitable[Observation]]
    ) -> PaymentRun:
        run = Run(self, op, initial_state(op.kind, op.amount_cents, None), None)
        return await self._start(run, self._direct_steps(run, call))

    async def _direct_steps(self, run: Run, call: Callable[[], Awaitable[Observation]]) -> Steps:
        op = run.operation
        yield IntentCreated(op.sale_id or op.payment_id or op.id)
        # The same key makes every attempt safe: JustiFi replays the first answer.
        run.sent = True
        yield SentToTerminal()
        answer: StepResult[Observation] = StepResult()
        async for event in attempts(run, call, answer, give_up=run.deadline):
            yield event
        if answer.value is None:
            yield DeadlinePassed()
            return
        event_for = observation_event(run, answer.value)
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
        served_by: str | None = None,
        approved_by: str | None = None,
        ticket_id: str | None = None,
        shift_id: str | None = None,
    ) -> Operation:
        original = None
        if payment is not None:
            original = self.journal.find_by_justifi_id(payment.payment_id) or (
                self.journal.find_by_justifi_id(payment.sale_id) if payment.sale_id else None
            )
        if shift_id is None and self.open_shift is not None:
            shift_id = self.open_shift()
        return Operation(
            id=str(uuid.uuid4()),
            kind=kind,
            amount_cents=amount_cents,
            status=StateName.PREPARING.value,
            flow=self.gateway.flow.name,
            terminal_id=terminal_id,
            description=description
            if payment is None or description is not None
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
            served_by=_name_or_none(served_by),
            approved_by=_name_or_none(approved_by),
            # A refund or void gives back (part of) its charge's ticket.
            ticket_id=ticket_id if original is None else original.ticket_id,
            shift_id=shift_id,
        )

    async def _check_terminal(self, run: Run, terminal_id: str) -> Steps:
        """Ends the run `cancelled` when the terminal cannot take a sale now."""
        info: StepResult[TerminalInfo] = StepResult()
        async for event in self._before_send(
            run, lambda: self.gateway.terminal_info(terminal_id), info
        ):
            yield event
        if info.value is not None and not info.value.is_ready:
            busy = info.value.readiness is Readiness.BUSY
            yield SendRefused("terminal_busy" if busy else "terminal_not_connected", None)

    async def _before_send(
        self, run: Run, call: Callable[[], Awaitable[T]], result: StepResult[T]
    ) -> Steps:
        """A step before anything can reach a terminal, into `result`.

        Connection trouble is retried (and shown) for the prepare timeout, then the
        run ends `cancelled` (justifi_unreachable). JustiFi refusing (credentials,
        an unknown terminal, a bad request) or a bug here ends it `cancelled` at
        once: nothing was charged. `result.value` stays None then.
        """
        give_up = self.monotonic() + self.settings.prepare_timeout
        async for event in attempts(
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

    # -- recovery -------------------------------------------------------------------------

    async def check_again(self, operation_id: str) -> PaymentState | None:
        """Ask JustiFi once more about one operation (the "Check again" button)."""
        return await self._recovery.check_again(operation_id)

    async def recover(self) -> list[Operation]:
        """Settle every operation the journal has not seen finish; returns them, updated.

        Afterwards none is left in progress: each is final, or `unresolved` when
        JustiFi could not be reached (to be checked again).
        """
        return await self._recovery.recover()

    # -- sending and polling --------------------------------------------------------------

    async def _send_and_poll(
        self,
        run: Run,
        send: Callable[[], Awaitable[SessionRef]],
        poll: Callable[[SessionRef], Awaitable[Observation]],
    ) -> Steps:
        op = run.operation
        sent: StepResult[SessionRef] = StepResult()
        # From here the request may start a session: only JustiFi's answer or the
        # deadline ends the run. The same send key makes a resend safe.
        run.sent = True
        async for event in attempts(
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
        async for event in self._poll(run, lambda: poll(ref)):
            yield event

    async def _poll(self, run: Run, look: Callable[[], Awaitable[Observation | None]]) -> Steps:
        """Every poll interval, `look` (through the retry policy) until final or the deadline.

        `look` may answer None: nothing to ask yet.
        """
        while not is_final(run.state):
            async for event in pause(run, self.settings.poll_interval):
                yield event
            observation: StepResult[Observation | None] = StepResult()
            async for event in attempts(run, look, observation, give_up=run.deadline):
                yield event
            if observation.value is not None:
                event_for = observation_event(run, observation.value)
                if event_for is not None:
                    yield event_for
                    continue
            if run.expired():
                yield DeadlinePassed()


def _refusal_before_send(exc: Exception) -> bool:
    """Before anything is sent, everything but connection trouble ends the run (cancelled)."""
    return not isinstance(exc, GatewayUnavailableError)


def _terminal_refused(exc: Exception) -> bool:
    """The terminal refusing the session on /terminals/pay: nothing reached the device."""
    return isinstance(exc, TerminalRefusedError) and exc.code in TERMINAL_REFUSALS


async def _close(steps: Steps) -> None:
    close = getattr(steps, "aclose", None)
    if close is not None:
        await close()


def _name_or_none(name: str | None) -> str | None:
    """A person's name as journaled: stripped; a blank one is nobody."""
    stripped = (name or "").strip()
    return stripped or None


def now_utc() -> datetime:
    """The current time, aware."""
    return datetime.now(UTC)
