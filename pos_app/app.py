"""GUI composition root: QApplication, one qasync loop, services, the window.

With no JustiFi credentials the window runs in demo mode: the built-in
sandbox as a child process (its state kept in the user data dir), a DEMO
badge and the virtual-terminal window. With credentials the badge says TEST
or LIVE.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from pos_app.cli import Lane, UsageError, launch_demo_sandbox, open_lane
from pos_app.config import (
    Settings,
    SettingsError,
    config_dir,
    data_dir,
    load_settings,
    log_dir,
)
from pos_app.sandbox.remote import SandboxProcess
from pos_app.selftest import exit_when_shown

log = logging.getLogger("pos_app.app")

CANNOT_START = (
    "The till cannot start: {problem}\n\n"
    "A manager can fix this in the lane's environment or in settings.toml in {folder}."
    " To try the till without a JustiFi account, start it in demo mode (POS_DEMO=1)."
)


def run_app(argv: Sequence[str] = ()) -> int:
    """Open the cashier window until it is closed."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        return cannot_start(str(exc), argv)
    # The demo's sandbox comes up in its own process while Qt loads and the window is built.
    sandbox = launch_demo_sandbox(settings) if settings.is_demo else None
    try:
        return _run_qt(settings, sandbox, argv)
    finally:
        if sandbox is not None:
            sandbox.stop()


def _run_qt(settings: Settings, sandbox: SandboxProcess | None, argv: Sequence[str]) -> int:
    os.environ.setdefault("QT_API", "pyside6")  # the one binding qasync may use
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    QApplication.setApplicationName("pos-app")
    QApplication.setOrganizationName("pos-app")
    QApplication.setApplicationDisplayName("Counter POS")
    # The loop ends when run_window() returns (after the sandbox and clients are closed),
    # not when Qt sees the last window go.
    QApplication.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner:
        try:
            return runner.run(run_window(settings, sandbox=sandbox))
        except UsageError as exc:
            problem = str(exc)
    return cannot_start(problem, argv)


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


async def run_window(
    settings: Settings, *, demo: bool | None = None, sandbox: SandboxProcess | None = None
) -> int:
    """Wire the lane and show the window; returns when the window closes.

    The window takes input as soon as it shows; settling unfinished payments and
    the first terminal list follow in the background (Charge waits for them)."""
    demo = settings.is_demo if demo is None else demo
    async with open_lane(settings, demo=demo, sandbox=sandbox) as lane:
        window, control = build_window(lane)
        closed = asyncio.Event()
        window.closed.connect(closed.set)
        _funnel_errors(window)
        window.show()
        if window.virtual_terminal is not None:
            _place_beside(window, window.virtual_terminal)
        starting = asyncio.ensure_future(window.start())
        exit_when_shown(window)
        await closed.wait()
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        if control is not None:
            await control.aclose()
    return 0


def build_window(lane: Lane):  # type: ignore[no-untyped-def]
    """The main window (and the demo's control client) for a wired lane."""
    from PySide6.QtCore import QSettings

    from pos_app.domain.cart import Catalog
    from pos_app.resources import load_catalog
    from pos_app.sandbox.remote import SandboxControl
    from pos_app.services.reports import ReceiptService
    from pos_app.ui.main_window import MainWindow
    from pos_app.ui.virtual_terminal import VirtualTerminalWindow

    settings = lane.settings
    try:
        catalog = load_catalog(data_dir())
    except ValueError:
        log.warning("the shop's catalog could not be read; using none", exc_info=True)
        catalog = Catalog([])
    stored = QSettings()
    control = SandboxControl(lane.sandbox_url) if lane.sandbox_url else None
    virtual = VirtualTerminalWindow(control) if control is not None else None
    window = MainWindow(
        lane.service,
        environment="DEMO" if lane.demo else settings.environment,
        lane=settings.lane,
        catalog=catalog,
        tax_rate_bps=settings.tax_rate_bps,
        max_amount_cents=settings.max_amount_cents,
        # The cashier's last choice on this PC, else the lane's default from the settings.
        remembered_terminal=str(stored.value("lane/terminal_id", "") or "")
        or settings.default_terminal,
        remember_terminal=lambda terminal_id: stored.setValue("lane/terminal_id", terminal_id),
        virtual_terminal=virtual,
        receipts=ReceiptService(
            lane.journal, settings.receipt_header.splitlines(), currency=settings.currency
        ),
        log_path=log_dir() / "pos-app.log",
    )
    attach_manager_tools(
        window,
        lane.journal,
        lane.service,
        lane.client,
        settings,
        data_dir() / "audit.sqlite3",
        demo_url=lane.sandbox_url if lane.demo else None,
    )
    return window, control


def attach_manager_tools(  # type: ignore[no-untyped-def]
    window,
    journal,
    service,
    client,
    settings: Settings,
    audit_path: Path,
    *,
    demo_url: str | None = None,
):
    """History, end of day, the audit log and the settings behind the manager PIN, on the
    till's top bar. Returns the ManagerService (its audit log closes with the window)."""
    from pos_app.config import SettingsFileStore
    from pos_app.justifi.connection import check_connection
    from pos_app.justifi.payments_list import JustifiPaymentsSource
    from pos_app.sandbox.engine import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SUB_ACCOUNT
    from pos_app.secrets import KeyringSecretStore
    from pos_app.services.history import HistoryService
    from pos_app.services.manager import ManagerService
    from pos_app.services.reports import ReportService, ReportSettings
    from pos_app.services.settings import DemoAccount, SettingsService
    from pos_app.storage.audit import SqliteAuditLog
    from pos_app.ui.manager_tools import ManagerTools

    audit = SqliteAuditLog(audit_path)
    window.closed.connect(audit.close)
    manager = ManagerService(audit, audit, lane=settings.lane)
    remote = JustifiPaymentsSource(client) if client is not None else None
    history = HistoryService(journal, remote, service.payment_details, manager=manager)
    reports = ReportService(journal, remote, ReportSettings(currency=settings.currency))
    demo = (
        DemoAccount(demo_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SUB_ACCOUNT)
        if demo_url
        else None
    )
    setup = SettingsService(
        SettingsFileStore(), KeyringSecretStore(), check_connection, demo_account=demo
    )
    tools = ManagerTools(
        window,
        window.flow,
        manager,
        history,
        reports=reports,
        receipts=window.receipt_offer,
        settings=setup,
        lane=settings.lane,
    )
    window.add_manager_tools(tools)
    return manager


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


def _funnel_errors(window) -> None:  # type: ignore[no-untyped-def]
    """One funnel for bugs: log with details, show the cashier a short apology."""
    loop = asyncio.get_running_loop()

    def on_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, object]) -> None:
        error = context.get("exception")
        log.error(
            "unhandled error: %s",
            context.get("message"),
            exc_info=error if isinstance(error, BaseException) else None,
        )
        window.show_bug()

    def on_exception(kind, value, tb) -> None:  # type: ignore[no-untyped-def]
        log.error("unhandled exception", exc_info=(kind, value, tb))
        window.show_bug()

    loop.set_exception_handler(on_loop_error)
    sys.excepthook = on_exception
