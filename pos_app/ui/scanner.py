"""Keyboard-wedge barcode scanners: tell a scan from typing, wherever the focus is.

A wedge scanner "types" the barcode much faster than a person, then presses
Enter. The filter holds each printable key press for one gap (30 ms): if the
next key comes within the gap it keeps collecting; if not, it hands the held
keys to the widget they were meant for, so typing still works (at most one
gap late). A fast burst of at least `min_length` characters ended by Enter is
a scan: it is emitted as `scanned` and none of its keys reach any widget.

Qt offers every key to the shortcuts first (a ShortcutOverride event). The
Enter that ends a scan is claimed there, so it never presses a window's
"Enter charges" shortcut; before any other shortcut runs, held keys are handed
on, so a shortcut never overtakes what was typed before it.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent

__all__ = ["BarcodeScanner"]

_ENTER_KEYS: Final = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})
# Scanners press Shift for capitals; these keys never end or break a burst.
_MODIFIER_KEYS: Final = frozenset(
    {
        Qt.Key.Key_Shift,
        Qt.Key.Key_Control,
        Qt.Key.Key_Alt,
        Qt.Key.Key_AltGr,
        Qt.Key.Key_Meta,
    }
)
_COMMAND_MODIFIERS: Final = (
    Qt.KeyboardModifier.ControlModifier
    | Qt.KeyboardModifier.AltModifier
    | Qt.KeyboardModifier.MetaModifier
)
_KEY_EVENTS: Final = frozenset(
    {QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.ShortcutOverride}
)


@dataclass(frozen=True, slots=True)
class _HeldKey:
    receiver: QObject
    event: QKeyEvent


class BarcodeScanner(QObject):
    """An application-wide event filter that turns fast key bursts ending in Enter
    into `scanned(code)`, and lets ordinary typing through.

    Install it with ``QApplication.instance().installEventFilter(scanner)``.
    Key times come from `clock` (seconds), so tests can use a fake clock and
    call `flush()` instead of waiting for the gap timer.
    """

    scanned = Signal(str)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        gap_ms: int = 30,
        min_length: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        if gap_ms <= 0:
            raise ValueError(f"gap_ms must be positive: {gap_ms}")
        if min_length < 1:
            raise ValueError(f"min_length must be at least 1: {min_length}")
        self._gap_s = gap_ms / 1000
        self._min_length = min_length
        self._clock = clock
        self._held: list[_HeldKey] = []
        self._code = ""
        self._last_press: float | None = None
        # Releases still to come for keys of a scan that were swallowed.
        self._swallowed_releases: Counter[int] = Counter()
        self._replaying = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(gap_ms)
        self._timer.timeout.connect(self.flush)

    @property
    def pending(self) -> str:
        """The characters held so far (not yet a scan, not yet replayed)."""
        return self._code

    def flush(self) -> None:
        """Hand every held key to the widget it was meant for, in order."""
        self._timer.stop()
        held, self._held = self._held, []
        self._code = ""
        self._last_press = None
        for key in held:
            if not shiboken6.isValid(key.receiver):
                continue  # the widget went away meanwhile
            self._replaying += 1
            try:
                QCoreApplication.sendEvent(key.receiver, key.event)
            finally:
                self._replaying -= 1

    # -- the filter ----------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A real key press goes to the window first, which forwards it to the focus
        # widget; catching it at the window keeps it from other application filters
        # (the main window's "digits type the amount"). Tests send to widgets directly.
        if (
            self._replaying
            or event.type() not in _KEY_EVENTS
            or not isinstance(event, QKeyEvent)
            or not (watched.isWidgetType() or watched.isWindowType())
        ):
            return False
        if event.type() == QEvent.Type.ShortcutOverride:
            return self._on_shortcut_override(event)
        if event.type() == QEvent.Type.KeyRelease:
            return self._on_release(watched, event)
        return self._on_press(watched, event)

    def _on_shortcut_override(self, event: QKeyEvent) -> bool:
        if self._ends_a_scan(event):
            event.accept()  # no shortcut: the key press comes to `_on_press` as a key
            return True
        if self._held and not self._is_printable(event):
            self.flush()  # a printable key is held with the rest when it is pressed
        return False

    def _on_press(self, receiver: QObject, event: QKeyEvent) -> bool:
        self._swallowed_releases.clear()
        now = self._clock()
        key = event.key()
        if key in _MODIFIER_KEYS:
            return self._hold_if_collecting(receiver, event)
        if not self._within_gap(now):
            self.flush()
        if key in _ENTER_KEYS and not event.isAutoRepeat():
            if len(self._code) >= self._min_length:
                self._emit_scan(key)
                return True
            self.flush()
            return False
        if self._is_printable(event):
            self._held.append(_HeldKey(receiver, QKeyEvent(event)))
            self._code += event.text()
            self._last_press = now
            self._timer.start()
            return True
        # Any other key (arrows, Tab, Backspace, a shortcut) ends the burst as typing.
        self.flush()
        return False

    def _on_release(self, receiver: QObject, event: QKeyEvent) -> bool:
        if self._held:
            self._held.append(_HeldKey(receiver, QKeyEvent(event)))
            return True
        key = event.key()
        if not event.isAutoRepeat() and self._swallowed_releases[key] > 0:
            self._swallowed_releases[key] -= 1
            return True
        return False

    def _hold_if_collecting(self, receiver: QObject, event: QKeyEvent) -> bool:
        if not self._held:
            return False
        self._held.append(_HeldKey(receiver, QKeyEvent(event)))
        return True

    def _ends_a_scan(self, event: QKeyEvent) -> bool:
        return (
            event.key() in _ENTER_KEYS
            and not event.isAutoRepeat()
            and len(self._code) >= self._min_length
            and self._within_gap(self._clock())
        )

    def _within_gap(self, now: float) -> bool:
        return self._last_press is not None and now - self._last_press <= self._gap_s

    @staticmethod
    def _is_printable(event: QKeyEvent) -> bool:
        typed = event.text()
        return (
            len(typed) == 1
            and typed.isprintable()
            and not event.isAutoRepeat()
            and not event.modifiers() & _COMMAND_MODIFIERS
        )

    def _emit_scan(self, enter_key: int) -> None:
        self._timer.stop()
        code = self._code
        # The scanner releases what it pressed; keep those releases from the widgets too.
        for held in self._held:
            change = 1 if held.event.type() == QEvent.Type.KeyPress else -1
            self._swallowed_releases[held.event.key()] += change
        self._swallowed_releases[enter_key] += 1
        self._swallowed_releases = +self._swallowed_releases  # drop counts at or below zero
        self._held = []
        self._code = ""
        self._last_press = None
        self.scanned.emit(code)
