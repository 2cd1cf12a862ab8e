"""The PIN dialog: a name then the PIN (or the PIN alone), tries left, a person's lock,
approvals at a cashier's till, new PINs, and the manager screens' idle re-sign-in."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QPushButton, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from pos_app.domain.staff import StaffRole
from pos_app.services.audit_log import AuditAction, AuditQuery
from pos_app.services.manager import ManagerService
from pos_app.storage.audit import SqliteAuditLog
from pos_app.ui.manager_screen import ManagerScreen
from pos_app.ui.pin_dialog import PinDialog, PinMode, ensure_manager
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
)


def make(qtbot: QtBot, service: ManagerService, **kwargs: object) -> PinDialog:
    dialog = PinDialog(service, lock_check_ms=20, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


def tap(dialog: PinDialog, pin: str) -> None:
    for digit in pin:
        dialog.digit_buttons[digit].click()


def who(service: ManagerService) -> str | None:
    person = service.current()
    return person.name if person is not None else None


async def test_the_pin_alone_on_the_keypad_signs_a_manager_in(
    qtbot: QtBot, service: ManagerService
) -> None:
    dialog = make(qtbot, service)
    assert dialog.objectName() == "pinDialog"
    assert dialog.mode is PinMode.MANAGER
    assert dialog.people_list is not None
    assert list(dialog.people_list.buttons) == [OWNER, MANAGER]  # approvers only
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    assert not dialog.ok_button.isEnabled()
    tap(dialog, MANAGER_PIN[:3])
    assert not dialog.ok_button.isEnabled()  # 4 digits at least
    tap(dialog, MANAGER_PIN[3:])
    assert dialog.pin_edit.echoMode() is QLineEdit.EchoMode.Password
    assert dialog.ok_button.text() == "Sign in"
    dialog.ok_button.click()
    assert await ask is True
    assert dialog.person is not None
    assert dialog.person.name == MANAGER
    assert who(service) == MANAGER
    assert not dialog.isVisible()
    assert dialog.pin_edit.text() == ""  # nothing kept


async def test_a_name_then_a_wrong_pin_says_whose_and_the_tries_left(
    qtbot: QtBot, service: ManagerService
) -> None:
    dialog = make(qtbot, service, mode=PinMode.SIGN_IN)
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    assert dialog.people_list is not None
    assert list(dialog.people_list.buttons) == [OWNER, CASHIER, MANAGER]  # everybody active
    dialog.people_list.buttons[CASHIER].click()  # a tap on the name
    assert dialog.chosen_name == CASHIER
    assert dialog.prompt_label.text() == f"{CASHIER}: enter your PIN."
    for left in (9, 8, 7):
        qtbot.keyClicks(dialog.pin_edit, "1397")
        qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Return)  # Enter submits
        assert dialog.message == f"Wrong PIN for {CASHIER}, {left} tries left."
        assert dialog.message_label.accessibleName() == dialog.message
        assert dialog.pin_edit.text() == ""
        assert dialog.isVisible()
    qtbot.keyClicks(dialog.pin_edit, CASHIER_PIN)
    qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Enter)
    assert await ask is True
    assert who(service) == CASHIER


async def test_enter_with_too_few_digits_explains_and_uses_no_try(
    qtbot: QtBot, service: ManagerService
) -> None:
    dialog = make(qtbot, service)
    dialog.choose(MANAGER)
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    qtbot.keyClicks(dialog.pin_edit, "73")
    qtbot.keyClick(dialog.pin_edit, Qt.Key.Key_Return)
    assert dialog.message == "The PIN has at least 4 digits."
    carla = service.person(MANAGER)
    assert carla is not None
    assert carla.failed_tries == 0
    qtbot.keyClicks(dialog.pin_edit, "x9")  # letters never get in
    assert dialog.pin_edit.text() == "739"
    dialog.backspace_button.click()
    assert dialog.pin_edit.text() == "73"
    dialog.clear_button.click()
    assert dialog.pin_edit.text() == ""
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # Esc cancels
    assert await ask is False
    assert service.current() is None


async def test_the_tenth_wrong_pin_locks_that_person_until_the_lock_ends(
    qtbot: QtBot, service: ManagerService, clock: Clock
) -> None:
    for _ in range(9):
        service.sign_in(WRONG, MANAGER)
    dialog = make(qtbot, service)
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    dialog.choose(MANAGER)
    tap(dialog, WRONG)
    dialog.ok_button.click()
    until = (clock.now + timedelta(minutes=30)).astimezone().strftime("%H:%M")
    assert dialog.message == (
        f"{MANAGER} is locked until {until} after 10 wrong tries. An owner can unlock sooner."
    )
    assert dialog.locked
    assert not dialog.pin_edit.isEnabled()
    assert not any(button.isEnabled() for button in dialog.digit_buttons.values())
    assert not dialog.ok_button.isEnabled()
    assert dialog.cancel_button.isEnabled()
    qtbot.keyClicks(dialog.pin_edit, MANAGER_PIN)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert service.current() is None

    dialog.choose(OWNER)  # somebody else may still sign in
    assert not dialog.locked
    assert dialog.pin_edit.isEnabled()
    dialog.choose(MANAGER)
    assert dialog.locked  # read again from the service, not the list's snapshot
    clock.advance(minutes=30)
    await wait_until(lambda: not dialog.locked)
    assert dialog.message == "You can enter the PIN again."
    tap(dialog, MANAGER_PIN)
    dialog.ok_button.click()
    assert await ask is True
    assert who(service) == MANAGER


async def test_a_locked_person_chosen_says_so_at_once(
    qtbot: QtBot, service: ManagerService, clock: Clock
) -> None:
    for _ in range(10):
        service.sign_in(WRONG, MANAGER)
    clock.advance(minutes=2)
    dialog = make(qtbot, service)  # the list is read now: Carla is locked
    dialog.choose(MANAGER)
    until = (clock.now + timedelta(minutes=28)).astimezone().strftime("%H:%M")
    assert dialog.locked
    assert until in dialog.message


async def test_a_cashiers_pin_does_not_open_a_managers_screen(
    qtbot: QtBot, service: ManagerService
) -> None:
    dialog = make(qtbot, service)
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    tap(dialog, CASHIER_PIN)
    dialog.ok_button.click()
    assert dialog.isVisible()
    assert dialog.message == f"{CASHIER} is signed in, but only a manager or owner can open this."
    dialog.reject()
    assert await ask is False


async def test_a_manager_approves_at_a_cashiers_till_and_the_cashier_stays(
    qtbot: QtBot, service: ManagerService, log: SqliteAuditLog
) -> None:
    assert service.sign_in(CASHIER_PIN, CASHIER).ok
    dialog = make(qtbot, service, mode=PinMode.APPROVE, what="refund")
    assert dialog.prompt_label.text().startswith("A refund or void needs a manager or owner.")
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    dialog.choose(MANAGER)
    tap(dialog, WRONG)
    dialog.ok_button.click()
    assert dialog.message == f"Wrong PIN for {MANAGER} (9 tries left); nothing was approved."
    tap(dialog, MANAGER_PIN)
    assert dialog.ok_button.text() == "Approve"
    dialog.ok_button.click()
    assert await ask is True
    assert dialog.person is not None
    assert dialog.person.name == MANAGER
    assert who(service) == CASHIER  # the cashier goes on selling
    [approval] = log.entries(AuditQuery(actions=(AuditAction.APPROVAL.value,)))
    assert approval.outcome == "ok"


async def test_changing_ones_own_pin_asks_the_current_one_first(
    qtbot: QtBot, service: ManagerService
) -> None:
    dialog = make(qtbot, service, mode=PinMode.CHANGE, name=MANAGER, role=StaffRole.MANAGER)
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    assert dialog.people_list is None
    assert dialog.prompt_label.text() == "Enter the current manager PIN."
    for pin in (WRONG, "258014", "258014"):
        tap(dialog, pin)
        dialog.ok_button.click()
    assert "9" in dialog.message  # a wrong current PIN is a wrong try
    assert dialog.step == "current"
    tap(dialog, MANAGER_PIN)
    dialog.ok_button.click()
    tap(dialog, "2580")  # too short for a manager: said before the repeat
    dialog.ok_button.click()
    assert dialog.message == "A manager's or owner's PIN has at least 6 digits."
    assert dialog.step == "new"
    for pin in ("258014", "258014"):
        tap(dialog, pin)
        dialog.ok_button.click()
    assert await ask is True
    assert service.sign_in("258014", MANAGER).ok


async def test_a_new_pin_asks_twice_and_says_when_they_differ(
    qtbot: QtBot, service: ManagerService
) -> None:
    saved: list[str] = []
    dialog = make(
        qtbot,
        service,
        mode=PinMode.NEW_PIN,
        name=CASHIER,
        role=StaffRole.CASHIER,
        save=saved.append,
    )
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    tap(dialog, "1234")
    dialog.ok_button.click()
    assert dialog.message.startswith("Choose a PIN that is harder to guess")
    tap(dialog, "1397")
    assert dialog.ok_button.text() == "Next"
    dialog.ok_button.click()
    assert dialog.step == "repeat"
    tap(dialog, "1398")
    dialog.ok_button.click()
    assert dialog.message == "The two PINs are different. Enter the new PIN again."
    assert dialog.step == "new"
    tap(dialog, "1397")
    dialog.ok_button.click()
    tap(dialog, "1397")
    assert dialog.ok_button.text() == "Set PIN"
    dialog.ok_button.click()
    assert await ask is True
    assert saved == ["1397"]


async def test_every_control_is_named_and_big_enough_to_touch(
    qtbot: QtBot, service: ManagerService
) -> None:
    dialog = make(qtbot, service, mode=PinMode.SIGN_IN)
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    buttons = dialog.findChildren(QAbstractButton)
    # ten digits, clear, backspace, cancel, sign in, three names, the owner's way back
    assert len(buttons) == 18
    for button in buttons:
        assert button.accessibleName(), button.objectName()
        assert button.width() >= 44
        assert button.height() >= 44
    assert dialog.digit_buttons["7"].accessibleName() == "Digit 7"
    assert dialog.pin_edit.accessibleName() == "Manager PIN"
    assert dialog.people_list is not None
    assert dialog.people_list.buttons[CASHIER].accessibleName() == f"{CASHIER}, Cashier"
    tap(dialog, OWNER_PIN)
    names = [w.accessibleName() for w in dialog.findChildren(QWidget)]
    assert not any(OWNER_PIN in name for name in names)  # a screen reader never reads the PIN
    dialog.reject()
    assert await ask is False


async def test_the_tills_sign_in_cannot_be_dismissed(qtbot: QtBot, service: ManagerService) -> None:
    dialog = make(qtbot, service, mode=PinMode.SIGN_IN, cancellable=False)
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    assert not dialog.cancel_button.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()
    dialog.force_close()  # the till closing
    assert await ask is False


async def test_ensure_manager_asks_only_when_no_approver_is_signed_in(
    qtbot: QtBot, service: ManagerService, clock: Clock
) -> None:
    service.sign_in(MANAGER_PIN, MANAGER)
    clock.advance(minutes=10)
    assert await ensure_manager(service) is True  # no dialog, and the session goes on
    assert service.session_expires_at == clock.now + timedelta(minutes=15)


# -- idle re-sign-in on a manager's screen ---------------------------------------------------


def make_screen(qtbot: QtBot, service: ManagerService) -> tuple[ManagerScreen, QPushButton]:
    screen = ManagerScreen(service, idle_check_ms=20)
    button = QPushButton("Do something", screen)
    QVBoxLayout(screen).addWidget(button)
    qtbot.addWidget(screen)
    return screen, button


async def test_activity_on_a_manager_screen_keeps_the_manager_signed_in(
    qtbot: QtBot, service: ManagerService, clock: Clock
) -> None:
    service.sign_in(MANAGER_PIN, MANAGER)
    screen, button = make_screen(qtbot, service)
    screen.open()
    await wait_until(screen.isVisible)
    clock.advance(minutes=14)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert service.session_expires_at == clock.now + timedelta(minutes=15)
    clock.advance(minutes=14)
    for _ in range(3):  # several idle checks pass
        screen.guard.check_idle()
    assert screen.reauth_dialog is None
    assert who(service) == MANAGER
    screen.reject()


async def test_the_idle_timeout_asks_a_manager_to_sign_in_again(
    qtbot: QtBot, service: ManagerService, clock: Clock
) -> None:
    service.sign_in(MANAGER_PIN, MANAGER)
    screen, _ = make_screen(qtbot, service)
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
    assert service.current() is None
    assert reauth.mode is PinMode.MANAGER
    assert reauth.prompt_label.text().startswith("Signed out after a while without activity.")
    reauth.choose(MANAGER)
    tap(reauth, MANAGER_PIN)
    reauth.ok_button.click()
    await wait_until(lambda: resumed)
    assert screen.isVisible()
    assert screen.reauth_dialog is None
    assert who(service) == MANAGER
    screen.reject()


async def test_cancelling_the_re_sign_in_closes_the_manager_screen(
    qtbot: QtBot, service: ManagerService, clock: Clock
) -> None:
    service.sign_in(MANAGER_PIN, MANAGER)
    screen, _ = make_screen(qtbot, service)
    screen.open()
    await wait_until(screen.isVisible)
    clock.advance(minutes=16)
    reauth = await wait_until(lambda: screen.reauth_dialog)
    await wait_until(reauth.isVisible)
    reauth.cancel_button.click()
    await wait_until(lambda: not screen.isVisible())
    assert screen.result() == ManagerScreen.DialogCode.Rejected.value
    assert service.current() is None


async def test_a_manager_screen_hidden_without_finishing_stops_watching(
    qtbot: QtBot, service: ManagerService
) -> None:
    service.sign_in(MANAGER_PIN, MANAGER)
    screen, _ = make_screen(qtbot, service)
    finished: list[int] = []
    screen.finished.connect(finished.append)
    screen.open()
    await wait_until(screen.isVisible)
    assert screen.guard.watching
    screen.hide()  # hidden, not finished (no accept or reject)
    assert finished == []
    assert not screen.guard.watching  # its filter on every event of the application is gone
    screen.show()
    await wait_until(screen.isVisible)
    assert screen.guard.watching
    screen.reject()


def test_a_guard_the_garbage_collector_is_clearing_lets_its_screens_last_events_pass(
    qtbot: QtBot, service: ManagerService
) -> None:
    # A screen nobody holds goes with its guard in one collection; the guard's attributes
    # can be cleared before the screen's deletion sends its last events (scripts/
    # render_screens.py met it: an AttributeError on every one of them).
    screen, button = make_screen(qtbot, service)
    guard = screen.guard
    guard.__dict__.clear()  # what the collector's clearing leaves
    assert guard.eventFilter(screen, QEvent(QEvent.Type.ChildRemoved)) is False
    assert guard.eventFilter(button, QEvent(QEvent.Type.MouseButtonPress)) is False
