"""The payment dialog's pure state machine: one `transition(state, event) -> state`.

It drives a charge, a refund or a void. The service layer turns what it sees
from the API into events; the dialog only renders `state.name`. No I/O, no
clocks: anything time-related arrives as an event (DeadlinePassed).

Rules worth knowing:
- A server approval beats a local cancel: Approved wins from every in-progress
  state, including cancel_requested, and resolves `unresolved`.
- A cancel request never makes an outcome by itself. JustiFi cannot cancel a
  terminal session remotely, so the cashier or customer presses X on the device
  and the outcome arrives as DeviceCancelled, or the service stops before
  sending and reports CancelledBeforeSend.
- Connection trouble is never a decline: past the deadline the outcome is
  `unresolved`, which a later answer (a "check again") can still resolve.
- Final states absorb every later event and are returned unchanged (the same
  object); events that make no sense in a state are ignored the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from pos_app.domain.declines import DeclineCode, cashier_message

__all__ = [
    "FINAL_STATES",
    "IN_PROGRESS_STATES",
    "Approved",
    "CancelRequested",
    "CancelledBeforeSend",
    "DeadlinePassed",
    "Declined",
    "DeviceCancelled",
    "DeviceTimedOut",
    "IntentCreated",
    "PaymentEvent",
    "PaymentKind",
    "PaymentState",
    "SendRefused",
    "SentToTerminal",
    "StateName",
    "TransportRecovered",
    "TransportTrouble",
    "can_request_cancel",
    "initial_state",
    "is_final",
    "is_in_progress",
    "transition",
]


class PaymentKind(StrEnum):
    """What the dialog is doing."""

    CHARGE = "charge"
    REFUND = "refund"
    VOID = "void"


class StateName(StrEnum):
    """State names; the values are stable (a Qt property and JSON output use them)."""

    PREPARING = "preparing"
    SENDING = "sending"
    WAITING = "waiting"
    RETRYING = "retrying"
    CANCEL_REQUESTED = "cancel_requested"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    UNRESOLVED = "unresolved"


IN_PROGRESS_STATES: Final = frozenset(
    {
        StateName.PREPARING,
        StateName.SENDING,
        StateName.WAITING,
        StateName.RETRYING,
        StateName.CANCEL_REQUESTED,
    }
)
FINAL_STATES: Final = frozenset(StateName) - IN_PROGRESS_STATES
# Nothing has reached the terminal yet in these states.
_BEFORE_TERMINAL: Final = frozenset({StateName.PREPARING, StateName.SENDING})


@dataclass(frozen=True, slots=True)
class PaymentState:
    """Everything the dialog shows about one charge, refund or void.

    `resume_to` is set only while `name` is RETRYING: the state to return to
    when the connection recovers. `trouble` is the latest connection problem.
    """

    kind: PaymentKind
    name: StateName
    amount_cents: int
    terminal_id: str | None = None
    intent_id: str | None = None
    payment_id: str | None = None
    refund_id: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    decline_code: str | None = None
    decline_message: str | None = None
    cancel_requested: bool = False
    trouble: str | None = None
    resume_to: StateName | None = None


# -- events ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntentCreated:
    """The payment intent (or checkout) exists: preparing -> sending."""

    intent_id: str


@dataclass(frozen=True, slots=True)
class SentToTerminal:
    """The terminal accepted the session: sending -> waiting."""


@dataclass(frozen=True, slots=True)
class SendRefused:
    """The terminal was not connected, busy or refused before any card was read."""

    code: str
    message: str | None = None


@dataclass(frozen=True, slots=True)
class Approved:
    """The server reports success (for a refund, `refund_id` is set)."""

    payment_id: str | None
    card_brand: str | None = None
    card_last4: str | None = None
    refund_id: str | None = None


@dataclass(frozen=True, slots=True)
class Declined:
    """The server reports a decline or refusal with JustiFi's code and message."""

    code: str | None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class DeviceCancelled:
    """Someone pressed X on the terminal."""


@dataclass(frozen=True, slots=True)
class DeviceTimedOut:
    """The terminal gave up waiting for a card (after 90 s)."""


@dataclass(frozen=True, slots=True)
class TransportTrouble:
    """A request failed in a way worth retrying; `detail` is a short description."""

    detail: str


@dataclass(frozen=True, slots=True)
class TransportRecovered:
    """Requests get answers again."""


@dataclass(frozen=True, slots=True)
class CancelRequested:
    """The cashier pressed Cancel in the dialog."""


@dataclass(frozen=True, slots=True)
class CancelledBeforeSend:
    """The service stopped on a cancel request before anything reached the terminal."""


@dataclass(frozen=True, slots=True)
class DeadlinePassed:
    """No answer past the device's 90 s plus grace."""


PaymentEvent = (
    IntentCreated
    | SentToTerminal
    | SendRefused
    | Approved
    | Declined
    | DeviceCancelled
    | DeviceTimedOut
    | TransportTrouble
    | TransportRecovered
    | CancelRequested
    | CancelledBeforeSend
    | DeadlinePassed
)

# Events that may resolve an `unresolved` state (a later answer from the server).
_OUTCOME_EVENTS: Final = (Approved, Declined, DeviceCancelled, DeviceTimedOut)


# -- queries --------------------------------------------------------------------


