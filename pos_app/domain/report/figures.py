"""The day report's figures: approved sales, refunds and voids per lane and card brand.

Amounts are integer cents; an operation counts once, in its lane and its brand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.receipt import JournaledOperation
from pos_app.domain.report.statuses import APPROVED, NOT_CHARGED

__all__ = [
    "ALL_BRANDS",
    "ALL_LANES",
    "NO_LANE",
    "UNKNOWN_BRAND",
    "BrandTotals",
    "LaneSummary",
    "Tally",
    "Totals",
    "lane_of",
    "lane_summaries",
    "lane_summary",
]

# -- words, in one place for translation -----------------------------------------------

ALL_LANES: Final = "All lanes"
ALL_BRANDS: Final = "All brands"
NO_LANE: Final = "(no lane)"
UNKNOWN_BRAND: Final = "Unknown card"


@dataclass(frozen=True, slots=True)
class Tally:
    """How many, and how much in cents."""

    count: int = 0
    cents: int = 0

    def plus(self, cents: int) -> Tally:
        """One more, of `cents`."""
        return Tally(self.count + 1, self.cents + cents)

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.count + other.count, self.cents + other.cents)


@dataclass(frozen=True, slots=True)
class Totals:
    """Approved sales, refunds and voids."""

    sales: Tally = field(default_factory=Tally)
    refunds: Tally = field(default_factory=Tally)
    voids: Tally = field(default_factory=Tally)

    @property
    def net_cents(self) -> int:
        """Sales less refunds less voids: what stays with the store."""
        return self.sales.cents - self.refunds.cents - self.voids.cents

    def plus(self, kind: PaymentKind, cents: int) -> Totals:
        """These totals with one more approved operation."""
        if kind is PaymentKind.CHARGE:
            return Totals(self.sales.plus(cents), self.refunds, self.voids)
        if kind is PaymentKind.REFUND:
            return Totals(self.sales, self.refunds.plus(cents), self.voids)
        return Totals(self.sales, self.refunds, self.voids.plus(cents))

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            self.sales + other.sales, self.refunds + other.refunds, self.voids + other.voids
        )


@dataclass(frozen=True, slots=True)
class BrandTotals:
    """The totals of one card brand."""

    brand: str
    totals: Totals


@dataclass(frozen=True, slots=True)
class LaneSummary:
    """One lane's day (or every lane's, as `ALL_LANES`)."""

    lane: str
    totals: Totals
    brands: tuple[BrandTotals, ...]
    declined: int = 0  # charges declined, cancelled or timed out: nothing taken
    unsettled: int = 0  # not final, or unresolved

    @property
    def net_cents(self) -> int:
        """Sales less refunds less voids."""
        return self.totals.net_cents


def lane_of(op: JournaledOperation) -> str:
    """The operation's lane, or NO_LANE."""
    return op.lane or NO_LANE


def _brand(brand: str | None) -> str:
    return (brand or "").strip() or UNKNOWN_BRAND


def lane_summaries(ops: Sequence[JournaledOperation]) -> tuple[LaneSummary, ...]:
    """One summary per lane, in lane order."""
    by_lane: dict[str, list[JournaledOperation]] = {}
    for op in ops:
        by_lane.setdefault(lane_of(op), []).append(op)
    return tuple(lane_summary(lane, by_lane[lane]) for lane in sorted(by_lane))


def lane_summary(lane: str, ops: Sequence[JournaledOperation]) -> LaneSummary:
    """The summary of `ops` under the name `lane`."""
    totals = Totals()
    brands: dict[str, Totals] = {}
    declined = unsettled = 0
    for op in ops:
        if op.status == APPROVED:
            kind = PaymentKind(op.kind)
            totals = totals.plus(kind, op.amount_cents)
            brand = _brand(op.card_brand)
            brands[brand] = brands.get(brand, Totals()).plus(kind, op.amount_cents)
        elif op.status in NOT_CHARGED:
            if op.kind is PaymentKind.CHARGE:
                declined += 1
        else:
            unsettled += 1
    return LaneSummary(
        lane=lane,
        totals=totals,
        brands=tuple(BrandTotals(name, brands[name]) for name in sorted(brands)),
        declined=declined,
        unsettled=unsettled,
    )
