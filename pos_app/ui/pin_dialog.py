"""The PIN dialog for every PIN a person types, and `ensure_manager`, which asks when needed.

`PinDialog` shows the people who may answer as big name buttons beside a
masked field and an on-screen keypad (`ui.pin_pad`), and calls
`ManagerService` itself. Its modes:

- SIGN_IN: who is working the till (anyone active; a name, or the PIN alone);
- MANAGER: a manager or owner signs in to open a manager's screen;
- APPROVE: a manager or owner approves one action at someone else's till
  (`ManagerService.approve`): who is signed in does not change;
- CHANGE: one's own PIN (current, new, again); NEW_PIN: a new PIN chosen for
  someone (new, again), stored by the `save` it is given.

It stays open on a wrong PIN ("Wrong PIN for Ann, 7 tries left") and closes
accepted once the service took the PIN. A locked person's keypad is off
until the lock ends (checked every `lock_check_ms`). It never runs a nested
event loop: `ask()` opens it and awaits `finished`.

Screens only a manager may use are in `ui.manager_screen`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Final

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.errors import UserFacingError
from pos_app.domain.pin import PIN_MIN_DIGITS, PinError, PinProblem, new_pin_problem
from pos_app.domain.staff import Person, StaffRole, check_staff_pin
from pos_app.services.manager import ManagerService, SignInResult, SignInStatus
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.people_list import PeopleList
from pos_app.ui.pin_pad import PinPad
from pos_app.ui.style import style_sheet
from pos_app.ui.tasks import TaskSlot, accepted, finished_result
from pos_app.ui.text import manager as text
from pos_app.ui.text import staff as staff_text

__all__ = ["PinDialog", "PinMode", "ensure_manager"]

_ENTER_KEYS: Final = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})


class PinMode(StrEnum):
    """What the dialog asks for."""

    SIGN_IN = "sign_in"  # who is working the till
    MANAGER = "manager"  # a manager or owner signs in for a manager's screen
    APPROVE = "approve"  # a manager or owner approves one action; the till's person stays
    CHANGE = "change"  # one's own PIN: current, new, new again
    NEW_PIN = "new_pin"  # a new PIN for someone: new, new again (`save` stores it)


class _Step(StrEnum):
    CURRENT = "current"
    NEW = "new"
    REPEAT = "repeat"


_STEPS: Final[dict[PinMode, tuple[_Step, ...]]] = {
    PinMode.SIGN_IN: (_Step.CURRENT,),
    PinMode.MANAGER: (_Step.CURRENT,),
    PinMode.APPROVE: (_Step.CURRENT,),
    PinMode.CHANGE: (_Step.CURRENT, _Step.NEW, _Step.REPEAT),
    PinMode.NEW_PIN: (_Step.NEW, _Step.REPEAT),
}
_TITLES: Final[dict[PinMode, str]] = {
    PinMode.SIGN_IN: staff_text.SIGN_IN_TITLE,
    PinMode.MANAGER: staff_text.MANAGER_TITLE,
    PinMode.APPROVE: staff_text.APPROVE_TITLE,
    PinMode.CHANGE: text.PIN_TITLE_CHANGE,
    PinMode.NEW_PIN: text.PIN_TITLE_SET_UP,
}
_ASKS_WHO: Final = frozenset({PinMode.SIGN_IN, PinMode.MANAGER, PinMode.APPROVE})


def _clock_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M")


class PinDialog(QDialog):
    """Asks for a PIN; `ask()` is True once the service took it (`person` says whose).

    `prompt` replaces the first step's sentence; `what` names the action an
    approval is for. `name` fixes whose PIN it is (CHANGE, NEW_PIN, or a
    pre-chosen name); `role` is the role a NEW_PIN is for (its length rule).
    `save` stores a NEW_PIN and raises a `UserFacingError` to refuse it.
    Without `cancellable` there is no Cancel and Escape does nothing (the
    till's sign-in: somebody must sign in); `force_close()` still closes it.
    """

    def __init__(
        self,
        service: ManagerService,
        parent: QWidget | None = None,
        *,
        mode: PinMode = PinMode.MANAGER,
        prompt: str | None = None,
        what: str = "",
        name: str | None = None,
        role: StaffRole | None = None,
        save: Callable[[str], object] | None = None,
        people: Sequence[Person] | None = None,
        cancellable: bool = True,
        lock_check_ms: int = 1000,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pinDialog")
        self.setProperty("pinPad", True)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setStyleSheet(style_sheet("pin_dialog"))
        self._service = service
        self.mode = mode
        self.setWindowTitle(_TITLES[mode])
        self.setAccessibleName(_TITLES[mode])
        self._prompt = prompt
        self._what = what
        self._name = name
        self._role = role
        self._save = save
        self._cancellable = cancellable
        self._closing = False
        self.person: Person | None = None
        self._step = 0
        self._entered: list[str] = []  # earlier steps' entries, dropped when the dialog ends
        self._locked_until: datetime | None = None
        if people is None and mode in _ASKS_WHO and name is None:
            people = self._who_may_answer()
        self._build(people or ())
        self._lock_timer = QTimer(self)
        self._lock_timer.setInterval(lock_check_ms)
        self._lock_timer.timeout.connect(self._on_lock_timer_timeout)
        self.finished.connect(self._on_finished)
        self._show_step()

    def _who_may_answer(self) -> list[Person]:
        people = [p for p in self._service.people(include_disabled=False) if p.active]
        if self.mode is PinMode.SIGN_IN:
            return people
        return [p for p in people if p.can_approve]

    # -- building -----------------------------------------------------------------------

    def _build(self, people: Sequence[Person]) -> None:
        row = QHBoxLayout(self)
        row.setSpacing(18)
        row.setContentsMargins(20, 18, 20, 18)
        self.people_list: PeopleList | None = None
        self.recover_button: QPushButton | None = None
        if people:
            self.people_list = PeopleList(people, self)
            self.people_list.chosen.connect(self._on_people_list_chosen)
            column = QVBoxLayout()
            column.addWidget(self.people_list, 1)
            if self.mode is PinMode.SIGN_IN:
                column.addWidget(self._build_recover_button())
            row.addLayout(column, 1)
        layout = QVBoxLayout()
        layout.setSpacing(12)
        row.addLayout(layout)
        self.prompt_label = QLabel(self)
        self.prompt_label.setObjectName("pinPromptLabel")
        self.prompt_label.setWordWrap(True)
        self.prompt_label.setTextFormat(Qt.TextFormat.PlainText)
        self.prompt_label.setMinimumWidth(260)
        layout.addWidget(self.prompt_label)

        self.pad = PinPad(self)
        self.pin_edit = self.pad.pin_edit
        self.digit_buttons = self.pad.digit_buttons
        self.clear_button = self.pad.clear_button
        self.backspace_button = self.pad.backspace_button
        self.pad.text_changed.connect(self._on_pad_text_changed)

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
        self.pad.add_below_field(self.message_label)
        layout.addWidget(self.pad)
        layout.addLayout(self._build_buttons())

    def _build_recover_button(self) -> QPushButton:
        """The owner's way back from a forgotten PIN (the recovery code), at the sign-in."""
        button = QPushButton(staff_text.RECOVER_BUTTON, self)
        button.setObjectName("recoverOwnerButton")
        button.setAccessibleName(staff_text.RECOVER_BUTTON_NAME)
        button.setMinimumHeight(MIN_TOUCH)
        button.setAutoDefault(False)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.clicked.connect(self._on_recover_button_clicked)
        self.recover_button = button
        self._recovery = TaskSlot(self, "owner recovery")
        return button

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(10)
        self.cancel_button = QPushButton(text.CANCEL_BUTTON, self)
        self.cancel_button.setObjectName("pinCancelButton")
        self.cancel_button.setAccessibleName(text.CANCEL_BUTTON)
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.cancel_button.setVisible(self._cancellable)
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
        if self._cancellable:
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
        """Whether the chosen person is locked out (the keypad is off)."""
        return self._locked_until is not None

    @property
    def chosen_name(self) -> str | None:
        """Whose PIN this is: the fixed name, the name tapped, or None (the PIN alone)."""
        if self._name is not None:
            return self._name
        chosen = self.people_list.person if self.people_list is not None else None
        return chosen.name if chosen is not None else None

    @property
    def message(self) -> str:
        """The sentence shown under the field ("" when none)."""
        return self.message_label.text()

    def choose(self, name: str | None) -> None:
        """Choose whose PIN is typed next, as tapping a name does."""
        if self.people_list is not None:
            self.people_list.choose(name)

    def _first_prompt(self) -> str:
        name = self.chosen_name
        what = staff_text.APPROVALS.get(self._what, self._what)
        if self.mode is PinMode.SIGN_IN:
            if name is not None:
                return staff_text.SIGN_IN_PROMPT_NAMED.format(name=name)
            return self._prompt or staff_text.SIGN_IN_PROMPT
        if self.mode is PinMode.MANAGER:
            if name is not None:
                return staff_text.MANAGER_PROMPT_NAMED.format(name=name)
            return self._prompt or staff_text.MANAGER_PROMPT
        if self.mode is PinMode.APPROVE:
            if name is not None:
                return staff_text.APPROVE_PROMPT_NAMED.format(name=name, what=what)
            return self._prompt or staff_text.APPROVE_PROMPT.format(what=what)
        if self.mode is PinMode.CHANGE:
            return self._prompt or text.PROMPT_CURRENT
        return self._prompt or text.PROMPT_NEW

    def _show_step(self) -> None:
        steps = _STEPS[self.mode]
        step = steps[self._step]
        prompts = {_Step.NEW: text.PROMPT_NEW, _Step.REPEAT: text.PROMPT_REPEAT}
        prompt = self._first_prompt() if self._step == 0 else prompts[step]
        self.prompt_label.setText(prompt)
        self.prompt_label.setAccessibleName(prompt)
        last = self._step == len(steps) - 1
        label = text.NEXT_BUTTON
        if last and self.mode in (PinMode.SIGN_IN, PinMode.MANAGER):
            label = text.SIGN_IN_BUTTON
        elif last and self.mode is PinMode.APPROVE:
            label = staff_text.APPROVE_BUTTON
        elif last:
            label = text.SET_PIN_BUTTON
        self.ok_button.setText(label)
        self.ok_button.setAccessibleName(label)
        self.pad.clear()
        self._update_ok()

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(not self.locked and len(self.pad.pin) >= PIN_MIN_DIGITS)

    def _say(self, message: str) -> None:
        self.message_label.setText(message)
        self.message_label.setAccessibleName(message or text.MESSAGE_NAME)
        if self.message_label.property("shown") != bool(message):
            self.message_label.setProperty("shown", bool(message))
            self.message_label.style().unpolish(self.message_label)
            self.message_label.style().polish(self.message_label)

    def _apply_lock(self, until: datetime | None, name: str | None = None) -> None:
        if until is not None and until <= self._service.now():
            until = None
        self._locked_until = until
        self.pad.set_keys_enabled(until is None)
        if until is None:
            self._lock_timer.stop()
        else:
            self._lock_timer.start()
            self._say(_locked_text(until, name, self._service.policy.max_tries))
        self._update_ok()

    # -- submitting ---------------------------------------------------------------------

    def submit(self) -> None:
        """Take the typed PIN: next step, or ask the service (Enter and OK do this)."""
        if self.locked:
            return
        pin = self.pad.pin
        self.pad.clear()
        step = _STEPS[self.mode][self._step]
        problem: str | None = None
        if len(pin) < PIN_MIN_DIGITS:
            problem = text.PIN_PROBLEMS[PinProblem.EMPTY if not pin else PinProblem.TOO_SHORT]
        elif step is _Step.NEW:
            problem = self._new_pin_problem(pin)
        elif step is _Step.REPEAT and pin != self._entered[-1]:
            problem = text.PIN_PROBLEMS[PinProblem.MISMATCH]
            self._entered.pop()
            self._step -= 1
            self._show_step()
        if problem is not None:
            self._say(problem)
            return
        if self._step < len(_STEPS[self.mode]) - 1:
            self._entered.append(pin)
            self._step += 1
            self._say("")
            self._show_step()
            return
        self._finish(pin)

    def _new_pin_problem(self, pin: str) -> str | None:
        if self._role is None:
            problem = new_pin_problem(pin)
            return text.PIN_PROBLEMS[problem] if problem is not None else None
        try:
            check_staff_pin(pin, self._role)
        except PinError as exc:
            return exc.message
        return None

    def _finish(self, pin: str) -> None:
        name = self.chosen_name
        entered = self._entered.copy()
        self._entered.clear()
        self._step = 0
        if self.mode in _ASKS_WHO:
            # A PIN alone is checked against each person's hash (about 0.1 s each): say
            # so before the wait, painted now.
            self._say(staff_text.CHECKING)
            self.message_label.repaint()
        if self.mode in (PinMode.SIGN_IN, PinMode.MANAGER):
            self._finish_sign_in(pin, name)
        elif self.mode is PinMode.APPROVE:
            self._finish_approval(pin, name)
        else:
            self._finish_new_pin(pin, entered, name)

    def _finish_sign_in(self, pin: str, name: str | None) -> None:
        result = self._service.sign_in(pin, name)
        person = result.person
        if result.ok and person is not None:
            if self.mode is PinMode.MANAGER and not person.can_approve:
                self._show_step()
                self._say(staff_text.NOT_MANAGER.format(name=person.name))
                return
            self._done(person)
            return
        self._show_step()
        self._show_result(result, name)

    def _finish_approval(self, pin: str, name: str | None) -> None:
        try:
            person = self._service.approve(pin, name)
        except UserFacingError as exc:
            self._show_step()
            self._say(staff_text.sentence(exc.message))
            until = getattr(exc, "locked_until", None)
            if isinstance(until, datetime) and name is not None:
                self._apply_lock(until, name)
            return
        self._done(person)

    def _finish_new_pin(self, pin: str, entered: list[str], name: str | None) -> None:
        try:
            if self.mode is PinMode.CHANGE:
                self._service.set_pin(name or "", pin, old=entered[0])
            elif self._save is not None:
                self._save(pin)
        except UserFacingError as exc:
            self._show_step()
            self._say(staff_text.sentence(exc.message))
            return
        self._done(None)

    def _done(self, person: Person | None) -> None:
        self.person = person
        self._say("")
        self._closing = True
        self.accept()

    def _show_result(self, result: SignInResult, name: str | None) -> None:
        status = result.status
        if status is SignInStatus.LOCKED:
            if name is not None:
                self._apply_lock(result.locked_until, name)
            elif result.locked_until is not None:
                max_tries = result.max_tries or self._service.policy.max_tries
                self._say(_locked_text(result.locked_until, None, max_tries))
            return
        if status is SignInStatus.INVALID and result.problem is not None:
            self._say(text.PIN_PROBLEMS[result.problem])
            return
        self._say(_result_text(result, name))

    # -- asking -------------------------------------------------------------------------

    async def ask(self) -> bool:
        """Open the dialog (never exec) and wait: True once the service took the PIN."""
        QTimer.singleShot(0, self.pin_edit.setFocus)  # once it shows
        return accepted(await finished_result(self))

    def reject(self) -> None:
        """Cancel (Escape, Cancel): not while somebody must sign in."""
        if self._cancellable or self._closing:
            super().reject()

    def force_close(self) -> None:
        """Close it even where nobody may cancel it (the till is closing)."""
        self._closing = True
        self.reject()

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

    def _on_pad_text_changed(self, _text: str) -> None:
        self._update_ok()

    def _on_people_list_chosen(self, person: Person | None) -> None:
        if self._step == 0:
            self.prompt_label.setText(self._first_prompt())
            self.prompt_label.setAccessibleName(self.prompt_label.text())
        self._say("")
        if person is not None:  # the list is a snapshot: a lock may be newer
            now = {p.name: p for p in self._service.people(include_disabled=False)}
            person = now.get(person.name, person)
        until = person.locked_until if person is not None else None
        self._apply_lock(until, person.name if person is not None else None)
        self.pin_edit.setFocus()

    def _on_recover_button_clicked(self) -> None:
        self._recovery.start_if_idle(self.recover_owner())

    async def recover_owner(self) -> bool:
        """The owner's PIN reset with the recovery code, over this dialog; then the owner
        signs in here with the new PIN."""
        from pos_app.ui.owner_setup import recover_owner

        done = await recover_owner(self._service, self)
        if done:
            self._say(staff_text.RECOVERED)
            self.pin_edit.setFocus()
        return done

    def _on_lock_timer_timeout(self) -> None:
        until = self._locked_until
        if until is None or self._service.now() >= until:
            self._apply_lock(None)
            self._say(staff_text.UNLOCKED)

    def _on_finished(self, _result: int) -> None:
        self._lock_timer.stop()
        self._entered.clear()
        self.pad.clear()


def _locked_text(until: datetime, name: str | None, tries: int) -> str:
    time = _clock_time(until)
    if name is None:
        return staff_text.LOCKED.format(time=time, tries=tries)
    return staff_text.LOCKED_NAMED.format(name=name, time=time, tries=tries)


def _result_text(result: SignInResult, name: str | None) -> str:
    """The sentence for a refused PIN (never whose PIN it was, when no name was given)."""
    status = result.status
    who = name or ""
    if status is SignInStatus.WRONG:
        left = result.tries_left or 0
        if name is None:
            return (
                staff_text.WRONG_PIN_LAST if left == 1 else staff_text.WRONG_PIN.format(left=left)
            )
        if left == 1:
            return staff_text.WRONG_PIN_NAMED_LAST.format(name=name)
        return staff_text.WRONG_PIN_NAMED.format(name=name, left=left)
    sentences = {
        SignInStatus.UNKNOWN: (
            staff_text.UNKNOWN_NAME.format(name=who) if name else staff_text.UNKNOWN_PIN
        ),
        SignInStatus.DISABLED: staff_text.DISABLED.format(name=who),
        SignInStatus.AMBIGUOUS: staff_text.AMBIGUOUS,
        SignInStatus.NO_STAFF: staff_text.NO_STAFF,
        SignInStatus.NOT_APPROVER: staff_text.NOT_APPROVER.format(name=who),
    }
    return sentences.get(status, staff_text.UNKNOWN_PIN)


async def ensure_manager(
    service: ManagerService, parent: QWidget | None = None, *, prompt: str | None = None
) -> bool:
    """True if a manager or owner is signed in, asking one to sign in when needed (and
    for the owner's set-up on a lane with nobody yet)."""
    current = service.current()
    if current is not None and current.can_approve:
        service.touch()
        return True
    if not service.has_staff():
        from pos_app.ui.owner_setup import set_up_owner

        return await set_up_owner(service, parent) is not None
    dialog = PinDialog(service, parent, mode=PinMode.MANAGER, prompt=prompt)
    try:
        return await dialog.ask()
    finally:
        dialog.deleteLater()
