"""The payment dialog renders the engine's journaled states and reports the cashier's choice."""

from __future__ import annotations

import ast
import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

import pos_app.ui
from pos_app.domain.payment_flow import (
    Approved,
    CancelledBeforeSend,
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
    is_final,
    transition,
)
from pos_app.domain.texts import status_line
from pos_app.services.ports import HistoryQuery, Operation, Readiness, TerminalInfo
from pos_app.ui.payment_dialog import PaymentAction, PaymentChoice, PaymentDialog
from pos_app.ui.text import payment as text
from tests.support.accessibility import announcements
from tests.support.gui import wait_until
from tests.support.lanes import lane
from tests.support.sandbox import SandboxHandle
from tests.support.window import open_window

TERMINAL = "Counter 1"
TO_TERMINAL = (IntentCreated("pi_1"), SentToTerminal())
OPERATION_ID = "op-under-test"


def states_after(*events: PaymentEvent, terminal_id: str | None = "trm_1") -> list[PaymentState]:
    """The states the engine would journal for these events, starting at `preparing`."""
    state = initial_state(PaymentKind.CHARGE, 1250, terminal_id)
    states = [state]
    for event in events:
        state = transition(state, event)
        states.append(state)
    return states


class ScriptedRun:
    """A fake engine run: `state` is the journaled `preparing`; iterating yields the script.

    Like the engine, it yields its first state again, with a pause between states.
    """

    def __init__(self, states: Sequence[PaymentState], pause: float = 0.005) -> None:
        self.states = list(states)
        self.pause = pause
        self.state = self.states[0]
        self.operation = Operation(
            id=OPERATION_ID,
            kind=self.state.kind,
            amount_cents=self.state.amount_cents,
            status=self.state.name.value,
            flow="payment_intent",
            terminal_id=self.state.terminal_id,
        )

    async def steps(self) -> AsyncIterator[PaymentState]:
        for state in self.states:
            yield state
            await asyncio.sleep(self.pause)

    def __aiter__(self) -> AsyncIterator[PaymentState]:
        return self.steps()


class BrokenRun(ScriptedRun):
    """A run with a bug: after its states it raises (the contract says it never does)."""

    async def steps(self) -> AsyncIterator[PaymentState]:
        async for state in super().steps():
            yield state
        raise RuntimeError("HTTP 500 {'error': 'boom'}")


