"""A till that runs all day: thousands of sales through the real window, or the till left
alone for hours, with the figures that show a leak.

A developer's tool, hidden behind `pos-app --self-test --soak N` and
`pos-app --self-test --soak-idle SECONDS` so that the same code runs from source
(`python -m tests.bench.bench_soak`) and inside the frozen bundle. Like the
self-test it runs offscreen in a temporary data, config and log folder, with
the built-in sandbox as a child process (the same executable) and the app's
own wiring: the real MainWindow with the manager's tools, the real payment
engine, real HTTP.

`--soak N` rings up N sales by clicking the window's buttons by object name:
amounts on the keypad, Charge, then New sale (approved) or Back to sale and
Clear (a decline: every tenth sale asks the sandbox to decline or cancel it,
amounts ending .91 to .95), and every tenth approved sale is refunded through
"Refund last sale" behind the manager PIN. A shift opens first with a float, every
eighth sale is paid in cash (Cash, a note or Exact in the tender dialog, Take; the
virtual drawer opens), and at the end the shift closes against a drawer counted
exactly: its Z report must hold every cash sale and no over/short. The sandbox runs
20 times fast, so the simulated customer taps after 0.15 s; the engine polls every 0.1 s.

`--soak-idle SECONDS` shows the demo till as a shop starts it (its terminal
list refresh, the virtual terminals' polling, the clocks, at their own pace)
and touches nothing.

Every `--every` sales (or seconds) it prints one row: resident memory, Python
objects, widgets, QObjects, open file descriptors, asyncio tasks, the
approve-to-screen time and the reference counts of None, True and False. At
the end PASS or FAIL against the goals (`GOALS`), and with `--json PATH` one
JSON line appended to PATH.

Approve-to-screen: from the moment the engine's HTTP client received the
response that carried the approval (the last poll of the payment before the
dialog turned "approved") to the first paint of the dialog's status line after
it did. It covers parsing, the journal write, the state machine, rendering and
the event loop's queue: what grows when a till slows down over a day.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import faulthandler
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from pos_app.ui.main_window import MainWindow
    from pos_app.wiring import Lane

TERMINAL = "trm_front"  # its simulated customer taps by itself
TIME_SCALE = 20.0  # the customer taps 0.15 s after the sale reaches the device
POLL_INTERVAL = 0.1
STEP_SECONDS = 20.0  # one sale (or refund) that takes longer than this is a failure
WATCHDOG_SECONDS = 300.0  # a hang nothing else sees: dump the stacks and exit
MANAGER_PIN = "482915"
DECLINE_EVERY = 10  # sale 7, 17, 27, ... ends .91 to .95: declined or cancelled on the device
REFUND_EVERY = 10  # every tenth approved sale is refunded
CASH_EVERY = 8  # sale 8, 16, 24, ... is paid in cash
FLOAT_CENTS = 20_000  # the soak shift's float
REFRESH_SECONDS = 3.0 / TIME_SCALE  # the terminal picker's 3 s, on the sandbox's clock


@dataclass(frozen=True)
class Goals:
    """What a till that runs all day must show after its warm-up."""

    memory_growth_mb: float = 10.0  # resident memory, from the warm-up row to the last
    approve_slowdown: float = 1.1  # last hundred's median over the first hundred's
    approve_slack_ms: float = 1.0  # below a millisecond, timer noise is no slowdown
    # None/True/False counts may not fall by more (the bug took ~197 from None per charge;
    # a rise is objects kept, which the memory and object figures show)
    singleton_drift: int = 200


GOALS = Goals()


@dataclass
class Row:
    """One line of figures."""

    sales: int
    seconds: float
    rss_mb: float
    objects: int
    widgets: int
    qobjects: int
    fds: int
    tasks: int
    approve_ms: float | None  # median over the sales since the last row
    approve_p95_ms: float | None
    none_refs: int
    true_refs: int
    false_refs: int
    load: float  # the machine's 1-minute load average: timings mean little on a busy one
    data_mb: float = 0.0  # the journal's and audit log's files: SQLite caches up to 2 MB of each

    HEADER = (
        f"{'sales':>6} {'time s':>7} {'RSS MB':>7} {'objects':>8} {'widgets':>7} "
        f"{'QObjects':>8} {'fds':>4} {'tasks':>5} {'appr ms':>8} {'p95 ms':>7} "
        f"{'None':>9} {'True':>8} {'False':>8} {'load':>5} {'data MB':>7}"
    )

    def line(self) -> str:
        def ms(value: float | None) -> str:
            return f"{value:.1f}" if value is not None else "-"

        return (
            f"{self.sales:>6} {self.seconds:>7.0f} {self.rss_mb:>7.1f} {self.objects:>8} "
            f"{self.widgets:>7} {self.qobjects:>8} {self.fds:>4} {self.tasks:>5} "
            f"{ms(self.approve_ms):>8} {ms(self.approve_p95_ms):>7} "
            f"{self.none_refs:>9} {self.true_refs:>8} {self.false_refs:>8} {self.load:>5.2f}"
            f" {self.data_mb:>7.1f}"
        )


@dataclass
class Tally:
    """What the sales ended as."""

    approved: int = 0
    declined: int = 0
    cancelled: int = 0
    refunded: int = 0
    cash: int = 0
    cash_cents: int = 0
    other: dict[str, int] = field(default_factory=dict)


class SoakError(Exception):
    """The till did not do what a cashier would expect; the message says what."""


# -- figures ---------------------------------------------------------------------------------


def rss_mb() -> float:
    """Resident memory of this process (VmRSS), in MiB; NaN where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def open_fds() -> int:
    """Open file descriptors of this process; -1 where /proc is missing."""
    try:
        return len(os.listdir("/proc/self/fd"))
    except OSError:
        return -1


