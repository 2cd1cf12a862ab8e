"""The end-of-day report: a day and a lane, the summary, the cash, the differences with JustiFi.

The dialog only shows a `DayReport`; the work (journal and JustiFi) is the
`load` coroutine it is given (`ReportService.day_report`), run in a task the
dialog owns, so choosing another day while one loads simply replaces it.

On a lane in a store (`store`, the lane's `StoreViewService`) the lane choice
becomes a scope (`pos_app.ui.report_scope`): the whole store, this lane, or
another lane, read from the store, with each lane's audit head listed. A
store that cannot be reached is said in one sentence, with this lane's own
report (from `load`) a press away.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.errors import UserFacingError
from pos_app.domain.report import ALL_LANES, DayReport, LaneSummary, Totals, report_csv
from pos_app.services.store_ports import StoreRefusedError, StoreUnavailableError
from pos_app.ui.controls import touch_button
from pos_app.ui.printing import print_with_dialog, write_pdf
from pos_app.ui.report_document import (
    DIFFERENCE_FOREGROUND,
    audit_head_line,
    cash_cells,
    cash_rows,
    person_cells,
    report_document,
    sales_sentence,
    status_sentence,
    summary_cells,
    tender_cells,
)
from pos_app.ui.report_scope import StoreReports, StoreScope
from pos_app.ui.save_dialog import PathChooser, choose_save_path
from pos_app.ui.style import set_style_state, style_sheet
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.text import receipts as text
from pos_app.ui.text import report_scope as scope_text

log = logging.getLogger("pos_app.ui.report_view")

ReportLoader = Callable[[date, str | None], Awaitable[DayReport]]
"""(day, lane or None for every lane) -> the report; `ReportService.day_report`."""

DIFFERENCE_BACKGROUND = "#fdecea"
SUBTOTAL_BACKGROUND = "#f3f4f6"


class EndOfDayDialog(QDialog):
    """Pick a day and a lane (on a lane in a store: the store, this lane or another); see
    the totals and every difference with JustiFi; export."""

    def __init__(
        self,
        load: ReportLoader,
        parent: QWidget | None = None,
        *,
        day: date | None = None,
        lanes: Sequence[str] = (),
        lane: str | None = None,
        choose_path: PathChooser = choose_save_path,
        store: StoreReports | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("endOfDayDialog")
        self.setWindowTitle(text.REPORT_TITLE)
        self.setStyleSheet(style_sheet("report_view"))
        self._load = load
        self._choose_path = choose_path
        self._report: DayReport | None = None
        self.slot = TaskSlot(self, "end-of-day report")
        self.work = TaskSlot(self, "end-of-day export")
        self.lanes_slot = TaskSlot(self, "the store's lanes")
        self.scope = StoreScope(self, store, lane or "") if store is not None else None
        self._from_store = False  # the report shown was read from the store
        self._build(day or date.today(), lanes, lane)

    # -- building -------------------------------------------------------------------------

    def _build(self, day: date, lanes: Sequence[str], lane: str | None) -> None:
        self.resize(960, 720)
        layout = QVBoxLayout(self)
        controls = QHBoxLayout()
        controls.addWidget(QLabel(text.DAY_LABEL, self))
        self.date_edit = QDateEdit(QDate(day.year, day.month, day.day), self)
        self.date_edit.setObjectName("reportDayEdit")
        self.date_edit.setAccessibleName(text.DAY_LABEL)
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.dateChanged.connect(self._on_date_edit_date_changed)
        controls.addWidget(self.date_edit)
        controls.addSpacing(16)
        lane_label = QLabel(text.LANE_LABEL, self)
        controls.addWidget(lane_label)
        self.lane_combo = QComboBox(self)
        self.lane_combo.setObjectName("reportLaneCombo")
        self.lane_combo.setAccessibleName(text.LANE_LABEL)
        self.lane_combo.setMinimumWidth(160)
        self._fill_lanes(lanes, lane)
        self.lane_combo.currentIndexChanged.connect(self._on_lane_combo_current_index_changed)
        controls.addWidget(self.lane_combo)
        if self.scope is not None:  # the scope takes the lane choice's place
            lane_label.hide()
            self.lane_combo.hide()
            controls.addWidget(QLabel(scope_text.SCOPE_LABEL, self))
            controls.addWidget(self.scope.combo)
            self.scope.combo.currentIndexChanged.connect(self._on_scope_combo_index_changed)
        self.refresh_button = self._button("refreshReportButton", text.REFRESH_BUTTON)
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        controls.addWidget(self.refresh_button)
        controls.addStretch(1)
        layout.addLayout(controls)

        self.status_label = QLabel("", self)
        self.status_label.setObjectName("reportStatusLabel")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.status_label)

        own = QHBoxLayout()
        self.own_records_button = self._button(
            "ownRecordsReportButton", scope_text.OWN_RECORDS_BUTTON
        )
        self.own_records_button.setAccessibleDescription(scope_text.OWN_RECORDS_DESCRIPTION)
        self.own_records_button.setToolTip(scope_text.OWN_RECORDS_DESCRIPTION)
        self.own_records_button.clicked.connect(self._on_own_records_button_clicked)
        self.own_records_button.hide()
        own.addWidget(self.own_records_button)
        own.addStretch(1)
        layout.addLayout(own)
        self.scope_note_label = QLabel("", self)
        self.scope_note_label.setObjectName("reportScopeNote")
        self.scope_note_label.setWordWrap(True)
        self.scope_note_label.setTextFormat(Qt.TextFormat.PlainText)
        self.scope_note_label.hide()
        layout.addWidget(self.scope_note_label)

        self.audit_head_label = QLabel("", self)
        self.audit_head_label.setObjectName("reportAuditHeadLabel")
        self.audit_head_label.setTextFormat(Qt.TextFormat.PlainText)
        self.audit_head_label.setWordWrap(True)
        self.audit_head_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.audit_head_label.setToolTip(text.AUDIT_HEAD_HINT)
        self.audit_head_label.setVisible(False)
        layout.addWidget(self.audit_head_label)

        # Three views of the same day in tabs, so each table keeps its rows on a
        # counter's screen: by tender and cash, cards by lane and brand, by person.
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("reportTabs")
        self.summary_table = self._table(
            "reportSummaryTable", text.SUMMARY_NAME, text.SUMMARY_COLUMNS
        )
        self.people_table = self._table("reportPeopleTable", text.PEOPLE_NAME, text.PEOPLE_COLUMNS)
        self.tabs.addTab(self._cash_page(), text.TENDER_TAB)
        self.tabs.addTab(self.summary_table, text.SUMMARY_TAB)
        self.tabs.addTab(self.people_table, text.PEOPLE_CAPTION)
        self.tabs.setTabVisible(0, False)  # until a report with cash comes
        self.tabs.setCurrentIndex(1)
        layout.addWidget(self.tabs, 5)

        self.counts_label = QLabel("", self)
        self.counts_label.setObjectName("reportCountsLabel")
        layout.addWidget(self.counts_label)

        self.differences_caption = self._caption(text.DIFFERENCES_CAPTION.format(count=0))
        layout.addWidget(self.differences_caption)
        self.differences_list = QListWidget(self)
        self.differences_list.setObjectName("reportDifferencesList")
        self.differences_list.setAccessibleName(text.DIFFERENCES_NAME)
        self.differences_list.setWordWrap(True)
        self.differences_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.differences_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.differences_list.setSpacing(4)
        self.differences_list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.differences_list.setResizeMode(QListView.ResizeMode.Adjust)
        layout.addWidget(self.differences_list, 2)

        buttons = QHBoxLayout()
        self.print_button = self._button("printReportButton", text.PRINT_BUTTON)
        self.print_button.clicked.connect(self._on_print_button_clicked)
        self.pdf_button = self._button("saveReportPdfButton", text.SAVE_PDF_BUTTON)
        self.pdf_button.clicked.connect(self._on_pdf_button_clicked)
        self.csv_button = self._button("saveReportCsvButton", text.SAVE_CSV_BUTTON)
        self.csv_button.setAccessibleDescription(text.SAVE_CSV_DESCRIPTION)
        self.csv_button.clicked.connect(self._on_csv_button_clicked)
        self.close_button = self._button("closeReportButton", text.CLOSE_BUTTON)
        self.close_button.clicked.connect(self.accept)
        for button in (self.print_button, self.pdf_button, self.csv_button):
            button.setEnabled(False)
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout.addLayout(buttons)

    def _cash_page(self) -> QWidget:
        """The day by tender and the cash drawer per lane, and the sales' line."""
        page = QWidget(self)
        page.setObjectName("reportCashPage")
        box = QVBoxLayout(page)
        self.tender_table = self._table("reportTenderTable", text.TENDER_NAME, text.TENDER_COLUMNS)
        self.tender_table.setToolTip(text.TENDER_HINT)
        box.addWidget(self.tender_table, 2)
        box.addWidget(self._caption(text.CASH_CAPTION))
        self.cash_table = self._table("reportCashTable", text.CASH_NAME, text.CASH_COLUMNS)
        self.cash_table.setToolTip(text.CASH_HINT)
        box.addWidget(self.cash_table, 3)
        self.sales_label = QLabel("", page)
        self.sales_label.setObjectName("reportSalesLabel")
        self.sales_label.setWordWrap(True)
        self.sales_label.setTextFormat(Qt.TextFormat.PlainText)
        box.addWidget(self.sales_label)
        return page

    def _table(self, name: str, accessible: str, columns: Sequence[str]) -> QTableWidget:
        table = QTableWidget(0, len(columns), self)
        table.setObjectName(name)
        table.setAccessibleName(accessible)
        table.setHorizontalHeaderLabels(list(columns))
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        return table

    def _button(self, name: str, label: str) -> QPushButton:
        return touch_button(self, name, label)

    def _caption(self, value: str) -> QLabel:
        label = QLabel(value, self)
        font = label.font()
        font.setBold(True)
        label.setFont(font)
        return label

    def _fill_lanes(self, lanes: Sequence[str], current: str | None) -> None:
        combo = self.lane_combo
        combo.blockSignals(True)
        try:
            combo.clear()
            combo.addItem(text.ALL_LANES_ITEM, None)
            for name in sorted({*lanes, *([current] if current else [])}):
                combo.addItem(name, name)
            index = combo.findData(current) if current else 0
            combo.setCurrentIndex(max(index, 0))
        finally:
            combo.blockSignals(False)

    # -- state ----------------------------------------------------------------------------

    @property
    def report(self) -> DayReport | None:
        """The report shown, once loaded."""
        return self._report

    @property
    def day(self) -> date:
        """The day picked."""
        picked = self.date_edit.date()
        return date(picked.year(), picked.month(), picked.day())

    @property
    def lane(self) -> str | None:
        """The lane picked; None for every lane (in a store: the whole store)."""
        if self.scope is not None:
            return self.scope.lane
        data = self.lane_combo.currentData()
        return data if isinstance(data, str) else None

    def set_day(self, day: date) -> None:
        """Pick a day (loads its report)."""
        self.date_edit.setDate(QDate(day.year, day.month, day.day))

    def set_lane(self, lane: str | None) -> None:
        """Pick a lane, or None for every lane (loads its report)."""
        if self.scope is not None:
            self.scope.set_lane(lane)
            return
        if lane is not None and self.lane_combo.findData(lane) < 0:
            self.lane_combo.addItem(lane, lane)
        index = self.lane_combo.findData(lane) if lane is not None else 0
        self.lane_combo.setCurrentIndex(index)

    # -- loading --------------------------------------------------------------------------

    def reload(self) -> None:
        """Load the report of the day and lane picked (the latest request wins)."""
        self.slot.start(self._refresh(self.day, self.lane))

    async def _refresh(self, day: date, lane: str | None) -> DayReport | None:
        scope = self.scope
        from_store = scope is not None and not scope.own_records
        self._set_status(scope_text.STORE_LOADING if from_store else text.LOADING, "")
        self.own_records_button.hide()
        self.scope_note_label.hide()
        for button in (self.print_button, self.pdf_button, self.csv_button):
            button.setEnabled(False)
        try:
            if scope is not None and from_store:
                report = await scope.store.day_report(day, lane)
            else:
                report = await self._load(day, lane if scope is None else scope.own_lane)
        except StoreUnavailableError as exc:
            log.info("end of day: the store cannot be read: %s", exc)
            self._store_failed(scope_text.STORE_UNREACHABLE)
            return None
        except StoreRefusedError as exc:
            log.warning("end of day: the store refused: %s", exc.message)
            self._store_failed(scope_text.STORE_REFUSED.format(why=exc.message))
            return None
        except (UserFacingError, sqlite3.Error, OSError):
            # The service already turns JustiFi trouble into an unchecked report: this
            # is the journal failing. Logged in full; the manager can retry.
            log.exception("the end-of-day report failed")
            self._set_status(text.REPORT_FAILED, "unchecked")
            return None
        except Exception:
            # A bug: the dialog stops saying "loading", the slot hands it to the funnel.
            self._set_status(text.REPORT_FAILED, "unchecked")
            raise
        self._from_store = from_store
        self.show_report(report)
        if scope is not None and scope.own_records:
            self.scope_note_label.setText(scope_text.OWN_RECORDS_NOTE)
            self.scope_note_label.show()
        return report

    def _store_failed(self, sentence: str) -> None:
        """The store's day cannot be shown: say so, show nothing stale, offer this lane's
        own report."""
        self._clear_report()
        self._set_status(sentence, "unchecked")
        self.own_records_button.show()

    def _clear_report(self) -> None:
        self._report = None
        for table in (self.summary_table, self.people_table, self.tender_table, self.cash_table):
            table.setRowCount(0)
        self.differences_list.clear()
        self.differences_caption.setText(text.DIFFERENCES_CAPTION.format(count=0))
        self.audit_head_label.setVisible(False)
        self.counts_label.setText("")
        self.sales_label.setText("")

    def show_report(self, report: DayReport) -> None:
        """Show a report (the loader's answer)."""
        self._report = report
        self._fill_lanes((*report.lanes_seen, *self._lanes_listed()), self.lane)
        self._fill_summary(report)
        self._fill_cash(report)
        self._fill_people(report)
        self._fill_differences(report)
        self._show_status(report)
        for button in (self.print_button, self.pdf_button, self.csv_button):
            button.setEnabled(True)

    def _lanes_listed(self) -> list[str]:
        combo = self.lane_combo
        return [str(combo.itemData(i)) for i in range(1, combo.count())]

    def _show_status(self, report: DayReport) -> None:
        if not report.justifi_checked:
            state = "unchecked"
        else:
            state = "differences" if report.differences else "ok"
        self._set_status(status_sentence(report), state)  # the printed page says the same
        head = audit_head_line(report)
        if report.audit_head and self._from_store:  # every lane covered: "till-1 412:3f7a; ..."
            heads = report.audit_head.replace("; ", scope_text.AUDIT_HEADS_SEPARATOR)
            head = scope_text.AUDIT_HEADS_LINE.format(heads=heads)
        self.audit_head_label.setText(head or "")
        self.audit_head_label.setVisible(head is not None)
        self.counts_label.setText(
            text.EXTRA_COUNTS.format(
                declined=report.total.declined, unsettled=report.total.unsettled
            )
        )

    def _set_status(self, message: str, style: str) -> None:
        self.status_label.setText(message)
        self.status_label.setAccessibleName(message)
        set_style_state(self.status_label, "reportState", style)  # its colours

    def _fill_summary(self, report: DayReport) -> None:
        rows: list[tuple[str, str, Totals, bool]] = []
        summaries: list[LaneSummary] = [*report.lanes]
        if len(report.lanes) != 1:
            summaries.append(report.total)
        for summary in summaries:
            lane = ALL_LANES if summary is report.total else summary.lane
            rows.append((lane, text.ALL_BRANDS_ITEM, summary.totals, True))
            rows.extend((lane, brand.brand, brand.totals, False) for brand in summary.brands)
        table = self.summary_table
        table.setRowCount(len(rows))
        for row, (lane, brand, totals, bold) in enumerate(rows):
            cells = summary_cells(lane, brand, totals, report.currency)
            for column, value in enumerate(cells):
                item = QTableWidgetItem(value)
                if column >= 2:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if bold:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                    item.setBackground(QBrush(QColor(SUBTOTAL_BACKGROUND)))
                table.setItem(row, column, item)

    def _fill_cash(self, report: DayReport) -> None:
        sentence = sales_sentence(report)
        had_cash = self.tabs.isTabVisible(0)
        self.tabs.setTabVisible(0, sentence is not None)
        if sentence is None:
            self.tabs.setCurrentIndex(1)
        elif not had_cash:
            self.tabs.setCurrentIndex(0)  # the day at a glance, once it has cash
        last = len(report.by_tender) - 1
        _fill_table(
            self.tender_table,
            [
                (tender_cells(summary, report.currency), index == last)
                for index, summary in enumerate(report.by_tender)
            ],
        )
        _fill_table(
            self.cash_table,
            [(cash_cells(cash, report.currency), bold) for cash, bold in cash_rows(report)],
        )
        self.sales_label.setText(sentence or "")

    def _fill_people(self, report: DayReport) -> None:
        table = self.people_table
        table.setRowCount(len(report.people))
        for row, person in enumerate(report.people):
            for column, value in enumerate(person_cells(person, report.currency)):
                item = QTableWidgetItem(value)
                if column >= 1:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                table.setItem(row, column, item)

    def _fill_differences(self, report: DayReport) -> None:
        self.differences_list.clear()
        self.differences_caption.setText(
            text.DIFFERENCES_CAPTION.format(count=len(report.differences))
        )
        if not report.differences:
            if report.justifi_checked:
                self.differences_list.addItem(QListWidgetItem(text.NO_DIFFERENCES))
            return
        for difference in report.differences:
            item = QListWidgetItem(
                text.DIFFERENCE_ITEM.format(
                    title=difference.title, description=difference.description
                )
            )
            item.setData(Qt.ItemDataRole.UserRole, difference.kind.value)
            item.setToolTip(item.text())
            item.setBackground(QBrush(QColor(DIFFERENCE_BACKGROUND)))
            item.setForeground(QBrush(QColor(DIFFERENCE_FOREGROUND)))
            self.differences_list.addItem(item)

    # -- exports --------------------------------------------------------------------------

    def suggested_name(self, ext: str) -> str:
        """A file name for the report shown."""
        report = self._report
        day = (report.day if report else self.day).isoformat()
        lane = self.lane
        part = f"-{lane}" if lane else ""
        if self.scope is not None and lane is None:
            part = scope_text.STORE_FILE_PART
        return text.REPORT_FILE_NAME.format(day=day, lane=part, ext=ext)

    async def save_csv(self, path: Path | None = None) -> Path | None:
        """Write the report as CSV at `path` (asked for when None)."""
        report = self._report
        if report is None:
            return None
        if path is None:
            path = await self._choose_path(
                self, text.SAVE_CSV_TITLE, self.suggested_name("csv"), text.CSV_FILTER
            )
            if path is None:
                return None
        try:
            # newline="" keeps the csv module's own line endings.
            with path.open("w", encoding="utf-8", newline="") as file:
                file.write(report_csv(report))
        except OSError:
            log.warning("saving the report CSV failed", exc_info=True)
            self._set_status(text.SAVE_FAILED.format(name=path.name), "unchecked")
            return None
        self._show_status(report)
        return path

    async def save_pdf(self, path: Path | None = None) -> Path | None:
        """Write the report as PDF at `path` (asked for when None)."""
        report = self._report
        if report is None:
            return None
        if path is None:
            path = await self._choose_path(
                self, text.SAVE_PDF_TITLE, self.suggested_name("pdf"), text.PDF_FILTER
            )
            if path is None:
                return None
        try:
            write_pdf(report_document(report), path)
        except OSError:
            log.warning("saving the report PDF failed", exc_info=True)
            self._set_status(text.SAVE_FAILED.format(name=path.name), "unchecked")
            return None
        return path

    async def print_report(self) -> bool:
        """Ask for a printer and print the report."""
        report = self._report
        if report is None:
            return False
        return await print_with_dialog(self, report_document(report))

    # -- slots ----------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        scope = self.scope
        if scope is not None and not scope.lanes_listed and not self.lanes_slot.running:
            self.lanes_slot.start(scope.load_lanes())  # until listed once: the combo keeps them
        if self._report is None and not self.slot.running:
            self.reload()

    def _on_refresh_button_clicked(self) -> None:
        if self.scope is not None:
            self.scope.own_records = False  # try the store again
        self.reload()

    def _on_scope_combo_index_changed(self, _index: int) -> None:
        assert self.scope is not None
        self.scope.own_records = False
        self.reload()

    def _on_own_records_button_clicked(self) -> None:
        assert self.scope is not None
        self.scope.show_own_records()
        self.reload()

    def _on_date_edit_date_changed(self, _date: QDate) -> None:
        self.reload()

    def _on_lane_combo_current_index_changed(self, _index: int) -> None:
        self.reload()

    def _on_print_button_clicked(self) -> None:
        self.work.start_if_idle(self.print_report())

    def _on_pdf_button_clicked(self) -> None:
        self.work.start_if_idle(self.save_pdf())

    def _on_csv_button_clicked(self) -> None:
        self.work.start_if_idle(self.save_csv())


def _fill_table(table: QTableWidget, rows: Sequence[tuple[Sequence[str], bool]]) -> None:
    """Rows of text, figures right-aligned after the first column, bold rows shaded."""
    table.setRowCount(len(rows))
    for row, (cells, bold) in enumerate(rows):
        for column, value in enumerate(cells):
            item = QTableWidgetItem(value)
            if column >= 1:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if bold:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
                item.setBackground(QBrush(QColor(SUBTOTAL_BACKGROUND)))
            table.setItem(row, column, item)
