"""The end-of-day report: what the journal says a day brought in, checked against JustiFi.

One idea per module: `figures` (the totals per lane, card brand and person, the
cash per lane and the day by tender),
`reconciliation` (every difference between the journal and JustiFi's
payments), `day` (`build_day_report`, which puts both together for a local
day) and `spreadsheet` (`report_csv`). Amounts are integer cents throughout;
CSV amounts are exact decimal strings. The names below are what the rest of
the app imports.
"""

from __future__ import annotations

from pos_app.domain.report.day import DayReport, build_day_report, day_window
from pos_app.domain.report.figures import (
    ALL_BRANDS,
    ALL_LANES,
    NO_LANE,
    NO_NAME,
    UNKNOWN_BRAND,
    BrandTotals,
    CashSummary,
    LaneSummary,
    PersonSummary,
    Tally,
    Tender,
    TenderSummary,
    Totals,
)
from pos_app.domain.report.reconciliation import Difference, DifferenceKind, JustifiPayment
from pos_app.domain.report.spreadsheet import report_csv

__all__ = [
    "ALL_BRANDS",
    "ALL_LANES",
    "NO_LANE",
    "NO_NAME",
    "UNKNOWN_BRAND",
    "BrandTotals",
    "CashSummary",
    "DayReport",
    "Difference",
    "DifferenceKind",
    "JustifiPayment",
    "LaneSummary",
    "PersonSummary",
    "Tally",
    "Tender",
    "TenderSummary",
    "Totals",
    "build_day_report",
    "day_window",
    "report_csv",
]
