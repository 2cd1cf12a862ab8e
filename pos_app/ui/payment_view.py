"""What the payment dialog shows: one `PaymentState`, rendered in place and spoken.

The view never computes a state. It shows the one it is given (the engine's,
as journaled), keeps the elapsed time and the late spinner, offers the buttons
that fit, and has screen readers announce every new status line: outcomes
assertively (they interrupt), progress politely.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.money import Money
from pos_app.domain.payment_flow import PaymentKind, PaymentState, StateName, is_final
from pos_app.domain.texts import status_line
from pos_app.services.ports import TerminalInfo
from pos_app.ui.announcer import announce
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.retry_terminal import RetryTerminalChoice
from pos_app.ui.style import style_sheet
from pos_app.ui.text import payment as text

__all__ = ["RETRYABLE", "TONES", "PaymentView", "format_elapsed"]

# Outcomes after which the same sale can be tried again (nothing was charged).
RETRYABLE = frozenset({StateName.DECLINED, StateName.CANCELLED, StateName.TIMED_OUT})

# The colours a state wears (the `tone` style property). States without one share the
# plain look, so a new payment opening on `preparing` needs no re-polish: that is the
# slowest part of showing the dialog, and it stays off the Charge press.
TONES = {
    StateName.RETRYING: "waiting",
    StateName.CANCEL_REQUESTED: "waiting",
    StateName.APPROVED: "approved",
    StateName.DECLINED: "declined",
    StateName.UNRESOLVED: "unresolved",
    StateName.CANCELLED: "ended",
    StateName.TIMED_OUT: "ended",
}


def format_elapsed(seconds: float) -> str:
    """Seconds as m:ss ("0:07", "12:30")."""
    minutes, secs = divmod(max(int(seconds), 0), 60)
    return f"{minutes}:{secs:02d}"


def _button(name: str, label: str, parent: QWidget) -> QPushButton:
    button = QPushButton(label, parent)
    button.setObjectName(name)
    button.setAccessibleName(label)
    button.setMinimumHeight(MIN_TOUCH)
    return button


class PaymentView(QWidget):
    """Shows one charge, refund or void: amount, terminal, elapsed time, status, buttons.

    The dialog owns the buttons' meaning; the view only shows, hides and enables them.
    """

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        spinner_delay_ms: int = 600,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("paymentView")
        self.setStyleSheet(style_sheet("payment_view"))
        self.setProperty("state", "")
        self.setProperty("tone", "")
        self.setProperty("followed", "")
        self._monotonic = monotonic
        self._started_at = monotonic()
        self._announced = ""
        self._left_after_part: int | None = None  # a card part: what stays owing once approved
        self._build()
        self._spinner_timer = QTimer(self)
        self._spinner_timer.setSingleShot(True)
        self._spinner_timer.setInterval(spinner_delay_ms)
        self._spinner_timer.timeout.connect(self.spinner.show)
        self._elapsed_timer = QTimer(self)
        self._elapsed_timer.setInterval(1000)
        self._elapsed_timer.timeout.connect(self._on_elapsed_timer_timeout)

    # -- building -----------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        self.amount_label = QLabel(self)
        self.amount_label.setObjectName("paymentAmountLabel")
        self.amount_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.amount_label)
        layout.addLayout(self._build_info_row())

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

        self.retry = RetryTerminalChoice(self)
        self.retry_terminal_caption = self.retry.caption
        self.retry_terminal_combo = self.retry.combo
        layout.addLayout(self.retry.row)
        layout.addLayout(self._build_buttons())

    def _build_info_row(self) -> QHBoxLayout:
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
        return info

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.addStretch(1)
        self.cancel_button = _button("cancelPaymentButton", text.CANCEL_BUTTON, self)
        self.cancel_button.setAccessibleDescription(text.CANCEL_BUTTON_DESCRIPTION)
        # A stray second Enter from the till must not request a cancel.
        self.cancel_button.setAutoDefault(False)
        self.back_button = _button("backToSaleButton", text.BACK_TO_SALE_BUTTON, self)
        self.keep_open_button = _button("keepOpenButton", text.KEEP_OPEN_BUTTON, self)
        self.check_again_button = _button("checkAgainButton", text.CHECK_AGAIN_BUTTON, self)
        self.try_again_button = _button("tryAgainButton", text.TRY_AGAIN_BUTTON, self)
        self.new_sale_button = _button("newSaleButton", text.NEW_SALE_BUTTON, self)
        self.outcome_buttons = (
            self.back_button,
            self.keep_open_button,
            self.check_again_button,
            self.try_again_button,
            self.new_sale_button,
        )
        for button in (self.cancel_button, *self.outcome_buttons):
            row.addWidget(button)
        for button in self.outcome_buttons:
            button.hide()
        return row

    # -- one state ----------------------------------------------------------------------

    @property
    def state_name(self) -> str:
        """The StateName value on screen ("" before the first state)."""
        return str(self.property("state") or "")

    def show_state(
        self, state: PaymentState, terminal_name: str | None, *, can_cancel: bool
    ) -> None:
        """Render `state` in place (the dialog announces it once its buttons are set)."""
        amount = Money(state.amount_cents).format()
        self.amount_label.setText(amount)
        self.amount_label.setAccessibleName(f"{text.AMOUNT_LABEL_NAME} {amount}")
        if state.terminal_id is None:
            self.terminal_label.setText(text.NO_TERMINAL_CAPTION)
        else:
            name = terminal_name or state.terminal_id
            self.terminal_label.setText(text.TERMINAL_CAPTION.format(name=name))
        line = status_line(state, terminal_name)
        if self.status_label.text() != line:
            self.status_label.setText(line)
            # Browsing the dialog later reads the line itself, not "Payment status".
            self.status_label.setAccessibleName(line)
            self.status_label.setAccessibleDescription(text.PAYMENT_TITLES.get(state.kind, ""))
        self.setProperty("state", state.name.value)
        self._set_style_property("tone", TONES.get(state.name, ""))
        if is_final(state):
            self.stop_clock()
            self.cancel_button.hide()
        else:
            self.show_choices(set())
            self.show_retry_picker(False)
            self.cancel_button.show()
            self.cancel_button.setEnabled(can_cancel)
            self._start_clock_if_idle()

    def announce_state(self, outcome: bool) -> None:
        """Speak the status line unless it was already spoken; only while on screen.

        `outcome`: assertive (interrupts whatever is being read), else polite.
        """
        line = self.status_label.text()
        if not line or line == self._announced or not self.isVisible():
            return
        self._announced = line
        announce(self.window(), line, assertive=outcome)

    def show_lost(self, lost: bool) -> None:
        """Mark the state on screen as the last one heard from a run that broke."""
        self._set_style_property("followed", "lost" if lost else "")

    def plain(self) -> None:
        """Look as a new payment does (the dialog closed): plain colours, no outcome
        buttons, Cancel back; so the next Charge press has little left to change."""
        self._set_style_property("tone", "")
        self.show_lost(False)
        self.show_choices(set())
        self.show_retry_picker(False)
        self.hide_note()
        self.cancel_button.show()

    def _set_style_property(self, name: str, value: str) -> None:
        if self.property(name) == value:
            return
        self.setProperty(name, value)
        # Re-polish so `QWidget#paymentView[name="..."]` rules apply to the new value:
        # only the widgets those rules style.
        styled = self.note_label if name == "followed" else self.status_label
        for widget in (self.status_frame, styled):
            widget.style().unpolish(widget)
            widget.style().polish(widget)
            widget.update()

    # -- notes ----------------------------------------------------------------------------

    def show_note(self, note: str, *, assertive: bool = False) -> None:
        """A sentence under the status line, spoken (the status line itself stays)."""
        self.note_label.setText(note)
        self.note_label.setAccessibleName(note)
        self.note_label.show()
        announce(self.window(), note, assertive=assertive)

    def hide_note(self, note: str | None = None) -> None:
        """Hide the note (only if it still says `note`, when given)."""
        if note is None or self.note_label.text() == note:
            self.note_label.hide()

    # -- the clock and the spinner ----------------------------------------------------------

    def new_run(self) -> None:
        """Start over for a new run (the view is reused): the clock from now, nothing
        announced, not lost, no note, no spinner."""
        self._announced = ""
        self.show_lost(False)
        self.hide_note()
        self.stop_spinner()
        self._started_at = self._monotonic()
        self._update_elapsed()

    def _start_clock_if_idle(self) -> None:
        if not self._elapsed_timer.isActive():
            self._elapsed_timer.start()
        self.spinner_after_delay()

    def stop_clock(self) -> None:
        """Freeze the elapsed time and put the spinner away."""
        self._elapsed_timer.stop()
        self._update_elapsed()
        self.stop_spinner()

    def spinner_after_delay(self) -> None:
        """Show the spinner once the delay passed (fast work never flashes it)."""
        if self.spinner.isHidden() and not self._spinner_timer.isActive():
            self._spinner_timer.start()

    @property
    def spinner_pending(self) -> bool:
        """Whether the spinner is still due to show when its delay passes."""
        return self._spinner_timer.isActive()

    def stop_spinner(self) -> None:
        """Hide the spinner, and forget a pending one."""
        self._spinner_timer.stop()
        self.spinner.hide()

    def _update_elapsed(self) -> None:
        # Nearest second: a coarse 1 s timer may tick a few ms early and must not show 0:00.
        elapsed = round(self._monotonic() - self._started_at)
        self.elapsed_label.setText(format_elapsed(elapsed))

    def _on_elapsed_timer_timeout(self) -> None:
        self._update_elapsed()

    # -- outcome buttons and the retry terminal ---------------------------------------------

    def set_part_left(self, left_cents: int | None) -> None:
        """The charge followed next is a PART of a sale that leaves `left_cents` owing once
        approved (None: a whole sale). Approved, it says "Part paid: $X left" and offers
        Continue, not New sale: the sale is not over. The till sets it around each part."""
        self._left_after_part = left_cents if left_cents else None

    def label_choices(self, kind: PaymentKind) -> None:
        """Name the outcome buttons for a charge, or for a refund or void."""
        refund = kind is not PaymentKind.CHARGE
        done = text.DONE_BUTTON if refund else text.NEW_SALE_BUTTON
        if not refund and self._left_after_part is not None:
            done = text.CONTINUE_BUTTON
        self.new_sale_button.setText(done)
        self.back_button.setText(text.BACK_BUTTON if refund else text.BACK_TO_SALE_BUTTON)
        self.keep_open_button.setText(
            text.KEEP_OPEN_REFUND_BUTTON if refund else text.KEEP_OPEN_BUTTON
        )
        for button in self.outcome_buttons:
            button.setAccessibleName(button.text())

    def show_outcome(self, state: PaymentState, *, can_check_again: bool) -> None:
        """Offer the next steps that fit a final `state` (or a run that broke in it)."""
        self.label_choices(state.kind)
        if state.name is StateName.APPROVED:
            self.show_retry_picker(False)
            self.show_choices({self.new_sale_button}, default=self.new_sale_button)
            left = self._left_after_part
            if left is not None and state.kind is PaymentKind.CHARGE:
                self.show_note(text.PART_PAID_LEFT.format(left=Money(left).format()))
        elif state.name in RETRYABLE:
            self.show_retry_picker(state.terminal_id is not None and self.has_terminals)
            self.show_choices(
                {self.try_again_button, self.back_button}, default=self.try_again_button
            )
            self.update_try_again()
        else:  # unresolved, or a run that broke before its outcome
            self.show_retry_picker(False)
            self.show_choices(
                {self.check_again_button, self.keep_open_button},
                default=self.check_again_button if can_check_again else self.keep_open_button,
            )
            self.check_again_button.setEnabled(can_check_again)

    def update_try_again(self) -> None:
        """Try again needs a ready terminal when the retry picker is offered."""
        if self.retry_terminal_combo.isHidden():
            self.try_again_button.setEnabled(True)
            return
        ready = self.chosen_terminal() is not None
        self.try_again_button.setEnabled(ready)
        if not ready:
            self.show_note(text.NO_READY_TERMINAL)

    def show_choices(self, visible: set[QPushButton], default: QPushButton | None = None) -> None:
        """Show only `visible` of the outcome buttons; `default` takes Enter and the focus."""
        for button in self.outcome_buttons:
            button.setVisible(button in visible)
            button.setDefault(button is default)
            button.setEnabled(True)
        if default is not None:
            default.setFocus(Qt.FocusReason.OtherFocusReason)

    def set_terminals(self, terminals: Sequence[TerminalInfo], current_id: str | None) -> None:
        """The retry terminal picker's choices; only ready terminals can be chosen."""
        self.retry.set_terminals(terminals, current_id)

    @property
    def has_terminals(self) -> bool:
        """Whether the retry picker has terminals to offer."""
        return self.retry.has_terminals

    def show_retry_picker(self, visible: bool) -> None:
        """Show or hide the retry terminal picker and its caption."""
        self.retry.show(visible)

    def chosen_terminal(self) -> str | None:
        """The ready terminal picked for a retry, if any."""
        return self.retry.chosen()
