"""The end-of-day report: what the journal says a day brought in, checked against JustiFi.

`build_day_report` sums a local day's approved sales, refunds and voids per
lane and per card brand, and reconciles the journal with the payments JustiFi
holds for the same window (`JustifiPayment`, a small record the adapter fills
in). Every difference is listed, none is settled here:

- a payment at JustiFi that no journal operation knows (another lane's sale,
  a sale the journal lost, or one made outside the POS);
- an approved journal operation whose payment JustiFi does not have;
- a sale whose amount differs;
- a payment whose refunds in the journal do not add up to what JustiFi refunded;
- a status the two sides disagree on (a void JustiFi did not record, a
  "declined" sale JustiFi took the money for, a disputed payment, ...);
- an operation the journal has not seen finish (unresolved or in progress).

`report_csv` writes the summary and the differences for a spreadsheet.
Amounts are integer cents throughout; CSV amounts are exact decimal strings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Final

from pos_app.domain.money import Money
from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.receipt import JournaledOperation, last_four_only

__all__ = [
    "ALL_BRANDS",
    "ALL_LANES",
    "NO_LANE",
    "UNKNOWN_BRAND",
    "BrandTotals",
    "DayReport",
    "Difference",
    "DifferenceKind",
    "JustifiPayment",
    "LaneSummary",
    "Tally",
    "Totals",
    "build_day_report",
    "day_window",
    "report_csv",
]

# -- words, in one place for translation -----------------------------------------------

ALL_LANES: Final = "All lanes"
ALL_BRANDS: Final = "All brands"
NO_LANE: Final = "(no lane)"
UNKNOWN_BRAND: Final = "Unknown card"
VOIDED_WORD: Final = "voided"

# JustiFi payment statuses (API.md).
FAILED: Final = "failed"
CANCELED: Final = "canceled"  # what a void leaves
SETTLED_STATUSES: Final = frozenset({"succeeded", "partially_refunded", "fully_refunded"})
# Statuses where money moved or may still move: a journal that says "not charged" is wrong.
MONEY_STATUSES: Final = SETTLED_STATUSES | {"pending", "authorized", "disputed"}

# Journal statuses (payment_flow.StateName values).
APPROVED: Final = "approved"
NOT_CHARGED: Final = frozenset({"declined", "cancelled", "timed_out"})
FINAL_STATUSES: Final = NOT_CHARGED | {APPROVED}


class DifferenceKind(StrEnum):
    """What kind of disagreement between the journal and JustiFi."""

    MISSING_FROM_JOURNAL = "missing_from_journal"
    MISSING_AT_JUSTIFI = "missing_at_justifi"
    AMOUNT_MISMATCH = "amount_mismatch"
    REFUND_MISMATCH = "refund_mismatch"
    STATUS_MISMATCH = "status_mismatch"
    UNRESOLVED = "unresolved"


DIFFERENCE_TITLES: Final[dict[DifferenceKind, str]] = {
    DifferenceKind.MISSING_FROM_JOURNAL: "Not in the journal",
    DifferenceKind.MISSING_AT_JUSTIFI: "Not at JustiFi",
    DifferenceKind.AMOUNT_MISMATCH: "Amount differs",
    DifferenceKind.REFUND_MISMATCH: "Refunds differ",
    DifferenceKind.STATUS_MISMATCH: "Status differs",
    DifferenceKind.UNRESOLVED: "Not settled",
}
DIFFERENCE_SENTENCES: Final[dict[DifferenceKind, str]] = {
    DifferenceKind.MISSING_FROM_JOURNAL: (
        "JustiFi has payment {payment} of {amount} ({justifi}) that this journal does not:"
        " taken on another lane or outside the POS."
    ),
    DifferenceKind.MISSING_AT_JUSTIFI: (
        "The journal has an approved {kind} of {amount} (payment {payment}) that JustiFi"
        " does not have."
    ),
    DifferenceKind.AMOUNT_MISMATCH: (
        "Payment {payment}: the journal charged {journal}, JustiFi has {justifi}."
    ),
    DifferenceKind.REFUND_MISMATCH: (
        "Payment {payment}: refunds in the journal total {journal}, JustiFi refunded {justifi}."
    ),
    DifferenceKind.STATUS_MISMATCH: (
        "Payment {payment}: the journal says {journal}, JustiFi says {justifi}."
    ),
    DifferenceKind.UNRESOLVED: (
        "The {kind} of {amount} is {journal} in the journal: check it again before closing the day."
    ),
}
KIND_WORDS: Final[dict[PaymentKind, str]] = {
    PaymentKind.CHARGE: "sale",
    PaymentKind.REFUND: "refund",
    PaymentKind.VOID: "void",
}
UNKNOWN_ID: Final = "(none)"


# -- inputs ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JustifiPayment:
    """A payment as JustiFi lists it, reduced to what reconciliation needs.

    `sale_id` is its payment intent or checkout. Only brand and last four of the card.
    """

    id: str
    amount_cents: int
    amount_refunded_cents: int
    status: str
    created_at: datetime | None
    card_brand: str | None = None
    card_last4: str | None = None
    sale_id: str | None = None
    terminal_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "card_last4", last_four_only(self.card_last4))


def day_window(day: date, tz: tzinfo | None = None) -> tuple[datetime, datetime]:
    """The local day as [start, end): midnight to midnight in `tz` (default: this computer's).

    Built from the wall clock, so a day with a daylight-saving change is 23 or 25 hours.
    """
    midnight, next_midnight = (
        datetime.combine(day, time()),
        datetime.combine(day + timedelta(days=1), time()),
    )
    if tz is None:
        # A naive time's astimezone() reads the system's rules for that very moment.
        return midnight.astimezone(), next_midnight.astimezone()
    return midnight.replace(tzinfo=tz), next_midnight.replace(tzinfo=tz)


# -- outputs -----------------------------------------------------------------------------


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
class Difference:
    """One disagreement between the journal and JustiFi, for a manager to look into.

    `journal` and `justifi` hold what each side says, ready to show (an amount
    or a status). `amount_cents` is the amount concerned.
    """

    kind: DifferenceKind
    payment_id: str | None
    operation_id: str | None
    lane: str | None
    amount_cents: int
    journal: str | None = None
    justifi: str | None = None
    operation_kind: PaymentKind | None = None
    at: datetime | None = None
    currency: str = "usd"

    @property
    def title(self) -> str:
        """A few words naming the kind of difference."""
        return DIFFERENCE_TITLES[self.kind]

    @property
    def description(self) -> str:
        """One sentence for the manager."""
        kind = KIND_WORDS.get(self.operation_kind or PaymentKind.CHARGE, "sale")
        return DIFFERENCE_SENTENCES[self.kind].format(
            payment=self.payment_id or UNKNOWN_ID,
            amount=Money(self.amount_cents, self.currency).format(),
            journal=self.journal or "",
            justifi=self.justifi or "",
            kind=kind,
        )


@dataclass(frozen=True)
class DayReport:
    """A local day's summary for some lanes, and its reconciliation with JustiFi.

    `justifi_checked` is False when JustiFi's payments were not available: the
    summary stands, but nothing was reconciled (only unsettled operations are
    listed). `lanes_seen` is every lane with operations that day, for a filter.
    """

    day: date
    start: datetime
    end: datetime
    lane_filter: tuple[str, ...] | None
    lanes: tuple[LaneSummary, ...]
    total: LaneSummary
    differences: tuple[Difference, ...]
    justifi_checked: bool
    justifi_payments: Tally
    lanes_seen: tuple[str, ...]
    currency: str = "usd"

    @property
    def reconciled(self) -> bool:
        """JustiFi was checked and agrees with the journal in every respect."""
        return self.justifi_checked and not self.differences


# -- building ------------------------------------------------------------------------------


def build_day_report(
    day: date,
    operations: Iterable[JournaledOperation],
    payments: Sequence[JustifiPayment] | None,
    *,
    lanes: Collection[str] | None = None,
    tz: tzinfo | None = None,
    currency: str = "usd",
) -> DayReport:
    """The report of `day` (local in `tz`) for `lanes` (None: every lane).

    `operations` may hold more than the day: the summary counts only those
    created within the day, and reconciliation uses the rest (operations from
    just before midnight, refunds made on later days) to match JustiFi's side.
    `payments` are JustiFi's payments for the window (plus any the journal
    refers to); None when JustiFi could not be asked.
    """
    start, end = day_window(day, tz)
    unique = list({op.id: op for op in operations}.values())
    in_day = sorted(
        (op for op in unique if start <= op.created_at < end), key=lambda op: op.created_at
    )
    wanted = None if lanes is None else frozenset(lanes)
    mine = [op for op in in_day if wanted is None or _lane(op) in wanted]
    summaries = _summaries(mine)
    total = _summary(ALL_LANES, mine)
    differences: list[Difference] = [
        _unsettled(op, currency) for op in mine if op.status not in FINAL_STATUSES
    ]
    justifi = Tally()
    if payments is not None:
        in_window = [p for p in payments if _within(p, start, end)]
        for payment in in_window:
            if payment.status != FAILED:
                justifi = justifi.plus(payment.amount_cents)
        differences += _Reconciliation(unique, payments, currency).run(mine, in_window)
    differences.sort(key=lambda d: (d.at is None, d.at or start, d.kind.value))
    return DayReport(
        day=day,
        start=start,
        end=end,
        lane_filter=None if wanted is None else tuple(sorted(wanted)),
        lanes=summaries,
        total=total,
        differences=tuple(differences),
        justifi_checked=payments is not None,
        justifi_payments=justifi,
        lanes_seen=tuple(sorted({_lane(op) for op in in_day})),
        currency=currency,
    )


def _lane(op: JournaledOperation) -> str:
    return op.lane or NO_LANE


def _brand(brand: str | None) -> str:
    return (brand or "").strip() or UNKNOWN_BRAND


def _within(payment: JustifiPayment, start: datetime, end: datetime) -> bool:
    # A payment without a time came from the window's own list.
    return payment.created_at is None or start <= payment.created_at < end


def _summaries(ops: Sequence[JournaledOperation]) -> tuple[LaneSummary, ...]:
    by_lane: dict[str, list[JournaledOperation]] = {}
    for op in ops:
        by_lane.setdefault(_lane(op), []).append(op)
    return tuple(_summary(lane, by_lane[lane]) for lane in sorted(by_lane))


def _summary(lane: str, ops: Sequence[JournaledOperation]) -> LaneSummary:
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


def _money(cents: int, currency: str) -> str:
    return Money(cents, currency).format()


def _unsettled(op: JournaledOperation, currency: str) -> Difference:
    return Difference(
        kind=DifferenceKind.UNRESOLVED,
        payment_id=op.payment_id,
        operation_id=op.id,
        lane=op.lane,
        amount_cents=op.amount_cents,
        journal=op.status,
        operation_kind=op.kind,
        at=op.created_at,
        currency=currency,
    )


class _Reconciliation:
    """Matches the journal's operations with JustiFi's payments and lists what differs."""

    def __init__(
        self,
        operations: Sequence[JournaledOperation],
        payments: Sequence[JustifiPayment],
        currency: str,
    ) -> None:
        self.currency = currency
        self.by_id = {p.id: p for p in payments}
        self.by_sale: dict[str, list[JustifiPayment]] = {}
        for payment in payments:
            if payment.sale_id:
                self.by_sale.setdefault(payment.sale_id, []).append(payment)
        self.refunded: dict[str, int] = {}
        self.voided: set[str] = set()
        self.known: set[str] = set()  # payments some journal operation refers to
        for op in operations:
            if op.kind is PaymentKind.CHARGE:
                found = self.payment_of(op)
                if found is not None:
                    self.known.add(found.id)
            elif op.payment_id:
                self.known.add(op.payment_id)
            if op.status != APPROVED or not op.payment_id:
                continue
            if op.kind is PaymentKind.REFUND:
                self.refunded[op.payment_id] = self.refunded.get(op.payment_id, 0) + op.amount_cents
            elif op.kind is PaymentKind.VOID:
                self.voided.add(op.payment_id)
        self.checked: set[str] = set()
        self.found: list[Difference] = []

    def payment_of(self, op: JournaledOperation) -> JustifiPayment | None:
        """The charge's payment: by its payment id, else the sale's one that took money."""
        if op.payment_id:
            return self.by_id.get(op.payment_id)
        candidates = self.by_sale.get(op.sale_id or "", [])
        taken = [p for p in candidates if p.status != FAILED] or candidates
        return taken[0] if taken else None

    def run(
        self, mine: Sequence[JournaledOperation], in_window: Sequence[JustifiPayment]
    ) -> list[Difference]:
        for op in mine:
            if op.kind is PaymentKind.CHARGE:
                self.charge(op)
            elif op.status == APPROVED:
                self.refund_or_void(op)
        for payment in in_window:
            if payment.status != FAILED and payment.id not in self.known:
                self.add(
                    DifferenceKind.MISSING_FROM_JOURNAL,
                    payment=payment,
                    amount=payment.amount_cents,
                    justifi=payment.status,
                )
        return self.found

    def charge(self, op: JournaledOperation) -> None:
        payment = self.payment_of(op)
        if op.status == APPROVED:
            if payment is None:
                self.add(DifferenceKind.MISSING_AT_JUSTIFI, op=op, amount=op.amount_cents)
                return
            if payment.amount_cents != op.amount_cents:
                self.add(
                    DifferenceKind.AMOUNT_MISMATCH,
                    op=op,
                    payment=payment,
                    amount=op.amount_cents,
                    journal=_money(op.amount_cents, self.currency),
                    justifi=_money(payment.amount_cents, self.currency),
                )
            self.settlement(payment, op)
        elif op.status in NOT_CHARGED and payment is not None and payment.status in MONEY_STATUSES:
            self.add(
                DifferenceKind.STATUS_MISMATCH,
                op=op,
                payment=payment,
                amount=payment.amount_cents,
                journal=op.status,
                justifi=payment.status,
            )

    def refund_or_void(self, op: JournaledOperation) -> None:
        payment = self.by_id.get(op.payment_id or "")
        if payment is None:
            self.add(DifferenceKind.MISSING_AT_JUSTIFI, op=op, amount=op.amount_cents)
            return
        self.settlement(payment, op)

    def settlement(self, payment: JustifiPayment, op: JournaledOperation) -> None:
        """Voids and refunds of one payment, checked once whatever refers to it."""
        if payment.id in self.checked:
            return
        self.checked.add(payment.id)
        if payment.id in self.voided:
            if payment.status != CANCELED:
                self.status_differs(payment, op, VOIDED_WORD)
            return
        if payment.status not in SETTLED_STATUSES:
            self.status_differs(payment, op, APPROVED)
            return
        refunded = self.refunded.get(payment.id, 0)
        if refunded != payment.amount_refunded_cents:
            self.add(
                DifferenceKind.REFUND_MISMATCH,
                op=op,
                payment=payment,
                amount=abs(payment.amount_refunded_cents - refunded),
                journal=_money(refunded, self.currency),
                justifi=_money(payment.amount_refunded_cents, self.currency),
            )

    def status_differs(self, payment: JustifiPayment, op: JournaledOperation, said: str) -> None:
        self.add(
            DifferenceKind.STATUS_MISMATCH,
            op=op,
            payment=payment,
            amount=payment.amount_cents,
            journal=said,
            justifi=payment.status,
        )

    def add(
        self,
        kind: DifferenceKind,
        *,
        amount: int,
        op: JournaledOperation | None = None,
        payment: JustifiPayment | None = None,
        journal: str | None = None,
        justifi: str | None = None,
    ) -> None:
        payment_id = payment.id if payment is not None else (op.payment_id if op else None)
        self.found.append(
            Difference(
                kind=kind,
                payment_id=payment_id,
                operation_id=op.id if op is not None else None,
                lane=op.lane if op is not None else None,
                amount_cents=amount,
                journal=journal,
                justifi=justifi,
                operation_kind=op.kind if op is not None else None,
                at=op.created_at if op is not None else (payment.created_at if payment else None),
                currency=self.currency,
            )
        )


# -- CSV -------------------------------------------------------------------------------------

SUMMARY_COLUMNS: Final = (
    "lane",
    "brand",
    "sales_count",
    "sales_amount",
    "refunds_count",
    "refunds_amount",
    "voids_count",
    "voids_amount",
    "net_amount",
    "declined_count",
    "unsettled_count",
)
DIFFERENCE_COLUMNS: Final = (
    "difference",
    "description",
    "payment_id",
    "operation_id",
    "lane",
    "journal",
    "justifi",
    "amount",
    "at",
)
HEADER_COLUMNS: Final = (
    "report",
    "day",
    "lanes",
    "window_start",
    "window_end",
    "justifi_checked",
    "justifi_payments_count",
    "justifi_payments_amount",
    "differences",
)
REPORT_NAME: Final = "end_of_day"


def report_csv(report: DayReport) -> str:
    """The report as CSV: a header row, the summary per lane and brand, the differences.

    Amounts are decimal strings in the currency's units ("12.34"), exact from cents.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER_COLUMNS)
    writer.writerow(
        (
            REPORT_NAME,
            report.day.isoformat(),
            _cell(", ".join(report.lane_filter) if report.lane_filter else ALL_LANES),
            report.start.isoformat(),
            report.end.isoformat(),
            "yes" if report.justifi_checked else "no",
            report.justifi_payments.count,
            _decimal(report.justifi_payments.cents),
            len(report.differences),
        )
    )
    writer.writerow(())
    writer.writerow(SUMMARY_COLUMNS)
    for summary in (*report.lanes, report.total):
        writer.writerow(
            (
                *_summary_row(summary.lane, ALL_BRANDS, summary.totals),
                summary.declined,
                summary.unsettled,
            )
        )
        for brand in summary.brands:
            writer.writerow((*_summary_row(summary.lane, brand.brand, brand.totals), "", ""))
    writer.writerow(())
    writer.writerow(DIFFERENCE_COLUMNS)
    for difference in report.differences:
        writer.writerow(
            (
                difference.kind.value,
                _cell(difference.description),
                _cell(difference.payment_id or ""),
                _cell(difference.operation_id or ""),
                _cell(difference.lane or ""),
                _cell(difference.journal or ""),
                _cell(difference.justifi or ""),
                _decimal(difference.amount_cents),
                difference.at.isoformat() if difference.at else "",
            )
        )
    return buffer.getvalue()


def _summary_row(lane: str, brand: str, totals: Totals) -> tuple[str | int, ...]:
    return (
        _cell(lane),
        _cell(brand),
        totals.sales.count,
        _decimal(totals.sales.cents),
        totals.refunds.count,
        _decimal(totals.refunds.cents),
        totals.voids.count,
        _decimal(totals.voids.cents),
        _decimal(totals.net_cents),
    )


def _decimal(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    return f"{sign}{units}.{rest:02d}"


def _cell(text: str) -> str:
    """Text as a spreadsheet shows it, never as a formula (lane names and ids come from outside)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
