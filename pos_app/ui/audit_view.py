"""The audit log for a manager: a table of entries, an integrity check and a CSV export.

The table (`ui.audit_model`) pages through the log newest first (`fetchMore`
as it scrolls).
"Check integrity" recomputes the hash chain and names the first entry that
does not fit (or the person and field changed outside the app). The line
above the buttons shows the chain's head, to write on paper, and whether the
entries are keyed with this computer's keyring. "Export CSV..." asks for a
file with Qt's own (non-native) dialog opened with `open()`, never `exec()`,
and writes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos_app.services.audit_log import KEY_STATUS_TEXT, AuditAction, AuditCheck
from pos_app.services.manager import ManagerRequiredError, ManagerService
from pos_app.ui.audit_model import PAGE_SIZE, AuditColumn, AuditTableModel
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.manager_screen import ManagerScreen
from pos_app.ui.style import style_sheet
from pos_app.ui.tasks import TaskSlot, accepted, finished_result
from pos_app.ui.text import manager as text
from pos_app.ui.text.staff import sentence

__all__ = ["AuditLogDialog", "PathChooser", "ask_export_path"]

PathChooser = Callable[[QWidget], Awaitable[Path | None]]
"""(parent) -> where to write the CSV, or None."""


async def ask_export_path(parent: QWidget) -> Path | None:
    """Ask where to save the CSV with Qt's own file dialog, opened with `open()`."""
    dialog = QFileDialog(parent, text.EXPORT_DIALOG_TITLE)
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilter(text.EXPORT_FILTER)
    dialog.setDefaultSuffix("csv")
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    if documents:
        dialog.setDirectory(documents)
    dialog.selectFile(text.EXPORT_FILE_NAME.format(date=datetime.now().strftime("%Y-%m-%d")))
    try:
        result = await finished_result(dialog)
        files = dialog.selectedFiles()
    finally:
        dialog.deleteLater()
    if not accepted(result) or not files:
        return None
    return Path(files[0])


