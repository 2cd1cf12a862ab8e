"""The refund dialog asks for one valid refund request, once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from pytestqt.qtbot import QtBot

from pos_app.services.ports import PaymentDetails, Readiness, TerminalInfo
from pos_app.services.refunds import RefundMode, RefundRequest
from pos_app.ui.refund_dialog import RefundDialog
from tests.support.accessibility import announcements
from tests.support.gui import wait_until

NOW = datetime(2025, 3, 14, 15, 0, tzinfo=UTC)
TERMINALS = [
    TerminalInfo("trm_1", "Counter 1", Readiness.CONNECTED),
    TerminalInfo("trm_2", "Counter 2", Readiness.CONNECTED),
    TerminalInfo("trm_3", "Back office", Readiness.OFFLINE),
]


def payment(
    *,
    amount: int = 2500,
    refundable: int = 2500,
    age: timedelta = timedelta(minutes=5),
    status: str = "succeeded",
) -> PaymentDetails:
    return PaymentDetails(
        payment_id="py_1",
        sale_id="pi_1",
        amount_cents=amount,
        refundable_cents=refundable,
        status=status,
        created_at=NOW - age,
        terminal_id="trm_1",
        card_brand="Visa",
        card_last4="4242",
    )


def make_dialog(qtbot: QtBot, details: PaymentDetails, **kwargs: object) -> RefundDialog:
    dialog = RefundDialog(details, TERMINALS, now=lambda: NOW, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


async def test_shows_the_payment_and_prefills_the_refundable_amount(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, payment(amount=2500, refundable=1500))
    assert "$25.00" in dialog.paid_label.text()
    assert "Visa ending 4242" in dialog.paid_label.text()
    assert dialog.refundable_label.text() == "Can be refunded: $15.00"
    assert dialog.amount_edit.text() == "15.00"
    assert dialog.terminal_radio.isChecked()
    assert dialog.terminal_combo.currentData() == "trm_1"
    model = dialog.terminal_combo.model()
    assert isinstance(model, QStandardItemModel)
    assert not model.item(2).isEnabled()  # offline
    assert dialog.confirm_button.isEnabled()
    assert dialog.confirm_button.text() == "Refund $15.00"


async def test_an_amount_above_the_refundable_is_refused_inline(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, payment(refundable=1500))
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    dialog.amount_edit.setText("15.01")
    assert not dialog.confirm_button.isEnabled()
    assert dialog.amount_hint.isVisible()
    assert dialog.amount_hint.text() == "At most $15.00 can be refunded on this payment."
    dialog.amount_edit.setText("0")
    assert not dialog.confirm_button.isEnabled()
    assert dialog.amount_hint.text().startswith("The amount can't be zero")
    dialog.amount_edit.setText("abc")
    assert not dialog.confirm_button.isEnabled()
    dialog.amount_edit.setText("0.01")  # a one-cent refund is fine
    assert dialog.confirm_button.isEnabled()
    assert not dialog.amount_hint.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert await ask is None


async def test_void_is_offered_only_for_a_young_untouched_payment(qtbot: QtBot) -> None:
    young = make_dialog(qtbot, payment(age=timedelta(minutes=24)))
    assert young.void_radio.isEnabled()
    old = make_dialog(qtbot, payment(age=timedelta(minutes=26)))
    assert not old.void_radio.isEnabled()
    assert "25 minutes" in old.void_radio.toolTip()
    touched = make_dialog(qtbot, payment(refundable=1000))
    assert not touched.void_radio.isEnabled()
    pending = make_dialog(qtbot, payment(status="pending"))
    assert not pending.void_radio.isEnabled()


async def test_void_takes_the_whole_amount(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, payment())
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    dialog.amount_edit.setText("3.00")
    dialog.void_radio.click()
    assert not dialog.amount_edit.isEnabled()
    assert dialog.confirm_button.text() == "Void $25.00"
    dialog.confirm_button.click()
    request = await ask
    assert request is not None
    assert (request.mode, request.amount_cents, request.terminal_id) == (
        RefundMode.VOID,
        2500,
        None,
    )


async def test_a_double_press_yields_one_request(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, payment())
    requests: list[RefundRequest | None] = []
    dialog.accepted.connect(lambda: requests.append(dialog.request))
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    dialog.amount_edit.setText("10")
    qtbot.mouseDClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    dialog.confirm_button.click()
    request = await ask
    assert not dialog.confirm_button.isEnabled()
    assert len(requests) == 1
    assert request == requests[0]
    assert request is not None
    assert request.amount_cents == 1000


async def test_mode_terminal_and_reason_are_returned(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, payment())
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    dialog.amount_edit.setText("$7.25")
    dialog.terminal_combo.setCurrentIndex(1)
    dialog.confirm_button.click()
    assert await ask == RefundRequest(RefundMode.TERMINAL, 725, "trm_2", "customer_request")

    card = make_dialog(qtbot, payment())
    ask = asyncio.ensure_future(card.ask())
    await wait_until(card.isVisible)
    card.card_radio.click()
    assert not card.terminal_combo.isEnabled()
    card.reason_combo.setCurrentIndex(card.reason_combo.findData("duplicate"))
    qtbot.keyClick(card.amount_edit, Qt.Key.Key_Return)  # Enter confirms
    assert await ask == RefundRequest(RefundMode.CARD, 2500, None, "duplicate")


async def test_without_a_ready_terminal_or_terminal_refunds_the_card_is_chosen(
    qtbot: QtBot,
) -> None:
    dialog = make_dialog(qtbot, payment(), terminal_refunds=False)
    assert not dialog.terminal_radio.isEnabled()
    assert dialog.card_radio.isChecked()
    assert dialog.confirm_button.isEnabled()

    offline = RefundDialog(
        payment(), [TerminalInfo("trm_3", "Back office", Readiness.OFFLINE)], now=lambda: NOW
    )
    qtbot.addWidget(offline)
    assert offline.card_radio.isChecked()
    offline.terminal_radio.click()
    assert not offline.confirm_button.isEnabled()
    assert offline.mode_hint.text()


async def test_a_screen_reader_hears_why_the_refund_is_refused(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, payment(refundable=1500))
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    with announcements() as heard:
        dialog.amount_edit.setText("15.01")
        dialog.amount_edit.setText("15.02")  # the same reason: said once
    assert [(a.message, a.assertive, a.source) for a in heard] == [
        ("At most $15.00 can be refunded on this payment.", False, "refundDialog")
    ]
    dialog.reject()
    assert await ask is None
