"""Telling a barcode scanner's burst from a person typing, with a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLineEdit

from pos_app.ui.amount_entry import AmountEntry
from pos_app.ui.scanner import BarcodeScanner
from tests.support.gui import wait_until

FAST = 0.005  # seconds between a scanner's keys
SLOW = 0.200  # seconds between a person's keys


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@contextmanager
def installed(scanner: BarcodeScanner) -> Iterator[BarcodeScanner]:
    """The scanner as the application's event filter, removed afterwards."""
    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(scanner)
    try:
        yield scanner
    finally:
        app.removeEventFilter(scanner)
        scanner.flush()


@pytest.fixture
def scanner(qtbot: Any, clock: FakeClock) -> Iterator[BarcodeScanner]:
    # Sync tests never run the event loop, so the gap timer cannot fire: only the
    # fake clock and flush() decide, never wall time.
    with installed(BarcodeScanner(clock=clock)) as filter_:
        yield filter_


@pytest.fixture
def line_edit(qtbot: Any) -> QLineEdit:
    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.show()
    edit.setFocus()
    return edit


def type_keys(qtbot: Any, widget: Any, clock: FakeClock, keys: str, gap: float) -> None:
    for char in keys:
        clock.now += gap
        qtbot.keyClick(widget, char)


def press_enter(qtbot: Any, widget: Any, clock: FakeClock, gap: float = FAST) -> None:
    clock.now += gap
    qtbot.keyClick(widget, Qt.Key.Key_Return)


def test_a_fast_burst_ending_in_enter_is_a_scan_and_types_nothing(
    qtbot: Any, scanner: BarcodeScanner, clock: FakeClock, line_edit: QLineEdit
) -> None:
    scans: list[str] = []
    returns: list[bool] = []
    scanner.scanned.connect(scans.append)
    line_edit.returnPressed.connect(lambda: returns.append(True))

    type_keys(qtbot, line_edit, clock, "2000000000015", FAST)
    assert scanner.pending == "2000000000015"
    press_enter(qtbot, line_edit, clock)

    assert scans == ["2000000000015"]
    assert line_edit.text() == ""
    assert returns == []
    scanner.flush()  # nothing is left to replay
    assert line_edit.text() == ""


def test_slow_typing_reaches_the_focused_widget(
    qtbot: Any, scanner: BarcodeScanner, clock: FakeClock, line_edit: QLineEdit
) -> None:
    scans: list[str] = []
    scanner.scanned.connect(scans.append)

    type_keys(qtbot, line_edit, clock, "abc", SLOW)
    # Each key is held for one gap; the next, slow key hands the previous one on.
    assert line_edit.text() == "ab"
    assert scanner.pending == "c"
    scanner.flush()
    assert line_edit.text() == "abc"

    type_keys(qtbot, line_edit, clock, "de", SLOW)
    press_enter(qtbot, line_edit, clock, SLOW)
    assert line_edit.text() == "abcde"
    assert scans == []


def test_a_short_burst_and_enter_are_replayed_in_order(
    qtbot: Any, scanner: BarcodeScanner, clock: FakeClock, line_edit: QLineEdit
) -> None:
    scans: list[str] = []
    texts_at_return: list[str] = []
    scanner.scanned.connect(scans.append)
    line_edit.returnPressed.connect(lambda: texts_at_return.append(line_edit.text()))

    type_keys(qtbot, line_edit, clock, "12", FAST)
    assert line_edit.text() == ""  # still held: might be the start of a scan
    press_enter(qtbot, line_edit, clock)

    assert scans == []
    assert texts_at_return == ["12"]  # the digits arrived before the Enter


def test_other_keys_end_a_burst_as_typing(
    qtbot: Any, scanner: BarcodeScanner, clock: FakeClock, line_edit: QLineEdit
) -> None:
    type_keys(qtbot, line_edit, clock, "abcd", FAST)
    clock.now += FAST
    qtbot.keyClick(line_edit, Qt.Key.Key_Backspace)
    assert line_edit.text() == "abc"
    assert scanner.pending == ""