def make_dialog(qtbot: QtBot, **kwargs: object) -> PaymentDialog:
    dialog = PaymentDialog(**kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    return dialog


def visible_buttons(dialog: PaymentDialog) -> set[str]:
    return {b.objectName() for b in dialog.view.outcome_buttons if b.isVisible()}


async def test_every_state_renders_its_sentence_and_state_property(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    view = dialog.view
    script = states_after(
        *TO_TERMINAL,
        TransportTrouble("timeout"),
        TransportRecovered(),
        Approved("py_1", "Visa", "4242"),
    )
    seen: list[tuple[str, str, str]] = []
    dialog.payment_state_changed.connect(
        lambda s: seen.append((s.name.value, dialog.state, view.status_label.text()))
    )
    names: list[str] = []
    dialog.state_changed.connect(names.append)
    final = await dialog.follow(ScriptedRun(script), asyncio.Event(), TERMINAL)
    expected = [(s.name.value, s.name.value, status_line(s, TERMINAL)) for s in script]
    assert seen == expected  # each journaled state once, though the run repeats its first
    assert names == ["preparing", "sending", "waiting", "retrying", "waiting", "approved"]
    assert final.name is StateName.APPROVED
    assert dialog.property("state") == "approved"
    assert "Visa ending 4242" in view.status_label.text()
    assert view.status_label.accessibleName() == view.status_label.text()
    assert view.amount_label.text() == "$12.50"
    assert TERMINAL in view.terminal_label.text()
    view.new_sale_button.click()
    assert await dialog.choice() == PaymentChoice(PaymentAction.NEW_SALE)


class HeldRun(ScriptedRun):
    """Waits in `preparing` until released, so nothing was iterated when the dialog shows."""

    def __init__(self, states: Sequence[PaymentState]) -> None:
        super().__init__(states)
        self.release = asyncio.Event()

    async def steps(self) -> AsyncIterator[PaymentState]:
        await self.release.wait()
        async for state in super().steps():
            yield state


class ShowSpy(QObject):
    """What the dialog showed at the moment it became visible."""

    def __init__(self, dialog: PaymentDialog) -> None:
        super().__init__(dialog)
        self.dialog = dialog
        self.at_show: list[tuple[bool, str, str, str, str]] = []
        dialog.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.dialog and event.type() == QEvent.Type.Show:
            view = self.dialog.view
            self.at_show.append(
                (
                    self.dialog.isVisible(),
                    self.dialog.state,
                    view.status_label.text(),
                    view.amount_label.text(),
                    view.terminal_label.text(),
                )
            )
        return False


async def test_the_dialog_opens_already_showing_the_journaled_first_state(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    spy = ShowSpy(dialog)
    run = HeldRun(states_after(*TO_TERMINAL, Approved("py_1", "Visa", "4242")))
    follow = asyncio.ensure_future(dialog.follow(run, asyncio.Event(), TERMINAL))
    await wait_until(dialog.isVisible)
    preparing = status_line(run.state, TERMINAL)
    assert spy.at_show == [(True, "preparing", preparing, "$12.50", f"Terminal: {TERMINAL}")]
    assert dialog.windowTitle() == text.PAYMENT_TITLES[PaymentKind.CHARGE]
    run.release.set()
    assert (await follow).name is StateName.APPROVED
    dialog.view.new_sale_button.click()


async def test_a_screen_reader_hears_every_state_and_outcomes_interrupt(qtbot: QtBot) -> None:
    script = states_after(
        *TO_TERMINAL,
        TransportTrouble("timeout"),
        TransportRecovered(),
        Declined("insufficient_funds"),
    )
    with announcements() as heard:
        dialog = make_dialog(qtbot)
        await dialog.follow(ScriptedRun(script), asyncio.Event(), TERMINAL)
        dialog.view.back_button.click()
    spoken = [(a.message, a.assertive) for a in heard if a.source == "paymentDialog"]
    assert spoken == [(status_line(s, TERMINAL), is_final(s)) for s in script]
    assert spoken[-1][0].startswith("Declined: ")
    assert script[-1].decline_message
    assert script[-1].decline_message in spoken[-1][0]


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
    view = dialog.view
    script = states_after(*TO_TERMINAL)

    class LateOutcome(ScriptedRun):
        async def steps(self) -> AsyncIterator[PaymentState]:
            async for state in super().steps():
                yield state
            now[0] += 65
            yield transition(script[-1], event)

    final = await dialog.follow(LateOutcome(script), asyncio.Event(), TERMINAL)
    assert dialog.state == name == final.name.value
    assert view.status_label.text() == status_line(final, TERMINAL)
    if name == "declined":
        assert final.decline_message
        assert final.decline_message in view.status_label.text()
    assert view.elapsed_label.text() == "1:05"
    assert not view.cancel_button.isVisible()
    assert not view.spinner.isVisible()
    assert visible_buttons(dialog) == buttons
    dialog.reject()  # once final, closing is allowed: the neutral choice
    assert (await dialog.choice()).kind in {
        PaymentAction.NEW_SALE,
        PaymentAction.BACK,
        PaymentAction.KEEP_OPEN,
    }
    assert not dialog.isVisible()


async def test_spinner_appears_only_after_the_delay(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, spinner_delay_ms=50)
    run = HeldRun(states_after(*TO_TERMINAL, Approved("py_1", "Visa", "4242")))
    follow = asyncio.ensure_future(dialog.follow(run, asyncio.Event(), TERMINAL))
    await wait_until(lambda: dialog.state == "preparing")
    assert not dialog.view.spinner.isVisible()
    await wait_until(dialog.view.spinner.isVisible)
    assert dialog.view.spinner.objectName() == "paymentSpinner"
    run.release.set()
    assert (await follow).name is StateName.APPROVED
    assert not dialog.view.spinner.isVisible()
    dialog.view.new_sale_button.click()


async def test_a_fast_payment_never_shows_the_spinner(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot, spinner_delay_ms=300)
    shown: list[bool] = []
    dialog.payment_state_changed.connect(lambda _s: shown.append(dialog.view.spinner.isVisible()))
    script = states_after(*TO_TERMINAL, Approved("py_1", "Visa", "4242"))
    await dialog.follow(ScriptedRun(script), asyncio.Event(), TERMINAL)
    assert not dialog.view.spinner_pending  # nothing left that could show it later
    assert shown == [False] * len(script)
    assert not dialog.view.spinner.isVisible()
    dialog.view.new_sale_button.click()


class TerminalRun(ScriptedRun):
    """Waits in `waiting` like a terminal; journals the cancel request only when `ack` is set.

    `cancel_seen` turns true when the engine side noticed the cancel event.
    """

    def __init__(self, cancel: asyncio.Event) -> None:
        super().__init__(states_after(*TO_TERMINAL))
        self.cancel = cancel
        self.cancel_seen = False
        self.ack = asyncio.Event()
        self.outcome = asyncio.Event()
        self.final_event: PaymentEvent = DeviceCancelled()

    async def steps(self) -> AsyncIterator[PaymentState]:
        async for state in super().steps():
            yield state
        state = self.states[-1]
        await self.cancel.wait()
        self.cancel_seen = True
        await self.ack.wait()
        state = transition(state, CancelRequested())
        yield state
        await self.outcome.wait()
        yield transition(state, self.final_event)


async def test_escape_asks_to_cancel_and_the_state_stays_the_engines(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    view = dialog.view
    cancel = asyncio.Event()
    run = TerminalRun(cancel)
    run.final_event = Approved("py_9", "Visa", "1111")
    with announcements() as heard:
        follow = asyncio.ensure_future(dialog.follow(run, cancel, TERMINAL))
        await wait_until(lambda: dialog.state == "waiting")

        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        assert cancel.is_set()
        await wait_until(lambda: run.cancel_seen)
        # The engine has the request but has not journaled it: the screen does not invent it.
        assert dialog.state == "waiting"
        assert dialog.isVisible()
        assert view.note_label.isVisible()
        assert view.note_label.text() == text.ASKING_TO_CANCEL
        assert not view.cancel_button.isEnabled()

        qtbot.keyClick(dialog, Qt.Key.Key_Escape)  # a second Esc only explains
        assert view.note_label.text() == text.CANCEL_ALREADY_REQUESTED

        run.ack.set()
        await wait_until(lambda: dialog.state == "cancel_requested")
        assert "Press X on Counter 1" in view.status_label.text()
        assert not view.cancel_button.isEnabled()

        run.outcome.set()  # the customer tapped anyway: the payment stands
        final = await follow
    assert final.name is StateName.APPROVED
    assert dialog.state == "approved"
    assert "Visa ending 1111" in view.status_label.text()
    spoken = [(a.message, a.assertive) for a in heard]
    assert (text.ASKING_TO_CANCEL, False) in spoken
    assert (status_line(final, TERMINAL), True) == spoken[-1]
    view.new_sale_button.click()
    assert (await dialog.choice()).kind is PaymentAction.NEW_SALE


async def test_cancel_button_then_x_on_the_terminal_ends_cancelled(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    cancel = asyncio.Event()
    run = TerminalRun(cancel)
    run.ack.set()
    follow = asyncio.ensure_future(dialog.follow(run, cancel, TERMINAL))
    await wait_until(lambda: dialog.state == "waiting")
    dialog.view.cancel_button.click()
    assert cancel.is_set()
    await wait_until(lambda: dialog.state == "cancel_requested")
    assert not dialog.view.note_label.isVisible()  # the status line says it now
    run.outcome.set()
    assert (await follow).name is StateName.CANCELLED
    dialog.view.back_button.click()
    assert await dialog.choice() == PaymentChoice(PaymentAction.BACK)


class PreparingRun(ScriptedRun):
    """A cancel asked for while preparing: the engine stops before sending anything."""

    def __init__(self, cancel: asyncio.Event) -> None:
        super().__init__(states_after())
        self.cancel = cancel
        self.go = asyncio.Event()

    async def steps(self) -> AsyncIterator[PaymentState]:
        yield self.state
        await self.cancel.wait()
        asked = transition(self.state, CancelRequested())
        yield asked
        await self.go.wait()
        yield transition(asked, CancelledBeforeSend())


async def test_cancel_while_preparing_keeps_saying_so_until_the_outcome(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    view = dialog.view
    cancel = asyncio.Event()
    run = PreparingRun(cancel)
    follow = asyncio.ensure_future(dialog.follow(run, cancel, TERMINAL))
    await wait_until(dialog.isVisible)
    view.cancel_button.click()
    await wait_until(lambda: (s := dialog.state_now()) is not None and s.cancel_requested)
    assert dialog.state == "preparing"  # the engine's name: nothing reached the terminal
    assert view.note_label.isVisible()
    assert view.note_label.text() == text.ASKING_TO_CANCEL
    run.go.set()
    final = await follow
    assert final.name is StateName.CANCELLED
    assert not view.note_label.isVisible()
    assert "Nothing was charged" in view.status_label.text()
    view.back_button.click()


async def test_closing_is_refused_mid_payment_with_the_reason(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    cancel = asyncio.Event()
    run = TerminalRun(cancel)
    run.ack.set()
    follow = asyncio.ensure_future(dialog.follow(run, cancel, TERMINAL))
    await wait_until(lambda: dialog.state == "waiting")

    assert dialog.close() is False
    dialog.reject()
    assert dialog.isVisible()
    assert dialog.view.note_label.isVisible()
    assert dialog.view.note_label.text() == text.STILL_IN_PROGRESS
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
    await dialog.follow(ScriptedRun(script), asyncio.Event(), TERMINAL)
    assert dialog.view.new_sale_button.isDefault()
    assert dialog.view.new_sale_button.text() == text.NEW_SALE_BUTTON
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert await dialog.choice() == PaymentChoice(PaymentAction.NEW_SALE)
    assert not dialog.isVisible()


async def test_enter_while_in_progress_does_nothing(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    cancel = asyncio.Event()
    run = TerminalRun(cancel)
    run.ack.set()
    follow = asyncio.ensure_future(dialog.follow(run, cancel, TERMINAL))
    await wait_until(lambda: dialog.state == "waiting")
    dialog.view.cancel_button.setFocus()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert not cancel.is_set()
    assert dialog.isVisible()
    cancel.set()
    run.outcome.set()
    await follow
    dialog.view.back_button.click()


async def test_declined_retries_on_the_terminal_chosen(qtbot: QtBot) -> None:
    dialog = make_dialog(qtbot)
    view = dialog.view
    dialog.set_terminals(
        [
            TerminalInfo("trm_1", "Counter 1", Readiness.CONNECTED),
            TerminalInfo("trm_2", "Counter 2", Readiness.CONNECTED),
            TerminalInfo("trm_3", "Back office", Readiness.OFFLINE),
        ],
        "trm_1",
    )
    script = states_after(*TO_TERMINAL, Declined("expired_card", "Expired card"))
    final = await dialog.follow(ScriptedRun(script), asyncio.Event(), TERMINAL)
    assert final.name is StateName.DECLINED
    assert view.status_label.text() == "Declined: The card has expired. Ask for another card."

    combo = view.retry_terminal_combo
    assert combo.isVisible()
    assert combo.currentData() == "trm_1"
    model = combo.model()
    assert isinstance(model, QStandardItemModel)
    assert [model.item(i).isEnabled() for i in range(combo.count())] == [True, True, False]
    assert combo.itemText(2) == "Back office (offline)"

    combo.setCurrentIndex(1)
    view.try_again_button.click()
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
    view = dialog.view
    final = await dialog.follow(ScriptedRun(script), asyncio.Event(), TERMINAL)
    assert final.name is StateName.UNRESOLVED
    assert dialog.state == "unresolved"
    assert "timeout" not in view.status_label.text()  # technical detail stays in the log

    view.check_again_button.click()
    view.check_again_button.click()  # pressed twice: one check
    assert dialog.check_task is not None
    await dialog.check_task
    assert calls == 1
    assert dialog.state == "unresolved"
    assert view.note_label.text() == text.STILL_NO_ANSWER
    assert view.check_again_button.isEnabled()

    view.check_again_button.click()
    assert dialog.check_task is not None
    await dialog.check_task
    assert dialog.state == "approved"
    assert view.status_label.text() == "Approved: $12.50 on Amex ending 0005."
    now = dialog.state_now()
    assert now is not None
    assert now.name is StateName.APPROVED
    assert view.new_sale_button.isVisible()
    assert not view.check_again_button.isVisible()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert (await dialog.choice()).kind is PaymentAction.NEW_SALE


async def test_a_run_that_breaks_keeps_the_journaled_state_and_asks_to_check(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    script = states_after(*TO_TERMINAL)
    waiting = script[-1]
    answers = [transition(waiting, Approved("py_5", "Amex", "0005"))]

    async def check_again() -> PaymentState | None:
        return answers.pop(0)

    dialog = make_dialog(qtbot, check_again=check_again)
    view = dialog.view
    caplog.set_level(logging.ERROR, logger="pos_app.ui.payment_dialog")
    with announcements() as heard:
        final = await dialog.follow(BrokenRun(script), asyncio.Event(), TERMINAL)
    # The screen keeps what the journal holds: no made-up "unresolved", never "declined".
    assert final == waiting
    assert dialog.state == "waiting"
    assert dialog.broken
    assert view.property("followed") == "lost"  # an amber frame: no longer followed
    assert isinstance(dialog.error, RuntimeError)
    assert view.status_label.text() == status_line(waiting, TERMINAL)
    assert view.note_label.text() == text.UNEXPECTED_PROBLEM
    shown = view.status_label.text() + view.note_label.text()
    assert "500" not in shown
    assert "boom" not in shown
    assert (text.UNEXPECTED_PROBLEM, True) in [(a.message, a.assertive) for a in heard]
    [record] = [r for r in caplog.records if r.exc_info]
    assert OPERATION_ID in record.getMessage()
    assert not view.cancel_button.isVisible()
    assert not view.spinner.isVisible()
    assert visible_buttons(dialog) == {"checkAgainButton", "keepOpenButton"}
    assert view.check_again_button.isDefault()

    view.check_again_button.click()  # the engine asks JustiFi and journals the answer
    assert dialog.check_task is not None
    await dialog.check_task
    assert dialog.state == "approved"
    assert not dialog.broken
    assert view.property("followed") == ""
    assert not view.note_label.isVisible()
    view.new_sale_button.click()
    assert (await dialog.choice()).kind is PaymentAction.NEW_SALE


async def test_a_run_that_stops_before_an_outcome_is_not_settled(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    dialog = make_dialog(qtbot)
    caplog.set_level(logging.ERROR, logger="pos_app.ui.payment_dialog")
    final = await dialog.follow(ScriptedRun(states_after(*TO_TERMINAL)), None, TERMINAL)
    assert final.name is StateName.WAITING
    assert dialog.broken
    assert dialog.error is None
    assert any(OPERATION_ID in r.getMessage() for r in caplog.records)
    assert dialog.view.note_label.text() == text.UNEXPECTED_PROBLEM
    assert dialog.close() is True  # nothing runs any more: closing keeps the sale open
    assert (await dialog.choice()).kind is PaymentAction.KEEP_OPEN


def test_the_ui_never_steps_the_payment_state_machine() -> None:
    """Only the engine journals states: no ui module imports `transition` or an event."""
    from pos_app.domain import payment_flow

    events = {name for name in payment_flow.__all__ if name[0].isupper()} - {
        "PaymentKind",
        "PaymentState",
        "StateName",
        "PaymentEvent",
    }
    forbidden = {"transition", "initial_state", *events}
    offenders = []
    for path in Path(pos_app.ui.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == payment_flow.__name__:
                offenders += [f"{path.name}: {a.name}" for a in node.names if a.name in forbidden]
    assert offenders == []


async def test_a_real_charge_on_the_sandbox_ends_approved_with_the_card(
    qtbot: QtBot, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with lane(sandbox.url, tmp_path / "j.sqlite3") as lane_:
        cancel = asyncio.Event()
        run = await lane_.service.charge(1000, "trm_virtual", cancel=cancel)
        dialog = make_dialog(qtbot, check_again=lambda: lane_.service.check_again(run.operation.id))
        follow = asyncio.ensure_future(dialog.follow(run, cancel, "Virtual terminal"))
        await wait_until(lambda: dialog.state == "waiting")
        assert "Virtual terminal" in dialog.view.status_label.text()
        sandbox.present("trm_virtual")
        final = await asyncio.wait_for(follow, 10)
        [journaled] = lane_.journal.history(HistoryQuery())
    assert final.name is StateName.APPROVED
    assert journaled.status == dialog.state == "approved"
    assert final.card_last4
    assert f"ending {final.card_last4}" in dialog.view.status_label.text()
    assert dialog.view.status_label.text() == status_line(final, "Virtual terminal")
    dialog.view.new_sale_button.click()
    assert (await dialog.choice()).kind is PaymentAction.NEW_SALE


async def test_cancel_on_the_sandbox_shows_what_the_engine_journals(
    qtbot: QtBot, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with lane(sandbox.url, tmp_path / "j.sqlite3") as lane_:
        cancel = asyncio.Event()
        run = await lane_.service.charge(1000, "trm_virtual", cancel=cancel)
        dialog = make_dialog(qtbot)
        names: list[str] = []
        dialog.state_changed.connect(names.append)
        follow = asyncio.ensure_future(dialog.follow(run, cancel, "Virtual terminal"))
        await wait_until(lambda: dialog.state == "waiting")
        dialog.view.cancel_button.click()
        assert dialog.view.note_label.text() == text.ASKING_TO_CANCEL
        await wait_until(lambda: dialog.state == "cancel_requested")
        [journaled] = lane_.journal.history(HistoryQuery())
        assert journaled.status == "cancel_requested"  # the engine's state, not the dialog's
        assert not dialog.view.note_label.isVisible()
        sandbox.press_x("trm_virtual")
        final = await asyncio.wait_for(follow, 10)
        [journaled] = lane_.journal.history(HistoryQuery())
    assert final.name is StateName.CANCELLED
    assert journaled.status == dialog.state == "cancelled"
    assert names[-2:] == ["cancel_requested", "cancelled"]
    dialog.view.back_button.click()
    assert (await dialog.choice()).kind is PaymentAction.BACK


async def test_refused_credentials_end_cancelled_as_journaled(
    qtbot: QtBot, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with lane(sandbox.url, tmp_path / "j.sqlite3", secret="not-the-secret") as lane_:
        run = await lane_.service.charge(1000, "trm_virtual", cancel=asyncio.Event())
        dialog = make_dialog(qtbot)
        final = await asyncio.wait_for(dialog.follow(run, asyncio.Event(), "Virtual terminal"), 10)
        [journaled] = lane_.journal.history(HistoryQuery())
    assert final.name is StateName.CANCELLED
    assert final.decline_code == "authentication_failed"
    assert journaled.status == dialog.state == "cancelled"
    assert not dialog.broken
    assert dialog.error is None
    assert dialog.view.status_label.text() == status_line(final, "Virtual terminal")
    dialog.view.back_button.click()
    assert (await dialog.choice()).kind is PaymentAction.BACK


# --- one dialog for every charge: built once, each payment starts clean --------------------


async def test_a_reused_dialog_opens_on_the_new_run_with_nothing_left_from_the_last(
    qtbot: QtBot,
) -> None:
    dialog = make_dialog(qtbot)
    view = dialog.view
    dialog.set_terminals([TerminalInfo("trm_1", TERMINAL, Readiness.CONNECTED)], "trm_1")
    declined = states_after(*TO_TERMINAL, Declined("insufficient_funds"))
    await dialog.follow(ScriptedRun(declined), asyncio.Event(), TERMINAL)
    assert view.property("tone") == "declined"  # the red frame
    view.show_note(text.CHECK_FAILED)
    view.back_button.click()
    assert await dialog.choice() == PaymentChoice(PaymentAction.BACK)
    assert not dialog.isVisible()
    assert view.property("tone") == ""  # plain again before the next Charge press

    spy = ShowSpy(dialog)
    run = HeldRun(states_after(*TO_TERMINAL, Approved("py_2", "Visa", "4242")))
    follow = asyncio.ensure_future(dialog.follow(run, asyncio.Event(), TERMINAL))
    await wait_until(dialog.isVisible)
    assert spy.at_show == [
        (True, "preparing", status_line(run.state, TERMINAL), "$12.50", f"Terminal: {TERMINAL}")
    ]
    assert visible_buttons(dialog) == set()  # no "Try again" from the decline
    assert not view.retry_terminal_combo.isVisible()
    assert not view.note_label.isVisible()
    assert view.cancel_button.isVisible()
    assert view.cancel_button.isEnabled()
    assert dialog.in_progress
    run.release.set()
    assert (await follow).name is StateName.APPROVED
    assert visible_buttons(dialog) == {"newSaleButton"}
    view.new_sale_button.click()
    assert await dialog.choice() == PaymentChoice(PaymentAction.NEW_SALE)


async def test_charges_through_the_window_reuse_one_dialog_and_leave_no_widgets(
    qtbot: QtBot, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot, terminal="trm_side") as w:
        window = w.window
        dialogs: list[PaymentDialog] = []
        widgets: list[int] = []
        for cents in (1000, 1001, 1002):
            window.cart_model.add_amount(cents)
            await wait_until(window.charge_button.isEnabled)
            window.charge_button.click()
            await w.wait_dialog_state("approved")  # trm_side's customer taps by itself
            dialog = window.flow.dialog
            assert dialog is not None
            dialogs.append(dialog)
            dialog.view.new_sale_button.click()
            task = window.flow.slot.task
            assert task is not None
            assert (await task).name is StateName.APPROVED
            assert window.flow.dialog is None
            widgets.append(len(QApplication.allWidgets()))
    assert dialogs[0] is dialogs[1] is dialogs[2]
    assert widgets[0] == widgets[1] == widgets[2]
