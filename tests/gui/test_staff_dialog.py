"""Staff management: the list, add, turn off and on, reset a PIN, unlock; refusals say the
service's sentence."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from pos_app.domain.errors import NotPermittedError
from pos_app.domain.staff import StaffRole, normalize_recovery_code
from pos_app.services.audit_log import AuditAction, AuditQuery
from pos_app.services.manager import ManagerService, SignInStatus
from pos_app.storage.audit import SqliteAuditLog
from pos_app.ui.owner_setup import OwnerSetupDialog
from pos_app.ui.pin_dialog import PinDialog
from pos_app.ui.staff_dialog import AddPersonDialog, StaffDialog
from tests.support.gui import wait_until
from tests.support.manager import Clock
from tests.support.migrated_lane import MIGRATED_OWNER, OLD_PIN, v1_audit_file
from tests.support.staff_screens import (
    CASHIER,
    CASHIER_PIN,
    MANAGER,
    MANAGER_PIN,
    OWNER,
    OWNER_PIN,
    WRONG,
    staff_service,
)


def make(qtbot: QtBot, service: ManagerService, name: str, pin: str) -> StaffDialog:
    assert service.sign_in(pin, name).ok
    dialog = StaffDialog(service, idle_check_ms=20)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def rows(dialog: StaffDialog) -> list[tuple[str, ...]]:
    table = dialog.table
    return [
        tuple(table.item(row, column).text() for column in range(table.columnCount()))
        for row in range(table.rowCount())
    ]


def shown(kind: type[QWidget]) -> QWidget | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, kind) and widget.isVisible():
            return widget
    return None


async def type_new_pin(pin: str) -> None:
    dialog = await wait_until(lambda: shown(PinDialog))
    assert isinstance(dialog, PinDialog)
    for _ in range(2):  # new, then again
        for digit in pin:
            dialog.digit_buttons[digit].click()
        dialog.ok_button.click()
    await wait_until(lambda: not dialog.isVisible())


async def test_the_list_shows_name_role_active_and_locked(
    qtbot: QtBot, service: ManagerService, clock: Clock
) -> None:
    for _ in range(10):
        service.sign_in(WRONG, CASHIER)
    dialog = make(qtbot, service, OWNER, OWNER_PIN)
    until = service.person(CASHIER).locked_until  # type: ignore[union-attr]
    assert until is not None
    assert rows(dialog) == [
        (OWNER, "Owner", "Yes", ""),
        (CASHIER, "Cashier", "Yes", f"Until {until.astimezone().strftime('%H:%M')}"),
        (MANAGER, "Manager", "Yes", ""),
    ]
    dialog.select(CASHIER)
    assert dialog.unlock_button.isVisible()
    assert dialog.unlock_button.isEnabled()
    dialog.unlock_button.click()
    assert dialog.status_label.text() == f"{CASHIER} is unlocked."
    assert rows(dialog)[1][3] == ""
    assert service.sign_in(CASHIER_PIN, CASHIER).ok
    dialog.reject()


async def test_an_owner_adds_a_manager_with_a_pin_typed_twice(
    qtbot: QtBot, service: ManagerService, log: SqliteAuditLog
) -> None:
    dialog = make(qtbot, service, OWNER, OWNER_PIN)
    adding = asyncio.ensure_future(dialog.add_person())
    ask = await wait_until(lambda: shown(AddPersonDialog))
    assert isinstance(ask, AddPersonDialog)
    assert [ask.role_combo.itemText(i) for i in range(ask.role_combo.count())] == [
        "Cashier",
        "Manager",
        "Owner",
    ]
    assert not ask.next_button.isEnabled()
    ask.name_edit.setText("Dee Park")
    ask.role_combo.setCurrentIndex(1)
    ask.next_button.click()
    await type_new_pin("975310")
    person = await adding
    assert person is not None
    assert (person.name, person.role) == ("Dee Park", StaffRole.MANAGER)
    assert ("Dee Park", "Manager", "Yes", "") in rows(dialog)
    assert dialog.status_label.text() == "Dee Park was added as manager."
    [added] = log.entries(AuditQuery(actions=(AuditAction.STAFF_ADDED.value,), subject="Dee Park"))
    assert added.who == OWNER
    dialog.reject()


async def test_a_manager_adds_cashiers_only_and_cannot_unlock(
    qtbot: QtBot, service: ManagerService
) -> None:
    dialog = make(qtbot, service, MANAGER, MANAGER_PIN)
    assert not dialog.unlock_button.isVisible()
    adding = asyncio.ensure_future(dialog.add_person())
    ask = await wait_until(lambda: shown(AddPersonDialog))
    assert isinstance(ask, AddPersonDialog)
    assert ask.role_combo.count() == 1
    assert ask.role_combo.itemText(0) == "Cashier"
    ask.reject()
    assert await adding is None
    dialog.reject()


async def test_turning_off_and_on_and_the_last_owner_stays(
    qtbot: QtBot, service: ManagerService
) -> None:
    dialog = make(qtbot, service, OWNER, OWNER_PIN)
    dialog.select(CASHIER)
    assert dialog.toggle_button.text() == "Turn off"
    dialog.toggle_button.click()
    assert dialog.status_label.text() == f"{CASHIER} is turned off: they can no longer sign in."
    assert rows(dialog)[1][2] == "Turned off"
    assert service.sign_in(CASHIER_PIN, CASHIER).status is SignInStatus.DISABLED
    assert service.sign_in(OWNER_PIN, OWNER).ok
    assert dialog.toggle_button.text() == "Turn on"
    dialog.toggle_button.click()
    assert rows(dialog)[1][2] == "Yes"

    dialog.select(OWNER)
    dialog.toggle_button.click()  # the last owner: the service refuses, and says why
    assert dialog.status_label.property("state") == "refused"
    message = dialog.status_label.text()
    assert message
    assert message[0].isupper()
    assert rows(dialog)[0][2] == "Yes"
    dialog.reject()


async def test_resetting_a_cashiers_pin(qtbot: QtBot, service: ManagerService) -> None:
    dialog = make(qtbot, service, MANAGER, MANAGER_PIN)
    dialog.select(CASHIER)
    resetting = asyncio.ensure_future(dialog.reset_pin(CASHIER))
    await type_new_pin("1397")
    assert await resetting is True
    assert dialog.status_label.text() == f"{CASHIER}'s PIN was changed."
    assert service.sign_in("1397", CASHIER).ok
    dialog.reject()


async def test_controls_are_named_and_big_enough(qtbot: QtBot, service: ManagerService) -> None:
    dialog = make(qtbot, service, OWNER, OWNER_PIN)
    await wait_until(dialog.isVisible)
    for button in dialog.findChildren(QPushButton):
        if button.isVisible():
            assert button.accessibleName(), button.objectName()
            assert button.height() >= 44
    dialog.reject()


# -- the recovery code -------------------------------------------------------------------------


@pytest.fixture
def migrated(tmp_path: Path, clock: Clock) -> Iterator[ManagerService]:
    """A lane migrated from the old single manager PIN: its owner "Manager", no recovery
    code."""
    with SqliteAuditLog(v1_audit_file(tmp_path / "audit.sqlite3")) as audit:
        yield staff_service(audit, clock)


def codes_set(service: ManagerService) -> int:
    assert service.sign_in(OLD_PIN, MIGRATED_OWNER).ok or service.current() is not None
    return service.count_audit(AuditQuery(actions=(AuditAction.RECOVERY_CODE_SET.value,)))


async def confirm_new_code() -> OwnerSetupDialog:
    dialog = await wait_until(lambda: shown(OwnerSetupDialog))
    assert isinstance(dialog, OwnerSetupDialog)
    assert dialog.objectName() == "newRecoveryCodeDialog"
    assert dialog.page == "confirm"
    return dialog


async def test_an_owner_without_a_recovery_code_is_told_and_makes_one_shown_once(
    qtbot: QtBot, migrated: ManagerService
) -> None:
    dialog = make(qtbot, migrated, MIGRATED_OWNER, OLD_PIN)
    await wait_until(dialog.isVisible)
    assert dialog.recovery_label.isVisible()
    assert dialog.recovery_label.text().startswith("No recovery code yet")
    assert dialog.recovery_button.isVisible()
    assert dialog.recovery_button.text() == "New recovery code..."
    making = asyncio.ensure_future(dialog.new_recovery_code())
    confirm = await confirm_new_code()
    assert confirm.prompt_label.text().startswith("This till has no recovery code yet")
    assert confirm.back_button.text() == "Cancel"
    assert not migrated.has_recovery_code()  # nothing made before the owner confirms
    confirm.next_button.click()
    assert confirm.page == "code"
    code = confirm.code_label.text()
    assert normalize_recovery_code(code) is not None
    assert confirm.next_button.text() == "I have written it down"
    qtbot.keyClick(confirm, Qt.Key.Key_Escape)  # the code cannot be skipped past by accident
    assert confirm.isVisible()
    confirm.next_button.click()
    assert await making is True
    assert not dialog.recovery_label.isVisible()
    assert dialog.status_label.text() == (
        "A new recovery code was made: only the one written down just now works."
    )
    assert code not in dialog.status_label.text()
    dialog.reject()
    migrated.sign_out()
    assert migrated.recover_owner(code, "975313")  # the code shown resets the owner's PIN
    assert migrated.sign_in("975313", MIGRATED_OWNER).ok


async def test_a_new_code_replaces_the_old_and_cancel_makes_none(
    qtbot: QtBot, migrated: ManagerService
) -> None:
    first = migrated.reset_recovery_code(by=migrated.person(MIGRATED_OWNER))  # type: ignore[arg-type]
    dialog = make(qtbot, migrated, MIGRATED_OWNER, OLD_PIN)
    await wait_until(dialog.isVisible)
    assert not dialog.recovery_label.isVisible()
    assert dialog.recovery_button.isVisible()
    before = codes_set(migrated)

    cancelling = asyncio.ensure_future(dialog.new_recovery_code())
    confirm = await confirm_new_code()
    assert confirm.prompt_label.text().startswith("Make a new recovery code?")
    confirm.back_button.click()
    assert await cancelling is False
    assert codes_set(migrated) == before
    assert dialog.status_label.text() == ""

    making = asyncio.ensure_future(dialog.new_recovery_code())
    confirm = await confirm_new_code()
    confirm.next_button.click()
    assert confirm.prompt_label.text().startswith("The new recovery code: the old one no longer")
    second = confirm.code_label.text()
    confirm.next_button.click()
    assert await making is True
    assert second != first
    assert codes_set(migrated) == before + 1
    dialog.reject()
    migrated.sign_out()
    with pytest.raises(NotPermittedError):  # the old code no longer works
        migrated.recover_owner(first, "975313")
    assert migrated.recover_owner(second, "975313")


async def test_a_manager_sees_neither_the_missing_code_nor_the_button(
    qtbot: QtBot, migrated: ManagerService
) -> None:
    assert migrated.sign_in(OLD_PIN, MIGRATED_OWNER).ok
    owner = migrated.current()
    assert owner is not None
    migrated.add_person(MANAGER, StaffRole.MANAGER, MANAGER_PIN, by=owner)
    migrated.sign_out()
    dialog = make(qtbot, migrated, MANAGER, MANAGER_PIN)
    await wait_until(dialog.isVisible)
    assert not dialog.recovery_label.isVisible()
    assert not dialog.recovery_button.isVisible()
    assert await dialog.new_recovery_code() is False
    assert not migrated.has_recovery_code()
    dialog.reject()
