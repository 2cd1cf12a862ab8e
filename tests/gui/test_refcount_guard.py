"""The Qt binding must not drain the reference counts of None, True or False (issue 9).

PySide6-Essentials 6.12.0 on CPython 3.11 took one reference from None per Qt
call that returns nothing, and one from True per signal emission; the till
aborted with "Fatal Python error: none_dealloc" after about 170 sales. These
tests fail on such a binding, naming the method; on CPython 3.12+ the three are
immortal and the counts never move.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from pos_app.ui.refcount_guard import (
    CALLS,
    IMMORTAL,
    Drain,
    check_reference_counts,
    measure,
    measure_probe,
    probe_names,
    singleton_counts,
)
from tests.support.gui import wait_until
from tests.support.sandbox import SandboxHandle
from tests.support.window import WindowLane, open_window

# The bug took about 197 from None per charge (and 29 from True). A sound binding
# never lowers the counts for good; PySide6 6.11.3 even raises None's by about one
# per QObject destroyed (some 400 per charge: each sale builds a new payment dialog),
# harmless, since a count that only rises can never free None.
PER_CHARGE_TOLERANCE = 20
MEASURED_CHARGES = 4


@pytest.mark.parametrize("method", probe_names())
def test_qt_method_keeps_none_true_and_false_level(qapp: Any, method: str) -> None:
    drain = measure_probe(method)

    assert not drain.leaks, drain.describe()


def test_the_guard_reports_every_method_and_says_when_counts_are_immortal(qapp: Any) -> None:
    report = check_reference_counts()

    assert report.passed, report.summary()
    assert [d.method for d in report.drains] == probe_names()
    assert ("immortal on this interpreter" in report.summary()) == IMMORTAL


@pytest.mark.skipif(IMMORTAL, reason="None's count never moves on CPython 3.12+")
def test_the_guard_sees_a_call_that_moves_nones_count() -> None:
    # Keeping a reference raises the count as a leaking binding lowers it: the
    # measurement itself must see it, and name the method.
    kept: list[None] = []
    none, true, false = measure(lambda: kept.append(None))
    drain = Drain("list.append(None)", CALLS, none, true, false)

    assert none == CALLS
    assert (true, false) == (0, 0)
    assert drain.leaks
    assert drain.describe() == f"list.append(None): None +{CALLS} over {CALLS} calls"


def test_immortal_matches_the_interpreter() -> None:
    assert (sys.version_info >= (3, 12)) == IMMORTAL
    if IMMORTAL:
        # What "immortal" means: the counts are huge and a new reference does not move them.
        before = singleton_counts()
        kept = [None, True, False]
        assert singleton_counts() == before
        del kept


async def _charge(qtbot: Any, w: WindowLane, cents: int) -> None:
    """One sale rung up and approved through the window (trm_front's customer taps)."""
    window = w.window
    window.cart_model.add_amount(cents)
    # The terminal reads busy until the picker's next refresh after the last sale.
    await wait_until(window.charge_button.isEnabled)
    qtbot.mouseClick(window.charge_button, Qt.MouseButton.LeftButton)
    await w.wait_dialog_state("approved")
    dialog = window.flow.dialog
    assert dialog is not None
    new_sale = dialog.findChild(QPushButton, "newSaleButton")
    qtbot.mouseClick(new_sale, Qt.MouseButton.LeftButton)
    task = window.flow.slot.task
    assert task is not None
    final = await task
    assert final.name.value == "approved"
    assert window.cart_model.cart.is_empty


async def test_whole_charges_through_the_window_never_drain_the_counts(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with open_window(sandbox.url, tmp_path, qtbot, terminal="trm_front") as w:
        await _charge(qtbot, w, 1000)  # warm-up: the first dialog, caches, the journal
        gc.collect()
        before = singleton_counts()
        for number in range(MEASURED_CHARGES):
            await _charge(qtbot, w, 1001 + number)
        gc.collect()
        after = singleton_counts()

    per_charge = [(a - b) / MEASURED_CHARGES for a, b in zip(after, before, strict=True)]
    assert all(moved > -PER_CHARGE_TOLERANCE for moved in per_charge), (
        f"None, True, False fell {per_charge} per charge "
        f"({before} -> {after} over {MEASURED_CHARGES} charges): the till would abort"
    )
