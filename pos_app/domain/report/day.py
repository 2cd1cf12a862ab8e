"""The end-of-day report: what the journal says a day brought in, checked against JustiFi.

`build_day_report` sums a local day's approved sales, refunds and voids per
lane and per card brand (`figures`), and reconciles the journal with the
payments JustiFi holds for the same window (`reconciliation`).

Cash is the drawer's: the day's cash movements (cash parts of sales, cash
refunds, cash returned when a sale was cancelled, paid in, paid out, no-sale
openings) per lane, and the day's sales by tender. Cash never reaches JustiFi,
so only the card figures are reconciled.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from pos_app.domain.receipt import JournaledOperation
from pos_app.domain.report.figures import (
    ALL_LANES,
    NO_LANE,
    CashSummary,
    LaneSummary,
    PersonSummary,
    Tally,
    TenderSummary,
    cash_summaries,
    cash_summary,
    lane_of,
    lane_summaries,
    lane_summary,
    person_summaries,
    tender_summaries,
)
from pos_app.domain.report.reconciliation import (
    Difference,
    JustifiPayment,
    Reconciliation,
    unsettled,
    within,
)
from pos_app.domain.report.statuses import FAILED, FINAL_STATUSES
from pos_app.domain.tickets import CashMovement, Ticket, TicketStatus

__all__ = ["DayReport", "build_day_report", "day_window"]


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


@dataclass(frozen=True)
class DayReport:
    """A local day's summary for some lanes, and its reconciliation with JustiFi.

    `justifi_checked` is False when JustiFi's payments were not available: the
    summary stands, but nothing was reconciled (only unsettled operations are
    listed). `lanes_seen` is every lane with operations that day, for a filter.
    `people` are the day's totals per person (of the lanes shown). `audit_head`
    is the audit chain's head when the report was made (`AuditHead.short`), so
    a printed copy anchors the chain; None when not known.

    `cash_total` is None when the drawer's movements were not read (a report
    from the journal's operations alone): no cash figures are shown then.
    `cash` holds one summary per lane with cash that day. `discounts` counts the
    completed sales with a discount and the cents taken off; `cancelled` the
    sales given up, `open_sales` the sales still owing money at the time of the
    report.
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
    people: tuple[PersonSummary, ...] = ()
    audit_head: str | None = None
    cash: tuple[CashSummary, ...] = ()
    cash_total: CashSummary | None = None
    discounts: Tally = field(default_factory=Tally)
    cancelled: Tally = field(default_factory=Tally)
    open_sales: int = 0

    @property
    def reconciled(self) -> bool:
        """JustiFi was checked and agrees with the journal in every respect."""
        return self.justifi_checked and not self.differences

    @property
    def cash_known(self) -> bool:
        """Whether the drawer's movements were read (the report has cash figures)."""
        return self.cash_total is not None

    @property
    def by_tender(self) -> tuple[TenderSummary, ...]:
        """Cash, card and both: () when the cash was not read."""
        if self.cash_total is None:
            return ()
        return tender_summaries(self.total.totals, self.cash_total)


def build_day_report(
    day: date,
    operations: Iterable[JournaledOperation],
    payments: Sequence[JustifiPayment] | None,
    *,
    lanes: Collection[str] | None = None,
    tz: tzinfo | None = None,
    currency: str = "usd",
    audit_head: str | None = None,
    movements: Iterable[CashMovement] | None = None,
    shift_lanes: Mapping[str, str] | None = None,
    tickets: Iterable[Ticket] = (),
) -> DayReport:
    """The report of `day` (local in `tz`) for `lanes` (None: every lane).

    `operations` may hold more than the day: the summary counts only those
    created within the day, and reconciliation uses the rest (operations from
    just before midnight, refunds made on later days) to match JustiFi's side.
    `payments` are JustiFi's payments for the window (plus any the journal
    refers to); None when JustiFi could not be asked. `audit_head`: the audit
    chain's head to print on the report (None: no line).

    `movements` are the drawer's cash movements (None: not read, no cash
    figures); each counts in the lane of its shift (`shift_lanes`: shift id ->
    lane). `tickets` are the sales (tickets) around the day, for the discounts
    and the sales given up; like operations, only those created within the day
    count.
    """
    start, end = day_window(day, tz)
    unique = list({op.id: op for op in operations}.values())
    in_day = sorted(
        (op for op in unique if start <= op.created_at < end), key=lambda op: op.created_at
    )
    wanted = None if lanes is None else frozenset(lanes)
    mine = [op for op in in_day if wanted is None or lane_of(op) in wanted]
    summaries = lane_summaries(mine)
    total = lane_summary(ALL_LANES, mine)
    differences: list[Difference] = [
        unsettled(op, currency) for op in mine if op.status not in FINAL_STATUSES
    ]
    justifi = Tally()
    if payments is not None:
        in_window = [p for p in payments if within(p, start, end)]
        for payment in in_window:
            if payment.status != FAILED:
                justifi = justifi.plus(payment.amount_cents)
        differences += Reconciliation(unique, payments, currency).run(mine, in_window)
    differences.sort(key=lambda d: (d.at is None, d.at or start, d.kind.value))
    movements = None if movements is None else list(movements)
    shift_lanes = shift_lanes or {}
    cash, cash_total = _cash(movements, shift_lanes, wanted, start, end)
    sales = [
        ticket
        for ticket in {ticket.id: ticket for ticket in tickets}.values()
        if start <= ticket.created_at < end and (wanted is None or ticket.lane in wanted)
    ]
    discounts, cancelled = Tally(), Tally()
    for ticket in sales:
        if ticket.status is TicketStatus.COMPLETE and ticket.discount_cents:
            discounts = discounts.plus(ticket.discount_cents)
        elif ticket.status is TicketStatus.CANCELLED:
            cancelled = cancelled.plus(ticket.total_cents)
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
        lanes_seen=tuple(
            sorted({lane_of(op) for op in in_day} | _cash_lanes(movements, shift_lanes, start, end))
        ),
        currency=currency,
        people=person_summaries(mine),
        audit_head=(audit_head or "").strip() or None,
        cash=cash,
        cash_total=cash_total,
        discounts=discounts,
        cancelled=cancelled,
        open_sales=sum(1 for ticket in sales if ticket.status is TicketStatus.OPEN),
    )


def _cash_lanes(
    movements: Sequence[CashMovement] | None,
    shift_lanes: Mapping[str, str],
    start: datetime,
    end: datetime,
) -> set[str]:
    """The lanes with cash movements within the day."""
    return {
        shift_lanes.get(movement.shift_id) or NO_LANE
        for movement in movements or ()
        if start <= movement.at < end
    }


def _cash(
    movements: Sequence[CashMovement] | None,
    shift_lanes: Mapping[str, str],
    wanted: frozenset[str] | None,
    start: datetime,
    end: datetime,
) -> tuple[tuple[CashSummary, ...], CashSummary | None]:
    """The day's cash per lane and in all, for the lanes wanted; ((), None) when not read."""
    if movements is None:
        return (), None
    unique = {movement.id: movement for movement in movements}.values()
    mine = sorted(
        (
            movement
            for movement in unique
            if start <= movement.at < end
            and (wanted is None or (shift_lanes.get(movement.shift_id) or NO_LANE) in wanted)
        ),
        key=lambda movement: movement.at,
    )
    return cash_summaries(mine, shift_lanes), cash_summary(ALL_LANES, mine)
