"""Discounts on a line or on a whole sale: a percent or an amount, always with a reason.

Rounding, stated once: a percent discount is rounded half up to the cent
(12.5 cents off becomes 13), the same rule as the tax, so a receipt can be
checked by hand. A discount never takes more than the amount it applies to.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from pos_app.domain.errors import InvalidInputError

__all__ = [
    "BPS_PER_UNIT",
    "MAX_REASON_LENGTH",
    "Discount",
    "DiscountError",
    "DiscountKind",
    "percent_of",
]

# Basis points: 10_000 is 100 %.
BPS_PER_UNIT: Final = 10_000
MAX_REASON_LENGTH: Final = 80


class DiscountKind(StrEnum):
    """How a discount is given."""

    PERCENT = "percent"  # value in basis points: 1_000 is 10 %
    AMOUNT = "amount"  # value in cents


class DiscountError(InvalidInputError):
    """A discount that cannot be given (no reason, over 100 %, more than the amount)."""


def percent_of(cents: int, bps: int) -> int:
    """`bps` basis points of `cents`, rounded half up to the cent (both non-negative)."""
    return (cents * bps + BPS_PER_UNIT // 2) // BPS_PER_UNIT


@dataclass(frozen=True, slots=True)
class Discount:
    """A discount: `value` is basis points for a percent, cents for an amount."""

    kind: DiscountKind
    value: int
    reason: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, int) or isinstance(self.value, bool):
            raise TypeError(f"discount value must be an int, not {type(self.value).__name__}")
        reason = self.reason.strip()
        if not reason:
            raise DiscountError("Say why the discount is given.")
        if len(reason) > MAX_REASON_LENGTH:
            raise DiscountError(f"Keep the reason under {MAX_REASON_LENGTH} characters.")
        object.__setattr__(self, "reason", reason)
        if self.value <= 0:
            raise DiscountError("A discount must be more than zero.")
        if self.kind is DiscountKind.PERCENT and self.value > BPS_PER_UNIT:
            raise DiscountError("A discount can't be more than 100%.")

    def off(self, cents: int) -> int:
        """The cents this discount takes off `cents` (never more than `cents`)."""
        if self.kind is DiscountKind.PERCENT:
            return min(cents, percent_of(cents, self.value))
        return min(cents, self.value)

    def describe(self) -> str:
        """How a receipt names it: "10% off (damaged box)" or "$2.00 off (loyalty)"."""
        if self.kind is DiscountKind.PERCENT:
            whole, part = divmod(self.value, 100)
            figure = f"{whole}%" if not part else f"{whole}.{part:02d}".rstrip("0") + "%"
        else:
            dollars, cents = divmod(self.value, 100)
            figure = f"${dollars:,}.{cents:02d}"
        return f"{figure} off ({self.reason})"
