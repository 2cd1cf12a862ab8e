"""The X or Z report of a shift on screen, to print or save as PDF.

The dialog only shows a `ShiftReport` (`pos_app.domain.report.shift`, built by
`ShiftService`): sales by tender and card brand, refunds and voids by tender,
discounts and cancelled sales, sales by person, and the drawer's cash (float,
cash in and out, expected and, on a Z report, counted with the over/short).
The over/short is said in words ("Short by $1.35: ..."), its colour only
repeats them. Every no-sale and paid in or out is listed with its reason.
Print and Save PDF print the domain's text (`render_shift_text`), the same
page the CLI prints.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.money import Money
from pos_app.domain.report.figures import Tally
from pos_app.domain.report.shift import ShiftReport, ShiftReportKind, render_shift_text
from pos_app.domain.tickets import CashMovement
from pos_app.ui.controls import touch_button
from pos_app.ui.printing import plain_document, print_with_dialog, write_pdf
from pos_app.ui.save_dialog import PathChooser, choose_save_path
from pos_app.ui.shift_dialogs import sized
from pos_app.ui.style import set_style_state, style_sheet
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.text import shift as text

__all__ = ["ShiftReportView", "over_short_sentence"]

log = logging.getLogger("pos_app.ui.shift_report_view")

SECTION_BACKGROUND: Final = "#f3f4f6"
_TITLE_POINTS: Final = 16
_TABLE_POINTS: Final = 12
_BUTTON_WIDTH: Final = 120
_TIME: Final = "%Y-%m-%d %H:%M"

Row = tuple[str, str, str]  # label, count, amount; a section's row has only its label


def _money(cents: int) -> str:
    return Money(cents).format()


def over_short_sentence(report: ShiftReport) -> tuple[str, str]:
    """What the report says of the count, and its style state (short, over, even,
    uncounted)."""
    over_short = report.over_short_cents
    if report.counted_cents is None or over_short is None:
        return text.OVER_SHORT_NOT_COUNTED, "uncounted"
    if over_short < 0:
        return text.OVER_SHORT_SHORT.format(amount=_money(-over_short)), "short"
    if over_short > 0:
        return text.OVER_SHORT_OVER.format(amount=_money(over_short)), "over"
    return text.OVER_SHORT_EVEN, "even"


def _movement_line(movement: CashMovement) -> str:
    kind = text.MOVEMENT_KINDS.get(movement.kind.value, movement.kind.value)
    person = text.MOVEMENT_PERSON.format(person=movement.person) if movement.person else ""
    return text.MOVEMENT_ITEM.format(
        time=movement.at.astimezone().strftime("%H:%M"),
        kind=kind,
        amount=_money(movement.amount_cents) if movement.amount_cents else "",
        reason=movement.reason or "",
        person=person,
    ).replace("    ", "  ")


def report_rows(report: ShiftReport) -> list[Row]:
    """The report's table, section by section (a section row has empty count and amount):
    the drawer's cash first (what a close is about), then sales, refunds, the rest."""
    sales = report.sales_by_tender
    refunds = report.refunds_by_tender
    rows: list[Row] = _cash_rows(report)
    rows.append((text.SECTION_SALES, "", ""))
    for key, label in (("cash", text.ROW_CASH), ("card", text.ROW_CARD)):
        tally = sales.get(key)
        rows.append((label, str(tally.count if tally else 0), _money(tally.cents if tally else 0)))
    rows.append((text.ROW_TICKETS, str(report.tickets), ""))
    if report.declined:
        rows.append((text.ROW_DECLINED, str(report.declined), "-"))
    if report.unsettled:
        rows.append((text.ROW_UNSETTLED, str(report.unsettled), "-"))
    if report.card_brands:
        rows.append((text.SECTION_BRANDS, "", ""))
        for brand in report.card_brands:
            tally = brand.totals.sales
            rows.append((brand.brand, str(tally.count), _money(tally.cents)))
    rows.append((text.SECTION_REFUNDS, "", ""))
    for key, label in (("cash", text.ROW_CASH_REFUNDS), ("card", text.ROW_CARD_REFUNDS)):
        tally = refunds.get(key)
        rows.append((label, str(tally.count if tally else 0), _money(tally.cents if tally else 0)))
    if report.cash_returned.count:
        returned = report.cash_returned
        rows.append((text.ROW_CASH_RETURNED, str(returned.count), _money(returned.cents)))
    rows.append((text.ROW_VOIDS, str(report.voids.count), _money(report.voids.cents)))
    rows.append((text.SECTION_OTHER, "", ""))
    rows.append((text.ROW_DISCOUNTS, str(report.discounts.count), _money(report.discounts.cents)))
    rows.append((text.ROW_CANCELLED, str(report.cancelled.count), _money(report.cancelled.cents)))
    if report.by_person:
        rows.append((text.SECTION_PEOPLE, "", ""))
        for person in report.by_person:
            rows.append(
                (
                    person.person or text.NO_PERSON,
                    str(person.sales.count),
                    _money(person.sales.cents),
                )
            )
    return rows


