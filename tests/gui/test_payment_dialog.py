"""The payment dialog renders the engine's states and reports the cashier's choice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from pytestqt.qtbot import QtBot

from pos_app.domain.payment_flow import (
    Approved,
    CancelRequested,
    DeadlinePassed,
    Declined,
    DeviceCancelled,
    DeviceTimedOut,
    IntentCreated,
    PaymentEvent,
    PaymentKind,
    PaymentState,
    SentToTerminal,
    StateName,
    TransportRecovered,
    TransportTrouble,
    initial_state,
    transition,
)
from pos_app.domain.texts import status_line
from pos_app.services.ports import Readiness, TerminalInfo
from pos_app.ui.payment_dialog import PaymentAction, PaymentChoice, PaymentDialog
from pos_app.ui.text import payment as text
from tests.support.gui import wait_until
from tests.support.lanes import lane
from tests.support.sandbox import SandboxHandle

TERMINAL = "Counter 1"
TO_TERMINAL = (IntentCreated("pi_1"), SentToTerminal())


def states_after(*events: PaymentEvent, terminal_id: str | None = "trm_1") -> list[PaymentState]:
    """The states the engine would yield for these events, starting at `preparing`."""
    state = initial_state(PaymentKind.CHARGE, 1250, terminal_id)
    states = [state]
    for event in events:
        state = transition(state, event)
        states.append(state)
    return states


async def scripted(
    states: Sequence[PaymentState], pause: float = 0.005
) -> AsyncIterator[PaymentState]:
    """A fake run: the states, with a pause between them as a real engine has."""
    for state in states:
        yield state
        await asyncio.sleep(pause)


def make_dialog(qtbot: QtBot, **kwargs: object) -> PaymentDialog:
    dialog = PaymentDialog(**kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


async def test_every_state_renders_its_sentence_and_state_property(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    script = states_after(
        *TO_TERMINAL,
        TransportTrouble("timeout"),
        TransportRecovered(),
        Approved("py_1", "Visa", "4242"),
    )
    seen: list[tuple[str, str, str]] = []
    dialog.payment_state_changed.connect(
        lambda s: seen.append((s.name.value, dialog.state, dialog.status_label.text()))
    )
    final = await dialog.follow(scripted(script), asyncio.Event(), TERMINAL)
    expected = [(s.name.value, s.name.value, status_line(s, TERMINAL)) for s in script]
    assert seen == expected
    assert [name for name, _, _ in seen] == [
        "preparing",
        "sending",
        "waiting",
        "retrying",
        "waiting",
        "approved",
    ]
    assert final.name is StateName.APPROVED
    assert dialog.property("state") == "approved"
    assert "Visa ending 4242" in dialog.status_label.text()
    assert dialog.status_label.accessibleName() == dialog.status_label.text()
    assert dialog.amount_label.text() == "$12.50"
    assert TERMINAL in dialog.terminal_label.text()
    dialog.new_sale_button.click()
    assert await dialog.choice() == PaymentChoice(PaymentAction.NEW_SALE)


@pytest.mark.parametrize(
    ("event", "name", "buttons"),
    [
        (Approved("py_1", "Mastercard", "4444"), "approved", {"newSaleButton"}),
        (Declined("insufficient_funds"), "declined", {"tryAgainButton", "backToSaleButton"}),
        (DeviceCancelled(), "cancelled", {"tryAgainButton", "backToSaleButton"}),
        (DeviceTimedOut(), "timed_out", {"tryAgainButton", "backToSaleButton"}),
        (DeadlinePassed(), "unresolved", {"checkAgainButton", "keepOpenButton"}),
    ],
)
async def test_each_outcome_shows_its_sentence_and_only_its_buttons(
    qtbot: QtBot, event: PaymentEvent, name: str, buttons: set[str]
) -> None:
    now = [100.0]
    dialog = make_dialog(qtbot, monotonic=lambda: now[0])
    script = states_after(*TO_TERMINAL)

    async def run() -> AsyncIterator[PaymentState]:
        async for state in scripted(script):
            yield state
        now[0] += 65
        yield transition(script[-1], event)

    final = await dialog.follow(run(), asyncio.Event(), TERMINAL)
    assert dialog.state == name == final.name.value
    assert dialog.status_label.text() == status_line(final, TERMINAL)
    if name == "declined":
        assert final.decline_message
        assert final.decline_message in dialog.status_label.text()
    assert dialog.elapsed_label.text() == "1:05"
    assert not dialog.cancel_button.isVisible()
    assert not dialog.spinner.isVisible()
    visible = {b.objectName() for b in dialog._outcome_buttons if b.isVisible()}
    assert visible == buttons
    dialog.reject()  # once final, closing is allowed: the neutral choice
    assert (await dialog.choice()).kind in {
        PaymentAction.NEW_SALE,
        PaymentAction.BACK,
        PaymentAction.KEEP_OPEN,
    }
    assert not dialog.isVisible()


async def test_spinner_appears_only_after_the_delay(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, spinner_delay_ms=50)
    release = asyncio.Event()
    script = states_after(*TO_TERMINAL, Approved("py_1", "Visa", "4242"))

    async def run() -> AsyncIterator[PaymentState]:
        yield script[0]
        await release.wait()
        for state in script[1:]:
            yield state

    follow = asyncio.ensure_future(dialog.follow(run(), asyncio.Event(), TERMINAL))
    await wait_until(lambda: dialog.state == "preparing")
    assert not dialog.spinner.isVisible()
    await wait_until(dialog.spinner.isVisible)
    assert dialog.spinner.objectName() == "paymentSpinner"
    release.set()
    assert (await follow).name is StateName.APPROVED
    assert not dialog.spinner.isVisible()
    dialog.new_sale_button.click()


async def test_a_fast_payment_never_shows_the_spinner(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, spinner_delay_ms=300)
    shown: list[bool] = []
    dialog.payment_state_changed.connect(lambda _s: shown.append(dialog.spinner.isVisible()))
    script = states_after(*TO_TERMINAL, Approved("py_1", "Visa", "4242"))
    await dialog.follow(scripted(script), asyncio.Event(), TERMINAL)
    await asyncio.sleep(0.35)  # past the delay: the stopped timer must not show it
    assert shown == [False] * len(script)
    assert not dialog.spinner.isVisible()
    dialog.new_sale_button.click()


class HeldRun:
    """A run that waits in `waiting` like a terminal, reacting to the cancel event."""

    def __init__(self, cancel: asyncio.Event) -> None:
        self.cancel = cancel
        self.outcome = asyncio.Event()
        self.final_event: PaymentEvent = DeviceCancelled()

    async def __aiter__(self) -> AsyncIterator[PaymentState]:
        states = states_after(*TO_TERMINAL)
        for state in states:
            yield state
        state = states[-1]
        await self.cancel.wait()
        state = transition(state, CancelRequested())
        yield state
        await self.outcome.wait()
        yield transition(state, self.final_event)


async def test_escape_requests_cancel_and_a_later_approval_wins(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    cancel = asyncio.Event()
    run = HeldRun(cancel)
    run.final_event = Approved("py_9", "Visa", "1111")
    follow = asyncio.ensure_future(dialog.follow(run.__aiter__(), cancel, TERMINAL))
    await wait_until(lambda: dialog.state == "waiting")

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert cancel.is_set()
    assert dialog.isVisible()
    assert dialog.state == "cancel_requested"
    assert "Press X on Counter 1" in dialog.status_label.text()
    assert not dialog.cancel_button.isEnabled()

    qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # a second Esc only explains
    assert dialog.isVisible()
    assert dialog.note_label.text() == text.CANCEL_ALREADY_REQUESTED

    run.outcome.set()  # the customer tapped anyway: the payment stands
    final = await follow
    assert final.name is StateName.APPROVED
    assert dialog.state == "approved"
    assert "Visa ending 1111" in dialog.status_label.text()
    dialog.new_sale_button.click()
    assert (await dialog.choice()).kind is PaymentAction.NEW_SALE


async def test_cancel_button_then_x_on_the_terminal_ends_cancelled(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    cancel = asyncio.Event()
    run = HeldRun(cancel)
    follow = asyncio.ensure_future(dialog.follow(run.__aiter__(), cancel, TERMINAL))
    await wait_until(lambda: dialog.state == "waiting")
    dialog.cancel_button.click()
    assert cancel.is_set()
    await wait_until(lambda: dialog.state == "cancel_requested")
    run.outcome.set()
    assert (await follow).name is StateName.CANCELLED
    dialog.back_button.click()
    assert await dialog.choice() == PaymentChoice(PaymentAction.BACK)


async def test_closing_is_refused_mid_payment_with_the_reason(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    cancel = asyncio.Event()
    run = HeldRun(cancel)
    follow = asyncio.ensure_future(dialog.follow(run.__aiter__(), cancel, TERMINAL))
    await wait_until(lambda: dialog.state == "waiting")

    assert dialog.close() is False
    dialog.reject()
    assert dialog.isVisible()
    assert dialog.note_label.isVisible()
    assert dialog.note_label.text() == text.STILL_IN_PROGRESS
    assert not cancel.is_set()  # closing is not a cancel request
    assert dialog.state == "waiting"

    cancel.set()
    run.outcome.set()
    assert (await follow).name is StateName.CANCELLED
    assert dialog.close() is True
    assert (await dialog.choice()).kind is PaymentAction.BACK


async def test_enter_on_approved_starts_a_new_sale(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    script = states_after(*TO_TERMINAL, Approved("py_1", "Visa", "4242"))
    await dialog.follow(scripted(script), asyncio.Event(), TERMINAL)
    assert dialog.new_sale_button.isDefault()
    assert dialog.new_sale_button.text() == text.NEW_SALE_BUTTON
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert await dialog.choice() == PaymentChoice(PaymentAction.NEW_SALE)
    assert not dialog.isVisible()


async def test_enter_while_in_progress_does_nothing(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    cancel = asyncio.Event()
    run = HeldRun(cancel)
    follow = asyncio.ensure_future(dialog.follow(run.__aiter__(), cancel, TERMINAL))
    await wait_until(lambda: dialog.state == "waiting")
    dialog.cancel_button.setFocus()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert not cancel.is_set()
    assert dialog.isVisible()
    cancel.set()
    run.outcome.set()
    await follow
    dialog.back_button.click()


async def test_declined_retries_on_the_terminal_chosen(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    dialog.set_terminals(
        [
            TerminalInfo("trm_1", "Counter 1", Readiness.CONNECTED),
            TerminalInfo("trm_2", "Counter 2", Readiness.CONNECTED),
            TerminalInfo("trm_3", "Back office", Readiness.OFFLINE),
        ],
        "trm_1",
    )
    script = states_after(*TO_TERMINAL, Declined("expired_card", "Expired card"))
    final = await dialog.follow(scripted(script), asyncio.Event(), TERMINAL)
    assert final.name is StateName.DECLINED
    assert dialog.status_label.text() == "Declined: The card has expired. Ask for another card."

    combo = dialog.retry_terminal_combo
    assert combo.isVisible()
    assert combo.currentData() == "trm_1"
    model = combo.model()
    assert isinstance(model, QStandardItemModel)
    assert [model.item(i).isEnabled() for i in range(combo.count())] == [True, True, False]
    assert combo.itemText(2) == "Back office (offline)"

    combo.setCurrentIndex(1)
    dialog.try_again_button.click()
    choice = await dialog.choice()
    assert choice == PaymentChoice(PaymentAction.RETRY, "trm_2")
    assert choice.kind == PaymentChoice.RETRY


async def test_unresolved_check_again_resolves_to_approved(qtbot: QtBot) -> None:
    script = states_after(*TO_TERMINAL, TransportTrouble("timeout"), DeadlinePassed())
    unresolved = script[-1]
    answers: list[PaymentState | None] = [
        None,
        transition(unresolved, Approved("py_5", "Amex", "0005")),
    ]
    calls = 0

    async def check_again() -> PaymentState | None:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return answers.pop(0)

    dialog = make_dialog(qtbot, check_again=check_again)
    final = await dialog.follow(scripted(script), asyncio.Event(), TERMINAL)
    assert final.name is StateName.UNRESOLVED
    assert dialog.state == "unresolved"
    assert "timeout" not in dialog.status_label.text()  # technical detail stays in the log

    dialog.check_again_button.click()
    dialog.check_again_button.click()  # pressed twice: one check
    assert dialog.check_task is not None
    await dialog.check_task
    assert calls == 1
    assert dialog.state == "unresolved"
    assert dialog.note_label.text() == text.STILL_NO_ANSWER
    assert dialog.check_again_button.isEnabled()

    dialog.check_again_button.click()
    assert dialog.check_task is not None
    await dialog.check_task
    assert dialog.state == "approved"
    assert dialog.status_label.text() == "Approved: $12.50 on Amex ending 0005."
    now = dialog.state_now()
    assert now is not None
    assert now.name is StateName.APPROVED
    assert dialog.new_sale_button.isVisible()
    assert not dialog.check_again_button.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert (await dialog.choice()).kind is PaymentAction.NEW_SALE


async def test_a_run_that_breaks_ends_unresolved_without_details(qtbot: QtBot) -> None:
    script = states_after(*TO_TERMINAL)

    async def broken() -> AsyncIterator[PaymentState]:
        for state in script:
            yield state
        raise RuntimeError("HTTP 500 {'error': 'boom'}")

    dialog = make_dialog(qtbot)
    final = await dialog.follow(broken(), asyncio.Event(), TERMINAL)
    assert final.name is StateName.UNRESOLVED
    assert isinstance(dialog.error, RuntimeError)
    shown = dialog.status_label.text() + dialog.note_label.text()
    assert "500" not in shown
    assert "boom" not in shown
    assert dialog.note_label.text() == text.UNEXPECTED_PROBLEM
    dialog.keep_open_button.click()
    assert (await dialog.choice()).kind is PaymentAction.KEEP_OPEN


async def test_a_real_charge_on_the_sandbox_ends_approved_with_the_card(
    qtbot: QtBot, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with lane(sandbox.url, tmp_path / "j.sqlite3") as lane_:
        cancel = asyncio.Event()
        run = lane_.service.charge(1000, "trm_virtual", cancel=cancel)
        dialog = make_dialog(qtbot, check_again=lambda: lane_.service.check_again(run.operation.id))
        follow = asyncio.ensure_future(dialog.follow(run, cancel, "Virtual terminal"))
        await wait_until(lambda: dialog.state == "waiting")
        assert "Virtual terminal" in dialog.status_label.text()
        sandbox.present("trm_virtual")
        final = await asyncio.wait_for(follow, 10)
    assert final.name is StateName.APPROVED
    assert dialog.state == "approved"
    assert final.card_last4
    assert f"ending {final.card_last4}" in dialog.status_label.text()
    assert dialog.status_label.text() == status_line(final, "Virtual terminal")
    dialog.new_sale_button.click()
    assert (await dialog.choice()).kind is PaymentAction.NEW_SALE
