"""The day report's figures: approved sales, refunds and voids per lane, card brand and person.

Amounts are integer cents; an operation counts once, in its lane and its brand,
and once for the person who served it (a refund or void also counts as
approved for whoever approved it).
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
    "NO_NAME",
    "UNKNOWN_BRAND",
    "BrandTotals",
    "LaneSummary",
    "PersonSummary",
    "Tally",
    "Totals",
    "lane_of",
    "lane_summaries",
    "lane_summary",
    "person_summaries",
]

# -- words, in one place for translation -----------------------------------------------

ALL_LANES: Final = "All lanes"
ALL_BRANDS: Final = "All brands"
NO_LANE: Final = "(no lane)"
UNKNOWN_BRAND: Final = "Unknown card"
NO_NAME: Final = "No name"  # operations journaled before named staff, or without a person


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


@dataclass(frozen=True, slots=True)
class PersonSummary:
    """One person's day: what they served, and the refunds and voids they approved.

    `person` is the name as journaled, or NO_NAME. Names differing only in case
    are one person (the spelling of their newest operation).
    """

    person: str
    totals: Totals
    approved: Tally = field(default_factory=Tally)  # refunds and voids approved
    declined: int = 0  # their charges declined, cancelled or timed out

    @property
    def net_cents(self) -> int:
        """Sales less refunds less voids they served."""
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


def person_summaries(ops: Sequence[JournaledOperation]) -> tuple[PersonSummary, ...]:
    """One summary per person who served or approved any of `ops`, by name, NO_NAME last.

    Only approved operations add to the totals (as per lane); a person who only
    approved appears with empty totals and their approvals.
    """
    spelled: dict[str, str] = {}
    totals: dict[str, Totals] = {}
    approved: dict[str, Tally] = {}
    declined: dict[str, int] = {}

    def key_of(name: str | None) -> str | None:
        stripped = (name or "").strip()
        if not stripped:
            return None
        key = stripped.casefold()
        spelled[key] = stripped  # ops come oldest first: the newest spelling wins
        return key

    for op in sorted(ops, key=lambda op: op.created_at):
        server = key_of(op.served_by) or ""
        approver = key_of(op.approved_by) if op.kind is not PaymentKind.CHARGE else None
        totals.setdefault(server, Totals())
        if op.status == APPROVED:
            totals[server] = totals[server].plus(PaymentKind(op.kind), op.amount_cents)
            if approver is not None:
                approved[approver] = approved.get(approver, Tally()).plus(op.amount_cents)
        elif op.status in NOT_CHARGED and op.kind is PaymentKind.CHARGE:
            declined[server] = declined.get(server, 0) + 1
    keys = sorted({*totals, *approved} - {""}) + ([""] if "" in totals else [])
    return tuple(
        PersonSummary(
            person=spelled.get(key, NO_NAME),
            totals=totals.get(key, Totals()),
            approved=approved.get(key, Tally()),
            declined=declined.get(key, 0),
        )
        for key in keys
    )
