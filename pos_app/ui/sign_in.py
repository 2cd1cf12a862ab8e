"""Who is working the till: the sign-in screen, switching person, and the idle sign-out.

`TillSession` follows `ManagerService`'s till session for one window:

- `start()` (the app's start-up, after the first paint) asks who is working:
  the owner's set-up on a lane with nobody yet (`ui.owner_setup`), else the
  sign-in screen (a `PinDialog` in SIGN_IN mode: tap a name, then the PIN, or
  the PIN alone). Nobody can dismiss it: somebody signs in.
- `switch_person()` (the window's "Switch person": the first of two taps, the
  second is a name) signs the person out and asks again.
- Key presses, clicks and touches anywhere in the app count as activity
  (`touch()`); every `idle_check_ms` it asks the service who is signed in,
  and once the service's idle timeout signed the person out it says so and,
  after `start()`, asks again.

Every screen is a dialog over the window: a sale on the screen stays as it
was through a sign-out and the next sign-in.

An owner who signs in here on a lane without a recovery code (one migrated
from the old single manager PIN) is offered to make one, once per session,
right after the sign-in and only when no other dialog (a payment) is open:
"Not now" dismisses it, and Staff... still says so.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from pos_app.domain.staff import Person, StaffRole
from pos_app.services.manager import ManagerService
from pos_app.ui.pin_dialog import PinDialog, PinMode
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.text import staff as text

if TYPE_CHECKING:
    from pos_app.ui.owner_setup import OwnerSetupDialog

__all__ = ["TillSession", "person_text"]

_ACTIVITY: Final = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.TouchBegin,
    }
)


_TOUCH_EVERY_S: Final = 1.0


def person_text(person: Person | None) -> tuple[str, str]:
    """What the window shows for who is signed in, and its accessible name."""
    if person is None:
        return text.PERSON_NOBODY, text.PERSON_NOBODY
    role = text.ROLES[person.role]
    return (
        text.PERSON_LABEL.format(name=person.name, role=role),
        text.PERSON_LABEL_NAME.format(name=person.name, role=role),
    )


class TillSession(QObject):
    """Who works the till in `window`: asks at start-up, on "Switch person" and after
    the idle sign-out; `person_changed(Person | None)` follows the service."""

    person_changed = Signal(object)
    message = Signal(str)  # a line for the till's status bar

    def __init__(
        self, service: ManagerService, window: QWidget, *, idle_check_ms: int = 1000
    ) -> None:
        super().__init__(window)
        self.service = service
        self.window = window
        self.dialog: PinDialog | OwnerSetupDialog | None = None
        self.offer: OwnerSetupDialog | None = None  # the recovery code offer, while open
        self._offered = False  # in this person's session
        self.slot = TaskSlot(self, "sign-in")
        self._asking = False  # after start(): a signed-out till asks who is working
        self._person = service.current()
        self._touched = -_TOUCH_EVERY_S  # monotonic time of the last touch()
        self._idle_timer = QTimer(self)
        self._idle_timer.setInterval(idle_check_ms)
        self._idle_timer.timeout.connect(self.check_idle)
        self._idle_timer.start()
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    @property
    def person(self) -> Person | None:
        """Who is signed in, as last seen."""
        return self._person

    def start(self) -> None:
        """Ask who is working (the owner's set-up on a lane with nobody yet), unless
        somebody is signed in; from now on a sign-out asks again."""
        self._asking = True
        self._follow(self.service.current())
        if self._person is None:
            self.ask()

    def ask(self, prompt: str | None = None) -> None:
        """Open the sign-in (or the owner's set-up) unless it is open already."""
        if self.dialog is None:
            self.slot.start(self._ask(prompt))

    def switch_person(self) -> None:
        """Sign the person out and ask who is working now (the cart stays)."""
        if self.dialog is not None:
            return
        self.service.sign_out()
        self._follow(None)
        self.ask()

    def signed_out(self, prompt: str | None = None) -> None:
        """The person was signed out by the till itself (a visiting manager's screens
        closed): show nobody and, after `start()`, ask who is working (`prompt` says why)."""
        self._follow(self.service.current())
        if self._person is None and self._asking:
            self.ask(prompt)

    def check_idle(self) -> None:
        """One look at the service (the timer makes one every `idle_check_ms`): a person
        signed out by the idle timeout is announced and, after `start()`, asked for."""
        before = self._person
        now = self.service.current()
        if now == before:
            return
        self._follow(now)
        if now is None and before is not None:
            minutes = round(self.service.idle_timeout.total_seconds() / 60)
            self.message.emit(text.SIGNED_OUT_IDLE.format(name=before.name, minutes=minutes))
            if self._asking:
                self.ask(text.SIGN_IN_AGAIN_PROMPT.format(minutes=minutes))

    def close(self) -> None:
        """The till is closing: stop watching and close an open sign-in."""
        self._idle_timer.stop()
        self._asking = False
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        for dialog in (self.dialog, self.offer):
            if dialog is not None:
                dialog.force_close()
        self.slot.cancel()

    async def _ask(self, prompt: str | None) -> None:
        if not self.service.has_staff():
            from pos_app.ui.owner_setup import OwnerSetupDialog

            dialog: PinDialog | OwnerSetupDialog = OwnerSetupDialog(self.service, self.window)
        else:
            dialog = PinDialog(
                self.service, self.window, mode=PinMode.SIGN_IN, prompt=prompt, cancellable=False
            )
            dialog.setObjectName("signInDialog")
        self.dialog = dialog
        try:
            await dialog.ask()
        finally:
            self.dialog = None
            dialog.deleteLater()
        self._follow(self.service.current())
        await self.offer_recovery_code()

    async def offer_recovery_code(self) -> bool:
        """Offer the signed-in owner to make the lane's missing recovery code: once per
        session, and not while another dialog (a payment) is open. True once made."""
        person = self._person
        if person is None or person.role is not StaffRole.OWNER or self._offered:
            return False
        if QApplication.activeModalWidget() is not None or self.service.has_recovery_code():
            return False
        from pos_app.ui.owner_setup import OwnerSetupDialog

        self._offered = True
        offer = self.offer = OwnerSetupDialog(
            self.service, self.window, new_code_by=person, offer=True
        )
        try:
            return await offer.ask()
        finally:
            self.offer = None
            offer.deleteLater()

    def _follow(self, person: Person | None) -> None:
        if person != self._person:
            if person is None or self._person is None or person.id != self._person.id:
                self._offered = False  # a new session: a new offer
            self._person = person
            self.person_changed.emit(person)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A key, click or touch anywhere keeps the person signed in (told to the service
        at most once a second: a scanner's burst is one activity)."""
        if event.type() in _ACTIVITY and self._person is not None:
            now = time.monotonic()
            if now - self._touched >= _TOUCH_EVERY_S:
                self._touched = now
                self.service.touch()
        return False
