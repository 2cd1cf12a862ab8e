"""Screens only a manager or owner may use: the idle timeout signs them out there too.

`ManagerGuard` watches a dialog a manager opened: activity inside it keeps the
manager signed in; once the session has lapsed (or the person signed in can no
longer approve) it asks a manager or owner to sign in again over the screen
(`PinDialog` in MANAGER mode), and cancelling that closes the screen.
`ManagerScreen` is a dialog with its guard built in.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from pos_app.services.manager import ManagerService
from pos_app.ui.pin_dialog import PinDialog, PinMode
from pos_app.ui.tasks import TaskSlot
from pos_app.ui.text import manager as text

__all__ = ["ManagerGuard", "ManagerScreen"]

_ACTIVITY: Final = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


class ManagerGuard(QObject):
    """Keeps a manager screen for managers: the idle timeout signs the manager out.

    Attach it to any dialog a manager opens. Key presses, clicks, wheel and
    touch inside the dialog count as activity. Every `idle_check_ms` while the
    dialog shows, the guard asks the service whether the manager is still
    signed in; when not, it emits `session_expired` and asks for the PIN over
    the dialog: `reauthenticated` follows a good PIN, and cancelling closes the
    dialog (rejected).
    """

    session_expired = Signal()
    reauthenticated = Signal()

    def __init__(
        self, service: ManagerService, screen: QDialog, *, idle_check_ms: int = 1000
    ) -> None:
        super().__init__(screen)
        self.service = service
        self.screen = screen
        self.reauth_dialog: PinDialog | None = None
        self._reauth = TaskSlot(self, "manager re-auth")
        self._idle_timer = QTimer(self)
        self._idle_timer.setInterval(idle_check_ms)
        self._idle_timer.timeout.connect(self.check_idle)
        screen.installEventFilter(self)  # its Show starts the watch, its Hide ends it
        screen.finished.connect(self._on_screen_finished)
        if screen.isVisible():
            self._watch()

    def _watch(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        self._idle_timer.start()

    def _unwatch(self) -> None:
        """Stop watching: no application-wide filter outlives the screen's showing (a
        screen closed with its window never finishes, and a filter left behind would
        see every event of the application)."""
        self._idle_timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The screen showing starts the watch and hiding ends it; activity inside it
        keeps the manager in."""
        screen = getattr(self, "screen", None)
        if screen is None:
            # The garbage collector is taking the guard and its screen down together: the
            # guard's attributes are gone while the screen's deletion still sends events.
            return False
        if watched is screen and event.type() == QEvent.Type.Show:
            self._watch()
        elif watched is screen and event.type() == QEvent.Type.Hide:
            self._unwatch()
        elif (
            event.type() in _ACTIVITY
            and self.reauth_dialog is None
            and isinstance(watched, QWidget)
            and (watched is screen or screen.isAncestorOf(watched))
        ):
            self.service.touch()
        return False

    @property
    def watching(self) -> bool:
        """Whether the guard is watching its screen (from its Show to its Hide or finish)."""
        return self._idle_timer.isActive()

    def check_idle(self) -> None:
        """One idle check (the timer makes one every `idle_check_ms`): a manager whose
        session lapsed is asked for the PIN again."""
        if self.reauth_dialog is None and not self.manager_signed_in():
            self.session_expired.emit()
            self.reauth_dialog = PinDialog(
                self.service, self.screen, mode=PinMode.MANAGER, prompt=text.PROMPT_REAUTH
            )
            self._reauth.start(self._reauthenticate(self.reauth_dialog))

    def manager_signed_in(self) -> bool:
        """Whether the person signed in may use a manager's screen."""
        person = self.service.current()
        return person is not None and person.can_approve

    async def _reauthenticate(self, dialog: PinDialog) -> None:
        try:
            signed_in = await dialog.ask()
        finally:
            self.reauth_dialog = None
            dialog.deleteLater()
        if signed_in:
            self.reauthenticated.emit()
        elif self.screen.isVisible():
            self.screen.reject()

    def _on_screen_finished(self, _result: int) -> None:
        self._unwatch()
        if self.reauth_dialog is not None:
            self.reauth_dialog.reject()


class ManagerScreen(QDialog):
    """A dialog only a manager may use, watched by a `ManagerGuard`."""

    session_expired = Signal()
    reauthenticated = Signal()

    def __init__(
        self, service: ManagerService, parent: QWidget | None = None, *, idle_check_ms: int = 1000
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.guard = ManagerGuard(service, self, idle_check_ms=idle_check_ms)
        self.guard.session_expired.connect(self.session_expired)
        self.guard.reauthenticated.connect(self.reauthenticated)

    @property
    def reauth_dialog(self) -> PinDialog | None:
        """The PIN dialog asking again, while it is open."""
        return self.guard.reauth_dialog
