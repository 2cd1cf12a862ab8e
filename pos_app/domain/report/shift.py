"""The shift's X and Z reports: what a shift took by tender, and the cash the drawer should hold.

An X report is read at any time during a shift and changes nothing; the Z
report is the closed shift's, with the drawer counted and the over/short.
Both are built from the shift's records: its cash movements, its tickets and
the journal's card operations that carry its id.

Rules worth knowing:
- Sales by tender count tender parts: a cash part is a SALE movement, a card
  part an approved charge. A sale paid half in cash and half by card is one
  cash sale and one card sale, and one completed ticket (`tickets`).
- Refunds by tender include what went back when a partly paid sale was
  cancelled: cash returned (also shown alone as `cash_returned`) and card
  parts refunded; card parts voided are in `voids`.
- Expected cash = float + cash sales - cash given back + paid in - paid out
  (the movements' `signed_cents`). A closed shift keeps the expected figure
  recorded at its close, so a Z report reprinted later says what was said.
- Over/short = counted - expected: negative is short, positive is over.
- Discounts count completed tickets with a discount; cancelled sales count
  the tickets given up, at their totals.
- Records that carry another shift's id are left out.

Amounts are integer cents. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from pos_app.domain.cash import denomination_label
from pos_app.domain.money import Money
from pos_app.domain.paper import Lines, wrap
from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.receipt import JournaledOperation
from pos_app.domain.report.figures import NO_NAME, BrandTotals, Tally, lane_summary
from pos_app.domain.report.statuses import APPROVED
from pos_app.domain.tickets import CashMovement, CashMovementKind, Shift, Ticket, TicketStatus

__all__ = [
    "CARD",
    "CASH",
    "PersonSales",
    "ShiftOperation",
    "ShiftReport",
    "ShiftReportKind",
    "build_shift_report",
    "expected_cash",
    "render_shift_text",
]

# The keys of `sales_by_tender` and `refunds_by_tender` (`tender.TenderKind` values).
CASH: Final = "cash"
CARD: Final = "card"

# -- the words printed on the report, in one place for translation ----------------------

TITLES: Final = {"x": "X REPORT - SHIFT SO FAR", "z": "Z REPORT - SHIFT CLOSED"}
LANE_LABEL: Final = "Lane"
SHIFT_LABEL: Final = "Shift"
OPENED_LABEL: Final = "Opened"
CLOSED_LABEL: Final = "Closed"
PRINTED_LABEL: Final = "Printed"
BY_TEXT: Final = "{when} by {person}"
SECTION_SALES: Final = "SALES"
SECTION_BRANDS: Final = "CARD SALES BY BRAND"
SECTION_GIVEN_BACK: Final = "REFUNDS AND VOIDS"
SECTION_OTHER: Final = "DISCOUNTS AND CANCELLED SALES"
SECTION_DRAWER: Final = "CASH DRAWER"
SECTION_COUNT: Final = "DRAWER COUNT"
SECTION_NO_SALES: Final = "NO SALE OPENINGS"
SECTION_PAID_IN: Final = "PAID IN"
SECTION_PAID_OUT: Final = "PAID OUT"
SECTION_PEOPLE: Final = "SALES BY PERSON"
COUNTED_ROW: Final = "{label} ({count})"
CASH_SALES: Final = "Cash"
CARD_SALES: Final = "Card"
ALL_SALES: Final = "Total"
TICKETS_ROW: Final = "Sales completed"
DECLINED_ROW: Final = "Cards declined"
UNSETTLED_ROW: Final = "Card payments not settled"
CASH_REFUNDS: Final = "Cash refunds"
CASH_RETURNED: Final = "  for cancelled sales"
CARD_REFUNDS: Final = "Card refunds"
VOIDS: Final = "Card voids"
DISCOUNTS: Final = "Discounts"
CANCELLED: Final = "Cancelled sales"
FLOAT: Final = "Float"
DRAWER_CASH_SALES: Final = "+ Cash sales"
DRAWER_CASH_BACK: Final = "- Cash refunds"
DRAWER_PAID_IN: Final = "+ Paid in"
DRAWER_PAID_OUT: Final = "- Paid out"
EXPECTED: Final = "Expected in drawer"
COUNTED: Final = "Counted"
SHORT: Final = "Short"
OVER: Final = "Over"
BALANCED: Final = "Balanced"
COUNT_ROW: Final = "{label} x {pieces}"
MOVEMENT_ROW: Final = "{time} {person}"
NO_REASON: Final = "(no reason)"
APPROVED_BY: Final = "approved by {name}"
NOTHING: Final = "None"
FOOTER: Final = {"x": "Shift still open", "z": "End of shift"}
DATE_FORMAT: Final = "%Y-%m-%d %H:%M"
TIME_FORMAT: Final = "%H:%M"
MIN_WIDTH: Final = 24
MAX_WIDTH: Final = 80


class ShiftReportKind(StrEnum):
    """Which report: the X during a shift, the Z at its close."""

    X = "x"
    Z = "z"


# What the shift report reads of a journaled card operation: the one protocol receipts and
# the end of day read too (it carries the ticket and shift ids).
ShiftOperation = JournaledOperation


@dataclass(frozen=True, slots=True)
class PersonSales:
    """The sales one person served in the shift: completed tickets, and card sales rung up
    without a ticket. `person` is None for sales without a name."""

    person: str | None
    sales: Tally


@dataclass(frozen=True)
class ShiftReport:
    """An X or Z report of one shift. Every amount is in cents; see the module's rules."""

    kind: ShiftReportKind
    shift: Shift
    made_at: datetime
    sales_by_tender: Mapping[str, Tally]  # CASH and CARD, always both
    card_brands: tuple[BrandTotals, ...]  # approved card operations per brand, by name
    refunds_by_tender: Mapping[str, Tally]  # CASH and CARD, always both
    voids: Tally
    discounts: Tally  # completed tickets with a discount, and the cents taken off
    no_sales: tuple[CashMovement, ...]  # oldest first, each with its reason
    paid_in: tuple[CashMovement, ...]
    paid_out: tuple[CashMovement, ...]
    cancelled: Tally  # tickets given up, at their totals
    tickets: int  # tickets completed
    float_cents: int
    expected_cash_cents: int
    counted_cents: int | None
    over_short_cents: int | None  # counted - expected: negative is short
    by_person: tuple[PersonSales, ...]
    cash_returned: Tally = field(default_factory=Tally)  # part of the cash refunds
    declined: int = 0  # card charges declined, cancelled or timed out
    unsettled: int = 0  # card operations not final yet: the figures may still change

    @property
    def sales(self) -> Tally:
        """Every tender part taken: cash and card."""
        return self.sales_by_tender[CASH] + self.sales_by_tender[CARD]

    @property
    def is_final(self) -> bool:
        """A Z report of a closed shift."""
        return self.kind is ShiftReportKind.Z


