"""Refunds of a split sale go back by tender, at the till wired as the app wires it.

A sale paid $10.00 in cash and $24.00 by card: "Refund last sale..." asks which
tender goes back. The cash part is refunded from the drawer with the owner's
approval (the drawer opens, the receipt is offered, the history shows the cash
refund and the whole sale); a cash refund over what is left is refused with a
sentence; the card part goes on to the card refund dialog; without a shift the
cash cannot go back and the chooser says so. A card part approved with money
still owing ends on "Continue", not "New sale".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from pos_app.domain.receipt import ReceiptKind, render_text
from pos_app.domain.tender import TenderKind
from pos_app.domain.tickets import CashMovementKind
from pos_app.services.audit_log import AuditAction, AuditQuery
from pos_app.services.ports import HistoryQuery
from pos_app.ui.history_window import HistoryWindow
from pos_app.ui.manager_tools import ManagerTools
from pos_app.ui.tender_refund import TenderRefundDialog
from tests.support.gui import wait_until
from tests.support.sandbox import SandboxHandle
from tests.support.staff_screens import OWNER
from tests.support.till import TERMINAL, Till, click, find, open_shift, open_till, take_cash


async def split_sale(qtbot: Any, till: Till, sandbox: SandboxHandle) -> str:
    """$34.00: $10.00 in cash, then the $24.00 balance on a Visa. The ticket's id."""
    window = till.window
    window.cart_model.add_amount(3400)
    await take_cash(qtbot, till, "quickNote1000")
    click(qtbot, window.charge_button)
    await till.wait_dialog_state("waiting")
    sandbox.present(TERMINAL, card="visa")
    await till.wait_dialog_state("approved")
    assert find("newSaleButton").text() == "New sale"  # the whole balance: the sale is over
    click(qtbot, find("newSaleButton"))
    await till.finish_flow()
    shift = till.shift_tools.shifts.current()
    assert shift is not None
    [ticket] = till.lane.journal.shift_tickets(shift.id)
    return ticket.id


def tools_of(till: Till) -> ManagerTools:
    tools = till.window.tools
    assert tools is not None
    return tools


async def chooser(tools: ManagerTools) -> TenderRefundDialog:
    return await wait_until(  # type: ignore[no-any-return]
        lambda: (
            tools.tender_refund_dialog
            if tools.tender_refund_dialog is not None and tools.tender_refund_dialog.isVisible()
            else None
        )
    )


