"""The PIN dialog signs a manager in, says how many tries are left, locks, and re-asks when idle."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from pos_app.services.manager import ManagerService, ManagerStatus
from pos_app.storage.audit import SqliteAuditLog
from pos_app.ui.manager_screen import ManagerScreen
from pos_app.ui.pin_dialog import PinDialog, PinMode, ensure_manager
from tests.support.gui import wait_until
from tests.support.manager import FAST_SCRYPT, T0, Clock

PIN = "735190"
WRONG = "246813"


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteAuditLog]:
    with SqliteAuditLog(tmp_path / "audit.sqlite3") as log:
        yield log


@pytest.fixture
def service(store: SqliteAuditLog, clock: Clock) -> ManagerService:
    return ManagerService(store, store, lane="1", clock=clock, scrypt=FAST_SCRYPT)


@pytest.fixture
def with_pin(service: ManagerService) -> ManagerService:
    service.set_pin(None, PIN)
    service.sign_out()
    return service


def make(qtbot: QtBot, service: ManagerService, **kwargs: object) -> PinDialog:
    dialog = PinDialog(service, lock_check_ms=20, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


def tap(dialog: PinDialog, pin: str) -> None:
    for digit in pin:
        dialog.digit_buttons[digit].click()


async def test_the_right_pin_on_the_keypad_signs_in(qtbot: QtBot, with_pin: ManagerService) -> None:
    dialog = make(qtbot, with_pin)
    assert dialog.objectName() == "pinDialog"
    assert dialog.mode is PinMode.SIGN_IN
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    assert not dialog.ok_button.isEnabled()
    tap(dialog, PIN[:3])
    assert not dialog.ok_button.isEnabled()  # 4 digits at least
    tap(dialog, PIN[3:])
    assert dialog.pin_edit.echoMode() is QLineEdit.EchoMode.Password
    assert dialog.ok_button.text() == "Sign in"
    dialog.ok_button.click()
    assert await ask is True
    assert with_pin.is_manager()
    assert not dialog.isVisible()
    assert dialog.pin_edit.text() == ""  # nothing kept


async def test_a_wrong_pin_keeps_the_dialog_open_and_says_the_tries_left(
    qtbot: QtBot, with_pin: ManagerService
) -> None:
    dialog = make(qtbot, with_pin)
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    for left in (9, 8, 7):
        qtbot.keyClicks(dialog.pin_edit, WRONG)
        qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Return)  # Enter submits
        assert dialog.message == f"Wrong PIN, {left} tries left"
        assert dialog.message_label.accessibleName() == dialog.message
        assert dialog.pin_edit.text() == ""
        assert dialog.isVisible()
    qtbot.keyClicks(dialog.pin_edit, PIN)
    qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Enter)
    assert await ask is True


async def test_enter_with_too_few_digits_explains_and_uses_no_try(
    qtbot: QtBot, with_pin: ManagerService
) -> None:
    dialog = make(qtbot, with_pin)
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    qtbot.keyClicks(dialog.pin_edit, "73")
    qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Return)
    assert dialog.message == "The PIN has at least 4 digits."
    assert with_pin.tries_left() == 10
    qtbot.keyClicks(dialog.pin_edit, "x9")  # letters never get in
    assert dialog.pin_edit.text() == "739"
    dialog.backspace_button.click()
    assert dialog.pin_edit.text() == "73"
    dialog.clear_button.click()
    assert dialog.pin_edit.text() == ""
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc cancels
    assert await ask is False
    assert not with_pin.is_manager()


async def test_the_tenth_wrong_pin_locks_the_keypad_until_the_lock_ends(
    qtbot: QtBot, with_pin: ManagerService, clock: Clock
) -> None:
    for _ in range(9):
        with_pin.sign_in(WRONG)
    dialog = make(qtbot, with_pin)
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    tap(dialog, WRONG)
    dialog.ok_button.click()
    until = (clock.now + timedelta(minutes=30)).astimezone().strftime("%H:%M")
    assert dialog.message == f"Locked until {until} after 10 wrong tries"
    assert dialog.locked
    assert not dialog.pin_edit.isEnabled()
    assert not any(button.isEnabled() for button in dialog.digit_buttons.values())
    assert not dialog.ok_button.isEnabled()
    assert dialog.cancel_button.isEnabled()
    qtbot.keyClicks(dialog.pin_edit, PIN)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert with_pin.status() is ManagerStatus.LOCKED

    clock.advance(minutes=30)
    await wait_until(lambda: not dialog.locked)
    assert dialog.message == "You can enter the PIN again."
    assert dialog.pin_edit.isEnabled()
    tap(dialog, PIN)
    dialog.ok_button.click()
    assert await ask is True


async def test_a_dialog_opened_while_locked_says_so_at_once(
    qtbot: QtBot, with_pin: ManagerService, clock: Clock
) -> None:
    for _ in range(10):
        with_pin.sign_in(WRONG)
    clock.advance(minutes=2)
    dialog = make(qtbot, with_pin)
    until = (T0 + timedelta(minutes=30)).astimezone().strftime("%H:%M")
    assert dialog.message == f"Locked until {until} after 10 wrong tries"
    assert dialog.locked


async def test_without_a_pin_it_asks_for_a_new_one_twice(
    qtbot: QtBot, service: ManagerService
) -> None:
    dialog = make(qtbot, service)
    assert dialog.mode is PinMode.SET_UP
    assert dialog.windowTitle() == "Set the manager PIN"
    assert "No manager PIN is set yet" in dialog.prompt_label.text()
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    tap(dialog, "1234")
    dialog.ok_button.click()
    assert dialog.message.startswith("Choose a PIN that is harder to guess")
    assert dialog.step == "new"
    tap(dialog, PIN)
    assert dialog.ok_button.text() == "Next"
    dialog.ok_button.click()
    assert dialog.step == "repeat"
    assert dialog.prompt_label.text() == "Enter the same new PIN again."
    tap(dialog, "735191")
    dialog.ok_button.click()
    assert dialog.message == "The two PINs are different. Enter the new PIN again."
    assert dialog.step == "new"
    tap(dialog, PIN)
    dialog.ok_button.click()
    tap(dialog, PIN)
    assert dialog.ok_button.text() == "Set PIN"
    dialog.ok_button.click()
    assert await ask is True
    assert service.is_manager()
    service.sign_out()
    assert service.sign_in(PIN).ok


async def test_changing_the_pin_asks_the_current_one_first(
    qtbot: QtBot, with_pin: ManagerService
) -> None:
    dialog = make(qtbot, with_pin, mode=PinMode.CHANGE)
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    assert dialog.prompt_label.text() == "Enter the current manager PIN."
    for pin in (WRONG, "2580", "2580"):
        tap(dialog, pin)
        dialog.ok_button.click()
    assert dialog.message == "Wrong PIN, 9 tries left"
    assert dialog.step == "current"
    for pin in (PIN, "2580", "2580"):
        tap(dialog, pin)
        dialog.ok_button.click()
    assert await ask is True
    with_pin.sign_out()
    assert with_pin.sign_in("2580").ok


async def test_every_control_is_named_and_big_enough_to_touch(
    qtbot: QtBot, with_pin: ManagerService
) -> None:
    dialog = make(qtbot, with_pin)
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    buttons = dialog.findChildren(QAbstractButton)
    assert len(buttons) == 14  # ten digits, clear, backspace, cancel, sign in
    for button in buttons:
        assert button.accessibleName(), button.objectName()
        assert button.width() >= 44
        assert button.height() >= 44
    assert dialog.digit_buttons["7"].accessibleName() == "Digit 7"
    assert dialog.pin_edit.accessibleName() == "Manager PIN"
    tap(dialog, PIN)
    names = [w.accessibleName() for w in dialog.findChildren(QWidget)]
    assert not any(PIN in name for name in names)  # a screen reader never reads the PIN
    dialog.reject()
    assert await ask is False


async def test_ensure_manager_asks_only_when_nobody_is_signed_in(
    qtbot: QtBot, with_pin: ManagerService, clock: Clock
) -> None:
    with_pin.sign_in(PIN)
    clock.advance(minutes=10)
    assert await ensure_manager(with_pin) is True  # no dialog, and the session goes on
    assert with_pin.session_expires_at == clock.now + timedelta(minutes=15)


# -- idle re-auth ---------------------------------------------------------------------


def make_screen(qtbot: QtBot, service: ManagerService) -> tuple[ManagerScreen, QPushButton]:
    screen = ManagerScreen(service, idle_check_ms=20)
    button = QPushButton("Do something", screen)
    QVBoxLayout(screen).addWidget(button)
    qtbot.addWidget(screen)
    return screen, button


async def test_activity_on_a_manager_screen_keeps_the_manager_signed_in(
    qtbot: QtBot, with_pin: ManagerService, clock: Clock
) -> None:
    with_pin.sign_in(PIN)
    screen, button = make_screen(qtbot, with_pin)
    screen.open()
    await wait_until(screen.isVisible)
    clock.advance(minutes=14)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert with_pin.session_expires_at == clock.now + timedelta(minutes=15)
    clock.advance(minutes=14)
    for _ in range(3):  # several idle checks pass
        screen.guard.check_idle()
    assert screen.reauth_dialog is None
    assert with_pin.is_manager()
    screen.reject()


async def test_fifteen_idle_minutes_ask_for_the_pin_again(
    qtbot: QtBot, with_pin: ManagerService, clock: Clock
) -> None:
    with_pin.sign_in(PIN)
    screen, _ = make_screen(qtbot, with_pin)
    expired: list[bool] = []
    resumed: list[bool] = []
    screen.session_expired.connect(lambda: expired.append(True))
    screen.reauthenticated.connect(lambda: resumed.append(True))
    screen.open()
    await wait_until(screen.isVisible)
    clock.advance(minutes=15)
    reauth = await wait_until(lambda: screen.reauth_dialog)
    await wait_until(reauth.isVisible)
    assert expired == [True]
    assert not with_pin.is_manager()
    assert reauth.prompt_label.text() == (
        "No activity for 15 minutes. Enter the manager PIN to go on."
    )
    tap(reauth, PIN)
    reauth.ok_button.click()
    await wait_until(lambda: resumed)
    assert screen.isVisible()
    assert screen.reauth_dialog is None
    assert with_pin.is_manager()
    screen.reject()


async def test_cancelling_the_re_auth_closes_the_manager_screen(
    qtbot: QtBot, with_pin: ManagerService, clock: Clock
) -> None:
    with_pin.sign_in(PIN)
    screen, _ = make_screen(qtbot, with_pin)
    screen.open()
    await wait_until(screen.isVisible)
    clock.advance(minutes=16)
    reauth = await wait_until(lambda: screen.reauth_dialog)
    await wait_until(reauth.isVisible)
    reauth.cancel_button.click()
    await wait_until(lambda: not screen.isVisible())
    assert screen.result() == ManagerScreen.DialogCode.Rejected.value
    assert not with_pin.is_manager()