def expected_cash(shift: Shift, movements: Iterable[CashMovement]) -> int:
    """What the drawer should hold: the float plus every cash movement of the shift
    (in +, out -, a no-sale 0)."""
    return shift.float_cents + sum(m.signed_cents for m in movements if m.shift_id == shift.id)


def build_shift_report(
    shift: Shift,
    movements: Iterable[CashMovement],
    tickets: Iterable[Ticket],
    operations: Iterable[ShiftOperation],
    *,
    kind: ShiftReportKind,
    made_at: datetime,
) -> ShiftReport:
    """The X or Z report of `shift` from its records (others' are left out).

    ValueError for a Z report of a shift still open: the Z is made at the close.
    """
    if kind is ShiftReportKind.Z and shift.is_open:
        raise ValueError("a Z report is of a closed shift; close it first")
    moves = sorted((m for m in movements if m.shift_id == shift.id), key=lambda m: m.at)
    own_tickets = [t for t in tickets if t.shift_id == shift.id]
    ops = sorted((op for op in operations if op.shift_id == shift.id), key=lambda op: op.created_at)

    def moved(*kinds: CashMovementKind) -> Tally:
        tally = Tally()
        for movement in moves:
            if movement.kind in kinds:
                tally = tally.plus(movement.amount_cents)
        return tally

    card = lane_summary(shift.lane, ops)  # the day report's card figures, for the shift
    completed = [t for t in own_tickets if t.status is TicketStatus.COMPLETE]
    discounted = [t for t in completed if t.discount_cents > 0]
    expected = (
        shift.expected_cents
        if shift.expected_cents is not None and not shift.is_open
        else expected_cash(shift, moves)
    )
    counted = shift.counted_cents if not shift.is_open else None
    return ShiftReport(
        kind=kind,
        shift=shift,
        made_at=made_at,
        sales_by_tender=MappingProxyType(
            {CASH: moved(CashMovementKind.SALE), CARD: card.totals.sales}
        ),
        card_brands=card.brands,
        refunds_by_tender=MappingProxyType(
            {
                CASH: moved(CashMovementKind.REFUND, CashMovementKind.CANCEL_RETURN),
                CARD: card.totals.refunds,
            }
        ),
        voids=card.totals.voids,
        discounts=Tally(len(discounted), sum(t.discount_cents for t in discounted)),
        no_sales=tuple(m for m in moves if m.kind is CashMovementKind.NO_SALE),
        paid_in=tuple(m for m in moves if m.kind is CashMovementKind.PAID_IN),
        paid_out=tuple(m for m in moves if m.kind is CashMovementKind.PAID_OUT),
        cancelled=_tally(t.total_cents for t in own_tickets if t.status is TicketStatus.CANCELLED),
        tickets=len(completed),
        float_cents=shift.float_cents,
        expected_cash_cents=expected,
        counted_cents=counted,
        over_short_cents=None if counted is None else counted - expected,
        by_person=_by_person(completed, ops),
        cash_returned=moved(CashMovementKind.CANCEL_RETURN),
        declined=card.declined,
        unsettled=card.unsettled,
    )


