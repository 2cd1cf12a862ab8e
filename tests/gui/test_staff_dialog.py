"""Staff management: the list, add, turn off and on, reset a PIN, unlock; refusals say the
service's sentence."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from pos_app.domain.staff import StaffRole
from pos_app.services.audit_log import AuditAction, AuditQuery
from pos_app.services.manager import ManagerService, SignInStatus
from pos_app.storage.audit import SqliteAuditLog
from pos_app.ui.pin_dialog import PinDialog
from pos_app.ui.staff_dialog import AddPersonDialog, StaffDialog
from tests.support.gui import wait_until
from tests.support.manager import Clock
from tests.support.staff_screens import (
    CASHIER,
    CASHIER_PIN,
    MANAGER,
    MANAGER_PIN,
    OWNER,
    OWNER_PIN,
    WRONG,
    add_staff,
    staff_service,
)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def log() -> Iterator[SqliteAuditLog]:
    with SqliteAuditLog(":memory:") as audit:
        yield audit


@pytest.fixture
def service(log: SqliteAuditLog, clock: Clock) -> ManagerService:
    service = staff_service(log, clock)
    add_staff(service)
    return service


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
