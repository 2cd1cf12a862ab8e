"""Every lane's history and refunding a sale item by item.

The item dialog (no server): the refund follows the - and + (by finger or key),
capped at what the sale can give back; units already back are not offered.
The history on a lane in a store (a fake store view, no server): the scope
offers This lane, All lanes and each lane; the store's rows carry their lane;
a row of another lane shows its sale's lines from the store and cannot be
reprinted here; an unreachable store is one sentence. On the sandbox: lane-1
refunds two items of lane-2's card sale against lane-2's payment, journaled
on lane-1 with the items in its description and lane-2's sale as its ticket;
the next item refund offers only what is left; and when lane-2 refunds in
the meantime, JustiFi refuses and its sentence is shown.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from pos_app.domain.cart import Cart
from pos_app.domain.discount import Discount, DiscountKind
from pos_app.domain.payment_flow import PaymentKind, StateName
from pos_app.domain.receipt import render_text
from pos_app.domain.tender import TenderKind
from pos_app.domain.tickets import CashMovementKind, Ticket, TicketStatus
from pos_app.services.audit_log import AuditAction, AuditQuery
from pos_app.services.history import HistoryService
from pos_app.services.manager import ManagerService
from pos_app.services.ports import HistoryQuery, Operation, PaymentDetails
from pos_app.services.store_view import StoreViewService
from pos_app.storage.audit import SqliteAuditLog
from pos_app.storage.journal import SqliteJournal
from pos_app.ui.history_model import HistoryColumn
from pos_app.ui.history_window import THIS_LANE, HistoryWindow
from pos_app.ui.item_refund_dialog import ItemRefundDialog
from pos_app.ui.manager_tools import ManagerTools
from tests.support.fake_store_view import FakeStoreView
from tests.support.gui import find, wait_until
from tests.support.lanes import TEST_ENGINE, collect, lane
from tests.support.manager import FAST_SCRYPT
from tests.support.sandbox import SandboxHandle
from tests.support.staff_screens import OWNER
from tests.support.till import TERMINAL, click, open_shift, open_till, take_cash

NOW = datetime.now(UTC) - timedelta(minutes=5)


def three_lines(ticket_id: str = "ticket-lane-2", lane_name: str = "lane-2") -> Ticket:
    """2 x Coffee $3.50, 1 x Muffin $2.99 ($0.50 off), 3 x Cookie $1.25; 10% off the
    sale; tax 8.25%: $12.90 (lines worth $6.82, $2.42 and $3.66)."""
    cart = Cart(tax_rate_bps=825).add_line("Coffee", 350, 2, item_code="C")
    cart = cart.add_line("Muffin", 299, 1, item_code="M")
    dent = Discount(DiscountKind.AMOUNT, 50, "dent")
    cart = cart.with_line_discount(cart.lines[-1].line_id, dent)
    cart = cart.add_line("Cookie", 125, 3, item_code="K")
    cart = cart.with_discount(Discount(DiscountKind.PERCENT, 1_000, "regular"))
    return Ticket(
        id=ticket_id,
        lane=lane_name,
        status=TicketStatus.COMPLETE,
        lines=cart.ticket_lines(),
        subtotal_cents=cart.subtotal.cents,
        sale_discount_cents=cart.sale_discount.cents,
        tax_cents=cart.tax.cents,
        total_cents=cart.total.cents,
        created_at=NOW,
        updated_at=NOW,
        sale_discount_reason="regular",
        served_by="Bea",
    )


def charge_of(ticket: Ticket, payment_id: str = "py_lane2") -> Operation:
    return Operation(
        id="op-lane-2",
        kind=PaymentKind.CHARGE,
        amount_cents=ticket.total_cents,
        status="approved",
        flow="payment_intent",
        terminal_id="trm_side",
        description="Sale",
        lane=ticket.lane,
        sale_id="pi_lane2",
        payment_id=payment_id,
        card_brand="Visa",
        card_last4="4242",
        served_by="Bea",
        ticket_id=ticket.id,
        created_at=ticket.created_at,
        updated_at=ticket.created_at,
    )


# -- the item dialog ------------------------------------------------------------------------

LESS, REFUND, MORE, WORTH = 3, 4, 5, 6  # the dialog's columns


def press_cell(qtbot: Any, dialog: ItemRefundDialog, row: int, column: int) -> None:
    """A finger on one cell of the dialog's table."""
    item = dialog.table.item(row, column)
    assert item is not None
    where = dialog.table.visualItemRect(item).center()
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=where)


