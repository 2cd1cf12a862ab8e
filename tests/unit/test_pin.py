"""The manager PIN: rules, the salted slow hash, the lockout and the idle session."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos_app.domain.errors import InvalidInputError, user_message
from pos_app.domain.pin import (
    IDLE_TIMEOUT,
    LOCKOUT,
    MAX_WRONG_TRIES,
    PIN_MESSAGES,
    PRODUCTION_SCRYPT,
    AttemptKind,
    LockPolicy,
    LockState,
    ManagerSession,
    PepperMissingError,
    PinError,
    PinHashError,
    PinProblem,
    ScryptParams,
    check_new_pin,
    hash_pin,
    is_peppered,
    needs_rehash,
    new_pin_problem,
    pepper_id,
    pin_format_problem,
    verify_pin,
)
from pos_app.ui.text import manager as manager_text
from tests.support.manager import FAST_SCRYPT

T0 = datetime(2025, 3, 14, 14, 2, tzinfo=UTC)

pins = st.text(alphabet="0123456789", min_size=4, max_size=8)


# -- rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pin", "problem"),
    [
        ("", PinProblem.EMPTY),
        ("123", PinProblem.TOO_SHORT),
        ("123456789", PinProblem.TOO_LONG),
        ("12a4", PinProblem.NOT_DIGITS),
        ("12 34", PinProblem.NOT_DIGITS),
        ("١٢٣٤", PinProblem.NOT_DIGITS),  # Arabic-Indic digits pass str.isdigit()
        ("²³⁴⁵", PinProblem.NOT_DIGITS),
        ("2580", None),
        ("48151623", None),
    ],
)
def test_pin_shape(pin: str, problem: PinProblem | None) -> None:
    assert pin_format_problem(pin) == problem


@pytest.mark.parametrize("pin", ["0000", "1111111", "1234", "4567", "9876", "3210", "7890", "8901"])
def test_guessable_new_pins_are_refused(pin: str) -> None:
    assert new_pin_problem(pin) == PinProblem.TOO_SIMPLE
    with pytest.raises(PinError) as caught:
        check_new_pin(pin)
    assert "harder to guess" in caught.value.message


@pytest.mark.parametrize("pin", ["2580", "1357", "735190", "12345670"])
def test_ordinary_new_pins_are_accepted(pin: str) -> None:
    assert new_pin_problem(pin) is None
    check_new_pin(pin)


def test_messages_are_sentences_for_a_manager() -> None:
    assert PinError(PinProblem.TOO_SHORT).message == "The PIN has at least 4 digits."
    assert PinError(PinProblem.TOO_LONG).message == "The PIN has at most 8 digits."
    assert PinError(PinProblem.NOT_DIGITS).message == "The PIN is made of digits only."


def test_a_refused_pin_is_input_a_person_can_correct() -> None:
    error = PinError(PinProblem.TOO_SIMPLE)
    assert isinstance(error, InvalidInputError)
    assert user_message(error) == PIN_MESSAGES[PinProblem.TOO_SIMPLE]


def test_every_problem_has_one_sentence_the_window_shows_too() -> None:
    assert set(PIN_MESSAGES) == set(PinProblem)
    assert manager_text.PIN_PROBLEMS is PIN_MESSAGES  # one copy, not two to keep equal


# -- hashing --------------------------------------------------------------------------


def test_the_stored_form_describes_itself_and_holds_no_pin() -> None:
    encoded = hash_pin("735190", FAST_SCRYPT)
    scheme, n, r, p, salt, digest = encoded.split("$")
    assert (scheme, n, r, p) == ("scrypt", "16", "1", "1")
    assert len(base64.b64decode(salt)) == 16
    assert len(base64.b64decode(digest)) == 32
    assert "735190" not in encoded
    assert verify_pin("735190", encoded)
    assert not verify_pin("735191", encoded)


def test_production_cost_is_the_default() -> None:
    assert ScryptParams() == PRODUCTION_SCRYPT
    assert (PRODUCTION_SCRYPT.n, PRODUCTION_SCRYPT.r, PRODUCTION_SCRYPT.p) == (2**14, 8, 1)
    encoded = hash_pin("735190")  # the real cost, once
    assert encoded.startswith("scrypt$16384$8$1$")
    assert verify_pin("735190", encoded)
    assert not needs_rehash(encoded)
    assert needs_rehash(hash_pin("735190", FAST_SCRYPT))


PEPPER = bytes(range(32))


def test_a_peppered_hash_says_so_and_needs_the_pepper() -> None:
    encoded = hash_pin("735190", FAST_SCRYPT, PEPPER)
    assert encoded.startswith(f"scrypt+pepper${pepper_id(PEPPER)}$16$1$1$")
    assert is_peppered(encoded)
    assert verify_pin("735190", encoded, PEPPER)
    assert not verify_pin("735191", encoded, PEPPER)
    with pytest.raises(PepperMissingError):
        verify_pin("735190", encoded)  # no keyring here: cannot tell, not "wrong"
    with pytest.raises(PepperMissingError):
        verify_pin("735190", encoded, bytes(32))  # a new key after the old one was lost


def test_a_pepper_id_tells_nothing_of_the_pepper() -> None:
    assert len(pepper_id(PEPPER)) == 8
    assert pepper_id(PEPPER) != pepper_id(bytes(32))
    assert pepper_id(PEPPER) not in PEPPER.hex()


def test_the_pepper_changes_the_hash_not_just_its_label() -> None:
    # Relabelling a plain hash as peppered (or back) must not verify.
    plain = hash_pin("735190", FAST_SCRYPT)
    relabelled = plain.replace("scrypt$", f"scrypt+pepper${pepper_id(PEPPER)}$", 1)
    assert not verify_pin("735190", relabelled, PEPPER)
    peppered = hash_pin("735190", FAST_SCRYPT, PEPPER)
    unlabelled = peppered.replace(f"scrypt+pepper${pepper_id(PEPPER)}$", "scrypt$", 1)
    assert not verify_pin("735190", unlabelled)


def test_a_plain_hash_is_rehashed_once_a_pepper_exists() -> None:
    plain = hash_pin("735190", FAST_SCRYPT)
    assert verify_pin("735190", plain, PEPPER)  # a plain hash ignores the pepper
    assert not needs_rehash(plain, FAST_SCRYPT)
    assert needs_rehash(plain, FAST_SCRYPT, PEPPER)
    peppered = hash_pin("735190", FAST_SCRYPT, PEPPER)
    assert not needs_rehash(peppered, FAST_SCRYPT, PEPPER)
    assert needs_rehash(peppered, PRODUCTION_SCRYPT, PEPPER)  # the costs still count


def test_an_empty_pepper_is_refused() -> None:
    with pytest.raises(ValueError, match="pepper"):
        hash_pin("735190", FAST_SCRYPT, b"")


def test_each_hash_has_its_own_salt() -> None:
    first, second = hash_pin("2580", FAST_SCRYPT), hash_pin("2580", FAST_SCRYPT)
    assert first != second
    assert first.split("$")[4] != second.split("$")[4]


def test_the_costs_stored_with_the_hash_are_the_ones_used() -> None:
    encoded = hash_pin("2580", ScryptParams(n=2**5, r=2, p=1))
    assert encoded.startswith("scrypt$32$2$1$")
    assert verify_pin("2580", encoded)  # verified with n=32, r=2, whatever the default


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "2580",
        "bcrypt$16$1$1$AAAA$AAAA",
        "scrypt$16$1$1$not-base64!$AAAA",
        "scrypt$15$1$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "=",  # n not a power of two
        "scrypt$1073741824$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 43 + "=",  # a memory bomb
        "scrypt$16$1$1$AAAA$" + "A" * 43 + "=",  # salt too short
    ],
)
def test_an_unreadable_stored_hash_is_an_error_not_a_wrong_pin(encoded: str) -> None:
    with pytest.raises(PinHashError):
        verify_pin("2580", encoded)


def test_a_pin_of_the_wrong_shape_never_matches() -> None:
    encoded = hash_pin("2580", FAST_SCRYPT)
    assert not verify_pin("", encoded)
    assert not verify_pin("2580 ", encoded)
    with pytest.raises(PinError):
        hash_pin("12", FAST_SCRYPT)


@settings(max_examples=40, deadline=None)
@given(pin=pins, other=pins)
def test_only_the_same_pin_verifies(pin: str, other: str) -> None:
    encoded = hash_pin(pin, FAST_SCRYPT)
    assert verify_pin(pin, encoded)
    assert verify_pin(other, encoded) == (other == pin)


# -- lockout --------------------------------------------------------------------------


def wrong_tries(policy: LockPolicy, count: int, now: datetime) -> LockState:
    state = LockState()
    for _ in range(count):
        state = policy.attempt(state, correct=False, now=now).state
    return state


def test_each_wrong_try_counts_down() -> None:
    policy = LockPolicy()
    state = LockState()
    for left in range(MAX_WRONG_TRIES - 1, 0, -1):
        outcome = policy.attempt(state, correct=False, now=T0)
        assert (outcome.kind, outcome.tries_left) == (AttemptKind.WRONG, left)
        state = outcome.state
    assert state.failed_tries == 9


def test_the_tenth_wrong_try_locks_for_thirty_minutes() -> None:
    policy = LockPolicy()
    state = wrong_tries(policy, 9, T0)
    outcome = policy.attempt(state, correct=False, now=T0 + timedelta(seconds=5))
    assert outcome.kind is AttemptKind.LOCKED_NOW
    assert outcome.locked_until == T0 + timedelta(seconds=5) + LOCKOUT
    assert timedelta(minutes=30) == LOCKOUT
    locked = outcome.state
    # While locked even the right PIN is refused, and the lock does not move.
    during = policy.attempt(locked, correct=True, now=T0 + timedelta(minutes=29))
    assert during.kind is AttemptKind.REFUSED_LOCKED
    assert during.state == locked
    assert policy.tries_left(locked, T0 + timedelta(minutes=29)) == 0
    # Then it opens, with a fresh count.
    after = T0 + timedelta(seconds=5) + LOCKOUT
    assert policy.locked_until(locked, after) is None
    assert policy.tries_left(locked, after) == MAX_WRONG_TRIES
    assert policy.attempt(locked, correct=True, now=after).kind is AttemptKind.ACCEPTED


def test_a_right_pin_resets_the_count() -> None:
    policy = LockPolicy()
    state = wrong_tries(policy, 9, T0)
    accepted = policy.attempt(state, correct=True, now=T0)
    assert accepted.kind is AttemptKind.ACCEPTED
    assert accepted.state == LockState()
    assert policy.attempt(accepted.state, correct=False, now=T0).tries_left == 9


def test_a_clock_set_back_does_not_stretch_the_lock() -> None:
    policy = LockPolicy()
    locked = wrong_tries(policy, 10, T0)
    back = T0 - timedelta(days=2)
    assert policy.locked_until(locked, back) == back + LOCKOUT
    assert policy.normalized(locked, back).locked_until == back + LOCKOUT


@settings(max_examples=200)
@given(
    attempts=st.lists(
        st.tuples(st.booleans(), st.integers(min_value=0, max_value=40 * 60)), max_size=60
    )
)
def test_never_more_than_ten_wrong_tries_per_lockout(attempts: list[tuple[bool, int]]) -> None:
    """Whatever the order, the PIN is checked at most 10 times in a row without a success,
    and a lock, once set, refuses every entry until it ends."""
    policy = LockPolicy()
    state = LockState()
    now = T0
    checked_wrong = 0
    for correct, seconds_later in attempts:
        now += timedelta(seconds=seconds_later)
        before = policy.locked_until(state, now)
        outcome = policy.attempt(state, correct, now)
        if before is not None:
            assert outcome.kind is AttemptKind.REFUSED_LOCKED
            assert outcome.state.locked_until == before
        elif outcome.kind is AttemptKind.ACCEPTED:
            checked_wrong = 0
        else:
            checked_wrong += 1
            assert checked_wrong <= MAX_WRONG_TRIES
            assert (outcome.kind is AttemptKind.LOCKED_NOW) == (checked_wrong == MAX_WRONG_TRIES)
            if outcome.kind is AttemptKind.LOCKED_NOW:
                checked_wrong = 0
        assert 0 <= outcome.tries_left <= MAX_WRONG_TRIES
        state = outcome.state


# -- session --------------------------------------------------------------------------


def test_the_session_ends_after_fifteen_idle_minutes() -> None:
    assert timedelta(minutes=15) == IDLE_TIMEOUT
    session = ManagerSession(started_at=T0)
    assert session.is_active(T0 + timedelta(minutes=14, seconds=59))
    assert not session.is_active(T0 + timedelta(minutes=15))


def test_activity_restarts_the_idle_countdown() -> None:
    session = ManagerSession(started_at=T0)
    assert session.touch(T0 + timedelta(minutes=10))
    assert session.is_active(T0 + timedelta(minutes=24))
    assert session.expires_at == T0 + timedelta(minutes=25)
    assert not session.is_active(T0 + timedelta(minutes=25))
    # Once over, activity does not bring it back.
    assert not session.touch(T0 + timedelta(minutes=26))
    assert not session.is_active(T0 + timedelta(minutes=26))


def test_sign_out_ends_the_session_at_once() -> None:
    session = ManagerSession(started_at=T0)
    session.sign_out()
    assert not session.is_active(T0)
    assert not session.touch(T0)


def test_a_clock_set_back_does_not_shorten_the_session() -> None:
    session = ManagerSession(started_at=T0)
    session.touch(T0 - timedelta(minutes=5))
    assert session.expires_at == T0 + IDLE_TIMEOUT
