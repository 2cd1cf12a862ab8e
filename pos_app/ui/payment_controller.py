"""Following one engine run for the payment dialog: the follow task, Cancel, Check again.

The controller feeds the states the engine journals to a `PaymentView` and
never makes one up: it renders `run.state` first, then every state the run
yields (see `pos_app.services.payments`). It owns what the cashier may ask
while the engine works:

- Cancel is a request: it sets the engine's cancel event and says "Asking to
  cancel..." until the engine journals `cancel_requested`; the remote side
  decides, so an approval that arrives after it wins.
- "Check again" of an unresolved outcome asks the engine (which asks JustiFi)
  and renders what the engine journaled.

A run that breaks (a bug: the stream promises to end on a final state and
never to raise) leaves its last journaled state on screen, is logged with the
operation id, and leaves "Check again" and "Keep the sale open": the payment
is not settled, never declined.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog

from pos_app.domain.errors import UserFacingError
from pos_app.domain.payment_flow import PaymentState, StateName, can_request_cancel, is_final
from pos_app.services.ports import GatewayError, Operation
from pos_app.ui.payment_view import PaymentView
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.text import payment as text

__all__ = ["CheckAgain", "FollowedRun", "PaymentController"]

log = logging.getLogger("pos_app.ui.payment_controller")

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


class PaymentController(QObject):
    """Renders one run's journaled states in `view` and owns Cancel and Check again.

    Its tasks belong to `owner` (the dialog): they stop when the dialog finishes.
    """

    state_changed = Signal(str)  # the StateName value, when it changes
    payment_state_changed = Signal(object)  # every new PaymentState

    def __init__(
        self, view: PaymentView, owner: QDialog, *, check_again: CheckAgain | None = None
    ) -> None:
        super().__init__(owner)
        self.view = view
        self.check_again_call = check_again
        self._state: PaymentState | None = None
        self._cancel: asyncio.Event | None = None
        self._cancel_asked = False
        self._terminal_name: str | None = None
        self._error: BaseException | None = None
        self._broken = False
        self._checking = False
        self._follow_slot = TaskSlot(owner, "payment-follow")
        self._check_slot = TaskSlot(owner, "payment-check-again")

    # -- what the dialog reads ----------------------------------------------------------

    @property
    def state(self) -> PaymentState | None:
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

    # -- following a run ------------------------------------------------------------------

    def begin(
        self, run: FollowedRun, cancel: asyncio.Event | None, terminal_name: str | None
    ) -> None:
        """Forget the last run and render `run.state`, so the dialog never opens blank."""
        self._state = None
        self._cancel = cancel
        self._cancel_asked = False
        self._terminal_name = terminal_name
        self._error = None
        self._broken = False
        self._checking = False
        self.view.new_run()
        self.render(run.state)

    async def follow(self, run: FollowedRun) -> PaymentState:
        """Render every state the run yields; return the last one (final unless broken)."""
        task = self._follow_slot.start(self._consume(aiter(run), run.operation.id))
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            self._follow_slot.cancel()  # whoever awaited us is cancelled: so is the run
            raise
        state = self._state
        assert state is not None  # rendered in `begin`
        return state

    async def _consume(self, iterator: AsyncIterator[PaymentState], operation_id: str) -> None:
        try:
            async for state in iterator:
                self.render(state)
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
        self.update_outcome_controls()

    # -- rendering ----------------------------------------------------------------------

    def render(self, state: PaymentState) -> None:
        """Show one journaled state (a repeat of the one on screen changes nothing)."""
        if state == self._state:
            return  # the same journaled state again (the run repeats its first one)
        changed = self._state is None or self._state.name is not state.name
        self._state = state
        if is_final(state):
            self._broken = False
            self.view.show_lost(False)
        can_cancel = (
            self._cancel is not None and can_request_cancel(state) and not self._cancel_asked
        )
        self.view.show_state(state, self._terminal_name, can_cancel=can_cancel)
        if state.name is StateName.CANCEL_REQUESTED or is_final(state):
            # The status line explains now. Before the terminal has the sale (preparing,
            # sending) it does not mention the request, so the note stays until the outcome.
            self.view.hide_note(text.ASKING_TO_CANCEL)
        self.update_outcome_controls()
        self.announce()
        if changed:
            self.state_changed.emit(state.name.value)
        self.payment_state_changed.emit(state)

    def announce(self) -> None:
        """Have screen readers speak the status line (once it is on screen)."""
        if self._state is not None:
            self.view.announce_state(outcome=is_final(self._state))

    def update_outcome_controls(self) -> None:
        """Offer the next steps once there is an outcome (or the run broke)."""
        if self._state is None or self.in_progress:
            return
        can_check = self.check_again_call is not None and not self._checking
        self.view.show_outcome(self._state, can_check_again=can_check)

    # -- what the cashier asks meanwhile ---------------------------------------------------

    def request_cancel(self) -> None:
        """Ask the engine to stop; the outcome still comes from JustiFi or the terminal.

        The state stays the engine's: until it journals `cancel_requested` the
        view only says it is asking.
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

    def check_again(self) -> None:
        """Ask the engine about an unresolved outcome once more (one check at a time)."""
        if self.check_again_call is None or self._checking:
            return
        self._checking = True
        self.view.check_again_button.setEnabled(False)
        self.view.show_note(text.CHECKING_AGAIN)
        self.view.spinner_after_delay()
        self._check_slot.start(self._run_check_again(self.check_again_call))

    async def _run_check_again(self, check_again: CheckAgain) -> None:
        try:
            new = await check_again()
        except (GatewayError, UserFacingError):  # JustiFi out of reach: a sentence, no bug
            log.warning("check again failed", exc_info=True)
            new = None
            note = text.CHECK_FAILED
        except Exception:
            self._checking = False
            self.view.show_note(text.CHECK_FAILED)
            self.update_outcome_controls()
            raise  # a bug: the task slot sends it to the bug funnel
        else:
            note = text.STILL_NO_ANSWER
        finally:
            self._checking = False
            self.view.stop_spinner()
        if new is not None and is_final(new):
            self.render(new)  # what the engine journaled after asking JustiFi
            if new.name is not StateName.UNRESOLVED:
                self.view.hide_note()
                return
        self.view.show_note(note)
        self.update_outcome_controls()


async def _close_quietly(iterator: AsyncIterator[PaymentState], operation_id: str) -> None:
    """Close the run's generator; a failure there is logged, never shown."""
    close = getattr(iterator, "aclose", None)
    if close is None:
        return
    try:
        await close()
    except Exception:  # a bug while closing must not break the dialog
        log.exception("closing payment %s's run failed", operation_id)
