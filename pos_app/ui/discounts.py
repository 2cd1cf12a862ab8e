"""Discounts at the till: the Discount button, the dialog, and a manager's approval.

`DiscountFlow` owns the `discountButton` in the cart panel. A tap opens the
discount dialog on the selected line (the cashier may switch it to the whole
sale there), and the discount chosen goes into the cart model. When the cart's
discounts then take more than the lane's limit of its gross
(`Cart.needs_approval`, the setting `discount_approval_percent`), a manager or
owner approves it through `approve` (`ManagerTools.approve_discount`: the
person signed in when they may approve, else one who approves at this till);
their name goes on the cart model (`discount_approved_by`) and from there on
the sale's ticket. A discount nobody approves is taken back: the cart returns
to what it was.

The same holds for a change that raises the discounts' share of the gross after
an approval (the model drops the approval then): a manager approves again, or
the change is taken back. Without `approve` (a lane without staff) no approval
is asked.

Rules worth knowing:

- The limit is read when a discount is applied (`limit_percent()`), so a limit
  saved in the Settings dialog applies to the next discount, no restart.
- One discount question at a time (a task slot); the dialog is modal.
- Over the limit means strictly more than the limit's share, compared exactly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TypeAlias

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QPushButton, QWidget

from pos_app.domain.cart import Cart
from pos_app.domain.discount import Discount, DiscountError
from pos_app.domain.settings_rules import DEFAULT_DISCOUNT_APPROVAL_PERCENT, discount_limit_bps
from pos_app.services.audit_log import DetailValue
from pos_app.ui.cart_model import CartModel
from pos_app.ui.cart_panel import CartPanel
from pos_app.ui.discount_dialog import DiscountAnswer, DiscountDialog
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.text import cart as text

__all__ = ["Approver", "DiscountFlow"]

log = logging.getLogger("pos_app.ui.discounts")

#: The dialog is built this long after the flow (once the window has shown): building it
#: takes about two frames, so the first press of Discount would otherwise miss one.
PREBUILD_DELAY_MS = 0

#: Asks a manager to approve a discount (what the audit log keeps of it); the approver's
#: name, or None when nobody approved.
Approver: TypeAlias = Callable[[Mapping[str, DetailValue]], Awaitable[str | None]]


class DiscountFlow(QObject):
    """The Discount button in the cart panel, the dialog behind it and the approval.

    The main window builds it beside its cart panel, and gives it the manager's
    approval once the manager tools are there::

        self.discounts = DiscountFlow(
            self.cart_model, self.cart_panel, limit_percent=lambda: limit_percent
        )
        self.discounts.message.connect(self.status_line.setText)
        # in add_manager_tools(tools):
        self.discounts.approve = tools.approve_discount
        if tools.settings is not None:  # the limit in force, a saved one at once
            self.discounts.limit_percent = lambda: tools.settings.saved.discount_approval_percent

    Args:
        model: the cart the discounts go into.
        panel: the cart panel; the button joins its button row (and is disabled with it).
        limit_percent: the lane's discount limit in whole percent, read when needed.
        approve: asks a manager's approval; None on a lane without staff (nobody asked).
    """

    message = Signal(str)  # a sentence for the till's status line

    def __init__(
        self,
        model: CartModel,
        panel: CartPanel,
        *,
        limit_percent: Callable[[], int] = lambda: DEFAULT_DISCOUNT_APPROVAL_PERCENT,
        approve: Approver | None = None,
    ) -> None:
        super().__init__(panel)
        self.model = model
        self.panel = panel
        self.limit_percent = limit_percent
        self.approve = approve
        self.slot = TaskSlot(self, "discount")
        self.dialog: DiscountDialog | None = None  # built on first use, then reused
        # The last cart that needed no approval, or had one, and who gave it.
        self._accepted: tuple[Cart, str | None] = (model.cart, model.discount_approved_by)
        self._asking = False
        self.button = QPushButton(text.DISCOUNT_BUTTON)
        self.button.setObjectName("discountButton")
        self.button.setAccessibleName(text.DISCOUNT_BUTTON_NAME)
        self.button.setToolTip(text.DISCOUNT_BUTTON_TOOLTIP)
        self.button.setAutoDefault(False)
        panel.add_tool_button(self.button)
        self.button.clicked.connect(self._on_button_clicked)
        model.cart_changed.connect(self._on_model_cart_changed)
        self._update_button()
        QTimer.singleShot(PREBUILD_DELAY_MS, self, self._dialog)

    # -- public ------------------------------------------------------------------------

    @property
    def limit_bps(self) -> int:
        """The discount limit in force, in basis points."""
        return discount_limit_bps(self.limit_percent())

    @property
    def task(self) -> asyncio.Task[object] | None:
        """The discount question under way (or the last), for tests to await."""
        return self.slot.task

    def open(self) -> asyncio.Task[object] | None:
        """Ask for a discount on the selected line (or the sale); None if one is asked."""
        if self.model.cart.is_empty:
            return None
        self._dialog()  # built here, so the question shows as soon as its task runs
        return self.slot.start_if_idle(self._ask())

    # -- the question ------------------------------------------------------------------

    async def _ask(self) -> bool:
        """The dialog, then the discount applied (and approved when over the limit).
        True when the cart changed."""
        dialog = self._dialog()
        limit = self.limit_bps if self.approve is not None else None
        answer = await dialog.ask(self.model.cart, self.panel.selected_line_id(), limit_bps=limit)
        if answer is None:
            return False
        return await self._apply(answer)

    async def _apply(self, answer: DiscountAnswer) -> bool:
        before = self.model.cart, self.model.discount_approved_by
        self._asking = True
        try:
            try:
                if answer.line_id is None:
                    self.model.set_sale_discount(answer.discount)
                else:
                    self.model.set_line_discount(answer.line_id, answer.discount)
            except (DiscountError, KeyError) as exc:  # the cart changed under the dialog
                self.message.emit(getattr(exc, "message", text.DISCOUNT_REFUSED))
                return False
            stands, approver = await self._approval(answer.discount, before)
        finally:
            self._asking = False
        discount = answer.discount
        if not stands:
            told = text.DISCOUNT_REFUSED
        elif discount is None:
            told = text.DISCOUNT_REMOVED
        elif approver is not None:
            told = text.DISCOUNT_APPROVED.format(describe=discount.describe(), name=approver)
        else:
            told = text.DISCOUNT_GIVEN.format(describe=discount.describe())
        self.message.emit(told)
        return stands

    def _needs_approval(self) -> bool:
        return self.approve is not None and self.model.cart.needs_approval(self.limit_bps)

    async def _approval(
        self, discount: Discount | None, before: tuple[Cart, str | None]
    ) -> tuple[bool, str | None]:
        """Have the cart as it is now approved when it needs it, else take it back to
        `before`: whether the cart stands, and who approved it just now (None when
        nobody needed to)."""
        cart = self.model.cart
        approve = self.approve
        if approve is None or not self._needs_approval() or self.model.discount_approved_by:
            self._accepted = (cart, self.model.discount_approved_by)
            return True, None
        name = await approve(self._detail(cart, discount))
        if name is None or self.model.cart != cart:
            self.model.set_cart(before[0], discount_approved_by=before[1])
            self._accepted = before
            return False, None
        self.model.discount_approved_by = name
        self._accepted = (cart, name)
        return True, name

    def _detail(self, cart: Cart, discount: Discount | None) -> dict[str, DetailValue]:
        """What the audit log keeps of the discount asked about."""
        detail: dict[str, DetailValue] = {
            "discount_cents": cart.discount_total.cents,
            "gross_cents": cart.gross.cents,
            "limit_percent": self.limit_percent(),
        }
        if discount is not None:
            detail["discount"] = discount.describe()
        return detail

    async def _recheck(self) -> bool:
        """A change raised the discounts' share after an approval: approve it again, or
        take the change back. True when the change stands."""
        self._asking = True
        try:
            stands, _ = await self._approval(None, self._accepted)
        finally:
            self._asking = False
        if not stands:
            self.message.emit(text.DISCOUNT_CHANGE_REFUSED)
        return stands

    def _dialog(self) -> DiscountDialog:
        if self.dialog is None:
            parent = self.panel.window()
            self.dialog = DiscountDialog(parent if isinstance(parent, QWidget) else None)
        return self.dialog

    # -- slots ------------------------------------------------------------------------

    def _on_button_clicked(self) -> None:
        self.open()

    def _on_model_cart_changed(self, cart: Cart) -> None:
        self._update_button()
        if self._asking:
            return  # the flow's own change: its question decides
        if not self._needs_approval() or self.model.discount_approved_by is not None:
            self._accepted = (cart, self.model.discount_approved_by)
            return
        self.slot.start_if_idle(self._recheck())

    def _update_button(self) -> None:
        self.button.setEnabled(not self.model.cart.is_empty)
