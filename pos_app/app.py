"""GUI composition root: Qt start-up and the window, the till's screen first.

Start-up runs in two stages so the cashier sees the till at once:

1. Qt, the settings' first look (`first_look`: environment and settings.toml,
   no pydantic) and the window with the sale on it (cart, quick items, amount
   keypad, scanner): shown and painted, it takes input. Nothing of the engine
   is imported yet: no httpx, pydantic, asyncio or qasync.
2. Behind it, one step per turn of Qt's loop so typing stays live: the full
   settings (a problem closes the window with the "cannot start" message,
   exit 3), the demo's sandbox child process, the engine's modules, qasync.
   Then, on the qasync loop, the lane is wired and attached to the window (the
   terminal picker, Charge, receipts) with the manager tools, and the till
   asks who is working (the owner's set-up on a lane with nobody yet). Until
   then Charge says it is connecting; a sale typed meanwhile stays.

With no JustiFi credentials the window runs in demo mode: the built-in
sandbox as a child process (its state kept in the user data dir), a DEMO
badge and the virtual-terminal window, whose virtual drawer is the till's
cash drawer (elsewhere the receipt printer's drawer, or none). With credentials the badge says TEST
or LIVE.
"""

from __future__ import annotations

import functools
import gc
import importlib
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pos_app.first_look import FirstLook, read_first_look
from pos_app.folders import config_dir, data_dir, log_dir

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication

    from pos_app.config import Settings
    from pos_app.domain.cart import Catalog
    from pos_app.justifi.client import JustifiClient
    from pos_app.sandbox.remote import SandboxControl, SandboxProcess
    from pos_app.services.drawer import CashDrawer
    from pos_app.services.manager import ManagerService
    from pos_app.services.payments import PaymentService
    from pos_app.storage.journal import SqliteJournal
    from pos_app.ui.main_window import MainWindow
    from pos_app.wiring import Lane, ManagerServices

log = logging.getLogger("pos_app.app")

CANNOT_START = (
    "The till cannot start: {problem}\n\n"
    "A manager can fix this in the lane's environment or in settings.toml in {folder}."
    " To try the till without a JustiFi account, start it in demo mode (POS_DEMO=1)."
)
#: What the second stage imports, a few modules per turn of Qt's loop (each turn
#: lets the window paint and take keys): the engine (httpx, the JustiFi client, the
#: journal), qasync, and the window's own engine-side modules.
ENGINE_MODULES = (
    ("httpx",),
    ("pos_app.justifi.gateway", "pos_app.justifi.http", "pos_app.storage.journal"),
    ("pos_app.services.payments", "pos_app.services.history", "pos_app.services.reports"),
    ("qasync",),
    ("pos_app.ui.sale_flow", "pos_app.ui.terminal_picker", "pos_app.ui.receipt_offer"),
    ("pos_app.ui.virtual_terminal", "pos_app.ui.manager_tools"),
    ("pos_app.ui.till_flow", "pos_app.ui.till_controls", "pos_app.ui.shift_tools"),
)


def run_app(argv: Sequence[str] = ()) -> int:
    """Open the cashier window until it is closed."""
    os.environ.setdefault("QT_API", "pyside6")  # the one binding qasync may use
    # The files first (no Qt needed): modules imported once PySide6 is loaded pass
    # through its import hook, which reads each one's source.
    look = read_first_look()
    catalog = _catalog()
    from PySide6.QtWidgets import QApplication

    from pos_app.ui.shown import exit_when_shown

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    QApplication.setApplicationName("pos-app")
    QApplication.setOrganizationName("pos-app")
    QApplication.setApplicationDisplayName("Counter POS")
    # The loop ends when the window's work is done (the sandbox and clients closed),
    # not when Qt sees the last window go.
    QApplication.setQuitOnLastWindowClosed(False)
    window = first_window(look, catalog)
    window.show()
    window.take_keys()
    exit_when_shown(window)  # the benchmark's hook paints it now; else Qt's loop does
    gc.enable()  # off while the window was built (pos_app.entry)
    if not window.isVisible():
        return 0  # the start-up benchmark's hook closed it
    start = _Startup(window)
    try:
        start.run(app)
        if start.problem is not None:
            window.close()
            return cannot_start(start.problem, argv)
        if start.settings is None or not window.isVisible():
            return 0  # closed while the engine loaded
        problem = _run_engine(app, window, start.settings, start.sandbox)
    finally:
        if start.sandbox is not None:
            start.sandbox.stop()
    if problem is not None:
        window.close()
        return cannot_start(problem, argv)
    return 0


