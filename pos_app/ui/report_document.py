"""The end-of-day report on paper: the page printed or saved as PDF, and the summary rows.

The dialog (`ui.report_view`) shows the same rows in its table; the colour of a
difference is the same on screen and on paper.
"""

from __future__ import annotations

import html

from PySide6.QtGui import QTextDocument

from pos_app.domain.money import Money
from pos_app.domain.report import (
    ALL_LANES,
    CashSummary,
    DayReport,
    LaneSummary,
    PersonSummary,
    TenderSummary,
    Totals,
)
from pos_app.ui.printing import monospace_font
from pos_app.ui.text import receipts as text

__all__ = [
    "DIFFERENCE_FOREGROUND",
    "audit_head_line",
    "cash_cells",
    "cash_rows",
    "person_cells",
    "report_document",
    "sales_sentence",
    "status_sentence",
    "summary_cells",
    "tender_cells",
]

DIFFERENCE_FOREGROUND = "#8c1d18"


def summary_cells(lane: str, brand: str, totals: Totals, currency: str) -> list[str]:
    """One row of the summary table (the dialog's and the page's), in SUMMARY_COLUMNS order."""

    def money(cents: int) -> str:
        return Money(cents, currency).format()

    return [
        lane,
        brand,
        str(totals.sales.count),
        money(totals.sales.cents),
        str(totals.refunds.count),
        money(totals.refunds.cents),
        str(totals.voids.count),
        money(totals.voids.cents),
        money(totals.net_cents),
    ]


def person_cells(person: PersonSummary, currency: str) -> list[str]:
    """One row of the by-person table (the dialog's and the page's), in PEOPLE_COLUMNS order."""

    def money(cents: int) -> str:
        return Money(cents, currency).format()

    totals = person.totals
    return [
        person.person,
        str(totals.sales.count),
        money(totals.sales.cents),
        str(totals.refunds.count),
        money(totals.refunds.cents),
        str(totals.voids.count),
        money(totals.voids.cents),
        money(totals.net_cents),
        str(person.approved.count),
        money(person.approved.cents),
    ]


def tender_cells(summary: TenderSummary, currency: str) -> list[str]:
    """One row of the by-tender table (the dialog's and the page's), in TENDER_COLUMNS order."""
    return [summary.tender.label, *summary_cells("", "", summary.totals, currency)[2:]]


def cash_cells(cash: CashSummary, currency: str) -> list[str]:
    """One row of the cash table (the dialog's and the page's), in CASH_COLUMNS order."""

    def money(cents: int) -> str:
        return Money(cents, currency).format()

    return [
        cash.lane,
        str(cash.sales.count),
        money(cash.sales.cents),
        money(cash.refunds.cents),
        money(cash.returned.cents),
        money(cash.paid_in.cents),
        money(cash.paid_out.cents),
        str(cash.no_sales),
        money(cash.net_sales_cents),
        money(cash.drawer_cents),
    ]


def cash_rows(report: DayReport) -> list[tuple[CashSummary, bool]]:
    """The cash table's rows: each lane, then every lane's (bold) when more than one."""
    total = report.cash_total
    if total is None:
        return []
    rows = [(cash, False) for cash in report.cash]
    if len(report.cash) != 1:
        rows.append((total, True))
    return rows


def sales_sentence(report: DayReport) -> str | None:
    """Discounts, sales given up and sales still open; None without the sales read."""
    if not report.cash_known:
        return None

    def money(cents: int) -> str:
        return Money(cents, report.currency).format()

    return text.SALES_LINE.format(
        discounted=report.discounts.count,
        discounts=money(report.discounts.cents),
        cancelled=report.cancelled.count,
        cancelled_amount=money(report.cancelled.cents),
        open=report.open_sales,
    )


def audit_head_line(report: DayReport) -> str | None:
    """ "Audit head: 412:3f7a...", or None when the report has no head."""
    return text.AUDIT_HEAD_LINE.format(head=report.audit_head) if report.audit_head else None


