"""The manager's tools on the till, wired as the app wires them, against the real sandbox:
the receipt after an approval, a refund at a cashier's till approved by the owner and
written to the journal and the audit log with both names, the end of day and the history
behind a manager's sign-in, the staff screen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget

from pos_app.domain.staff import StaffRole
from pos_app.services.audit_log import AuditQuery
from pos_app.services.manager import ManagerService
from pos_app.services.ports import HistoryQuery
from tests.support.gui import find, wait_until
from tests.support.sandbox import SandboxHandle
from tests.support.staff_screens import CASHIER, CASHIER_PIN, OWNER, OWNER_PIN
from tests.support.window import WindowLane, open_window

PIN = OWNER_PIN


def staff(manager: ManagerService | None, *, cashier: bool = True) -> ManagerService:
    """The owner and a cashier; the cashier signed in (else nobody)."""
    assert manager is not None
    manager.create_owner(OWNER, OWNER_PIN)
    owner = manager.current()
    assert owner is not None
    manager.add_person(CASHIER, StaffRole.CASHIER, CASHIER_PIN, by=owner)
    manager.sign_out()
    if cashier:
        assert manager.sign_in(CASHIER_PIN, CASHIER).ok
    return manager


def click(qtbot: Any, widget: Any) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


async def approve_a_sale(qtbot: Any, w: WindowLane, sandbox: SandboxHandle) -> None:
    w.window.cart_model.add_amount(1500)
    click(qtbot, w.window.charge_button)
    await w.wait_dialog_state("waiting")
    sandbox.present("trm_virtual", card="visa")
    await w.wait_dialog_state("approved")
    click(qtbot, find("newSaleButton"))
    task = w.window.flow.slot.task
    assert task is not None
    await task


async def sign_in_when_asked(qtbot: Any) -> None:
    await type_pin(qtbot, PIN)


async def type_pin(qtbot: Any, digits: str) -> None:
    pin = await wait_until(lambda: find("pinEdit"))
    pin.clear()
    qtbot.keyClicks(pin, digits)
    # The till's barcode filter hands typed keys on one 30 ms gap later.
    await wait_until(lambda: pin.text() == digits)
    click(qtbot, find("pinOkButton"))


async def test_a_receipt_is_offered_after_an_approval(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot, manager_tools=True) as w:
        offer = w.window.receipt_offer
        assert offer is not None
        assert not offer.button.isEnabled()
        await approve_a_sale(qtbot, w, sandbox)
        assert offer.button.isEnabled()
        assert "Receipt (F9)" in w.window.status_line.text()
        click(qtbot, offer.button)
        preview = await wait_until(lambda: find("receiptPreview"))
        receipt = preview.findChild(QWidget, "receiptText").toPlainText()
        assert "Test shop" in receipt
        assert "$15.00" in receipt
        assert "4242" in receipt
        preview.reject()


async def test_a_refund_at_a_cashiers_till_is_approved_by_the_owner_and_says_who(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot, manager_tools=True) as w:
        manager = staff(w.manager)
        await approve_a_sale(qtbot, w, sandbox)

        click(qtbot, w.window.refund_button)
        approval = await wait_until(lambda: find("pinDialog"))
        assert approval.windowTitle() == "Manager approval"
        await sign_in_when_asked(qtbot)  # the owner's PIN alone
        dialog = await wait_until(lambda: find("refundDialog"))
        approved = dialog.findChild(QWidget, "refundApprovedLabel")
        assert approved.isVisible()
        assert approved.text() == f"Approved by {OWNER}"
        to_card = dialog.findChild(QWidget, "refundToCardRadio")
        # on its label, as a person does (the row is wider than the radio's text)
        qtbot.mouseClick(to_card, Qt.MouseButton.LeftButton, pos=QPoint(12, to_card.height() // 2))
        assert to_card.isChecked()
        amount = dialog.findChild(QWidget, "refundAmountEdit")
        amount.clear()
        qtbot.keyClicks(amount, "5.00")
        await wait_until(lambda: amount.text() == "5.00")
        confirm = dialog.findChild(QWidget, "confirmRefundButton")
        click(qtbot, confirm)
        click(qtbot, confirm)  # a second press sends nothing more
        await w.wait_dialog_state("approved")
        click(qtbot, find("newSaleButton"))
        tools = w.window.tools
        assert tools is not None
        await wait_until(lambda: not tools.slot.running and not w.window.flow.busy)

        [sale] = w.lane.journal.history(HistoryQuery(kinds=("charge",)))
        assert sale.served_by == CASHIER
        [refund] = w.lane.journal.history(HistoryQuery(kinds=("refund",)))
        assert (refund.served_by, refund.approved_by) == (CASHIER, OWNER)
        details = await w.lane.service.payment_details(sale.payment_id or "")
        assert details.refundable_cents == 1000  # one refund of $5.00, not two
        current = manager.current()
        assert current is not None
        assert current.name == CASHIER  # the cashier stayed signed in
        assert manager.sign_in(OWNER_PIN, OWNER).ok  # to read the log
        entries = manager.audit_entries(AuditQuery(subject=sale.payment_id))
        assert [(e.who, e.action, e.outcome) for e in reversed(entries)] == [
            (CASHIER, "refund", "requested"),
            (CASHIER, "refund", "approved"),
        ]
        assert '"amount_cents":500' in entries[0].detail.replace(" ", "")
        assert json.loads(entries[0].detail)["approved_by"] == OWNER
        approvals = manager.audit_entries(AuditQuery(actions=("approval",)))
        assert len(approvals) == 1
        assert manager.verify_audit().ok


async def test_history_and_end_of_day_need_a_manager_signed_in(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot, manager_tools=True) as w:
        manager = staff(w.manager)
        await approve_a_sale(qtbot, w, sandbox)

        click(qtbot, w.window.findChild(QWidget, "historyButton"))
        await type_pin(qtbot, CASHIER_PIN)  # a cashier opens no manager's screen
        await wait_until(lambda: "only a manager or owner" in find("pinMessageLabel").text())
        await type_pin(qtbot, "1357")
        await wait_until(lambda: "Wrong PIN" in find("pinMessageLabel").text())
        assert find("historyWindow") is None  # a wrong PIN opens nothing
        await type_pin(qtbot, PIN)
        history = await wait_until(lambda: find("historyWindow"))
        await wait_until(lambda: history.model.rowCount() == 1)
        assert manager.current() is not None
        history.reject()
        # The owner signed in over Bob's till for the history only: closing it signs
        # them out, so the till's next sale is not recorded under their name.
        await wait_until(lambda: manager.current() is None)

        assert manager.sign_in(OWNER_PIN, OWNER).ok  # the owner works this till now
        click(qtbot, w.window.findChild(QWidget, "endOfDayButton"))  # signed in: no PIN
        report = await wait_until(lambda: find("endOfDayDialog"))
        report.reject()
        await wait_until(lambda: w.window.tools and w.window.tools.report_dialog is None)
        assert manager.current() is not None  # not a visit: the owner stays
        actions = [e.action for e in manager.audit_entries(AuditQuery())]
        assert "pin_failed" in actions


async def test_settings_are_saved_behind_the_pin_and_audited_without_values(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    async with open_window(sandbox.url, tmp_path, qtbot, manager_tools=True) as w:
        manager = staff(w.manager, cashier=False)
        click(qtbot, w.window.findChild(QWidget, "settingsButton"))
        await sign_in_when_asked(qtbot)
        dialog = await wait_until(lambda: find("settingsDialog"))
        receipt_header = dialog.findChild(QWidget, "receiptHeaderEdit")
        receipt_header.setPlainText("Corner Coffee\n12 Main Street")
        save = dialog.findChild(QWidget, "saveSettingsButton")
        await wait_until(save.isEnabled)
        click(qtbot, save)
        await wait_until(lambda: "Settings saved" in w.window.status_line.text())
        saved = (tmp_path / "config" / "settings.toml").read_text()
        assert "Corner Coffee" in saved
        assert manager.current() is None  # the visit ended with the screen
        assert manager.sign_in(OWNER_PIN).ok
        [entry] = manager.audit_entries(AuditQuery(actions=("settings_change",)))
        assert entry.who == OWNER
        assert "receipt_header" in entry.detail
        assert "Corner Coffee" not in entry.detail  # which fields, never their values


async def test_the_end_of_day_asks_again_when_the_manager_session_ends(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot, manager_tools=True) as w:
        manager = staff(w.manager, cashier=False)
        assert manager.sign_in(OWNER_PIN).ok
        click(qtbot, w.window.findChild(QWidget, "endOfDayButton"))
        report = await wait_until(lambda: find("endOfDayDialog"))
        manager.sign_out()  # as 15 idle minutes would
        pin = await wait_until(lambda: report.findChild(QWidget, "pinDialog"), within=5)
        click(qtbot, pin.findChild(QWidget, "pinCancelButton"))
        tools = w.window.tools
        assert tools is not None
        await wait_until(lambda: tools.report_dialog is None)  # no PIN, no report
        assert find("endOfDayDialog") is None


async def test_a_total_above_the_lanes_limit_needs_a_manager_override(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(
        sandbox.url, tmp_path, qtbot, manager_tools=True, max_amount_cents=1000
    ) as w:
        manager = staff(w.manager)
        window = w.window
        window.cart_model.add_amount(800)
        window.cart_model.add_amount(400)
        assert not window.charge_button.isEnabled()
        assert "limit of $10.00" in window.charge_hint.text()
        assert window.override_button.isVisible()

        click(qtbot, window.override_button)
        pin = await wait_until(lambda: find("pinCancelButton"))
        click(qtbot, pin)  # no PIN: still refused
        await wait_until(lambda: not window.background.running)
        assert not window.charge_button.isEnabled()

        click(qtbot, window.override_button)
        await sign_in_when_asked(qtbot)
        await wait_until(window.charge_button.isEnabled)
        assert not window.override_button.isVisible()
        assert manager.sign_in(OWNER_PIN).ok  # to read the log
        entries = manager.audit_entries(AuditQuery(actions=("override",)))
        assert [e.outcome for e in reversed(entries)] == ["refused", "approved"]
        assert '"amount_cents":1200' in entries[0].detail.replace(" ", "")
        assert json.loads(entries[0].detail)["approved_by"] == OWNER

        window.cart_model.add_amount(100)  # another total needs another override
        assert not window.charge_button.isEnabled()


async def test_the_staff_screen_opens_for_the_owner_from_the_top_bar(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot, manager_tools=True) as w:
        staff(w.manager)
        click(qtbot, w.window.findChild(QWidget, "staffButton"))
        await sign_in_when_asked(qtbot)  # the owner signs in over the cashier
        dialog = await wait_until(lambda: find("staffDialog"))
        assert dialog.table.rowCount() == 2
        dialog.reject()
        tools = w.window.tools
        assert tools is not None
        await wait_until(lambda: tools.staff_dialog is None)