def _tally(amounts: Iterable[int]) -> Tally:
    tally = Tally()
    for cents in amounts:
        tally = tally.plus(cents)
    return tally


def _by_person(
    completed: Sequence[Ticket], ops: Sequence[ShiftOperation]
) -> tuple[PersonSales, ...]:
    """Each sale once: a completed ticket at its total, or an approved charge without a
    ticket. Names differing only in case are one person; no name comes last."""
    spelled: dict[str, str] = {}
    sales: dict[str, Tally] = {}

    def add(name: str | None, cents: int) -> None:
        stripped = (name or "").strip()
        key = stripped.casefold()
        if stripped:
            spelled.setdefault(key, stripped)
        sales[key] = sales.get(key, Tally()).plus(cents)

    for ticket in sorted(completed, key=lambda t: t.created_at):
        add(ticket.served_by, ticket.total_cents)
    for op in ops:
        if op.kind is PaymentKind.CHARGE and op.status == APPROVED and op.ticket_id is None:
            add(op.served_by, op.amount_cents)
    keys = sorted(set(sales) - {""}) + ([""] if "" in sales else [])
    return tuple(PersonSales(spelled.get(key), sales[key]) for key in keys)


# -- plain text ------------------------------------------------------------------------


def render_shift_text(report: ShiftReport, width: int = 42, *, tz: tzinfo | None = None) -> str:
    """The report as lines of at most `width` characters, for the printer, the PDF and
    the console. Times in `tz` (default: this computer's)."""
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"report width must be {MIN_WIDTH} to {MAX_WIDTH} columns: {width}")
    out = _Page(width)
    shift = report.shift

    def when(at: datetime, person: str | None) -> str:
        text = at.astimezone(tz).strftime(DATE_FORMAT)
        return BY_TEXT.format(when=text, person=person) if person else text

    out.centered(TITLES[report.kind.value])
    out.rule()
    heading = [(LANE_LABEL, shift.lane), (SHIFT_LABEL, shift.id)]
    heading.append((OPENED_LABEL, when(shift.opened_at, shift.opened_by)))
    if shift.closed_at is not None:
        heading.append((CLOSED_LABEL, when(shift.closed_at, shift.closed_by)))
    heading.append((PRINTED_LABEL, when(report.made_at, None)))
    out.pairs(heading)

    out.section(SECTION_SALES)
    out.tally(CASH_SALES, report.sales_by_tender[CASH])
    out.tally(CARD_SALES, report.sales_by_tender[CARD])
    out.tally(ALL_SALES, report.sales)
    out.row(TICKETS_ROW, str(report.tickets))
    if report.declined:
        out.row(DECLINED_ROW, str(report.declined))
    if report.unsettled:
        out.row(UNSETTLED_ROW, str(report.unsettled))
    if report.card_brands:
        out.section(SECTION_BRANDS)
        for brand in report.card_brands:
            out.tally(brand.brand, brand.totals.sales)

    out.section(SECTION_GIVEN_BACK)
    out.tally(CASH_REFUNDS, report.refunds_by_tender[CASH])
    if report.cash_returned.count:
        out.tally(CASH_RETURNED, report.cash_returned)
    out.tally(CARD_REFUNDS, report.refunds_by_tender[CARD])
    out.tally(VOIDS, report.voids)

    out.section(SECTION_OTHER)
    out.tally(DISCOUNTS, report.discounts)
    out.tally(CANCELLED, report.cancelled)

    _drawer(out, report)
    out.movements(SECTION_NO_SALES, report.no_sales, tz, amounts=False)
    out.movements(SECTION_PAID_IN, report.paid_in, tz, amounts=True)
    out.movements(SECTION_PAID_OUT, report.paid_out, tz, amounts=True)
    if report.by_person:
        out.section(SECTION_PEOPLE)
        for person in report.by_person:
            out.tally(person.person or NO_NAME, person.sales)
    out.rule()
    out.centered(FOOTER[report.kind.value])
    return "\n".join(out.lines)


