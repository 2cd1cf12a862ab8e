"""The cashier window against the real sandbox, on one qasync loop, offscreen."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from pos_app.domain.payment_flow import PaymentState, StateName
from pos_app.services.payments import PaymentRun
from pos_app.services.ports import HistoryQuery
from pos_app.ui.main_window import MainWindow
from pos_app.ui.sale_flow import SaleRequest
from pos_app.ui.text import window as window_text
from tests.support.accessibility import announcements
from tests.support.gui import wait_until
from tests.support.lanes import lane
from tests.support.sandbox import SandboxHandle
from tests.support.window import CATALOG, WindowLane, open_window


def click(qtbot: Any, widget: Any) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def button(window_lane: WindowLane, name: str) -> Any:
    from PySide6.QtWidgets import QPushButton

    dialog = window_lane.window.flow.dialog
    assert dialog is not None
    found = dialog.findChild(QPushButton, name)
    assert found is not None, name
    return found


async def start_charge(qtbot: Any, w: WindowLane, cents: int = 1500) -> None:
    """A sale of `cents`, charged, the dialog waiting for the customer."""
    w.window.cart_model.add_amount(cents)
    click(qtbot, w.window.charge_button)
    await w.wait_dialog_state("waiting")


async def new_sale(qtbot: Any, w: WindowLane) -> None:
    """Press New sale on the approved dialog and let the flow end."""
    click(qtbot, button(w, "newSaleButton"))
    await finish_flow(w)


async def finish_flow(window_lane: WindowLane) -> Any:
    task = window_lane.window.flow.slot.task
    assert task is not None
    return await task


async def test_approved_sale_then_a_new_sale(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot) as w:
        window = w.window
        click(qtbot, window.quick_items.findChild(type(window.charge_button), "quickItem_coffee"))
        assert window.charge_button.isEnabled()
        assert window.charge_button.text() == "Charge $2.50"
        click(qtbot, window.charge_button)
        first = window.flow.slot.task
        # A second press in the same moment is refused; it never cancels the first.
        assert window.flow.start_charge(SaleRequest(250, "trm_virtual", None)) is None
        assert window.flow.slot.task is first
        assert await w.wait_dialog_state("waiting") == "waiting"
        label = window.flow.dialog.findChild(type(window.charge_hint), "paymentStatusLabel")
        assert "$2.50" in label.text()
        assert not window.charge_button.isEnabled()  # one payment at a time
        sandbox.present("trm_virtual", card="visa")
        await w.wait_dialog_state("approved")
        assert "4242" in label.text()
        click(qtbot, button(w, "newSaleButton"))
        final = await finish_flow(w)
        assert final.name.value == "approved"
        assert window.cart_model.cart.is_empty
        [op] = w.lane.journal.history(HistoryQuery())
        assert op.status == "approved"


async def test_decline_then_retry_on_another_terminal(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot) as w:
        window = w.window
        for key in "1000":
            qtbot.keyClick(window.amount_entry, key)
        # typed keys reach the amount one scanner gap later
        await wait_until(lambda: window.charge_button.text() == "Charge $10.00")
        click(qtbot, window.charge_button)
        await w.wait_dialog_state("waiting")
        sandbox.present("trm_virtual", decline_code="insufficient_funds")
        await w.wait_dialog_state("declined")
        dialog = window.flow.dialog
        combo = dialog.findChild(type(window.picker.combo), "retryTerminalCombo")
        combo.setCurrentIndex(combo.findData("trm_side"))
        click(qtbot, button(w, "tryAgainButton"))
        # trm_side's simulated customer taps by itself
        await w.wait_dialog_state("approved")
        click(qtbot, button(w, "newSaleButton"))
        assert (await finish_flow(w)).name.value == "approved"


async def test_cancelled_on_the_device(qtbot: Any, sandbox: SandboxHandle, tmp_path: Path) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot) as w:
        await start_charge(qtbot, w)
        sandbox.press_x("trm_virtual")
        await w.wait_dialog_state("cancelled")
        click(qtbot, button(w, "backToSaleButton"))
        assert (await finish_flow(w)).name.value == "cancelled"
        assert not w.window.cart_model.cart.is_empty  # the sale is still there to retry
        # Charge comes back once the picker's next refresh sees the terminal free again.
        await wait_until(w.window.charge_button.isEnabled)


async def test_timed_out(qtbot: Any, sandbox: SandboxHandle, tmp_path: Path) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot) as w:
        await start_charge(qtbot, w)
        sandbox.set_time(advance=91)
        await w.wait_dialog_state("timed_out")
        click(qtbot, button(w, "backToSaleButton"))
        await finish_flow(w)


async def test_network_fault_shows_retrying_then_the_true_outcome(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot) as w:
        await start_charge(qtbot, w)
        sandbox.fault("drop", "/v1/payment_intents/*", method="GET", count=1000)
        await w.wait_dialog_state("retrying")
        sandbox.present("trm_virtual")
        sandbox.control("DELETE", "faults")
        await w.wait_dialog_state("approved")
        await new_sale(qtbot, w)


async def test_close_refused_mid_payment(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot) as w:
        await start_charge(qtbot, w)
        assert not w.window.close()
        assert w.window.isVisible()
        assert "in progress" in w.window.status_line.text()
        sandbox.present("trm_virtual")
        await w.wait_dialog_state("approved")
        await new_sale(qtbot, w)


async def test_terminal_going_offline_disables_charge(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot) as w:
        window = w.window
        window.cart_model.add_amount(1500)
        assert window.charge_button.isEnabled()
        sandbox.control("POST", "terminals/trm_virtual/unplug")
        await wait_until(lambda: not window.charge_button.isEnabled())
        assert "offline" in window.picker.combo.currentText()
        assert "offline" in window.charge_hint.text()
        sandbox.control("POST", "terminals/trm_virtual/replug")
        await wait_until(window.charge_button.isEnabled)


async def test_keypad_fills_from_the_cents(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot) as w:
        window = w.window
        for digit in "1234":
            click(
                qtbot, window.amount_entry.findChild(type(window.charge_button), f"keypad{digit}")
            )
        display = window.amount_entry.findChild(type(window.charge_hint), "amountDisplay")
        assert display.text() == "$12.34"
        assert window.charge_button.text() == "Charge $12.34"


async def test_a_sale_taken_before_the_engine_stays_and_charge_waits_for_it(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    # The app shows the window first and attaches the engine behind it (pos_app.app).
    window = MainWindow(environment="DEMO", lane="test", catalog=CATALOG, terminal_refresh_ms=150)
    qtbot.addWidget(window)
    window.show()
    charge = window.charge_button
    click(qtbot, window.quick_items.findChild(type(charge), "quickItem_coffee"))
    for digit in "125":
        click(qtbot, window.amount_entry.findChild(type(charge), f"keypad{digit}"))
    assert charge.text() == "Charge $3.75"
    assert not charge.isEnabled()
    assert window.charge_hint.text() == window_text.REASON_CONNECTING
    click(qtbot, window.refund_button)
    assert window.status_line.text() == window_text.REASON_CONNECTING

    async with lane(sandbox.url, tmp_path / "journal.sqlite3") as test_lane:
        window.attach_engine(test_lane.service, remembered_terminal="trm_virtual")
        try:
            await window.start()
            await wait_until(charge.isEnabled)
            assert charge.text() == "Charge $3.75"
            assert [line.name for line in window.cart_model.cart.lines] == ["Coffee"]
            assert window.amount_entry.cents == 125
        finally:
            window.picker.stop()
            window.close()


async def test_scanner_burst_adds_the_item_without_typing(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot) as w:
        window = w.window
        window.cart_panel.setFocus()
        qtbot.keyClicks(window.cart_panel, "0098765432109")
        qtbot.keyClick(window.cart_panel, Qt.Key.Key_Return)
        await wait_until(lambda: not window.cart_model.cart.is_empty)
        assert [line.name for line in window.cart_model.cart.lines] == ["Muffin"]
        assert window.amount_entry.cents == 0


async def test_cart_totals_with_tax(qtbot: Any, sandbox: SandboxHandle, tmp_path: Path) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot, tax_rate_bps=825) as w:
        window = w.window
        coffee = window.quick_items.findChild(type(window.charge_button), "quickItem_coffee")
        click(qtbot, coffee)
        click(qtbot, coffee)
        click(qtbot, window.quick_items.findChild(type(window.charge_button), "quickItem_muffin"))
        subtotal = window.cart_panel.findChild(type(window.charge_hint), "subtotalLabel")
        tax = window.cart_panel.findChild(type(window.charge_hint), "taxLabel")
        total = window.cart_panel.findChild(type(window.charge_hint), "totalLabel")
        assert "$8.25" in subtotal.text()
        assert "$0.68" in tax.text()
        assert "$8.93" in total.text()
        assert window.charge_button.text() == "Charge $8.93"


def _sale_path(flow: str) -> str:
    return "/v1/checkouts" if flow == "checkout" else "/v1/payment_intents"


@pytest.mark.parametrize("flow", ["payment_intent", "checkout"])
@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("unauthorized", {"count": 2}),  # a 401, a fresh token, a 401 again
        ("forbidden", {}),
        ("malformed", {"shape": "no_data"}),
        ("read_lag", {"reads": 3}),  # the new sale's reads answer 404 for a while
    ],
)
async def test_a_bad_answer_while_polling_shows_retrying_then_the_approval(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path, flow: str, kind: str, extra: dict[str, Any]
) -> None:
    """No single bad answer from JustiFi ends a charge the customer may still pay."""
    async with open_window(sandbox.url, tmp_path, qtbot, flow=flow) as w:
        if kind == "read_lag":
            sandbox.fault(kind, _sale_path(flow), method="POST", **extra)
        w.window.cart_model.add_amount(1500)
        click(qtbot, w.window.charge_button)
        await wait_until(lambda: w.window.flow.dialog is not None)
        dialog = w.window.flow.dialog
        seen: list[str] = [str(dialog.property("state"))]
        dialog.state_changed.connect(seen.append)
        if kind != "read_lag":
            await w.wait_dialog_state("waiting")
            sandbox.fault(kind, _sale_path(flow) + "/*", method="GET", **extra)
        await wait_until(lambda: "retrying" in seen)
        await wait_until(lambda: sandbox.control("GET", "sessions"), within=20)
        sandbox.present("trm_virtual", card="visa")
        await w.wait_dialog_state("approved", within=20)
        assert "declined" not in seen, seen
        assert "cancelled" not in seen, seen
        click(qtbot, button(w, "newSaleButton"))
        assert (await finish_flow(w)).name.value == "approved"
        [op] = w.lane.journal.history(HistoryQuery())
        assert op.status == "approved"
        assert sandbox.stats()["objects"]["payment"] == 1  # one payment, never two


async def test_unresolved_stays_in_a_banner_until_checked_again(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot) as w:
        window = w.window
        window.cart_model.add_amount(1500)
        click(qtbot, window.charge_button)
        await w.wait_dialog_state("waiting")
        sandbox.fault("drop", "/v1/payment_intents/*", method="GET", count=10_000)
        await w.wait_dialog_state("unresolved", within=30)
        with announcements() as heard:
            click(qtbot, button(w, "keepOpenButton"))
            assert (await finish_flow(w)).name.value == "unresolved"
        assert window.banner.isVisibleTo(window)
        assert window.banner_label.text().startswith("1 payment could not be confirmed")
        # A screen reader hears the banner, not only sees it appear.
        assert any(a.assertive and a.message == window.banner_label.text() for a in heard), heard
        assert not window.cart_model.cart.is_empty  # the sale stays open

        sandbox.control("DELETE", "faults")  # JustiFi answers again; the device gave up
        click(qtbot, window.banner.findChild(type(window.charge_button), "checkAgainBannerButton"))
        await wait_until(lambda: not window.banner.isVisibleTo(window))
        [op] = w.lane.journal.history(HistoryQuery())
        assert op.status == "timed_out"


class BreaksWhenWaiting:
    """The engine's run with a bug: it raises once the terminal waits for the card."""

    def __init__(self, run: PaymentRun) -> None:
        self.run = run
        self.operation = run.operation

    @property
    def state(self) -> PaymentState:
        return self.run.state

    async def steps(self) -> AsyncIterator[PaymentState]:
        async for state in self.run:
            yield state
            if state.name is StateName.WAITING:
                raise RuntimeError("a bug while following the payment")

    def __aiter__(self) -> AsyncIterator[PaymentState]:
        return self.steps()


