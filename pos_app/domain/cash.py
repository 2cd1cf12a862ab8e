"""Counting the cash drawer: its notes and coins, and what a count adds up to.

A shift opens with the float counted and closes with the drawer counted,
either note by note (`DrawerCount`) or as a typed total. Denominations are
cents values, largest first, as a cashier counts them.

Pure values: no I/O. Amounts are integer cents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from pos_app.domain.errors import InvalidInputError

__all__ = ["DENOMINATIONS", "MAX_PIECES", "DrawerCount", "denomination_label"]

# US notes and coins the drawer holds, largest first.
DENOMINATIONS: Final[tuple[int, ...]] = (10000, 5000, 2000, 1000, 500, 200, 100, 25, 10, 5, 1)
# More pieces of one kind than any drawer holds: a typing slip, not a count.
MAX_PIECES: Final = 99_999

# -- the words a cashier reads, in one place for translation ----------------------------

NOT_A_DENOMINATION: Final = "{label} is not a note or coin the drawer holds."
NEGATIVE_COUNT: Final = "Count the {label} as zero or more."
TOO_MANY: Final = "Count the {label} as at most {most:,}."


def denomination_label(cents: int) -> str:
    """How a note or coin is named: "$100", "$1", "25¢" (and "$2.50" for what is neither)."""
    if cents >= 100:
        dollars, rest = divmod(cents, 100)
        return f"${dollars:,}" if not rest else f"${dollars:,}.{rest:02d}"
    return f"{cents}\u00a2"


@dataclass(frozen=True, slots=True)
class DrawerCount:
    """How many of each note and coin were counted (denomination in cents -> pieces).

    Unknown denominations, negative numbers and absurd numbers are refused with
    an InvalidInputError the cashier reads. Denominations counted as zero are
    dropped, so two counts of the same money are equal.
    """

    counts: Mapping[int, int]

    def __post_init__(self) -> None:
        kept: dict[int, int] = {}
        for denomination, pieces in self.counts.items():
            if denomination not in DENOMINATIONS:
                label = denomination_label(denomination)
                raise InvalidInputError(NOT_A_DENOMINATION.format(label=label))
            if not isinstance(pieces, int) or isinstance(pieces, bool):
                raise TypeError(f"a count must be an int, not {type(pieces).__name__}")
            if pieces < 0:
                label = denomination_label(denomination)
                raise InvalidInputError(NEGATIVE_COUNT.format(label=label))
            if pieces > MAX_PIECES:
                label = denomination_label(denomination)
                raise InvalidInputError(TOO_MANY.format(label=label, most=MAX_PIECES))
        for denomination in DENOMINATIONS:
            pieces = self.counts.get(denomination, 0)
            if pieces:
                kept[denomination] = pieces
        object.__setattr__(self, "counts", MappingProxyType(kept))

    @property
    def total_cents(self) -> int:
        """What the count adds up to."""
        return sum(denomination * pieces for denomination, pieces in self.counts.items())

    def pieces(self, denomination: int) -> int:
        """How many of `denomination` were counted (0 when none)."""
        return self.counts.get(denomination, 0)

    def as_dict(self) -> dict[int, int]:
        """The non-zero counts, largest denomination first (what the journal keeps)."""
        return dict(self.counts)

    def rows(self) -> tuple[tuple[int, int, int], ...]:
        """(denomination, pieces, cents) for each denomination counted, largest first."""
        return tuple((value, pieces, value * pieces) for value, pieces in self.counts.items())
