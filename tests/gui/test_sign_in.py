"""Who is working the till: the sign-in at start-up, Switch person in two taps, the idle
sign-out, and the name on every charge and refund (the window against the real sandbox)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.qtbot import QtBot

from pos_app.domain.staff import StaffRole
from pos_app.services.audit_log import AuditAction, AuditQuery
from pos_app.services.manager import ManagerService
from pos_app.services.ports import HistoryQuery
from pos_app.storage.audit import SqliteAuditLog
from pos_app.ui.owner_setup import OwnerSetupDialog
from pos_app.ui.pin_dialog import PinDialog, PinMode
from pos_app.ui.sign_in import TillSession
from tests.support.gui import wait_until
from tests.support.manager import FAST_SCRYPT, Clock
from tests.support.migrated_lane import MIGRATED_OWNER, OLD_PIN, v1_audit_file
from tests.support.sandbox import SandboxHandle
from tests.support.staff_screens import (
    CASHIER,
    CASHIER_PIN,
    MANAGER,
    MANAGER_PIN,
    OWNER,
    OWNER_PIN,
    add_staff,
    staff_service,
)
from tests.support.window import open_window


def till(qtbot: QtBot, service: ManagerService) -> tuple[QWidget, TillSession]:
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    session = TillSession(service, window, idle_check_ms=20)
    return window, session


def tap(dialog: PinDialog, pin: str) -> None:
    for digit in pin:
        dialog.digit_buttons[digit].click()


async def sign_in(session: TillSession, name: str | None, pin: str) -> None:
    dialog = await wait_until(lambda: session.dialog)
    assert isinstance(dialog, PinDialog)
    await wait_until(dialog.isVisible)
    if name is not None:
        assert dialog.people_list is not None
        dialog.people_list.buttons[name].click()
    tap(dialog, pin)
    dialog.ok_button.click()
    await wait_until(lambda: session.dialog is None)


async def test_start_asks_who_is_working_and_nobody_can_dismiss_it(
    qtbot: QtBot, service: ManagerService
) -> None:
    _window, session = till(qtbot, service)
    seen: list[object] = []
    session.person_changed.connect(seen.append)
    session.start()
    dialog = await wait_until(lambda: session.dialog)
    assert isinstance(dialog, PinDialog)
    assert dialog.objectName() == "signInDialog"
    assert dialog.mode is PinMode.SIGN_IN
    await wait_until(dialog.isVisible)
    assert not dialog.cancel_button.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible()
    tap(dialog, CASHIER_PIN)  # the PIN alone: only Bob has it
    dialog.ok_button.click()
    await wait_until(lambda: session.dialog is None)
    assert session.person is not None
    assert session.person.name == CASHIER
    assert [getattr(p, "name", None) for p in seen] == [CASHIER]
    session.close()


async def test_a_lane_with_nobody_opens_the_owners_set_up(qtbot: QtBot, clock: Clock) -> None:
    with SqliteAuditLog(":memory:") as log:
        _window, session = till(qtbot, staff_service(log, clock))
        session.start()
        dialog = await wait_until(lambda: session.dialog)
        assert isinstance(dialog, OwnerSetupDialog)
        session.close()  # the till closing closes it
        await wait_until(lambda: session.dialog is None)


async def test_switch_person_is_two_taps_a_name_and_a_pin(
    qtbot: QtBot, service: ManagerService
) -> None:
    _window, session = till(qtbot, service)
    assert service.sign_in(CASHIER_PIN, CASHIER).ok
    session.start()  # somebody is signed in: nothing asked
    assert session.dialog is None
    session.switch_person()  # tap one
    assert service.current() is None
    await sign_in(session, MANAGER, MANAGER_PIN)  # tap two: the name; then the PIN
    assert session.person is not None
    assert session.person.name == MANAGER
    session.close()


async def test_activity_keeps_the_person_signed_in_and_idle_signs_them_out(
    qtbot: QtBot, service: ManagerService, clock: Clock, log: SqliteAuditLog
) -> None:
    window, session = till(qtbot, service)
    messages: list[str] = []
    session.message.connect(messages.append)
    assert service.sign_in(CASHIER_PIN, CASHIER).ok
    session.start()
    clock.advance(minutes=14)
    qtbot.keyClick(window, Qt.Key.Key_5)  # a key at the till is activity
    assert service.session_expires_at == clock.now + timedelta(minutes=15)
    clock.advance(minutes=15)
    dialog = await wait_until(lambda: session.dialog)  # the next idle check
    assert isinstance(dialog, PinDialog)
    assert session.person is None
    assert messages == [f"{CASHIER} was signed out after 15 minutes without activity."]
    assert dialog.prompt_label.text() == (
        "Signed out after 15 minutes without activity. Who is working?"
    )
    idle = log.entries(AuditQuery(actions=(AuditAction.SIGN_OUT.value,)))[0]  # newest
    assert idle.who == CASHIER
    assert '"idle"' in idle.detail
    session.close()


async def test_a_sign_out_by_the_till_asks_who_is_working_and_says_why(
    qtbot: QtBot, service: ManagerService
) -> None:
    _window, session = till(qtbot, service)
    assert service.sign_in(MANAGER_PIN, MANAGER).ok
    session.start()
    service.sign_out()  # as a visiting manager's last screen closing does
    session.signed_out("Carla was signed out.")
    dialog = await wait_until(lambda: session.dialog)
    assert isinstance(dialog, PinDialog)
    assert dialog.prompt_label.text() == "Carla was signed out."
    assert session.person is None
    session.close()


async def test_a_short_real_idle_timeout_signs_out_and_asks_again(
    qtbot: QtBot, log: SqliteAuditLog
) -> None:
    service = ManagerService(
        log, log, lane="1", scrypt=FAST_SCRYPT, idle_timeout=timedelta(milliseconds=300)
    )
    add_staff(service)
    _window, session = till(qtbot, service)
    assert service.sign_in(CASHIER_PIN).ok
    session.start()
    assert session.dialog is None
    dialog = await wait_until(lambda: session.dialog, within=5)  # no activity: signed out
    assert isinstance(dialog, PinDialog)
    assert service.current() is None
    session.close()


# -- the window ---------------------------------------------------------------------------


async def test_the_window_shows_who_and_a_sale_survives_switching_person(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot, manager_tools=True) as w:
        window, manager, tools = w.window, w.manager, w.window.tools
        assert manager is not None
        assert tools is not None
        assert window.person_label is not None
        assert window.switch_person_button is not None
        assert window.person_label.text() == "Nobody signed in"
        assert window.switch_person_button.text() == "Sign in"
        manager.create_owner(OWNER, OWNER_PIN)
        owner = manager.current()
        assert owner is not None
        manager.add_person(CASHIER, StaffRole.CASHIER, CASHIER_PIN, by=owner)
        await wait_until(lambda: window.person_label.text() == f"{OWNER} (Owner)")
        assert window.switch_person_button.isVisible()
        assert window.switch_person_button.text() == "Switch person"
        assert window.switch_person_button.height() >= 44
        assert window.switch_person_button.accessibleName() == (
            "Switch person: sign out and let someone else sign in"
        )

        window.cart_model.add_amount(1500)
        qtbot.mouseClick(window.switch_person_button, Qt.MouseButton.LeftButton)
        await sign_in(tools.session, CASHIER, CASHIER_PIN)
        assert window.person_label.text() == f"{CASHIER} (Cashier)"
        assert window.cart_model.cart.total.cents == 1500  # the sale stayed

        qtbot.mouseClick(window.charge_button, Qt.MouseButton.LeftButton)
        await w.wait_dialog_state("waiting")
        sandbox.present("trm_virtual", card="visa")
        await w.wait_dialog_state("approved")
        dialog = window.flow.dialog
        assert dialog is not None
        qtbot.mouseClick(dialog.findChild(QWidget, "newSaleButton"), Qt.MouseButton.LeftButton)
        task = window.flow.slot.task
        assert task is not None
        await task
        [sale] = w.lane.journal.history(HistoryQuery(kinds=("charge",)))
        assert sale.served_by == CASHIER  # the name goes with the sale into the journal


# -- the recovery code offer (a lane migrated from the old manager PIN) -----------------------


@pytest.fixture
def migrated(tmp_path: Path, clock: Clock) -> Iterator[ManagerService]:
    """A lane migrated from the old single manager PIN: its owner "Manager", no recovery
    code; Bob, a cashier, added since."""
    with SqliteAuditLog(v1_audit_file(tmp_path / "audit.sqlite3")) as audit:
        service = staff_service(audit, clock)
        assert service.sign_in(OLD_PIN, MIGRATED_OWNER).ok
        owner = service.current()
        assert owner is not None
        service.add_person(CASHIER, StaffRole.CASHIER, CASHIER_PIN, by=owner)
        service.sign_out()
        yield service


async def signed_in_and_settled(session: TillSession, name: str, pin: str) -> None:
    """`name` signs in; the sign-in's task (and any offer it makes) has run up to its end
    or to the offer shown."""
    await sign_in(session, name, pin)
    await wait_until(lambda: session.offer is not None or not session.slot.running)


async def test_an_owner_without_a_recovery_code_is_offered_one_once_per_session(
    qtbot: QtBot, migrated: ManagerService
) -> None:
    _window, session = till(qtbot, migrated)
    session.start()
    await signed_in_and_settled(session, MIGRATED_OWNER, OLD_PIN)
    offer = await wait_until(lambda: session.offer)
    await wait_until(offer.isVisible)
    assert offer.objectName() == "newRecoveryCodeDialog"
    assert offer.prompt_label.text().startswith(
        f"{MIGRATED_OWNER}, this till has no recovery code yet"
    )
    assert offer.back_button.text() == "Not now"
    offer.back_button.click()  # dismissed: nothing made, and not offered again this session
    await wait_until(lambda: session.offer is None and not session.slot.running)
    assert not migrated.has_recovery_code()
    assert await session.offer_recovery_code() is False
    assert session.offer is None

    session.switch_person()  # a new session: offered again, and this time made
    await signed_in_and_settled(session, MIGRATED_OWNER, OLD_PIN)
    offer = await wait_until(lambda: session.offer)
    await wait_until(offer.isVisible)
    offer.next_button.click()
    assert offer.page == "code"
    code = offer.code_label.text()
    offer.next_button.click()  # I have written it down
    await wait_until(lambda: session.offer is None and not session.slot.running)
    assert migrated.has_recovery_code()

    session.switch_person()  # the lane has its code: no offer
    await signed_in_and_settled(session, MIGRATED_OWNER, OLD_PIN)
    assert session.offer is None
    assert session.person is not None
    session.close()
    migrated.sign_out()
    assert migrated.recover_owner(code, "975313")


async def test_a_cashier_is_not_offered_and_nor_is_an_owner_over_an_open_dialog(
    qtbot: QtBot, migrated: ManagerService
) -> None:
    window, session = till(qtbot, migrated)
    session.start()
    await signed_in_and_settled(session, CASHIER, CASHIER_PIN)
    assert session.offer is None
    assert session.person is not None
    assert session.person.name == CASHIER

    busy = QDialog(window)  # a payment on the screen, say
    busy.setWindowModality(Qt.WindowModality.WindowModal)
    busy.open()
    await wait_until(lambda: QApplication.activeModalWidget() is busy)
    assert migrated.sign_in(OLD_PIN, MIGRATED_OWNER).ok
    session.check_idle()  # the till follows the service: the owner now
    assert session.person is not None
    assert session.person.name == MIGRATED_OWNER
    assert await session.offer_recovery_code() is False  # not over the payment
    busy.reject()
    await wait_until(lambda: QApplication.activeModalWidget() is None)
    offering = asyncio.ensure_future(session.offer_recovery_code())
    offer = await wait_until(lambda: session.offer)
    offer.back_button.click()
    assert await offering is False
    assert not migrated.has_recovery_code()
    session.close()