async def test_a_run_that_breaks_leaves_the_sale_open_and_unsettled(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot) as w:
        window = w.window
        charge = w.lane.service.charge

        async def breaking_charge(*args: Any, **kwargs: Any) -> BreaksWhenWaiting:
            return BreaksWhenWaiting(await charge(*args, **kwargs))

        monkeypatch.setattr(w.lane.service, "charge", breaking_charge)
        completed: list[object] = []
        window.flow.sale_completed.connect(completed.append)
        await start_charge(qtbot, w)
        dialog = window.flow.dialog
        assert dialog is not None
        await wait_until(lambda: dialog.broken)
        assert dialog.state == "waiting"  # what the journal holds, not a made-up outcome
        click(qtbot, button(w, "keepOpenButton"))
        assert (await finish_flow(w)).name.value == "waiting"
        assert completed == []
        assert not window.cart_model.cart.is_empty
        assert window.banner.isVisibleTo(window)
        [op] = w.lane.journal.history(HistoryQuery())
        assert op.status == "waiting"

        sandbox.present("trm_virtual")  # the customer paid on the terminal after all
        click(qtbot, window.banner.findChild(type(window.charge_button), "checkAgainBannerButton"))
        await wait_until(lambda: not window.banner.isVisibleTo(window))
        [op] = w.lane.journal.history(HistoryQuery())
        assert op.status == "approved"
