"""A guard against Qt bindings that leak references to None, True or False.

PySide6-Essentials 6.12.0 on CPython 3.11 takes one reference from None on
every Qt call that returns nothing (and from True on every signal emission)
and never gives it back; after a few hundred sales None's count reaches zero
and the interpreter aborts ("Fatal Python error: none_dealloc"). Issue 9.

`check_reference_counts()` calls each Qt method the till uses in a sale a few
hundred times and compares the reference counts of None, True and False before
and after. A binding that leaks shows as a delta close to minus the number of
calls; a clean one as zero (a stray object created on the way may move a count
by one or two: the tolerance is a tenth of the calls).

Rules worth knowing:

- On CPython 3.12 and later None, True and False are immortal: their counts are
  huge and never move, and the guard passes trivially (it says so).
- The measurement must hold no reference itself: the calls run with the cyclic
  garbage collector off, after a warm-up (first calls fill caches), and the
  probe's result is dropped at once.
- It needs a QApplication (the caller's); it makes its own widgets and deletes
  them.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QTimer
from PySide6.QtCore import Signal as _Signal
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QWidget

__all__ = [
    "CALLS",
    "IMMORTAL",
    "Drain",
    "GuardReport",
    "check_reference_counts",
    "measure",
    "measure_probe",
    "probe_names",
    "singleton_counts",
]

CALLS = 300  # per method: the bug takes one reference per call, so -300 against +-30
WARM_UP = 5
SUMMARY_METHODS = 4  # a failure's one line names this many methods
# None, True and False are immortal from CPython 3.12 on (PEP 683).
IMMORTAL = sys.version_info >= (3, 12)

_Counts = tuple[int, int, int]  # None, True, False


def singleton_counts() -> _Counts:
    """sys.getrefcount of None, True and False, now."""
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)


@dataclass(frozen=True)
class Drain:
    """How the counts of None, True and False moved over `calls` calls of `method`."""

    method: str
    calls: int
    none: int
    true: int
    false: int

    @property
    def leaks(self) -> bool:
        """Whether any count moved by a tenth of the calls or more."""
        limit = self.calls / 10
        return any(abs(delta) >= limit for delta in (self.none, self.true, self.false))

    def describe(self) -> str:
        moved = [
            f"{name} {delta:+d}"
            for name, delta in (("None", self.none), ("True", self.true), ("False", self.false))
            if delta
        ]
        return f"{self.method}: {', '.join(moved) or 'level'} over {self.calls} calls"


@dataclass(frozen=True)
class GuardReport:
    """Every method measured, and the verdict."""

    drains: tuple[Drain, ...]
    immortal: bool

    @property
    def leaking(self) -> tuple[Drain, ...]:
        return tuple(d for d in self.drains if d.leaks)

    @property
    def passed(self) -> bool:
        return not self.leaking

    def summary(self) -> str:
        """One line: what was checked and, on failure, which methods drain and how much."""
        if self.leaking:
            named = "; ".join(d.describe() for d in self.leaking[:SUMMARY_METHODS])
            more = len(self.leaking) - SUMMARY_METHODS
            rest = f"; and {more} more" if more > 0 else ""
            return f"{len(self.leaking)} of {len(self.drains)} Qt methods drain: {named}{rest}"
        calls = self.drains[0].calls if self.drains else 0
        note = (
            " (None, True and False are immortal on this interpreter: nothing can drain them)"
            if self.immortal
            else ""
        )
        return (
            f"None, True and False level across {calls} calls of each of "
            f"{len(self.drains)} Qt methods{note}"
        )


def measure(call: Callable[[], object], calls: int = CALLS) -> _Counts:
    """The change of None's, True's and False's counts over `calls` calls of `call`."""
    for _ in range(WARM_UP):
        call()
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()  # a collection in the middle would free unrelated objects
    try:
        before = singleton_counts()
        for _ in range(calls):
            call()
        after = singleton_counts()
    finally:
        if enabled:
            gc.enable()
    return after[0] - before[0], after[1] - before[1], after[2] - before[2]


# -- the probes: one per Qt method the till calls in a sale ---------------------------------


class _Emitter(QObject):
    """Signals shaped like the till's: one with a bool, one with none, one with an int."""

    flag = _Signal(bool)
    fired = _Signal()
    count = _Signal(int)


class _ListModel(QAbstractListModel):
    """A tiny model reset the way the cart and the history reset theirs."""

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex | None = None) -> int:
        return 3

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = 0
    ) -> object:  # pragma: no cover - views call it while painting
        return None

    def reset(self) -> None:
        self.beginResetModel()
        self.endResetModel()


