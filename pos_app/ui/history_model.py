"""The history as a Qt table that pages: rows are read as the view scrolls.

The journal's rows come a page at a time through `fetchMore` (Qt asks when
the view nears the end), so 100,000 sales open and filter at once. JustiFi's
extra rows (sales this lane never journaled) arrive later and are merged by
time: a remote row shows once the journal's pages have reached its time, so
new rows are only ever appended while scrolling. The drawer's cash rows (cash
sales and refunds, read with the filters) are merged the same way.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from pos_app.domain.money import Money
from pos_app.domain.texts import card_text
from pos_app.services.history import HistoryRow, HistoryService
from pos_app.services.ports import HistoryQuery
from pos_app.ui.text import history as text

__all__ = ["ROW_ROLE", "HistoryColumn", "HistoryModel", "person_text"]

ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 1
PAGE_SIZE = 200

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
    """This lane's journal, newest first, with JustiFi's extra sales merged in."""

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
        self._remote: list[HistoryRow] = []  # newest first: JustiFi's rows and the drawer's
        self._remote_shown = 0
        self._cash: list[HistoryRow] = []  # the drawer's rows for the query, newest first
        self._remote_total = 0

    # -- what the window does -------------------------------------------------------

    def set_query(self, query: HistoryQuery) -> None:
        """Show the first page for new filters (JustiFi's rows come with `set_remote`)."""
        self.beginResetModel()
        self.query = query
        self._cash = self.service.cash_rows(query)
        self._rows, self._remote = [], list(self._cash)
        self._local_loaded, self._remote_shown, self._remote_total = 0, 0, 0
        self._local_done = False
        self._append_page()
        self.endResetModel()

    def set_remote(self, rows: list[HistoryRow]) -> None:
        """Merge JustiFi's rows for the current filters (they may land mid-table)."""
        self.beginResetModel()
        self._remote_total = len(rows)
        self._remote = sorted([*rows, *self._cash], key=lambda row: row.created_at, reverse=True)
        local = [row for row in self._rows if row.operation is not None]
        self._rows, self._remote_shown = [], 0
        self._extend(local)
        self.endResetModel()

    def row_at(self, row: int) -> HistoryRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    @property
    def remote_count(self) -> int:
        """JustiFi's rows for the filters (sales this lane never journaled)."""
        return self._remote_total

    # -- Qt -------------------------------------------------------------------------------

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HistoryColumn)

    def canFetchMore(self, parent: _AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid():
            return False
        return not self._local_done or self._remote_shown < len(self._remote)

    def fetchMore(self, parent: _AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self.canFetchMore():
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
        if self._local_done:
            rest = self._remote[self._remote_shown :]
            self._remote_shown = len(self._remote)
            return rest
        page = self.service.page(self.query, self._local_loaded, self.page_size)
        self._local_loaded += len(page)
        self._local_done = len(page) < self.page_size
        merged: list[HistoryRow] = []
        self._merge_into(merged, page)
        return merged

    def _extend(self, local: list[HistoryRow]) -> None:
        self._merge_into(self._rows, local)

    def _merge_into(self, out: list[HistoryRow], local: list[HistoryRow]) -> None:
        """Append `local` rows, each preceded by the remote rows not older than it;
        after the journal's last page, the remaining remote rows too."""
        for row in local:
            self._take_remote_newer_than(out, row.created_at)
            out.append(row)
        if self._local_done:
            self._take_remote_newer_than(out, None)

    def _take_remote_newer_than(self, out: list[HistoryRow], moment: datetime | None) -> None:
        while self._remote_shown < len(self._remote):
            candidate = self._remote[self._remote_shown]
            if moment is not None and candidate.created_at < moment:
                return
            out.append(candidate)
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
