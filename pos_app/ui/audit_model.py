"""The audit log as a Qt table model: newest first, a page at a time, filtered.

Rows come from `ManagerService.audit_entries` (an `AuditQuery` per page);
`fetchMore` asks for the next page as the view scrolls. An entry the integrity
check names as broken is marked in red.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from enum import IntEnum
from typing import Any, Final

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from pos_app.services.audit_log import AuditEntry, AuditQuery
from pos_app.services.manager import ManagerRequiredError
from pos_app.ui.text import manager as text

__all__ = ["ENTRY_ROLE", "PAGE_SIZE", "AuditColumn", "AuditTableModel", "detail_text", "when_text"]

ENTRY_ROLE: Final = int(Qt.ItemDataRole.UserRole) + 1
PAGE_SIZE: Final = 200

_AnyIndex = QModelIndex | QPersistentModelIndex
_BROKEN_BACKGROUND: Final = QColor("#fdecea")
_STATE_PREFIX: Final = "state."


class AuditColumn(IntEnum):
    """The columns of the audit table, in order."""

    SEQ = 0
    WHEN = 1
    WHO = 2
    LANE = 3
    ACTION = 4
    SUBJECT = 5
    OUTCOME = 6
    DETAIL = 7


_HEADERS: Final = {
    AuditColumn.SEQ: text.COLUMN_SEQ,
    AuditColumn.WHEN: text.COLUMN_WHEN,
    AuditColumn.WHO: text.COLUMN_WHO,
    AuditColumn.LANE: text.COLUMN_LANE,
    AuditColumn.ACTION: text.COLUMN_ACTION,
    AuditColumn.SUBJECT: text.COLUMN_SUBJECT,
    AuditColumn.OUTCOME: text.COLUMN_OUTCOME,
    AuditColumn.DETAIL: text.COLUMN_DETAIL,
}


def when_text(moment: datetime) -> str:
    """An entry's time as the table shows it (local time)."""
    return moment.astimezone().strftime(text.WHEN_FORMAT)


def detail_text(detail: str) -> str:
    """ "amount_cents: 1500, mode: card" from the stored JSON (the JSON itself if odd)."""
    try:
        data = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(data, dict):
        return detail
    # "state.*" is what the entry commits to (a staff row's digest): for the check, not
    # for reading.
    shown = {key: value for key, value in data.items() if not key.startswith(_STATE_PREFIX)}
    return ", ".join(f"{key}: {value}" for key, value in shown.items())


class AuditTableModel(QAbstractTableModel):
    """Audit entries, newest first, fetched a page at a time from `fetch`."""

    def __init__(
        self,
        fetch: Callable[[AuditQuery], list[AuditEntry]],
        parent: QObject | None = None,
        *,
        page_size: int = PAGE_SIZE,
    ) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self._page_size = page_size
        self._query = AuditQuery(limit=page_size)
        self._entries: list[AuditEntry] = []
        self._more = True
        self._broken_seq: int | None = None

    # -- loading --------------------------------------------------------------------------

    def set_filter(self, subject: str | None = None, actions: tuple[str, ...] = ()) -> None:
        """Show only matching entries, from the newest."""
        self._query = AuditQuery(subject=subject or None, actions=actions, limit=self._page_size)
        self.refresh()

    def refresh(self) -> None:
        """Reload from the newest entry."""
        self.beginResetModel()
        self._entries = []
        self._more = True
        self.endResetModel()
        self.fetchMore(QModelIndex())

    def canFetchMore(self, parent: _AnyIndex = QModelIndex()) -> bool:  # noqa: B008 (Qt's signature)
        """Whether older entries may be left to load."""
        return not parent.isValid() and self._more

    def fetchMore(self, parent: _AnyIndex = QModelIndex()) -> None:  # noqa: B008
        """Load the next page of older entries."""
        if parent.isValid() or not self._more:
            return
        query = AuditQuery(
            subject=self._query.subject,
            actions=self._query.actions,
            limit=self._page_size,
            offset=len(self._entries),
        )
        try:
            page = self._fetch(query)
        except ManagerRequiredError:
            self._more = False  # signed out: the screen asks for the PIN, then refreshes
            return
        self._more = len(page) == self._page_size
        if page:
            first = len(self._entries)
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self._entries.extend(page)
            self.endInsertRows()

    def row_of(self, seq: int) -> int | None:
        """The row showing entry `seq`, if it is loaded."""
        for row, entry in enumerate(self._entries):
            if entry.seq == seq:
                return row
        return None

    def entry(self, row: int) -> AuditEntry:
        """The entry on a row."""
        return self._entries[row]

    def mark_broken(self, seq: int | None) -> None:
        """Highlight the entry the integrity check found broken (None: none)."""
        self._broken_seq = seq
        if self._entries:
            last = self.index(len(self._entries) - 1, len(AuditColumn) - 1)
            self.dataChanged.emit(self.index(0, 0), last, [Qt.ItemDataRole.BackgroundRole])

    # -- Qt model -------------------------------------------------------------------------

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """Entries loaded so far."""
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        """The columns of `AuditColumn`."""
        return 0 if parent.isValid() else len(AuditColumn)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Column titles."""
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _HEADERS[AuditColumn(section)]
        return None

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Cell text, the full detail as a tooltip, a spoken row, the broken highlight."""
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        column = AuditColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cell(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole and column is AuditColumn.DETAIL:
            return entry.detail
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return text.ROW_ACCESSIBLE.format(
                seq=entry.seq,
                when=when_text(entry.at),
                who=self._cell(entry, AuditColumn.WHO),
                lane=entry.lane,
                action=self._cell(entry, AuditColumn.ACTION),
                outcome=entry.outcome,
            )
        if role == Qt.ItemDataRole.BackgroundRole and entry.seq == self._broken_seq:
            return QBrush(_BROKEN_BACKGROUND)
        if role == ENTRY_ROLE:
            return entry
        return None

    @staticmethod
    def _cell(entry: AuditEntry, column: AuditColumn) -> str:
        cells = {
            AuditColumn.SEQ: str(entry.seq),
            AuditColumn.WHEN: when_text(entry.at),
            AuditColumn.WHO: text.ROLES.get(entry.who, entry.who),
            AuditColumn.LANE: entry.lane,
            AuditColumn.ACTION: text.ACTIONS.get(entry.action, entry.action),
            AuditColumn.SUBJECT: entry.subject or "",
            AuditColumn.OUTCOME: entry.outcome,
            AuditColumn.DETAIL: detail_text(entry.detail),
        }
        return cells[column]
