"""The manager's history window: search, a paging table, a detail pane, refund.

Filters apply as they are typed (after a short pause): the journal and the
drawer's cash rows answer at once, JustiFi's extra sales for the same dates
follow. Any row of a sale rung up as a ticket shows the whole sale. Selecting a row asks
JustiFi for what can still be refunded. Refund and Reprint are requests the
window's owner grants (after the manager PIN), so this window holds no rules
about who may refund.

On a lane in a store (`store_view`), a scope chooses This lane (the journal,
as above), All lanes or one lane (the store's rows, each with its lane); a
row of another lane shows its sale's lines from the store. "Refund items..."
offers any sale's lines, this lane's or another's (`refund_items_requested`
with a `SaleToRefund`); the refund itself runs on this lane.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QDate, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.money import AmountError, parse_amount
from pos_app.domain.tickets import TicketStatus
from pos_app.services.history import HistoryRow, HistoryService, SaleDetails
from pos_app.services.manager import ManagerService
from pos_app.services.ports import (
    GatewayConfigError,
    GatewayRefusedError,
    GatewayUnavailableError,
    HistoryQuery,
    Operation,
)
from pos_app.ui.controls import MIN_TOUCH, touch_button
from pos_app.ui.history_details import details_html
from pos_app.ui.history_model import PAGE_SIZE, HistoryColumn, HistoryModel
from pos_app.ui.item_refund_dialog import SaleToRefund, sale_to_refund
from pos_app.ui.manager_screen import ManagerScreen
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.text import history as text

if TYPE_CHECKING:
    from pos_app.services.store_view import StoreViewService

__all__ = ["THIS_LANE", "HistoryWindow"]

SEARCH_PAUSE_MS = 250
DEFAULT_DAYS = 30  # JustiFi's list is asked for this many days back unless dates are set
THIS_LANE: Final = "\x00this lane"  # the scope's choice of this lane's journal
ALL_LANES: Final = ""  # the scope's choice of every lane in the store


class HistoryWindow(ManagerScreen):
    """Sales of this lane (and JustiFi's others), searchable, with refund and reprint.

    A manager screen: idle past the sign-out time, it asks for the PIN again."""

    refund_requested = Signal(object)  # HistoryRow
    reprint_requested = Signal(object)  # HistoryRow
    refund_items_requested = Signal(object)  # SaleToRefund

    def __init__(
        self,
        service: HistoryService,
        manager: ManagerService,
        parent: QWidget | None = None,
        *,
        today: date | None = None,
        search_pause_ms: int = SEARCH_PAUSE_MS,
        store_view: StoreViewService | None = None,
    ) -> None:
        super().__init__(manager, parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self.setObjectName("historyWindow")
        self.setWindowTitle(text.TITLE)
        self.setAccessibleName(text.TITLE)
        self.history = service
        self.store_view = store_view
        self.lane = manager.lane
        self.model = HistoryModel(service, self)
        self.model.store_more_wanted.connect(self._on_model_store_more_wanted)
        self.remote_slot = TaskSlot(self, "history from JustiFi")
        self.detail_slot = TaskSlot(self, "history details")
        self.store_slot = TaskSlot(self, "history from the store")
        self.lanes_slot = TaskSlot(self, "the store's lanes")
        self._to_refund: SaleToRefund | None = None
        self._store_back: tuple[Operation, ...] = ()  # the selected sale's refunds, any lane
        self._today = today or date.today()
        self._local_note = ""
        self._remote_note = ""
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(search_pause_ms)
        self._search_timer.timeout.connect(self.search)
        self._build()
        self.resize(1180, 720)

    # -- building -------------------------------------------------------------------

    def _field(self, widget: QWidget, name: str, accessible: str) -> QWidget:
        widget.setObjectName(name)
        widget.setAccessibleName(accessible.replace("&", ""))
        widget.setMinimumHeight(MIN_TOUCH)
        return widget

    def _build(self) -> None:
        filters = self._build_filters()
        splitter = self._build_table_and_detail()
        buttons = self._build_buttons()
        root = QVBoxLayout(self)
        root.addLayout(filters)
        root.addWidget(splitter, 1)
        root.addLayout(buttons)
        self._update_buttons(None)

    def _build_filters(self) -> QHBoxLayout:
        self.search_edit = QLineEdit(self)
        self.search_edit.setPlaceholderText(text.SEARCH_PLACEHOLDER)
        self.amount_edit = QLineEdit(self)
        self.amount_edit.setPlaceholderText(text.AMOUNT_PLACEHOLDER)
        self.last4_edit = QLineEdit(self)
        self.last4_edit.setPlaceholderText(text.LAST4_PLACEHOLDER)
        self.last4_edit.setMaxLength(4)
        self.from_date = QDateEdit(self)
        self.to_date = QDateEdit(self)
        for edit in (self.from_date, self.to_date):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
        self.from_date.setDate(_qdate(self._today - timedelta(days=DEFAULT_DAYS)))
        self.to_date.setDate(_qdate(self._today))
        self.status_combo = QComboBox(self)
        self.status_combo.addItem(text.STATUS_ALL, None)
        for value, label in text.STATUS_CHOICES:
            self.status_combo.addItem(label, value)
        self.kind_combo = QComboBox(self)
        self.kind_combo.addItem(text.KIND_ALL, None)
        for value, label in text.KIND_CHOICES:
            self.kind_combo.addItem(label, value)
        self.person_combo = QComboBox(self)
        self.refresh_people()
        self.scope_combo = QComboBox(self)
        self.scope_combo.addItem(text.SCOPE_THIS_LANE, THIS_LANE)
        self.scope_combo.addItem(text.SCOPE_ALL_LANES, ALL_LANES)
        fields: tuple[tuple[QWidget, str, str], ...] = (
            (self.search_edit, "historySearch", text.SEARCH_LABEL),
            (self.amount_edit, "historyAmount", text.AMOUNT_LABEL),
            (self.last4_edit, "historyLast4", text.LAST4_LABEL),
            (self.from_date, "historyFrom", text.FROM_LABEL),
            (self.to_date, "historyTo", text.TO_LABEL),
            (self.status_combo, "historyStatus", text.STATUS_LABEL),
            (self.kind_combo, "historyKind", text.KIND_LABEL),
            (self.person_combo, "historyPerson", text.PERSON_LABEL),
        )
        if self.store_view is not None:  # a lane alone has no lanes to choose
            fields = ((self.scope_combo, "historyScope", text.SCOPE_LABEL), *fields)
        else:
            self.scope_combo.hide()
        filters = QHBoxLayout()
        for widget, name, label in fields:
            self._field(widget, name, label)
            caption = QLabel(label, self)
            caption.setBuddy(widget)
            column = QVBoxLayout()
            column.addWidget(caption)
            column.addWidget(widget)
            filters.addLayout(column, 3 if widget is self.search_edit else 1)
        for line_edit in (self.search_edit, self.amount_edit, self.last4_edit):
            line_edit.textChanged.connect(self._schedule_search)
        for date_edit in (self.from_date, self.to_date):
            date_edit.dateChanged.connect(self._schedule_search)
        for combo in (self.status_combo, self.kind_combo, self.person_combo):
            combo.currentIndexChanged.connect(self._schedule_search)
        self.scope_combo.currentIndexChanged.connect(self._on_scope_combo_changed)
        return filters

    def _build_table_and_detail(self) -> QSplitter:
        self.table = QTableView(self)
        self.table.setObjectName("historyTable")
        self.table.setAccessibleName(text.TITLE)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(36)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for section, width in (
            (HistoryColumn.TIME, 128),
            (HistoryColumn.KIND, 96),
            (HistoryColumn.AMOUNT, 80),
            (HistoryColumn.STATUS, 90),
            (HistoryColumn.PERSON, 170),
            (HistoryColumn.CARD, 150),
            (HistoryColumn.TERMINAL, 90),
            (HistoryColumn.LANE, 110),
        ):
            self.table.setColumnWidth(section, width)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)

        self.detail = QTextBrowser(self)
        self.detail.setObjectName("historyDetail")
        self.detail.setAccessibleName("Sale details")
        self.detail.setPlainText(text.DETAIL_EMPTY)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setSizes([820, 360])
        return splitter

    def _build_buttons(self) -> QHBoxLayout:
        self.count_label = QLabel("", self)
        self.count_label.setObjectName("historyCount")
        self.count_label.setWordWrap(True)
        self.refund_button = self._button(text.REFUND, "historyRefundButton", self._refund)
        self.reprint_button = self._button(text.REPRINT, "historyReprintButton", self._reprint)
        self.refund_items_button = self._button(
            text.REFUND_ITEMS, "historyRefundItemsButton", self._refund_items
        )
        refresh = self._button(text.REFRESH, "historyRefreshButton", self._refresh)
        close = self._button(text.CLOSE, "historyCloseButton", self.close)
        QShortcut(QKeySequence(Qt.Key.Key_F5), self).activated.connect(self._refresh)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label, 1)
        for button in (
            refresh,
            self.reprint_button,
            self.refund_items_button,
            self.refund_button,
            close,
        ):
            buttons.addWidget(button)
        return buttons

    def _button(self, label: str, name: str, slot: Callable[[], object]) -> QPushButton:
        button = touch_button(self, name, label)
        button.clicked.connect(slot)
        return button

    # -- searching --------------------------------------------------------------------------

    def refresh_people(self) -> None:
        """Offer every name the journal knows in the person filter, keeping the choice."""
        chosen = self.person_combo.currentData()
        combo = self.person_combo
        combo.blockSignals(True)
        try:
            combo.clear()
            combo.addItem(text.PERSON_ALL, None)
            for name in self.history.people():
                combo.addItem(name, name)
            if chosen is not None:
                found = next(
                    (i for i in range(1, combo.count()) if _same_name(combo.itemData(i), chosen)),
                    -1,
                )
                if found < 0:  # still filtered on the name, even if it left the journal
                    combo.addItem(chosen, chosen)
                    found = combo.count() - 1
                combo.setCurrentIndex(found)
        finally:
            combo.blockSignals(False)

    def _refresh(self) -> None:
        self.refresh_people()
        self.search()

    def _schedule_search(self, *_: object) -> None:
        self._search_timer.start()

    def query(self) -> HistoryQuery | str:
        """The filters as a journal query, or the sentence saying what is wrong."""
        amount: int | None = None
        typed = self.amount_edit.text().strip()
        if typed:
            try:
                amount = parse_amount(typed, minimum_cents=1).cents
            except AmountError as exc:
                return text.BAD_AMOUNT.format(error=exc)
        last4 = self.last4_edit.text().strip() or None
        if last4 is not None and not (len(last4) == 4 and last4.isdigit()):
            return text.BAD_LAST4
        start, end = _pydate(self.from_date.date()), _pydate(self.to_date.date())
        if start > end:
            return text.BAD_RANGE
        status, kind = self.status_combo.currentData(), self.kind_combo.currentData()
        person = self.person_combo.currentData()
        return HistoryQuery(
            since=_local_midnight(start),
            until=_local_midnight(end + timedelta(days=1)),
            amount_cents=amount,
            card_last4=last4,
            statuses=(status,) if status else (),
            kinds=(kind,) if kind else (),
            text=self.search_edit.text().strip() or None,
            person=person or None,
        )

    @property
    def scope(self) -> str:
        """THIS_LANE, ALL_LANES or a lane's name."""
        data = self.scope_combo.currentData()
        return data if isinstance(data, str) and self.store_view is not None else THIS_LANE

    def set_scope(self, scope: str) -> None:
        """Choose This lane (THIS_LANE), All lanes ("") or a lane by name."""
        found = self.scope_combo.findData(scope)
        if found < 0:
            self.scope_combo.addItem(text.SCOPE_ONE_LANE.format(lane=scope), scope)
            found = self.scope_combo.count() - 1
        self.scope_combo.setCurrentIndex(found)

    def load_lanes(self) -> None:
        """Offer each lane of the store in the scope (asked of the store, once shown)."""
        if self.store_view is not None:
            self.lanes_slot.start(self._load_lanes(self.store_view))

    async def _load_lanes(self, store_view: StoreViewService) -> None:
        from pos_app.services.store_ports import StoreUnavailableError

        try:
            lanes = await store_view.lanes()
        except StoreUnavailableError:
            return  # the search says so
        for lane in lanes:
            if self.scope_combo.findData(lane) < 0:
                self.scope_combo.addItem(text.SCOPE_ONE_LANE.format(lane=lane), lane)

    def search(self) -> None:
        """Show the journal's rows for the filters now; JustiFi's follow. In a store's
        scope, the store's rows (asked of the store)."""
        self._search_timer.stop()
        query = self.query()
        if isinstance(query, str):
            self.count_label.setText(query)
            return
        if self.store_view is not None and self.scope != THIS_LANE:
            self._search_store(self.store_view, query)
            return
        self.store_slot.cancel()
        self.model.set_query(query)
        self._note_local()
        self._remote_note = text.REMOTE_LOADING
        self._show_counts()
        self.remote_slot.start(self._load_remote(query))
        self._show_row(self._current_row())

    def _search_store(self, store_view: StoreViewService, query: HistoryQuery) -> None:
        self.remote_slot.cancel()
        first = replace(query, limit=PAGE_SIZE, offset=0)
        self.model.set_store_rows(first, [], more=False)
        self._local_note, self._remote_note = text.STORE_LOADING, ""
        self._show_counts()
        self._show_row(None)
        self.store_slot.start(self._load_store(store_view, first, self.scope or None))

    async def _load_store(
        self, store_view: StoreViewService, query: HistoryQuery, lane: str | None
    ) -> None:
        from pos_app.services.store_ports import StoreUnavailableError

        try:
            rows = await store_view.history_rows(query, lane)
        except StoreUnavailableError as exc:
            self.model.add_store_rows([], more=False)
            self._local_note = text.STORE_FAILED.format(error=exc.message)
            self._show_counts()
            return
        more = len(rows) >= query.limit
        if query.offset == 0:
            self.model.set_store_rows(query, rows, more=more)
        else:
            self.model.add_store_rows(rows, more=more)
        scope = text.SCOPE_ONE_LANE.format(lane=lane) if lane else text.SCOPE_ALL_LANES
        count = text.COUNT_STORE.format(count=self.model.rowCount(), scope=scope)
        self._local_note = count + (text.COUNT_MORE if more else "")
        self._show_counts()

    def _on_model_store_more_wanted(self) -> None:
        if self.store_view is not None:
            query = replace(self.model.query, offset=self.model.rowCount())
            self.store_slot.start(self._load_store(self.store_view, query, self.scope or None))

    def _on_scope_combo_changed(self, _index: int) -> None:
        self.search()

    async def _load_remote(self, query: HistoryQuery) -> None:
        assert query.since is not None
        assert query.until is not None
        try:
            rows = await self.history.remote_rows(query, query.since, query.until)
        except (GatewayUnavailableError, GatewayRefusedError, GatewayConfigError) as exc:
            self._remote_note = text.REMOTE_FAILED.format(error=exc.message)
            self._show_counts()
            return
        selected = self._current_row()
        self.model.set_remote(rows)
        if selected is not None:  # keep the manager's row (and its details) selected
            self._reselect(selected.id)
        self._remote_note = text.REMOTE_FOUND.format(count=len(rows)) if rows else text.REMOTE_NONE
        self._note_local()
        self._show_counts()

    def _note_local(self) -> None:
        local = sum(1 for r in range(self.model.rowCount()) if not self._row(r).is_remote)
        more = text.COUNT_MORE if self.model.canFetchMore() else ""
        self._local_note = text.COUNT_LOCAL.format(count=local) + more

    def _show_counts(self) -> None:
        self.count_label.setText(self._local_note + self._remote_note)

    # -- the selected row -------------------------------------------------------------------

    def _row(self, number: int) -> HistoryRow:
        row = self.model.row_at(number)
        assert row is not None
        return row

    def _current_row(self) -> HistoryRow | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def select_row(self, number: int) -> None:
        self.table.selectRow(number)
        self.table.setCurrentIndex(self.model.index(number, 0))

    def _reselect(self, row_id: str) -> None:
        for number in range(self.model.rowCount()):
            if self._row(number).id == row_id:
                self.table.blockSignals(True)
                self.table.selectionModel().blockSignals(True)
                try:
                    self.select_row(number)
                finally:
                    self.table.selectionModel().blockSignals(False)
                    self.table.blockSignals(False)
                return
        self._show_row(None)

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_row(self.model.row_at(current.row()) if current.isValid() else None)

    def _show_row(self, row: HistoryRow | None) -> None:
        self._update_buttons(None)
        if row is None:
            self.detail_slot.cancel()
            self.detail.setPlainText(text.DETAIL_EMPTY)
            return
        self.detail.setHtml(details_html(SaleDetails(row, None), loading=True))
        self.detail_slot.start(self._load_details(row))

    def is_other_lane(self, row: HistoryRow) -> bool:
        """A row the store has from another lane (not in this lane's journal or drawer)."""
        return self.model.showing_store and row.lane is not None and row.lane != self.lane

    async def _load_details(self, row: HistoryRow) -> None:
        """This lane's word first (the journal, JustiFi); then, in a store, the store's:
        another lane's sale and steps, and what other lanes gave back of a sale."""
        self._store_back = ()
        details = await self.history.details(row)
        store_view = self.store_view
        asks_store = store_view is not None and (
            row.ticket_id is not None or self.is_other_lane(row)
        )
        self.detail.setHtml(details_html(details, store_loading=asks_store))
        self._update_buttons(details)
        if store_view is None or not asks_store:
            return
        details, note = await self._store_details(store_view, details)
        self.detail.setHtml(details_html(details, note=note))
        self._update_buttons(details)

    async def _store_details(
        self, store_view: StoreViewService, details: SaleDetails
    ) -> tuple[SaleDetails, str | None]:
        """The row's sale as the store has it (the sale itself for another lane's; what
        every lane gave back of it for this lane's) and another lane's steps; with the
        store unreachable, what this lane knows and the sentence saying so."""
        from pos_app.services.store_ports import StoreUnavailableError

        row = details.row
        try:
            if row.ticket_id:
                found = await store_view.ticket_sale(row.ticket_id)
                if details.sale is None:
                    details = replace(details, sale=found)
                elif found is not None:
                    self._store_back = tuple(found.card_back)
            if self.is_other_lane(row) and not details.entries:
                details = replace(details, entries=await store_view.entries(row))
        except StoreUnavailableError as exc:
            return details, text.STORE_FAILED_DETAIL.format(error=exc.message)
        return details, None

    def _update_buttons(self, details: SaleDetails | None) -> None:
        other = details is not None and self.is_other_lane(details.row)
        refundable = details is not None and (
            (details.payment is not None and details.payment.refundable_cents > 0)
            or (not other and _sale_refundable(details))
        )
        self.refund_button.setEnabled(refundable)
        self.reprint_button.setEnabled(
            details is not None
            and details.row.status == "approved"
            and not details.row.is_remote
            and not other
        )
        self._to_refund = self._sale_to_refund(details) if details is not None else None
        self.refund_items_button.setEnabled(self._to_refund is not None)

    def _sale_to_refund(self, details: SaleDetails) -> SaleToRefund | None:
        sale = details.sale
        if sale is None:
            return None
        store = self.history.tickets
        mine = store.ticket_operations(sale.ticket.id) if store is not None else []
        return sale_to_refund(
            sale,
            this_lane=sale.ticket.lane == self.lane,
            more_refunds=[*mine, *details.refunds, *self._store_back],
            payment=details.payment,
        )

    def _refund(self) -> None:
        row = self._current_row()
        if row is not None and self.refund_button.isEnabled():
            self.refund_button.setEnabled(False)  # one press, one request
            self.refund_requested.emit(row)

    def _refund_items(self) -> None:
        target = self._to_refund
        if target is not None and self.refund_items_button.isEnabled():
            self.refund_items_button.setEnabled(False)  # one press, one request
            self.refund_items_requested.emit(target)

    def _reprint(self) -> None:
        row = self._current_row()
        if row is not None:
            self.reprint_requested.emit(row)

    def refresh_selected(self) -> None:
        """Ask again about the selected row (after a refund)."""
        self._show_row(self._current_row())


def _sale_refundable(details: SaleDetails) -> bool:
    """A completed sale rung up as a ticket with something left to give back (its cash;
    its card parts are asked of JustiFi in the refund itself)."""
    sale = details.sale
    return (
        sale is not None
        and sale.ticket.status is TicketStatus.COMPLETE
        and sale.payments.refundable_cents > 0
    )


def _same_name(one: object, other: object) -> bool:
    return str(one).casefold() == str(other).casefold()


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> date:
    return date(day.year(), day.month(), day.day())


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time()).astimezone()