def qobject_count() -> int:
    """QObjects reachable from the application and every top-level widget (each counted once).

    Objects with no parent that are not widgets (a model kept only by Python) are not
    reachable this way; their Python wrappers still show in the object count."""
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        return 0
    seen: set[int] = set()
    roots: list[QObject] = [app, *QApplication.topLevelWidgets()]
    for root in roots:
        seen.add(id(root))
        seen.update(id(child) for child in root.findChildren(QObject))
    return len(seen)


def take_row(sales: int, started: float, approve_ms: list[float]) -> Row:
    """The figures now; `approve_ms` are the approve-to-screen times since the last row."""
    from PySide6.QtWidgets import QApplication

    gc.collect()
    ordered = sorted(approve_ms)
    return Row(
        sales=sales,
        seconds=time.monotonic() - started,
        rss_mb=rss_mb(),
        objects=len(gc.get_objects()),
        widgets=len(QApplication.allWidgets()),
        qobjects=qobject_count(),
        fds=open_fds(),
        tasks=len(asyncio.all_tasks()),
        approve_ms=statistics.median(ordered) if ordered else None,
        approve_p95_ms=ordered[int(0.95 * (len(ordered) - 1))] if ordered else None,
        none_refs=sys.getrefcount(None),
        true_refs=sys.getrefcount(True),
        false_refs=sys.getrefcount(False),
        load=_load(),
        data_mb=_data_mb(),
    )


def _data_mb() -> float:
    from pos_app.config import data_dir

    folder = data_dir()
    # The till's own files; demo-sandbox.sqlite3 is the sandbox child's.
    files = [path for name in ("journal", "audit") for path in folder.glob(f"{name}.sqlite3*")]
    return sum(path.stat().st_size for path in files) / 2**20


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:  # not on Windows
        return float("nan")


