"""The virtual-terminal window against a real sandbox child process."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QLabel, QPushButton

from pos_app.sandbox.remote import SandboxControl
from pos_app.ui.terminal_panel import TerminalPanel
from pos_app.ui.virtual_terminal import VirtualTerminalWindow
from tests.support.gui import wait_until
from tests.support.sandbox import SandboxHandle

TERMINAL = "trm_virtual"


@asynccontextmanager
async def open_window(
    qtbot: Any, url: str, poll_ms: int = 60_000
) -> AsyncIterator[tuple[VirtualTerminalWindow, SandboxControl]]:
    """A shown window on a real control client; everything closed at the end."""
    control = SandboxControl(url)
    window = VirtualTerminalWindow(control, poll_ms=poll_ms)
    qtbot.addWidget(window)
    window.show()
    try:
        await window.wait_idle()
        yield window, control
    finally:
        window.close()
        await window.wait_idle()
        await control.aclose()


def send_sale(sandbox: SandboxHandle, amount: int = 1234) -> str:
    intent = sandbox.create_intent(amount)
    assert sandbox.pay(TERMINAL, intent_id=intent["id"]).status_code == 201
    return str(intent["id"])


def find(window: VirtualTerminalWindow, kind: type[Any], name: str) -> Any:
    widget = window.findChild(kind, name)
    assert widget is not None, name
    return widget


def screen(window: VirtualTerminalWindow, terminal_id: str = TERMINAL) -> list[str]:
    return [
        find(window, QLabel, f"vt_{terminal_id}_{part}").text()
        for part in ("screenHeadline", "screenPrompt", "screenCountdown")
    ]


def session_buttons(window: VirtualTerminalWindow) -> list[QPushButton]:
    names = ["tap_visa", "tap_mastercard", "tap_amex", "tap_discover", "decline", "cancel"]
    return [find(window, QPushButton, f"vt_{TERMINAL}_{name}") for name in names]


async def click(qtbot: Any, window: VirtualTerminalWindow, name: str) -> None:
    qtbot.mouseClick(find(window, QPushButton, name), Qt.MouseButton.LeftButton)
    await window.wait_idle()


async def test_idle_terminals_have_one_panel_each_and_only_plug_enabled(
    qtbot: Any, sandbox: SandboxHandle
) -> None:
    async with open_window(qtbot, sandbox.url) as (window, _):
        await window.refresh()
        panels = window.findChildren(TerminalPanel)
        assert sorted(p.objectName() for p in panels) == sorted(
            f"vt_{t}"
            for t in ("trm_front", "trm_side", "trm_virtual", "trm_patio", "trm_backoffice")
        )
        assert window.objectName() == "virtualTerminalWindow"
        assert window.windowTitle() == "Virtual terminals (demo)"
        assert screen(window) == ["Ready", "", ""]
        assert not any(button.isEnabled() for button in session_buttons(window))
        plug = find(window, QPushButton, f"vt_{TERMINAL}_plug")
        assert plug.isEnabled()
        assert plug.text() == "Unplug"
        assert find(window, QLabel, f"vt_{TERMINAL}_behaviour").text() == "Customer waits for you"
        front = find(window, QLabel, "vt_trm_front_behaviour").text()
        assert front == "Customer taps by itself after 3 s"
        assert find(window, QLabel, "vt_trm_backoffice_status").text() == "Status: Offline"
        assert screen(window, "trm_backoffice")[0] == "No connection"
        for button in window.findChildren(QPushButton):
            assert button.minimumHeight() >= 44
            assert button.accessibleName()
        assert find(window, QPushButton, f"vt_{TERMINAL}_tap_visa").text() == "Tap Visa 4242"


async def test_a_sale_shows_amount_and_time_left_and_panels_update_in_place(
    qtbot: Any, sandbox: SandboxHandle
) -> None:
    async with open_window(qtbot, sandbox.url) as (window, _):
        await window.refresh()
        panel = window.panel(TERMINAL)
        headline = find(window, QLabel, f"vt_{TERMINAL}_screenHeadline")
        send_sale(sandbox, 1234)
        await window.refresh()
        headline_text, prompt, countdown = screen(window)
        assert (headline_text, prompt) == ("$12.34", "Tap, insert or swipe card")
        # 90 simulated seconds at 20x: at most 5 real seconds left.
        match = re.fullmatch(r"Gives up in (\d+) s", countdown)
        assert match is not None, countdown
        assert 0 <= int(match.group(1)) <= 5
        assert find(window, QLabel, f"vt_{TERMINAL}_status").text() == "Status: Busy"
        assert all(button.isEnabled() for button in session_buttons(window))
        assert window.panel(TERMINAL) is panel
        assert find(window, QLabel, f"vt_{TERMINAL}_screenHeadline") is headline


async def test_the_countdown_follows_the_time_scale(qtbot: Any, sandbox: SandboxHandle) -> None:
    sandbox.set_time(scale=1)
    send_sale(sandbox)
    async with open_window(qtbot, sandbox.url) as (window, _):
        await window.refresh()
        match = re.fullmatch(r"Gives up in (\d+) s", screen(window)[2])
        assert match is not None
        assert 80 <= int(match.group(1)) <= 90


async def test_tapping_mastercard_approves_the_sale(qtbot: Any, sandbox: SandboxHandle) -> None:
    intent_id = send_sale(sandbox)
    async with open_window(qtbot, sandbox.url) as (window, _):
        await window.refresh()
        await click(qtbot, window, f"vt_{TERMINAL}_tap_mastercard")
        intent = sandbox.get(f"/v1/payment_intents/{intent_id}")
        assert intent["status"] == "succeeded"
        assert intent["payment_method"]["card"]["brand"] == "Mastercard"
        assert screen(window) == ["Ready", "", ""]
        assert not any(button.isEnabled() for button in session_buttons(window))
        assert "Mastercard 4444" in find(window, QLabel, "vtStatusLabel").text()


async def test_decline_uses_the_chosen_code(qtbot: Any, sandbox: SandboxHandle) -> None:
    intent_id = send_sale(sandbox)
    async with open_window(qtbot, sandbox.url) as (window, _):
        await window.refresh()
        combo = find(window, QComboBox, f"vt_{TERMINAL}_declineCode")
        combo.setCurrentIndex(combo.findData("insufficient_funds"))
        await click(qtbot, window, f"vt_{TERMINAL}_decline")
        intent = sandbox.get(f"/v1/payment_intents/{intent_id}")
        assert intent["status"] == "requires_payment_method"
        assert intent["last_error"]["code"] == "insufficient_funds"
        assert screen(window)[0] == "Ready"


async def test_press_x_cancels_the_sale(qtbot: Any, sandbox: SandboxHandle) -> None:
    intent_id = send_sale(sandbox)
    async with open_window(qtbot, sandbox.url) as (window, _):
        await window.refresh()
        await click(qtbot, window, f"vt_{TERMINAL}_cancel")
        intent = sandbox.get(f"/v1/payment_intents/{intent_id}")
        assert intent["last_error"]["code"] == "canceled_on_terminal"
        assert intent["last_error"]["payment_id"] is None


async def test_unplug_and_plug_in_toggle_the_live_status(
    qtbot: Any, sandbox: SandboxHandle
) -> None:
    plug_name = f"vt_{TERMINAL}_plug"
    async with open_window(qtbot, sandbox.url) as (window, _):
        await window.refresh()
        await click(qtbot, window, plug_name)
        assert sandbox.get(f"/v1/terminals/{TERMINAL}/status")["status"] == "DISCONNECTED"
        assert find(window, QPushButton, plug_name).text() == "Plug in"
        assert find(window, QLabel, f"vt_{TERMINAL}_status").text() == "Status: Offline"
        await click(qtbot, window, plug_name)
        assert sandbox.get(f"/v1/terminals/{TERMINAL}/status")["status"] == "CONNECTED"
        assert find(window, QPushButton, plug_name).text() == "Unplug"
        assert find(window, QLabel, f"vt_{TERMINAL}_status").text() == "Status: Ready"


async def test_a_refused_action_shows_in_the_status_line_not_a_dialog(
    qtbot: Any, sandbox: SandboxHandle
) -> None:
    send_sale(sandbox)
    async with open_window(qtbot, sandbox.url) as (window, _control):
        await window.refresh()
        # The customer presses X on the device itself before the person clicks.
        sandbox.press_x(TERMINAL)
        await click(qtbot, window, f"vt_{TERMINAL}_cancel")
        status = find(window, QLabel, "vtStatusLabel").text()
        assert status == "Virtual terminal: Nothing is waiting on this terminal."
        assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog)]
        assert screen(window)[0] == "Ready"


async def test_an_unreachable_sandbox_shows_in_the_status_line(qtbot: Any) -> None:
    async with open_window(qtbot, "http://127.0.0.1:9") as (window, _):
        await window.refresh()
        assert "Cannot reach the demo sandbox" in find(window, QLabel, "vtStatusLabel").text()


async def test_refund_and_identify_screens(qtbot: Any, sandbox: SandboxHandle) -> None:
    intent = sandbox.paid_intent(1000)
    body = {"payment_intent_id": intent["id"], "terminal_id": TERMINAL, "amount": 500}
    assert sandbox.call("POST", "/v1/terminals/refund", body).status_code in (200, 201)
    assert sandbox.call("POST", "/v1/terminals/trm_front/identify").status_code == 204
    async with open_window(qtbot, sandbox.url) as (window, _):
        await window.refresh()
        assert screen(window)[:2] == ["Refund $5.00", "Tap card"]
        assert screen(window, "trm_front")[0] == "Front counter"


async def test_the_window_polls_by_itself_and_stops_when_closed(
    qtbot: Any, sandbox: SandboxHandle
) -> None:
    async with open_window(qtbot, sandbox.url, poll_ms=50) as (window, _):
        await wait_until(lambda: window.panel(TERMINAL) is not None)
        send_sale(sandbox, 2500)
        await wait_until(lambda: screen(window)[0] == "$25.00")
        window.close()
        await window.wait_idle()
        assert not window.polling
        assert not window.poll_slot.running
        window.show()
        assert window.polling
