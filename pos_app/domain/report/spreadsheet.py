"""The end-of-day report as CSV, for a spreadsheet.

Four sections, a blank row between them: the header (with the audit head), the
summary per lane and brand, the totals per person, the differences. A report
with the cash drawer read adds three more after them: the day by tender (cash,
card, all), the cash per lane, and the sales' discounts, cancellations and
sales still open. Amounts are exact decimal strings from cents; text from
outside (lane names, people's names, ids) never reads as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Final, Protocol

from pos_app.domain.report.day import DayReport
from pos_app.domain.report.figures import ALL_BRANDS, ALL_LANES, CashSummary, Totals

__all__ = [
    "CASH_COLUMNS",
    "DIFFERENCE_COLUMNS",
    "HEADER_COLUMNS",
    "PERSON_COLUMNS",
    "SALES_COLUMNS",
    "SUMMARY_COLUMNS",
    "TENDER_COLUMNS",
    "report_csv",
]

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
PERSON_COLUMNS: Final = (
    "person",
    "sales_count",
    "sales_amount",
    "refunds_count",
    "refunds_amount",
    "voids_count",
    "voids_amount",
    "net_amount",
    "approved_count",
    "approved_amount",
    "declined_count",
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
    "audit_head",
)
TENDER_COLUMNS: Final = (
    "tender",
    "sales_count",
    "sales_amount",
    "refunds_count",
    "refunds_amount",
    "voids_count",
    "voids_amount",
    "net_amount",
)
CASH_COLUMNS: Final = (
    "lane",
    "cash_sales_count",
    "cash_sales_amount",
    "cash_refunds_count",
    "cash_refunds_amount",
    "cash_returned_count",
    "cash_returned_amount",
    "paid_in_count",
    "paid_in_amount",
    "paid_out_count",
    "paid_out_amount",
    "no_sales_count",
    "net_cash_sales_amount",
    "drawer_change_amount",
)
SALES_COLUMNS: Final = (
    "discounted_sales_count",
    "discounts_amount",
    "cancelled_sales_count",
    "cancelled_amount",
    "open_sales_count",
)
REPORT_NAME: Final = "end_of_day"


class _Writer(Protocol):
    def writerow(self, row: Iterable[str | int], /) -> object: ...


def report_csv(report: DayReport) -> str:
    """The report as CSV: a header row, the summary per lane and brand, the totals per
    person, the differences.

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
            _cell(report.audit_head or ""),
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
    writer.writerow(PERSON_COLUMNS)
    for person in report.people:
        writer.writerow(
            (
                _cell(person.person),
                *_totals_cells(person.totals),
                person.approved.count,
                _decimal(person.approved.cents),
                person.declined,
            )
        )
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
    if report.cash_total is not None:
        _cash_sections(writer, report, report.cash_total)
    return buffer.getvalue()


def _cash_sections(writer: _Writer, report: DayReport, total: CashSummary) -> None:
    """The day by tender, the cash per lane, the sales' discounts and cancellations."""
    writer.writerow(())
    writer.writerow(TENDER_COLUMNS)
    for tender in report.by_tender:
        writer.writerow((tender.tender.value, *_totals_cells(tender.totals)))
    writer.writerow(())
    writer.writerow(CASH_COLUMNS)
    for cash in (*report.cash, total):
        writer.writerow(
            (
                _cell(cash.lane),
                cash.sales.count,
                _decimal(cash.sales.cents),
                cash.refunds.count,
                _decimal(cash.refunds.cents),
                cash.returned.count,
                _decimal(cash.returned.cents),
                cash.paid_in.count,
                _decimal(cash.paid_in.cents),
                cash.paid_out.count,
                _decimal(cash.paid_out.cents),
                cash.no_sales,
                _decimal(cash.net_sales_cents),
                _decimal(cash.drawer_cents),
            )
        )
    writer.writerow(())
    writer.writerow(SALES_COLUMNS)
    writer.writerow(
        (
            report.discounts.count,
            _decimal(report.discounts.cents),
            report.cancelled.count,
            _decimal(report.cancelled.cents),
            report.open_sales,
        )
    )


def _summary_row(lane: str, brand: str, totals: Totals) -> tuple[str | int, ...]:
    return (_cell(lane), _cell(brand), *_totals_cells(totals))


def _totals_cells(totals: Totals) -> tuple[str | int, ...]:
    return (
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
