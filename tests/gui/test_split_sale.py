"""Cash and split tender at the till, wired as the app wires them, against the real sandbox.

The issue's "done when": a split sale (cash, a declined card, another card approved)
completes with every part on its receipt; the shift closes with a short drawer through
the Shift menu, and the Z report's figures match what was rung up.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QLabel, QWidget

from pos_app.domain.receipt import render_text
from pos_app.domain.staff import StaffRole
from pos_app.domain.tickets import TicketStatus
from pos_app.ui.pin_dialog import PinDialog
from tests.support.gui import wait_until
from tests.support.sandbox import SandboxHandle
from tests.support.staff_screens import CASHIER, CASHIER_PIN, OWNER, OWNER_PIN
from tests.support.till import TERMINAL, click, find, open_shift, open_till, take_cash


async def test_cash_needs_a_shift_then_a_cash_sale_completes_and_the_drawer_opens(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_till(sandbox.url, tmp_path, qtbot) as till:
        window = till.window
        window.cart_model.add_amount(1250)
        assert not window.cash_button.isEnabled()
        assert window.cash_button.toolTip() == "Open a shift to take cash."
        await open_shift(qtbot, till)
        assert window.cash_button.isEnabled()
        assert window.cash_button.text() == "Cash $12.50"

        await take_cash(qtbot, till, "quickNote2000")
        assert window.status_line.text() == "Cash taken. Give $7.50 change."
        assert window.cart_model.cart.is_empty  # a new sale
        assert window.tender_panel.isHidden()
        assert till.drawer.is_open
        assert till.drawer.times_opened == 1
        [ticket] = till.lane.journal.shift_tickets(till.shift_tools.shifts.current().id)
        assert ticket.status is TicketStatus.COMPLETE
        assert ticket.total_cents == 1250
        offer = window.receipt_offer
        assert offer is not None
        assert offer.last is not None
        receipt = render_text(offer.last)
        assert "$20.00" in receipt  # handed over
        assert "$7.50" in receipt  # change


async def test_a_split_sale_then_a_short_drawer_at_close(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_till(sandbox.url, tmp_path, qtbot) as till:
        window = till.window
        await open_shift(qtbot, till, "100.00")
        window.cart_model.add_amount(3400)

        # 1. $10.00 in cash: the sale is partly paid, the cart locked.
        await take_cash(qtbot, till, "quickNote1000")
        panel = window.tender_panel
        assert not panel.isHidden()
        assert panel.lines() == ["Cash $10.00"]
        assert panel.balance_label.text() == "Left to pay $24.00"
        assert window.charge_button.text() == "Charge $24.00"
        assert not window.quick_items.isEnabled()
        window.scanner.scanned.emit("0012345678905")  # a coffee scanned: refused
        assert "can no longer change" in window.status_line.text()
        assert window.cart_model.cart.total.cents == 3400

        # 2. Split: $12.00 on a card that is declined; the cash part stands.
        click(qtbot, window.split_button)
        split = await wait_until(lambda: find("splitDialog"))
        assert split.amount_cents == 2400  # it starts at the balance
        split.entry.clear()
        split.entry.type_digits("1200")
        click(qtbot, split.findChild(QWidget, "splitCardButton"))
        await till.wait_dialog_state("waiting")
        sandbox.present("trm_virtual", decline_code="card_declined")
        await till.wait_dialog_state("declined")
        click(qtbot, find("backToSaleButton"))
        await till.finish_flow()
        assert panel.lines() == ["Cash $10.00"]
        assert panel.balance_label.text() == "Left to pay $24.00"
        assert "Declined" in panel.declined_label.text()
        assert "$12.00" in panel.declined_label.text()

        # 3. Charge charges the balance on another card: the sale completes.
        click(qtbot, window.charge_button)
        await till.wait_dialog_state("waiting")
        sandbox.present("trm_virtual", card="visa")
        await till.wait_dialog_state("approved")
        click(qtbot, find("newSaleButton"))
        await till.finish_flow()
        assert panel.isHidden()
        assert window.cart_model.cart.is_empty
        assert window.quick_items.isEnabled()
        shift = till.shift_tools.shifts.current()
        assert shift is not None
        [ticket] = till.lane.journal.shift_tickets(shift.id)
        assert ticket.status is TicketStatus.COMPLETE
        offer = window.receipt_offer
        assert offer is not None
        assert offer.last is not None
        receipt = render_text(offer.last)
        assert "Cash" in receipt
        assert "4242" in receipt
        assert "$24.00" in receipt
        assert "$34.00" in receipt

        # 4. Close the shift with the drawer $5.00 short: the Z report says so.
        tools = till.shift_tools
        task = tools.slot.start_if_idle(tools.close_shift())
        close = await wait_until(lambda: find("shiftCloseDialog"))
        close.count.set_by_denomination(False)
        close.count.total_edit.setText("105.00")
        click(qtbot, close.findChild(QWidget, "closeShiftButton"))
        view = await wait_until(lambda: tools.report_view)
        report = view.report
        assert report.kind.value == "z"
        assert report.sales_by_tender["cash"].cents == 1000
        assert report.sales_by_tender["card"].cents == 2400
        assert report.tickets == 1
        assert report.expected_cash_cents == 11000
        assert report.counted_cents == 10500
        assert report.over_short_cents == -500
        view.reject()
        assert task is not None
        await task
        assert tools.shifts.current() is None
        assert not window.cash_button.isEnabled()  # no shift: no cash


async def test_cancel_a_partly_paid_sale_gives_back_cash_and_voids_the_card(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_till(sandbox.url, tmp_path, qtbot) as till:
        window = till.window
        await open_shift(qtbot, till)
        window.cart_model.add_amount(3000)
        await take_cash(qtbot, till, "quickNote500")
        click(qtbot, window.split_button)
        split = await wait_until(lambda: find("splitDialog"))
        split.entry.clear()
        split.entry.type_digits("1000")
        click(qtbot, split.findChild(QWidget, "splitCardButton"))
        await till.wait_dialog_state("waiting")
        sandbox.present(TERMINAL, card="visa")
        await till.wait_dialog_state("approved")
        click(qtbot, find("newSaleButton"))
        await till.finish_flow()
        assert window.tender_panel.lines() == ["Cash $5.00", "Visa •••• 4242 $10.00"]
        till.drawer.shut()

        click(qtbot, window.tender_panel.cancel_button)  # the owner is signed in: approved
        await till.wait_dialog_state("approved")  # the card part's void
        click(qtbot, find("newSaleButton"))
        await till.finish_flow()
        assert window.status_line.text() == "Sale cancelled. $5.00 cash to give back."
        assert window.tender_panel.isHidden()
        assert window.cart_model.cart.is_empty
        assert till.drawer.is_open  # the cash goes back from the drawer
        shift = till.shift_tools.shifts.current()
        assert shift is not None
        [ticket] = till.lane.journal.shift_tickets(shift.id)
        assert ticket.status is TicketStatus.CANCELLED
        assert ticket.cancelled_by == OWNER
        assert till.shift_tools.shifts.expected_cash() == 10000  # the float alone


async def test_a_partly_paid_sale_comes_back_after_a_restart(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_till(sandbox.url, tmp_path / "first", qtbot) as till:
        await open_shift(qtbot, till)
        till.window.cart_model.add_amount(2000)
        await take_cash(qtbot, till, "quickNote500")
        assert till.window.tender_panel.lines() == ["Cash $5.00"]
    # The same journal, a new window: the sale is on the panel with its balance.
    (tmp_path / "second").mkdir()
    for name in ("journal.sqlite3", "audit.sqlite3"):
        for path in (tmp_path / "first").glob(f"{name}*"):
            path.rename(tmp_path / "second" / path.name)
    async with open_till(sandbox.url, tmp_path / "second", qtbot, owner=False) as till:
        window = till.window
        assert window.tender_panel.lines() == ["Cash $5.00"]
        assert window.tender_panel.balance_label.text() == "Left to pay $15.00"
        assert window.charge_button.text() == "Charge $15.00"
        assert "partly paid" in window.status_line.text()
        await take_cash(qtbot, till, "quickNote2000")
        assert window.status_line.text() == "Cash taken. Give $5.00 change."
        assert window.tender_panel.isHidden()


async def test_a_declined_first_card_leaves_the_sale_free_to_change(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_till(sandbox.url, tmp_path, qtbot) as till:
        window = till.window
        window.cart_model.add_amount(1500)
        click(qtbot, window.charge_button)
        await till.wait_dialog_state("waiting")
        sandbox.present(TERMINAL, decline_code="card_declined")
        await till.wait_dialog_state("declined")
        click(qtbot, find("backToSaleButton"))
        await till.finish_flow()
        first = till.window.till
        assert first is not None
        assert first.ticket is not None  # journaled, nothing paid
        assert window.quick_items.isEnabled()
        assert window.tender_panel.isHidden()
        window.scanner.scanned.emit("0012345678905")  # a coffee: the sale changed
        assert window.cart_model.cart.total.cents == 1750
        assert first.ticket is None
        giving_up = first.housekeeping.task
        assert giving_up is not None
        await giving_up
        given_up = till.lane.journal.tickets_between(
            datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1)
        )
        assert [t.status for t in given_up] == [TicketStatus.CANCELLED]
        click(qtbot, window.charge_button)  # a new ticket with the coffee
        await till.wait_dialog_state("waiting")
        sandbox.present(TERMINAL, card="visa")
        await till.wait_dialog_state("approved")
        click(qtbot, find("newSaleButton"))
        await till.finish_flow()
        tickets = till.lane.journal.tickets_between(
            datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC) + timedelta(hours=1)
        )
        assert sorted((t.status.value, t.total_cents) for t in tickets) == [
            ("cancelled", 1500),
            ("complete", 1750),
        ]


async def test_cancel_at_a_cashiers_till_asks_a_manager_for_it(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_till(sandbox.url, tmp_path, qtbot, owner=False) as till:
        window, manager = till.window, till.manager
        manager.create_owner(OWNER, OWNER_PIN)
        owner = manager.current()
        assert owner is not None
        manager.add_person(CASHIER, StaffRole.CASHIER, CASHIER_PIN, by=owner)
        manager.sign_out()
        assert manager.sign_in(CASHIER_PIN, CASHIER).ok
        await open_shift(qtbot, till)
        window.cart_model.add_amount(2000)
        await take_cash(qtbot, till, "quickNote500")

        click(qtbot, window.tender_panel.cancel_button)
        pin = await wait_until(lambda: find("pinDialog"))
        assert isinstance(pin, PinDialog)
        prompts = [label.text() for label in pin.findChildren(QLabel)]
        assert any("Cancelling a partly paid sale" in line for line in prompts), prompts
        pin.choose(OWNER)
        for digit in OWNER_PIN:
            pin.digit_buttons[digit].click()
        pin.ok_button.click()
        await till.finish_flow()
        assert window.status_line.text() == "Sale cancelled. $5.00 cash to give back."
        shift = till.shift_tools.shifts.current()
        assert shift is not None
        [ticket] = till.lane.journal.shift_tickets(shift.id)
        assert (ticket.status, ticket.served_by, ticket.cancelled_by) == (
            TicketStatus.CANCELLED,
            CASHIER,
            OWNER,
        )
        current = manager.current()
        assert current is not None
        assert current.name == CASHIER  # the owner approved; the cashier works on


async def test_closing_the_till_closes_an_open_shift_count(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_till(sandbox.url, tmp_path, qtbot) as till:
        await open_shift(qtbot, till)
        tools = till.shift_tools
        task = tools.slot.start_if_idle(tools.close_shift())
        close = await wait_until(lambda: find("shiftCloseDialog"))

        till.window.close()

        await wait_until(lambda: not close.isVisible())
        assert task is not None
        await asyncio.gather(task, return_exceptions=True)
        assert tools.shifts.current() is not None  # the count was left: nothing closed
