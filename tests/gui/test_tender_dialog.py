"""The tender dialog: cash handed over, quick notes, Exact, change due, parts."""

from __future__ import annotations

import asyncio
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from pos_app.ui.tender_dialog import TenderDialog
from pos_app.ui.tender_panel import TenderPanel
from tests.support.gui import wait_until


def click(qtbot: Any, dialog: TenderDialog, name: str) -> None:
    button = dialog.findChild(QPushButton, name)
    assert button is not None, name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_quick_notes_set_the_amount_and_the_change_shows(qtbot: Any) -> None:
    dialog = TenderDialog()
    qtbot.addWidget(dialog)
    dialog.prepare(1250)
    assert dialog.due_label.text() == "$12.50"
    assert not dialog.take_button.isEnabled()
    click(qtbot, dialog, "quickNote1000")
    click(qtbot, dialog, "quickNote2000")  # a note sets the amount, it does not add
    assert dialog.tendered_label.text() == "$20.00"
    assert dialog.change_label.text() == "Change $7.50"
    assert dialog.take_button.text() == "Take $20.00"
    click(qtbot, dialog, "exactButton")
    assert dialog.tendered_cents == 1250
    assert dialog.change_label.text() == "No change"


def test_less_than_due_is_a_part_and_says_what_is_left(qtbot: Any) -> None:
    dialog = TenderDialog()
    qtbot.addWidget(dialog)
    dialog.prepare(3000)
    click(qtbot, dialog, "quickNote1000")
    assert dialog.take_button.text() == "Take $10.00 - $20.00 left to pay"
    assert dialog.change_label.text() == "$20.00 left to pay"
    assert dialog.change_cents == 0


def test_physical_keys_type_backspace_deletes_and_enter_takes(qtbot: Any) -> None:
    dialog = TenderDialog()
    qtbot.addWidget(dialog)
    dialog.prepare(999)
    dialog.show()
    for key in "1500":
        qtbot.keyClick(dialog, key)
    qtbot.keyClick(dialog, Qt.Key.Key_Backspace)
    assert dialog.tendered_cents == 150
    qtbot.keyClick(dialog, "0")
    assert dialog.change_label.text() == "Change $5.01"
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.result() == dialog.DialogCode.Accepted


async def test_ask_returns_the_cash_or_none_on_escape(qtbot: Any) -> None:
    dialog = TenderDialog()
    qtbot.addWidget(dialog)
    asked = asyncio.ensure_future(dialog.ask(500))
    await wait_until(dialog.isVisible)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert await asked is None
    asked = asyncio.ensure_future(dialog.ask(500))
    await wait_until(dialog.isVisible)
    assert dialog.tendered_cents == 0  # a fresh tender each time
    click(qtbot, dialog, "quickNote500")
    click(qtbot, dialog, "takeCashButton")
    assert await asked == 500


def test_the_panel_lists_parts_declines_and_the_balance(qtbot: Any) -> None:
    from datetime import UTC, datetime

    from pos_app.domain.tender import TenderKind, TenderPart, TicketPayments

    now = datetime(2026, 1, 1, tzinfo=UTC)
    panel = TenderPanel()
    qtbot.addWidget(panel)
    payments = TicketPayments(
        3400,
        (
            TenderPart(TenderKind.CASH, 1000, now, tendered_cents=1000, change_cents=0),
            TenderPart(TenderKind.CARD, 1200, now, card_brand="Visa", card_last4="4242"),
        ),
    )
    panel.show_payments(payments, ["Declined: Visa •••• 0002 $24.00"])
    assert panel.lines() == ["Cash $10.00", "Visa •••• 4242 $12.00"]
    assert panel.balance_label.text() == "Left to pay $12.00"
    assert "Declined" in panel.declined_label.text()
    assert not panel.isHidden()
    panel.clear()
    assert panel.isHidden()
