"""A PIN: its rules, its salted (and peppered) slow hash, the lockout and the session.

Pure and clock-free: everything time-related takes `now` (an aware datetime)
as an argument, so tests step time instead of sleeping.

- A PIN is 4 to 8 ASCII digits. A new PIN may not be one digit repeated or a
  straight run (1234, 9876): those are the first ones anybody tries.
- A PIN is stored only as `scrypt$n$r$p$salt$hash` (base64 salt and hash), a
  self-describing string: the costs used travel with the hash, so raising the
  costs later never locks out a stored PIN (`needs_rehash` tells when to
  re-hash on the next good entry).
- With a pepper (a secret kept in the OS keyring, not in the file), the hash is
  `scrypt+pepper$id$n$r$p$salt$hash` of HMAC-SHA256(pepper, pin): a copy of the
  file alone no longer lets anyone search the 10,000 four-digit PINs offline.
  `id` names the pepper (8 hex digits of a hash of it), so a PIN peppered with a
  key this keyring lost says "cannot be checked here", never "wrong PIN". A
  plain hash is re-hashed with the pepper on the next good entry.
- `LockPolicy` counts wrong tries: the 10th wrong try in a row locks PIN entry
  for 30 minutes. `LockState` is plain data the service persists, so a restart
  does not reset the count or the lock.
- `ManagerSession` is the till's session of a signed-in person; it ends after
  15 minutes without activity (`touch` on activity) or on sign-out. Who the
  people are and their roles is `pos_app.domain.staff`.

A 4-digit PIN has only 10,000 values: the slow hash makes reading the stored
hash less useful, but the lockout and the file's access rights are what keep
a PIN safe. Never log a PIN or its hash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from pos_app.domain.errors import InvalidInputError

__all__ = [
    "IDLE_TIMEOUT",
    "LOCKOUT",
    "MAX_WRONG_TRIES",
    "PIN_MAX_DIGITS",
    "PIN_MESSAGES",
    "PIN_MIN_DIGITS",
    "PRODUCTION_SCRYPT",
    "AttemptKind",
    "AttemptOutcome",
    "LockPolicy",
    "LockState",
    "ManagerSession",
    "PepperMissingError",
    "PinError",
    "PinHashError",
    "PinProblem",
    "ScryptParams",
    "check_new_pin",
    "check_pin_format",
    "hash_pin",
    "hash_secret",
    "is_peppered",
    "needs_rehash",
    "new_pin_problem",
    "pepper_id",
    "pin_format_problem",
    "verify_pin",
    "verify_secret",
]

PIN_MIN_DIGITS: Final = 4
PIN_MAX_DIGITS: Final = 8
MAX_WRONG_TRIES: Final = 10
LOCKOUT: Final = timedelta(minutes=30)
IDLE_TIMEOUT: Final = timedelta(minutes=15)

_DIGITS: Final = frozenset("0123456789")
_SALT_BYTES: Final = 16
_HASH_BYTES: Final = 32
_SCHEME: Final = "scrypt"
_PEPPERED_SCHEME: Final = "scrypt+pepper"
_PEPPER_ID_LABEL: Final = b"pos-app pin pepper id v1"
_PEPPER_ID_HEX: Final = 8
# Upper bounds for costs read back from a stored hash: a corrupt or hostile
# string must not make one check allocate gigabytes.
_MAX_LOG2_N: Final = 20
_MAX_R: Final = 32
_MAX_P: Final = 16


# -- PIN rules ------------------------------------------------------------------------


class PinProblem(StrEnum):
    """Why a typed PIN was refused."""

    EMPTY = "empty"
    NOT_DIGITS = "not_digits"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    TOO_SIMPLE = "too_simple"
    MISMATCH = "mismatch"  # the repeated new PIN differs (checked by the dialog)


# Sentences for the person typing, kept together for translation. `PinError` carries them, and
# the window's PIN dialog shows the same ones (pos_app/ui/text/manager.py names this dict).
PIN_MESSAGES: Final[dict[PinProblem, str]] = {
    PinProblem.EMPTY: "Enter your PIN.",
    PinProblem.NOT_DIGITS: "The PIN is made of digits only.",
    PinProblem.TOO_SHORT: f"The PIN has at least {PIN_MIN_DIGITS} digits.",
    PinProblem.TOO_LONG: f"The PIN has at most {PIN_MAX_DIGITS} digits.",
    PinProblem.TOO_SIMPLE: (
        "Choose a PIN that is harder to guess: not one digit repeated and not a run"
        " like 1234 or 9876."
    ),
    PinProblem.MISMATCH: "The two PINs are different. Enter the new PIN again.",
}


class PinError(InvalidInputError):
    """A PIN was refused; `message` is a sentence for the person (never the PIN).

    `message` defaults to the problem's sentence in `PIN_MESSAGES`; a rule with
    its own wording (a manager's longer PIN) passes its sentence.
    """

    def __init__(self, problem: PinProblem, message: str | None = None) -> None:
        super().__init__(message or PIN_MESSAGES[problem])
        self.problem = problem


class PinHashError(ValueError):
    """A stored PIN hash cannot be read (corrupt or from an unknown scheme)."""


class PepperMissingError(PinHashError):
    """A peppered hash was met without the pepper (this computer's keyring lacks the key):
    the PIN cannot be checked here, which is not the same as a wrong PIN."""


def pin_format_problem(pin: str) -> PinProblem | None:
    """What is wrong with the shape of `pin` (4 to 8 ASCII digits), or None."""
    if not pin:
        return PinProblem.EMPTY
    # Explicit set: str.isdigit() also accepts "²" and Arabic-Indic digits.
    if not set(pin) <= _DIGITS:
        return PinProblem.NOT_DIGITS
    if len(pin) < PIN_MIN_DIGITS:
        return PinProblem.TOO_SHORT
    if len(pin) > PIN_MAX_DIGITS:
        return PinProblem.TOO_LONG
    return None


def new_pin_problem(pin: str) -> PinProblem | None:
    """What is wrong with `pin` as a new manager PIN, or None.

    On top of the shape: refuses one digit repeated (0000) and straight runs up
    or down (1234, 98765), the PINs every guesser starts with.
    """
    problem = pin_format_problem(pin)
    if problem is not None:
        return problem
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    if steps in ({0}, {1}, {9}):
        return PinProblem.TOO_SIMPLE
    return None


def check_pin_format(pin: str) -> None:
    """Raise `PinError` unless `pin` has the shape of a PIN."""
    problem = pin_format_problem(pin)
    if problem is not None:
        raise PinError(problem)


def check_new_pin(pin: str) -> None:
    """Raise `PinError` unless `pin` is acceptable as a new manager PIN."""
    problem = new_pin_problem(pin)
    if problem is not None:
        raise PinError(problem)


# -- hashing --------------------------------------------------------------------------


@dataclass(frozen=True)
class ScryptParams:
    """scrypt costs: `n` (a power of two), block size `r`, parallelism `p`.

    The default is the production cost: 16 MiB of memory and about 60 ms per
    hash on the till's kind of machine (2 cores). Tests pass a lower cost.
    """

    n: int = 2**14
    r: int = 8
    p: int = 1

    def __post_init__(self) -> None:
        if self.n < 2 or self.n & (self.n - 1) or self.n > 2**_MAX_LOG2_N:
            raise ValueError(f"scrypt n must be a power of two up to 2**{_MAX_LOG2_N}")
        if not 1 <= self.r <= _MAX_R or not 1 <= self.p <= _MAX_P:
            raise ValueError(f"scrypt r must be 1..{_MAX_R} and p 1..{_MAX_P}")

    @property
    def max_memory(self) -> int:
        """Bytes OpenSSL may use for one hash (its V and B arrays, plus slack)."""
        return 128 * self.r * (self.n + self.p + 2) + 1024 * 1024


PRODUCTION_SCRYPT: Final = ScryptParams()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _scrypt(data: bytes, salt: bytes, params: ScryptParams) -> bytes:
    return hashlib.scrypt(
        data,
        salt=salt,
        n=params.n,
        r=params.r,
        p=params.p,
        maxmem=params.max_memory,
        dklen=_HASH_BYTES,
    )


def _peppered(data: bytes, pepper: bytes | None) -> bytes:
    # HMAC, not concatenation: the pepper's length and the input's cannot blur into each other.
    return data if pepper is None else hmac.new(pepper, data, hashlib.sha256).digest()


def pepper_id(pepper: bytes) -> str:
    """Which pepper a hash was made with (8 hex digits; tells nothing of the pepper)."""
    return hashlib.sha256(_PEPPER_ID_LABEL + pepper).hexdigest()[:_PEPPER_ID_HEX]


def hash_secret(
    data: bytes, params: ScryptParams = PRODUCTION_SCRYPT, pepper: bytes | None = None
) -> str:
    """The string to store for a secret (a PIN's digits, a recovery code), with a fresh salt:
    `scrypt$n$r$p$salt$hash`, or `scrypt+pepper$id$n$r$p$salt$hash` of
    HMAC-SHA256(pepper, data)."""
    if pepper is not None and not pepper:
        raise ValueError("a pepper is None or a non-empty secret")
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(_peppered(data, pepper), salt, params)
    head = (_SCHEME,) if pepper is None else (_PEPPERED_SCHEME, pepper_id(pepper))
    costs = (str(params.n), str(params.r), str(params.p))
    return "$".join((*head, *costs, _b64(salt), _b64(digest)))


def hash_pin(
    pin: str, params: ScryptParams = PRODUCTION_SCRYPT, pepper: bytes | None = None
) -> str:
    """The string to store for `pin` (see `hash_secret`). Raises `PinError` if `pin` is
    not 4 to 8 digits."""
    check_pin_format(pin)
    return hash_secret(pin.encode("ascii"), params, pepper)


def is_peppered(encoded: str) -> bool:
    """Whether a stored hash was made with a pepper (it cannot be checked without one)."""
    return encoded.startswith(_PEPPERED_SCHEME + "$")


def _parse(encoded: str) -> tuple[ScryptParams, bytes, bytes, str | None]:
    """The costs, salt, hash and pepper id (None: plain) of a stored hash."""
    parts = encoded.split("$")
    kid: str | None = None
    if parts[0] == _PEPPERED_SCHEME and len(parts) == 7:
        kid = parts.pop(1)
        if len(kid) != _PEPPER_ID_HEX or not set(kid) <= set("0123456789abcdef"):
            raise PinHashError("the stored PIN hash names no readable pepper")
    elif len(parts) != 6 or parts[0] != _SCHEME:
        raise PinHashError("the stored PIN hash is not in the scrypt$n$r$p$salt$hash form")
    try:
        params = ScryptParams(n=int(parts[1]), r=int(parts[2]), p=int(parts[3]))
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except (ValueError, binascii.Error) as exc:
        raise PinHashError(f"the stored PIN hash cannot be read: {exc}") from None
    if len(salt) < _SALT_BYTES or len(digest) != _HASH_BYTES:
        raise PinHashError("the stored PIN hash has a short salt or a wrong hash length")
    return params, salt, digest, kid


def verify_secret(data: bytes, encoded: str, pepper: bytes | None = None) -> bool:
    """Whether `data` matches the stored hash, compared in constant time.

    Reads which kind the hash is: a plain hash ignores `pepper`; a peppered one
    needs that very pepper (`PepperMissingError` without it or with another).
    Raises `PinHashError` if the stored string itself is unreadable (a broken
    store, not a wrong secret).
    """
    params, salt, expected, kid = _parse(encoded)
    if kid is not None:
        if not pepper or pepper_id(pepper) != kid:
            raise PepperMissingError("the PIN hash was made with a key this keyring lacks")
        data = _peppered(data, pepper)
    return hmac.compare_digest(_scrypt(data, salt, params), expected)


def verify_pin(pin: str, encoded: str, pepper: bytes | None = None) -> bool:
    """Whether `pin` matches the stored hash (see `verify_secret`); a PIN of the wrong
    shape is simply not a match."""
    if pin_format_problem(pin) is not None:
        _parse(encoded)  # an unreadable store still says so
        return False
    return verify_secret(pin.encode("ascii"), encoded, pepper)


def needs_rehash(
    encoded: str, params: ScryptParams = PRODUCTION_SCRYPT, pepper: bytes | None = None
) -> bool:
    """Whether to re-hash on the next good entry: the stored hash used other costs than
    `params`, or it is plain while a pepper is available, or peppered while PINs are to be
    plain (no `pepper`: a lane in a store, the PIN checked with the pepper it was set with)."""
    stored, _, _, kid = _parse(encoded)
    return stored != params or (pepper is None) != (kid is None)


# -- lockout --------------------------------------------------------------------------


@dataclass(frozen=True)
class LockState:
    """Wrong tries in a row and, after too many, the end of the lock (aware UTC)."""

    failed_tries: int = 0
    locked_until: datetime | None = None


class AttemptKind(StrEnum):
    """What one PIN entry came to."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED_NOW = "locked_now"  # this wrong try was one too many
    REFUSED_LOCKED = "refused_locked"  # entry is locked: the PIN was not even checked


@dataclass(frozen=True)
class AttemptOutcome:
    """One entry's result and the lock state to persist."""

    kind: AttemptKind
    state: LockState
    tries_left: int
    locked_until: datetime | None


@dataclass(frozen=True)
class LockPolicy:
    """`max_tries` wrong PINs in a row lock entry for `lockout`."""

    max_tries: int = MAX_WRONG_TRIES
    lockout: timedelta = LOCKOUT

    def __post_init__(self) -> None:
        if self.max_tries < 1 or self.lockout <= timedelta(0):
            raise ValueError("a lock policy needs at least one try and a positive lockout")

    def locked_until(self, state: LockState, now: datetime) -> datetime | None:
        """When entry unlocks, or None if it is open at `now`.

        A lock never lasts longer than `lockout` from `now`: if the clock was set
        back, the lock shortens to one lockout instead of lasting for days.
        """
        until = state.locked_until
        if until is None or now >= until:
            return None
        return min(until, now + self.lockout)

    def tries_left(self, state: LockState, now: datetime) -> int:
        """Wrong tries left before the lock (0 while locked)."""
        if self.locked_until(state, now) is not None:
            return 0
        return max(self.max_tries - self._tries(state, now), 0)

    def _tries(self, state: LockState, now: datetime) -> int:
        # A lock that has run out starts a fresh count.
        if state.locked_until is not None and now >= state.locked_until:
            return 0
        return state.failed_tries

    def normalized(self, state: LockState, now: datetime) -> LockState:
        """The same state with an expired lock cleared and a clock-skewed lock shortened."""
        until = self.locked_until(state, now)
        if until is None:
            return LockState(failed_tries=self._tries(state, now))
        return replace(state, locked_until=until)

    def attempt(self, state: LockState, correct: bool, now: datetime) -> AttemptOutcome:
        """Apply one PIN entry that was `correct` or not (ignored while locked)."""
        state = self.normalized(state, now)
        if state.locked_until is not None:
            return AttemptOutcome(AttemptKind.REFUSED_LOCKED, state, 0, state.locked_until)
        if correct:
            return AttemptOutcome(AttemptKind.ACCEPTED, LockState(), self.max_tries, None)
        tries = state.failed_tries + 1
        if tries >= self.max_tries:
            until = now + self.lockout
            locked = LockState(failed_tries=tries, locked_until=until)
            return AttemptOutcome(AttemptKind.LOCKED_NOW, locked, 0, until)
        wrong = LockState(failed_tries=tries)
        return AttemptOutcome(AttemptKind.WRONG, wrong, self.max_tries - tries, None)


# -- manager session ------------------------------------------------------------------


@dataclass
class ManagerSession:
    """A manager signed in at `started_at`; idle for `idle_timeout`, it is over."""

    started_at: datetime
    idle_timeout: timedelta = IDLE_TIMEOUT
    last_activity: datetime = field(init=False)
    signed_out: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if self.idle_timeout <= timedelta(0):
            raise ValueError("the idle timeout must be positive")
        self.last_activity = self.started_at

    @property
    def expires_at(self) -> datetime:
        """When the session ends unless there is activity before."""
        return self.last_activity + self.idle_timeout

    def is_active(self, now: datetime) -> bool:
        """Whether the manager is still signed in at `now`."""
        return not self.signed_out and now < self.expires_at

    def touch(self, now: datetime) -> bool:
        """Activity at `now`: restart the idle countdown. False if the session was over."""
        if not self.is_active(now):
            return False
        # A clock set back must not shorten the session below what was granted.
        self.last_activity = max(self.last_activity, now)
        return True

    def sign_out(self) -> None:
        """End the session now."""
        self.signed_out = True
