"""Discounts at the till: the Discount button in the cart panel, the dialog, the totals, and
a manager's approval over the lane's limit (one approved, one refused and taken back),
through the dialog's own buttons; and `ManagerTools.approve_discount` on a real staff
service, the approval typed on the PIN pad."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QPushButton, QWidget

from pos_app.domain.cart import CatalogItem
from pos_app.domain.discount import Discount, DiscountKind
from pos_app.domain.receipt import render_text
from pos_app.domain.staff import StaffRole
from pos_app.domain.tickets import TicketStatus
from pos_app.services.audit_log import AuditAction, AuditQuery, DetailValue
from pos_app.services.manager import ManagerService
from pos_app.storage.audit import SqliteAuditLog
from pos_app.ui.cart_model import CartColumn, CartModel
from pos_app.ui.cart_panel import CartPanel
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.discount_dialog import DiscountDialog, parse_percent
from pos_app.ui.discounts import DiscountFlow
from pos_app.ui.manager_tools import ManagerTools
from pos_app.ui.pin_dialog import PinDialog
from pos_app.ui.text import cart as text
from tests.support.gui import find, wait_until
from tests.support.sandbox import SandboxHandle
from tests.support.staff_screens import (
    CASHIER,
    CASHIER_PIN,
    MANAGER,
    MANAGER_PIN,
    OWNER,
    OWNER_PIN,
)

LATTE = CatalogItem("latte", "Latte", 425)
MUFFIN = CatalogItem("muffin", "Muffin", 295)
SCARF = CatalogItem("scarf", "Scarf", 2000)


class Approvals:
    """A manager who approves (`name`) or refuses (None), remembering what was asked."""

    def __init__(self, name: str | None) -> None:
        self.name = name
        self.asked: list[dict[str, DetailValue]] = []

    async def __call__(self, detail: Mapping[str, DetailValue]) -> str | None:
        self.asked.append(dict(detail))
        return self.name


class Till:
    """A cart panel with its discount flow, as the main window builds them."""

    def __init__(
        self, qtbot: Any, *, approve: Approvals | None = None, limit: int = 10, tax_bps: int = 825
    ) -> None:
        self.limit = limit
        self.model = CartModel()
        self.model.set_tax_rate(tax_bps)
        self.panel = CartPanel(self.model)
        qtbot.addWidget(self.panel)
        self.flow = DiscountFlow(
            self.model, self.panel, limit_percent=lambda: self.limit, approve=approve
        )
        self.told: list[str] = []
        self.flow.message.connect(self.told.append)
        self.panel.resize(620, 520)
        self.panel.show()

    def label(self, name: str) -> QWidget:
        found = self.panel.findChild(QWidget, name)
        assert found is not None, name
        return found

    def cell(self, row: int, column: CartColumn) -> str:
        return str(self.model.data(self.model.index(row, column)))

    async def open_dialog(self, qtbot: Any) -> DiscountDialog:
        qtbot.mouseClick(self.flow.button, Qt.MouseButton.LeftButton)
        dialog = self.flow.dialog
        assert dialog is not None
        await wait_until(dialog.isVisible)
        return dialog

    async def finish(self) -> bool:
        task = self.flow.task
        assert task is not None
        return bool(await task)


def press(qtbot: Any, dialog: DiscountDialog, name: str) -> None:
    button = dialog.findChild(QPushButton, name)
    assert button is not None, name
    assert button.isVisible(), name
    assert button.height() >= MIN_TOUCH, name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# -- a line discount --------------------------------------------------------------------------


async def test_a_line_discount_shows_on_its_line_and_in_the_totals(qtbot: Any) -> None:
    till = Till(qtbot)
    till.model.add_item(LATTE)
    till.model.add_item(LATTE)  # 2 x $4.25 = $8.50
    till.model.add_item(MUFFIN)
    till.panel.select_row(0)
    button = till.flow.button
    assert button.objectName() == "discountButton"
    assert button.isEnabled()
    assert button.parent() is till.panel  # in the cart panel: locked with it

    dialog = await till.open_dialog(qtbot)
    assert dialog.objectName() == "discountDialog"
    assert dialog.line_button.isChecked()  # the selected line
    assert dialog.line_button.text() == "Latte"
    assert not dialog.remove_button.isVisible()  # nothing to remove yet
    assert not dialog.apply_button.isEnabled()
    press(qtbot, dialog, "quickPercent10")
    assert dialog.problem_label.text() == text.DISCOUNT_REASON_MISSING  # a reason first
    assert not dialog.apply_button.isEnabled()
    press(qtbot, dialog, "quickReasonDamaged")
    assert dialog.reason_edit.objectName() == "discountReasonEdit"
    assert dialog.reason_edit.text() == "Damaged"
    assert dialog.off_label.text() == "Takes off $0.85"  # shown live
    # $7.65 + $2.95 = $10.60, tax 8.25 % = $0.87 (0.8745 rounded half up).
    assert dialog.total_label.text() == "Latte becomes $7.65; the sale $11.47 with tax."
    assert dialog.approval_label.text() == ""  # no manager on this lane
    press(qtbot, dialog, "applyDiscountButton")
    assert await till.finish()

    line = till.model.cart.lines[0]
    assert line.discount == Discount(DiscountKind.PERCENT, 1_000, "Damaged")
    assert till.cell(0, CartColumn.ITEM) == "Latte\n-$0.85 10% off (Damaged)"
    assert till.cell(0, CartColumn.LINE_TOTAL) == "$7.65"  # the line after its discount
    assert till.cell(1, CartColumn.LINE_TOTAL) == "$2.95"
    header = till.panel.cart_view.verticalHeader()
    assert header.sectionSize(0) > header.sectionSize(1) == MIN_TOUCH  # two text lines
    assert till.label("subtotalLabel").text() == "$10.60"  # type: ignore[attr-defined]
    assert till.label("taxLabel").text() == "$0.87"  # type: ignore[attr-defined]
    assert till.label("totalLabel").text() == "$11.47"  # type: ignore[attr-defined]
    assert till.label("discountLabel").isHidden()  # the sale has none of its own
    assert till.told == ["Discount given: 10% off (Damaged)."]
    assert till.model.discount_approved_by is None


async def test_removing_a_discount_restores_the_line_and_the_totals(qtbot: Any) -> None:
    till = Till(qtbot)
    till.model.add_item(SCARF)
    till.model.set_line_discount(1, Discount(DiscountKind.AMOUNT, 500, "Price match"))
    assert till.label("totalLabel").text() == "$16.24"  # type: ignore[attr-defined]

    dialog = await till.open_dialog(qtbot)
    assert dialog.amount_button.isChecked()  # the discount given, as given
    assert dialog.value_edit.text() == "5.00"
    assert dialog.reason_edit.text() == "Price match"
    press(qtbot, dialog, "removeDiscountButton")
    assert await till.finish()

    assert till.model.cart.lines[0].discount is None
    assert till.cell(0, CartColumn.ITEM) == "Scarf"
    assert till.cell(0, CartColumn.LINE_TOTAL) == "$20.00"
    assert till.panel.cart_view.verticalHeader().sectionSize(0) == MIN_TOUCH
    assert till.label("totalLabel").text() == "$21.65"  # type: ignore[attr-defined]
    assert till.told == [text.DISCOUNT_REMOVED]


# -- a sale discount -----------------------------------------------------------------------------


async def test_a_sale_discount_is_a_row_of_the_totals_and_taxed_after(qtbot: Any) -> None:
    till = Till(qtbot)
    till.model.add_item(SCARF)
    till.model.add_item(LATTE)  # $24.25, the Latte selected

    dialog = await till.open_dialog(qtbot)
    press(qtbot, dialog, "discountSaleButton")
    press(qtbot, dialog, "discountAmountButton")
    assert not dialog.quick_percent_buttons[10].isVisible()  # percents only for percent
    dialog.value_edit.setText("30")
    dialog.reason_edit.setText("Loyalty")
    assert dialog.problem_label.text() == "The discount is more than the sale's $24.25."
    assert not dialog.apply_button.isEnabled()
    for key in ("Backspace", "Backspace", "2", "Point", "2", "5"):  # on the value keypad
        press(qtbot, dialog, f"discountKey{key}")
    assert dialog.value_edit.text() == "2.25"
    assert dialog.off_label.text() == "Takes off $2.25"
    assert dialog.total_label.text() == "The sale becomes $23.82 with tax."  # 22.00 + 1.82
    press(qtbot, dialog, "applyDiscountButton")
    assert await till.finish()

    cart = till.model.cart
    assert cart.discount == Discount(DiscountKind.AMOUNT, 225, "Loyalty")
    assert all(line.discount is None for line in cart.lines)
    assert till.label("subtotalLabel").text() == "$24.25"  # type: ignore[attr-defined]
    caption = till.label("discountCaption")
    assert caption.isVisible()
    assert caption.text() == "Discount: $2.25 off (Loyalty)"  # type: ignore[attr-defined]
    assert till.label("discountLabel").text() == "-$2.25"  # type: ignore[attr-defined]
    assert till.label("taxLabel").text() == "$1.82"  # type: ignore[attr-defined]
    assert till.label("totalLabel").text() == "$23.82"  # type: ignore[attr-defined]

    till.model.clear()  # the next customer starts without it
    assert till.model.cart.discount is None
    assert till.label("discountLabel").isHidden()
    assert not till.flow.button.isEnabled()


# -- who approved ------------------------------------------------------------------------------


def test_an_approval_stands_until_the_discounts_share_of_the_sale_rises(qtbot: Any) -> None:
    model = CartModel()
    model.add_item(SCARF)
    model.add_item(LATTE)  # $24.25
    model.discount_approved_by = "Carla Diaz"
    assert model.discount_approved_by is None  # nothing to approve yet
    model.set_line_discount(1, Discount(DiscountKind.PERCENT, 1_500, "Damaged"))
    model.discount_approved_by = "Carla Diaz"

    model.set_line_discount(1, Discount(DiscountKind.PERCENT, 1_000, "Damaged"))  # less
    model.add_item(MUFFIN)  # a larger sale, the same discount: a smaller share
    assert model.discount_approved_by == "Carla Diaz"

    model.increment(0)  # a second scarf at 10 % off: more of the sale is discounted
    assert model.discount_approved_by is None
    model.discount_approved_by = "Carla Diaz"
    model.set_sale_discount(Discount(DiscountKind.AMOUNT, 100, "Loyalty"))  # more
    assert model.discount_approved_by is None
    model.discount_approved_by = "Carla Diaz"
    model.remove(2)  # the muffin goes: the discounts are a larger share of less
    assert model.discount_approved_by is None

    model.discount_approved_by = "Carla Diaz"
    discounted = model.cart
    model.clear()  # the next customer: nothing approved
    assert model.discount_approved_by is None
    model.set_cart(discounted, discount_approved_by="Carla Diaz")  # a parked sale back
    assert model.discount_approved_by == "Carla Diaz"
    model.set_sale_discount(None)
    model.set_line_discount(1, None)  # the last discount goes: so does the approval
    assert model.discount_approved_by is None


def test_a_percent_off_the_sale_stays_approved_as_the_sale_grows(qtbot: Any) -> None:
    model = CartModel()
    model.add_item(SCARF)
    model.set_sale_discount(Discount(DiscountKind.PERCENT, 1_000, "Loyalty"))  # $2.00
    model.discount_approved_by = "Carla Diaz"
    model.add_item(MUFFIN)  # 10 % of $22.95 is $2.30 (2.295 up): a hair over 10 %
    assert model.cart.sale_discount.cents == 230
    assert model.discount_approved_by == "Carla Diaz"  # still the 10 % approved


# -- over the limit -----------------------------------------------------------------------------


async def test_over_the_limit_a_manager_approves_and_their_name_goes_with_the_sale(
    qtbot: Any,
) -> None:
    manager = Approvals("Carla Diaz")
    till = Till(qtbot, approve=manager)
    till.model.add_item(SCARF)
    till.model.add_item(MUFFIN)  # $22.95
    till.panel.select_row(0)

    dialog = await till.open_dialog(qtbot)
    press(qtbot, dialog, "quickPercent15")
    press(qtbot, dialog, "quickReasonLoyalty")
    # $3.00 off $22.95 is 13 %: over the 10 % limit.
    assert dialog.off_label.text() == "Takes off $3.00"
    assert dialog.approval_label.text() == text.DISCOUNT_NEEDS_MANAGER.format(limit=10)
    press(qtbot, dialog, "applyDiscountButton")
    assert await till.finish()

    assert till.model.cart.lines[0].discount_cents == 300
    assert till.model.discount_approved_by == "Carla Diaz"
    assert manager.asked == [
        {
            "discount_cents": 300,
            "gross_cents": 2295,
            "limit_percent": 10,
            "discount": "15% off (Loyalty)",
        }
    ]
    assert till.told == ["Discount given: 15% off (Loyalty), approved by Carla Diaz."]

    till.model.add_item(MUFFIN)  # a larger gross: a smaller share, the approval stands
    assert till.model.discount_approved_by == "Carla Diaz"
    assert len(manager.asked) == 1

    till.model.remove(1)  # the muffins go: the share rises, the manager is asked again
    assert till.model.discount_approved_by is None
    assert await till.finish()
    assert len(manager.asked) == 2
    assert till.model.discount_approved_by == "Carla Diaz"
    assert [line.name for line in till.model.cart.lines] == ["Scarf"]

    manager.name = None  # raised again, and refused: the change is taken back
    till.model.set_line_discount(1, Discount(DiscountKind.PERCENT, 2_000, "Loyalty"))
    assert not await till.finish()
    assert till.model.cart.lines[0].discount_cents == 300
    assert till.model.discount_approved_by == "Carla Diaz"
    assert till.told[-1] == text.DISCOUNT_CHANGE_REFUSED


async def test_over_the_limit_a_refusal_takes_the_discount_back(qtbot: Any) -> None:
    manager = Approvals(None)
    till = Till(qtbot, approve=manager)
    till.model.add_item(SCARF)
    till.model.set_line_discount(1, Discount(DiscountKind.PERCENT, 500, "Staff"))
    before = till.model.cart
    total = till.label("totalLabel").text()  # type: ignore[attr-defined]

    dialog = await till.open_dialog(qtbot)
    press(qtbot, dialog, "discountSaleButton")
    press(qtbot, dialog, "quickPercent20")
    press(qtbot, dialog, "quickReasonPriceMatch")
    assert dialog.reason_edit.text() == "Price match"
    assert dialog.approval_label.text() != ""
    press(qtbot, dialog, "applyDiscountButton")
    assert not await till.finish()

    assert manager.asked[0]["discount"] == "20% off (Price match)"
    assert till.model.cart == before  # the cart is what it was
    assert till.label("totalLabel").text() == total  # type: ignore[attr-defined]
    assert till.model.discount_approved_by is None
    assert till.told == [text.DISCOUNT_REFUSED]


async def test_a_limit_saved_in_the_settings_applies_to_the_next_discount(qtbot: Any) -> None:
    manager = Approvals("Carla Diaz")
    till = Till(qtbot, approve=manager, limit=20)
    till.model.add_item(SCARF)

    till.flow.open()
    dialog = till.flow.dialog
    assert dialog is not None
    await wait_until(dialog.isVisible)
    dialog.set_percent(15)
    dialog.reason_edit.setText("Damaged")
    assert dialog.approval_label.text() == ""  # 15 % is within 20 %
    dialog.apply()
    assert await till.finish()
    assert manager.asked == []
    assert till.model.discount_approved_by is None

    till.limit = 10  # what SettingsService.saved says after a save
    till.flow.open()
    await wait_until(dialog.isVisible)
    assert dialog.value_edit.text() == "15"
    assert dialog.approval_label.text() == text.DISCOUNT_NEEDS_MANAGER.format(limit=10)
    dialog.set_percent(16)
    dialog.apply()
    assert await till.finish()
    assert len(manager.asked) == 1
    assert till.model.discount_approved_by == "Carla Diaz"


@pytest.mark.parametrize(
    ("typed", "bps", "problem"),
    [
        ("10", 1_000, ""),
        ("12,5 %", 1_250, ""),
        ("100", 10_000, ""),
        ("12.555", None, text.DISCOUNT_PERCENT_TOO_PRECISE),
        ("0", None, "A discount must be more than zero."),
        ("101", None, "A discount can't be more than 100%."),
        ("ten", None, text.DISCOUNT_NOT_A_PERCENT),
        ("NaN", None, text.DISCOUNT_NOT_A_PERCENT),
        ("", None, text.DISCOUNT_NOT_A_PERCENT),
    ],
)
def test_a_percent_is_typed_in_percent_and_kept_in_basis_points(
    typed: str, bps: int | None, problem: str
) -> None:
    assert parse_percent(typed) == (bps, problem)


# -- the manager's approval on the PIN pad ---------------------------------------------------------


class _Flow(QObject):
    """What ManagerTools needs of the sale flow: who served, and the refunds' signals."""

    refund_started = Signal(str, object)
    refund_finished = Signal(str, object, object)
    served_by: object = None