def _cash_rows(report: ShiftReport) -> list[Row]:
    cash_sales = report.sales_by_tender.get("cash") or Tally()
    cash_refunds = report.refunds_by_tender.get("cash") or Tally()
    paid_in = sum(m.amount_cents for m in report.paid_in)
    paid_out = sum(m.amount_cents for m in report.paid_out)
    rows: list[Row] = [
        (text.SECTION_CASH, "", ""),
        (text.ROW_FLOAT, "", _money(report.float_cents)),
        (text.ROW_CASH_SALES, str(cash_sales.count), _money(cash_sales.cents)),
        (text.ROW_CASH_OUT_REFUNDS, str(cash_refunds.count), _money(-cash_refunds.cents)),
        (text.ROW_PAID_IN, str(len(report.paid_in)), _money(paid_in)),
        (text.ROW_PAID_OUT, str(len(report.paid_out)), _money(-paid_out)),
        (text.ROW_NO_SALES, str(len(report.no_sales)), "-"),
        (text.ROW_EXPECTED, "", _money(report.expected_cash_cents)),
    ]
    over_short = report.over_short_cents
    if report.counted_cents is not None and over_short is not None:
        rows.append((text.ROW_COUNTED, "", _money(report.counted_cents)))
        if over_short < 0:
            rows.append((text.ROW_SHORT, "", _money(over_short)))
        elif over_short > 0:
            rows.append((text.ROW_OVER, "", "+" + _money(over_short)))
        else:
            rows.append((text.ROW_EVEN, "", _money(0)))
    return rows