def verdict(rows: Sequence[Row], errors: Sequence[str], goals: Goals = GOALS) -> list[str]:
    """Every goal missed, in words; empty when the run passed.

    The first row is the warm-up (caches, the first dialogs, the manager's screens);
    growth counts from it to the last row."""
    if len(rows) < 2:
        return ["too short: fewer than two rows of figures"]
    first, last = rows[0], rows[-1]
    missed = []
    grown = last.rss_mb - first.rss_mb
    if grown > goals.memory_growth_mb:
        missed.append(f"memory grew {grown:.1f} MB (goal: at most {goals.memory_growth_mb:g})")
    # A request in flight holds a task and a socket for a moment: growth is when even
    # the least of the last three rows is above the warm-up row.
    tail = rows[-3:]
    for name in ("widgets", "fds", "tasks"):
        before, after = getattr(first, name), min(getattr(row, name) for row in tail)
        if after > before:
            missed.append(f"{name} grew from {before} to {after} (goal: no growth)")
    timed = [row for row in rows if row.approve_ms is not None]
    if timed:
        early, late = timed[0].approve_ms, timed[-1].approve_ms
        assert early is not None
        assert late is not None
        if late > early * goals.approve_slowdown and late - early > goals.approve_slack_ms:
            missed.append(
                f"approve-to-screen went from {early:.1f} ms to {late:.1f} ms "
                f"(goal: within {goals.approve_slowdown:g}x; the machine's load was "
                f"{timed[0].load:.2f}, then {timed[-1].load:.2f})"
            )
    for name in ("none_refs", "true_refs", "false_refs"):
        drift = getattr(last, name) - getattr(first, name)
        if drift < -goals.singleton_drift:
            missed.append(
                f"sys.getrefcount({name.removesuffix('_refs').title()}) fell {-drift}"
                f" (goal: at most {goals.singleton_drift}; a binding that leaks them aborts)"
            )
    if errors:
        missed.append(f"{len(errors)} unhandled errors, the first: {errors[0]}")
    return missed


# -- running ---------------------------------------------------------------------------------


def run(
    *,
    sales: int = 0,
    idle_seconds: float = 0.0,
    every: float | None = None,
    out: TextIO | None = None,
    json_path: Path | None = None,
) -> int:
    """The soak (`sales` > 0) or the idle run; 0 when every goal was met, 1 otherwise."""
    from pos_app.selftest import isolated_folders

    stream = out if out is not None else sys.stdout
    if stream is None:  # a windowed executable on Windows: use pos-app-console
        stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives until exit
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_API", "pyside6")
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    QApplication.setQuitOnLastWindowClosed(False)
    report = _Report(stream)
    with (
        tempfile.TemporaryDirectory(prefix="pos-app-soak-", ignore_cleanup_errors=True) as temp,
        isolated_folders(Path(temp)),
        asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
    ):
        try:
            if sales > 0:
                runner.run(_soak(report, sales, int(every or 100)))
            else:
                runner.run(_idle(report, idle_seconds, every or 300.0))
        finally:
            with contextlib.suppress(ValueError, OSError, AttributeError):
                faulthandler.cancel_dump_traceback_later()
    return report.finish(json_path, kind="soak" if sales > 0 else "idle")


@dataclass
class _Report:
    out: TextIO
    rows: list[Row] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    failure: str | None = None
    header: dict[str, Any] = field(default_factory=dict)

    def line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def add(self, row: Row) -> None:
        if not self.rows:
            self.line(Row.HEADER)
        self.rows.append(row)
        self.line(row.line())

    def finish(self, json_path: Path | None, kind: str) -> int:
        missed = verdict(self.rows, self.errors)
        if self.failure:
            missed.insert(0, f"stopped: {self.failure}")
        t = self.tally
        if kind == "soak":
            self.line(
                f"sales: {t.approved} approved, {t.declined} declined, {t.cancelled} cancelled"
                f" on the device, {t.refunded} refunded, {t.cash} in cash{_others(t.other)}"
            )
        if self.rows and self.rows[0].approve_ms is not None:
            self.line(
                "approve-to-screen: poll response carrying the approval -> first paint of"
                " the dialog's status line (median per row)"
            )
        for goal in missed:
            self.line(f"FAIL  {goal}")
        self.line(f"{kind} {'FAILED' if missed else 'PASSED'}")
        if json_path is not None:
            record = {
                "kind": kind,
                **self.header,
                "rows": [asdict(row) for row in self.rows],
                "tally": asdict(t),
                "missed": missed,
                "passed": not missed,
            }
            with json_path.open("a", encoding="utf-8") as file:
                file.write(json.dumps(record) + "\n")
        return 1 if missed else 0