def test_a_scan_never_types_into_the_amount(
    qtbot: Any, scanner: BarcodeScanner, clock: FakeClock
) -> None:
    entry = AmountEntry()
    qtbot.addWidget(entry)
    entry.show()
    entry.setFocus()
    scans: list[str] = []
    scanner.scanned.connect(scans.append)

    type_keys(qtbot, entry, clock, "2000000000022", FAST)
    press_enter(qtbot, entry, clock)
    assert scans == ["2000000000022"]
    assert entry.cents == 0

    type_keys(qtbot, entry, clock, "15", SLOW)  # the cashier typing an amount
    scanner.flush()
    assert entry.cents == 15


async def test_the_gap_timer_hands_slow_keys_on_by_itself(qtbot: Any) -> None:
    edit = QLineEdit()
    qtbot.addWidget(edit)
    edit.show()
    edit.setFocus()
    with installed(BarcodeScanner(gap_ms=30)) as scanner:  # the real clock and timer
        qtbot.keyClick(edit, "x")
        assert edit.text() == ""
        await wait_until(lambda: edit.text() == "x", within=5)
        assert scanner.pending == ""


class DigitsToAmount(QObject):
    """Like the main window: an application filter that sends digits to the amount."""

    def __init__(self, entry: AmountEntry) -> None:
        super().__init__()
        self.entry = entry

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self.entry.handle_key(event)
        return False


def test_keys_from_the_keyboard_are_caught_at_the_window_before_other_filters(
    qtbot: Any, clock: FakeClock
) -> None:
    entry = AmountEntry()
    qtbot.addWidget(entry)
    entry.show()
    entry.activateWindow()
    entry.setFocus()
    window = entry.windowHandle()
    assert window is not None
    digits_to_amount = DigitsToAmount(entry)
    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(digits_to_amount)  # installed first, so asked after the scanner
    scans: list[str] = []
    try:
        with installed(BarcodeScanner(clock=clock)) as scanner:
            # Keys sent to a window pass through Qt's window-system queue, which runs due
            # timers too: on a loaded machine the 30 ms wall-clock gap timer fired between
            # two keys and handed the first on as typing. The fake clock decides here.
            gap_timer = scanner.findChild(QTimer)
            assert gap_timer is not None
            gap_timer.setInterval(60_000)
            scanner.scanned.connect(scans.append)
            # A real keyboard's keys reach the window first, then the focus widget.
            for char in "2000000000039":
                clock.now += FAST
                QTest.keyClick(window, char)
            clock.now += FAST
            QTest.keyClick(window, Qt.Key.Key_Return)
            assert scans == ["2000000000039"]
            assert entry.cents == 0

            for char in "42":
                clock.now += SLOW
                QTest.keyClick(window, char)
            scanner.flush()
            assert entry.cents == 42
    finally:
        app.removeEventFilter(digits_to_amount)


def test_the_enter_of_a_scan_never_presses_an_enter_shortcut(
    qtbot: Any, scanner: BarcodeScanner, clock: FakeClock, line_edit: QLineEdit
) -> None:
    pressed: list[str] = []
    shortcut = QShortcut(QKeySequence(Qt.Key.Key_Return), line_edit)
    shortcut.activated.connect(lambda: pressed.append(line_edit.text()))
    scans: list[str] = []
    scanner.scanned.connect(scans.append)

    type_keys(qtbot, line_edit, clock, "0012345678905", FAST)
    press_enter(qtbot, line_edit, clock)
    assert scans == ["0012345678905"]
    assert pressed == []

    # Typing, then Enter within one gap: the typed keys land before the shortcut runs.
    type_keys(qtbot, line_edit, clock, "12", FAST)
    press_enter(qtbot, line_edit, clock)
    assert pressed == ["12"]