async def test_a_cashiers_discount_is_approved_on_the_pin_pad_and_a_refusal_audited(
    qtbot: Any, service: ManagerService, log: SqliteAuditLog
) -> None:
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    tools = ManagerTools(window, _Flow(), service, None, idle_check_ms=60_000)  # type: ignore[arg-type]
    assert service.sign_in(CASHIER_PIN, CASHIER).ok
    detail: dict[str, DetailValue] = {"discount_cents": 500, "gross_cents": 2000}

    asked = tools.slot.start(tools.approve_discount(detail))
    cancel = await wait_until(lambda: find("pinCancelButton"))
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert await asked is None
    refused = log.entries(AuditQuery(actions=(AuditAction.DISCOUNT,)))
    assert [(e.who, e.outcome) for e in refused] == [(CASHIER, "refused")]
    assert json.loads(refused[0].detail) == detail

    asked = tools.slot.start(tools.approve_discount(detail))
    dialog = await wait_until(lambda: find("pinDialog"))
    assert isinstance(dialog, PinDialog)
    assert dialog.prompt_label.text().startswith(
        "A discount over the limit needs a manager or owner."
    )
    dialog.choose(MANAGER)
    for digit in MANAGER_PIN:
        dialog.digit_buttons[digit].click()
    dialog.ok_button.click()
    assert await asked == MANAGER
    assert service.current() is not None
    assert service.current().name == CASHIER  # type: ignore[union-attr]
    assert len(log.entries(AuditQuery(actions=(AuditAction.DISCOUNT,)))) == 1  # no new one
    tools.close()


