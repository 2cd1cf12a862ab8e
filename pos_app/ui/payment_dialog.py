"""The waiting screen of a charge, refund or void: it follows the engine's run.

The dialog shows only what the engine journaled: it renders `run.state` before
it opens, then every state the run yields (see `pos_app.services.payments`),
and never makes one up. Cancel is a request: it sets the engine's cancel
event and says "Asking to cancel..." until the engine journals
`cancel_requested`; the remote side decides, so an approval that arrives after
it wins. The dialog cannot be closed while the engine works, then offers the
next steps and reports the cashier's choice.

A run that breaks (a bug: the stream promises to end on a final state and
never to raise) leaves its last journaled state on screen, is logged with the
operation id, and offers "Check again" and "Keep the sale open": the payment
is not settled, never declined.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar, Protocol

from PySide6.QtCore import Property, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import QDialog, QVBoxLayout, QWidget

from pos_app.domain.payment_flow import (
    PaymentState,
    StateName,
    can_request_cancel,
    is_final,
)
from pos_app.services.ports import Operation, TerminalInfo
from pos_app.ui.payment_view import RETRYABLE, PaymentView
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.text import payment as text

__all__ = ["FollowedRun", "PaymentAction", "PaymentChoice", "PaymentDialog"]

log = logging.getLogger("pos_app.ui.payment_dialog")

CheckAgain = Callable[[], Awaitable[PaymentState | None]]


class FollowedRun(Protocol):
    """What the dialog follows: the engine's `PaymentRun`.

    `state` is the latest journaled state (already `preparing` before the run is
    iterated); iterating yields every journaled state and ends on a final one.
    """

    @property
    def operation(self) -> Operation: ...

    @property
    def state(self) -> PaymentState: ...

    def __aiter__(self) -> AsyncIterator[PaymentState]: ...


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
        self._check_again = check_again
        self._state: PaymentState | None = None
        self._cancel: asyncio.Event | None = None
        self._cancel_asked = False
        self._terminal_name: str | None = None
        self._choice: PaymentChoice | None = None
        self._choice_future: asyncio.Future[PaymentChoice] | None = None
        self._error: BaseException | None = None
        self._broken = False
        self._checking = False
        self._follow_slot = TaskSlot(self, "payment-follow")
        self._check_slot = TaskSlot(self, "payment-check-again")
        self.view = PaymentView(self, spinner_delay_ms=spinner_delay_ms, monotonic=monotonic)
        layout = QVBoxLayout(self)  # the dialog's margins frame the view
        layout.addWidget(self.view)
        self._connect()

    def _connect(self) -> None:
        view = self.view
        view.cancel_button.clicked.connect(self.request_cancel)
        view.back_button.clicked.connect(lambda: self._choose(PaymentAction.BACK))
        view.keep_open_button.clicked.connect(lambda: self._choose(PaymentAction.KEEP_OPEN))
        view.new_sale_button.clicked.connect(lambda: self._choose(PaymentAction.NEW_SALE))
        view.check_again_button.clicked.connect(self._on_check_again_button_clicked)
        view.try_again_button.clicked.connect(self._on_try_again_button_clicked)
        view.retry_terminal_combo.currentIndexChanged.connect(
            self._on_retry_terminal_combo_current_index_changed
        )

    # -- the `state` Qt property --------------------------------------------------------

    def _get_state(self) -> str:
        return self._state.name.value if self._state is not None else ""

    if TYPE_CHECKING:
        state: str  # what Python code reads: the StateName value of the engine's state
    else:
        state = Property(str, _get_state, notify=state_changed)

    def state_now(self) -> PaymentState | None:
        """The state on screen (after "Check again" it may differ from `follow`'s result)."""
        return self._state

    @property
    def in_progress(self) -> bool:
        """Whether the engine is still at work: no outcome yet and the run goes on."""
        return self._state is not None and not is_final(self._state) and not self._broken

    @property
    def broken(self) -> bool:
        """Whether the run stopped without an outcome (a bug; logged, an apology shown)."""
        return self._broken

    @property
    def error(self) -> BaseException | None:
        """The exception that broke the run, if one did."""
        return self._error

    @property
    def follow_task(self) -> asyncio.Task[object] | None:
        """The task consuming the run (to await in tests)."""
        return self._follow_slot.task

    @property
    def check_task(self) -> asyncio.Task[object] | None:
        """The task of the last "Check again" (to await in tests)."""
        return self._check_slot.task

    def set_check_again(self, check_again: CheckAgain | None) -> None:
        """Set what "Check again" calls (when it is only known after construction)."""
        self._check_again = check_again

    def set_terminals(self, terminals: Sequence[TerminalInfo], current_id: str | None) -> None:
        """Fill the retry terminal picker; only ready terminals can be chosen."""
        self.view.set_terminals(terminals, current_id)
        self._update_outcome_controls()

    # -- following a run ----------------------------------------------------------------

    async def follow(
        self, run: FollowedRun, cancel: asyncio.Event | None, terminal_name: str | None
    ) -> PaymentState:
        """Open on `run.state`, render every state the run yields, return the last one.

        It is final unless the run broke (see `broken`). The dialog stays open on
        the outcome; await `choice()` next.
        """
        self._cancel = cancel
        self._cancel_asked = False
        self._terminal_name = terminal_name
        self._choice = None
        self._error = None
        self._broken = False
        self.view.new_run()
        self._render(run.state)  # never a blank dialog, not even for a frame
        self.open()
        self._announce()
        task = self._follow_slot.start(self._consume(aiter(run), run.operation.id))
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            self._follow_slot.cancel()
            raise
        state = self._state
        assert state is not None  # rendered before the dialog opened
        return state

    async def _consume(self, iterator: AsyncIterator[PaymentState], operation_id: str) -> None:
        try:
            async for state in iterator:
                self._render(state)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug: the run promises never to raise
            self._error = exc
            log.exception("following payment %s failed", operation_id)
        finally:
            await _close_quietly(iterator, operation_id)
        if self._state is not None and not is_final(self._state):
            if self._error is None:
                log.error("payment %s: the run ended without an outcome", operation_id)
            self._on_run_broken()

    def _on_run_broken(self) -> None:
        """Keep the last journaled state on screen; only "Check again" can tell more."""
        self._broken = True
        self.view.show_lost(True)
        self.view.stop_clock()
        self.view.cancel_button.hide()
        self.view.show_note(text.UNEXPECTED_PROBLEM, assertive=True)
        self._update_outcome_controls()

    # -- rendering ----------------------------------------------------------------------

    def _render(self, state: PaymentState) -> None:
        if state == self._state:
            return  # the same journaled state again (the run repeats its first one)
        first = self._state is None
        changed = self._state is None or self._state.name is not state.name
        self._state = state
        if is_final(state):
            self._broken = False
            self.view.show_lost(False)
        if first or self._title is None:
            self.setWindowTitle(self._title or text.PAYMENT_TITLES.get(state.kind, ""))
        can_cancel = (
            self._cancel is not None and can_request_cancel(state) and not self._cancel_asked
        )
        self.view.show_state(state, self._terminal_name, can_cancel=can_cancel)
        if state.name is StateName.CANCEL_REQUESTED or is_final(state):
            # The status line explains now. Before the terminal has the sale (preparing,
            # sending) it does not mention the request, so the note stays until the outcome.
            self.view.hide_note(text.ASKING_TO_CANCEL)
        self._update_outcome_controls()
        self._announce()
        if changed:
            self.state_changed.emit(state.name.value)
        self.payment_state_changed.emit(state)

    def _announce(self) -> None:
        if self._state is not None:
            self.view.announce_state(outcome=is_final(self._state))

    def _update_outcome_controls(self) -> None:
        state = self._state
        if state is None or self.in_progress:
            return
        view = self.view
        view.label_choices(state.kind)
        if state.name is StateName.APPROVED:
            view.show_retry_picker(False)
            view.show_choices({view.new_sale_button}, default=view.new_sale_button)
        elif state.name in RETRYABLE:
            view.show_retry_picker(state.terminal_id is not None and view.has_terminals)
            view.show_choices(
                {view.try_again_button, view.back_button}, default=view.try_again_button
            )
            self._update_try_again()
        else:  # unresolved, or a run that broke before its outcome
            view.show_retry_picker(False)
            can_check = self._check_again is not None and not self._checking
            view.show_choices(
                {view.check_again_button, view.keep_open_button},
                default=view.check_again_button if can_check else view.keep_open_button,
            )
            view.check_again_button.setEnabled(can_check)

    def _update_try_again(self) -> None:
        view = self.view
        if view.retry_terminal_combo.isHidden():
            view.try_again_button.setEnabled(True)
            return
        ready = view.chosen_terminal() is not None
        view.try_again_button.setEnabled(ready)
        if not ready:
            view.show_note(text.NO_READY_TERMINAL)

    # -- cancel and closing -------------------------------------------------------------

    def request_cancel(self) -> None:
        """Ask the engine to stop; the outcome still comes from JustiFi or the terminal.

        The `state` stays the engine's: until it journals `cancel_requested` the
        dialog only says it is asking.
        """
        state = self._state
        if state is None or not self.in_progress:
            return
        if self._cancel is None:
            self.view.show_note(text.CANCEL_NOT_POSSIBLE)
            return
        if self._cancel_asked or state.cancel_requested:
            self.view.show_note(text.CANCEL_ALREADY_REQUESTED)
            return
        self._cancel_asked = True
        self._cancel.set()
        self.view.cancel_button.setEnabled(False)
        self.view.show_note(text.ASKING_TO_CANCEL)

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
        if self._state is None or self._choice is not None:
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
        state = self._state
        if state is None or state.name in RETRYABLE:
            return PaymentAction.BACK
        if state.name is StateName.APPROVED:
            return PaymentAction.NEW_SALE
        return PaymentAction.KEEP_OPEN  # unresolved, or a run that broke: not settled

    def done(self, result: int) -> None:
        """Close for good: stop any check still running."""
        self._check_slot.cancel()
        self.view.stop_clock()
        super().done(result)

    # -- outcome --------------------------------------------------------------------------

    async def choice(self) -> PaymentChoice:
        """Wait for the cashier's next step (after `follow` returned)."""
        if self._choice is not None:
            return self._choice
        if self._choice_future is None or self._choice_future.done():
            self._choice_future = asyncio.get_running_loop().create_future()
        return await asyncio.shield(self._choice_future)

    def _choose(self, action: PaymentAction, terminal_id: str | None = None) -> None:
        if self._state is None or self.in_progress or self._choice is not None:
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
        state = self._state
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
        if self._state is not None and self._state.name in RETRYABLE:
            self.view.hide_note()
            self._update_try_again()

    def _on_check_again_button_clicked(self) -> None:
        if self._check_again is None or self._checking:
            return
        self._checking = True
        self.view.check_again_button.setEnabled(False)
        self.view.show_note(text.CHECKING_AGAIN)
        self.view.spinner_after_delay()
        self._check_slot.start(self._run_check_again(self._check_again))

    async def _run_check_again(self, check_again: CheckAgain) -> None:
        try:
            new = await check_again()
        except asyncio.CancelledError:
            raise
        except Exception:  # connection trouble or a bug: logged, the cashier reads a sentence
            log.warning("check again failed", exc_info=True)
            new = None
            note = text.CHECK_FAILED
        else:
            note = text.STILL_NO_ANSWER
        finally:
            self._checking = False
            self.view.stop_spinner()
        if new is not None and is_final(new):
            self._render(new)  # what the engine journaled after asking JustiFi
            if new.name is not StateName.UNRESOLVED:
                self.view.hide_note()
                return
        self.view.show_note(note)
        self._update_outcome_controls()


async def _close_quietly(iterator: AsyncIterator[PaymentState], operation_id: str) -> None:
    """Close the run's generator; a failure there is logged, never shown."""
    close = getattr(iterator, "aclose", None)
    if close is None:
        return
    try:
        await close()
    except Exception:  # a bug while closing must not break the dialog
        log.exception("closing payment %s's run failed", operation_id)
