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
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
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
from pos_app.domain.payment_flow import PaymentKind, PaymentState, StateName, is_final
from pos_app.domain.texts import status_line
from pos_app.services.ports import TerminalInfo
from pos_app.ui.announcer import announce
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.text import payment as text

__all__ = ["RETRYABLE", "STYLE_SHEET", "PaymentView", "format_elapsed"]

# Explicit foreground and background pairs stay readable on light and dark palettes.
STYLE_SHEET = """
QWidget#paymentView QLabel#paymentAmountLabel { font-size: 30pt; font-weight: 600; }
QWidget#paymentView QLabel#paymentStatusLabel { font-size: 15pt; }
QWidget#paymentView QLabel#paymentNoteLabel { font-style: italic; }
QWidget#paymentView QPushButton { min-height: 44px; min-width: 96px; padding: 0 14px; }
QWidget#paymentView QComboBox { min-height: 44px; }
QWidget#paymentView QFrame#paymentStatusFrame {
    border: 2px solid palette(mid); border-radius: 8px;
}
QWidget#paymentView[state="retrying"] QFrame#paymentStatusFrame,
QWidget#paymentView[state="cancel_requested"] QFrame#paymentStatusFrame {
    border-color: #c77c00;
}
QWidget#paymentView[state="approved"] QFrame#paymentStatusFrame {
    background: #1b6e2a; border-color: #124d1d;
}
QWidget#paymentView[state="declined"] QFrame#paymentStatusFrame {
    background: #a8321e; border-color: #7a2314;
}
QWidget#paymentView[state="unresolved"] QFrame#paymentStatusFrame {
    background: #f2b233; border-color: #b57a00;
}
QWidget#paymentView[state="cancelled"] QFrame#paymentStatusFrame,
QWidget#paymentView[state="timed_out"] QFrame#paymentStatusFrame {
    background: #55595f; border-color: #3a3d41;
}
QWidget#paymentView[state="approved"] QFrame#paymentStatusFrame QLabel,
QWidget#paymentView[state="declined"] QFrame#paymentStatusFrame QLabel,
QWidget#paymentView[state="cancelled"] QFrame#paymentStatusFrame QLabel,
QWidget#paymentView[state="timed_out"] QFrame#paymentStatusFrame QLabel {
    color: #ffffff;
}
QWidget#paymentView[state="unresolved"] QFrame#paymentStatusFrame QLabel { color: #1a1a1a; }
QWidget#paymentView[followed="lost"] QFrame#paymentStatusFrame { border-color: #b57a00; }
QWidget#paymentView[followed="lost"] QLabel#paymentNoteLabel {
    font-style: normal; font-weight: 600;
}
"""

# Outcomes after which the same sale can be tried again (nothing was charged).
RETRYABLE = frozenset({StateName.DECLINED, StateName.CANCELLED, StateName.TIMED_OUT})


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
        self.setStyleSheet(STYLE_SHEET)
        self.setProperty("state", "")
        self.setProperty("followed", "")
        self._monotonic = monotonic
        self._started_at = monotonic()
        self._announced = ""
        self._terminals: dict[str, TerminalInfo] = {}
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

        layout.addLayout(self._build_retry_row())
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
        self.retry_terminal_caption.setBuddy(self.retry_terminal_combo)
        row.addWidget(self.retry_terminal_caption)
        row.addWidget(self.retry_terminal_combo, 1)
        self.show_retry_picker(False)
        return row

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
        self._set_state_property(state.name.value)
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

    def _set_state_property(self, name: str) -> None:
        self._set_style_property("state", name)

    def _set_style_property(self, name: str, value: str) -> None:
        if self.property(name) == value:
            return
        self.setProperty(name, value)
        # Re-polish so `QWidget#paymentView[name="..."]` rules apply to the new value.
        for widget in (self, self.status_frame, self.status_label, self.note_label):
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

    def label_choices(self, kind: PaymentKind) -> None:
        """Name the outcome buttons for a charge, or for a refund or void."""
        refund = kind is not PaymentKind.CHARGE
        self.new_sale_button.setText(text.DONE_BUTTON if refund else text.NEW_SALE_BUTTON)
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

    @property
    def has_terminals(self) -> bool:
        """Whether the retry picker has terminals to offer."""
        return bool(self._terminals)

    def show_retry_picker(self, visible: bool) -> None:
        """Show or hide the retry terminal picker and its caption."""
        self.retry_terminal_caption.setVisible(visible)
        self.retry_terminal_combo.setVisible(visible)

    def chosen_terminal(self) -> str | None:
        """The ready terminal picked for a retry, if any."""
        data = self.retry_terminal_combo.currentData()
        terminal = self._terminals.get(data) if isinstance(data, str) else None
        return terminal.id if terminal is not None and terminal.is_ready else None
