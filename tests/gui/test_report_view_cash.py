"""The end-of-day dialog with cash: the day by tender and the cash drawer in their own tab,
hidden for a report without cash; the same on paper; the receipt of a split sale offered."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import QTableWidget, QWidget
from pytestqt.qtbot import QtBot

from pos_app.domain.receipt import render_text
from pos_app.domain.report import DayReport, build_day_report
from pos_app.ui.receipt_offer import ReceiptOffer
from pos_app.ui.report_document import report_document
from pos_app.ui.report_view import EndOfDayDialog
from pos_app.ui.text import receipts as text
from tests.unit.test_day_report_cash import DAY, MOVEMENTS, OPERATIONS, SHIFT_LANES, TICKETS, TZ
from tests.unit.test_receipt_tickets import TICKET_ID, service


def with_cash(day: date, lanes: tuple[str, ...] | None = None) -> DayReport:
    return build_day_report(
        day,
        OPERATIONS,
        None,
        lanes=lanes,
        tz=TZ,
        movements=MOVEMENTS,
        shift_lanes=SHIFT_LANES,
        tickets=TICKETS,
    )


def rows(table: QTableWidget) -> list[list[str]]:
    found: list[list[str]] = []
    for row in range(table.rowCount()):
        items = [table.item(row, column) for column in range(table.columnCount())]
        found.append([item.text() if item is not None else "" for item in items])
    return found


async def show(qtbot: QtBot, report: DayReport) -> EndOfDayDialog:
    async def load(day: date, lane: str | None) -> DayReport:
        return report

    dialog = EndOfDayDialog(load, day=DAY)
    qtbot.addWidget(dialog)
    dialog.show()
    task = dialog.slot.task
    assert task is not None
    assert await task is report
    return dialog


async def test_the_cash_tab_shows_the_day_by_tender_and_the_drawer_per_lane(
    qtbot: QtBot,
) -> None:
    dialog = await show(qtbot, with_cash(DAY))
    assert dialog.tabs.isTabVisible(0)
    assert dialog.tabs.currentIndex() == 0  # the day at a glance first
    assert dialog.tabs.tabText(0) == text.TENDER_TAB
    assert dialog.tender_table.isVisible()
    assert rows(dialog.tender_table) == [
        ["Cash", "3", "$33.19", "1", "$3.00", "1", "$5.00", "$25.19"],
        ["Card", "2", "$30.00", "1", "$3.00", "0", "$0.00", "$27.00"],
        ["All tenders", "5", "$63.19", "2", "$6.00", "1", "$5.00", "$52.19"],
    ]
    total = dialog.tender_table.item(2, 0)
    assert total is not None
    assert total.font().bold()
    assert rows(dialog.cash_table) == [
        ["lane-1", "2", "$23.20", "$3.00", "$5.00", "$50.00", "$12.50", "1", "$15.20", "$52.70"],
        ["lane-2", "1", "$9.99", "$0.00", "$0.00", "$0.00", "$0.00", "0", "$9.99", "$9.99"],
        ["All lanes", "3", "$33.19", "$3.00", "$5.00", "$50.00", "$12.50", "1", "$25.19", "$62.69"],
    ]
    assert dialog.sales_label.text() == (
        "Sales with a discount: 2 ($2.00 off). Sales cancelled: 1 ($12.00). Sales still open: 1."
    )
    paper = report_document(with_cash(DAY)).toPlainText()
    for expected in (text.TENDER_CAPTION, text.CASH_CAPTION, "All tenders", "$62.69"):
        assert expected in paper
    assert "Sales still open: 1." in paper


async def test_one_lanes_cash_has_no_all_lanes_row(qtbot: QtBot) -> None:
    dialog = await show(qtbot, with_cash(DAY, ("lane-2",)))
    assert [row[0] for row in rows(dialog.cash_table)] == ["lane-2"]


async def test_without_cash_read_the_tab_is_hidden_and_the_cards_show(qtbot: QtBot) -> None:
    report = build_day_report(DAY, OPERATIONS, None, tz=TZ)
    dialog = await show(qtbot, report)
    assert not dialog.tabs.isTabVisible(0)
    assert dialog.tabs.currentIndex() == 1
    assert dialog.summary_table.isVisible()
    assert text.CASH_CAPTION not in report_document(report).toPlainText()


async def test_a_day_without_cash_moving_says_so_on_paper(qtbot: QtBot) -> None:
    report = build_day_report(DAY, OPERATIONS, None, tz=TZ, movements=[])
    dialog = await show(qtbot, report)
    assert dialog.tabs.isTabVisible(0)
    assert dialog.cash_table.rowCount() == 1  # every lane's, all zero
    assert text.NO_CASH in report_document(report).toPlainText()


def test_the_receipt_of_a_split_sale_is_offered_when_it_completes(qtbot: QtBot) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    offer = ReceiptOffer(service(), window)
    assert not offer.button.isEnabled()
    assert not offer.offer_ticket("tkt-unknown")
    assert not offer.button.isEnabled()
    assert offer.offer_ticket(TICKET_ID)
    assert offer.button.isEnabled()
    assert offer.last is not None
    assert "Cash handed over" in render_text(offer.last)