class AuditLogDialog(ManagerScreen):
    """The audit log for a signed-in manager: view, check, export.

    `choose_path` asks where to export (tests pass their own); the default is
    `ask_export_path`. Open it with `open()` (or `show()`) after the manager
    signed in; idle past the sign-out time, it asks for the PIN again.
    """

    def __init__(
        self,
        service: ManagerService,
        parent: QWidget | None = None,
        *,
        choose_path: PathChooser = ask_export_path,
        page_size: int = PAGE_SIZE,
        idle_check_ms: int = 1000,
    ) -> None:
        super().__init__(service, parent, idle_check_ms=idle_check_ms)
        self.setObjectName("auditLogDialog")
        self.setWindowTitle(text.AUDIT_TITLE)
        self.setAccessibleName(text.AUDIT_TITLE)
        self.setStyleSheet(style_sheet("audit_view"))
        self.resize(1000, 620)
        self._choose_path = choose_path
        self.export_task = TaskSlot(self, "audit export")
        self.model = AuditTableModel(service.audit_entries, self, page_size=page_size)
        self._build()
        self.reauthenticated.connect(self.model.refresh)
        self.model.refresh()

    # -- building -------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        intro = QLabel(text.AUDIT_INTRO, self)
        intro.setObjectName("auditIntroLabel")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(self._build_filters())

        self.table = QTableView(self)
        self.table.setObjectName("auditTable")
        self.table.setAccessibleName(text.AUDIT_TABLE_NAME)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(36)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(AuditColumn.DETAIL, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        layout.addWidget(self.table, 1)

        self.status_label = QLabel("", self)
        self.status_label.setObjectName("auditStatusLabel")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setAccessibleName(text.STATUS_NAME)
        self.status_label.hide()
        layout.addWidget(self.status_label)
        self.head_label = QLabel("", self)
        self.head_label.setObjectName("auditHeadLabel")
        self.head_label.setWordWrap(True)
        self.head_label.setTextFormat(Qt.TextFormat.PlainText)
        self.head_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.head_label)
        self.show_head()
        layout.addLayout(self._build_buttons())

    def _build_filters(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.subject_edit = QLineEdit(self)
        self.subject_edit.setObjectName("auditSubjectEdit")
        self.subject_edit.setAccessibleName(text.SUBJECT_FILTER_NAME)
        self.subject_edit.setPlaceholderText(text.SUBJECT_FILTER_PLACEHOLDER)
        self.subject_edit.setClearButtonEnabled(True)
        self.subject_edit.editingFinished.connect(self._on_filter_changed)
        subject_label = QLabel(text.SUBJECT_FILTER_LABEL, self)
        subject_label.setBuddy(self.subject_edit)
        self.action_combo = QComboBox(self)
        self.action_combo.setObjectName("auditActionCombo")
        self.action_combo.setAccessibleName(text.ACTION_FILTER_NAME)
        self.action_combo.addItem(text.ALL_ACTIONS, "")
        for action in AuditAction:
            self.action_combo.addItem(text.ACTIONS[action], action.value)
        self.action_combo.currentIndexChanged.connect(self._on_filter_changed)
        action_label = QLabel(text.ACTION_FILTER_LABEL, self)
        action_label.setBuddy(self.action_combo)
        row.addWidget(subject_label)
        row.addWidget(self.subject_edit, 2)
        row.addSpacing(12)
        row.addWidget(action_label)
        row.addWidget(self.action_combo, 1)
        return row

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.check_button = self._button(text.CHECK_BUTTON, "auditCheckButton", text.CHECK_BUTTON)
        self.check_button.setAccessibleDescription(text.CHECK_BUTTON_DESCRIPTION)
        self.check_button.setToolTip(text.CHECK_BUTTON_DESCRIPTION)
        self.check_button.clicked.connect(self.check_integrity)
        self.export_button = self._button(
            text.EXPORT_BUTTON, "auditExportButton", text.EXPORT_BUTTON_NAME
        )
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.close_button = self._button(text.CLOSE_BUTTON, "auditCloseButton", text.CLOSE_BUTTON)
        self.close_button.clicked.connect(self.reject)
        row.addWidget(self.check_button)
        row.addWidget(self.export_button)
        row.addStretch(1)
        row.addWidget(self.close_button)
        return row

    def _button(self, label: str, name: str, accessible: str) -> QPushButton:
        button = QPushButton(label, self)
        button.setObjectName(name)
        button.setAccessibleName(accessible)
        button.setMinimumHeight(MIN_TOUCH)
        button.setAutoDefault(False)
        return button

    def show_head(self) -> None:
        """The chain's head now, and whether this computer's keyring keys the entries."""
        head = self.service.audit_head().short
        key = KEY_STATUS_TEXT[self.service.key_status()]
        line = f"{text.HEAD_LINE.format(head=head)}\n{key}"
        self.head_label.setText(line)
        self.head_label.setAccessibleName(f"{text.HEAD_NAME}: {line}")

    # -- actions --------------------------------------------------------------------------

    def check_integrity(self) -> AuditCheck | None:
        """Recompute the chain and say ok, or which entry broke (and show it)."""
        try:
            check = self.service.verify_audit()
        except ManagerRequiredError:
            self._show_status(text.SIGN_IN_AGAIN, "info")
            return None
        self.model.refresh()  # the check itself is now the newest entry
        self.model.mark_broken(check.broken_seq)
        self.show_head()
        if check.ok:
            time = datetime.now().astimezone().strftime("%H:%M")
            self._show_status(text.CHECK_OK.format(count=check.checked, time=time), "ok")
            return check
        self._show_status(self._problem(check), "broken")
        row = self._reveal(check.broken_seq)
        if row is not None:
            self.table.scrollTo(
                self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter
            )
            self.table.selectRow(row)
        return check

    @staticmethod
    def _problem(check: AuditCheck) -> str:
        """What the check found, as a sentence: the entry, or the person and field."""
        seq = check.broken_seq or 0
        if check.reason is None or check.reason in text.BREAKS_BY_MESSAGE:
            return sentence(check.message)  # "The PIN hash of Ann was changed outside ..."
        return text.CHECK_BROKEN.format(
            problem=text.BREAKS[check.reason].format(seq=seq, previous=seq - 1)
        )

    def _reveal(self, seq: int | None) -> int | None:
        """Load pages until entry `seq` is in the table (a bounded number); its row."""
        if seq is None:
            return None
        for _ in range(50):
            row = self.model.row_of(seq)
            if row is not None or not self.model.canFetchMore():
                return row
            self.model.fetchMore()
        return self.model.row_of(seq)

    def _show_status(self, message: str, state: str) -> None:
        self.status_label.setText(message)
        self.status_label.setAccessibleName(message)
        self.status_label.setProperty("state", state)
        self.status_label.style().unpolish(self.status_label)
        self.status_label.style().polish(self.status_label)
        self.status_label.show()

    async def export(self) -> int | None:
        """Ask for a file and write the log to it; the entry count, or None."""
        path = await self._choose_path(self)
        if path is None:
            return None
        try:
            count = self.service.export_audit(path)
        except ManagerRequiredError:
            self._show_status(text.SIGN_IN_AGAIN, "info")
            return None
        except OSError:
            self._show_status(text.EXPORT_FAILED.format(name=path.name), "broken")
            return None
        self._show_status(text.EXPORTED.format(count=count, name=path.name), "info")
        self.model.refresh()
        self.show_head()
        return count

    # -- slots ----------------------------------------------------------------------------

    def _on_filter_changed(self, *_args: object) -> None:
        action = self.action_combo.currentData()
        actions = (str(action),) if action else ()
        self.model.set_filter(self.subject_edit.text().strip() or None, actions)

    def _on_export_button_clicked(self) -> None:
        self.export_task.start_if_idle(self.export())
