"""The shift at the till: the top bar's Shift menu and what its items do.

`ShiftTools(window, shifts, manager=None, *, approve=None, choose_path=choose_save_path)`:

- `window`: the till's main window (the dialogs' parent);
- `shifts`: the lane's `ShiftService` (`ManagerServices.shifts` from the wiring);
- `manager`: the lane's `ManagerService`, for who is signed in (the person
  every shift action is recorded under), or None on a lane without staff;
- `approve(what, parent)`: who approves an action a cashier may not do alone,
  or None if nobody did; by default `ui.approval.ask_approval` (the person
  signed in when they may approve, else a manager or owner approving at this
  till with their PIN). Without a `manager` nothing needs approving;
- `choose_path`: where the report view asks to save a PDF (tests pass their own).

`buttons` holds the one `shiftButton` for the top bar (`MainWindow.add_shift_tools`);
its menu has Open shift, X report, Close shift, Last Z report (no shift open),
No sale, Paid in and Paid out, each enabled by whether a shift is open.
`shift_changed(Shift | None)` follows the open shift; `message(str)` is a line
for the till's status bar. `close()` when the till closes.

Closing a shift and paying out need a manager or owner when the person
signed in is a cashier: the close asks before the count, a paid out after its
amount and reason are typed. What the service refuses (no open shift, a sale
still open at close, a paid out over the cash in the drawer) is said in the
dialog that asked. The work runs in one task slot: one shift action at a time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QPushButton, QWidget

from pos_app.domain.errors import InvalidInputError
from pos_app.domain.money import Money
from pos_app.domain.report.shift import ShiftReport
from pos_app.domain.staff import Person
from pos_app.domain.tickets import CashMovement, CashMovementKind, Shift
from pos_app.services.manager import ManagerService
from pos_app.services.shifts import PAID_OUT_TOO_MUCH, ShiftService
from pos_app.ui.controls import touch_button
from pos_app.ui.save_dialog import PathChooser, choose_save_path
from pos_app.ui.shift_dialogs import CashMovementDialog, Counted, ShiftCloseDialog, ShiftOpenDialog
from pos_app.ui.shift_report_view import ShiftReportView, over_short_sentence
from pos_app.ui.style import style_sheet
from pos_app.ui.tasks import TaskSlot, finished_result
from pos_app.ui.text import shift as text

__all__ = ["Approver", "ShiftTools"]

Approver = Callable[[str, QWidget | None], Awaitable[Person | None]]
"""(what is approved, the dialog asking) -> the approving manager or owner, or None."""


class ShiftTools(QObject):
    """The Shift menu of the till and the dialogs behind it (see the module docstring)."""

    shift_changed = Signal(object)  # the open Shift, or None
    message = Signal(str)  # a line for the till's status bar

    def __init__(
        self,
        window: QWidget,
        shifts: ShiftService,
        manager: ManagerService | None = None,
        *,
        approve: Approver | None = None,
        choose_path: PathChooser = choose_save_path,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.shifts = shifts
        self.manager = manager
        self._approve = approve
        self._choose_path = choose_path
        self.slot = TaskSlot(self, "shift tool")
        self.dialog: ShiftOpenDialog | ShiftCloseDialog | CashMovementDialog | None = None
        self.report_view: ShiftReportView | None = None
        self._shift: Shift | None = shifts.current()
        self._closed_before = self._shift is None and bool(shifts.recent(1))

        self.button = touch_button(window, "shiftButton", "")
        self.button.setAccessibleDescription(text.SHIFT_BUTTON_DESCRIPTION)
        self.menu = QMenu(self.button)
        self.menu.setObjectName("shiftMenu")
        self.menu.setStyleSheet(style_sheet("shift"))
        self.open_action = self._action("openShiftAction", text.OPEN_SHIFT, self.open_shift)
        self.x_report_action = self._action("xReportAction", text.X_REPORT, self.show_x_report)
        self.close_action = self._action("closeShiftAction", text.CLOSE_SHIFT, self.close_shift)
        self.last_z_action = self._action(
            "lastZReportAction", text.LAST_Z_REPORT, self.show_last_z_report
        )
        self.menu.addSeparator()
        self.no_sale_action = self._action(
            "noSaleAction", text.NO_SALE, lambda: self.move_cash(CashMovementKind.NO_SALE)
        )
        self.paid_in_action = self._action(
            "paidInAction", text.PAID_IN, lambda: self.move_cash(CashMovementKind.PAID_IN)
        )
        self.paid_out_action = self._action(
            "paidOutAction", text.PAID_OUT, lambda: self.move_cash(CashMovementKind.PAID_OUT)
        )
        self.button.setMenu(self.menu)
        self.menu.aboutToShow.connect(self.refresh)
        self.buttons: list[QPushButton] = [self.button]
        self._show_state()

    def _action(
        self, name: str, label: str, run: Callable[[], Coroutine[Any, Any, None]]
    ) -> QAction:
        action = self.menu.addAction(label)
        action.setObjectName(name)
        action.triggered.connect(lambda: self.slot.start_if_idle(run()))
        return action

    # -- state ----------------------------------------------------------------------------

    @property
    def current(self) -> Shift | None:
        """The open shift, as last seen."""
        return self._shift

    def refresh(self) -> None:
        """Look at the journal again (another client may have opened or closed the shift):
        the menu's items follow, and `shift_changed` when it changed."""
        shift = self.shifts.current()
        self._closed_before = shift is None and bool(self.shifts.recent(1))
        self._follow(shift)

    def _follow(self, shift: Shift | None) -> None:
        changed = shift != self._shift
        self._shift = shift
        self._show_state()
        if changed:
            self.shift_changed.emit(shift)

    def _show_state(self) -> None:
        is_open = self._shift is not None
        label = text.SHIFT_BUTTON_OPEN if is_open else text.SHIFT_BUTTON_CLOSED
        self.button.setText(label)
        self.button.setAccessibleName(label)
        self.open_action.setEnabled(not is_open)
        self.last_z_action.setEnabled(not is_open and self._closed_before)
        for action in (
            self.x_report_action,
            self.close_action,
            self.no_sale_action,
            self.paid_in_action,
            self.paid_out_action,
        ):
            action.setEnabled(is_open)

    def person(self) -> str | None:
        """The name of the person signed in (None when nobody, or a lane without staff)."""
        current = self.manager.current() if self.manager is not None else None
        return current.name if current is not None else None

    async def approval(self, what: str, parent: QWidget | None) -> tuple[bool, str | None]:
        """Whether `what` may go ahead, and who approved it (None on a lane without staff)."""
        if self._approve is not None:
            approver = await self._approve(what, parent)
        elif self.manager is not None:
            from pos_app.ui.approval import ask_approval

            approver = await ask_approval(self.manager, parent, what)
        else:
            return True, None
        return approver is not None, approver.name if approver is not None else None

    # -- the menu's items ---------------------------------------------------------------------

    async def open_shift(self) -> None:
        """Count the float and open a shift."""
        self.refresh()
        if self._shift is not None:
            self.message.emit(text.SHIFT_ALREADY_OPEN)
            return
        dialog = ShiftOpenDialog(self._open, self.window)
        shift = await self._ask(dialog)
        if shift is None:
            return
        self._follow(shift)
        self.message.emit(text.SHIFT_OPENED.format(amount=Money(shift.float_cents).format()))

    async def _open(self, float_cents: int, count: Mapping[int, int] | None) -> Shift:
        return await self.shifts.open_shift(float_cents, person=self.person(), count=count)

    async def show_x_report(self) -> None:
        """The open shift's X report."""
        try:
            report = self.shifts.x_report()
        except InvalidInputError as error:
            self.refresh()
            self.message.emit(error.message)
            return
        await self.show_report(report)

    async def show_last_z_report(self) -> None:
        """The last closed shift's Z report again (to print it, or to look again)."""
        self.refresh()
        if self._shift is not None:
            self.message.emit(text.LAST_Z_WHILE_OPEN)
            return
        try:
            report = self.shifts.report()
        except InvalidInputError as error:
            self.message.emit(error.message)
            return
        await self.show_report(report)

    async def close_shift(self) -> None:
        """A manager's approval at a cashier's till, the drawer counted (blind), then the
        Z report with the over/short."""
        self.refresh()
        shift = self._shift
        if shift is None:
            self.message.emit(text.NO_OPEN_SHIFT)
            return
        allowed, _approver = await self.approval(text.APPROVE_CLOSE, self.window)
        if not allowed:
            self.message.emit(text.APPROVAL_REFUSED)
            return
        dialog = ShiftCloseDialog(shift, self._close, self.window)
        report = await self._ask(dialog)
        if report is None:
            self.refresh()
            return
        self._closed_before = True
        self._follow(None)
        sentence, _state = over_short_sentence(report)
        self.message.emit(text.SHIFT_CLOSED.format(over_short=sentence))
        await self.show_report(report)

    async def _close(self, counted: Counted) -> ShiftReport:
        return await self.shifts.close_shift(counted, person=self.person())

    async def move_cash(self, kind: CashMovementKind) -> None:
        """Paid in, paid out (approved at a cashier's till) or a no-sale, with its reason."""
        self.refresh()
        if self._shift is None:
            self.message.emit(text.NO_OPEN_SHIFT)
            return

        async def submit(amount_cents: int, reason: str) -> CashMovement | None:
            return await self._move(kind, amount_cents, reason, dialog)

        dialog = CashMovementDialog(kind, submit, self.window)
        movement = await self._ask(dialog)
        if movement is None:
            return
        amount = Money(movement.amount_cents).format()
        reason = movement.reason or ""
        if kind is CashMovementKind.PAID_IN:
            done = text.PAID_IN_DONE.format(amount=amount, reason=reason)
        elif kind is CashMovementKind.PAID_OUT:
            done = text.PAID_OUT_DONE.format(amount=amount, reason=reason)
        else:
            done = text.NO_SALE_DONE.format(reason=reason)
        # The service opened the drawer with the movement; a drawer that stayed shut is
        # the sentence the cashier reads (the cash is journaled either way).
        self.message.emit(self.shifts.drawer_trouble or done)

    async def _move(
        self, kind: CashMovementKind, amount_cents: int, reason: str, dialog: QWidget
    ) -> CashMovement | None:
        person = self.person()
        if kind is CashMovementKind.PAID_IN:
            return await self.shifts.paid_in(amount_cents, reason, person=person)
        if kind is CashMovementKind.NO_SALE:
            return await self.shifts.no_sale(reason, person=person)
        expected = self.shifts.expected_cash()
        if amount_cents > expected:
            # The service refuses it too: said before a manager is asked for nothing.
            raise InvalidInputError(
                PAID_OUT_TOO_MUCH.format(expected=Money(max(0, expected)).format())
            )
        allowed, approver = await self.approval(text.APPROVE_PAID_OUT, dialog)
        if not allowed:
            return None
        return await self.shifts.paid_out(amount_cents, reason, person=person, approved_by=approver)

    # -- dialogs ----------------------------------------------------------------------------

    async def _ask(self, dialog: ShiftOpenDialog | ShiftCloseDialog | CashMovementDialog) -> Any:
        self.dialog = dialog
        try:
            return await dialog.ask()
        finally:
            self.dialog = None
            dialog.deleteLater()

    async def show_report(self, report: ShiftReport) -> None:
        """Show an X or Z report until it is closed."""
        view = self.report_view = ShiftReportView(
            report, self.window, choose_path=self._choose_path
        )
        try:
            await finished_result(view)
        finally:
            self.report_view = None
            view.deleteLater()

    def close(self) -> None:
        """The till is closing: stop the work and close an open dialog or report."""
        self.slot.cancel()
        for screen in (self.dialog, self.report_view):
            if screen is not None:
                screen.reject()
