"""The terminal picker: calm on JustiFi (requests counted by the sandbox), and honest when
JustiFi refuses the lane (no stale "connected", a sentence)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from pos_app.services.ports import (
    GatewayConfigError,
    GatewayUnavailableError,
    Readiness,
    TerminalInfo,
)
from pos_app.ui.terminal_picker import LIST_REFRESH_MS, TerminalPicker
from tests.support.gui import wait_until
from tests.support.lanes import lane
from tests.support.sandbox import SandboxHandle
from tests.support.window import open_window

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


# --- what the picker costs JustiFi: requests the sandbox saw ------------------------------

LIST = "GET /v1/terminals"
STATUS = "GET /v1/terminals/{id}/status"
SIMULATED_MINUTES = 10


def terminal_requests(sandbox: SandboxHandle) -> Counter[str]:
    counts = sandbox.stats()["requests"]
    return Counter({path: counts.get(path, 0) for path in (LIST, STATUS)})


async def settled(picker: TerminalPicker) -> None:
    """Wait for the picker's requests under way (tests only; nothing sleeps)."""
    for task in (picker.refresh_task, picker.check_task):
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)


async def tick(picker: TerminalPicker, times: int) -> None:
    """Let `times` list periods pass: the timer's timeout, driven by hand."""
    for _ in range(times):
        picker.timer.timeout.emit()
        await settled(picker)


@pytest.fixture
async def picker(
    sandbox: SandboxHandle, tmp_path: Path, qtbot: Any
) -> AsyncIterator[TerminalPicker]:
    async with lane(sandbox.url, tmp_path / "journal.sqlite3") as test_lane:
        service = test_lane.service
        picker = TerminalPicker(
            service.list_terminals,
            service.identify_terminal,
            check_terminal=service.terminal_status,
            remembered_id="trm_front",
        )
        qtbot.addWidget(picker)
        yield picker
        picker.stop()
        await settled(picker)


async def test_ten_minutes_cost_one_list_a_period_and_no_status_call(
    picker: TerminalPicker, sandbox: SandboxHandle
) -> None:
    before = terminal_requests(sandbox)
    picker.start()
    await settled(picker)
    current = picker.current()
    assert current is not None
    assert (current.id, current.readiness) == ("trm_front", Readiness.CONNECTED)
    assert picker.timer.interval() == LIST_REFRESH_MS
    periods = SIMULATED_MINUTES * 60_000 // LIST_REFRESH_MS
    await tick(picker, periods)
    spent = terminal_requests(sandbox) - before
    # One list at the start and one a period: 21 in ten minutes, where a list and a
    # status call per terminal every 3 s made 200 x (1 + 3) = 800.
    assert spent == Counter({LIST: 1 + periods})


async def test_the_status_call_is_for_the_chosen_terminal_when_the_cashier_asks(
    picker: TerminalPicker, sandbox: SandboxHandle
) -> None:
    picker.start()
    await settled(picker)
    before = terminal_requests(sandbox)
    sandbox.control("POST", "terminals/trm_front/unplug")
    picker.refresh_button.click()  # the list, then the chosen terminal's live status
    await settled(picker)
    assert terminal_requests(sandbox) - before == Counter({LIST: 1, STATUS: 1})
    current = picker.current()
    assert current is not None
    assert current.readiness is Readiness.OFFLINE
    assert "offline" in picker.combo.currentText()

    before = terminal_requests(sandbox)
    side = picker.combo.findData("trm_side")
    picker.combo.setCurrentIndex(side)  # the cashier picks one: Qt then says "activated"
    picker.combo.activated.emit(side)
    await settled(picker)
    assert terminal_requests(sandbox) - before == Counter({STATUS: 1})


async def test_nothing_is_asked_while_a_payment_runs_and_one_list_after(
    picker: TerminalPicker, sandbox: SandboxHandle
) -> None:
    picker.start()
    await settled(picker)
    before = terminal_requests(sandbox)
    picker.set_paused(True)  # the payment dialog opened
    await tick(picker, 4)
    picker.refresh_now()
    picker.check_chosen()
    picker.combo.showPopup()
    picker.combo.hidePopup()
    await settled(picker)
    assert terminal_requests(sandbox) - before == Counter()
    picker.set_paused(False)  # the payment is over: the missed period is made up once
    await settled(picker)
    assert terminal_requests(sandbox) - before == Counter({LIST: 1})


async def test_opening_the_combo_lists_the_terminals_again(
    picker: TerminalPicker, sandbox: SandboxHandle
) -> None:
    picker.start()
    await settled(picker)
    before = terminal_requests(sandbox)
    sandbox.control("POST", "terminals/trm_front/unplug")
    picker.combo.showPopup()
    await settled(picker)
    picker.combo.hidePopup()
    assert terminal_requests(sandbox) - before == Counter({LIST: 1})
    assert "offline" in picker.combo.currentText()


async def test_the_window_holds_the_picker_back_while_a_payment_runs(
    sandbox: SandboxHandle, tmp_path: Path, qtbot: Any
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot) as w:  # trm_virtual: nobody taps
        window = w.window
        window.cart_model.add_amount(1500)
        await wait_until(window.charge_button.isEnabled)
        window.charge_button.click()
        await w.wait_dialog_state("waiting")
        assert window.picker.paused
        await settled(window.picker)
        before = terminal_requests(sandbox)
        await tick(window.picker, 10)  # five minutes of a slow customer
        window.picker.refresh_now()
        window.picker.check_chosen()
        assert terminal_requests(sandbox) - before == Counter()
        sandbox.present("trm_virtual")
        await w.wait_dialog_state("approved")
        dialog = window.flow.dialog
        assert dialog is not None
        dialog.view.new_sale_button.click()
        task = window.flow.slot.task
        assert task is not None
        await task
        assert not window.picker.paused
        await settled(window.picker)
        spent = terminal_requests(sandbox) - before
        assert spent[LIST] >= 1  # the missed periods made up (the test timer runs again too)
        assert spent[STATUS] == 0