async def test_the_refund_follows_the_steps_and_stops_at_what_is_left(
    qtbot: Any, tmp_path: Path
) -> None:
    ticket = three_lines()
    dialog = ItemRefundDialog(ticket, already={3: 1}, refundable_cents=1000, approved_by=OWNER)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.sale_label.text().startswith("Sale of $12.90 on lane-2")
    assert [dialog.maximums[n] for n in (1, 2, 3)] == [2, 1, 2]  # one cookie back
    assert dialog.table.item(2, 2).text() == "1"
    assert not dialog.confirm_button.isEnabled()  # nothing chosen yet
    press_cell(qtbot, dialog, 0, MORE)  # finger-sized + and -
    for _ in range(3):
        press_cell(qtbot, dialog, 2, MORE)  # stops at the 2 left
    press_cell(qtbot, dialog, 1, LESS)  # stays at 0
    assert dialog.table.item(2, REFUND).text() == "2"
    assert dialog.chosen == {1: 1, 3: 2}
    # A coffee: half of $6.82; the last two cookies: $3.66 less the $1.22 already back.
    assert dialog.table.item(0, WORTH).text() == "$3.41"
    assert dialog.table.item(2, WORTH).text() == "$2.44"
    assert dialog.amount_label.text() == "Refund: $5.85"
    assert dialog.confirm_button.text() == "Continue with $5.85"
    assert dialog.hint_label.isHidden()
    dialog.choose_all()  # $12.90 less the cookie: more than the $10.00 the sale has left
    assert dialog.amount_label.text() == "Refund: $10.00"
    assert dialog.hint_label.text() == (
        "The items are worth $11.68, but the sale can give back only $10.00: $10.00 is refunded."
    )
    dialog.grab().save(str(tmp_path / "item_refund_dialog.png"))
    click(qtbot, dialog.findChild(QWidget, "itemRefundNoneButton"))
    dialog.table.setCurrentCell(1, 0)  # the keyboard: + on the muffin's row, then 0 and 1
    qtbot.keyClick(dialog.table, Qt.Key.Key_Plus)
    assert dialog.chosen == {2: 1}
    qtbot.keyClick(dialog.table, Qt.Key.Key_0)
    assert dialog.chosen == {}
    qtbot.keyClick(dialog.table, Qt.Key.Key_9)  # at most the one sold
    click(qtbot, dialog.confirm_button)
    refund = dialog.result_refund
    assert refund is not None
    assert (refund.amount_cents, refund.description()) == (242, "Items: 1 x Muffin [#2x1]")


async def test_a_sale_with_every_item_back_offers_nothing(qtbot: Any) -> None:
    dialog = ItemRefundDialog(three_lines(), already={1: 2, 2: 1, 3: 3}, refundable_cents=500)
    qtbot.addWidget(dialog)
    dialog.choose_all()
    assert dialog.hint_label.text() == "Every item of this sale has been refunded."
    assert not dialog.confirm_button.isEnabled()


# -- the history in a store (no server) -----------------------------------------------------


def manager_on(tmp_path: Path, lane_name: str) -> ManagerService:
    audit = SqliteAuditLog(tmp_path / "audit.sqlite3")
    manager = ManagerService(audit, audit, lane=lane_name, scrypt=FAST_SCRYPT)
    manager.create_owner(OWNER, "258025")
    return manager


