"""The waiting screen of a charge, refund or void, and the cashier's next step.

The dialog is a shell: a `PaymentView` renders the engine's journaled states
and a `PaymentController` follows the run (the follow task, the cancel
request, "Check again"); see `pos_app.ui.payment_controller`. The dialog
itself cannot be closed while the engine works, then offers the next steps and
reports the cashier's choice. It can be reused for the next payment: `follow`
starts over on the new run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import Property, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from pos_app.domain.payment_flow import PaymentState, StateName
from pos_app.services.ports import TerminalInfo
from pos_app.ui.payment_controller import CheckAgain, FollowedRun, PaymentController
from pos_app.ui.payment_view import RETRYABLE, PaymentView
from pos_app.ui.text import payment as text

__all__ = ["CheckAgain", "FollowedRun", "PaymentAction", "PaymentChoice", "PaymentDialog"]


class PaymentAction(StrEnum):
    """What the cashier chose once the outcome was final."""

    NEW_SALE = "new_sale"
    RETRY = "retry"
    BACK = "back"
    KEEP_OPEN = "keep_open"


@dataclass(frozen=True)
class PaymentChoice:
    """The cashier's choice; `terminal_id` is the terminal picked for RETRY.

    The actions are also reachable here: `choice.kind == PaymentChoice.RETRY`.
    """

    kind: PaymentAction
    terminal_id: str | None = None

    NEW_SALE: ClassVar[PaymentAction] = PaymentAction.NEW_SALE
    RETRY: ClassVar[PaymentAction] = PaymentAction.RETRY
    BACK: ClassVar[PaymentAction] = PaymentAction.BACK
    KEEP_OPEN: ClassVar[PaymentAction] = PaymentAction.KEEP_OPEN


class PaymentDialog(QDialog):
    """Follows one charge, refund or void until it is final, then asks what next.

    `check_again` is called by the "Check again" button of an unresolved
    outcome (typically `lambda: service.check_again(run.operation.id)`).
    The widgets are in `view` (a `PaymentView`); automation reads the `state`
    property and finds the buttons by object name.
    """

    state_changed = Signal(str)  # the StateName value; the `state` property's notify
    payment_state_changed = Signal(object)  # the PaymentState
    choice_made = Signal(object)  # a PaymentChoice

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        title: str | None = None,
        check_again: CheckAgain | None = None,
        spinner_delay_ms: int = 600,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("paymentDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setModal(True)
        self.setMinimumWidth(520)
        self._title = title
        self._choice: PaymentChoice | None = None
        self._choice_future: asyncio.Future[PaymentChoice] | None = None
        self.view = PaymentView(self, spinner_delay_ms=spinner_delay_ms, monotonic=monotonic)
        self.controller = PaymentController(self.view, self, check_again=check_again)
        layout = QVBoxLayout(self)  # the dialog's margins frame the view
        layout.addWidget(self.view)
        self._connect()

    def _connect(self) -> None:
        view = self.view
        self.controller.state_changed.connect(self.state_changed)
        self.controller.payment_state_changed.connect(self.payment_state_changed)
        view.cancel_button.clicked.connect(self.request_cancel)
        view.back_button.clicked.connect(lambda: self._choose(PaymentAction.BACK))
        view.keep_open_button.clicked.connect(lambda: self._choose(PaymentAction.KEEP_OPEN))
        view.new_sale_button.clicked.connect(lambda: self._choose(PaymentAction.NEW_SALE))
        view.check_again_button.clicked.connect(self.controller.check_again)
        view.try_again_button.clicked.connect(self._on_try_again_button_clicked)
        view.retry_terminal_combo.currentIndexChanged.connect(
            self._on_retry_terminal_combo_current_index_changed
        )

    # -- the `state` Qt property --------------------------------------------------------

    def _get_state(self) -> str:
        state = self.controller.state
        return state.name.value if state is not None else ""

    if TYPE_CHECKING:
        state: str  # what Python code reads: the StateName value of the engine's state
    else:
        state = Property(str, _get_state, notify=state_changed)

    def state_now(self) -> PaymentState | None:
        """The state on screen (after "Check again" it may differ from `follow`'s result)."""
        return self.controller.state

    @property
    def in_progress(self) -> bool:
        """Whether the engine is still at work: no outcome yet and the run goes on."""
        return self.controller.in_progress

    @property
    def broken(self) -> bool:
        """Whether the run stopped without an outcome (a bug; logged, an apology shown)."""
        return self.controller.broken

    @property
    def error(self) -> BaseException | None:
        """The exception that broke the run, if one did."""
        return self.controller.error

    @property
    def follow_task(self) -> asyncio.Task[object] | None:
        """The task consuming the run (to await in tests)."""
        return self.controller.follow_task

    @property
    def check_task(self) -> asyncio.Task[object] | None:
        """The task of the last "Check again" (to await in tests)."""
        return self.controller.check_task

    def set_check_again(self, check_again: CheckAgain | None) -> None:
        """Set what "Check again" calls (when it is only known after construction)."""
        self.controller.check_again_call = check_again

    def set_title(self, title: str | None) -> None:
        """The window title for the next run (None: named after the payment's kind)."""
        self._title = title

    def set_terminals(self, terminals: Sequence[TerminalInfo], current_id: str | None) -> None:
        """Fill the retry terminal picker; only ready terminals can be chosen."""
        self.view.set_terminals(terminals, current_id)
        if self.isVisible():  # an outcome on screen may offer them now
            self.controller.update_outcome_controls()

    # -- following a run ----------------------------------------------------------------

    async def follow(
        self, run: FollowedRun, cancel: asyncio.Event | None, terminal_name: str | None
    ) -> PaymentState:
        """Open on `run.state`, render every state the run yields, return the last one.

        It is final unless the run broke (see `broken`). The dialog stays open on
        the outcome; await `choice()` next.
        """
        self._choice = None
        self.setWindowTitle(self._title or text.PAYMENT_TITLES.get(run.state.kind, ""))
        self.controller.begin(run, cancel, terminal_name)  # never a blank dialog, not a frame
        self.open()
        self.controller.announce()
        return await self.controller.follow(run)

    def request_cancel(self) -> None:
        """Ask the engine to stop (see `PaymentController.request_cancel`)."""
        self.controller.request_cancel()

    # -- closing --------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc requests a cancel while in progress; Enter does nothing then."""
        if self.in_progress and event.key() == Qt.Key.Key_Escape:
            self.request_cancel()
            event.accept()
            return
        if self.in_progress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)

    def reject(self) -> None:
        """Refused while in progress; afterwards the same as the neutral choice."""
        if self._refuse_closing():
            return
        if self.controller.state is None or self._choice is not None:
            super().reject()
            return
        self._choose(self._default_action())

    def closeEvent(self, event: QCloseEvent) -> None:
        """The window cannot close mid-payment."""
        if self._refuse_closing():
            event.ignore()
            return
        super().closeEvent(event)  # QDialog calls reject(): the neutral choice

    def _refuse_closing(self) -> bool:
        if self.in_progress:
            self.view.show_note(text.STILL_IN_PROGRESS)
            return True
        return False

    def _default_action(self) -> PaymentAction:
        state = self.controller.state
        if state is None or state.name in RETRYABLE:
            return PaymentAction.BACK
        if state.name is StateName.APPROVED:
            return PaymentAction.NEW_SALE
        return PaymentAction.KEEP_OPEN  # unresolved, or a run that broke: not settled

    def done(self, result: int) -> None:
        """Close (its task slots stop with it): the clock stops, and the view wears the
        plain look again now, so the next payment opens without a re-polish."""
        self.view.stop_clock()
        super().done(result)
        self.view.plain()

    # -- outcome --------------------------------------------------------------------------

    async def choice(self) -> PaymentChoice:
        """Wait for the cashier's next step (after `follow` returned)."""
        if self._choice is not None:
            return self._choice
        if self._choice_future is None or self._choice_future.done():
            self._choice_future = asyncio.get_running_loop().create_future()
        return await asyncio.shield(self._choice_future)

    def _choose(self, action: PaymentAction, terminal_id: str | None = None) -> None:
        if self.controller.state is None or self.in_progress or self._choice is not None:
            return
        self._set_choice(PaymentChoice(action, terminal_id))
        self.done(QDialog.DialogCode.Accepted)

    def _set_choice(self, choice: PaymentChoice) -> None:
        self._choice = choice
        if self._choice_future is not None and not self._choice_future.done():
            self._choice_future.set_result(choice)
        self.choice_made.emit(choice)

    # -- slots ----------------------------------------------------------------------------

    def _on_try_again_button_clicked(self) -> None:
        state = self.controller.state
        if state is None:
            return
        if not self.view.retry_terminal_combo.isHidden():
            terminal_id = self.view.chosen_terminal()
            if terminal_id is None:
                self.view.show_note(text.NO_READY_TERMINAL)
                return
        else:
            terminal_id = state.terminal_id
        self._choose(PaymentAction.RETRY, terminal_id)

    def _on_retry_terminal_combo_current_index_changed(self, _index: int) -> None:
        state = self.controller.state
        if state is not None and state.name in RETRYABLE:
            self.view.hide_note()
            self.view.update_try_again()
