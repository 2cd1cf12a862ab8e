"""The people who work a lane: roles, names, the PIN rules per role and the recovery code.

Rules worth knowing:

- Three roles. A cashier sells; a manager or an owner also approves refunds,
  voids and overrides (`can_approve`). Who may manage whom is the service's
  business (`pos_app.services.manager`), not the role's.
- A cashier's PIN has 4 to 8 digits, a manager's or owner's at least 6: an
  approver's PIN unlocks money going back. The weak PINs (one digit repeated,
  a straight run) are refused for everybody.
- A name is what the receipts, the history and the audit log print: 1 to 40
  characters once the outer spaces are cut, no control characters. Two people
  may not share a name whatever its case (the store enforces it).
- The recovery code is the owner's way back from a forgotten PIN: 16 characters
  in 4 groups of 4 from Crockford's base-32 alphabet (no I, L, O or U), 80 random
  bits, easy to read aloud and type. Only its scrypt hash is kept; typing it
  forgives case, spaces, dashes and the letters O, I and L for 0, 1 and 1.
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from pos_app.domain.errors import InvalidInputError
from pos_app.domain.pin import (
    PRODUCTION_SCRYPT,
    PinError,
    PinProblem,
    ScryptParams,
    hash_secret,
    new_pin_problem,
    verify_secret,
)

__all__ = [
    "APPROVER_PIN_DIGITS",
    "CASHIER_PIN_DIGITS",
    "NAME_MAX_CHARS",
    "RECOVERY_ALPHABET",
    "RECOVERY_GROUPS",
    "Person",
    "StaffRole",
    "check_staff_name",
    "check_staff_pin",
    "hash_recovery_code",
    "min_pin_digits",
    "new_recovery_code",
    "normalize_recovery_code",
    "staff_pin_problem",
    "verify_recovery_code",
]

CASHIER_PIN_DIGITS: Final = 4
APPROVER_PIN_DIGITS: Final = 6
NAME_MAX_CHARS: Final = 40

RECOVERY_ALPHABET: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: 32 symbols
RECOVERY_GROUPS: Final = 4
_GROUP_CHARS: Final = 4
_RECOVERY_CHARS: Final = RECOVERY_GROUPS * _GROUP_CHARS  # 16 x 5 bits = 80 bits
_READ_AS: Final = str.maketrans("OIL", "011")  # what a person may type for 0 and 1
_SEPARATORS: Final = frozenset(" -\t")


class StaffRole(StrEnum):
    """What a member of staff may do at the till."""

    CASHIER = "cashier"
    MANAGER = "manager"
    OWNER = "owner"

    @property
    def can_approve(self) -> bool:
        """Whether this role approves refunds, voids and overrides."""
        return self is not StaffRole.CASHIER


def min_pin_digits(role: StaffRole) -> int:
    """The fewest digits a new PIN of someone in `role` may have."""
    return APPROVER_PIN_DIGITS if role.can_approve else CASHIER_PIN_DIGITS


# Sentences a person reads; the digits follow the constants above.
APPROVER_TOO_SHORT_TEXT: Final = (
    f"A manager's or owner's PIN has at least {APPROVER_PIN_DIGITS} digits."
)
NAME_EMPTY_TEXT: Final = "Enter the person's name."
NAME_TOO_LONG_TEXT: Final = f"A name has at most {NAME_MAX_CHARS} characters."
NAME_CONTROL_TEXT: Final = "A name holds letters, digits, spaces and punctuation only."


def staff_pin_problem(pin: str, role: StaffRole) -> PinProblem | None:
    """What is wrong with `pin` as a new PIN for someone in `role`, or None."""
    problem = new_pin_problem(pin)
    if problem is not None:
        return problem
    if len(pin) < min_pin_digits(role):
        return PinProblem.TOO_SHORT
    return None


def check_staff_pin(pin: str, role: StaffRole) -> None:
    """Raise `PinError` unless `pin` is acceptable as a new PIN for `role`."""
    problem = staff_pin_problem(pin, role)
    if problem is None:
        return
    if problem is PinProblem.TOO_SHORT and role.can_approve:
        raise PinError(problem, APPROVER_TOO_SHORT_TEXT)
    raise PinError(problem)


def check_staff_name(name: str) -> str:
    """`name` without its outer spaces; `InvalidInputError` if empty, over 40 characters
    or holding a control character (a new line, a tab, a bidi override)."""
    stripped = name.strip()
    if not stripped:
        raise InvalidInputError(NAME_EMPTY_TEXT)
    if len(stripped) > NAME_MAX_CHARS:
        raise InvalidInputError(NAME_TOO_LONG_TEXT)
    # Cc: controls (new lines, tabs); Cf: format characters such as the bidi overrides
    # that make a receipt's name read backwards.
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in stripped):
        raise InvalidInputError(NAME_CONTROL_TEXT)
    return stripped


@dataclass(frozen=True)
class Person:
    """A member of staff as the rest of the app sees them (never their PIN hash)."""

    id: int
    name: str
    role: StaffRole
    active: bool
    failed_tries: int
    locked_until: datetime | None

    @property
    def can_approve(self) -> bool:
        """Whether this person approves refunds, voids and overrides (and is active)."""
        return self.active and self.role.can_approve


# -- recovery code --------------------------------------------------------------------


def new_recovery_code() -> str:
    """A fresh code to show once, like `7KQ2-M9XD-3FHT-R8WC` (80 random bits)."""
    chars = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(_RECOVERY_CHARS))
    groups = (chars[i : i + _GROUP_CHARS] for i in range(0, _RECOVERY_CHARS, _GROUP_CHARS))
    return "-".join(groups)


def normalize_recovery_code(typed: str) -> str | None:
    """The code's 16 symbols as typed, forgiving case, spaces, dashes, O for 0 and I or L
    for 1; None when it cannot be a recovery code."""
    chars = "".join(char for char in typed.upper() if char not in _SEPARATORS)
    chars = chars.translate(_READ_AS)
    if len(chars) != _RECOVERY_CHARS or not set(chars) <= set(RECOVERY_ALPHABET):
        return None
    return chars


def hash_recovery_code(code: str, params: ScryptParams = PRODUCTION_SCRYPT) -> str:
    """The string to store for `code` (scrypt, salted, never peppered).

    No pepper on purpose: the code is the way back when this computer's keyring
    lost its key, and 80 random bits need no pepper against an offline search.
    """
    chars = normalize_recovery_code(code)
    if chars is None:
        raise ValueError("not a recovery code")
    return hash_secret(chars.encode("ascii"), params)


def verify_recovery_code(typed: str, encoded: str) -> bool:
    """Whether `typed` is the code whose hash is `encoded` (constant-time compare)."""
    chars = normalize_recovery_code(typed)
    if chars is None:
        return False
    return verify_secret(chars.encode("ascii"), encoded)
