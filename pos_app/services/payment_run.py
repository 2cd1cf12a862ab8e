"""One engine operation under way: its settings, its run, and what the engine hands out.

`Run` steps the pure state machine (`domain.payment_flow`) and journals every
change; `PaymentRun` is what a client iterates. `StepResult` is where a step
that yields events leaves its answer. The engine (`services.payments`), its
retry policy (`services.retry`) and recovery (`services.recovery`) share these.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from pos_app.domain.payment_flow import (
    Approved,
    Declined,
    DeviceCancelled,
    DeviceTimedOut,
    PaymentEvent,
    PaymentState,
    transition,
)
from pos_app.services.ports import (
    Journal,
    Observation,
    Operation,
    OutcomeKind,
    SessionRef,
)

# The engine's log, wherever in its modules the line is written.
log = logging.getLogger("pos_app.services.payments")
T = TypeVar("T")

SLOW_ANSWER = "JustiFi is slow to answer"
INTERNAL_TROUBLE = "an unexpected error in this till (logged)"
INTERNAL_ERROR = "internal_error"

Steps = AsyncIterator[PaymentEvent]


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


class Engine(Protocol):
    """What a run needs of its engine: the journal, the timing, and the clock."""

    journal: Journal
    settings: EngineSettings
    sleep: Callable[[float], Awaitable[object]]
    monotonic: Callable[[], float]


@dataclass
class StepResult(Generic[T]):
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
    iterating. Iterating yields every journaled state in order and always ends
    with a final state the journal holds; it raises nothing but
    asyncio.CancelledError.
    """

    def __init__(self, run: Run, states: AsyncIterator[PaymentState]) -> None:
        self._run = run
        self.operation = run.operation
        self.states = states

    @property
    def state(self) -> PaymentState:
        """The latest journaled state."""
        return self._run.state

    def __aiter__(self) -> AsyncIterator[PaymentState]:
        return self.states


class Run:
    """One operation's state machine, journal and clock, stepped by the engine."""

    def __init__(
        self,
        engine: Engine,
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


def observation_event(run: Run, observation: Observation) -> PaymentEvent | None:
    """The machine's event for what JustiFi said (None: nothing new); keeps a refund's id."""
    event = event_for(observation)
    if event is not None and observation.refund_id:
        run.operation.refund_id = observation.refund_id
    return event


async def apply_observation(run: Run, observation: Observation) -> bool:
    """Apply what JustiFi said; True when the state changed."""
    event = observation_event(run, observation)
    return event is not None and await run.apply(event)


def event_for(observation: Observation) -> PaymentEvent | None:
    """The machine's event for an outcome; None while pending."""
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