async def test_a_split_sale_refunds_its_cash_then_its_card_by_tender(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_till(sandbox.url, tmp_path, qtbot) as till:
        await open_shift(qtbot, till)
        ticket_id = await split_sale(qtbot, till, sandbox)
        till.drawer.shut()
        tools = tools_of(till)

        # Refund last sale: the owner is signed in (approved), the chooser lists both parts.
        click(qtbot, till.window.refund_button)
        dialog = await chooser(tools)
        parts = dialog.parts_list
        assert [parts.item(i).text() for i in range(parts.count())] == [
            "Cash: paid $10.00, can give back $10.00",
            "Visa \u2022\u2022\u2022\u2022 4242: paid $24.00, can give back $24.00",
        ]
        assert dialog.findChild(QWidget, "tenderRefundApproved").text() == f"Approved by {OWNER}"
        dialog.select_tender(TenderKind.CASH)
        amount = dialog.amount_edit
        assert amount.text() == "10.00"
        amount.setText("10.01")  # more than the sale kept: refused with a sentence
        hint = dialog.hint_label
        assert hint.text() == "At most $10.00 in cash can go back on this sale."
        assert not dialog.confirm_button.isEnabled()
        amount.setText("6.00")
        assert hint.isHidden()
        assert dialog.confirm_button.text() == "Give back $6.00 in cash"
        click(qtbot, dialog.confirm_button)
        await wait_until(lambda: not tools.slot.running)

        assert till.drawer.is_open  # the cash came out of the drawer
        assert till.window.status_line.text() == (
            "$6.00 in cash given back from the drawer. Its receipt: Receipt (F9)."
        )
        [movement] = [
            m
            for m in till.lane.journal.cash_movements(ticket_id=ticket_id)
            if m.kind is CashMovementKind.REFUND
        ]
        assert (movement.amount_cents, movement.approved_by) == (600, OWNER)
        offer = till.window.receipt_offer
        assert offer is not None
        assert offer.last is not None
        assert offer.last.kind is ReceiptKind.REFUND
        assert "$6.00" in render_text(offer.last)
        [entry] = till.manager.audit_entries(AuditQuery(actions=(AuditAction.CASH_REFUND.value,)))
        assert entry.subject == ticket_id
        assert till.shift_tools.shifts.expected_cash() == 10000 + 1000 - 600

        # The history: the cash sale and the cash refund are rows; the details are the sale.
        task = tools.slot.start_if_idle(tools.open_history())
        assert task is not None
        await task
        history = tools.history_window
        assert isinstance(history, HistoryWindow)
        model = history.model
        kinds = [model.row_at(i).kind for i in range(model.rowCount())]  # type: ignore[union-attr]
        assert kinds == ["cash_refund", "charge", "cash_sale"]
        history.select_row(0)
        await wait_until(lambda: "Given back by tender" in history.detail.toPlainText())
        detail = history.detail.toPlainText()
        assert "Cash refund of $6.00, Approved" in detail
        assert "Cash: $10.00 ($10.00 handed over, $0.00 change); $6.00 given back, $4.00 left" in (
            detail
        )
        assert "Visa \u2022\u2022\u2022\u2022 4242: $24.00" in detail
        await wait_until(lambda: history.refund_button.isEnabled())

        # The card part from the history: on to the card refund dialog with that payment.
        history.select_row(1)
        await wait_until(lambda: history.refund_button.isEnabled())
        click(qtbot, history.refund_button)
        dialog = await chooser(tools)
        assert dialog.parts_list.item(0).text() == "Cash: paid $10.00, can give back $4.00"
        dialog.select_tender(TenderKind.CARD)
        assert dialog.amount_edit.isHidden()
        click(qtbot, dialog.confirm_button)
        refund = await wait_until(lambda: find("refundDialog"))
        assert "4242" in refund.findChild(QWidget, "refundPaidLabel").text()
        refund.findChild(QWidget, "refundToCardRadio").setChecked(True)
        refund.findChild(QWidget, "refundAmountEdit").setText("24.00")
        click(qtbot, refund.findChild(QWidget, "confirmRefundButton"))
        await till.wait_dialog_state("approved")
        click(qtbot, find("newSaleButton"))
        await wait_until(lambda: not tools.slot.running and not till.window.flow.busy)
        [card_refund] = till.lane.journal.history(HistoryQuery(kinds=("refund",)))
        assert (card_refund.amount_cents, card_refund.ticket_id) == (2400, ticket_id)
        assert card_refund.approved_by == OWNER
        payments = till.window.till.sales.payments(ticket_id)  # type: ignore[union-attr]
        assert [p.refundable_cents for p in payments.parts] == [400, 0]
        history.reject()


async def test_no_shift_no_cash_back_said_plainly(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_till(sandbox.url, tmp_path, qtbot) as till:
        await open_shift(qtbot, till)
        till.window.cart_model.add_amount(1250)
        await take_cash(qtbot, till, "quickNote2000")
        shifts = till.shift_tools.shifts
        await shifts.close_shift(10000 + 1250, person=OWNER)
        tools = tools_of(till)
        task = tools.slot.start_if_idle(tools.open_history())
        assert task is not None
        await task
        history = tools.history_window
        assert isinstance(history, HistoryWindow)
        assert history.model.rowCount() == 1
        history.select_row(0)
        await wait_until(lambda: history.refund_button.isEnabled())
        click(qtbot, history.refund_button)
        dialog = await chooser(tools)
        assert dialog.hint_label.text() == "Open a shift to refund cash from the drawer."
        assert not dialog.confirm_button.isEnabled()
        dialog.reject()
        await wait_until(lambda: not tools.slot.running)
        assert not [
            m for m in till.lane.journal.cash_movements() if m.kind is CashMovementKind.REFUND
        ]
        history.reject()


async def test_a_card_part_with_money_still_owing_ends_on_continue(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_till(sandbox.url, tmp_path, qtbot) as till:
        window = till.window
        await open_shift(qtbot, till)
        window.cart_model.add_amount(3000)
        click(qtbot, window.split_button)
        split = await wait_until(lambda: find("splitDialog"))
        split.entry.clear()
        split.entry.type_digits("1000")
        click(qtbot, split.findChild(QWidget, "splitCardButton"))
        await till.wait_dialog_state("waiting")
        sandbox.present(TERMINAL, card="visa")
        await till.wait_dialog_state("approved")
        button = find("newSaleButton")
        assert button.text() == "Continue"
        dialog = window.flow.dialog
        assert dialog is not None
        note = dialog.view.note_label
        assert note.text() == "Part paid: $20.00 left"
        click(qtbot, button)
        await till.finish_flow()
        assert window.tender_panel.balance_label.text() == "Left to pay $20.00"
        await take_cash(qtbot, till, "quickNote2000")
        assert window.tender_panel.isHidden()
        # The next whole sale on a card ends on New sale again.
        window.cart_model.add_amount(800)
        click(qtbot, window.charge_button)
        await till.wait_dialog_state("waiting")
        sandbox.present(TERMINAL, card="visa")
        await till.wait_dialog_state("approved")
        assert find("newSaleButton").text() == "New sale"
        click(qtbot, find("newSaleButton"))
        await till.finish_flow()
