"""Typing an amount on the keypad, like a card terminal."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLabel, QPushButton

from pos_app.ui.amount_entry import AmountEntry


@pytest.fixture
def entry(qtbot: Any) -> AmountEntry:
    widget = AmountEntry()
    qtbot.addWidget(widget)
    widget.show()
    return widget


def key(entry: AmountEntry, name: str) -> QPushButton:
    found = entry.findChild(QPushButton, name)
    assert found is not None, name
    return found


def click(qtbot: Any, entry: AmountEntry, *names: str) -> None:
    for name in names:
        qtbot.mouseClick(key(entry, name), Qt.MouseButton.LeftButton)


def shown(entry: AmountEntry) -> str:
    display = entry.findChild(QLabel, "amountDisplay")
    assert display is not None
    return display.text()


def hint(entry: AmountEntry) -> str:
    label = entry.findChild(QLabel, "amountHint")
    assert label is not None
    return label.text()


def press(
    text: str, key_code: Qt.Key, modifiers: Any = Qt.KeyboardModifier.NoModifier
) -> QKeyEvent:
    return QKeyEvent(QEvent.Type.KeyPress, key_code, modifiers, text)


def test_keypad_digits_fill_from_the_cents(qtbot: Any, entry: AmountEntry) -> None:
    assert shown(entry) == "$0.00"
    click(qtbot, entry, "keypad1")
    assert shown(entry) == "$0.01"
    click(qtbot, entry, "keypad2", "keypad3", "keypad4")
    assert shown(entry) == "$12.34"
    assert entry.cents == 1234


def test_backspace_clear_and_double_zero(qtbot: Any, entry: AmountEntry) -> None:
    click(qtbot, entry, "keypad1", "keypad2", "keypad3", "keypad4", "keypadBackspace")
    assert shown(entry) == "$1.23"
    click(qtbot, entry, "keypadClear")
    assert (shown(entry), entry.cents) == ("$0.00", 0)
    click(qtbot, entry, "keypad5", "keypad00")
    assert shown(entry) == "$5.00"
    click(qtbot, entry, "keypad0")
    assert shown(entry) == "$50.00"
    click(qtbot, entry, "keypadClear", "keypad0", "keypad00")  # leading zeros stay zero
    assert entry.cents == 0


def test_a_tenth_digit_is_refused_with_a_reason(qtbot: Any, entry: AmountEntry) -> None:
    entry.set_maximum_cents(10**12)  # so only the digit limit applies
    click(qtbot, entry, *(f"keypad{d}" for d in "123456789"))
    assert shown(entry) == "$1,234,567.89"
    assert hint(entry) == ""
    click(qtbot, entry, "keypad1")
    assert shown(entry) == "$1,234,567.89"
    assert "most digits" in hint(entry)
    click(qtbot, entry, "keypadBackspace")
    assert hint(entry) == ""
    assert entry.cents == 12_345_678


def test_amounts_above_the_maximum_are_refused(qtbot: Any, entry: AmountEntry) -> None:
    entry.set_maximum_cents(50_000)  # $500.00
    click(qtbot, entry, "keypad5", "keypad00", "keypad00")
    assert shown(entry) == "$500.00"
    click(qtbot, entry, "keypad1")
    assert shown(entry) == "$500.00"
    assert hint(entry) == "The most one amount can be is $500.00."
    assert key(entry, "addAmountButton").isEnabled()

    entry.set_maximum_cents(10_000)  # lowered below what is typed: cannot add it
    assert not key(entry, "addAmountButton").isEnabled()
    assert "$100.00" in hint(entry)


def test_add_emits_the_cents_and_clears(qtbot: Any, entry: AmountEntry) -> None:
    added: list[int] = []
    entry.amount_added.connect(added.append)
    add = key(entry, "addAmountButton")
    assert not add.isEnabled()  # nothing typed

    click(qtbot, entry, "keypad7", "keypad5", "addAmountButton")
    assert added == [75]
    assert shown(entry) == "$0.00"
    assert not add.isEnabled()


def test_physical_keys_on_the_widget(qtbot: Any, entry: AmountEntry) -> None:
    added: list[int] = []
    entry.amount_added.connect(added.append)
    entry.setFocus()
    for digit in "1234":
        qtbot.keyClick(entry, digit)
    assert shown(entry) == "$12.34"
    qtbot.keyClick(entry, Qt.Key.Key_Backspace)
    assert shown(entry) == "$1.23"
    qtbot.keyClick(entry, Qt.Key.Key_5, Qt.KeyboardModifier.KeypadModifier)
    assert shown(entry) == "$12.35"
    qtbot.keyClick(entry, Qt.Key.Key_Escape)
    assert shown(entry) == "$0.00"
    qtbot.keyClick(entry, "9")
    qtbot.keyClick(entry, Qt.Key.Key_Return)
    assert added == [9]
    assert entry.cents == 0


def test_handle_key_takes_digits_from_anywhere(entry: AmountEntry) -> None:
    assert entry.handle_key(press("4", Qt.Key.Key_4))
    assert entry.handle_key(press("2", Qt.Key.Key_2))
    assert entry.cents == 42
    # Shortcuts and letters are not for the keypad.
    assert not entry.handle_key(press("3", Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier))
    assert not entry.handle_key(press("a", Qt.Key.Key_A))
    assert entry.handle_key(press("", Qt.Key.Key_Backspace))
    assert entry.cents == 4
    assert entry.take_amount() == 4
    # With nothing typed, Backspace, Escape and Enter keep their usual meaning.
    for code in (Qt.Key.Key_Backspace, Qt.Key.Key_Escape, Qt.Key.Key_Return):
        assert not entry.handle_key(press("", code))


def test_keypad_meets_touch_and_accessibility_rules(entry: AmountEntry) -> None:
    names = [f"keypad{d}" for d in range(10)]
    names += ["keypad00", "keypadBackspace", "keypadClear", "addAmountButton"]
    for name in names:
        button = key(entry, name)
        assert button.width() >= 44, name
        assert button.height() >= 44, name
        assert button.accessibleName(), name
    assert entry.objectName() == "amountEntry"
    display = entry.findChild(QLabel, "amountDisplay")
    assert display is not None
    assert display.accessibleName() == "Typed amount $0.00"
    assert display.font().pixelSize() >= 32


KEYS_IN_READING_ORDER = [
    *(f"keypad{d}" for d in ("7", "8", "9", "4", "5", "6", "1", "2", "3", "00", "0")),
    "keypadBackspace",
    "keypadClear",
    "addAmountButton",
]


def focused_name() -> str:
    focus = QApplication.focusWidget()
    return focus.objectName() if focus is not None else ""


def test_tab_walks_onto_every_key_in_reading_order(qtbot: Any, entry: AmountEntry) -> None:
    with qtbot.waitActive(entry):
        entry.activateWindow()
    entry.setFocus()
    click(qtbot, entry, "keypad4")  # something typed: "Add to sale" can take the focus too
    assert focused_name() == "amountEntry"  # a tap on a key leaves the focus where it was
    walked = []
    for _ in KEYS_IN_READING_ORDER:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        walked.append(focused_name())
    assert walked == KEYS_IN_READING_ORDER
    for _ in KEYS_IN_READING_ORDER:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab)
    assert focused_name() == "amountEntry"


def test_space_on_a_focused_key_presses_it(qtbot: Any, entry: AmountEntry) -> None:
    with qtbot.waitActive(entry):
        entry.activateWindow()
    entry.setFocus()
    seven = key(entry, "keypad7")
    before = seven.grab().toImage().pixelColor(1, seven.height() // 2)
    qtbot.keyClick(entry, Qt.Key.Key_Tab)
    assert focused_name() == "keypad7"
    # A focus frame seen from a step back: 3 px of blue, not the style's thin line.
    for x in (0, 1, 2):
        assert seven.grab().toImage().pixelColor(x, seven.height() // 2).name() == "#1a5fb4"
    assert before.name() != "#1a5fb4"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    assert shown(entry) == "$0.07"
    qtbot.keyClick(QApplication.focusWidget(), "2")  # digits still type while a key has focus
    assert shown(entry) == "$0.72"
