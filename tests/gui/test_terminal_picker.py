"""The terminal picker when JustiFi refuses the lane: no stale "connected", a sentence."""

from __future__ import annotations

from typing import Any

from pos_app.services.ports import (
    GatewayConfigError,
    GatewayUnavailableError,
    Readiness,
    TerminalInfo,
)
from pos_app.ui.terminal_picker import TerminalPicker

FRONT = TerminalInfo("trm_front", "Front counter", Readiness.CONNECTED)


class Answers:
    """What the lister answers next: terminals, or an error to raise."""

    def __init__(self) -> None:
        self.next: list[TerminalInfo] | Exception = [FRONT]

    async def __call__(self) -> list[TerminalInfo]:
        if isinstance(self.next, Exception):
            raise self.next
        return self.next


async def no_identify(_terminal_id: str) -> None:
    return None


async def test_refused_credentials_mark_every_terminal_unknown_and_say_why(qtbot: Any) -> None:
    answers = Answers()
    picker = TerminalPicker(answers, no_identify, remembered_id="trm_front", refresh_ms=60_000)
    qtbot.addWidget(picker)
    await picker.refresh()
    current = picker.current()
    assert current is not None
    assert current.readiness is Readiness.CONNECTED

    answers.next = GatewayConfigError("401")
    await picker.refresh()
    current = picker.current()
    assert current is not None
    assert current.readiness is Readiness.UNKNOWN  # Charge is disabled, with the reason
    assert "refused this lane's credentials" in picker.status_label.text()
    assert "Settings" in picker.status_label.text()

    answers.next = GatewayUnavailableError("down")
    await picker.refresh()
    assert "Cannot reach JustiFi" in picker.status_label.text()

    answers.next = [FRONT]
    await picker.refresh()
    current = picker.current()
    assert current is not None
    assert current.readiness is Readiness.CONNECTED
    assert "JustiFi" not in picker.status_label.text()  # the trouble is over
