"""What a simulated terminal's screen shows, read from the sandbox's `/_sandbox/state`.

Pure functions of one terminal's state (no Qt): the lines on the device's
screen, whether it is waiting for the customer, and the seconds it has left.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pos_app.domain.money import Money
from pos_app.ui.text import virtual_terminal as text

__all__ = [
    "DISCONNECTED",
    "ScreenText",
    "running_session",
    "sandbox_epoch",
    "screen_text",
    "seconds_left",
]

DISCONNECTED = "DISCONNECTED"


@dataclass(frozen=True)
class ScreenText:
    """The lines a simulated device's screen shows."""

    headline: str
    prompt: str = ""
    countdown: str = ""
    dimmed: bool = False


def running_session(terminal: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The session the terminal is running (waiting for the customer), if any."""
    session = terminal.get("session")
    if isinstance(session, Mapping) and session.get("status") == "created":
        return session
    return None


def seconds_left(session: Mapping[str, Any], now: float | None, time_scale: float) -> int | None:
    """Real seconds until the device gives up, from simulated `now` and the time scale."""
    deadline = session.get("deadline_epoch")
    if now is None or not isinstance(deadline, int | float) or time_scale <= 0:
        return None
    return max(0, math.ceil((float(deadline) - now) / time_scale))


def screen_text(terminal: Mapping[str, Any], now: float | None, time_scale: float) -> ScreenText:
    """What the device's screen shows for one terminal of `/_sandbox/state`."""
    session = running_session(terminal)
    if session is not None:
        amount = Money(int(session.get("amount", 0))).format()
        left = seconds_left(session, now, time_scale)
        countdown = "" if left is None else text.seconds_left(left)
        if session.get("session_type") == "refund":
            return ScreenText(text.refund_amount(amount), text.SCREEN_REFUND_PROMPT, countdown)
        return ScreenText(amount, text.SCREEN_PAYMENT_PROMPT, countdown)
    if terminal.get("identifying"):
        return ScreenText(str(terminal.get("nickname", "")), text.SCREEN_IDENTIFY_PROMPT)
    if terminal.get("live_status") == DISCONNECTED:
        return ScreenText(text.SCREEN_OFFLINE, dimmed=True)
    return ScreenText(text.SCREEN_READY)


def sandbox_epoch(iso: object) -> float | None:
    """The sandbox's simulated `now` ("2026-11-23T19:35:59.909Z") as epoch seconds."""
    if not isinstance(iso, str):
        return None
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return None
