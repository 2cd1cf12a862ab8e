"""The payment dialog's state machine: the full (state, event) matrix and properties."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain.declines import cashier_message
from pos_app.domain.payment_flow import (
    FINAL_STATES,
    IN_PROGRESS_STATES,
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
    can_request_cancel,
    initial_state,
    is_final,
    is_in_progress,
    transition,
)

N = StateName

START = initial_state("charge", 1250, "trm_1")


def _state(name: StateName, **changes: object) -> PaymentState:
    return replace(START, name=name, intent_id="pi_1", **changes)  # type: ignore[arg-type]


def _retrying(resume_to: StateName, *, cancel: bool = False) -> PaymentState:
    return _state(N.RETRYING, resume_to=resume_to, trouble="timeout", cancel_requested=cancel)


STATES: dict[str, PaymentState] = {
    "preparing": START,
    "preparing+cancel": replace(START, cancel_requested=True),
    "sending": _state(N.SENDING),
    "sending+cancel": _state(N.SENDING, cancel_requested=True),
    "waiting": _state(N.WAITING),
    "retrying->preparing": replace(_retrying(N.PREPARING), intent_id=None),
    "retrying->preparing+cancel": replace(_retrying(N.PREPARING, cancel=True), intent_id=None),
    "retrying->sending": _retrying(N.SENDING),
    "retrying->sending+cancel": _retrying(N.SENDING, cancel=True),
    "retrying->waiting": _retrying(N.WAITING),
    "retrying->cancel_requested": _retrying(N.CANCEL_REQUESTED, cancel=True),
    "cancel_requested": _state(N.CANCEL_REQUESTED, cancel_requested=True),
    "approved": _state(N.APPROVED, payment_id="py_1"),
    "declined": _state(N.DECLINED, decline_code="card_declined"),
    "cancelled": _state(N.CANCELLED),
    "timed_out": _state(N.TIMED_OUT),
    "unresolved": _state(N.UNRESOLVED, trouble="timeout"),
}

EVENTS: dict[str, PaymentEvent] = {
    "IntentCreated": IntentCreated("pi_2"),
    "SentToTerminal": SentToTerminal(),
    "SendRefused": SendRefused("terminal_busy", "Terminal is busy"),
    "Approved": Approved("py_9", "visa", "4242"),
    "Declined": Declined("insufficient_funds", "Insufficient funds"),
    "DeviceCancelled": DeviceCancelled(),
    "DeviceTimedOut": DeviceTimedOut(),
    "TransportTrouble": TransportTrouble("connection refused"),
    "TransportRecovered": TransportRecovered(),
    "CancelRequested": CancelRequested(),
    "CancelledBeforeSend": CancelledBeforeSend(),
    "DeadlinePassed": DeadlinePassed(),
}

# Short names for the expected table.
PRE, SND, WAI, RET, CRQ = N.PREPARING, N.SENDING, N.WAITING, N.RETRYING, N.CANCEL_REQUESTED
APP, DEC, CAN, TMO, UNR = N.APPROVED, N.DECLINED, N.CANCELLED, N.TIMED_OUT, N.UNRESOLVED
# Every in-progress state ends the same way on the four outcome events.
OUTCOMES = (APP, DEC, CAN, TMO)

# Columns, in EVENTS order:
#  IntentCreated, SentToTerminal, SendRefused, [Approved, Declined, DeviceCancelled,
#  DeviceTimedOut], TransportTrouble, TransportRecovered, CancelRequested,
#  CancelledBeforeSend, DeadlinePassed
EXPECTED: dict[str, tuple[StateName, ...]] = {
    "preparing": (SND, PRE, CAN, *OUTCOMES, RET, PRE, PRE, PRE, UNR),
    "preparing+cancel": (SND, PRE, CAN, *OUTCOMES, RET, PRE, PRE, CAN, UNR),
    "sending": (SND, WAI, CAN, *OUTCOMES, RET, SND, SND, SND, UNR),
    "sending+cancel": (SND, CRQ, CAN, *OUTCOMES, RET, SND, SND, CAN, UNR),
    "waiting": (WAI, WAI, WAI, *OUTCOMES, RET, WAI, CRQ, WAI, UNR),
    "retrying->preparing": (SND, RET, CAN, *OUTCOMES, RET, PRE, RET, RET, UNR),
    "retrying->preparing+cancel": (SND, RET, CAN, *OUTCOMES, RET, PRE, RET, CAN, UNR),
    "retrying->sending": (RET, WAI, CAN, *OUTCOMES, RET, SND, RET, RET, UNR),
    "retrying->sending+cancel": (RET, CRQ, CAN, *OUTCOMES, RET, SND, RET, CAN, UNR),
    "retrying->waiting": (RET, RET, RET, *OUTCOMES, RET, WAI, RET, RET, UNR),
    "retrying->cancel_requested": (RET, RET, RET, *OUTCOMES, RET, CRQ, RET, RET, UNR),
    "cancel_requested": (CRQ, CRQ, CRQ, *OUTCOMES, RET, CRQ, CRQ, CRQ, UNR),
    "approved": (APP,) * 12,
    "declined": (DEC,) * 12,
    "cancelled": (CAN,) * 12,
    "timed_out": (TMO,) * 12,
    "unresolved": (UNR, UNR, UNR, *OUTCOMES, UNR, UNR, UNR, UNR, UNR),
}

MATRIX = [
    pytest.param(state_label, event_label, expected, id=f"{state_label}-{event_label}")
    for state_label, row in EXPECTED.items()
    for event_label, expected in zip(EVENTS, row, strict=True)
]


def test_matrix_covers_every_state_and_event() -> None:
    assert set(EXPECTED) == set(STATES)
    assert {state.name for state in STATES.values()} == set(StateName)
    assert len(MATRIX) == len(STATES) * len(EVENTS)


@pytest.mark.parametrize(("state_label", "event_label", "expected"), MATRIX)
def test_transition_matrix(state_label: str, event_label: str, expected: StateName) -> None:
    state = STATES[state_label]
    after = transition(state, EVENTS[event_label])
    assert after.name is expected
    # Bookkeeping that the dialog relies on.
    assert (after.resume_to is not None) == (after.name is N.RETRYING)
    if after.name is N.CANCEL_REQUESTED:
        assert after.cancel_requested
    if state.cancel_requested:
        assert after.cancel_requested  # a cancel request is never forgotten
    assert after.kind is state.kind
    assert after.amount_cents == state.amount_cents
    assert after.terminal_id == state.terminal_id


@pytest.mark.parametrize(
    ("state_label", "event_label"),
    [
        (state_label, event_label)
        for state_label, row in EXPECTED.items()
        for event_label, expected in zip(EVENTS, row, strict=True)
        if expected is STATES[state_label].name
        and not (event_label == "TransportTrouble" and state_label.startswith("retrying"))
        and not (event_label == "CancelRequested" and not STATES[state_label].cancel_requested)
    ],
)
def test_ignored_events_return_the_same_object(state_label: str, event_label: str) -> None:
    state = STATES[state_label]
    assert transition(state, EVENTS[event_label]) is state


# -- details of single transitions ------------------------------------------------------


def test_initial_state() -> None:
    state = initial_state(PaymentKind.REFUND, 500, None)
    assert state.name is N.PREPARING
    assert state.kind is PaymentKind.REFUND
    assert state.amount_cents == 500
    assert state.terminal_id is None
    assert not state.cancel_requested
    assert initial_state("void", 1, None).kind is PaymentKind.VOID
    assert is_in_progress(state)
    assert not is_final(state)
    assert can_request_cancel(state)


@pytest.mark.parametrize("amount", [0, -1])
def test_initial_state_refuses_non_positive_amount(amount: int) -> None:
    with pytest.raises(ValueError, match="amount_cents"):
        initial_state("charge", amount, "trm_1")


def test_initial_state_refuses_unknown_kind() -> None:
    with pytest.raises(ValueError, match="payment"):
        initial_state("payment", 100, "trm_1")


def test_state_name_values_are_stable() -> None:
    assert [name.value for name in StateName] == [
        "preparing",
        "sending",
        "waiting",
        "retrying",
        "cancel_requested",
        "approved",
        "declined",
        "cancelled",
        "timed_out",
        "unresolved",
    ]
    assert {"approved", "declined", "cancelled", "timed_out", "unresolved"} == FINAL_STATES
    assert FINAL_STATES.isdisjoint(IN_PROGRESS_STATES)


def test_happy_charge() -> None:
    state = START
    for event in (IntentCreated("pi_7"), SentToTerminal(), Approved("py_7", "visa", "4242")):
        state = transition(state, event)
    assert state.name is N.APPROVED
    assert (state.intent_id, state.payment_id) == ("pi_7", "py_7")
    assert (state.card_brand, state.card_last4) == ("visa", "4242")
    assert state.decline_code is None
    assert is_final(state)
    assert not can_request_cancel(state)


def test_refund_approval_keeps_refund_id() -> None:
    state = transition(initial_state("refund", 500, None), Approved("py_1", refund_id="re_1"))
    assert (state.name, state.payment_id, state.refund_id) == (N.APPROVED, "py_1", "re_1")


def test_decline_carries_the_cashier_sentence() -> None:
    state = transition(STATES["waiting"], Declined("insufficient_funds", "raw message"))
    assert state.decline_code == "insufficient_funds"
    assert state.decline_message == cashier_message("insufficient_funds")


def test_unknown_decline_uses_justifi_message() -> None:
    state = transition(STATES["waiting"], Declined("weird_code", "Card restricted"))
    assert state.decline_message == "Card restricted."


def test_send_refused_ends_cancelled_with_reason() -> None:
    state = transition(STATES["sending"], SendRefused("terminal_not_connected"))
    assert state.name is N.CANCELLED
    assert state.decline_code == "terminal_not_connected"
    assert state.decline_message == cashier_message("terminal_not_connected")


@pytest.mark.parametrize(
    ("event", "code"),
    [(DeviceCancelled(), "canceled_on_terminal"), (DeviceTimedOut(), "terminal_timeout")],
)
def test_device_outcomes_explain_themselves(event: PaymentEvent, code: str) -> None:
    state = transition(STATES["waiting"], event)
    assert state.decline_code == code
    assert state.decline_message == cashier_message(code)


def test_trouble_remembers_where_to_resume_and_the_latest_detail() -> None:
    state = transition(STATES["waiting"], TransportTrouble("timeout"))
    assert (state.name, state.resume_to, state.trouble) == (N.RETRYING, N.WAITING, "timeout")
    state = transition(state, TransportTrouble("connection reset"))
    assert (state.name, state.resume_to, state.trouble) == (
        N.RETRYING,
        N.WAITING,
        "connection reset",
    )
    state = transition(state, TransportRecovered())
    assert (state.name, state.resume_to, state.trouble) == (N.WAITING, None, None)


def test_cancel_while_retrying_resumes_to_cancel_requested() -> None:
    state = transition(STATES["retrying->waiting"], CancelRequested())
    assert (state.name, state.resume_to, state.cancel_requested) == (
        N.RETRYING,
        N.CANCEL_REQUESTED,
        True,
    )
    assert transition(state, TransportRecovered()).name is N.CANCEL_REQUESTED


def test_cancel_while_retrying_before_send_keeps_resume_point() -> None:
    state = transition(STATES["retrying->sending"], CancelRequested())
    assert (state.name, state.resume_to, state.cancel_requested) == (N.RETRYING, N.SENDING, True)
    assert transition(state, CancelledBeforeSend()).name is N.CANCELLED


def test_cancel_before_send_is_recorded_not_an_outcome() -> None:
    state = transition(START, CancelRequested())
    assert (state.name, state.cancel_requested) == (N.PREPARING, True)
    assert not can_request_cancel(state)
    state = transition(state, IntentCreated("pi_1"))
    assert (state.name, state.cancel_requested) == (N.SENDING, True)
    state = transition(state, CancelledBeforeSend())
    assert state.name is N.CANCELLED
    assert state.decline_code == "cancelled_before_send"


def test_progress_while_retrying_means_recovered() -> None:
    state = transition(STATES["retrying->preparing"], IntentCreated("pi_5"))
    assert (state.name, state.intent_id, state.trouble, state.resume_to) == (
        N.SENDING,
        "pi_5",
        None,
        None,
    )


def test_deadline_keeps_the_last_trouble_for_the_unresolved_screen() -> None:
    state = transition(STATES["retrying->waiting"], DeadlinePassed())
    assert (state.name, state.trouble, state.resume_to) == (N.UNRESOLVED, "timeout", None)
    assert state.decline_code is None  # never a decline


def test_check_again_resolves_unresolved() -> None:
    state = transition(STATES["unresolved"], Approved("py_3", "mastercard", "4444"))
    assert (state.name, state.payment_id, state.trouble) == (N.APPROVED, "py_3", None)


def test_approval_after_cancel_request_wins() -> None:
    state = transition(STATES["waiting"], CancelRequested())
    assert state.name is N.CANCEL_REQUESTED
    state = transition(state, Approved("py_1", "visa", "1111"))
    assert state.name is N.APPROVED
    assert state.cancel_requested  # the dialog can say the cancel came too late


# -- properties ------------------------------------------------------------------------

texts = st.text(max_size=10)
optional_texts = st.none() | texts
events: st.SearchStrategy[PaymentEvent] = st.one_of(
    st.builds(IntentCreated, texts),
    st.just(SentToTerminal()),
    st.builds(SendRefused, texts, optional_texts),
    st.builds(Approved, optional_texts, optional_texts, optional_texts, optional_texts),
    st.builds(Declined, optional_texts, optional_texts),
    st.just(DeviceCancelled()),
    st.just(DeviceTimedOut()),
    st.builds(TransportTrouble, texts),
    st.just(TransportRecovered()),
    st.just(CancelRequested()),
    st.just(CancelledBeforeSend()),
    st.just(DeadlinePassed()),
)
# Events that never end a payment by themselves.
non_outcome_events: st.SearchStrategy[PaymentEvent] = st.one_of(
    st.builds(IntentCreated, texts),
    st.just(SentToTerminal()),
    st.builds(TransportTrouble, texts),
    st.just(TransportRecovered()),
    st.just(CancelRequested()),
    st.just(DeadlinePassed()),
)
kinds = st.sampled_from(PaymentKind)
any_states = st.builds(
    PaymentState,
    kind=kinds,
    name=st.sampled_from(StateName),
    amount_cents=st.integers(),
    terminal_id=optional_texts,
    intent_id=optional_texts,
    cancel_requested=st.booleans(),
    trouble=optional_texts,
    resume_to=st.none() | st.sampled_from(StateName),
)

OUTCOME_NAMES = {N.APPROVED, N.DECLINED, N.CANCELLED, N.TIMED_OUT}


@given(any_states, events)
def test_transition_is_total(state: PaymentState, event: PaymentEvent) -> None:
    assert isinstance(transition(state, event), PaymentState)


@given(kinds, st.lists(events, max_size=30))
def test_final_states_are_never_left(kind: PaymentKind, sequence: list[PaymentEvent]) -> None:
    state = initial_state(kind, 100, "trm_1")
    for event in sequence:
        after = transition(state, event)
        if state.name in OUTCOME_NAMES:
            assert after is state
        elif state.name is N.UNRESOLVED:
            assert after is state or after.name in OUTCOME_NAMES
        # Invariants of every reachable state.
        assert (after.resume_to is not None) == (after.name is N.RETRYING)
        assert after.resume_to in {None, N.PREPARING, N.SENDING, N.WAITING, N.CANCEL_REQUESTED}
        assert after.name is not N.CANCEL_REQUESTED or after.cancel_requested
        assert after.name not in {N.DECLINED, N.CANCELLED, N.TIMED_OUT} or after.decline_message
        state = after


@given(
    st.lists(non_outcome_events, max_size=15),
    st.lists(non_outcome_events, max_size=15),
    st.lists(events, max_size=10),
)
def test_approval_after_a_cancel_request_ends_approved(
    before: list[PaymentEvent], between: list[PaymentEvent], after: list[PaymentEvent]
) -> None:
    state = START
    for event in [*before, CancelRequested(), *between, Approved("py_1", "visa", "4242")]:
        state = transition(state, event)
    assert state.name is N.APPROVED
    assert state.payment_id == "py_1"
    for event in after:
        state = transition(state, event)
    assert state.name is N.APPROVED


@given(st.lists(non_outcome_events, max_size=30))
def test_cancel_request_alone_never_makes_an_outcome(sequence: list[PaymentEvent]) -> None:
    state = START
    for event in [CancelRequested(), *sequence]:
        state = transition(state, event)
        assert state.name in IN_PROGRESS_STATES or state.name is N.UNRESOLVED