@dataclass
class _Bench:
    """The widgets and objects the probes call, parented to one hidden widget."""

    root: QWidget
    label: QLabel
    button: QPushButton
    combo: QComboBox
    edit: QLineEdit
    timer: QTimer
    emitter: _Emitter
    model: _ListModel
    slot_calls: list[int]

    @classmethod
    def build(cls) -> _Bench:
        root = QWidget()
        root.setObjectName("refcountGuard")
        label = QLabel("", root)
        button = QPushButton("Charge", root)
        combo = QComboBox(root)
        combo.addItem("Front counter", "trm_front")
        combo.addItem("No data")  # currentData() returns None here
        combo.setCurrentIndex(1)
        edit = QLineEdit(root)
        timer = QTimer(root)
        timer.setInterval(60_000)
        emitter = _Emitter(root)
        model = _ListModel(root)
        slot_calls: list[int] = []
        bench = cls(root, label, button, combo, edit, timer, emitter, model, slot_calls)
        # Connected slots, as in the till: emission then also calls into Python.
        emitter.flag.connect(bench._on_flag)
        emitter.fired.connect(bench._on_fired)
        emitter.count.connect(bench._on_count)
        button.clicked.connect(bench._on_flag)
        return bench

    def _on_flag(self, _value: bool) -> None:
        self.slot_calls.append(1)
        self.slot_calls.clear()

    def _on_fired(self) -> None:
        self.slot_calls.append(2)
        self.slot_calls.clear()

    def _on_count(self, _value: int) -> None:
        self.slot_calls.append(3)
        self.slot_calls.clear()

    def close(self) -> None:
        self.timer.stop()
        self.root.deleteLater()


def _polish(widget: QWidget) -> None:
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)


def _toggle_combo(combo: QComboBox) -> None:
    combo.setCurrentIndex(0)
    combo.setCurrentIndex(1)


def _refill_combo(combo: QComboBox) -> None:
    combo.clear()
    combo.addItem("Front counter", "trm_front")
    combo.addItem("No data")
    combo.setCurrentIndex(1)


def _edit_cycle(edit: QLineEdit) -> str:
    edit.setText("10.00")
    return edit.text()


def _timer_cycle(timer: QTimer) -> None:
    timer.start()
    timer.stop()


# name -> a function of the bench returning the zero-argument call to repeat
_PROBES: dict[str, Callable[[_Bench], Callable[[], object]]] = {
    "QLabel.setText": lambda b: lambda: b.label.setText("Approved"),
    "QWidget.setEnabled": lambda b: lambda: b.button.setEnabled(True),
    "QWidget.setVisible": lambda b: lambda: b.label.setVisible(False),
    "QWidget.update": lambda b: b.label.update,
    "QStyle.unpolish/polish": lambda b: lambda: _polish(b.label),
    "QObject.setProperty": lambda b: lambda: b.root.setProperty("state", "approved"),
    "QObject.property (unset: None)": lambda b: lambda: b.root.property("noSuchProperty"),
    "QObject.property (bool)": lambda b: lambda: b.label.property("enabled"),
    "QComboBox.currentData (None)": lambda b: b.combo.currentData,
    "QComboBox.setCurrentIndex": lambda b: lambda: _toggle_combo(b.combo),
    "QComboBox.clear/addItem": lambda b: lambda: _refill_combo(b.combo),
    "Signal(bool).emit": lambda b: lambda: b.emitter.flag.emit(True),
    "Signal(bool).emit False": lambda b: lambda: b.emitter.flag.emit(False),
    "Signal().emit": lambda b: b.emitter.fired.emit,
    "Signal(int).emit": lambda b: lambda: b.emitter.count.emit(7),
    "QPushButton.click": lambda b: b.button.click,
    "QTimer.start/stop": lambda b: lambda: _timer_cycle(b.timer),
    "QTimer.isActive": lambda b: b.timer.isActive,
    "QWidget.setToolTip": lambda b: lambda: b.button.setToolTip("Charge the sale"),
    "QWidget.setAccessibleName": lambda b: lambda: b.button.setAccessibleName("Charge $10.00"),
    "QWidget.setAccessibleDescription": lambda b: lambda: b.button.setAccessibleDescription(""),
    "QWidget.isEnabled": lambda b: b.button.isEnabled,
    "QLineEdit.setText/text": lambda b: lambda: _edit_cycle(b.edit),
    "QAbstractItemModel reset": lambda b: b.model.reset,
}


def probe_names() -> list[str]:
    """The methods the guard measures, in order."""
    return list(_PROBES)


@contextmanager
def _bench() -> Iterator[_Bench]:
    bench = _Bench.build()
    try:
        yield bench
    finally:
        bench.close()


def measure_probe(name: str, calls: int = CALLS) -> Drain:
    """Measure one named method (see `probe_names`)."""
    with _bench() as bench:
        return _measure(bench, name, calls)


def _measure(bench: _Bench, name: str, calls: int) -> Drain:
    none, true, false = measure(_PROBES[name](bench), calls)
    return Drain(name, calls, none, true, false)


def check_reference_counts(calls: int = CALLS) -> GuardReport:
    """Measure every method; a QApplication must exist."""
    with _bench() as bench:
        drains = tuple(_measure(bench, name, calls) for name in _PROBES)
    return GuardReport(drains, IMMORTAL)