def _others(other: dict[str, int]) -> str:
    return "".join(f", {count} {name}" for name, count in sorted(other.items()))


def _arm_watchdog(quiet: float = 0.0) -> None:
    """(Re)start the watchdog: WATCHDOG_SECONDS beyond the `quiet` seconds to come."""
    # faulthandler's watchdog is a C thread: no Python runs off the GUI thread.
    if sys.stderr is None:
        return
    with contextlib.suppress(ValueError, OSError, AttributeError):
        faulthandler.dump_traceback_later(quiet + WATCHDOG_SECONDS, exit=True, file=sys.stderr)


@contextlib.asynccontextmanager
async def _till(report: _Report, *, fast: bool):  # type: ignore[no-untyped-def]
    """The demo till as the app wires it, shown and started; closed at the end."""
    from pos_app import __version__
    from pos_app.app import build_window
    from pos_app.config import load_settings
    from pos_app.wiring import open_lane

    loop = asyncio.get_running_loop()
    loop.set_exception_handler(
        lambda _loop, context: report.errors.append(str(context.get("message") or context))
    )
    saved_hook = sys.excepthook
    sys.excepthook = lambda kind, value, _tb: report.errors.append(f"{kind.__name__}: {value}")
    overrides: dict[str, Any] = {"lane": "soak"}
    if fast:
        overrides.update(sandbox_time_scale=TIME_SCALE, poll_interval=POLL_INTERVAL)
    settings = load_settings(**overrides)
    from PySide6 import __version__ as pyside_version

    kind = "frozen bundle" if getattr(sys, "frozen", False) else "source"
    report.header = {
        "version": __version__,
        "build": kind,
        "python": sys.version.split()[0],
        "pyside6": pyside_version,
    }
    report.line(
        f"pos-app soak: version {__version__}, {kind}, Python {sys.version.split()[0]},"
        f" PySide6 {pyside_version}, sandbox time x{settings.sandbox_time_scale:g},"
        f" poll every {settings.poll_interval:g} s"
    )
    try:
        async with open_lane(settings, demo=True) as lane:
            window, control = build_window(lane)
            assert window.tools is not None
            # The till's owner, signed in as the shop's first start leaves them: sales
            # are served by them, and refunds need no one else's approval.
            window.tools.manager.create_owner("Soak", MANAGER_PIN)
            try:
                window.show()
                if window.virtual_terminal is not None:
                    window.virtual_terminal.show()
                await window.start()
                yield lane, window
            finally:
                window.picker.stop()
                window.close()
                if window.virtual_terminal is not None:
                    await window.virtual_terminal.wait_idle()
                if control is not None:
                    await control.aclose()
    finally:
        sys.excepthook = saved_hook


async def _idle(report: _Report, seconds: float, every: float) -> None:
    async with _till(report, fast=False) as (_lane, window):
        await _wait(lambda: window.picker.current(), "no terminal was chosen", 30)
        started = time.monotonic()
        report.line(f"idle for {seconds:g} s, a row every {every:g} s")
        report.add(take_row(0, started, []))
        # Qt timers may end a few ms early: a remainder under a second is no new row.
        while (left := seconds - (time.monotonic() - started)) > 1.0:
            _arm_watchdog(quiet=min(every, left))
            await asyncio.sleep(min(every, left))
            report.add(take_row(0, started, []))