def initial_state(
    kind: PaymentKind | str, amount_cents: int, terminal_id: str | None
) -> PaymentState:
    """Return the first state of a charge, refund or void: `preparing`."""
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool) or amount_cents <= 0:
        raise ValueError(f"amount_cents must be a positive int: {amount_cents!r}")
    return PaymentState(
        kind=PaymentKind(kind),
        name=StateName.PREPARING,
        amount_cents=amount_cents,
        terminal_id=terminal_id,
    )


def is_final(state: PaymentState) -> bool:
    """True for approved, declined, cancelled, timed_out and unresolved."""
    return state.name in FINAL_STATES


def is_in_progress(state: PaymentState) -> bool:
    """True while the service is still working on the payment."""
    return state.name in IN_PROGRESS_STATES


def can_request_cancel(state: PaymentState) -> bool:
    """True when a Cancel button would do something."""
    return is_in_progress(state) and not state.cancel_requested


# -- transition -----------------------------------------------------------------


def _outcome(
    state: PaymentState,
    name: StateName,
    *,
    decline_code: str | None = None,
    decline_message: str | None = None,
) -> PaymentState:
    """Move to a final state; only `unresolved` keeps the last trouble (it explains why)."""
    return replace(
        state,
        name=name,
        resume_to=None,
        trouble=state.trouble if name is StateName.UNRESOLVED else None,
        decline_code=decline_code,
        decline_message=decline_message,
    )


def _terminal_outcome(state: PaymentState, name: StateName, code: DeclineCode) -> PaymentState:
    return _outcome(state, name, decline_code=code, decline_message=cashier_message(code))


def _effective_name(state: PaymentState) -> StateName:
    """The state a progress event applies to: while retrying, the one to resume."""
    if state.name is StateName.RETRYING and state.resume_to is not None:
        return state.resume_to
    return state.name


def _progressed(
    state: PaymentState, name: StateName, *, intent_id: str | None = None
) -> PaymentState:
    """Move to an in-progress state; progress proves the connection works again."""
    return replace(
        state,
        name=name,
        resume_to=None,
        trouble=None,
        intent_id=intent_id if intent_id is not None else state.intent_id,
    )


def _on_outcome(state: PaymentState, event: PaymentEvent) -> PaymentState:
    match event:
        case Approved():
            approved = _outcome(state, StateName.APPROVED)
            return replace(
                approved,
                payment_id=event.payment_id or state.payment_id,
                card_brand=event.card_brand or state.card_brand,
                card_last4=event.card_last4 or state.card_last4,
                refund_id=event.refund_id or state.refund_id,
            )
        case Declined():
            return _outcome(
                state,
                StateName.DECLINED,
                decline_code=event.code,
                decline_message=cashier_message(event.code, event.message),
            )
        case DeviceCancelled():
            return _terminal_outcome(state, StateName.CANCELLED, DeclineCode.CANCELED_ON_TERMINAL)
        case DeviceTimedOut():
            return _terminal_outcome(state, StateName.TIMED_OUT, DeclineCode.TERMINAL_TIMEOUT)
        case _:
            return state


def _on_progress(state: PaymentState, event: PaymentEvent) -> PaymentState:
    """Events from an in-progress state other than the outcomes."""
    current = _effective_name(state)
    match event:
        case IntentCreated() if current is StateName.PREPARING:
            return _progressed(state, StateName.SENDING, intent_id=event.intent_id)
        case SentToTerminal() if current is StateName.SENDING:
            # A cancel asked for while sending now needs X on the device.
            target = StateName.CANCEL_REQUESTED if state.cancel_requested else StateName.WAITING
            return _progressed(state, target)
        case SendRefused() if current in _BEFORE_TERMINAL:
            return _outcome(
                state,
                StateName.CANCELLED,
                decline_code=event.code,
                decline_message=cashier_message(event.code, event.message),
            )
        case CancelledBeforeSend() if current in _BEFORE_TERMINAL and state.cancel_requested:
            return _terminal_outcome(state, StateName.CANCELLED, DeclineCode.CANCELLED_BEFORE_SEND)
        case TransportTrouble():
            return replace(state, name=StateName.RETRYING, resume_to=current, trouble=event.detail)
        case TransportRecovered() if state.name is StateName.RETRYING:
            return _progressed(state, current)
        case CancelRequested() if not state.cancel_requested:
            if current is StateName.WAITING:
                current = StateName.CANCEL_REQUESTED
            if state.name is StateName.RETRYING:
                return replace(state, cancel_requested=True, resume_to=current)
            return replace(state, name=current, cancel_requested=True)
        case DeadlinePassed():
            return _outcome(state, StateName.UNRESOLVED)
        case _:
            return state


def transition(state: PaymentState, event: PaymentEvent) -> PaymentState:
    """Return the state after `event`. Total: never raises; ignored events return `state`."""
    if state.name is StateName.UNRESOLVED:
        # Only an answer from the server (a "check again") moves an unresolved payment.
        return _on_outcome(state, event) if isinstance(event, _OUTCOME_EVENTS) else state
    if state.name not in IN_PROGRESS_STATES:
        return state
    if isinstance(event, _OUTCOME_EVENTS):
        return _on_outcome(state, event)
    return _on_progress(state, event)