def first_window(look: FirstLook, catalog: Catalog) -> MainWindow:
    """The till's window without its engine: once shown, `take_keys()` and it takes a
    sale (the keypad and quick items take clicks at once)."""
    from pos_app.ui.main_window import MainWindow

    return MainWindow(
        environment=look.environment,
        lane=look.lane,
        catalog=catalog,
        tax_rate_bps=look.tax_rate_bps,
        max_amount_cents=look.max_amount_cents,
        log_path=log_dir() / "pos-app.log",
        take_keys=False,  # once shown: app-wide filters would see every event of the build
    )


class _Startup:
    """The second stage's steps before the qasync loop, one per turn of Qt's loop."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.settings: Settings | None = None
        self.sandbox: SandboxProcess | None = None
        self.problem: str | None = None
        self._error: BaseException | None = None

    def run(self, app: QCoreApplication) -> None:
        """Run the steps on Qt's loop; returns when they are done, a step failed or the
        window was closed."""
        from PySide6.QtCore import QTimer

        steps: list[Callable[[], None]] = [self._load_settings, self._launch_sandbox]
        steps += [functools.partial(_import, names) for names in ENGINE_MODULES]
        pending = iter(steps)

        def next_step() -> None:
            step = next(pending, None)
            if step is None or self.problem is not None or not self.window.isVisible():
                app.exit(0)
                return
            try:
                step()
            except BaseException as exc:  # noqa: BLE001 - re-raised below, outside Qt's loop
                self._error = exc
                app.exit(0)
                return
            QTimer.singleShot(0, next_step)

        QTimer.singleShot(0, next_step)
        app.exec()
        if self._error is not None:
            raise self._error

    def _load_settings(self) -> None:
        from pos_app.config import SettingsError, load_settings

        try:
            settings = load_settings()
        except SettingsError as exc:
            self.problem = str(exc)
            return
        self.settings = settings
        self.window.configure(
            environment="DEMO" if settings.is_demo else settings.environment,
            lane=settings.lane,
            tax_rate_bps=settings.tax_rate_bps,
            max_amount_cents=settings.max_amount_cents,
        )

    def _launch_sandbox(self) -> None:
        # The demo's sandbox comes up in its own process while the engine's modules load.
        from pos_app.wiring import launch_demo_sandbox

        if self.settings is not None and self.settings.is_demo:
            self.sandbox = launch_demo_sandbox(self.settings)


def _import(names: Sequence[str]) -> None:
    for name in names:
        importlib.import_module(name)


def _run_engine(
    app: QCoreApplication, window: MainWindow, settings: Settings, sandbox: SandboxProcess | None
) -> str | None:
    """Wire the lane behind the shown window on one qasync loop until the window closes;
    the problem that stopped the lane, if any."""
    import asyncio

    import qasync

    from pos_app.wiring import UsageError

    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        try:
            runner.run(serve_window(window, settings, sandbox))
        except UsageError as exc:
            return str(exc)
    return None


async def serve_window(
    window: MainWindow, settings: Settings, sandbox: SandboxProcess | None
) -> None:
    """Wire the lane, attach it to the shown window; returns when the window closes.

    Settling unfinished payments and the first terminal list follow in the
    background (Charge waits for them)."""
    import asyncio

    from pos_app.ui.bugs import install_bug_funnel
    from pos_app.wiring import open_lane

    closed = asyncio.Event()
    window.closed.connect(closed.set)
    install_bug_funnel(window)
    async with open_lane(settings, demo=settings.is_demo, sandbox=sandbox) as lane:
        if not window.isVisible():
            return  # closed while the lane was wired
        control = attach_lane(window, lane)
        if window.virtual_terminal is not None:
            _place_beside(window, window.virtual_terminal)
        if window.tools is not None:
            # Who is working: the owner's set-up on a lane with nobody yet, else the sign-in.
            window.tools.session.start()
        starting = asyncio.ensure_future(window.start())
        await closed.wait()
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        if control is not None:
            await control.aclose()


def cannot_start(problem: str, argv: Sequence[str] = ()) -> int:
    """Say why the till cannot start, on stderr and, where someone can see it, in a
    message box (a till started from its icon has no console); exit code 3."""
    print(f"pos-app: {problem}", file=sys.stderr)
    os.environ.setdefault("QT_API", "pyside6")
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    if QGuiApplication.platformName() not in ("offscreen", "minimal"):
        # The asyncio loop is not running here: a modal box's own loop is safe.
        message = CANNOT_START.format(problem=problem, folder=config_dir())
        QMessageBox.critical(None, "Counter POS", message)
    del app
    return 3


def build_window(lane: Lane) -> tuple[MainWindow, SandboxControl | None]:
    """The complete main window (and the demo's control client) for a wired lane."""
    from pos_app.ui.main_window import MainWindow

    settings = lane.settings
    window = MainWindow(
        environment="DEMO" if lane.demo else settings.environment,
        lane=settings.lane,
        catalog=_catalog(),
        tax_rate_bps=settings.tax_rate_bps,
        max_amount_cents=settings.max_amount_cents,
        log_path=log_dir() / "pos-app.log",
    )
    return window, attach_lane(window, lane)


def attach_lane(window: MainWindow, lane: Lane) -> SandboxControl | None:
    """Attach a wired lane to the window: the engine (terminals, Charge, receipts), the
    demo's virtual terminals and the manager tools. Returns the demo's control client."""
    from PySide6.QtCore import QSettings

    from pos_app.sandbox.remote import SandboxControl
    from pos_app.ui.virtual_terminal import VirtualTerminalWindow
    from pos_app.wiring import open_manager_services

    settings = lane.settings
    control = SandboxControl(lane.sandbox_url) if lane.sandbox_url else None
    virtual = VirtualTerminalWindow(control) if control is not None else None
    # Demo mode: the virtual terminals' window shows the drawer opening.
    services = open_manager_services(lane, drawer=virtual.drawer if virtual is not None else None)
    window.closed.connect(services.close)
    stored = QSettings()
    window.attach_engine(
        lane.service,
        receipts=services.receipts,
        # The cashier's last choice on this PC, else the lane's default from the settings.
        remembered_terminal=str(stored.value("lane/terminal_id", "") or "")
        or settings.default_terminal,
        remember_terminal=lambda terminal_id: stored.setValue("lane/terminal_id", terminal_id),
        virtual_terminal=virtual,
    )
    add_manager_tools(window, services)
    if lane.sync is not None:
        # A lane in a store: sending (and the status bar's word on it) while the window lives.
        window.attach_store(lane.sync)
    return control


def add_manager_tools(window: MainWindow, services: ManagerServices) -> None:
    """History, end of day, the audit log, staff and the settings behind a manager's or
    owner's PIN on the till's top bar, and who is signed in (the window's engine is
    attached); then the till's sales as tickets (Cash, Split, the tender panel) and the
    Shift menu. The sign-in itself is asked for by `serve_window`, not here: the tests,
    the soak and the self-test build windows that sign in by themselves."""
    from pos_app.ui.manager_tools import ManagerTools
    from pos_app.ui.shift_tools import ShiftTools

    tools = ManagerTools(
        window,
        window.flow,
        services.manager,
        services.history,
        reports=services.reports,
        receipts=window.receipt_offer,
        settings=services.settings,
        lane=services.manager.lane,
        store_view=services.store_view,
    )
    window.add_manager_tools(tools)
    window.attach_till(services.sales, services.shifts)
    window.add_shift_tools(ShiftTools(window, services.shifts, services.manager))


def _catalog() -> Catalog:
    from pos_app.domain.cart import Catalog
    from pos_app.resources import load_catalog

    try:
        return load_catalog(data_dir())
    except ValueError:
        log.warning("the shop's catalog could not be read; using none", exc_info=True)
        return Catalog([])


def attach_manager_tools(
    window: MainWindow,
    journal: SqliteJournal,
    service: PaymentService,
    client: JustifiClient | None,
    settings: Settings,
    audit_path: Path,
    *,
    demo_url: str | None = None,
    drawer: CashDrawer | None = None,
) -> ManagerService:
    """The manager tools for a window wired by hand (the GUI tests, the screenshots):
    the lane's manager services from `wiring`, the audit log at `audit_path` (it closes
    with the window), the cash drawer `drawer` (default: the settings'). Returns the
    ManagerService."""
    from pos_app.wiring import Lane, open_manager_services

    lane = Lane(settings, service, journal, demo_url is not None, demo_url, client)
    services = open_manager_services(lane, audit_path, drawer=drawer)
    window.closed.connect(services.close)
    add_manager_tools(window, services)
    return services.manager


def _place_beside(window, virtual) -> None:  # type: ignore[no-untyped-def]
    """Show the virtual terminals to the right of the till, as far as the screen allows;
    where they must overlap, the till stays in front (its toolbar button raises them)."""
    screen = window.screen().availableGeometry()
    window.move(screen.topLeft())
    room = screen.width() - window.frameGeometry().width()
    virtual.resize(min(max(room, 720), 960), min(virtual.height(), screen.height() - 40))
    virtual.move(screen.right() - virtual.frameGeometry().width() + 1, screen.top())
    virtual.show()
    if room < virtual.frameGeometry().width():
        window.raise_()
        window.activateWindow()
