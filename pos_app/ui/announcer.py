"""Sentences a screen reader speaks at once, whatever has the keyboard focus.

A label whose text changes reaches AT-SPI only as a name change on a widget
without focus, and screen readers ignore those: a blind cashier would never
hear "Approved". Qt 6.8's accessibility announcement event is spoken as it
comes: an assertive one interrupts what is being read (outcomes), a polite
one waits its turn (progress).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent

__all__ = ["announce"]

log = logging.getLogger("pos_app.ui.announcer")

_POLITENESS = QAccessible.AnnouncementPoliteness


def announce(source: QObject, message: str, *, assertive: bool = False) -> None:
    """Have screen readers speak `message` now, on behalf of `source`; never raises.

    Nothing is built while no assistive technology listens (Qt would drop it).
    """
    if not message or not QAccessible.isActive():
        return
    try:
        event = QAccessibleAnnouncementEvent(source, message)
        event.setPoliteness(_POLITENESS.Assertive if assertive else _POLITENESS.Polite)
        QAccessible.updateAccessibility(event)
    except Exception:  # an accessibility bridge must never break a payment
        log.debug("accessibility announcement failed", exc_info=True)
