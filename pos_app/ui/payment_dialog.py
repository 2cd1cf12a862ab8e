"""The waiting screen of a charge, refund or void: one status line, updated in place.

The dialog only renders `PaymentState`s that the engine yields (see
`pos_app.domain.payment_flow`); it never decides an outcome. Cancel is a
request: it sets the engine's cancel event and the remote side decides, so an
approval that arrives after it wins. The dialog cannot be closed until the
outcome is final, then offers the next steps and reports the cashier's choice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterable, Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import Property, Qt, QTimer, Signal
from PySide6.QtGui import QAccessible, QAccessibleEvent, QCloseEvent, QKeyEvent, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.money import Money
from pos_app.domain.payment_flow import (
    CancelRequested,
    DeadlinePassed,
    PaymentKind,
    PaymentState,
    SendRefused,
    StateName,
    can_request_cancel,
    is_final,
    transition,
)
from pos_app.domain.texts import status_line
from pos_app.services.payments import PaymentRun
from pos_app.services.ports import GatewayConfigError, TerminalInfo
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.text import payment as text

log = logging.getLogger("pos_app.ui.payment_dialog")

MIN_TOUCH = 44
CheckAgain = Callable[[], Awaitable[PaymentState | None]]


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


# Explicit foreground and background pairs stay readable on light and dark palettes.
STYLE_SHEET = """
QDialog#paymentDialog QLabel#paymentAmountLabel { font-size: 30pt; font-weight: 600; }
QDialog#paymentDialog QLabel#paymentStatusLabel { font-size: 15pt; }
QDialog#paymentDialog QLabel#paymentNoteLabel { font-style: italic; }
QDialog#paymentDialog QPushButton { min-height: 44px; min-width: 96px; padding: 0 14px; }
QDialog#paymentDialog QComboBox { min-height: 44px; }
QDialog#paymentDialog QFrame#paymentStatusFrame {
    border: 2px solid palette(mid); border-radius: 8px;
}
QDialog#paymentDialog[state="retrying"] QFrame#paymentStatusFrame,
QDialog#paymentDialog[state="cancel_requested"] QFrame#paymentStatusFrame {
    border-color: #c77c00;
}
QDialog#paymentDialog[state="approved"] QFrame#paymentStatusFrame {
    background: #1b6e2a; border-color: #124d1d;
}
QDialog#paymentDialog[state="declined"] QFrame#paymentStatusFrame {
    background: #a8321e; border-color: #7a2314;
}
QDialog#paymentDialog[state="unresolved"] QFrame#paymentStatusFrame {
    background: #f2b233; border-color: #b57a00;
}
QDialog#paymentDialog[state="cancelled"] QFrame#paymentStatusFrame,
QDialog#paymentDialog[state="timed_out"] QFrame#paymentStatusFrame {
    background: #55595f; border-color: #3a3d41;
}
QDialog#paymentDialog[state="approved"] QFrame#paymentStatusFrame QLabel,
QDialog#paymentDialog[state="declined"] QFrame#paymentStatusFrame QLabel,
QDialog#paymentDialog[state="cancelled"] QFrame#paymentStatusFrame QLabel,
QDialog#paymentDialog[state="timed_out"] QFrame#paymentStatusFrame QLabel {
    color: #ffffff;
}
QDialog#paymentDialog[state="unresolved"] QFrame#paymentStatusFrame QLabel { color: #1a1a1a; }
"""

_RETRYABLE = frozenset({StateName.DECLINED, StateName.CANCELLED, StateName.TIMED_OUT})


def format_elapsed(seconds: float) -> str:
    """Seconds as m:ss ("0:07", "12:30")."""
    minutes, secs = divmod(max(int(seconds), 0), 60)
    return f"{minutes}:{secs:02d}"


def announce(widget: QWidget, name: str, description: str = "") -> None:
    """Tell screen readers that `widget` now reads `name`; never raises."""
    widget.setAccessibleName(name)
    widget.setAccessibleDescription(description)
    try:
        QAccessible.updateAccessibility(QAccessibleEvent(widget, QAccessible.Event.NameChanged))
    except Exception:  # an accessibility bridge must never break a payment
        log.debug("accessibility update failed", exc_info=True)


def _button(name: str, label: str, parent: QWidget) -> QPushButton:
    button = QPushButton(label, parent)
    button.setObjectName(name)
    button.setAccessibleName(label)
    button.setMinimumHeight(MIN_TOUCH)
    return button


class PaymentDialog(QDialog):
    """Follows one charge, refund or void until it is final, then asks what next.

    `check_again` is called by the "Check again" button of an unresolved
    outcome (typically `lambda: service.check_again(run.operation.id)`).
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
        self.setStyleSheet(STYLE_SHEET)
        self._title = title
        self._check_again = check_again
        self._monotonic = monotonic
        self._state_name = ""
        self._state: PaymentState | None = None
        self._cancel: asyncio.Event | None = None
        self._cancel_asked = False
        self._terminal_name: str | None = None
        self._terminals: dict[str, TerminalInfo] = {}
        self._started_at = monotonic()
        self._choice: PaymentChoice | None = None
        self._choice_future: asyncio.Future[PaymentChoice] | None = None
        self._error: BaseException | None = None
        self._checking = False
        self._follow_slot = TaskSlot(self, "payment-follow")
        self._check_slot = TaskSlot(self, "payment-check-again")
        self._build()
        self._spinner_timer = QTimer(self)
        self._spinner_timer.setSingleShot(True)
        self._spinner_timer.setInterval(spinner_delay_ms)
        self._spinner_timer.timeout.connect(self._on_spinner_timer_timeout)
        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.setInterval(1000)
        self._elapsed_timer.timeout.connect(self._on_elapsed_timer_timeout)

    # -- building -----------------------------------------------------------------------

    def _build(self) -> None:
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        self.amount_label = QLabel(self)
        self.amount_label.setObjectName("paymentAmountLabel")
        self.amount_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.amount_label)

        info = QHBoxLayout()
        self.terminal_label = QLabel(self)
        self.terminal_label.setObjectName("paymentTerminalLabel")
        info.addWidget(self.terminal_label, 1)
        elapsed_caption = QLabel(text.ELAPSED_CAPTION, self)
        info.addWidget(elapsed_caption)
        self.elapsed_label = QLabel(format_elapsed(0), self)
        self.elapsed_label.setObjectName("elapsedLabel")
        self.elapsed_label.setAccessibleName(text.ELAPSED_NAME)
        elapsed_caption.setBuddy(self.elapsed_label)
        info.addWidget(self.elapsed_label)
        layout.addLayout(info)

        self.status_frame = QFrame(self)
        self.status_frame.setObjectName("paymentStatusFrame")
        frame_layout = QVBoxLayout(self.status_frame)
        frame_layout.setContentsMargins(16, 16, 16, 16)
        self.status_label = QLabel(self.status_frame)
        self.status_label.setObjectName("paymentStatusLabel")
        self.status_label.setWordWrap(True)
        self.status_label.setMinimumHeight(72)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setAccessibleName(text.STATUS_NAME)
        frame_layout.addWidget(self.status_label)
        layout.addWidget(self.status_frame)

        self.spinner = QProgressBar(self)
        self.spinner.setObjectName("paymentSpinner")
        self.spinner.setAccessibleName(text.SPINNER_NAME)
        self.spinner.setRange(0, 0)
        self.spinner.setTextVisible(False)
        policy = self.spinner.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # showing it later must not move the buttons
        self.spinner.setSizePolicy(policy)
        self.spinner.hide()
        layout.addWidget(self.spinner)

        self.note_label = QLabel(self)
        self.note_label.setObjectName("paymentNoteLabel")
        self.note_label.setWordWrap(True)
        self.note_label.setTextFormat(Qt.TextFormat.PlainText)
        self.note_label.hide()
        layout.addWidget(self.note_label)

        layout.addLayout(self._build_retry_row())
        layout.addLayout(self._build_buttons())

    def _build_retry_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.retry_terminal_caption = QLabel(text.RETRY_TERMINAL_LABEL, self)
        self.retry_terminal_combo = QComboBox(self)
        self.retry_terminal_combo.setObjectName("retryTerminalCombo")
        self.retry_terminal_combo.setAccessibleName(text.RETRY_TERMINAL_LABEL)
        self.retry_terminal_combo.setMinimumHeight(MIN_TOUCH)
        self.retry_terminal_combo.setSizePolicy(
            QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed
        )
        self.retry_terminal_combo.currentIndexChanged.connect(
            self._on_retry_terminal_combo_current_index_changed
        )
        self.retry_terminal_caption.setBuddy(self.retry_terminal_combo)
        row.addWidget(self.retry_terminal_caption)
        row.addWidget(self.retry_terminal_combo, 1)
        self.retry_terminal_caption.hide()
        self.retry_terminal_combo.hide()
        return row

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel_button = _button("cancelPaymentButton", text.CANCEL_BUTTON, self)
        self.cancel_button.setAccessibleDescription(text.CANCEL_BUTTON_DESCRIPTION)
        # A stray second Enter from the till must not request a cancel.
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.request_cancel)
        self.back_button = _button("backToSaleButton", text.BACK_TO_SALE_BUTTON, self)
        self.back_button.clicked.connect(lambda: self._choose(PaymentAction.BACK))
        self.keep_open_button = _button("keepOpenButton", text.KEEP_OPEN_BUTTON, self)
        self.keep_open_button.clicked.connect(lambda: self._choose(PaymentAction.KEEP_OPEN))
        self.check_again_button = _button("checkAgainButton", text.CHECK_AGAIN_BUTTON, self)
        self.check_again_button.clicked.connect(self._on_check_again_button_clicked)
        self.try_again_button = _button("tryAgainButton", text.TRY_AGAIN_BUTTON, self)
        self.try_again_button.clicked.connect(self._on_try_again_button_clicked)
        self.new_sale_button = _button("newSaleButton", text.NEW_SALE_BUTTON, self)
        self.new_sale_button.clicked.connect(lambda: self._choose(PaymentAction.NEW_SALE))
        self._outcome_buttons = (
            self.back_button,
            self.keep_open_button,
            self.check_again_button,
            self.try_again_button,
            self.new_sale_button,
        )
        for button in (self.cancel_button, *self._outcome_buttons):
            row.addWidget(button)
        for button in self._outcome_buttons:
            button.hide()
        return row

    # -- the `state` Qt property --------------------------------------------------------

    def _get_state(self) -> str:
        return self._state_name

    if TYPE_CHECKING:
        state: str  # what Python code reads: the StateName value
    else:
        state = Property(str, _get_state, notify=state_changed)

    def state_now(self) -> PaymentState | None:
        """The state on screen (after "Check again" it may differ from `follow`'s result)."""
        return self._state

    @property
    def error(self) -> BaseException | None:
        """An exception that ended the run early (logged; the cashier saw a sentence)."""
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
        self._terminals = {t.id: t for t in terminals}
        combo = self.retry_terminal_combo
        combo.blockSignals(True)
        combo.clear()
        model = combo.model()
        selected = -1
        for index, terminal in enumerate(terminals):
            template = text.TERMINAL_READINESS.get(terminal.readiness.value, "{name}")
            combo.addItem(template.format(name=terminal.name), terminal.id)
            if isinstance(model, QStandardItemModel):
                item = model.item(index)
                if item is not None:
                    item.setEnabled(terminal.is_ready)
            if terminal.is_ready and (selected < 0 or terminal.id == current_id):
                selected = index
        combo.setCurrentIndex(selected)
        combo.blockSignals(False)
        self._update_outcome_controls()

    # -- following a run ----------------------------------------------------------------

    async def follow(
        self,
        run: PaymentRun | AsyncIterable[PaymentState],
        cancel: asyncio.Event | None,
        terminal_name: str | None,
    ) -> PaymentState:
        """Show the dialog, render every state of `run`, return the final one.

        The dialog stays open on the outcome; await `choice()` next.
        """
        self._cancel = cancel
        self._cancel_asked = False
        self._terminal_name = terminal_name
        self._choice = None
        self._error = None
        self._started_at = self._monotonic()
        self._update_elapsed()
        self.open()
        task = self._follow_slot.start(self._consume(run))
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            self._follow_slot.cancel()
            raise
        state = self._state
        assert state is not None  # _consume always renders at least one state
        return state

    async def _consume(self, run: PaymentRun | AsyncIterable[PaymentState]) -> None:
        iterator = aiter(run)
        try:
            async for state in iterator:
                self._render(state)
        except asyncio.CancelledError:
            raise
        except GatewayConfigError as exc:
            # The engine journaled "cancelled, credentials refused": show the same.
            self._error = exc
            log.warning("payment stopped: JustiFi refused the credentials")
            self._render_after_error(SendRefused("authentication_failed", None))
        except Exception as exc:  # a bug: log it, never show it
            self._error = exc
            operation = run.operation.id if isinstance(run, PaymentRun) else None
            log.exception("following payment %s failed", operation)
            self._render_after_error(DeadlinePassed())
            self._show_note(text.UNEXPECTED_PROBLEM)
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()
        if self._state is not None and not is_final(self._state):
            # The run ended without an outcome; only JustiFi can still tell.
            self._render(transition(self._state, DeadlinePassed()))

    def _render_after_error(self, event: SendRefused | DeadlinePassed) -> None:
        if self._state is None:
            return
        new = transition(self._state, event)
        if not is_final(new):
            new = transition(new, DeadlinePassed())
        self._render(new)

    # -- rendering ----------------------------------------------------------------------

    def _render(self, state: PaymentState) -> None:
        if self._cancel_asked and not state.cancel_requested and not is_final(state):
            # Our request is on its way to the engine: keep saying so meanwhile.
            state = transition(state, CancelRequested())
        first = self._state is None
        self._state = state
        if first or self._title is None:
            self.setWindowTitle(self._title or text.PAYMENT_TITLES.get(state.kind, ""))
        amount = Money(state.amount_cents).format()
        self.amount_label.setText(amount)
        self.amount_label.setAccessibleName(f"{text.AMOUNT_LABEL_NAME} {amount}")
        self._render_terminal(state)
        line = status_line(state, self._terminal_name)
        if self.status_label.text() != line:
            self.status_label.setText(line)
            announce(self.status_label, line, text.PAYMENT_TITLES.get(state.kind, ""))
        self._set_state_name(state.name.value)
        if is_final(state):
            self._on_final()
        else:
            self._on_in_progress(state)
        self.payment_state_changed.emit(state)

    def _render_terminal(self, state: PaymentState) -> None:
        if state.terminal_id is None:
            self.terminal_label.setText(text.NO_TERMINAL_CAPTION)
            return
        name = self._terminal_name or state.terminal_id
        self.terminal_label.setText(text.TERMINAL_CAPTION.format(name=name))

    def _set_state_name(self, name: str) -> None:
        if name == self._state_name:
            return
        self._state_name = name
        # Re-polish so `QDialog#paymentDialog[state="..."]` rules apply to the new value.
        for widget in (self, self.status_frame, self.status_label):
            widget.style().unpolish(widget)
            widget.style().polish(widget)
            widget.update()
        self.state_changed.emit(name)

    def _on_in_progress(self, state: PaymentState) -> None:
        self._show_outcome_buttons(set())
        self._show_retry_picker(False)
        self.cancel_button.show()
        self.cancel_button.setEnabled(self._cancel is not None and can_request_cancel(state))
        if not self._elapsed_timer.isActive():
            self._elapsed_timer.start()
        if self.spinner.isHidden() and not self._spinner_timer.isActive():
            self._spinner_timer.start()

    def _on_final(self) -> None:
        self._elapsed_timer.stop()
        self._spinner_timer.stop()
        self._update_elapsed()
        self.spinner.hide()
        self.cancel_button.hide()
        self._update_outcome_controls()

    def _update_outcome_controls(self) -> None:
        state = self._state
        if state is None or not is_final(state):
            return
        refund = state.kind is not PaymentKind.CHARGE
        self.new_sale_button.setText(text.DONE_BUTTON if refund else text.NEW_SALE_BUTTON)
        self.back_button.setText(text.BACK_BUTTON if refund else text.BACK_TO_SALE_BUTTON)
        self.keep_open_button.setText(
            text.KEEP_OPEN_REFUND_BUTTON if refund else text.KEEP_OPEN_BUTTON
        )
        for button in self._outcome_buttons:
            button.setAccessibleName(button.text())
        if state.name is StateName.APPROVED:
            self._show_outcome_buttons({self.new_sale_button}, default=self.new_sale_button)
        elif state.name in _RETRYABLE:
            self._show_retry_picker(state.terminal_id is not None and bool(self._terminals))
            self._show_outcome_buttons(
                {self.try_again_button, self.back_button}, default=self.try_again_button
            )
            self._update_try_again()
        else:  # unresolved
            self._show_retry_picker(False)
            can_check = self._check_again is not None and not self._checking
            self._show_outcome_buttons(
                {self.check_again_button, self.keep_open_button},
                default=self.check_again_button if can_check else self.keep_open_button,
            )
            self.check_again_button.setEnabled(can_check)

    def _show_retry_picker(self, visible: bool) -> None:
        self.retry_terminal_caption.setVisible(visible)
        self.retry_terminal_combo.setVisible(visible)

    def _show_outcome_buttons(
        self, visible: set[QPushButton], default: QPushButton | None = None
    ) -> None:
        for button in self._outcome_buttons:
            button.setVisible(button in visible)
            button.setDefault(button is default)
            button.setEnabled(True)
        if default is not None:
            default.setFocus(Qt.FocusReason.OtherFocusReason)

    def _update_try_again(self) -> None:
        if self.retry_terminal_combo.isHidden():
            self.try_again_button.setEnabled(True)
            return
        ready = self._chosen_terminal() is not None
        self.try_again_button.setEnabled(ready)
        if not ready:
            self._show_note(text.NO_READY_TERMINAL)

    def _chosen_terminal(self) -> str | None:
        data = self.retry_terminal_combo.currentData()
        terminal = self._terminals.get(data) if isinstance(data, str) else None
        return terminal.id if terminal is not None and terminal.is_ready else None

    def _show_note(self, note: str) -> None:
        self.note_label.setText(note)
        self.note_label.show()
        announce(self.note_label, note)

    def _update_elapsed(self) -> None:
        self.elapsed_label.setText(format_elapsed(self._monotonic() - self._started_at))

    # -- cancel and closing -------------------------------------------------------------

    def request_cancel(self) -> None:
        """Ask the engine to stop; the outcome still comes from JustiFi or the terminal."""
        state = self._state
        if state is None or is_final(state):
            return
        if self._cancel is None:
            self._show_note(text.CANCEL_NOT_POSSIBLE)
            return
        if self._cancel_asked or state.cancel_requested:
            self._show_note(text.CANCEL_ALREADY_REQUESTED)
            return
        self._cancel_asked = True
        self._cancel.set()
        self.cancel_button.setEnabled(False)
        self._render(state)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc requests a cancel while in progress; Enter does nothing then."""
        in_progress = self._state is not None and not is_final(self._state)
        if in_progress and event.key() == Qt.Key.Key_Escape:
            self.request_cancel()
            event.accept()
            return
        if in_progress and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
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
        if self._state is not None and not is_final(self._state):
            self._show_note(text.STILL_IN_PROGRESS)
            return True
        return False

    def _default_action(self) -> PaymentAction:
        name = self._state.name if self._state is not None else StateName.CANCELLED
        if name is StateName.APPROVED:
            return PaymentAction.NEW_SALE
        if name is StateName.UNRESOLVED:
            return PaymentAction.KEEP_OPEN
        return PaymentAction.BACK

    def done(self, result: int) -> None:
        """Close for good: stop any check still running."""
        self._check_slot.cancel()
        self._elapsed_timer.stop()
        self._spinner_timer.stop()
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
        if self._state is None or not is_final(self._state) or self._choice is not None:
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
        if not self.retry_terminal_combo.isHidden():
            terminal_id = self._chosen_terminal()
            if terminal_id is None:
                self._show_note(text.NO_READY_TERMINAL)
                return
        else:
            terminal_id = state.terminal_id
        self._choose(PaymentAction.RETRY, terminal_id)

    def _on_retry_terminal_combo_current_index_changed(self, _index: int) -> None:
        if self._state is not None and self._state.name in _RETRYABLE:
            self.note_label.hide()
            self._update_try_again()

    def _on_check_again_button_clicked(self) -> None:
        if self._check_again is None or self._checking:
            return
        self._checking = True
        self.check_again_button.setEnabled(False)
        self._show_note(text.CHECKING_AGAIN)
        self._spinner_timer.start()
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
            self._spinner_timer.stop()
            self.spinner.hide()
        if new is not None and is_final(new) and new.name is not StateName.UNRESOLVED:
            self.note_label.hide()
            self._render(new)
            return
        self._show_note(note)
        self._update_outcome_controls()

    def _on_spinner_timer_timeout(self) -> None:
        in_progress = self._state is not None and not is_final(self._state)
        if in_progress or self._checking:
            self.spinner.show()

    def _on_elapsed_timer_timeout(self) -> None:
        self._update_elapsed()
