"""The manager's tools on the till, wired as the app wires them, against the real sandbox:
the receipt after an approval, a refund behind the PIN written to the audit log, the end
of day and the history behind the PIN."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QWidget

from pos_app.services.audit_log import AuditQuery
from pos_app.services.ports import HistoryQuery
from tests.support.gui import wait_until
from tests.support.sandbox import SandboxHandle
from tests.support.window import WindowLane, open_window

PIN = "2580"


def find(name: str) -> Any:
    """A visible top-level widget (or one of its children) by object name."""
    for top in QApplication.topLevelWidgets():
        if top.isVisible() and top.objectName() == name:
            return top
        child = top.findChild(QWidget, name)
        if child is not None and child.isVisible():
            return child
    return None


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


async def test_refund_last_sale_asks_for_the_pin_and_is_audited(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot, manager_tools=True) as w:
        manager = w.manager
        assert manager is not None
        assert manager.set_pin(None, PIN).ok
        manager.sign_out()
        await approve_a_sale(qtbot, w, sandbox)

        click(qtbot, w.window.refund_button)
        await sign_in_when_asked(qtbot)
        dialog = await wait_until(lambda: find("refundDialog"))
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
        details = await w.lane.service.payment_details(sale.payment_id or "")
        assert details.refundable_cents == 1000  # one refund of $5.00, not two
        entries = manager.audit_entries(AuditQuery(subject=sale.payment_id))
        assert [(e.action, e.outcome) for e in reversed(entries)] == [
            ("refund", "requested"),
            ("refund", "approved"),
        ]
        assert '"amount_cents":500' in entries[0].detail.replace(" ", "")
        assert manager.verify_audit().ok


async def test_history_and_end_of_day_need_the_manager(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot, manager_tools=True) as w:
        manager = w.manager
        assert manager is not None
        assert manager.set_pin(None, PIN).ok
        manager.sign_out()
        await approve_a_sale(qtbot, w, sandbox)

        click(qtbot, w.window.findChild(QWidget, "historyButton"))
        await type_pin(qtbot, "1111")
        await wait_until(lambda: "Wrong PIN" in find("pinMessageLabel").text())
        assert find("historyWindow") is None  # a wrong PIN opens nothing
        await type_pin(qtbot, PIN)
        history = await wait_until(lambda: find("historyWindow"))
        await wait_until(lambda: history.model.rowCount() == 1)
        history.reject()

        click(qtbot, w.window.findChild(QWidget, "endOfDayButton"))  # signed in: no PIN
        report = await wait_until(lambda: find("endOfDayDialog"))
        report.reject()
        actions = [e.action for e in manager.audit_entries(AuditQuery())]
        assert "pin_failed" in actions


async def test_settings_are_saved_behind_the_pin_and_audited_without_values(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POS_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    async with open_window(sandbox.url, tmp_path, qtbot, manager_tools=True) as w:
        manager = w.manager
        assert manager is not None
        assert manager.set_pin(None, PIN).ok
        manager.sign_out()
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
        [entry] = manager.audit_entries(AuditQuery(actions=("settings_change",)))
        assert "receipt_header" in entry.detail
        assert "Corner Coffee" not in entry.detail  # which fields, never their values


async def test_the_end_of_day_asks_again_when_the_manager_session_ends(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot, manager_tools=True) as w:
        manager = w.manager
        assert manager is not None
        assert manager.set_pin(None, PIN).ok  # signed in
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
        manager = w.manager
        assert manager is not None
        assert manager.set_pin(None, PIN).ok
        manager.sign_out()
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
        entries = manager.audit_entries(AuditQuery(actions=("override",)))
        assert [e.outcome for e in reversed(entries)] == ["refused", "approved"]
        assert '"amount_cents":1200' in entries[0].detail.replace(" ", "")

        window.cart_model.add_amount(100)  # another total needs another override
        assert not window.charge_button.isEnabled()
