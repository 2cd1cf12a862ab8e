"""The manager PIN dialog, and `ensure_manager`, which asks for the PIN when needed.

`PinDialog` asks for the PIN (or sets the first one, or changes it) with a
masked field and an on-screen keypad, and calls `ManagerService` itself: it
stays open on a wrong PIN ("Wrong PIN, 7 tries left") and closes accepted
once a manager is signed in. It never runs a nested event loop: `ask()`
opens it and awaits `finished`.

Screens only a manager may use are in `ui.manager_screen`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from PySide6.QtCore import QRegularExpression, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.pin import PIN_MAX_DIGITS, PIN_MIN_DIGITS, PinProblem, new_pin_problem
from pos_app.services.manager import (
    ManagerService,
    ManagerStatus,
    SignInResult,
    SignInStatus,
)
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.style import style_sheet
from pos_app.ui.tasks import accepted, finished_result
from pos_app.ui.text import manager as text

__all__ = ["PinDialog", "PinMode", "ensure_manager"]

_KEY_SIZE: Final = (76, 60)
_KEY_ROWS: Final = (("1", "2", "3"), ("4", "5", "6"), ("7", "8", "9"))
_ENTER_KEYS: Final = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})


class PinMode(StrEnum):
    """What the dialog asks for."""

    SIGN_IN = "sign_in"
    SET_UP = "set_up"  # the first PIN: new, then again
    CHANGE = "change"  # current, new, new again


class _Step(StrEnum):
    CURRENT = "current"
    NEW = "new"
    REPEAT = "repeat"


_STEPS: Final[dict[PinMode, tuple[_Step, ...]]] = {
    PinMode.SIGN_IN: (_Step.CURRENT,),
    PinMode.SET_UP: (_Step.NEW, _Step.REPEAT),
    PinMode.CHANGE: (_Step.CURRENT, _Step.NEW, _Step.REPEAT),
}
_TITLES: Final[dict[PinMode, str]] = {
    PinMode.SIGN_IN: text.PIN_TITLE_SIGN_IN,
    PinMode.SET_UP: text.PIN_TITLE_SET_UP,
    PinMode.CHANGE: text.PIN_TITLE_CHANGE,
}


def _clock_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


class PinDialog(QDialog):
    """Asks for the manager PIN; `ask()` is True once a manager is signed in.

    With no PIN set yet, a sign-in becomes a set-up (new PIN, then again).
    `prompt` replaces the first step's sentence (the idle re-auth says why).
    While PIN entry is locked the keypad is off; it comes back by itself
    when the lock ends (checked every `lock_check_ms`).
    """

    def __init__(
        self,
        service: ManagerService,
        parent: QWidget | None = None,
        *,
        mode: PinMode | None = None,
        prompt: str | None = None,
        lock_check_ms: int = 1000,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pinDialog")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setStyleSheet(style_sheet("pin_dialog"))
        self._service = service
        if service.status() is ManagerStatus.NO_PIN:
            mode = PinMode.SET_UP  # nothing to sign in with or to change yet
        mode = PinMode.SIGN_IN if mode is None else mode
        self.mode = mode
        self.setWindowTitle(_TITLES[mode])
        self.setAccessibleName(_TITLES[mode])
        self._prompt = prompt
        self._step = 0
        self._entered: list[str] = []  # earlier steps' entries, dropped when the dialog ends
        self._build()
        self._lock_timer = QTimer(self)
        self._lock_timer.setInterval(lock_check_ms)
        self._lock_timer.timeout.connect(self._on_lock_timer_timeout)
        self.finished.connect(self._on_finished)
        self._show_step()
        self._apply_lock(service.locked_until() if mode is not PinMode.SET_UP else None)

    # -- building -----------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.setContentsMargins(20, 18, 20, 18)
        self.prompt_label = QLabel(self)
        self.prompt_label.setObjectName("pinPromptLabel")
        self.prompt_label.setWordWrap(True)
        self.prompt_label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.prompt_label)

        self.pin_edit = QLineEdit(self)
        self.pin_edit.setObjectName("pinEdit")
        self.pin_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin_edit.setMaxLength(PIN_MAX_DIGITS)
        self.pin_edit.setValidator(
            QRegularExpressionValidator(QRegularExpression(f"[0-9]{{0,{PIN_MAX_DIGITS}}}"), self)
        )
        self.pin_edit.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pin_edit.setPlaceholderText(text.PIN_PLACEHOLDER)
        self.pin_edit.setAccessibleName(text.PIN_FIELD_NAME)
        self.pin_edit.setAccessibleDescription(text.PIN_FIELD_DESCRIPTION)
        self.pin_edit.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.pin_edit.textChanged.connect(self._on_pin_edit_text_changed)
        layout.addWidget(self.pin_edit)

        self.message_label = QLabel(self)
        self.message_label.setObjectName("pinMessageLabel")
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setAccessibleName(text.MESSAGE_NAME)
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # Room for two lines, empty or not, so the keypad never jumps under a finger.
        lines = QFontMetrics(self.message_label.font()).lineSpacing() * 2
        self.message_label.setMinimumHeight(lines + 16)
        self.message_label.setProperty("shown", False)
        layout.addWidget(self.message_label)

        layout.addWidget(self._build_keypad(), 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addLayout(self._build_buttons())

    def _build_keypad(self) -> QWidget:
        keypad = QWidget(self)
        keypad.setObjectName("pinKeypad")
        keypad.setAccessibleName(text.KEYPAD_NAME)
        grid = QGridLayout(keypad)
        grid.setSpacing(8)
        grid.setContentsMargins(0, 0, 0, 0)
        self.digit_buttons: dict[str, QPushButton] = {}
        for row, digits in enumerate(_KEY_ROWS):
            for column, digit in enumerate(digits):
                grid.addWidget(self._digit_button(digit), row, column)
        self.clear_button = self._key(text.KEY_CLEAR, "pinClearKey", text.KEY_CLEAR_NAME)
        self.clear_button.clicked.connect(self.pin_edit.clear)
        self.backspace_button = self._key(
            text.KEY_BACKSPACE, "pinBackspaceKey", text.KEY_BACKSPACE_NAME
        )
        self.backspace_button.clicked.connect(self.pin_edit.backspace)
        grid.addWidget(self.clear_button, 3, 0)
        grid.addWidget(self._digit_button("0"), 3, 1)
        grid.addWidget(self.backspace_button, 3, 2)
        return keypad

    def _digit_button(self, digit: str) -> QPushButton:
        button = self._key(digit, f"pinKey{digit}", text.KEY_DIGIT_NAME.format(digit=digit))
        button.clicked.connect(lambda: self._type(digit))
        self.digit_buttons[digit] = button
        return button

    def _key(self, label: str, name: str, accessible: str) -> QPushButton:
        button = QPushButton(label, self)
        button.setObjectName(name)
        button.setAccessibleName(accessible)
        button.setProperty("keypad", True)
        button.setFixedSize(*_KEY_SIZE)
        # The field keeps the focus, so typed digits and Enter always go there.
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setAutoDefault(False)
        return button

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(10)
        self.cancel_button = QPushButton(text.CANCEL_BUTTON, self)
        self.cancel_button.setObjectName("pinCancelButton")
        self.cancel_button.setAccessibleName(text.CANCEL_BUTTON)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.ok_button = QPushButton(self)
        self.ok_button.setObjectName("pinOkButton")
        self.ok_button.setAutoDefault(False)  # Enter is handled in keyPressEvent, once
        self.ok_button.clicked.connect(self.submit)
        for button in (self.cancel_button, self.ok_button):
            button.setMinimumHeight(MIN_TOUCH)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        font = QFont(self.ok_button.font())
        font.setBold(True)
        self.ok_button.setFont(font)
        row.addWidget(self.cancel_button)
        row.addWidget(self.ok_button)
        return row

    # -- state --------------------------------------------------------------------------

    @property
    def step(self) -> str:
        """The step shown now: "current", "new" or "repeat"."""
        return _STEPS[self.mode][self._step].value

    @property
    def locked(self) -> bool:
        """Whether PIN entry is locked (the keypad is off)."""
        return self._lock_timer.isActive()

    def _show_step(self) -> None:
        steps = _STEPS[self.mode]
        step = steps[self._step]
        prompts = {
            _Step.CURRENT: text.PROMPT_SIGN_IN
            if self.mode is PinMode.SIGN_IN
            else text.PROMPT_CURRENT,
            _Step.NEW: text.PROMPT_SET_UP if self.mode is PinMode.SET_UP else text.PROMPT_NEW,
            _Step.REPEAT: text.PROMPT_REPEAT,
        }
        prompt = self._prompt if self._prompt and self._step == 0 else prompts[step]
        self.prompt_label.setText(prompt)
        self.prompt_label.setAccessibleName(prompt)
        last = self._step == len(steps) - 1
        label = text.NEXT_BUTTON
        if last:
            label = text.SIGN_IN_BUTTON if self.mode is PinMode.SIGN_IN else text.SET_PIN_BUTTON
        self.ok_button.setText(label)
        self.ok_button.setAccessibleName(label)
        self.pin_edit.clear()
        self._update_ok()

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(not self.locked and len(self.pin_edit.text()) >= PIN_MIN_DIGITS)

    @property
    def message(self) -> str:
        """The sentence shown under the field ("" when none)."""
        return self.message_label.text()

    def _say(self, message: str) -> None:
        self.message_label.setText(message)
        self.message_label.setAccessibleName(message or text.MESSAGE_NAME)
        if self.message_label.property("shown") != bool(message):
            self.message_label.setProperty("shown", bool(message))
            self.message_label.style().unpolish(self.message_label)
            self.message_label.style().polish(self.message_label)

    def _apply_lock(self, until: datetime | None) -> None:
        for widget in (self.pin_edit, *self.digit_buttons.values()):
            widget.setEnabled(until is None)
        self.clear_button.setEnabled(until is None)
        self.backspace_button.setEnabled(until is None)
        if until is None:
            self._lock_timer.stop()
            self.pin_edit.setFocus()
        else:
            self._lock_timer.start()
            tries = self._service.policy.max_tries
            self._say(text.LOCKED.format(time=_clock_time(until), tries=tries))
        self._update_ok()

    def _type(self, digit: str) -> None:
        if self.pin_edit.isEnabled() and len(self.pin_edit.text()) < PIN_MAX_DIGITS:
            self.pin_edit.insert(digit)

    # -- submitting ---------------------------------------------------------------------

    def submit(self) -> None:
        """Take the typed PIN: next step, or ask the service (Enter and OK do this)."""
        if self.locked:
            return
        pin = self.pin_edit.text()
        self.pin_edit.clear()
        step = _STEPS[self.mode][self._step]
        problem = new_pin_problem(pin) if step is _Step.NEW else None
        if len(pin) < PIN_MIN_DIGITS:
            problem = PinProblem.EMPTY if not pin else PinProblem.TOO_SHORT
        if step is _Step.REPEAT and problem is None and pin != self._entered[-1]:
            problem = PinProblem.MISMATCH
            self._entered.pop()
            self._step -= 1
            self._show_step()
        if problem is not None:
            self._say(text.PIN_PROBLEMS[problem])
            return
        if self._step < len(_STEPS[self.mode]) - 1:
            self._entered.append(pin)
            self._step += 1
            self._say("")
            self._show_step()
            return
        self._finish(pin)

    def _finish(self, pin: str) -> None:
        if self.mode is PinMode.SIGN_IN:
            result = self._service.sign_in(pin)
        else:
            current = self._entered[0] if self.mode is PinMode.CHANGE else None
            result = self._service.set_pin(current, pin)
        self._entered.clear()
        if result.ok:
            self._say("")
            self.accept()
            return
        self._step = 0
        self._show_step()
        self._show_result(result)

    def _show_result(self, result: SignInResult) -> None:
        status = result.status
        if status is SignInStatus.WRONG:
            left = result.tries_left or 0
            self._say(text.WRONG_PIN_LAST if left == 1 else text.WRONG_PIN.format(left=left))
        elif status is SignInStatus.LOCKED:
            self._apply_lock(result.locked_until)
        elif status is SignInStatus.INVALID and result.problem is not None:
            self._say(text.PIN_PROBLEMS[result.problem])
        elif status is SignInStatus.NO_PIN:
            self._switch_mode(PinMode.SET_UP, text.NO_PIN_YET)
        elif status is SignInStatus.PIN_ALREADY_SET:
            self._switch_mode(PinMode.SIGN_IN, text.PIN_ALREADY_SET)

    def _switch_mode(self, mode: PinMode, message: str) -> None:
        self.mode = mode
        self._prompt = None
        self._step = 0
        self.setWindowTitle(_TITLES[mode])
        self._show_step()
        self._say(message)

    # -- asking -------------------------------------------------------------------------

    async def ask(self) -> bool:
        """Open the dialog (never exec) and wait: True once a manager is signed in."""
        QTimer.singleShot(0, self.pin_edit.setFocus)  # once it shows
        return accepted(await finished_result(self))

    # -- events -------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter submits once; Escape cancels (QDialog's own handling)."""
        if event.key() in _ENTER_KEYS:
            event.accept()
            if self.ok_button.isEnabled():
                self.submit()
            elif not self.locked:
                self._say(text.PIN_PROBLEMS[PinProblem.TOO_SHORT])
            return
        super().keyPressEvent(event)

    def _on_pin_edit_text_changed(self, _text: str) -> None:
        self._update_ok()

    def _on_lock_timer_timeout(self) -> None:
        if self._service.locked_until() is None:
            self._apply_lock(None)
            self._say(text.UNLOCKED)

    def _on_finished(self, _result: int) -> None:
        self._lock_timer.stop()
        self._entered.clear()
        self.pin_edit.clear()


async def ensure_manager(
    service: ManagerService, parent: QWidget | None = None, *, prompt: str | None = None
) -> bool:
    """True if a manager is signed in, asking for the PIN (or a first PIN) when needed."""
    if service.is_manager():
        service.touch()
        return True
    dialog = PinDialog(service, parent, prompt=prompt)
    try:
        return await dialog.ask()
    finally:
        dialog.deleteLater()
