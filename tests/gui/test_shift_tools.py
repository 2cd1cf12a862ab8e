"""The Shift menu at the till with named staff over a real journal and audit log: the
menu follows the open shift, a cashier's paid out waits for a manager (and is refused
over the drawer's cash before anyone is asked), a no-sale opens the drawer or says it
did not, and a cashier closing the shift needs a manager's approval, counts blind, and
reads the Z report's short."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from pos_app.domain.tickets import CashMovementKind, Shift
from pos_app.services.audit_log import AuditAction, AuditQuery
from pos_app.services.manager import ManagerService
from pos_app.services.shifts import DRAWER_TROUBLE, ShiftService
from pos_app.storage.journal import SqliteJournal
from pos_app.ui.pin_dialog import PinDialog
from pos_app.ui.shift_dialogs import CashMovementDialog, ShiftCloseDialog, ShiftOpenDialog
from pos_app.ui.shift_tools import ShiftTools
from pos_app.ui.text import shift as text
from tests.support.gui import wait_until
from tests.support.shifts import RecordingDrawer, shift_service
from tests.support.staff_screens import (
    CASHIER,
    CASHIER_PIN,
    MANAGER,
    MANAGER_PIN,
    OWNER,
    OWNER_PIN,
)


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[SqliteJournal]:
    with SqliteJournal(tmp_path / "journal.sqlite3") as opened:
        yield opened


@pytest.fixture
def drawer() -> RecordingDrawer:
    return RecordingDrawer()


@pytest.fixture
def shifts(
    journal: SqliteJournal, drawer: RecordingDrawer, service: ManagerService
) -> ShiftService:
    return shift_service(journal, drawer, manager=service)


@pytest.fixture
def window(qtbot: QtBot) -> QWidget:
    till = QWidget()
    till.resize(1024, 768)
    qtbot.addWidget(till)
    till.show()
    return till


class Seen:
    """What the tools said on their signals."""

    def __init__(self, tools: ShiftTools) -> None:
        self.shifts: list[Shift | None] = []
        self.messages: list[str] = []
        tools.shift_changed.connect(self.shifts.append)
        tools.message.connect(self.messages.append)


def tools_for(window: QWidget, shifts: ShiftService, service: ManagerService) -> ShiftTools:
    return ShiftTools(window, shifts, service)


async def dialog_of(tools: ShiftTools, kind: type[Any]) -> Any:
    dialog = await wait_until(lambda: isinstance(tools.dialog, kind) and tools.dialog)
    await wait_until(dialog.isVisible)
    return dialog


def visible_pin_dialog(window: QWidget) -> PinDialog | None:
    for dialog in window.findChildren(PinDialog):
        if dialog.isVisible():
            return dialog
    return None


async def approve(window: QWidget, pin: str) -> None:
    """A manager or owner approves at this till with their PIN alone."""
    dialog = await wait_until(lambda: visible_pin_dialog(window))
    for digit in pin:
        dialog.digit_buttons[digit].click()
    dialog.ok_button.click()
    await wait_until(lambda: visible_pin_dialog(window) is None)


async def finished(tools: ShiftTools) -> None:
    task = tools.slot.task
    assert task is not None
    await asyncio.wait_for(task, 10)


def audited(service: ManagerService, action: AuditAction) -> list[Any]:
    assert service.sign_in(OWNER_PIN, OWNER).ok  # the log is for managers to read
    try:
        return service.audit_entries(AuditQuery(actions=(action.value,)))
    finally:
        service.sign_out()


async def test_the_menu_follows_the_open_shift(
    window: QWidget, shifts: ShiftService, service: ManagerService, journal: SqliteJournal
) -> None:
    assert service.sign_in(CASHIER_PIN, CASHIER).ok
    tools = tools_for(window, shifts, service)
    seen = Seen(tools)
    [button] = tools.buttons
    assert button.objectName() == "shiftButton"
    assert button.text() == "Shift: closed"
    assert tools.open_action.isEnabled()
    closed_items = (
        tools.x_report_action,
        tools.close_action,
        tools.no_sale_action,
        tools.paid_in_action,
        tools.paid_out_action,
    )
    assert not any(action.isEnabled() for action in closed_items)
    assert not tools.last_z_action.isEnabled()  # no shift closed yet

    tools.open_action.trigger()
    dialog = await dialog_of(tools, ShiftOpenDialog)
    dialog.count.total_edit.setText("100")
    dialog.confirm_button.click()
    await finished(tools)

    shift = journal.current_shift("1")
    assert shift is not None
    assert (shift.float_cents, shift.opened_by) == (10000, CASHIER)
    assert seen.shifts == [shift]
    assert seen.messages == ["Shift open. Float: $100.00."]
    assert button.text() == "Shift: open"
    assert not tools.open_action.isEnabled()
    assert all(action.isEnabled() for action in closed_items)
    [entry] = audited(service, AuditAction.SHIFT_OPENED)
    assert entry.who == CASHIER


async def test_a_cashiers_paid_out_waits_for_a_manager_and_never_exceeds_the_drawer(
    window: QWidget,
    shifts: ShiftService,
    service: ManagerService,
    journal: SqliteJournal,
    drawer: RecordingDrawer,
) -> None:
    assert service.sign_in(CASHIER_PIN, CASHIER).ok
    shift = await shifts.open_shift(5000, person=CASHIER)
    tools = tools_for(window, shifts, service)
    seen = Seen(tools)

    tools.paid_out_action.trigger()
    dialog = await dialog_of(tools, CashMovementDialog)
    assert dialog.windowTitle() == text.PAID_OUT_TITLE
    dialog.amount_edit.setText("80.00")
    dialog.reason_edit.setText("Flowers delivered")
    dialog.confirm_button.click()
    refused = "The drawer should hold only $50.00: no more can be paid out."
    await wait_until(lambda: dialog.message_label.text() == refused)
    assert visible_pin_dialog(window) is None  # nobody is asked to approve that

    dialog.amount_edit.setText("20.00")
    dialog.confirm_button.click()
    await approve(window, MANAGER_PIN)
    await finished(tools)

    [movement] = journal.cash_movements(shift_id=shift.id)
    assert (movement.kind, movement.amount_cents) == (CashMovementKind.PAID_OUT, 2000)
    assert (movement.person, movement.approved_by) == (CASHIER, MANAGER)
    assert drawer.opened == ["paid out"]
    assert seen.messages == ["Paid out $20.00: Flowers delivered."]
    current = service.current()
    assert current is not None
    assert current.name == CASHIER  # the cashier stays signed in
    [entry] = audited(service, AuditAction.PAID_OUT)
    assert json.loads(entry.detail)["approved_by"] == MANAGER


async def test_a_no_sale_opens_the_drawer_or_says_it_did_not(
    window: QWidget,
    shifts: ShiftService,
    service: ManagerService,
    journal: SqliteJournal,
    drawer: RecordingDrawer,
) -> None:
    assert service.sign_in(CASHIER_PIN, CASHIER).ok
    shift = await shifts.open_shift(5000, person=CASHIER)
    tools = tools_for(window, shifts, service)
    seen = Seen(tools)

    tools.no_sale_action.trigger()
    dialog = await dialog_of(tools, CashMovementDialog)
    dialog.reason_edit.setText("Customer needed change")
    dialog.confirm_button.click()
    await finished(tools)
    assert drawer.opened == ["no sale"]
    assert seen.messages == ["No sale: the drawer opened (Customer needed change)."]

    drawer.jammed = True
    tools.no_sale_action.trigger()
    dialog = await dialog_of(tools, CashMovementDialog)
    dialog.reason_edit.setText("Checking the float")
    dialog.confirm_button.click()
    await finished(tools)
    assert seen.messages[-1] == DRAWER_TROUBLE
    reasons = [m.reason for m in journal.cash_movements(shift_id=shift.id)]
    assert reasons == ["Customer needed change", "Checking the float"]  # journaled anyway
    [entry, _first] = audited(service, AuditAction.NO_SALE)  # newest first
    assert entry.who == CASHIER


async def test_a_cashier_needs_a_managers_approval_to_close_and_reads_the_short(
    window: QWidget,
    shifts: ShiftService,
    service: ManagerService,
    journal: SqliteJournal,
    tmp_path: Path,
) -> None:
    assert service.sign_in(CASHIER_PIN, CASHIER).ok
    shift = await shifts.open_shift(10000, person=CASHIER)
    await shifts.paid_in(2000, "Change from the bank", person=CASHIER)
    tools = tools_for(window, shifts, service)
    seen = Seen(tools)

    tools.close_action.trigger()
    pin = await wait_until(lambda: visible_pin_dialog(window))
    assert "Closing the shift" in pin.prompt_label.text()
    pin.cancel_button.click()
    await finished(tools)
    assert seen.messages == [text.APPROVAL_REFUSED]
    assert tools.dialog is None  # no count without a manager
    assert shifts.current() is not None

    tools.close_action.trigger()
    await approve(window, OWNER_PIN)
    dialog = await dialog_of(tools, ShiftCloseDialog)
    assert "$120.00" not in dialog.opened_label.text()  # a blind count
    # $100 + $10 + $5 + $1 x 3 + 25c x 2 + 10c + 5c = $118.65: $1.35 short of $120.00
    for cents, pieces in ((10000, 1), (1000, 1), (500, 1), (100, 3), (25, 2), (10, 1), (5, 1)):
        dialog.count.set_count(cents, pieces)
    dialog.confirm_button.click()
    view = await wait_until(lambda: tools.report_view)
    await wait_until(view.isVisible)
    assert view.objectName() == "shiftReportView"
    assert view.over_short_label.text() == "Short by $1.35: the drawer holds less than expected."
    assert (text.ROW_EXPECTED, "", "$120.00") in view.rows()
    assert (text.ROW_COUNTED, "", "$118.65") in view.rows()
    view.grab().save(str(tmp_path / "z.png"))
    view.close_button.click()
    await finished(tools)

    closed = journal.shift(shift.id)
    assert closed is not None
    assert (closed.counted_cents, closed.expected_cents, closed.closed_by) == (
        11865,
        12000,
        CASHIER,
    )
    assert seen.shifts == [None]
    assert seen.messages[-1] == (
        "Shift closed. Short by $1.35: the drawer holds less than expected."
    )
    assert tools.buttons[0].text() == "Shift: closed"
    [entry] = audited(service, AuditAction.SHIFT_CLOSED)
    assert json.loads(entry.detail)["over_short_cents"] == -135

    assert tools.last_z_action.isEnabled()  # the Z again, to print it later
    tools.last_z_action.trigger()
    again = await wait_until(lambda: tools.report_view)
    assert again.report.shift.id == shift.id
    assert again.over_short_label.text() == ("Short by $1.35: the drawer holds less than expected.")
    again.accept()
    await finished(tools)


async def test_a_manager_closes_without_being_asked_for_a_pin(
    window: QWidget, shifts: ShiftService, service: ManagerService
) -> None:
    assert service.sign_in(MANAGER_PIN, MANAGER).ok
    await shifts.open_shift(0, person=MANAGER)
    tools = tools_for(window, shifts, service)
    tools.close_action.trigger()
    dialog = await dialog_of(tools, ShiftCloseDialog)
    assert visible_pin_dialog(window) is None
    dialog.count.set_by_denomination(False)
    dialog.count.total_edit.setText("0")
    dialog.confirm_button.click()
    view = await wait_until(lambda: tools.report_view)
    assert view.over_short_label.text() == text.OVER_SHORT_EVEN
    view.accept()
    await finished(tools)
    assert shifts.current() is None
