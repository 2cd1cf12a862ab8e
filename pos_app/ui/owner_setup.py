"""The first start of a lane with nobody on its staff: the owner's name, PIN and recovery code;
and the way back from a forgotten owner's PIN.

Set-up: three pages, one after the other: the owner's name; the PIN, twice,
on the keypad; then the recovery code `ManagerService.create_owner` returns,
shown once in large type until "I have written it down". The owner is
signed in at the end.

Recovery (`recover=True`, from the sign-in): the recovery code written down
at the set-up, the owner's new PIN twice (`ManagerService.recover_owner`),
then the NEW code shown once the same way: the old one stops working.

A new code (`new_code_by=owner`, from Staff... or offered after an owner's
sign-in on a lane that has none, e.g. one migrated from the old single
manager PIN): a confirmation, then the code
(`ManagerService.reset_recovery_code`) shown once the same way.

Nothing is kept on the screen once it closes.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.errors import UserFacingError
from pos_app.domain.pin import PIN_MIN_DIGITS, PinError, PinProblem
from pos_app.domain.staff import (
    NAME_MAX_CHARS,
    Person,
    StaffRole,
    check_staff_name,
    check_staff_pin,
    min_pin_digits,
    normalize_recovery_code,
)
from pos_app.services.manager import ManagerService
from pos_app.ui.controls import MIN_TOUCH, touch_button
from pos_app.ui.pin_pad import PinPad
from pos_app.ui.style import style_sheet
from pos_app.ui.tasks import accepted, finished_result
from pos_app.ui.text import manager as pin_text
from pos_app.ui.text import staff as text

__all__ = ["OwnerSetupDialog", "make_recovery_code", "recover_owner", "set_up_owner"]

_ENTER_KEYS: Final = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})


class OwnerSetupDialog(QDialog):
    """Sets up a lane's first person, its owner: name, PIN twice, recovery code.

    Escape does nothing in the set-up (the till needs its owner) nor once a code is
    shown; `force_close()` closes it when the till closes. `page` is "name" (the
    recovery code, when recovering), "pin", "repeat", "confirm" (a new code for
    `new_code_by`, `offer`: offered after their sign-in) or "code"."""

    def __init__(
        self,
        service: ManagerService,
        parent: QWidget | None = None,
        *,
        recover: bool = False,
        new_code_by: Person | None = None,
        offer: bool = False,
    ) -> None:
        super().__init__(parent)
        self.recovering = recover
        self.new_code_by = new_code_by
        self.offer = offer
        self._had_code = new_code_by is not None and service.has_recovery_code()
        if new_code_by is not None:
            name, title = "newRecoveryCodeDialog", text.NEW_CODE_TITLE
        elif recover:
            name, title = "ownerRecoveryDialog", text.RECOVER_TITLE
        else:
            name, title = "ownerSetupDialog", text.SETUP_TITLE
        self.setObjectName(name)
        self.setProperty("ownerSetup", True)  # the style sheet's selector for all three
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setStyleSheet(style_sheet("owner_setup"))
        self._service = service
        self._name = ""
        self._code = ""  # the recovery code typed (recovering)
        self._first_pin = ""
        self._closing = False
        self.person: Person | None = None
        self.recovery_code_shown = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(12)
        self.prompt_label = QLabel(self)
        self.prompt_label.setObjectName("setupPromptLabel")
        self.prompt_label.setWordWrap(True)
        self.prompt_label.setTextFormat(Qt.TextFormat.PlainText)
        self.prompt_label.setMinimumWidth(420)
        layout.addWidget(self.prompt_label)
        self.pages = QStackedWidget(self)
        self.name_page = self._build_name_page()
        self.pages.addWidget(self.name_page)
        self.pages.addWidget(self._build_pin_page())
        self.pages.addWidget(self._build_code_page())
        self.pages.addWidget(QWidget(self))  # "confirm": the prompt says it all
        if new_code_by is not None:  # no name nor keypad: size to the prompt and the code
            ignored = QSizePolicy.Policy.Ignored
            for unused in (self.name_page, self.pad):
                unused.setSizePolicy(ignored, ignored)
        layout.addWidget(self.pages)
        self.message_label = QLabel(self)
        self.message_label.setObjectName("setupMessageLabel")
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lines = QFontMetrics(self.message_label.font()).lineSpacing() * 2
        self.message_label.setMinimumHeight(lines + 16)
        self.message_label.setProperty("shown", False)
        layout.addWidget(self.message_label)
        layout.addLayout(self._build_buttons())
        self.finished.connect(self._on_finished)
        self._show("name" if new_code_by is None else "confirm")

    # -- building -----------------------------------------------------------------------

    def _build_name_page(self) -> QWidget:
        page = QWidget(self)
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        caption = text.RECOVER_CODE_LABEL if self.recovering else text.SETUP_NAME_LABEL
        label = QLabel(caption, page)
        self.name_edit = QLineEdit(page)
        self.name_edit.setObjectName("setupNameEdit")
        self.name_edit.setAccessibleName(caption.replace("&", ""))
        if self.recovering:
            self.name_edit.setPlaceholderText(text.RECOVER_CODE_PLACEHOLDER)
            self.name_edit.setMaxLength(32)
        else:
            self.name_edit.setPlaceholderText(text.SETUP_NAME_PLACEHOLDER)
            self.name_edit.setMaxLength(NAME_MAX_CHARS)
        self.name_edit.setMinimumHeight(MIN_TOUCH)
        label.setBuddy(self.name_edit)
        self.name_edit.textChanged.connect(self._on_pad_text_changed)
        column.addWidget(label)
        column.addWidget(self.name_edit)
        column.addStretch(1)
        return page

    def _build_pin_page(self) -> QWidget:
        self.pad = PinPad(self)
        self.pad.text_changed.connect(self._on_pad_text_changed)
        return self.pad

    def _build_code_page(self) -> QWidget:
        page = QWidget(self)
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        self.code_label = QLabel("", page)
        self.code_label.setObjectName("recoveryCodeLabel")
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextFormat(Qt.TextFormat.PlainText)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setPointSize(30)
        font.setBold(True)
        self.code_label.setFont(font)
        column.addStretch(1)
        column.addWidget(self.code_label)
        column.addStretch(1)
        return page

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(10)
        self.back_button = touch_button(self, "setupBackButton", text.SETUP_BACK)
        self.back_button.clicked.connect(self._on_back_button_clicked)
        self.next_button = touch_button(self, "setupNextButton", text.SETUP_NEXT)
        self.next_button.clicked.connect(self.submit)
        font = QFont(self.next_button.font())
        font.setBold(True)
        self.next_button.setFont(font)
        for button in (self.back_button, self.next_button):
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        row.addWidget(self.back_button)
        row.addWidget(self.next_button)
        return row

    # -- pages --------------------------------------------------------------------------

    @property
    def page(self) -> str:
        """The page shown: "name", "pin", "repeat", "confirm" or "code"."""
        return self._page

    @property
    def _leavable(self) -> bool:
        """Whether Escape may close it now: a recovery or a new code not yet made; never
        the set-up (the till needs its owner), never a code on the screen."""
        return self._mode != "setup" and self._page != "code"

    @property
    def _first_page(self) -> bool:
        """A recovery's or a new code's first page, where Back is Cancel."""
        return self._page == {"recover": "name", "new_code": "confirm"}.get(self._mode)

    @property
    def _mode(self) -> str:
        if self.new_code_by is not None:
            return "new_code"
        return "recover" if self.recovering else "setup"

    def _show(self, page: str) -> None:
        self._page = page
        digits = min_pin_digits(StaffRole.OWNER)
        prompts = {
            "name": text.SETUP_NAME_PROMPT,
            "pin": text.SETUP_PIN_PROMPT.format(name=self._name, digits=digits),
            "repeat": text.SETUP_REPEAT_PROMPT,
            "code": text.SETUP_CODE_PROMPT,
        }
        buttons = {
            "name": text.SETUP_NEXT,
            "pin": text.SETUP_NEXT,
            "repeat": text.SETUP_SAVE,
            "code": text.SETUP_WRITTEN,
        }
        if self._mode == "recover":
            prompts.update(
                name=text.RECOVER_PROMPT,
                pin=text.RECOVER_PIN_PROMPT.format(digits=digits),
                code=text.RECOVER_NEW_CODE_PROMPT,
            )
            buttons.update(repeat=text.RECOVER_SAVE)
        elif self.new_code_by is not None:
            prompts.update(confirm=self._confirm_prompt(self.new_code_by))
            if self._had_code:
                prompts.update(code=text.NEW_CODE_PROMPT)
            buttons.update(confirm=text.NEW_CODE_MAKE)
        self.prompt_label.setText(prompts[page])
        self.prompt_label.setAccessibleName(prompts[page])
        self.next_button.setText(buttons[page])
        self.next_button.setAccessibleName(buttons[page])
        first_page = self._first_page  # Back is Cancel there
        self.back_button.setVisible(page in ("pin", "repeat") or first_page)
        back = (text.OFFER_LATER if self.offer else text.CANCEL) if first_page else text.SETUP_BACK
        self.back_button.setText(back)
        self.back_button.setAccessibleName(back)
        index = {"name": 0, "pin": 1, "repeat": 1, "code": 2, "confirm": 3}[page]
        self.pages.setCurrentIndex(index)
        self.pad.clear()
        if page == "name":
            self.name_edit.setFocus()
        elif page in ("pin", "repeat"):
            self.pad.pin_edit.setFocus()
        self._update_next()

    def _confirm_prompt(self, by: Person) -> str:
        if self.offer:
            return text.OFFER_PROMPT.format(name=by.name)
        return text.NEW_CODE_CONFIRM if self._had_code else text.NEW_CODE_CONFIRM_FIRST

    def _update_next(self) -> None:
        enabled = True
        if self._page == "name":
            enabled = bool(self.name_edit.text().strip())
        elif self._page in ("pin", "repeat"):
            enabled = len(self.pad.pin) >= PIN_MIN_DIGITS
        self.next_button.setEnabled(enabled)

    def _say(self, message: str) -> None:
        self.message_label.setText(message)
        self.message_label.setAccessibleName(message or text.SETUP_TITLE)
        if self.message_label.property("shown") != bool(message):
            self.message_label.setProperty("shown", bool(message))
            self.message_label.style().unpolish(self.message_label)
            self.message_label.style().polish(self.message_label)

    # -- submitting ---------------------------------------------------------------------

    def submit(self) -> None:
        """The page's main button (Enter does this too)."""
        page = self._page
        if page == "name":
            self._take_name()
        elif page == "pin":
            self._take_pin()
        elif page == "repeat":
            self._take_repeat()
        elif page == "confirm":
            self._make_code()
        else:
            self._finish()

    def _take_name(self) -> None:
        if self.recovering:
            if normalize_recovery_code(self.name_edit.text()) is None:
                self._say(text.RECOVER_CODE_SHAPE)
                return
            self._code = self.name_edit.text()
            self.name_edit.clear()
            self._say("")
            self._show("pin")
            return
        try:
            self._name = check_staff_name(self.name_edit.text())
        except UserFacingError as exc:
            self._say(exc.message)
            return
        self._say("")
        self._show("pin")

    def _take_pin(self) -> None:
        pin = self.pad.pin
        try:
            check_staff_pin(pin, StaffRole.OWNER)
        except PinError as exc:
            self.pad.clear()
            self._say(exc.message)
            return
        self._first_pin = pin
        self._say("")
        self._show("repeat")

    def _take_repeat(self) -> None:
        pin = self.pad.pin
        first, self._first_pin = self._first_pin, ""
        if pin != first:
            self._show("pin")
            self._say(pin_text.PIN_PROBLEMS[PinProblem.MISMATCH])
            return
        try:
            if self.recovering:
                code, self._code = self._service.recover_owner(self._code, pin), ""
            else:
                code = self._service.create_owner(self._name, pin)
        except UserFacingError as exc:
            self._code = ""
            self._show("name" if self.recovering else "pin")
            self._say(text.sentence(exc.message))
            return
        self.person = self._service.current()
        self._reveal(code)

    def _make_code(self) -> None:
        if self.new_code_by is None:
            return
        try:
            code = self._service.reset_recovery_code(by=self.new_code_by)
        except UserFacingError as exc:  # no longer an owner, turned off meanwhile
            self._say(text.sentence(exc.message))
            return
        self._reveal(code)

    def _reveal(self, code: str) -> None:
        """The code, once, in large type until "I have written it down"."""
        self.code_label.setText(code)
        self.code_label.setAccessibleName(text.SETUP_CODE_NAME.format(code=" ".join(code)))
        self.recovery_code_shown = True
        self._say("")
        self._show("code")

    def _finish(self) -> None:
        self.code_label.clear()  # shown once: nothing of it stays on the screen
        self._closing = True
        self.accept()

    # -- asking and closing -------------------------------------------------------------

    async def ask(self) -> bool:
        """Open it (never exec) and wait: True once the owner is set up and signed in (or,
        recovering, once the new PIN and code are set; or once the new code was shown)."""
        first = self.next_button if self.new_code_by is not None else self.name_edit
        QTimer.singleShot(0, first.setFocus)
        done = accepted(await finished_result(self))
        return done and (self._mode != "setup" or self.person is not None)

    def reject(self) -> None:
        """Escape: only a recovery or a new code not yet made may be left; the set-up
        needs its owner, and a code on the screen must be read."""
        if self._closing or self._leavable:
            super().reject()

    def force_close(self) -> None:
        """Close it (the till is closing)."""
        self._closing = True
        self.reject()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter presses the page's main button when it is enabled."""
        if event.key() in _ENTER_KEYS:
            event.accept()
            if self.next_button.isEnabled():
                self.submit()
            return
        super().keyPressEvent(event)

    def _on_back_button_clicked(self) -> None:
        if self._first_page:
            self.reject()
            return
        self._first_pin = ""
        self._say("")
        self._show("name" if self._page == "pin" else "pin")

    def _on_pad_text_changed(self, _text: str) -> None:  # and the name's
        self._update_next()

    def _on_finished(self, _result: int) -> None:
        self._first_pin = ""
        self._code = ""
        self.pad.clear()
        self.code_label.clear()


async def set_up_owner(service: ManagerService, parent: QWidget | None = None) -> Person | None:
    """The owner's set-up over `parent`; the owner, signed in, or None if it was closed."""
    dialog = OwnerSetupDialog(service, parent)
    try:
        return dialog.person if await dialog.ask() else None
    finally:
        dialog.deleteLater()


async def make_recovery_code(
    service: ManagerService, by: Person, parent: QWidget | None = None, *, offer: bool = False
) -> bool:
    """A new recovery code made by the owner `by` over `parent`: a confirmation (`offer`:
    worded as the offer after their sign-in, "Not now" to leave), then the code shown once.
    True once it was made and shown."""
    dialog = OwnerSetupDialog(service, parent, new_code_by=by, offer=offer)
    try:
        return await dialog.ask()
    finally:
        dialog.deleteLater()


async def recover_owner(service: ManagerService, parent: QWidget | None = None) -> bool:
    """The owner's way back from a forgotten PIN, over `parent`: True once the new PIN is
    set (and the new recovery code was shown)."""
    dialog = OwnerSetupDialog(service, parent, recover=True)
    try:
        return await dialog.ask()
    finally:
        dialog.deleteLater()