async def _soak(report: _Report, sales: int, every: int) -> None:
    async with _till(report, fast=True) as (lane, window):
        clock = _ApprovalClock(lane)
        await _wait(
            lambda: (t := window.picker.current()) is not None and t.id == TERMINAL,
            f"{TERMINAL} was not chosen",
            30,
        )
        report.line(f"{sales} sales on {TERMINAL}, a row every {every} sales")
        shifts = _shift_tools(window)
        await shifts.shifts.open_shift(FLOAT_CENTS, person="Soak")
        shifts.refresh()
        started = time.monotonic()
        times: list[float] = []
        for number in range(1, sales + 1):
            _arm_watchdog()
            try:
                if number % CASH_EVERY == 0:
                    await _cash_sale(window, _amount(number), report.tally)
                else:
                    await _one_sale(window, number, report.tally, clock, times)
            except (SoakError, TimeoutError) as exc:
                report.failure = f"sale {number}: {exc or type(exc).__name__}"
                report.add(take_row(number - 1, started, times))
                return
            if number % every == 0 or number == sales:
                report.add(take_row(number, started, times))
                times = []
        try:
            await _close_shift(shifts, report)
        except SoakError as exc:
            report.failure = f"the shift's close: {exc}"


def _shift_tools(window: MainWindow) -> Any:
    tools = window.shift_tools
    if tools is None:
        raise SoakError("the till has no Shift menu")
    return tools


async def _cash_sale(window: MainWindow, cents: int, tally: Tally) -> None:
    """Keypad, Cash, a note that covers it (or Exact), Take: the sale completes, the drawer
    opens and the cart is empty."""
    from PySide6.QtWidgets import QDialog, QPushButton

    await _wait(lambda: not window.flow.busy, "the till stayed busy")
    for digit in str(cents):
        _click(window, QPushButton, f"keypad{digit}")
    cash = getattr(window, "cash_button", None)  # with the till's services
    if cash is None:
        raise SoakError("the till has no Cash button")
    await _wait(cash.isEnabled, lambda: f"Cash stayed disabled: {cash.toolTip()}")
    cash.click()
    tender = await _wait(lambda: _visible(window, QDialog, "tenderDialog"), "no tender dialog")
    notes = [note for note in (500, 1000, 2000, 5000) if note >= cents]
    _click(tender, QPushButton, f"quickNote{notes[0]}" if notes else "exactButton")
    _click(tender, QPushButton, "takeCashButton")
    await _wait(lambda: not window.flow.busy, "the cash sale did not finish")
    await _slot_done(window.flow.slot.task)
    if not window.cart_model.cart.is_empty:
        raise SoakError("the cart was not empty after a cash sale")
    tally.cash += 1
    tally.cash_cents += cents


async def _close_shift(tools: Any, report: _Report) -> None:
    """Close the soak's shift with the drawer counted exactly: the Z report must hold every
    cash sale taken and say the drawer is even."""
    shifts = tools.shifts
    expected = shifts.expected_cash()
    z = await shifts.close_shift(expected, person="Soak")
    tools.refresh()
    tally = report.tally
    cash = z.sales_by_tender["cash"]
    report.line(
        f"shift closed: {cash.count} cash sales {cash.cents / 100:.2f}, expected in the drawer"
        f" {z.expected_cash_cents / 100:.2f}, over/short {(z.over_short_cents or 0) / 100:.2f}"
    )
    if (cash.count, cash.cents) != (tally.cash, tally.cash_cents):
        raise SoakError(
            f"the Z report has {cash.count} cash sales of {cash.cents} cents;"
            f" the soak took {tally.cash} of {tally.cash_cents}"
        )
    if z.expected_cash_cents != FLOAT_CENTS + tally.cash_cents or z.over_short_cents != 0:
        raise SoakError("the Z report's drawer does not add up")