async def test_all_lanes_shows_the_stores_rows_and_another_lanes_sale(
    qtbot: Any, tmp_path: Path
) -> None:
    ticket = three_lines()
    charge = charge_of(ticket)
    store = FakeStoreView([charge], {ticket.id: ticket}, lanes=["lane-1", "lane-2"])
    journal = SqliteJournal(tmp_path / "journal.sqlite3")

    async def details(ref: str) -> PaymentDetails:
        assert ref == "py_lane2"
        return PaymentDetails("py_lane2", "pi_lane2", 1290, 1290, "succeeded", NOW)

    service = HistoryService(journal, None, details)
    window = HistoryWindow(
        service,
        manager_on(tmp_path, "lane-1"),
        search_pause_ms=1,
        store_view=StoreViewService(store, None),
    )
    qtbot.addWidget(window)
    window.show()
    window.search()
    window.load_lanes()
    scope = window.findChild(QWidget, "historyScope")
    assert scope is window.scope_combo
    assert scope.isVisible()
    await wait_until(lambda: window.scope_combo.count() == 4)
    assert [window.scope_combo.itemText(i) for i in range(4)] == [
        "This lane",
        "All lanes",
        "Lane lane-1",
        "Lane lane-2",
    ]
    assert window.model.rowCount() == 0  # this lane's journal is empty

    window.set_scope("")
    await wait_until(lambda: window.model.rowCount() == 1)
    index = window.model.index(0, HistoryColumn.LANE)
    assert window.model.data(index) == "lane-2"
    assert window.count_label.text() == "1 shown from the store (All lanes)"
    window.select_row(0)
    await wait_until(lambda: window.refund_items_button.isEnabled())
    detail = window.detail.toPlainText()
    assert "2 x Coffee: $7.00" in detail
    assert "1 x Muffin: $2.49 ($0.50 off: dent)" in detail
    assert "Discount on the sale: $1.32 (regular)" in detail
    assert "Recorded, preparing" not in detail  # its step, from the store: approved
    assert window.refund_button.isEnabled()  # its card, by its payment
    assert not window.reprint_button.isEnabled()  # its receipt is lane-2's
    window.resize(1280, 720)
    window.grab().save(str(tmp_path / "history_all_lanes.png"))

    seen: list[object] = []
    window.refund_items_requested.connect(seen.append)
    click(qtbot, window.refund_items_button)
    [target] = seen
    assert target.ticket == ticket  # type: ignore[attr-defined]
    assert target.refundable_cents == 1290  # type: ignore[attr-defined]
    assert not target.this_lane  # type: ignore[attr-defined]

    window.set_scope("lane-1")
    await wait_until(lambda: window.count_label.text().startswith("0 shown from the store"))
    window.set_scope("lane-2")
    await wait_until(lambda: window.model.rowCount() == 1)
    window.select_row(0)
    await wait_until(lambda: window.refund_items_button.isEnabled())
    store.down = True  # the store goes away: what this lane knows, and a sentence
    window.refresh_selected()
    await wait_until(lambda: "what this lane knows" in window.detail.toPlainText())
    assert "2 x Coffee" not in window.detail.toPlainText()
    assert not window.refund_items_button.isEnabled()
    assert window.refund_button.isEnabled()  # its card, by its payment, from JustiFi
    window.set_scope("")
    await wait_until(lambda: "cannot be reached" in window.count_label.text())
    assert window.count_label.text() == (
        "The store cannot be reached (the store's database at store.local cannot be "
        "reached); 'This lane' still shows this lane's sales."
    )
    window.set_scope(THIS_LANE)
    assert window.model.rowCount() == 0
    assert not window.model.showing_store
    window.close()
    journal.close()


async def test_the_stores_rows_page_as_the_table_scrolls_and_filter_by_lane(
    qtbot: Any, tmp_path: Path
) -> None:
    ops = [
        dataclasses.replace(
            charge_of(three_lines()),
            id=f"op-{n:03d}",
            lane=f"lane-{1 + n % 2}",
            payment_id=f"py_{n:03d}",
            ticket_id=None,
            created_at=NOW - timedelta(minutes=n),
        )
        for n in range(250)
    ]
    store = FakeStoreView(ops, lanes=["lane-1", "lane-2"])
    journal = SqliteJournal(tmp_path / "journal.sqlite3")

    async def details(_ref: str) -> PaymentDetails:
        raise AssertionError("not asked")

    window = HistoryWindow(
        HistoryService(journal, None, details),
        manager_on(tmp_path, "lane-1"),
        search_pause_ms=1,
        store_view=StoreViewService(store, None),
    )
    qtbot.addWidget(window)
    window.show()
    window.set_scope("")
    await wait_until(lambda: window.model.rowCount() == 200)
    assert window.count_label.text() == "200 shown from the store (All lanes) (scroll for more)"
    window.table.scrollToBottom()  # Qt asks for more at the end
    await wait_until(lambda: window.model.rowCount() == 250)
    assert not window.model.canFetchMore()
    ids = [window.model.row_at(i).id for i in range(250)]  # type: ignore[union-attr]
    assert ids == [f"op-{n:03d}" for n in range(250)]  # newest first, each once
    window.set_scope("lane-2")
    await wait_until(lambda: window.count_label.text().startswith("125 shown"))
    lanes = {window.model.row_at(i).lane for i in range(125)}  # type: ignore[union-attr]
    assert lanes == {"lane-2"}
    window.close()
    journal.close()


