"""The end-of-day dialog loads the day picked, shows totals and differences, and exports."""

from __future__ import annotations

import asyncio
import csv
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.report import DayReport, JustifiPayment, build_day_report
from pos_app.services.ports import Operation
from pos_app.ui.report_document import report_document
from pos_app.ui.report_view import DIFFERENCE_BACKGROUND, EndOfDayDialog
from pos_app.ui.text import receipts as text
from tests.support.gui import wait_until

TZ = timezone(timedelta(hours=-5))
DAY = date(2025, 3, 14)
NOON = datetime(2025, 3, 14, 12, tzinfo=TZ)


def sale(number: int, amount: int, lane: str, brand: str) -> Operation:
    return Operation(
        id=f"op-{number}",
        kind=PaymentKind.CHARGE,
        amount_cents=amount,
        status="approved",
        flow="payment_intent",
        lane=lane,
        sale_id=f"pi_{number}",
        payment_id=f"py_{number}",
        card_brand=brand,
        card_last4="4242",
        created_at=NOON,
        updated_at=NOON,
    )


def justifi(op: Operation) -> JustifiPayment:
    return JustifiPayment(
        op.payment_id or "", op.amount_cents, 0, "succeeded", NOON, op.card_brand, "4242"
    )


OPS = [sale(1, 2000, "lane-1", "Visa"), sale(2, 1500, "lane-1", "Mastercard")]
OPS.append(sale(3, 700, "lane-2", "Visa"))
OTHER = JustifiPayment("py_other", 1234, 0, "succeeded", NOON, "Amex", "8431", "pi_other")


class Loader:
    """The report service as the dialog sees it: records each request."""

    def __init__(self, checked: bool = True) -> None:
        self.calls: list[tuple[date, str | None]] = []
        self.checked = checked
        self.gate: asyncio.Event | None = None

    async def __call__(self, day: date, lane: str | None) -> DayReport:
        self.calls.append((day, lane))
        if self.gate is not None:
            await self.gate.wait()
        payments = [*(justifi(op) for op in OPS), OTHER] if self.checked else None
        lanes = None if lane is None else (lane,)
        return build_day_report(day, OPS, payments, lanes=lanes, tz=TZ)