async def _one_sale(
    window: MainWindow, number: int, tally: Tally, clock: _ApprovalClock, times: list[float]
) -> None:
    from PySide6.QtWidgets import QPushButton

    cents = _amount(number)
    await _wait(lambda: not window.flow.busy, "the till stayed busy")
    for digit in str(cents):
        _click(window, QPushButton, f"keypad{digit}")
    charge = window.charge_button
    await _wait_ready(window, charge)
    clock.arm()
    charge.click()
    dialog = await _wait(lambda: window.flow.dialog, "no payment dialog")
    clock.watch(dialog)
    state = await _wait(
        lambda: _final(dialog.property("state")),
        lambda: f"the payment did not end (still {dialog.property('state')})",
        STEP_SECONDS,
    )
    if state == "approved":
        tally.approved += 1
        shown = await _wait(clock.shown_after, "the approval was never painted")
        times.append(shown)
        _click(dialog, QPushButton, "newSaleButton")
    else:
        if state == "declined":
            tally.declined += 1
        elif state == "cancelled":
            tally.cancelled += 1
        else:
            tally.other[state] = tally.other.get(state, 0) + 1
        _click(dialog, QPushButton, "backToSaleButton")
    await _slot_done(window.flow.slot.task)
    clock.unwatch()
    if state != "approved":
        _click(window, QPushButton, "clearCartButton")
    if not window.cart_model.cart.is_empty:
        raise SoakError("the cart was not empty after the sale")
    if state == "approved" and tally.approved % REFUND_EVERY == 0:
        await _refund_last_sale(window)
        tally.refunded += 1