# -- the whole till: a discount approved on the PIN pad goes with the sale --------------------


async def test_a_discount_approved_at_a_cashiers_till_goes_on_the_sale_and_its_receipt(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    from tests.support.till import open_shift, open_till, take_cash

    async with open_till(sandbox.url, tmp_path, qtbot, owner=False) as till:
        window, manager = till.window, till.manager
        manager.create_owner(OWNER, OWNER_PIN)
        owner = manager.current()
        assert owner is not None
        manager.add_person(CASHIER, StaffRole.CASHIER, CASHIER_PIN, by=owner)
        manager.sign_out()
        assert manager.sign_in(CASHIER_PIN, CASHIER).ok
        await open_shift(qtbot, till)
        tools = window.tools
        assert tools is not None
        flow = getattr(window, "discounts", None) or DiscountFlow(
            window.cart_model, window.cart_panel, approve=tools.approve_discount
        )
        window.cart_model.add_amount(2000)

        qtbot.mouseClick(flow.button, Qt.MouseButton.LeftButton)
        dialog = await wait_until(lambda: flow.dialog is not None and flow.dialog.isVisible())
        dialog = flow.dialog
        assert dialog is not None
        press(qtbot, dialog, "quickPercent20")
        press(qtbot, dialog, "quickReasonDamaged")
        press(qtbot, dialog, "applyDiscountButton")
        pin = await wait_until(lambda: find("pinDialog"))
        assert isinstance(pin, PinDialog)
        pin.choose(OWNER)
        for digit in OWNER_PIN:
            pin.digit_buttons[digit].click()
        pin.ok_button.click()
        assert await flow.task
        assert window.cart_model.discount_approved_by == OWNER
        assert manager.current() is not None
        assert manager.current().name == CASHIER  # type: ignore[union-attr]
        assert window.cart_model.cart.total.cents == 1600

        await take_cash(qtbot, till, "exactButton")
        assert window.cart_model.cart.is_empty
        shift = till.shift_tools.shifts.current()
        assert shift is not None
        [ticket] = till.lane.journal.shift_tickets(shift.id)
        assert ticket.status is TicketStatus.COMPLETE
        assert (ticket.total_cents, ticket.discount_cents) == (1600, 400)
        assert ticket.discount_approved_by == OWNER
        assert ticket.lines[0].discount_reason == "Damaged"
        offer = window.receipt_offer
        assert offer is not None
        assert offer.last is not None
        assert "Damaged" in render_text(offer.last)
        assert manager.sign_in(OWNER_PIN, OWNER).ok  # to read the log
        [given] = manager.audit_entries(AuditQuery(actions=(AuditAction.DISCOUNT,)))
        assert (given.who, json.loads(given.detail)["approved_by"]) == (CASHIER, OWNER)
