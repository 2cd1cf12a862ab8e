"""The history as a Qt table that pages: rows are read as the view scrolls.

The journal's rows come a page at a time through `fetchMore` (Qt asks when
the view nears the end), so 100,000 sales open and filter at once. JustiFi's
extra rows (sales this lane never journaled) arrive later and are merged by
time: a remote row shows once the journal's pages have reached its time, so
new rows are only ever appended while scrolling. The drawer's cash rows (cash
sales and refunds, read with the filters) are merged the same way.

In a store, the window can show the store's rows instead (every lane, or one):
they are read by the window asynchronously (`set_store_rows`, `add_store_rows`),
and scrolling to the end asks for the next page (`store_more_wanted`).
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from pos_app.domain.money import Money
from pos_app.domain.texts import card_text
from pos_app.services.history import HistoryRow, HistoryService
from pos_app.services.ports import HistoryQuery
from pos_app.ui.text import history as text

__all__ = ["ROW_ROLE", "HistoryColumn", "HistoryModel", "person_text"]

ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 1
PAGE_SIZE = 200
# Once the journal's pages are done, the drawer's rows are read this much time at once.
CASH_STRETCH = timedelta(days=2)

_AnyIndex = QModelIndex | QPersistentModelIndex
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class HistoryColumn(IntEnum):
    TIME = 0
    KIND = 1
    AMOUNT = 2
    STATUS = 3
    PERSON = 4
    CARD = 5
    TERMINAL = 6
    LANE = 7
    DESCRIPTION = 8


class HistoryModel(QAbstractTableModel):
    """This lane's journal, newest first, with JustiFi's extra sales merged in; or the
    store's rows, a page at a time."""

    store_more_wanted = Signal()  # the view scrolled to the end of the store's rows

    def __init__(
        self, service: HistoryService, parent: QObject | None = None, page_size: int = PAGE_SIZE
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.page_size = page_size
        self.query = HistoryQuery()
        self._rows: list[HistoryRow] = []
        self._local_loaded = 0
        self._local_done = True  # nothing to read until `set_query`
        self._remote: list[HistoryRow] = []  # JustiFi's rows, newest first
        self._remote_shown = 0
        self._cash: deque[HistoryRow] = deque()  # the drawer's rows read, not shown yet
        self._cash_until: datetime | None = None  # cash is read down to here (exclusive)
        self._cash_done = True
        self.showing_store = False  # the rows are the store's (every lane's), not the journal's
        self._store_more = False  # the store has more rows than shown
        self._store_waiting = False  # the next page was asked for

    # -- what the window does -------------------------------------------------------

    def set_query(self, query: HistoryQuery) -> None:
        """Show the first page for new filters (JustiFi's rows come with `set_remote`)."""
        self.beginResetModel()
        self.query = query
        self.showing_store = self._store_more = self._store_waiting = False
        self._rows, self._remote = [], []
        self._local_loaded, self._remote_shown = 0, 0
        self._cash = deque()
        self._cash_until, self._cash_done = query.until, False
        self._local_done = False
        self._append_page()
        self.endResetModel()

    def set_remote(self, rows: list[HistoryRow]) -> None:
        """Merge JustiFi's rows for the current filters (they may land mid-table)."""
        self.beginResetModel()
        self._remote = sorted(rows, key=lambda row: row.created_at, reverse=True)
        shown = [row for row in self._rows if not row.is_remote]
        self._rows, self._remote_shown = [], 0
        self._extend(shown)
        self.endResetModel()

    def set_store_rows(self, query: HistoryQuery, rows: list[HistoryRow], *, more: bool) -> None:
        """Show the store's first page for `query` (none of the journal's)."""
        self.beginResetModel()
        self.query = query
        self._rows, self._remote, self._cash = list(rows), [], deque()
        self._local_loaded, self._remote_shown = 0, 0
        self._local_done = self._cash_done = True
        self.showing_store = True
        self._store_more, self._store_waiting = more, False
        self.endResetModel()

    def add_store_rows(self, rows: list[HistoryRow], *, more: bool) -> None:
        """Append the store's next page."""
        self._store_more, self._store_waiting = more, False
        if rows:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
            self._rows.extend(rows)
            self.endInsertRows()

    def row_at(self, row: int) -> HistoryRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    @property
    def remote_count(self) -> int:
        """JustiFi's rows for the filters (sales this lane never journaled)."""
        return len(self._remote)

    # -- Qt -------------------------------------------------------------------------------

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HistoryColumn)

    def canFetchMore(self, parent: _AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid():
            return False
        return (
            not self._local_done
            or not self._cash_done
            or bool(self._cash)
            or self._remote_shown < len(self._remote)
            or (self._store_more and not self._store_waiting)
        )

    def fetchMore(self, parent: _AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self.canFetchMore():
            return
        if self._store_more:
            self._store_waiting = True
            self.store_more_wanted.emit()
            return
        first = len(self._rows)
        new = self._next_rows()
        if not new:
            return
        self.beginInsertRows(QModelIndex(), first, first + len(new) - 1)
        self._rows.extend(new)
        self.endInsertRows()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return text.COLUMNS[section] if 0 <= section < len(text.COLUMNS) else None
        return None

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = self.row_at(index.row()) if index.isValid() else None
        if row is None:
            return None
        column = HistoryColumn(index.column())
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column is HistoryColumn.AMOUNT else _LEFT
        if role == Qt.ItemDataRole.ToolTipRole and row.is_remote:
            return text.REMOTE_TIP
        return None

    # -- paging ---------------------------------------------------------------------------

    def _append_page(self) -> None:
        self._rows.extend(self._next_rows())

    def _next_rows(self) -> list[HistoryRow]:
        """The next rows in time order: a page of the journal with the cash and JustiFi's
        rows as new as its rows; once the journal is done, the rest a stretch at a time."""
        merged: list[HistoryRow] = []
        if not self._local_done:
            page = self.service.page(self.query, self._local_loaded, self.page_size)
            self._local_loaded += len(page)
            self._local_done = len(page) < self.page_size
            if page:  # the drawer's rows as new as the page's oldest, merged by time
                self._read_cash(page[-1].created_at)
            self._merge_into(merged, page)
            if not self._local_done:
                return merged
        while len(merged) < self.page_size and self.canFetchMore():
            if not self._cash_done:
                self._read_cash(self._next_cash_boundary())
            self._take_newer_than(merged, None if self._cash_done else self._cash_until)
        return merged

    def _next_cash_boundary(self) -> datetime | None:
        since, until = self.query.since, self._cash_until
        if since is None or until is None:
            return None  # an open range: the rest at once
        return max(since, until - CASH_STRETCH)

    def _read_cash(self, boundary: datetime | None) -> None:
        """Read the drawer's rows in [boundary, where cash was read down to)."""
        if self._cash_done:
            return
        since = self.query.since
        if boundary is not None and self._cash_until is not None and boundary >= self._cash_until:
            self._cash_done = since is not None and boundary <= since  # nothing left between
            return
        self._cash.extend(self.service.cash_rows(self.query, boundary, self._cash_until))
        self._cash_until = boundary
        self._cash_done = boundary is None or (since is not None and boundary <= since)

    def _extend(self, shown: list[HistoryRow]) -> None:
        self._merge_into(self._rows, shown)

    def _merge_into(self, out: list[HistoryRow], rows: list[HistoryRow]) -> None:
        """Append `rows`, each preceded by the rows waiting (cash, JustiFi's) not older
        than it; after the journal's last page, those down to where cash was read."""
        for row in rows:
            self._take_newer_than(out, row.created_at)
            out.append(row)
        if self._local_done:
            self._take_newer_than(out, None if self._cash_done else self._cash_until)

    def _take_newer_than(self, out: list[HistoryRow], moment: datetime | None) -> None:
        cash, remote = self._cash, self._remote
        while True:
            waiting = remote[self._remote_shown] if self._remote_shown < len(remote) else None
            if cash and (waiting is None or cash[0].created_at >= waiting.created_at):
                candidate = cash[0]
                if moment is not None and candidate.created_at < moment:
                    return
                out.append(cash.popleft())
                continue
            if waiting is None or (moment is not None and waiting.created_at < moment):
                return
            out.append(waiting)
            self._remote_shown += 1


def _display(row: HistoryRow, column: HistoryColumn) -> str:
    match column:
        case HistoryColumn.TIME:
            return row.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        case HistoryColumn.KIND:
            return str(text.KINDS.get(row.kind, row.kind))
        case HistoryColumn.AMOUNT:
            sign = "" if row.is_money_in else "-"
            return sign + Money(row.amount_cents).format()
        case HistoryColumn.STATUS:
            return str(text.STATUSES.get(row.status, row.status))
        case HistoryColumn.CARD:
            return card_text(row.card_brand, row.card_last4) if row.card_last4 else ""
        case HistoryColumn.TERMINAL:
            return row.terminal_id or ""
        case HistoryColumn.LANE:
            return row.lane or text.OTHER_LANE
        case HistoryColumn.PERSON:
            return person_text(row)
        case HistoryColumn.DESCRIPTION:
            return row.description or ""


def person_text(row: HistoryRow) -> str:
    """Who served the operation, and who approved it when that was someone else."""
    served, approver = row.served_by or "", row.approved_by or ""
    if not approver or approver.casefold() == served.casefold():
        return served
    if not served:
        return text.APPROVED_ONLY.format(approver=approver)
    return text.PERSON_APPROVED.format(served=served, approver=approver)
