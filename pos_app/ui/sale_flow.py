"""The work behind the window's buttons: charging, refunding, recovering.

The window composes widgets; this controller runs the payment engine's
streams through the payment dialog, one payment at a time, and keeps the
unresolved-payments banner true. What settles a payment is the journal: an
approval completes the sale; a run that ended without an outcome (unresolved,
or a bug that broke the stream) stays in the journal's unfinished list, so the
banner offers "Check again" and the sale stays open. Nothing here turns it
into a decline.

Pressing Charge must reach a shown dialog within one frame (16 ms of the main
thread), so the payment dialog is built once, when the loop is first idle after
the window shows, and reused for every charge; a refund in another window gets
its own.

Errors: a `UserFacingError` (and the engine's refusals a cashier may read) goes
to the status line as its sentence; anything else is a bug and reaches the task
slot's bug funnel, never the cashier as raw text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from pos_app.domain.errors import UserFacingError, user_message
from pos_app.domain.payment_flow import PaymentState, StateName
from pos_app.services.payments import InvalidRequestError, PaymentRun, PaymentService
from pos_app.services.ports import (
    GatewayConfigError,
    GatewayRefusedError,
    GatewayUnavailableError,
    Operation,
    TerminalInfo,
    TerminalRefusedError,
)
from pos_app.ui.payment_dialog import PaymentChoice, PaymentDialog
from pos_app.ui.refund_dialog import RefundDialog
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.text import window as text

if TYPE_CHECKING:  # an item refund's record loads with the history, not the till
    from pos_app.domain.line_refund import ItemRefund

log = logging.getLogger("pos_app.ui.sale_flow")

REACH_ERRORS = (GatewayUnavailableError, GatewayRefusedError, GatewayConfigError)
# What the engine raises for a cashier to read, beyond the `UserFacingError` family (whose
# `message` is the sentence); `str()` of these is theirs.
READABLE_ERRORS = (UserFacingError, InvalidRequestError, TerminalRefusedError, *REACH_ERRORS)
# After the window shows, the payment dialog is built when the loop is next idle.
PREBUILD_DELAY_MS = 0


def sentence(error: BaseException) -> str:
    """The line a cashier reads for one of `READABLE_ERRORS`."""
    return user_message(error) or str(error)


@dataclass(frozen=True)
class _Who:
    """Who served and who approved a refund or void (journaled with it)."""

    served_by: str | None
    approved_by: str | None


@dataclass(frozen=True)
class SaleRequest:
    """What the cashier asked to charge."""

    amount_cents: int
    terminal_id: str
    description: str | None


class SaleFlow(QObject):
    """Runs charges and refunds through the payment dialog, one at a time."""

    busy_changed = Signal(bool)
    sale_completed = Signal(object)  # the approved PaymentState
    unresolved_changed = Signal(int)  # how many operations await a "check again"
    message = Signal(str)  # a short line for the status bar
    refund_started = Signal(str, object)  # payment id, RefundRequest
    refund_finished = Signal(str, object, object)  # payment id, RefundRequest, final state

    def __init__(
        self,
        service: PaymentService,
        parent_widget: QWidget,
        terminals: Callable[[], list[TerminalInfo]],
        *,
        spinner_delay_ms: int = 600,
    ) -> None:
        super().__init__(parent_widget)
        self.service = service
        self._parent = parent_widget
        self._terminals = terminals
        self._spinner_delay_ms = spinner_delay_ms
        self.slot = TaskSlot(self, "payment")
        self.dialog: PaymentDialog | None = None  # the one following a payment now
        self._reusable: PaymentDialog | None = None  # built once, shown per charge
        self.recovering = False
        self._paying = False
        # Who works the till, journaled with each charge (the manager tools set it).
        self.served_by: Callable[[], str | None] = lambda: None
        QTimer.singleShot(PREBUILD_DELAY_MS, self, self.prepare_dialog)

    def prepare_dialog(self) -> PaymentDialog:
        """The window's payment dialog, built on first use (or when the loop was idle)."""
        if self._reusable is None:
            self._reusable = PaymentDialog(self._parent, spinner_delay_ms=self._spinner_delay_ms)
        return self._reusable

    @property
    def busy(self) -> bool:
        """Whether a payment, refund or recovery is under way."""
        return self._paying or self.recovering

    def start_exclusive(
        self, work: Coroutine[Any, Any, PaymentState | None]
    ) -> asyncio.Task[PaymentState | None] | None:
        """Run one payment or refund at a time; None (and `work` dropped) while one runs.

        `busy` turns true before the task starts, so a second press in the same
        moment is refused rather than cancelling the first, and turns false before
        `busy_changed(False)` is emitted, so listeners see the truth.
        """
        if self.busy:
            work.close()
            return None
        self._paying = True
        self.busy_changed.emit(True)

        async def exclusive() -> PaymentState | None:
            try:
                return await work
            finally:
                self._paying = False
                self.unresolved_changed.emit(len(self.service.unfinished()))
                self.busy_changed.emit(False)

        return self.slot.start(exclusive())

    # -- start-up -----------------------------------------------------------------------

    async def recover(self) -> None:
        """Settle what the journal left open before the first charge."""
        self.recovering = True
        self.busy_changed.emit(True)
        try:
            await self.service.recover()
        except REACH_ERRORS:
            log.warning("recovery could not reach JustiFi", exc_info=True)
        finally:
            self.recovering = False
            self.busy_changed.emit(False)
            self.unresolved_changed.emit(len(self.service.unfinished()))

    async def check_unresolved(self) -> None:
        """The banner's "Check again": ask JustiFi about every unsettled operation."""
        self.message.emit(text.CHECKING)
        for operation in self.service.unfinished():
            try:
                await self.service.check_again(operation.id)
            except REACH_ERRORS:
                log.warning("check again of %s failed", operation.id, exc_info=True)
        self.unresolved_changed.emit(len(self.service.unfinished()))
        self.message.emit("")

    # -- charging -------------------------------------------------------------------------

    def start_charge(self, request: SaleRequest) -> asyncio.Task[PaymentState | None] | None:
        """Charge in the payment slot; None while another payment runs."""
        return self.start_exclusive(self._charge(request))

    async def _charge(self, request: SaleRequest) -> PaymentState | None:
        terminal_id = request.terminal_id
        while True:
            cancel = asyncio.Event()
            run = await self.service.charge(
                request.amount_cents,
                terminal_id,
                request.description,
                cancel=cancel,
                served_by=self.served_by(),
            )
            final, choice = await self.follow(run, cancel, terminal_id, text.CHARGE_TITLE)
            if choice.kind == PaymentChoice.RETRY and choice.terminal_id:
                terminal_id = choice.terminal_id
                continue
            if final.name is StateName.APPROVED:
                self.sale_completed.emit(final)
            return final

    async def follow(
        self,
        run: PaymentRun,
        cancel: asyncio.Event | None,
        terminal_id: str | None,
        title: str,
        parent: QWidget | None = None,
    ) -> tuple[PaymentState, PaymentChoice]:
        """Follow `run` in the payment dialog until it ends and the cashier chose what next
        (the window's dialog, reused; another `parent` gets its own)."""
        operation_id = run.operation.id

        async def check_again() -> PaymentState | None:
            return await self.service.check_again(operation_id)

        reuse = parent is None or parent is self._parent
        if reuse:
            dialog = self.prepare_dialog()
        else:
            dialog = PaymentDialog(parent, spinner_delay_ms=self._spinner_delay_ms)
        dialog.set_title(title)
        dialog.set_check_again(check_again)
        terminals = self._terminals()
        names = {t.id: t.name for t in terminals}
        dialog.set_terminals(terminals, terminal_id)
        self.dialog = dialog
        try:
            final = await dialog.follow(run, cancel, names.get(terminal_id or "", terminal_id))
            choice = await dialog.choice()
            return dialog.state_now() or final, choice
        finally:
            self.dialog = None
            dialog.close()
            dialog.set_check_again(None)  # the next payment's dialog holds no old run
            if not reuse:
                dialog.deleteLater()

    # -- refunds ------------------------------------------------------------------------------

    def last_sale(self) -> Operation | None:
        """The newest approved charge, if any."""
        return self.service.last_sale()

    def start_refund(
        self,
        payment_ref: str,
        parent: QWidget | None = None,
        *,
        served_by: str | None = None,
        approved_by: str | None = None,
        items: ItemRefund | None = None,
    ) -> asyncio.Task[PaymentState | None] | None:
        """Refund a past sale, by its payment or sale id (asks how much and how first).

        `refund_started(payment_id, request)` and `refund_finished(payment_id, request,
        final_state)` frame a refund that was sent (for the audit log). `served_by` and
        `approved_by` are journaled with it. `items`: a refund item by item (its amount,
        at most what the payment can give back; its items in the refund's description;
        its sale, of any lane, as the refund's ticket)."""
        who = _Who(served_by, approved_by)
        return self.start_exclusive(self._refund(payment_ref, parent or self._parent, who, items))

    async def _refund(
        self, payment_ref: str, parent: QWidget, who: _Who, items: ItemRefund | None = None
    ) -> PaymentState | None:
        try:
            payment = await self.service.payment_details(payment_ref)
            dialog = RefundDialog(
                payment,
                self._terminals(),
                parent=parent,
                terminal_refunds=self.service.terminal_refunds,
                approved_by=who.approved_by,
                items=items,
            )
            request = await dialog.ask()
            dialog.deleteLater()
            if request is None:
                return None
            self.refund_started.emit(payment.payment_id, request)
            cancel = asyncio.Event()
            if request.mode == "void":
                run = await self.service.void(
                    payment, served_by=who.served_by, approved_by=who.approved_by
                )
            elif request.mode == "card":
                run = await self.service.refund_to_card(
                    payment,
                    request.amount_cents,
                    request.reason,
                    served_by=who.served_by,
                    approved_by=who.approved_by,
                    description=request.description,
                    ticket_id=items.ticket_id if items is not None else None,
                )
            else:
                run = await self.service.refund_on_terminal(
                    payment,
                    request.amount_cents,
                    request.terminal_id or "",
                    cancel=cancel,
                    served_by=who.served_by,
                    approved_by=who.approved_by,
                    description=request.description,
                    ticket_id=items.ticket_id if items is not None else None,
                )
            final, _ = await self.follow(
                run, cancel, request.terminal_id, text.REFUND_TITLE, parent
            )
            self.refund_finished.emit(payment.payment_id, request, final)
            return final
        except READABLE_ERRORS as exc:  # anything else is a bug: it reaches the funnel
            self.message.emit(sentence(exc))
            return None