def _amount(number: int) -> int:
    """Sale `number`'s amount in cents: every tenth ends .91 to .95, the rest are approved."""
    if number % DECLINE_EVERY == DECLINE_EVERY - 3:
        return 1091 + (number // DECLINE_EVERY) % 5
    cents = 500 + (number * 37) % 4000
    return cents + 10 if 91 <= cents % 100 <= 96 else cents


def _final(state: object) -> str | None:
    from pos_app.domain.payment_flow import FINAL_STATES

    name = str(state) if state else ""
    return name if name in {s.value for s in FINAL_STATES} else None


async def _refund_last_sale(window: MainWindow) -> None:
    """Refund last sale -> (the owner's PIN, if the idle time signed them out) -> confirm
    -> Done."""
    from PySide6.QtWidgets import QDialog, QPushButton

    _click(window, QPushButton, "refundLastButton")
    refund = None
    while refund is None:
        pin = _visible(window, QDialog, "pinDialog")
        if pin is not None:
            for digit in MANAGER_PIN:
                _click(pin, QPushButton, f"pinKey{digit}")
            _click(pin, QPushButton, "pinOkButton")
            await _wait(partial(_pin_step_taken, pin), "the PIN dialog took no PIN")
        refund = _visible(window, QDialog, "refundDialog")
        if refund is None:
            await asyncio.sleep(0.01)
            await _wait(
                lambda: (
                    _visible(window, QDialog, "pinDialog")
                    or _visible(window, QDialog, "refundDialog")
                ),
                "neither the PIN nor the refund dialog opened",
            )
    confirm = _child(refund, QPushButton, "confirmRefundButton")
    await _wait(confirm.isEnabled, "the refund could not be confirmed")
    confirm.click()
    dialog = await _wait(lambda: window.flow.dialog, "no refund dialog followed")
    state = await _wait(
        lambda: _final(dialog.property("state")), "the refund did not end", STEP_SECONDS
    )
    if state != "approved":
        raise SoakError(f"the refund ended {state}")
    _click(dialog, QPushButton, "newSaleButton")  # labelled Done on a refund
    tools = window.tools
    await _wait(
        lambda: not window.flow.busy and (tools is None or not tools.slot.running),
        "the refund did not finish",
    )


# -- helpers ---------------------------------------------------------------------------------


class _ApprovalClock:
    """Times approve-to-screen: last poll response before the approval -> first paint."""

    def __init__(self, lane: Lane) -> None:
        from PySide6.QtCore import QEvent, QObject

        self._poll_at = 0.0
        self._approved_poll_at: float | None = None
        self._painted_at: float | None = None
        self._dialog: QWidget | None = None
        self._label: Any = None
        client = getattr(getattr(lane.client, "http", None), "_client", None)
        if client is None:
            raise SoakError("the lane's HTTP client cannot be observed")
        client.event_hooks["response"].append(self._on_response)
        clock = self

        class PaintWatch(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint:
                    clock._on_paint()
                return False

        self._filter = PaintWatch()

    async def _on_response(self, response: Any) -> None:
        request = response.request
        if request.method == "GET" and "/v1/payment_intents/" in request.url.path:
            self._poll_at = time.perf_counter()

    def arm(self) -> None:
        self._approved_poll_at = None
        self._painted_at = None

    def watch(self, dialog: QWidget) -> None:
        from PySide6.QtWidgets import QLabel

        self._dialog = dialog
        self._label = _child(dialog, QLabel, "paymentStatusLabel")
        self._label.installEventFilter(self._filter)

    def unwatch(self) -> None:
        with contextlib.suppress(RuntimeError):  # already deleted
            self._label.removeEventFilter(self._filter)
        self._dialog = self._label = None

    def _on_paint(self) -> None:
        dialog = self._dialog
        if dialog is None or self._painted_at is not None:
            return
        if dialog.property("state") == "approved":
            self._painted_at = time.perf_counter()
            self._approved_poll_at = self._poll_at

    def shown_after(self) -> float | None:
        """Milliseconds from the approving response to the paint, once painted."""
        if self._painted_at is None or self._approved_poll_at is None:
            return None
        return max(0.0, (self._painted_at - self._approved_poll_at) * 1000)


async def _wait(
    condition: Callable[[], Any], failure: str | Callable[[], str], within: float = 20.0
) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not (value := condition()):
        if loop.time() > deadline:
            raise SoakError(failure if isinstance(failure, str) else failure())
        await asyncio.sleep(0.005)
    return value


async def _wait_ready(window: MainWindow, charge: Any) -> None:
    """Wait for Charge to enable. The terminal reads busy until the picker's next refresh
    after a sale; a till refreshes every 3 s, and on the soak's 20x clock every 0.15 s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STEP_SECONDS
    while not charge.isEnabled():
        if loop.time() > deadline:
            raise SoakError(f"Charge stayed disabled: {window.charge_hint.text()}")
        window.picker.refresh_soon()
        await asyncio.sleep(REFRESH_SECONDS)


async def _slot_done(task: asyncio.Task[Any] | None) -> None:
    if task is not None:
        async with asyncio.timeout(STEP_SECONDS):
            await asyncio.wait([task])


def _child(parent: QWidget, kind: type[Any], name: str) -> Any:
    found = parent.findChild(kind, name)
    if found is None:
        raise SoakError(f"no {name} on {parent.objectName() or type(parent).__name__}")
    return found


def _click(parent: QWidget, kind: type[Any], name: str) -> None:
    button = _child(parent, kind, name)
    if not button.isEnabled():
        raise SoakError(f"{name} is disabled")
    button.click()


def _pin_step_taken(pin: Any) -> bool:
    return not pin.isVisible() or not pin.pin_edit.text()


def _visible(parent: QWidget, kind: type[Any], name: str) -> Any:
    for found in parent.findChildren(kind, name):
        if found.isVisible():
            return found
    return None


# -- command line ----------------------------------------------------------------------------


def main(argv: Sequence[str]) -> int:
    """`pos-app --self-test --soak N` / `--soak-idle SECONDS` [--every E] [--json PATH]."""
    parser = argparse.ArgumentParser(prog="pos-app --self-test", description=__doc__)
    parser.add_argument("--self-test", action="store_true")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--soak", type=int, metavar="SALES", help="sales through the window")
    group.add_argument("--soak-idle", type=float, metavar="SECONDS", help="leave the till alone")
    parser.add_argument("--every", type=float, help="a row every N sales (100) or seconds (300)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="append one JSON line")
    args = parser.parse_args(list(argv))
    return run(
        sales=args.soak or 0,
        idle_seconds=args.soak_idle or 0.0,
        every=args.every,
        json_path=args.json,
    )


def wanted(argv: Sequence[str]) -> bool:
    """Whether `argv` asks for the soak (`--self-test` with `--soak` or `--soak-idle`)."""
    names = {arg.split("=", 1)[0] for arg in argv}
    return "--self-test" in names and bool(names & {"--soak", "--soak-idle"})
