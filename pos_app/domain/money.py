"""Money in integer cents, and parsing of amounts typed by a cashier.

No floats anywhere: amounts are whole cents from the keyboard to the API.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import total_ordering
from typing import Final

from pos_app.domain.errors import InvalidInputError

__all__ = [
    "DEFAULT_MAXIMUM_CENTS",
    "JUSTIFI_MINIMUM_CENTS",
    "KEYPAD_MAX_DIGITS",
    "AmountError",
    "AmountErrorReason",
    "Money",
    "cents_from_keypad",
    "parse_amount",
]

# JustiFi requires amounts to exceed 50 cents.
JUSTIFI_MINIMUM_CENTS: Final = 51
DEFAULT_MAXIMUM_CENTS: Final = 1_000_000
KEYPAD_MAX_DIGITS: Final = 9

_ASCII_DIGITS: Final = frozenset("0123456789")

# Optional "$", then either grouped thousands or plain digits, then an optional fraction.
# Explicit [0-9] because \d also matches non-ASCII digits.
_AMOUNT_RE: Final = re.compile(
    r"""
    \$?\ *
    (?P<int>[1-9][0-9]{0,2}(?:,[0-9]{3})+|[0-9]*)
    (?:\.(?P<frac>[0-9]*))?
    """,
    re.VERBOSE,
)


class AmountErrorReason(StrEnum):
    """Why a typed amount was refused."""

    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    NEGATIVE = "negative"
    ZERO = "zero"
    TOO_MANY_DECIMALS = "too_many_decimals"
    BELOW_MINIMUM = "below_minimum"
    ABOVE_MAXIMUM = "above_maximum"


# Cashier-facing sentences for refused amounts, kept together for translation.
# {minimum} and {maximum} are formatted amounts such as "$0.51".
_AMOUNT_MESSAGES: Final[dict[AmountErrorReason, str]] = {
    AmountErrorReason.EMPTY: "Enter an amount.",
    AmountErrorReason.NOT_A_NUMBER: "Enter the amount as a number, like 12.50.",
    AmountErrorReason.NEGATIVE: "Enter the amount without a minus sign.",
    AmountErrorReason.ZERO: "The amount can't be zero. Enter an amount of at least {minimum}.",
    AmountErrorReason.TOO_MANY_DECIMALS: "Use at most two digits after the decimal point.",
    AmountErrorReason.BELOW_MINIMUM: "Enter an amount of at least {minimum}.",
    AmountErrorReason.ABOVE_MAXIMUM: "Enter an amount of at most {maximum}.",
}


class AmountError(InvalidInputError):
    """A typed amount was refused; `message` is a sentence for the cashier."""

    def __init__(self, reason: AmountErrorReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@total_ordering
@dataclass(frozen=True, slots=True)
class Money:
    """An immutable amount of money in integer cents (minor units) of one currency."""

    cents: int
    currency: str = "usd"

    def __post_init__(self) -> None:
        # bool is an int subclass; True dollars is always a bug.
        if not isinstance(self.cents, int) or isinstance(self.cents, bool):
            raise TypeError(f"Money cents must be an int, not {type(self.cents).__name__}")
        if not (len(self.currency) == 3 and self.currency.isascii() and self.currency.islower()):
            raise ValueError(f"currency must be a lower-case code like 'usd': {self.currency!r}")

    @classmethod
    def zero(cls, currency: str = "usd") -> Money:
        """Return no money in `currency`."""
        return cls(0, currency)

    def _check_same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_same_currency(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_same_currency(other)
        return Money(self.cents - other.cents, self.currency)

    def __mul__(self, quantity: int) -> Money:
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            return NotImplemented
        return Money(self.cents * quantity, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.cents, self.currency)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        self._check_same_currency(other)
        return self.cents < other.cents

    def format(self) -> str:
        """Return the amount as a cashier reads it: "$1,234.56", "-$1.00"."""
        sign = "-" if self.cents < 0 else ""
        dollars, cents = divmod(abs(self.cents), 100)
        number = f"{dollars:,}.{cents:02d}"
        if self.currency == "usd":
            return f"{sign}${number}"
        return f"{sign}{number} {self.currency.upper()}"

    def __str__(self) -> str:
        return self.format()


def _refuse(reason: AmountErrorReason, *, minimum_cents: int, maximum_cents: int) -> AmountError:
    message = _AMOUNT_MESSAGES[reason].format(
        minimum=Money(minimum_cents).format(), maximum=Money(maximum_cents).format()
    )
    return AmountError(reason, message)


def parse_amount(
    text: str,
    *,
    minimum_cents: int = JUSTIFI_MINIMUM_CENTS,
    maximum_cents: int = DEFAULT_MAXIMUM_CENTS,
) -> Money:
    """Parse an amount as people type it ("12", "12.5", "$1,234.56", ".99") into Money.

    Raises AmountError with a reason and a cashier sentence when the text is not
    an amount in [minimum_cents, maximum_cents]. Never uses float.
    """

    def refuse(reason: AmountErrorReason) -> AmountError:
        return _refuse(reason, minimum_cents=minimum_cents, maximum_cents=maximum_cents)

    stripped = text.strip()
    if not stripped:
        raise refuse(AmountErrorReason.EMPTY)
    negative = False
    body = stripped
    # Accept "-5", "-$5" and "$-5"; all mean a negative amount.
    if body.startswith("-"):
        negative, body = True, body[1:]
    elif body.startswith("$-"):
        negative, body = True, "$" + body[2:]
    match = _AMOUNT_RE.fullmatch(body)
    if match is None:
        raise refuse(AmountErrorReason.NOT_A_NUMBER)
    integer = match["int"].replace(",", "")
    fraction = match["frac"] or ""
    if not integer and not fraction:
        raise refuse(AmountErrorReason.NOT_A_NUMBER)  # "", "$", "." and "$."
    is_zero = set(integer + fraction) <= {"0"}
    if negative and not is_zero:
        raise refuse(AmountErrorReason.NEGATIVE)
    if len(fraction) > 2:
        raise refuse(AmountErrorReason.TOO_MANY_DECIMALS)
    if is_zero:
        raise refuse(AmountErrorReason.ZERO)
    integer = integer.lstrip("0")
    # Skip int() on absurdly long input: it is above any maximum, and int() caps digits.
    if len(integer) > len(str(max(maximum_cents, 0))):
        raise refuse(AmountErrorReason.ABOVE_MAXIMUM)
    cents = int(integer or "0") * 100 + int(fraction.ljust(2, "0"))
    if cents < minimum_cents:
        raise refuse(AmountErrorReason.BELOW_MINIMUM)
    if cents > maximum_cents:
        raise refuse(AmountErrorReason.ABOVE_MAXIMUM)
    return Money(cents)


def cents_from_keypad(digits: str) -> int:
    """Return the cents for card-terminal style entry, where digits fill from the cents.

    "1234" is 1234 cents ($12.34); leading zeros are ignored and "" is 0.
    Raises ValueError for anything but ASCII digits or more than
    KEYPAD_MAX_DIGITS significant digits.
    """
    if not set(digits) <= _ASCII_DIGITS:
        raise ValueError(f"keypad entry must be digits only: {digits!r}")
    significant = digits.lstrip("0")
    if len(significant) > KEYPAD_MAX_DIGITS:
        raise ValueError(f"keypad entry is longer than {KEYPAD_MAX_DIGITS} digits")
    return int(significant or "0")