class ShiftReportView(QDialog):
    """Shows one X or Z report; Print and Save PDF print its text (`render_shift_text`)."""

    def __init__(
        self,
        report: ShiftReport,
        parent: QWidget | None = None,
        *,
        choose_path: PathChooser = choose_save_path,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("shiftReportView")
        self._choose_path = choose_path
        self.work = TaskSlot(self, "shift report export")
        self._build()
        self.show_report(report)

    # -- building -------------------------------------------------------------------------

    def _build(self) -> None:
        self.resize(720, 700)
        layout = QVBoxLayout(self)
        self.title_label = QLabel("", self)
        self.title_label.setObjectName("shiftReportTitle")
        sized(self.title_label, _TITLE_POINTS, bold=True)
        layout.addWidget(self.title_label)
        self.shift_label = QLabel("", self)
        self.shift_label.setObjectName("shiftReportShiftLabel")
        self.shift_label.setWordWrap(True)
        self.shift_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.shift_label)
        self.over_short_label = QLabel("", self)
        self.over_short_label.setObjectName("overShortLabel")
        self.over_short_label.setStyleSheet(style_sheet("shift"))  # its colours, only its
        self.over_short_label.setWordWrap(True)
        self.over_short_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.over_short_label)

        self.table = QTableWidget(0, len(text.REPORT_COLUMNS), self)
        self.table.setObjectName("shiftReportTable")
        sized(self.table, _TABLE_POINTS)
        self.table.setAccessibleName(text.REPORT_TABLE_NAME)
        self.table.setHorizontalHeaderLabels(list(text.REPORT_COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        layout.addWidget(self.table, 4)

        caption = QLabel(text.MOVEMENTS_CAPTION, self)
        font = caption.font()
        font.setBold(True)
        caption.setFont(font)
        layout.addWidget(caption)
        self.movements_list = QListWidget(self)
        self.movements_list.setObjectName("shiftMovementsList")
        self.movements_list.setAccessibleName(text.MOVEMENTS_NAME)
        self.movements_list.setWordWrap(True)
        self.movements_list.setMaximumHeight(self.fontMetrics().lineSpacing() * 6 + 8)
        layout.addWidget(self.movements_list, 1)

        self.status_label = QLabel("", self)
        self.status_label.setObjectName("shiftReportStatusLabel")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.status_label)

        buttons = QHBoxLayout()
        self.print_button = touch_button(self, "printShiftReportButton", text.PRINT_BUTTON)
        self.print_button.clicked.connect(self._on_print_button_clicked)
        self.pdf_button = touch_button(self, "saveShiftReportPdfButton", text.SAVE_PDF_BUTTON)
        self.pdf_button.clicked.connect(self._on_pdf_button_clicked)
        self.close_button = touch_button(self, "closeShiftReportButton", text.CLOSE_REPORT_BUTTON)
        self.close_button.clicked.connect(self.accept)
        self.close_button.setDefault(True)
        for button in (self.print_button, self.pdf_button, self.close_button):
            button.setMinimumWidth(_BUTTON_WIDTH)
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.pdf_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

    # -- the report -----------------------------------------------------------------------

    @property
    def report(self) -> ShiftReport:
        """The report shown."""
        return self._report

    def show_report(self, report: ShiftReport) -> None:
        """Show `report` (an X report refreshed, or the Z report at close)."""
        self._report = report
        shift = report.shift
        title = text.Z_TITLE if report.kind is ShiftReportKind.Z else text.X_TITLE
        self.setWindowTitle(title)
        self.title_label.setText(title)
        made = report.made_at.astimezone().strftime(_TIME)
        opened = shift.opened_at.astimezone().strftime(_TIME)
        person = shift.opened_by or text.NOBODY
        if shift.closed_at is not None:
            self.shift_label.setText(
                text.REPORT_SHIFT_CLOSED.format(
                    lane=shift.lane,
                    opened=opened,
                    person=person,
                    closed=shift.closed_at.astimezone().strftime(_TIME),
                    closer=shift.closed_by or text.NOBODY,
                    made=made,
                )
            )
        else:
            self.shift_label.setText(
                text.REPORT_SHIFT_OPEN.format(
                    lane=shift.lane, opened=opened, person=person, made=made
                )
            )
        sentence, state = over_short_sentence(report)
        self.over_short_label.setText(sentence)
        self.over_short_label.setAccessibleName(sentence)
        set_style_state(self.over_short_label, "overShort", state)
        self._fill_table(report_rows(report))
        self._fill_movements(report)

    def _fill_table(self, rows: list[Row]) -> None:
        table = self.table
        table.setRowCount(len(rows))
        for row, (label, count, amount) in enumerate(rows):
            section = not count and not amount
            for column, value in enumerate((label, count, amount)):
                item = QTableWidgetItem(value)
                if column:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if section:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                    item.setBackground(QBrush(QColor(SECTION_BACKGROUND)))
                table.setItem(row, column, item)

    def _fill_movements(self, report: ShiftReport) -> None:
        self.movements_list.clear()
        movements = sorted(
            (*report.no_sales, *report.paid_in, *report.paid_out), key=lambda m: m.at
        )
        if not movements:
            self.movements_list.addItem(QListWidgetItem(text.NO_MOVEMENTS))
            return
        for movement in movements:
            item = QListWidgetItem(_movement_line(movement))
            item.setData(Qt.ItemDataRole.UserRole, movement.id)
            self.movements_list.addItem(item)

    def rows(self) -> list[Row]:
        """The table as shown: (label, count, amount) per row (tests and accessibility)."""
        table = self.table

        def cell(row: int, column: int) -> str:
            item = table.item(row, column)
            return item.text() if item is not None else ""

        return [(cell(row, 0), cell(row, 1), cell(row, 2)) for row in range(table.rowCount())]

    # -- print and PDF ----------------------------------------------------------------------

    def document_text(self) -> str:
        """The printed page: the domain's text of the report."""
        return render_shift_text(self._report)

    def suggested_name(self) -> str:
        """A file name for the report shown."""
        report = self._report
        return text.REPORT_FILE_NAME.format(
            kind=report.kind.value,
            lane=report.shift.lane,
            when=report.made_at.astimezone().strftime("%Y%m%d-%H%M"),
        )

    async def save_pdf(self, path: Path | None = None) -> Path | None:
        """Write the report as PDF at `path` (asked for when None)."""
        if path is None:
            path = await self._choose_path(
                self, text.SAVE_PDF_TITLE, self.suggested_name(), text.PDF_FILTER
            )
            if path is None:
                return None
        try:
            write_pdf(plain_document(self.document_text(), self.windowTitle()), path)
        except OSError:
            log.warning("saving the shift report PDF failed", exc_info=True)
            self.status_label.setText(text.SAVE_FAILED.format(name=path.name))
            return None
        self.status_label.setText(text.SAVED.format(name=path.name))
        return path

    async def print_report(self) -> bool:
        """Ask for a printer and print the report."""
        printed = await print_with_dialog(
            self, plain_document(self.document_text(), self.windowTitle())
        )
        if printed:
            self.status_label.setText(text.PRINTED)
        return printed

    # -- slots ----------------------------------------------------------------------------

    def _on_print_button_clicked(self) -> None:
        self.work.start_if_idle(self.print_report())

    def _on_pdf_button_clicked(self) -> None:
        self.work.start_if_idle(self.save_pdf())
