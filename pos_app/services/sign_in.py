"""What a PIN check comes to, and the sentences that say why one was refused.

`SignInResult` is the outcome of one check (`PinChecks`, `ManagerService`);
`ManagerRequiredError` carries the sentence for a refused one, as the window
shows it and the CLI prints it after "pos-app: ". Whose PIN matched is never
said for the PIN alone, and the PIN itself never appears.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from pos_app.domain.errors import NotPermittedError
from pos_app.domain.pin import PIN_MESSAGES, PinProblem
from pos_app.domain.staff import Person

__all__ = [
    "NOTHING_SENT",
    "ManagerRequiredError",
    "ManagerStatus",
    "SignInResult",
    "SignInStatus",
    "hhmm",
    "refusal",
    "tries_text",
]

# Why a PIN check refused (ManagerRequiredError's sentences; the CLI prints them after
# "pos-app: ", the window shows them as they are).
NO_STAFF_TEXT: Final = (
    "nobody works on this lane yet: set up the owner first (the till asks at its first"
    " start; or pos-app staff add NAME --role owner)"
)
SIGN_IN_TEXT: Final = "a manager must sign in first"
NOT_APPROVER_TEXT: Final = "{name} is not a manager: a manager or the owner must approve this"
NOT_APPROVER_ALONE_TEXT: Final = (
    "that PIN is not a manager's: a manager or the owner must approve this"
)
REFUSED_UNKNOWN_TEXT: Final = "nobody called {name} works on this lane"
REFUSED_DISABLED_TEXT: Final = "{name} is disabled on this lane"
REFUSED_LOCKED_TEXT: Final = "PIN entry for {name} is locked until {until} after too many tries"
REFUSED_LANE_LOCKED_TEXT: Final = "PIN entry is locked until {until} after too many tries"
REFUSED_AMBIGUOUS_TEXT: Final = "that PIN alone is not enough here: give your name too"
REFUSED_WRONG_TEXT: Final = "wrong PIN for {name} ({left} left){done}"
REFUSED_WRONG_ALONE_TEXT: Final = "wrong PIN ({left} left){done}"
NOTHING_SENT: Final = "; nothing was sent"


class ManagerStatus(StrEnum):
    """Where the lane stands with its approvers."""

    NO_STAFF = "no_staff"  # nobody works here yet: the owner is set up first
    SIGNED_OUT = "signed_out"
    LOCKED = "locked"
    SIGNED_IN = "signed_in"  # a manager or owner is signed in
    NOT_APPROVER = "not_approver"  # a cashier is signed in


class ManagerRequiredError(NotPermittedError):
    """An approver was needed and is not there; `message` says why (nobody set up, nobody
    signed in, a cashier, an unknown or disabled name, a lock, a wrong PIN)."""

    def __init__(
        self,
        status: ManagerStatus,
        locked_until: datetime | None = None,
        message: str | None = None,
    ) -> None:
        super().__init__(message or _required_text(status, locked_until))
        self.status = status
        self.locked_until = locked_until


def _required_text(status: ManagerStatus, locked_until: datetime | None) -> str:
    if status is ManagerStatus.NO_STAFF:
        return NO_STAFF_TEXT
    if status is ManagerStatus.LOCKED and locked_until is not None:
        return REFUSED_LANE_LOCKED_TEXT.format(until=hhmm(locked_until))
    return SIGN_IN_TEXT


class SignInStatus(StrEnum):
    """What one PIN entry came to."""

    SIGNED_IN = "signed_in"  # the PIN is right (and, for sign_in, the session started)
    WRONG = "wrong"
    LOCKED = "locked"
    INVALID = "invalid"  # not 4 to 8 digits: no try used
    UNKNOWN = "unknown"  # no such active person
    DISABLED = "disabled"
    AMBIGUOUS = "ambiguous"  # the PIN alone matched several people: choose your name
    NO_STAFF = "no_staff"  # nobody works here yet: the owner is set up first
    NOT_APPROVER = "not_approver"  # a cashier where a manager or owner is needed


@dataclass(frozen=True)
class SignInResult:
    """The outcome of a PIN check; never carries the PIN."""

    status: SignInStatus
    tries_left: int | None = None
    locked_until: datetime | None = None
    problem: PinProblem | None = None
    max_tries: int | None = None
    person: Person | None = None

    @property
    def ok(self) -> bool:
        """Whether the PIN was right (and the person may go on)."""
        return self.status is SignInStatus.SIGNED_IN


def hhmm(moment: datetime) -> str:
    """A lock's end as a person reads it: local time, hours and minutes."""
    return moment.astimezone().strftime("%H:%M")


def tries_text(left: int) -> str:
    """ "1 try" or "3 tries", as a sentence says it."""
    return "1 try" if left == 1 else f"{left} tries"


def refusal(
    result: SignInResult, name: str | None, done: str = NOTHING_SENT
) -> ManagerRequiredError:
    """The error saying why a PIN check refused (`name` None: the PIN alone)."""
    who = name if result.person is None else result.person.name
    status = result.status
    if status is SignInStatus.NO_STAFF:
        return ManagerRequiredError(ManagerStatus.NO_STAFF)
    if status is SignInStatus.LOCKED and result.locked_until is not None:
        until = hhmm(result.locked_until)
        text = (
            REFUSED_LANE_LOCKED_TEXT.format(until=until)
            if who is None
            else REFUSED_LOCKED_TEXT.format(name=who, until=until)
        )
        return ManagerRequiredError(ManagerStatus.LOCKED, result.locked_until, text)
    if status is SignInStatus.INVALID and result.problem is not None:
        text = PIN_MESSAGES[result.problem]
    elif status is SignInStatus.UNKNOWN:
        text = REFUSED_UNKNOWN_TEXT.format(name=who)
    elif status is SignInStatus.DISABLED:
        text = REFUSED_DISABLED_TEXT.format(name=who)
    elif status is SignInStatus.NOT_APPROVER:
        text = NOT_APPROVER_ALONE_TEXT if who is None else NOT_APPROVER_TEXT.format(name=who)
        return ManagerRequiredError(ManagerStatus.NOT_APPROVER, message=text)
    elif status is SignInStatus.AMBIGUOUS:
        text = REFUSED_AMBIGUOUS_TEXT
    else:
        left = tries_text(result.tries_left or 0)
        text = (
            REFUSED_WRONG_ALONE_TEXT.format(left=left, done=done)
            if who is None
            else REFUSED_WRONG_TEXT.format(name=who, left=left, done=done)
        )
    return ManagerRequiredError(ManagerStatus.SIGNED_OUT, message=text)
