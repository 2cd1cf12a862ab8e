"""The audit log screen: entries newest first, the integrity check, the CSV export."""

from __future__ import annotations

import asyncio
import csv
import os
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from pos_app.services.audit_log import KEY_STATUS_TEXT, AuditAction
from pos_app.services.manager import ManagerService
from pos_app.storage.audit import SqliteAuditLog
from pos_app.ui.audit_model import AuditColumn, when_text
from pos_app.ui.audit_view import AuditLogDialog, PathChooser
from tests.support.gui import wait_until
from tests.support.manager import FAST_SCRYPT, Clock

PIN = "735190"
OWNER = "Ann Lee"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteAuditLog]:
    with SqliteAuditLog(tmp_path / "audit.sqlite3") as log:
        yield log


@pytest.fixture
def service(store: SqliteAuditLog, clock: Clock) -> ManagerService:
    """The owner signed in, after: staff_added (1), recovery_code_set (2), sign_in (3),
    refunds 4..9."""
    service = ManagerService(store, store, lane="2", clock=clock, scrypt=FAST_SCRYPT)
    service.create_owner(OWNER, PIN)
    for index in range(6):
        clock.now += timedelta(seconds=30)
        service.record(
            AuditAction.REFUND,
            f"py_{index}",
            {"amount_cents": 100 * (index + 1), "mode": "card"},
            "approved",
        )
    return service


def never_asked() -> PathChooser:
    async def choose(_parent: QWidget) -> Path | None:
        raise AssertionError("no file should be asked for")

    return choose