async def test_a_lane_on_its_own_has_no_scope(qtbot: Any, tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "journal.sqlite3")

    async def details(_ref: str) -> PaymentDetails:
        raise AssertionError("not asked")

    window = HistoryWindow(HistoryService(journal, None, details), manager_on(tmp_path, "l"))
    qtbot.addWidget(window)
    window.show()
    assert window.scope_combo.isHidden()
    assert window.findChild(QWidget, "historyScope") is None
    assert not window.refund_items_button.isEnabled()
    window.close()
    journal.close()


# -- on the sandbox: another lane's sale, refunded here item by item -------------------------


def tools_of(window: Any) -> ManagerTools:
    tools = window.tools
    assert isinstance(tools, ManagerTools)
    return tools


async def item_dialog(tools: ManagerTools) -> ItemRefundDialog:
    found = await wait_until(
        lambda: (
            tools.item_refund_dialog
            if tools.item_refund_dialog is not None and tools.item_refund_dialog.isVisible()
            else None
        )
    )
    assert isinstance(found, ItemRefundDialog)
    return found


async def test_lane_1_refunds_items_of_a_lane_2_sale_and_justifi_arbitrates(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    lane_2 = dataclasses.replace(TEST_ENGINE, lane="lane-2")
    async with lane(sandbox.url, tmp_path / "lane-2.sqlite3", engine=lane_2) as other:
        ticket = three_lines()
        run = await other.service.charge(1290, "trm_side", "Sale", ticket_id=ticket.id)
        assert (await collect(run))[-1].name is StateName.APPROVED
        [charge] = other.journal.history(HistoryQuery())
        assert charge.payment_id is not None
        store = FakeStoreView([charge], {ticket.id: ticket}, lanes=["lane-1", "lane-2"])

        async with open_till(sandbox.url, tmp_path / "lane-1", qtbot, lane_name="lane-1") as till:
            tools = tools_of(till.window)
            tools.store_view = StoreViewService(store, None)
            task = tools.slot.start_if_idle(tools.open_history())
            assert task is not None
            await task
            history = tools.history_window
            assert isinstance(history, HistoryWindow)
            history.set_scope("")
            await wait_until(lambda: history.model.rowCount() == 1)
            history.select_row(0)
            await wait_until(lambda: history.refund_items_button.isEnabled())

            # Two items: a coffee and two cookies, $5.85, to the card of lane-2's payment.
            click(qtbot, history.refund_items_button)
            dialog = await item_dialog(tools)
            dialog.set_quantity(1, 1)
            dialog.set_quantity(3, 2)
            click(qtbot, dialog.confirm_button)
            refund = await wait_until(lambda: find("refundDialog"))
            amount = refund.findChild(QWidget, "refundAmountEdit")
            assert (amount.text(), amount.isReadOnly()) == ("5.85", True)
            items = refund.findChild(QWidget, "refundItemsLabel")
            assert items.text() == "Items coming back: 1 x Coffee, 2 x Cookie"
            assert not refund.findChild(QWidget, "voidRadio").isEnabled()
            refund.findChild(QWidget, "refundToCardRadio").setChecked(True)
            refund.grab().save(str(tmp_path / "refund_items_card.png"))
            click(qtbot, refund.findChild(QWidget, "confirmRefundButton"))
            await till.wait_dialog_state("approved")
            click(qtbot, find("newSaleButton"))
            await wait_until(lambda: not tools.slot.running and not till.window.flow.busy)

            [back] = till.lane.journal.history(HistoryQuery(kinds=("refund",)))
            assert (back.amount_cents, back.status, back.lane) == (585, "approved", "lane-1")
            assert back.payment_id == charge.payment_id
            assert back.ticket_id == ticket.id  # lane-2's sale: the store shows it there
            assert back.description == "Items: 1 x Coffee, 2 x Cookie [#1x1 #3x2]"
            assert back.approved_by == OWNER
            sent, done = till.manager.audit_entries(AuditQuery(actions=(AuditAction.REFUND.value,)))
            assert (sent.outcome, done.outcome) == ("approved", "requested")
            assert "1 x Coffee, 2 x Cookie" in (sent.detail or "")
            details = await other.service.payment_details(charge.payment_id)
            assert details.refundable_cents == 1290 - 585
            # This lane's own screens take a refund of another lane's sale as they are.
            offer = till.window.receipt_offer
            assert offer is not None
            receipt = offer.receipts.receipt(back.id)
            assert receipt is not None
            assert "$5.85" in render_text(receipt)
            assert tools.reports is not None
            report = await tools.reports.day_report(datetime.now().astimezone().date())
            assert report.lanes_seen == ("lane-1",)

            # Again: what came back (this lane's refund, before the store has it) is not
            # offered; lane-2 then refunds $2.00 itself while lane-1's dialog is open, and
            # JustiFi refuses lane-1's refund of the rest, in its own words.
            history.select_row(0)
            await wait_until(lambda: history.refund_items_button.isEnabled())
            click(qtbot, history.refund_items_button)
            dialog = await item_dialog(tools)
            assert [dialog.maximums[n] for n in (1, 2, 3)] == [1, 1, 1]
            dialog.choose_all()
            assert dialog.amount_label.text() == "Refund: $7.05"
            click(qtbot, dialog.confirm_button)
            refund = await wait_until(lambda: find("refundDialog"))
            assert refund.findChild(QWidget, "refundAmountEdit").text() == "7.05"
            refund.findChild(QWidget, "refundToCardRadio").setChecked(True)
            elsewhere = await other.service.refund_to_card(details, 200)
            assert (await collect(elsewhere))[-1].name is StateName.APPROVED
            click(qtbot, refund.findChild(QWidget, "confirmRefundButton"))
            await till.wait_dialog_state("declined")
            status = till.window.flow.dialog.view.status_label.text()  # type: ignore[union-attr]
            assert "The refund is more than what is left on this payment." in status
            for name in ("backToSaleButton", "newSaleButton"):
                button = find(name)
                if button is not None and button.isVisible():
                    click(qtbot, button)
                    break
            await wait_until(lambda: not tools.slot.running and not till.window.flow.busy)
            refunds = till.lane.journal.history(HistoryQuery(kinds=("refund",)))
            assert sorted(op.status for op in refunds) == ["approved", "declined"]
            history.reject()


async def test_this_lanes_split_sale_gives_an_items_cash_back_from_the_drawer(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_till(sandbox.url, tmp_path, qtbot) as till:
        window = till.window
        await open_shift(qtbot, till)
        window.cart_model.add_amount(2000)
        window.cart_model.add_amount(1400)  # two lines: $20.00 and $14.00
        await take_cash(qtbot, till, "quickNote1000")
        click(qtbot, window.charge_button)
        await till.wait_dialog_state("waiting")
        sandbox.present(TERMINAL, card="visa")
        await till.wait_dialog_state("approved")
        click(qtbot, find("newSaleButton"))
        await till.finish_flow()
        tools = tools_of(window)
        task = tools.slot.start_if_idle(tools.open_history())
        assert task is not None
        await task
        history = tools.history_window
        assert isinstance(history, HistoryWindow)
        assert history.scope_combo.isHidden()  # a lane on its own
        await wait_until(lambda: history.model.rowCount() == 2)
        history.select_row(0)
        await wait_until(lambda: history.refund_items_button.isEnabled())
        click(qtbot, history.refund_items_button)
        dialog = await item_dialog(tools)
        dialog.set_quantity(2, 1)
        assert dialog.amount_label.text() == "Refund: $14.00"
        click(qtbot, dialog.confirm_button)
        chooser = await wait_until(lambda: find("tenderRefundDialog"))
        chooser.select_tender(TenderKind.CASH)
        assert chooser.amount_edit.text() == "10.00"  # the items' $14.00, at most the cash
        click(qtbot, chooser.confirm_button)
        await wait_until(lambda: not tools.slot.running)
        [ticket] = till.lane.journal.tickets_between(NOW - timedelta(hours=1), datetime.now(UTC))
        [back] = [
            m
            for m in till.lane.journal.cash_movements(ticket_id=ticket.id)
            if m.kind is CashMovementKind.REFUND
        ]
        assert (back.amount_cents, back.reason) == (1000, "Items: 1 x Amount [#2x1]")
        [entry] = till.manager.audit_entries(AuditQuery(actions=(AuditAction.CASH_REFUND.value,)))
        assert "Items: 1 x Amount" in (entry.detail or "")

        # The next item refund offers only the first line; its card part is what is left.
        await wait_until(lambda: history.model.rowCount() == 3)
        history.select_row(1)
        await wait_until(lambda: history.refund_items_button.isEnabled())
        click(qtbot, history.refund_items_button)
        dialog = await item_dialog(tools)
        assert [dialog.maximums[n] for n in (1, 2)] == [1, 0]
        dialog.reject()
        await wait_until(lambda: not tools.slot.running)
        history.reject()