def report_document(report: DayReport) -> QTextDocument:
    """The report as a printable document: title, audit head, summary table, the day by
    tender and the cash drawer (when the cash was read), totals by person, differences."""
    lanes = ", ".join(report.lane_filter) if report.lane_filter else text.ALL_LANES_ITEM
    title = text.REPORT_PRINT_TITLE.format(day=report.day.isoformat())
    parts = [
        f"<h2>{html.escape(title)}</h2>",
        f"<p>{html.escape(text.REPORT_PRINT_LANES.format(lanes=lanes))}</p>",
        f"<p>{html.escape(status_sentence(report))}</p>",
    ]
    head = audit_head_line(report)
    if head is not None:
        parts.append(f"<p><b>{html.escape(head)}</b></p>")
    parts += [
        "<table border='1' cellspacing='0' cellpadding='3'><tr>",
        *(f"<th>{html.escape(name)}</th>" for name in text.SUMMARY_COLUMNS),
        "</tr>",
    ]
    summaries: list[LaneSummary] = [*report.lanes]
    if len(report.lanes) != 1:
        summaries.append(report.total)
    for summary in summaries:
        lane = ALL_LANES if summary is report.total else summary.lane
        rows = [(text.ALL_BRANDS_ITEM, summary.totals, True)]
        rows += [(brand.brand, brand.totals, False) for brand in summary.brands]
        for brand_name, totals, bold in rows:
            cells = summary_cells(lane, brand_name, totals, report.currency)
            tag = "b" if bold else "span"
            parts.append(
                "<tr>"
                + "".join(
                    f"<td align='{'right' if i >= 2 else 'left'}'><{tag}>"
                    f"{html.escape(cell)}</{tag}></td>"
                    for i, cell in enumerate(cells)
                )
                + "</tr>"
            )
    parts.append("</table>")
    parts += _cash_tables(report)
    parts += _people_table(report)
    parts.append(
        f"<h3>{html.escape(text.DIFFERENCES_CAPTION.format(count=len(report.differences)))}</h3>"
    )
    if report.differences:
        parts.append("<ul>")
        for difference in report.differences:
            line = text.DIFFERENCE_ITEM.format(
                title=difference.title, description=difference.description
            )
            parts.append(f"<li style='color:{DIFFERENCE_FOREGROUND}'>{html.escape(line)}</li>")
        parts.append("</ul>")
    elif report.justifi_checked:
        parts.append(f"<p>{html.escape(text.NO_DIFFERENCES)}</p>")
    document = QTextDocument()
    document.setDefaultFont(monospace_font(9))
    document.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, title)
    document.setHtml("".join(parts))
    return document


def _table(columns: tuple[str, ...], rows: list[tuple[list[str], bool]]) -> list[str]:
    """An HTML table: text left in the first column, figures right, bold rows bold."""
    parts = ["<table border='1' cellspacing='0' cellpadding='3'><tr>"]
    parts += [f"<th>{html.escape(name)}</th>" for name in columns]
    parts.append("</tr>")
    for cells, bold in rows:
        tag = "b" if bold else "span"
        parts.append(
            "<tr>"
            + "".join(
                f"<td align='{'right' if i >= 1 else 'left'}'><{tag}>"
                f"{html.escape(cell)}</{tag}></td>"
                for i, cell in enumerate(cells)
            )
            + "</tr>"
        )
    parts.append("</table>")
    return parts


def _cash_tables(report: DayReport) -> list[str]:
    """By tender, the cash drawer per lane, and the sales' line; nothing without cash read."""
    sentence = sales_sentence(report)
    if sentence is None:
        return []
    tenders = [
        (tender_cells(summary, report.currency), index == len(report.by_tender) - 1)
        for index, summary in enumerate(report.by_tender)
    ]
    parts = [f"<h3>{html.escape(text.TENDER_CAPTION)}</h3>", *_table(text.TENDER_COLUMNS, tenders)]
    parts.append(f"<h3>{html.escape(text.CASH_CAPTION)}</h3>")
    rows = cash_rows(report)
    if report.cash:
        cash = [(cash_cells(summary, report.currency), bold) for summary, bold in rows]
        parts += _table(text.CASH_COLUMNS, cash)
        parts.append(f"<p>{html.escape(text.CASH_HINT)}</p>")
    else:
        parts.append(f"<p>{html.escape(text.NO_CASH)}</p>")
    parts.append(f"<p>{html.escape(sentence)}</p>")
    return parts


def _people_table(report: DayReport) -> list[str]:
    parts = [f"<h3>{html.escape(text.PEOPLE_CAPTION)}</h3>"]
    if not report.people:
        return [*parts, f"<p>{html.escape(text.NO_PEOPLE)}</p>"]
    parts.append("<table border='1' cellspacing='0' cellpadding='3'><tr>")
    parts += [f"<th>{html.escape(name)}</th>" for name in text.PEOPLE_COLUMNS]
    parts.append("</tr>")
    for person in report.people:
        cells = person_cells(person, report.currency)
        parts.append(
            "<tr>"
            + "".join(
                f"<td align='{'right' if i >= 1 else 'left'}'>{html.escape(cell)}</td>"
                for i, cell in enumerate(cells)
            )
            + "</tr>"
        )
    parts.append("</table>")
    return parts


def status_sentence(report: DayReport) -> str:
    """Whether the day matches JustiFi, in one sentence."""
    amount = Money(report.justifi_payments.cents, report.currency).format()
    if not report.justifi_checked:
        return text.NOT_CHECKED
    if report.differences:
        return text.NOT_RECONCILED.format(
            count=report.justifi_payments.count,
            amount=amount,
            differences=len(report.differences),
        )
    return text.RECONCILED.format(count=report.justifi_payments.count, amount=amount)
