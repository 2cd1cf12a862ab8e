"""A bug in the manager's screens reaches the window's bug funnel: the apology shows,
the details are logged. The window is wired as the app wires it, against the sandbox."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from pos_app.ui.bug_dialog import BugDialog
from pos_app.ui.bugs import install_bug_funnel
from pos_app.ui.manager_tools import ManagerTools
from pos_app.ui.text import receipts as receipt_text
from pos_app.ui.text import window as window_text
from tests.support.gui import wait_until
from tests.support.sandbox import SandboxHandle
from tests.support.window import WindowLane, open_window

PIN = "735190"  # an owner's PIN has 6 digits at least
APOLOGY = window_text.BUG_APOLOGY.format(path="the log")


async def planted(*_args: object, **_kwargs: object) -> Any:
    raise RuntimeError("planted bug")


@asynccontextmanager
async def funnelled_window(
    sandbox: SandboxHandle, tmp_path: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[WindowLane, ManagerTools]]:
    """The till with its manager tools, a manager signed in, and the app's funnel."""
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # put back after the test
    async with open_window(sandbox.url, tmp_path, qtbot, manager_tools=True) as w:
        assert w.manager is not None
        w.manager.create_owner("Olga", PIN)  # signs the owner in
        tools = w.window.tools
        assert tools is not None
        uninstall = install_bug_funnel(w.window)
        try:
            yield w, tools
        finally:
            uninstall()


def open_screen(qtbot: Any, w: WindowLane, button: str) -> None:
    qtbot.mouseClick(w.window.findChild(QWidget, button), Qt.MouseButton.LeftButton)


def logged_bugs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        str(r.exc_info[1]) for r in caplog.records if r.name == "pos_app.ui.bugs" and r.exc_info
    ]


async def test_a_bug_in_a_history_task_shows_the_apology(
    qtbot: Any,
    sandbox: SandboxHandle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with funnelled_window(sandbox, tmp_path, qtbot, monkeypatch) as (w, tools):
        monkeypatch.setattr(tools.history, "remote_rows", planted)
        assert w.window.status_line.text() != APOLOGY
        open_screen(qtbot, w, "historyButton")
        await wait_until(lambda: w.window.status_line.text() == APOLOGY)
        assert tools.history_window is not None
        assert logged_bugs(caplog) == ["planted bug"]
        bug = shown_bug_dialog(w)  # the history is not modal: the till's own is seen
        bug.ok_button.click()
        assert not bug.isVisible()
        tools.history_window.reject()


async def test_a_bug_in_the_end_of_day_report_shows_the_apology(
    qtbot: Any,
    sandbox: SandboxHandle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with funnelled_window(sandbox, tmp_path, qtbot, monkeypatch) as (w, tools):
        assert tools.reports is not None
        monkeypatch.setattr(tools.reports, "day_report", planted)
        open_screen(qtbot, w, "endOfDayButton")
        await wait_until(lambda: w.window.status_line.text() == APOLOGY)
        dialog = tools.report_dialog
        assert dialog is not None
        # The dialog does not go on saying "Loading": it says the report failed.
        assert dialog.status_label.text() == receipt_text.REPORT_FAILED
        assert logged_bugs(caplog) == ["planted bug"]
        # Over the modal screen, where it can be read and answered.
        assert shown_bug_dialog(w).parent() is dialog
        dialog.reject()


async def test_bugs_while_the_dialog_is_open_count_on_it(
    qtbot: Any,
    sandbox: SandboxHandle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with funnelled_window(sandbox, tmp_path, qtbot, monkeypatch) as (w, _tools):
        w.window.show_bug()
        first = shown_bug_dialog(w)
        assert first.parent() is w.window  # nothing else open: over the till
        w.window.show_bug()
        assert shown_bug_dialog(w) is first
        assert window_text.BUG_REPEATED.format(count=2) in first.message.text()
        first.ok_button.click()
        w.window.show_bug()  # a later bug starts afresh
        again = shown_bug_dialog(w)
        assert window_text.BUG_REPEATED.format(count=2) not in again.message.text()
        again.ok_button.click()


def shown_bug_dialog(w: WindowLane) -> BugDialog:
    """The one bug dialog the window shows, saying where the details are."""
    dialog = w.window.bug_dialog
    assert dialog is not None
    assert dialog.isVisible()
    assert "the log" in dialog.message.text()
    return dialog
