"""`pos-app --self-test`: check an installation end to end and say what passed.

Offscreen (QT_QPA_PLATFORM=offscreen unless set), in a temporary data, config
and log folder, so the shop's journal and settings are never touched: the
shipped resources load, the keyring backends load, a page prints to PDF, the
built-in sandbox starts as a child process (the same executable, also when
frozen), the main window opens, lists the terminals and closes, and a charge and
a refund on the sandbox's `trm_front` go through the real services. The Qt
binding keeps the reference counts of None, True and False level (issue 9:
`pos_app.ui.refcount_guard`). One line per check, OK or FAILED; exit 0 only
when every check passed.

`--self-test --soak N` / `--soak-idle SECONDS` is the developer's soak instead
(`pos_app.soak`).
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import logging
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from pos_app.domain.errors import user_message

if TYPE_CHECKING:
    from pos_app.services.payments import PaymentRun
    from pos_app.wiring import Lane


TERMINAL = "trm_front"  # the sandbox's front counter: its customer taps by itself
CHARGE_CENTS = 1000  # $10.00: an amount the sandbox approves
REFUND_CENTS = 500  # $5.00 of it back, on the same terminal
TIME_SCALE = 20.0  # the sandbox's clock runs 20x: the customer taps after 0.15 s
POLL_INTERVAL = 0.1
STEP_SECONDS = 30.0  # each check gives up after this long
WATCHDOG_SECONDS = 180.0  # a hang the checks cannot see (a blocked call) ends the process
_ISOLATED_DIRS = ("POS_DATA_DIR", "POS_CONFIG_DIR", "POS_LOG_DIR")


class CheckFailedError(Exception):
    """A check found something wrong; the message says what."""


class _NotRunError(Exception):
    """A check that could not run because an earlier one failed."""


@dataclass
class _Report:
    """Prints one line per check and remembers the outcomes."""

    out: TextIO
    passed: int = 0
    failed: list[str] = field(default_factory=list)

    def line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def check(self, name: str, step: Callable[[], Awaitable[str]]) -> bool:
        """Run one check within STEP_SECONDS; OK with its detail, or FAILED with why."""
        try:
            async with asyncio.timeout(STEP_SECONDS):
                detail = await step()
        except _NotRunError as exc:
            self._fail(name, f"not run ({exc})")
            return False
        except TimeoutError:
            self._fail(name, f"no result within {STEP_SECONDS:g} s")
            return False
        except Exception as exc:  # noqa: BLE001 - every failure is reported, none raised
            self._fail(name, _describe(exc))
            return False
        self.passed += 1
        self.line(f"OK      {name}: {detail}")
        return True

    def _fail(self, name: str, why: str) -> None:
        self.failed.append(name)
        self.line(f"FAILED  {name}: {why}")


def run_self_test(out: TextIO | None = None) -> int:
    """Run every check; 0 when all passed, 1 otherwise."""
    stream = out if out is not None else sys.stdout
    if stream is None:  # a windowed executable on Windows: use pos-app-console
        stream = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives until exit
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_API", "pyside6")
    watchdog = _start_watchdog()
    report = _Report(stream)
    try:
        with (
            tempfile.TemporaryDirectory(
                prefix="pos-app-self-test-", ignore_cleanup_errors=True
            ) as temp,
            isolated_folders(Path(temp)),
        ):
            _run_checks(report, Path(temp))
    finally:
        if watchdog:
            faulthandler.cancel_dump_traceback_later()
    total = report.passed + len(report.failed)
    if report.failed:
        report.line(f"self-test FAILED: {len(report.failed)} of {total} checks failed")
        return 1
    report.line(f"self-test passed: {total} checks OK")
    return 0


# -- the checks ------------------------------------------------------------------------------


def _run_checks(report: _Report, temp: Path) -> None:
    import qasync
    from PySide6.QtWidgets import QApplication

    report.line(f"pos-app self-test: {_describe_build()}")
    app = QApplication.instance() or QApplication([sys.argv[0]])
    # Closing the main window must not end the loop: the payment checks come after it.
    QApplication.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        runner.run(_checks(report, temp))


async def _checks(report: _Report, temp: Path) -> None:
    errors: list[str] = []
    asyncio.get_running_loop().set_exception_handler(
        lambda _loop, context: errors.append(str(context.get("message") or context))
    )
    # An exception in a Qt slot reaches sys.excepthook, not the loop.
    saved_hook = sys.excepthook
    sys.excepthook = lambda kind, value, _tb: errors.append(f"{kind.__name__}: {value}")
    stack = contextlib.AsyncExitStack()
    try:
        await report.check("resources", lambda: _check_resources(temp))
        await report.check("keyring backends", _check_keyring)
        await report.check("store driver", _check_store_driver)
        await report.check("Qt", _check_qt)
        await report.check("Qt reference counts", _check_reference_counts)
        await report.check("printing", lambda: _check_printing(temp))
        settings_holder: list[Any] = []
        await report.check("settings", lambda: _check_settings(settings_holder))
        lane_holder: list[Lane] = []
        await report.check(
            "sandbox started", lambda: _check_sandbox(stack, settings_holder, lane_holder)
        )
        await report.check("main window", lambda: _check_window(_lane(lane_holder)))
        charge_holder: list[str] = []
        await report.check("charge", lambda: _check_charge(_lane(lane_holder), charge_holder))
        await report.check("refund", lambda: _check_refund(_lane(lane_holder), charge_holder))
        await report.check("journal", lambda: _check_journal(_lane(lane_holder)))
        await report.check("sandbox stopped", lambda: _check_sandbox_stopped(stack, lane_holder))
        await report.check("no unhandled errors", lambda: _check_no_errors(errors))
    finally:
        await stack.aclose()  # a no-op once "sandbox stopped" closed it
        sys.excepthook = saved_hook


def _lane(holder: list[Lane]) -> Lane:
    if not holder:
        raise _NotRunError("the sandbox did not start")
    return holder[0]


async def _check_resources(temp: Path) -> str:
    from pos_app.resources import CATALOG_FILE_NAME, load_catalog, resource_path

    catalog = load_catalog(temp / "no-shop-catalog-here")
    items = len(catalog)
    if not items:
        raise CheckFailedError(f"the sample catalog is empty ({resource_path(CATALOG_FILE_NAME)})")
    return f"sample catalog with {items} items ({resource_path(CATALOG_FILE_NAME)})"


async def _check_keyring() -> str:
    # Load every backend keyring knows (frozen: the hidden imports and the
    # metadata the bundle needs); never read or write a secret.
    from importlib.metadata import entry_points

    native = {"linux": "SecretService", "win32": "Windows", "darwin": "macOS"}.get(sys.platform)
    found = entry_points(group="keyring.backends")
    loaded: list[str] = []
    failed: list[str] = []
    for entry in found:
        try:
            entry.load()
        except Exception:  # noqa: BLE001 - optional backends may need absent libraries
            failed.append(entry.name)
        else:
            loaded.append(entry.name)
    if not loaded:
        raise CheckFailedError("no keyring backend found (is keyring's metadata in the bundle?)")
    if native is not None and native not in loaded:
        raise CheckFailedError(f"the {native} backend does not load (loaded: {loaded})")
    skipped = f" (not on this computer: {', '.join(sorted(failed))})" if failed else ""
    return "loaded " + ", ".join(sorted(loaded)) + skipped


async def _check_store_driver() -> str:
    # The store's PostgreSQL driver and the libpq it carries (frozen: psycopg finds its
    # binary module by name); nothing connects.
    import psycopg
    from psycopg import pq

    if pq.__impl__ not in ("binary", "c"):
        raise CheckFailedError(f"psycopg runs on its {pq.__impl__} implementation, not libpq's own")
    return f"psycopg {psycopg.__version__} ({pq.__impl__}), libpq {pq.version()}"


async def _check_qt() -> str:
    from PySide6 import __version__ as pyside_version
    from PySide6.QtGui import QGuiApplication

    return f"PySide6 {pyside_version}, platform {QGuiApplication.platformName()}"


async def _check_reference_counts() -> str:
    # A binding that leaks references to None or True aborts the till after a few
    # hundred sales (issue 9: PySide6 6.12.0 on CPython 3.11): catch it here.
    from pos_app.ui.refcount_guard import check_reference_counts

    guard = check_reference_counts()
    if not guard.passed:
        raise CheckFailedError(guard.summary())
    return guard.summary()


async def _check_printing(temp: Path) -> str:
    # QtPrintSupport (receipts) prints a page to a PDF file: no printer needed.
    from PySide6.QtGui import QPainter
    from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

    path = temp / "self-test.pdf"
    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    painter = QPainter()
    if not painter.begin(printer):
        raise CheckFailedError("Qt cannot print to a PDF file")
    painter.drawText(100, 100, "pos-app self-test")
    painter.end()
    if not path.is_file() or not path.read_bytes().startswith(b"%PDF"):
        raise CheckFailedError("the PDF was not written")
    printers = len(QPrinterInfo.availablePrinterNames())
    return f"a page printed to PDF; {printers} printer(s) set up on this computer"


async def _check_settings(holder: list[Any]) -> str:
    from pos_app.config import load_settings

    settings = load_settings(
        sandbox_time_scale=TIME_SCALE, poll_interval=POLL_INTERVAL, lane="self-test"
    )
    holder.append(settings)
    return "environment and defaults read (the shop's settings file is not used)"


async def _check_sandbox(
    stack: contextlib.AsyncExitStack, settings: list[Any], holder: list[Lane]
) -> str:
    from pos_app.sandbox.remote import sandbox_command
    from pos_app.wiring import open_lane

    if not settings:
        raise _NotRunError("no settings")
    lane = await stack.enter_async_context(open_lane(settings[0], demo=True))
    holder.append(lane)
    program, *args = sandbox_command()
    return f"`{Path(program).name} {' '.join(args)}` child process at {lane.sandbox_url}"


async def _check_window(lane: Lane) -> str:
    from pos_app.app import build_window

    window, control = build_window(lane)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    try:
        window.show()
        if window.virtual_terminal is not None:
            window.virtual_terminal.show()
        await window.start()
        terminals = await _wait_for(
            lambda: [t.id for t in window.picker.terminals()], "no terminals listed"
        )
        if TERMINAL not in terminals:
            raise CheckFailedError(f"{TERMINAL} is not among the terminals {terminals}")
        virtual = window.virtual_terminal
        if virtual is not None:
            await _wait_for(lambda: virtual.panel(TERMINAL), "the virtual terminals stay empty")
        title = window.windowTitle()
    finally:
        window.close()
        if window.virtual_terminal is not None:
            await window.virtual_terminal.wait_idle()
        if control is not None:
            await control.aclose()
    if not closed.is_set():
        raise CheckFailedError("the window did not close")
    return f"'{title}' opened with {len(terminals)} terminals, and closed"


async def _check_charge(lane: Lane, holder: list[str]) -> str:
    from pos_app.domain.money import Money

    await _wait_for(lambda: _terminal_ready(lane), f"{TERMINAL} is not ready")
    run = await lane.service.charge(CHARGE_CENTS, TERMINAL, "pos-app self-test")
    state = await _final_state(run)
    if state.name.value != "approved" or not state.payment_id:
        raise CheckFailedError(f"ended {state.name.value} ({state.decline_code or 'no code'})")
    holder.append(state.payment_id)
    return f"{Money(CHARGE_CENTS).format()} approved on {TERMINAL}, payment {state.payment_id}"


async def _check_refund(lane: Lane, charged: list[str]) -> str:
    from pos_app.domain.money import Money

    if not charged:
        raise _NotRunError("no approved charge")
    payment = await lane.service.payment_details(charged[0])
    await _wait_for(lambda: _terminal_ready(lane), f"{TERMINAL} is not ready")
    run = await lane.service.refund_on_terminal(payment, REFUND_CENTS, TERMINAL)
    state = await _final_state(run)
    if state.name.value != "approved":
        raise CheckFailedError(f"ended {state.name.value} ({state.decline_code or 'no code'})")
    return f"{Money(REFUND_CENTS).format()} refunded on {TERMINAL}, refund {state.refund_id}"


async def _check_journal(lane: Lane) -> str:
    from pos_app.services.ports import HistoryQuery

    ops = lane.journal.history(HistoryQuery(limit=10))
    seen = sorted(f"{op.kind.value} {op.status}" for op in ops)
    if seen != ["charge approved", "refund approved"]:
        raise CheckFailedError(f"the journal holds {seen or 'nothing'}")
    return "charge and refund recorded (in the temporary data folder)"


async def _check_sandbox_stopped(stack: contextlib.AsyncExitStack, holder: list[Lane]) -> str:
    import httpx

    url = _lane(holder).sandbox_url
    await stack.aclose()  # closes the lane: the journal, then the sandbox child
    if url is None:
        raise CheckFailedError("the lane had no sandbox")

    async def refused() -> bool:
        try:
            async with httpx.AsyncClient(timeout=1.0) as client:
                await client.get(url + "/_sandbox/state")
        except httpx.TransportError:
            return True
        return False

    deadline = asyncio.get_running_loop().time() + 10
    while not await refused():
        if asyncio.get_running_loop().time() > deadline:
            raise CheckFailedError(f"{url} still answers after the lane closed")
        await asyncio.sleep(0.1)
    return "the child process is gone"


async def _check_no_errors(errors: list[str]) -> str:
    if errors:
        raise CheckFailedError("; ".join(errors[:3]))
    return "none reached the event loop"


# -- helpers ---------------------------------------------------------------------------------


async def _wait_for(condition: Callable[[], Any], failure: str, within: float = 20.0) -> Any:
    """Poll `condition` (sync, or a coroutine function's result) until truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if loop.time() > deadline:
            raise CheckFailedError(failure)
        await asyncio.sleep(0.05)


async def _terminal_ready(lane: Lane) -> bool:
    terminals = await lane.service.list_terminals()
    return any(t.id == TERMINAL and t.is_ready for t in terminals)


async def _final_state(run: PaymentRun) -> Any:
    from pos_app.domain.payment_flow import is_final

    last = None
    async for state in run:
        last = state
    if last is None or not is_final(last):
        raise CheckFailedError("the payment ended without an outcome")
    return last


def _describe(exc: BaseException) -> str:
    message = user_message(exc) or str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _describe_build() -> str:
    from pos_app import __version__

    kind = "frozen bundle" if getattr(sys, "frozen", False) else "source"
    return f"version {__version__}, {kind}, Python {sys.version.split()[0]}, {sys.platform}"


def _start_watchdog() -> bool:
    # faulthandler's watchdog is a C thread: it runs no Python code (no garbage
    # collection off the GUI thread), dumps where the process hung, and exits.
    stderr = sys.stderr
    if stderr is None:
        return False
    try:
        faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True, file=stderr)
    except (ValueError, OSError, AttributeError):  # no usable stderr file descriptor
        return False
    return True


@contextlib.contextmanager
def isolated_folders(temp: Path) -> Iterator[None]:
    """Data, config, log and Qt settings folders inside `temp`; the old values after."""
    from PySide6.QtCore import QSettings

    saved = {name: os.environ.get(name) for name in _ISOLATED_DIRS}
    for name in _ISOLATED_DIRS:
        folder = temp / name.removeprefix("POS_").removesuffix("_DIR").lower()
        folder.mkdir()
        os.environ[name] = str(folder)
    # QSettings() (the remembered terminal) defaults to the registry on Windows:
    # an ini file in `temp` instead, on every platform.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, str(temp / "qsettings"))
    try:
        yield
    finally:
        _close_log_files(temp)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _close_log_files(temp: Path) -> None:
    """Detach the log handlers `open_lane` added for `temp` (Windows cannot delete open files)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        filename = getattr(handler, "baseFilename", "")
        if filename and Path(filename).is_relative_to(temp):
            root.removeHandler(handler)
            handler.close()