def make(qtbot: QtBot, service: ManagerService, **kwargs: object) -> AuditLogDialog:
    dialog = AuditLogDialog(service, idle_check_ms=20, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


def cell(dialog: AuditLogDialog, row: int, column: AuditColumn) -> str:
    return str(dialog.model.index(row, column).data())


async def test_entries_show_newest_first_with_who_when_lane_what(
    qtbot: QtBot, service: ManagerService, clock: Clock
) -> None:
    dialog = make(qtbot, service)
    assert dialog.objectName() == "auditLogDialog"
    dialog.open()
    await wait_until(dialog.isVisible)
    assert dialog.model.rowCount() == 9
    assert [cell(dialog, row, AuditColumn.SEQ) for row in range(3)] == ["9", "8", "7"]
    assert cell(dialog, 0, AuditColumn.WHEN) == when_text(clock.now)
    assert cell(dialog, 0, AuditColumn.WHO) == OWNER
    assert cell(dialog, 0, AuditColumn.LANE) == "2"
    assert cell(dialog, 0, AuditColumn.ACTION) == "Refund"
    assert cell(dialog, 0, AuditColumn.SUBJECT) == "py_5"
    assert cell(dialog, 0, AuditColumn.OUTCOME) == "approved"
    assert cell(dialog, 0, AuditColumn.DETAIL) == "amount_cents: 600, mode: card"
    assert cell(dialog, 8, AuditColumn.ACTION) == "Person added"
    assert cell(dialog, 8, AuditColumn.DETAIL) == "role: owner"  # its commitment is not shown
    tip = dialog.model.index(0, AuditColumn.DETAIL).data(Qt.ItemDataRole.ToolTipRole)
    assert tip == '{"amount_cents":600,"mode":"card"}'
    spoken = dialog.model.index(0, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken.startswith("Entry 9, ")
    dialog.reject()


async def test_the_table_pages_as_it_scrolls(qtbot: QtBot, service: ManagerService) -> None:
    dialog = make(qtbot, service, page_size=4)
    assert dialog.model.rowCount() == 4
    assert dialog.model.canFetchMore()
    dialog.model.fetchMore()
    dialog.model.fetchMore()
    assert dialog.model.rowCount() == 9
    assert not dialog.model.canFetchMore()
    assert cell(dialog, 8, AuditColumn.SEQ) == "1"


async def test_filters_by_subject_and_action(qtbot: QtBot, service: ManagerService) -> None:
    dialog = make(qtbot, service)
    dialog.subject_edit.setText("py_3")
    dialog.subject_edit.editingFinished.emit()
    assert dialog.model.rowCount() == 1
    assert cell(dialog, 0, AuditColumn.SUBJECT) == "py_3"
    dialog.subject_edit.clear()
    dialog.action_combo.setCurrentIndex(dialog.action_combo.findData("sign_in"))
    assert dialog.model.rowCount() == 1
    assert cell(dialog, 0, AuditColumn.ACTION) == "Signed in"
    dialog.action_combo.setCurrentIndex(0)
    assert dialog.model.rowCount() == 9


async def test_check_integrity_says_intact(qtbot: QtBot, service: ManagerService) -> None:
    dialog = make(qtbot, service)
    dialog.open()
    await wait_until(dialog.isVisible)
    dialog.check_button.click()
    assert dialog.status_label.isVisible()
    assert dialog.status_label.text().startswith("Intact: all 9 entries check out")
    assert dialog.status_label.property("state") == "ok"
    assert cell(dialog, 0, AuditColumn.ACTION) == "Log checked"  # the check is audited
    dialog.reject()


async def test_an_entry_edited_in_the_file_is_named_and_shown(
    qtbot: QtBot, service: ManagerService, store: SqliteAuditLog
) -> None:
    with sqlite3.connect(store.path, isolation_level=None) as conn:
        conn.execute("DROP TRIGGER audit_entries_no_update")
        conn.execute("UPDATE audit_entries SET outcome = 'declined' WHERE seq = 5")
    dialog = make(qtbot, service, page_size=3)
    dialog.open()
    await wait_until(dialog.isVisible)
    dialog.check_button.click()
    assert dialog.status_label.text() == (
        "Changed outside the app: entry 5 was changed after it was written."
    )
    assert dialog.status_label.property("state") == "broken"
    row = dialog.model.row_of(5)
    assert row is not None  # loaded although it was past the first page
    assert dialog.table.selectionModel().isRowSelected(row)
    assert dialog.model.index(row, 0).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert dialog.model.index(0, 0).data(Qt.ItemDataRole.BackgroundRole) is None
    dialog.reject()


async def test_the_head_and_the_keyring_sentence_show_and_follow_the_check(
    qtbot: QtBot, service: ManagerService
) -> None:
    dialog = make(qtbot, service)
    dialog.open()
    await wait_until(dialog.isVisible)
    head = service.audit_head()
    assert head.seq == 9
    line = dialog.head_label.text()
    assert f"Head of the log: {head.short} " in line
    assert KEY_STATUS_TEXT[service.key_status()] in line
    assert dialog.head_label.accessibleName().endswith(line)
    dialog.check_button.click()  # the check is an entry: the head moves on
    assert f"Head of the log: 10:{service.audit_head().hash[:20]} " in dialog.head_label.text()
    dialog.reject()


async def test_a_pin_hash_changed_in_the_file_names_the_person(
    qtbot: QtBot, service: ManagerService, store: SqliteAuditLog
) -> None:
    with sqlite3.connect(store.path, isolation_level=None) as conn:
        [(encoded,)] = conn.execute("SELECT pin_hash FROM staff")
        conn.execute("UPDATE staff SET pin_hash = ?", (encoded[:-4] + "AAAA",))
    dialog = make(qtbot, service)
    dialog.open()
    await wait_until(dialog.isVisible)
    dialog.check_button.click()
    assert dialog.status_label.text() == (
        f"The PIN hash of {OWNER} was changed outside the app."  # the person and the field
    )
    assert dialog.status_label.property("state") == "broken"
    dialog.reject()


async def test_export_writes_the_chosen_file(
    qtbot: QtBot, service: ManagerService, tmp_path: Path
) -> None:
    target = tmp_path / "exports" / "audit.csv"
    target.parent.mkdir()

    async def choose(_parent: QWidget) -> Path | None:
        return target

    dialog = make(qtbot, service, choose_path=choose)
    dialog.open()
    await wait_until(dialog.isVisible)
    dialog.export_button.click()
    task = dialog.export_task.task
    assert task is not None
    assert await task == 9
    assert dialog.status_label.text() == "Exported 9 entries to audit.csv."
    with target.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["seq"] for row in rows] == [str(seq) for seq in range(1, 10)]
    assert cell(dialog, 0, AuditColumn.ACTION) == "Log exported"
    dialog.reject()


async def test_export_cancelled_writes_nothing(
    qtbot: QtBot, service: ManagerService, tmp_path: Path
) -> None:
    async def choose(_parent: QWidget) -> Path | None:
        return None

    dialog = make(qtbot, service, choose_path=choose)
    dialog.export_button.click()
    task = dialog.export_task.task
    assert task is not None
    assert await task is None
    assert not dialog.status_label.isVisible()
    assert not any(name.endswith(".csv") for name in os.listdir(tmp_path))


async def test_the_default_chooser_is_qts_own_file_dialog_opened_without_exec(
    qtbot: QtBot, service: ManagerService, tmp_path: Path
) -> None:
    dialog = make(qtbot, service)
    dialog.open()
    await wait_until(dialog.isVisible)
    dialog.export_button.click()
    chooser = await wait_until(lambda: dialog.findChild(QFileDialog))
    await wait_until(chooser.isVisible)
    assert chooser.testOption(QFileDialog.Option.DontUseNativeDialog)
    assert chooser.acceptMode() is QFileDialog.AcceptMode.AcceptSave
    assert chooser.selectedFiles()[0].endswith(".csv")
    target = tmp_path / "chosen.csv"
    chooser.setDirectory(str(tmp_path))
    # Type the name as a manager would (selectFile leaves a focused name field alone).
    name_edit = chooser.findChild(QLineEdit, "fileNameEdit")
    assert name_edit is not None
    name_edit.setText(target.name)
    chooser.accept()
    task = dialog.export_task.task
    assert task is not None
    assert await task == 9
    assert target.exists()
    dialog.reject()


async def test_controls_are_named_and_big_enough(qtbot: QtBot, service: ManagerService) -> None:
    dialog = make(qtbot, service)
    dialog.open()
    await wait_until(dialog.isVisible)
    for button in dialog.findChildren(QAbstractButton):
        if button.parent() is dialog:
            assert button.accessibleName()
            assert button.height() >= 44
    for widget in (dialog.table, dialog.subject_edit, dialog.action_combo, dialog.status_label):
        assert widget.accessibleName()
    dialog.reject()


async def test_idle_on_the_log_asks_for_the_pin_and_cancel_closes_it(
    qtbot: QtBot, service: ManagerService, clock: Clock
) -> None:
    dialog = make(qtbot, service, choose_path=never_asked())
    dialog.open()
    await wait_until(dialog.isVisible)
    clock.now += timedelta(minutes=15)
    reauth = await wait_until(lambda: dialog.reauth_dialog)
    await wait_until(reauth.isVisible)
    reauth.cancel_button.click()
    await wait_until(lambda: not dialog.isVisible())
    assert service.current() is None


async def test_a_good_pin_after_idle_keeps_the_log_open_and_fresh(
    qtbot: QtBot, service: ManagerService, clock: Clock
) -> None:
    dialog = make(qtbot, service)
    dialog.open()
    await wait_until(dialog.isVisible)
    clock.now += timedelta(minutes=20)
    reauth = await wait_until(lambda: dialog.reauth_dialog)
    await wait_until(reauth.isVisible)
    for digit in PIN:
        reauth.digit_buttons[digit].click()
    reauth.ok_button.click()
    await wait_until(lambda: dialog.reauth_dialog is None)
    await asyncio.sleep(0)
    assert dialog.isVisible()
    # The idle sign-out and the new sign-in are in the refreshed table.
    assert [cell(dialog, row, AuditColumn.ACTION) for row in range(2)] == [
        "Signed in",
        "Signed out",
    ]
    dialog.reject()
