"""The first start of a lane with nobody: the owner's name, PIN twice, the recovery code once;
and the owner's way back from a forgotten PIN with that code."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget
from pytestqt.qtbot import QtBot

from pos_app.domain.staff import StaffRole, normalize_recovery_code
from pos_app.services.manager import ManagerService
from pos_app.storage.audit import SqliteAuditLog
from pos_app.ui.approval import ask_approval
from pos_app.ui.owner_setup import OwnerSetupDialog
from pos_app.ui.pin_dialog import PinDialog, PinMode, ensure_manager
from tests.support.gui import wait_until
from tests.support.manager import Clock
from tests.support.staff_screens import MANAGER, OWNER, OWNER_PIN, add_staff, staff_service


@pytest.fixture
def service() -> Iterator[ManagerService]:
    with SqliteAuditLog(":memory:") as log:
        yield staff_service(log, Clock())


def make(qtbot: QtBot, service: ManagerService) -> OwnerSetupDialog:
    dialog = OwnerSetupDialog(service)
    qtbot.addWidget(dialog)
    return dialog


def tap(dialog: OwnerSetupDialog, pin: str) -> None:
    for digit in pin:
        dialog.pad.digit_buttons[digit].click()


async def test_name_pin_twice_then_the_code_once_and_the_owner_is_signed_in(
    qtbot: QtBot, service: ManagerService
) -> None:
    dialog = make(qtbot, service)
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    assert dialog.page == "name"
    assert not dialog.next_button.isEnabled()
    qtbot.keyClicks(dialog.name_edit, f"  {OWNER} ")
    qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)  # Enter goes on
    assert dialog.page == "pin"
    assert dialog.prompt_label.text() == f"{OWNER}, choose your PIN: 6 to 8 digits."
    tap(dialog, "2580")
    dialog.next_button.click()
    assert dialog.message_label.text() == "A manager's or owner's PIN has at least 6 digits."
    assert dialog.page == "pin"
    tap(dialog, OWNER_PIN)
    dialog.next_button.click()
    assert dialog.page == "repeat"
    tap(dialog, "735191")
    dialog.next_button.click()
    assert dialog.message_label.text() == "The two PINs are different. Enter the new PIN again."
    assert dialog.page == "pin"
    assert not service.has_staff()
    tap(dialog, OWNER_PIN)
    dialog.next_button.click()
    tap(dialog, OWNER_PIN)
    assert dialog.next_button.text() == "Set up"
    dialog.next_button.click()

    assert dialog.page == "code"
    code = dialog.code_label.text()
    assert normalize_recovery_code(code) is not None
    assert dialog.next_button.text() == "I have written it down"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # the code cannot be skipped past by accident
    assert dialog.isVisible()
    dialog.next_button.click()
    assert await ask is True
    assert dialog.code_label.text() == ""  # shown once: gone from the screen
    person = service.current()
    assert person is not None
    assert (person.name, person.role) == (OWNER, StaffRole.OWNER)
    service.sign_out()
    assert service.sign_in(OWNER_PIN).ok
    assert service.recover_owner(code, "864209")  # the code shown is the owner's way back


async def test_a_name_with_a_control_character_is_refused_on_the_name_page(
    qtbot: QtBot, service: ManagerService
) -> None:
    dialog = make(qtbot, service)
    dialog.name_edit.setText("Ann\u202eLee")  # a bidi override reads a receipt backwards
    dialog.submit()
    assert dialog.page == "name"
    assert dialog.message_label.text() == (
        "A name holds letters, digits, spaces and punctuation only."
    )


async def test_a_lane_set_up_meanwhile_elsewhere_says_so(
    qtbot: QtBot, service: ManagerService
) -> None:
    dialog = make(qtbot, service)
    dialog.name_edit.setText(OWNER)
    dialog.submit()
    tap(dialog, OWNER_PIN)
    dialog.submit()
    service.create_owner("Zed", "975310")  # another lane was quicker
    service.sign_out()
    tap(dialog, OWNER_PIN)
    dialog.submit()
    assert dialog.page == "pin"
    assert dialog.message_label.text()  # the service's sentence, shown
    assert dialog.code_label.text() == ""
    assert service.current() is None


async def test_every_control_is_named_and_big_enough_to_touch(
    qtbot: QtBot, service: ManagerService
) -> None:
    dialog = make(qtbot, service)
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    dialog.name_edit.setText(OWNER)
    dialog.submit()
    buttons = [b for b in dialog.findChildren(QAbstractButton) if b.isVisible()]
    assert len(buttons) == 14  # ten digits, clear, backspace, back, next
    for button in buttons:
        assert button.accessibleName(), button.objectName()
        assert button.height() >= 44
    tap(dialog, OWNER_PIN)
    names = [w.accessibleName() for w in dialog.findChildren(QWidget)]
    assert not any(OWNER_PIN in name for name in names)
    dialog.force_close()
    assert await ask is False


async def test_a_managers_tool_or_an_approval_on_a_lane_with_nobody_sets_up_the_owner(
    qtbot: QtBot, service: ManagerService
) -> None:
    for ask in (ensure_manager(service), ask_approval(service, None, "refund")):
        task = asyncio.ensure_future(ask)
        dialog = await wait_until(shown_setup)
        dialog.force_close()
        assert not await task
    assert not service.has_staff()


def shown_setup() -> OwnerSetupDialog | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, OwnerSetupDialog) and widget.isVisible():
            return widget
    return None


async def test_a_forgotten_owners_pin_is_reset_from_the_sign_in_with_the_recovery_code(
    qtbot: QtBot, service: ManagerService
) -> None:
    code = add_staff(service)
    sign_in = PinDialog(service, mode=PinMode.SIGN_IN, cancellable=False)
    qtbot.addWidget(sign_in)
    asking = asyncio.ensure_future(sign_in.ask())
    await wait_until(sign_in.isVisible)
    assert sign_in.recover_button is not None
    assert sign_in.recover_button.height() >= 44
    sign_in.recover_button.click()
    dialog = await wait_until(shown_recovery)
    assert dialog.windowTitle() == "Reset the owner's PIN"
    dialog.name_edit.setText("not a code")
    dialog.submit()
    assert dialog.message_label.text().startswith("A recovery code has 16 letters and digits")
    wrong = "0000-0000-0000-0000"
    for attempt in (wrong, code.lower().replace("-", " ")):  # case and spaces forgiven
        dialog.name_edit.setText(attempt)
        dialog.submit()
        assert dialog.name_edit.text() == ""  # the code does not stay in the field
        for _ in range(2):
            tap(dialog, "864213")
            dialog.submit()
        if attempt == wrong:
            assert dialog.page == "name"
            assert "9" in dialog.message_label.text()  # tries left before the lane locks
    assert dialog.page == "code"
    new_code = dialog.code_label.text()
    assert normalize_recovery_code(new_code) is not None
    assert new_code != code
    dialog.next_button.click()
    await wait_until(lambda: sign_in.message)  # the recovery closed (and was deleted)
    assert shown_recovery() is None
    assert sign_in.message == "The owner's PIN is reset: the owner signs in with the new PIN."
    sign_in.choose(OWNER)
    for digit in "864213":
        sign_in.digit_buttons[digit].click()
    sign_in.ok_button.click()
    assert await asking is True
    current = service.current()
    assert current is not None
    assert current.name == OWNER


async def test_the_recovery_can_be_left_before_anything_changed(
    qtbot: QtBot, service: ManagerService
) -> None:
    add_staff(service)
    dialog = OwnerSetupDialog(service, recover=True)
    qtbot.addWidget(dialog)
    asking = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    assert dialog.back_button.text() == "Cancel"
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert await asking is False
    assert service.sign_in(OWNER_PIN, OWNER).ok  # nothing changed


def shown_recovery() -> OwnerSetupDialog | None:
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, OwnerSetupDialog) and widget.isVisible() and widget.recovering:
            return widget
    return None


async def test_a_new_code_is_confirmed_first_and_refused_to_a_manager_with_the_reason(
    qtbot: QtBot, service: ManagerService
) -> None:
    add_staff(service)
    manager = service.person(MANAGER)
    assert manager is not None
    dialog = OwnerSetupDialog(service, new_code_by=manager)
    qtbot.addWidget(dialog)
    asking = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    assert dialog.page == "confirm"
    assert dialog.prompt_label.text().startswith("Make a new recovery code?")  # one exists
    dialog.submit()
    assert dialog.page == "confirm"  # the service said no: nothing to show
    assert dialog.message_label.text() == f"{MANAGER} may not do that: ask the owner."
    assert dialog.code_label.text() == ""
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # nothing made yet: it may be left
    assert await asking is False
