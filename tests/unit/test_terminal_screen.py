"""What a simulated terminal's screen shows, for each state the sandbox reports."""

from __future__ import annotations

from typing import Any

import pytest

from pos_app.ui.terminal_screen import (
    ScreenText,
    running_session,
    sandbox_epoch,
    screen_text,
    seconds_left,
)

NOW = 1_000_000.0
PAYMENT = {"status": "created", "amount": 1500, "deadline_epoch": NOW + 60}
REFUND = {**PAYMENT, "session_type": "refund", "amount": 500}


@pytest.mark.parametrize(
    ("terminal", "expected"),
    [
        ({"live_status": "CONNECTED"}, ScreenText("Ready")),
        ({"live_status": "DISCONNECTED"}, ScreenText("No connection", dimmed=True)),
        ({"identifying": True, "nickname": "Front"}, ScreenText("Front", "This terminal")),
        (
            {"session": PAYMENT},
            ScreenText("$15.00", "Tap, insert or swipe card", "Gives up in 3 s"),
        ),
        ({"session": REFUND}, ScreenText("Refund $5.00", "Tap card", "Gives up in 3 s")),
        # A finished session is not on the screen any more.
        ({"session": {**PAYMENT, "status": "succeeded"}}, ScreenText("Ready")),
    ],
)
def test_screen_text(terminal: dict[str, Any], expected: ScreenText) -> None:
    assert screen_text(terminal, NOW, time_scale=20.0) == expected


def test_seconds_left_is_real_time_and_never_negative() -> None:
    assert seconds_left(PAYMENT, NOW, 1.0) == 60
    assert seconds_left(PAYMENT, NOW, 20.0) == 3
    assert seconds_left(PAYMENT, NOW + 120, 1.0) == 0
    assert seconds_left(PAYMENT, None, 1.0) is None
    assert seconds_left({"deadline_epoch": None}, NOW, 1.0) is None
    assert seconds_left(PAYMENT, NOW, 0.0) is None


def test_running_session_and_the_sandbox_clock() -> None:
    assert running_session({"session": PAYMENT}) is PAYMENT
    assert running_session({"session": None}) is None
    assert sandbox_epoch("1970-01-01T00:00:10Z") == 10.0
    assert sandbox_epoch("not a time") is None
    assert sandbox_epoch(None) is None