def make(qtbot: QtBot, loader: Loader, **kwargs: object) -> EndOfDayDialog:
    dialog = EndOfDayDialog(loader, day=DAY, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


async def loaded(dialog: EndOfDayDialog) -> DayReport:
    task = dialog.slot.task
    assert task is not None
    report = await task
    assert report is not None
    return report


def table_rows(dialog: EndOfDayDialog) -> list[list[str]]:
    table = dialog.summary_table
    return [
        [table.item(row, column).text() for column in range(table.columnCount())]
        for row in range(table.rowCount())
    ]


async def test_opening_loads_today_and_shows_totals_and_differences(qtbot: QtBot) -> None:
    loader = Loader()
    dialog = make(qtbot, loader)
    assert dialog.objectName() == "endOfDayDialog"
    dialog.show()
    await loaded(dialog)
    assert loader.calls == [(DAY, None)]
    rows = table_rows(dialog)
    assert rows[0] == [
        "lane-1",
        "All brands",
        "2",
        "$35.00",
        "0",
        "$0.00",
        "0",
        "$0.00",
        "$35.00",
    ]
    assert [row[:2] for row in rows] == [
        ["lane-1", "All brands"],
        ["lane-1", "Mastercard"],
        ["lane-1", "Visa"],
        ["lane-2", "All brands"],
        ["lane-2", "Visa"],
        ["All lanes", "All brands"],
        ["All lanes", "Mastercard"],
        ["All lanes", "Visa"],
    ]
    assert rows[5][8] == "$42.00"
    assert dialog.summary_table.item(0, 0).font().bold()

    assert dialog.differences_list.count() == 1
    item = dialog.differences_list.item(0)
    assert item.text().startswith("Not in the journal: JustiFi has payment py_other of $12.34")
    assert item.background().color().name() == DIFFERENCE_BACKGROUND
    assert item.data(Qt.ItemDataRole.UserRole) == "missing_from_journal"
    assert dialog.differences_caption.text() == text.DIFFERENCES_CAPTION.format(count=1)
    assert dialog.status_label.property("reportState") == "differences"
    assert dialog.status_label.text() == text.NOT_RECONCILED.format(
        count=4, amount="$54.34", differences=1
    )
    assert [dialog.lane_combo.itemText(i) for i in range(dialog.lane_combo.count())] == [
        text.ALL_LANES_ITEM,
        "lane-1",
        "lane-2",
    ]
    assert dialog.csv_button.isEnabled()


async def test_picking_a_lane_or_a_day_reloads_and_the_latest_wins(qtbot: QtBot) -> None:
    loader = Loader()
    dialog = make(qtbot, loader, lanes=["lane-1", "lane-2"])
    dialog.show()
    await loaded(dialog)
    dialog.set_lane("lane-2")
    report = await loaded(dialog)
    assert loader.calls[-1] == (DAY, "lane-2")
    assert report.lane_filter == ("lane-2",)
    assert [row[0] for row in table_rows(dialog)] == ["lane-2", "lane-2"]  # one lane: no total

    loader.gate = asyncio.Event()
    dialog.date_edit.setDate(QDate(2025, 3, 13))
    first = dialog.slot.task
    dialog.set_day(date(2025, 3, 12))
    second = dialog.slot.task
    await wait_until(lambda: first is not None and first.done())
    assert first is not None
    assert first.cancelled()
    assert dialog.status_label.text() == text.LOADING
    assert not dialog.csv_button.isEnabled()
    loader.gate.set()
    assert second is not None
    report = await second
    assert report is not None
    assert report.day == date(2025, 3, 12)
    assert dialog.report is report
    assert loader.calls[-1] == (date(2025, 3, 12), "lane-2")


async def test_without_justifi_the_dialog_says_nothing_was_checked(qtbot: QtBot) -> None:
    dialog = make(qtbot, Loader(checked=False))
    dialog.show()
    await loaded(dialog)
    assert dialog.status_label.text() == text.NOT_CHECKED
    assert dialog.status_label.property("reportState") == "unchecked"
    assert dialog.differences_list.count() == 0


async def test_csv_and_pdf_exports(qtbot: QtBot, tmp_path: Path) -> None:
    suggested: list[str] = []

    async def choose(_parent: QWidget, _title: str, name: str, _filter: str) -> Path:
        suggested.append(name)
        return tmp_path / name

    dialog = make(qtbot, Loader(), choose_path=choose)
    dialog.show()
    await loaded(dialog)
    dialog.csv_button.click()
    task = dialog.work.task
    assert task is not None
    csv_path = await task
    assert csv_path == tmp_path / "end-of-day-2025-03-14.csv"
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert rows[1][:2] == ["end_of_day", "2025-03-14"]
    assert [row[0] for row in rows[-1:]] == ["missing_from_journal"]

    dialog.pdf_button.click()
    task = dialog.work.task
    assert task is not None
    pdf_path = await task
    assert pdf_path == tmp_path / "end-of-day-2025-03-14.pdf"
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert suggested == ["end-of-day-2025-03-14.csv", "end-of-day-2025-03-14.pdf"]


HEAD = "412:3f7a9c0d11e2b4a5f6c7"


async def test_totals_by_person_and_the_audit_head_on_screen_and_paper(qtbot: QtBot) -> None:
    ops = [
        replace(OPS[0], served_by="Ann"),
        replace(OPS[1], served_by="Cy"),
        OPS[2],
        replace(
            sale(4, 500, "lane-1", "Visa"),
            kind=PaymentKind.REFUND,
            served_by="Cy",
            approved_by="Ann",
        ),
    ]

    async def load(day: date, lane: str | None) -> DayReport:
        return build_day_report(day, ops, None, tz=TZ, audit_head=HEAD)

    dialog = EndOfDayDialog(load, day=DAY)
    qtbot.addWidget(dialog)
    dialog.show()
    report = await loaded(dialog)
    table = dialog.people_table
    rows = [
        [table.item(row, column).text() for column in range(table.columnCount())]
        for row in range(table.rowCount())
    ]
    assert rows == [
        ["Ann", "1", "$20.00", "0", "$0.00", "0", "$0.00", "$20.00", "1", "$5.00"],
        ["Cy", "1", "$15.00", "1", "$5.00", "0", "$0.00", "$10.00", "0", "$0.00"],
        ["No name", "1", "$7.00", "0", "$0.00", "0", "$0.00", "$7.00", "0", "$0.00"],
    ]
    assert dialog.audit_head_label.isVisible()
    assert dialog.audit_head_label.text() == f"Audit head: {HEAD}"

    paper = report_document(report).toPlainText()
    assert f"Audit head: {HEAD}" in paper
    assert "By person" in paper
    assert "No name" in paper
    assert "Approved amount" in paper


async def test_without_a_head_no_audit_line_is_shown_or_printed(qtbot: QtBot) -> None:
    dialog = make(qtbot, Loader())
    dialog.show()
    report = await loaded(dialog)
    assert not dialog.audit_head_label.isVisible()
    assert "Audit head" not in report_document(report).toPlainText()
    assert dialog.people_table.rowCount() == 1  # every sale without a name
    assert dialog.people_table.item(0, 0).text() == "No name"


async def test_a_failing_load_says_so(qtbot: QtBot) -> None:
    async def broken(_day: date, _lane: str | None) -> DayReport:
        raise OSError("disk I/O error")

    dialog = EndOfDayDialog(broken, day=datetime.now(UTC).date())
    qtbot.addWidget(dialog)
    dialog.show()
    task = dialog.slot.task
    assert task is not None
    assert await task is None
    assert dialog.status_label.text() == text.REPORT_FAILED
    assert not dialog.csv_button.isEnabled()
