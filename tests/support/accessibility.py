"""What Qt really hands to screen readers, observed in a test.

Qt passes every accessibility event to one update handler, in place of the
platform bridge (AT-SPI on Linux). PySide6 does not bind
`QAccessible::installUpdateHandler`, so it is called through ctypes: the test
sees exactly the events a bridge would get, and nothing the code merely meant
to send.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import PySide6
import shiboken6
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QAccessibleEvent

_INSTALL_UPDATE_HANDLER = "_ZN11QAccessible20installUpdateHandlerEPFvP16QAccessibleEventE"
_UpdateHandler = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


@dataclass(frozen=True)
class Announcement:
    """One announcement as a screen reader would get it."""

    message: str
    assertive: bool
    source: str  # the object name of the object it speaks for


def _qt_gui() -> ctypes.CDLL:
    if not sys.platform.startswith("linux"):
        raise RuntimeError("observing accessibility events is only wired for Linux")
    return ctypes.CDLL(str(Path(PySide6.__file__).parent / "Qt" / "lib" / "libQt6Gui.so.6"))


@contextmanager
def announcements() -> Iterator[list[Announcement]]:
    """Every announcement Qt dispatches meanwhile, in order (accessibility switched on)."""
    install = getattr(_qt_gui(), _INSTALL_UPDATE_HANDLER)
    install.restype = ctypes.c_void_p
    install.argtypes = [ctypes.c_void_p]
    heard: list[Announcement] = []

    def on_update(address: int) -> None:
        event = shiboken6.wrapInstance(address, QAccessibleEvent)
        if event.type() != QAccessible.Event.Announcement:
            return
        spoken = shiboken6.wrapInstance(address, QAccessibleAnnouncementEvent)
        source = spoken.object()
        heard.append(
            Announcement(
                spoken.message(),
                spoken.politeness() == QAccessible.AnnouncementPoliteness.Assertive,
                source.objectName() if source is not None else "",
            )
        )

    handler = _UpdateHandler(on_update)  # kept alive until the handler is removed
    was_active = QAccessible.isActive()
    previous = install(ctypes.cast(handler, ctypes.c_void_p))
    QAccessible.setActive(True)  # as when a screen reader runs: Qt drops events otherwise
    try:
        yield heard
    finally:
        install(previous)
        QAccessible.setActive(was_active)