def _drawer(out: _Page, report: ShiftReport) -> None:
    out.section(SECTION_DRAWER)
    out.row(FLOAT, _money(report.float_cents))
    out.row(DRAWER_CASH_SALES, _money(report.sales_by_tender[CASH].cents))
    out.row(DRAWER_CASH_BACK, _money(report.refunds_by_tender[CASH].cents))
    out.row(DRAWER_PAID_IN, _money(sum(m.amount_cents for m in report.paid_in)))
    out.row(DRAWER_PAID_OUT, _money(sum(m.amount_cents for m in report.paid_out)))
    out.row(EXPECTED, _money(report.expected_cash_cents))
    if report.counted_cents is None or report.over_short_cents is None:
        return
    out.row(COUNTED, _money(report.counted_cents))
    difference = report.over_short_cents
    if difference < 0:
        out.row(SHORT, _money(difference))
    elif difference > 0:
        out.row(OVER, "+" + _money(difference))
    else:
        out.row(BALANCED, _money(0))
    count = report.shift.count
    if count:
        out.section(SECTION_COUNT)
        for denomination in sorted(count, reverse=True):
            pieces = count[denomination]
            if pieces:
                label = COUNT_ROW.format(label=denomination_label(denomination), pieces=pieces)
                out.row(label, _money(denomination * pieces))


def _money(cents: int) -> str:
    return Money(cents).format()


class _Page(Lines):
    """The report's lines: receipt paper with sections, counted rows and movements."""

    def section(self, title: str) -> None:
        self.rule()
        self.wrapped(title)

    def tally(self, label: str, tally: Tally) -> None:
        self.row(COUNTED_ROW.format(label=label, count=tally.count), _money(tally.cents))

    def pairs(self, pairs: Sequence[tuple[str, str]]) -> None:
        """Labels in a column, values beside them; a value too long goes below its label."""
        column = max(len(label) for label, _ in pairs) + 1
        for label, value in pairs:
            if column + len(value) <= self.width:
                self.lines.append(label.ljust(column) + value)
            else:
                self.lines.append(label)
                self.lines.extend(wrap(value, self.width))

    def movements(
        self, title: str, moves: Sequence[CashMovement], tz: tzinfo | None, *, amounts: bool
    ) -> None:
        """Each movement: its time and person (and amount), its reason indented below."""
        self.section(COUNTED_ROW.format(label=title, count=len(moves)))
        if not moves:
            self.wrapped(NOTHING)
            return
        for movement in moves:
            who = movement.person or ""
            if movement.approved_by:
                who = f"{who}, {APPROVED_BY.format(name=movement.approved_by)}".lstrip(", ")
            left = MOVEMENT_ROW.format(
                time=movement.at.astimezone(tz).strftime(TIME_FORMAT), person=who
            )
            self.row(left.rstrip(), _money(movement.amount_cents) if amounts else "")
            for part in wrap(movement.reason or NO_REASON, self.width - 2):
                self.lines.append("  " + part)
