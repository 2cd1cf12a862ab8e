"""The one composition root: a lane (gateway, journal, engine) and the manager's services.

The CLI, the window, the self-test, the soak and the tests wire the same pieces
here; each client keeps only its own input and output. No Qt and no entry
point is imported here (an import-linter contract says so).

The engine's modules (httpx, the JustiFi client, the journal) and the settings
(pydantic) are imported inside the functions, so importing `wiring` costs the
till's start-up nothing.

A lane in a store (`store_url`) also gets its sync task (`Lane.sync`: the journal's
outbox, and the audit log's once the manager's services are open) and the store's
view (`Lane.store_view`); nothing of the store is imported without one. Every
command that opened the lane tries to send what waits before it exits, for at most
`STORE_DRAIN_SECONDS`, without changing its answer or its exit code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pos_app.domain.errors import ConfigurationError

if TYPE_CHECKING:
    from pos_app.config import Settings
    from pos_app.justifi.client import JustifiClient
    from pos_app.justifi.gateway import JustifiGateway
    from pos_app.justifi.http import JustifiHttp
    from pos_app.sandbox.remote import SandboxProcess
    from pos_app.services.audit_log import AuditAction, DetailValue
    from pos_app.services.drawer import CashDrawer
    from pos_app.services.history import HistoryService
    from pos_app.services.manager import ManagerService
    from pos_app.services.payments import EngineSettings, PaymentService
    from pos_app.services.reports import PaymentsSource, ReceiptService, ReportService
    from pos_app.services.sales import SaleService
    from pos_app.services.settings import SettingsService, StoreCheckReport
    from pos_app.services.shifts import ShiftService
    from pos_app.services.store_ports import SharedPull, StoreView
    from pos_app.services.store_sync import StoreSync
    from pos_app.services.store_view import StoreViewService
    from pos_app.storage.audit import SqliteAuditLog
    from pos_app.storage.journal import SqliteJournal
    from pos_app.storage.store.connection import StoreAddress

#: Attempts per call for the terminal list and the manager's lists (history, end of
#: day); the payment engine's own calls are single attempts: it owns the retry policy.
LIST_ATTEMPTS = 3
REPORT_TIMEOUT_SECONDS = 15.0  # a page of 100 payments may be slow
REPORT_CONNECT_SECONDS = 5.0
JOURNAL_FILE = "journal.sqlite3"
AUDIT_FILE = "audit.sqlite3"
DEMO_SANDBOX_FILE = "demo-sandbox.sqlite3"
#: How long a command may spend at its exit sending what waits for the store.
STORE_DRAIN_SECONDS = 2.0
#: Where the staff pull keeps how far it reached (the audit file's store_state).
STAFF_CURSOR_KEY = "staff_changed_at"

log = logging.getLogger("pos_app.wiring")


class UsageError(ConfigurationError):
    """Bad input or configuration the lane cannot start with: one line for the user
    (the CLI exits 3, the window says it cannot start)."""


@dataclass
class Lane:
    """Everything a command or the window needs, wired from the settings."""

    settings: Settings
    service: PaymentService
    journal: SqliteJournal
    demo: bool
    sandbox_url: str | None = None
    client: JustifiClient | None = None  # for the manager's lists (history, end of day)
    sync: StoreSync | None = None  # a lane in a store: what sends its records there
    store_view: StoreView | None = None  # a lane in a store: every lane's records


@contextlib.asynccontextmanager
async def open_lane(
    settings: Settings, *, demo: bool, sandbox: SandboxProcess | None = None
) -> AsyncIterator[Lane]:
    """Wire gateway, journal and engine; with `demo`, the built-in sandbox (`sandbox`, when
    the caller launched it already; it is stopped at the end either way)."""
    if demo and sandbox is None:
        sandbox = launch_demo_sandbox(settings)
    try:
        async with _wired_lane(settings, demo, sandbox) as lane:
            yield lane
    finally:
        if sandbox is not None:
            sandbox.stop()


@dataclass(frozen=True)
class Account:
    """Where and as whom the lane talks to JustiFi (or to a sandbox)."""

    api_url: str
    client_id: str
    client_secret: str = field(repr=False)
    sub_account: str | None


@dataclass
class Engine:
    """The payment engine on its journal and gateway, and the clients behind them."""

    service: PaymentService
    journal: SqliteJournal
    gateway: JustifiGateway
    http: JustifiHttp
    reports: JustifiClient  # the manager's lists (history, end of day)


@contextlib.asynccontextmanager
async def open_engine(
    account: Account,
    journal_path: Path,
    engine: EngineSettings,
    *,
    flow: str = "payment_intent",
    currency: str = "usd",
    list_attempts: int | None = LIST_ATTEMPTS,
    http_options: Mapping[str, Any] | None = None,
) -> AsyncIterator[Engine]:
    """Wire the journal at `journal_path`, the JustiFi client for `account` and the engine;
    both are closed at the end. `list_attempts` None gives the terminal list the engine's
    single attempts; `http_options` tune `JustifiHttp` (the tests' short backoffs)."""
    import httpx

    from pos_app import __version__
    from pos_app.justifi.client import JustifiClient
    from pos_app.justifi.gateway import JustifiGateway
    from pos_app.justifi.http import JustifiHttp
    from pos_app.services.payments import PaymentService
    from pos_app.storage.journal import SqliteJournal

    journal = SqliteJournal(journal_path)
    try:
        async with httpx.AsyncClient() as client:
            http = JustifiHttp(
                account.api_url,
                account.client_id,
                account.client_secret,
                account.sub_account,
                client=client,
                user_agent=f"pos-app/{__version__}",
                **(http_options or {}),
            )
            # The engine's calls are single attempts (it owns the retry policy); the
            # terminal list and the manager's reports keep a small budget.
            lists = JustifiClient(http.with_attempts(list_attempts)) if list_attempts else None
            gateway = JustifiGateway(JustifiClient(http), flow, currency, lists=lists)
            report_timeout = httpx.Timeout(REPORT_TIMEOUT_SECONDS, connect=REPORT_CONNECT_SECONDS)
            reports = JustifiClient(
                http.with_attempts(list_attempts or LIST_ATTEMPTS, timeout=report_timeout)
            )
            service = PaymentService(
                gateway, journal, engine, open_shift=_open_shift_of(journal, engine.lane)
            )
            yield Engine(service, journal, gateway, http, reports)
    finally:
        journal.close()


def _open_shift_of(journal: SqliteJournal, lane: str | None) -> Callable[[], str | None] | None:
    """The id of `lane`'s open shift, asked at each operation (a charge or refund made
    outside a ticket still belongs to the shift); None for an engine without a lane."""
    if lane is None:
        return None

    def open_shift() -> str | None:
        shift = journal.current_shift(lane)
        return shift.id if shift is not None else None

    return open_shift


@contextlib.asynccontextmanager
async def _wired_lane(
    settings: Settings, demo: bool, sandbox: SandboxProcess | None
) -> AsyncIterator[Lane]:
    from pos_app.config import data_dir, log_dir
    from pos_app.logs import setup_logging
    from pos_app.sandbox.engine import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SUB_ACCOUNT

    if demo:
        assert sandbox is not None
        try:
            url = await sandbox.wait_url()
        except RuntimeError:
            raise UsageError("the built-in demo sandbox did not start") from None
        account = Account(url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SUB_ACCOUNT)
    else:
        client_id, sub_account = _account(settings)
        secret = _secret(settings, client_id)
        account = Account(settings.api_url, client_id, secret, sub_account)
    setup_logging(log_dir(), secrets=(account.client_secret,))
    async with open_engine(
        account,
        data_dir() / JOURNAL_FILE,
        engine_settings(settings, demo=demo),
        flow=settings.payment_flow,
        currency=settings.currency,
    ) as engine:
        sandbox_url = account.api_url if demo else None
        async with _joined_store(settings, engine.journal) as (sync, view):
            yield Lane(
                settings,
                engine.service,
                engine.journal,
                demo,
                sandbox_url,
                engine.reports,
                sync=sync,
                store_view=view,
            )


def store_address_for(settings: Settings) -> StoreAddress:
    """The store's address from `store_url`, its password from the URL (environment
    only), else POS_STORE_PASSWORD, else the keyring."""
    from pos_app.domain.settings_rules import store_url_has_password
    from pos_app.secrets import read_store_password
    from pos_app.storage.store import store_address_of

    url = settings.store_url
    password = None if store_url_has_password(url) else read_store_password(url)
    return store_address_of(url, password)


async def lane_identity(settings: Settings, journal: SqliteJournal) -> tuple[str, str]:
    """(name, uid) of the lane in its store: the journal's outbox is enabled (the first
    time, everything it holds is queued and the journal gets its random uid)."""
    await journal.enable_outbox()
    uid = journal.lane_uid()
    assert uid is not None, "enable_outbox gives the journal its lane_uid"
    return settings.lane, uid


@contextlib.asynccontextmanager
async def _joined_store(
    settings: Settings, journal: SqliteJournal
) -> AsyncIterator[tuple[StoreSync | None, StoreView | None]]:
    """The sync task and the store's view of a lane in a store (None, None without one);
    at the end, what waits is sent for at most STORE_DRAIN_SECONDS."""
    if not settings.store_url:
        yield None, None
        return
    from pos_app import __version__
    from pos_app.services.store_ports import LaneIdentity
    from pos_app.services.store_sync import StoreSync
    from pos_app.storage.store import open_link
    from pos_app.storage.store.reads import PgStoreView

    address = store_address_for(settings)
    name, uid = await lane_identity(settings, journal)
    link = open_link(address)
    sync = StoreSync(link, LaneIdentity(name, uid, __version__), [journal])
    journal.on_queued = sync.nudge
    view = PgStoreView(address)
    try:
        yield sync, view
    finally:
        journal.on_queued = None
        try:
            await drain_at_exit(sync)
        finally:
            await view.close()
            await link.close()


async def drain_at_exit(sync: StoreSync, seconds: float = STORE_DRAIN_SECONDS) -> None:
    """Send what waits for at most `seconds` (a command's or the window's exit); never
    raises and prints nothing: the store's answer is one line in the log."""
    try:
        await sync.drain(seconds)
    except Exception:
        log.exception("sending to the store at exit failed")


def engine_settings(settings: Settings, *, demo: bool) -> EngineSettings:
    """The engine's timing from the settings; the demo sandbox's clock shortens the device's."""
    from pos_app.services.payments import EngineSettings

    device_timeout = settings.device_timeout
    if demo:
        device_timeout /= settings.sandbox_time_scale
    return EngineSettings(
        poll_interval=settings.poll_interval,
        device_timeout=device_timeout,
        grace=settings.answer_grace,
        lane=settings.lane,
    )


def launch_demo_sandbox(settings: Settings) -> SandboxProcess:
    """Start the demo's sandbox child process (its state in the data dir); do not wait."""
    from pos_app.config import data_dir
    from pos_app.sandbox.remote import launch_sandbox

    return launch_sandbox(data_dir() / DEMO_SANDBOX_FILE, settings.sandbox_time_scale)


def audit_path() -> Path:
    """Where the lane's audit log (and its staff) is kept."""
    from pos_app.config import data_dir

    return data_dir() / AUDIT_FILE


def open_audit_log(settings: Settings, audit_file: Path | None = None) -> SqliteAuditLog:
    """The lane's audit log and staff (default: the data dir's), open, its chain keyed
    with a secret from the OS keyring when there is a usable one (the caller closes it)."""
    from pos_app.secrets import KeyringChainKeys
    from pos_app.storage.audit import SqliteAuditLog

    return SqliteAuditLog(
        audit_file or audit_path(),
        KeyringChainKeys(),
        lane=settings.lane,
        # In a store, PINs are hashed without this computer's pepper: the store's staff
        # sign in on every lane.
        shared_pins=bool(settings.store_url),
    )


def open_journal() -> SqliteJournal:
    """The lane's journal in the data dir, open (the caller closes it: it is a context
    manager), for the commands that only read it."""
    from pos_app.config import data_dir
    from pos_app.storage.journal import SqliteJournal

    return SqliteJournal(data_dir() / JOURNAL_FILE)


@contextlib.contextmanager
def manager_service(settings: Settings, audit_file: Path | None = None) -> Iterator[ManagerService]:
    """The lane's staff and audit log (default: the data dir's), closed at the end of
    the block; for the CLI's staff, audit, refund and void commands. A lane in a store
    sends the audit log's waiting records at the end, for at most STORE_DRAIN_SECONDS."""
    from pos_app.services.manager import ManagerService

    with open_audit_log(settings, audit_file) as audit:
        try:
            yield ManagerService(
                audit,
                audit,
                lane=settings.lane,
                idle_timeout=idle_timeout(settings.idle_sign_out_minutes),
            )
        finally:
            if settings.store_url:
                _send_audit_at_exit(settings, audit)


def _send_audit_at_exit(settings: Settings, audit: SqliteAuditLog) -> None:
    """The staff and audit commands run without a lane (and without a running loop):
    their audit records go to the store here, within the drain's deadline."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        log.info("store: the audit log's records wait for the lane's next send")
        return
    try:
        asyncio.run(_send_audit(settings, audit))
    except Exception:
        log.exception("sending the audit log to the store at exit failed")


async def _send_audit(settings: Settings, audit: SqliteAuditLog) -> None:
    from pos_app import __version__
    from pos_app.services.store_ports import LaneIdentity
    from pos_app.services.store_sync import StoreSync
    from pos_app.storage.store import open_link

    address = store_address_for(settings)
    with open_journal() as journal:
        name, uid = await lane_identity(settings, journal)
    await audit.enable_outbox()
    link = open_link(address)
    try:
        await drain_at_exit(StoreSync(link, LaneIdentity(name, uid, __version__), [audit]))
    finally:
        await link.close()


def idle_timeout(minutes: int) -> timedelta:
    """How long the till's person stays signed in without activity: the setting
    `idle_sign_out_minutes`, as the staff service takes it."""
    return timedelta(minutes=minutes)


def _account(settings: Settings) -> tuple[str, str | None]:
    if not settings.client_id:
        raise UsageError(
            "No JustiFi credentials: set JUSTIFI_CLIENT_ID, JUSTIFI_CLIENT_SECRET and"
            " JUSTIFI_SUB_ACCOUNT (or use --demo for the built-in sandbox)."
        )
    return settings.client_id, settings.sub_account


def _secret(settings: Settings, client_id: str) -> str:
    from pos_app.secrets import read_client_secret

    if settings.client_secret is not None:
        return settings.client_secret.get_secret_value()
    secret = read_client_secret(client_id)
    if not secret:
        raise UsageError(
            "No JustiFi client secret: set JUSTIFI_CLIENT_SECRET or keep it in the keyring."
        )
    return secret


# -- the manager's services ------------------------------------------------------------------


@dataclass
class ManagerServices:
    """What the manager tools and the till run on: the PIN and audit log, history, end of
    day, the settings form, receipts, shifts, sales paid in parts and the cash drawer.
    `audit` is the open audit log behind `manager`."""

    audit: SqliteAuditLog
    manager: ManagerService
    history: HistoryService
    reports: ReportService
    settings: SettingsService
    receipts: ReceiptService
    shifts: ShiftService
    sales: SaleService
    drawer: CashDrawer
    sync: StoreSync | None = None  # the lane's, sending this audit log's records too
    pulls: tuple[SharedPull, ...] = ()  # what this lane takes from the store
    store_view: StoreViewService | None = None  # every lane's history and the store's day

    def close(self) -> None:
        """Close the audit log (the only resource held here); a lane's sync task stops
        sending it first (what waits goes at the next start, or with `store sync`)."""
        if self.sync is not None:
            self.sync.remove_outbox(self.audit)
            for pull in self.pulls:
                self.sync.remove_pull(pull)
        self.audit.close()


def open_manager_services(
    lane: Lane, audit_file: Path | None = None, *, drawer: CashDrawer | None = None
) -> ManagerServices:
    """The manager's services on a wired lane, with the audit log at `audit_file`
    (default: the data dir's) and the cash drawer `drawer` (default: `drawer_for` the
    settings; the demo passes its virtual drawer). The audit log is open on return: the
    caller closes it with `ManagerServices.close()` (the window does when it closes), or
    uses `manager_services()` as a context manager."""
    from pos_app.config import SettingsFileStore
    from pos_app.justifi.connection import check_connection
    from pos_app.justifi.payments_list import JustifiPaymentsSource
    from pos_app.sandbox.engine import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SUB_ACCOUNT
    from pos_app.secrets import KeyringSecretStore
    from pos_app.services.history import HistoryService
    from pos_app.services.manager import ManagerService
    from pos_app.services.reports import ReceiptService, ReportService, ReportSettings
    from pos_app.services.sales import SaleService
    from pos_app.services.settings import DemoAccount, SettingsService, SettingsValues
    from pos_app.services.shifts import ShiftService
    from pos_app.store_passwords import KeyringStorePasswords

    settings = lane.settings
    audit = open_audit_log(settings, audit_file)
    try:
        manager = ManagerService(
            audit,
            audit,
            lane=settings.lane,
            idle_timeout=idle_timeout(settings.idle_sign_out_minutes),
        )
        remote = JustifiPaymentsSource(lane.client) if lane.client is not None else None
        history = HistoryService(
            lane.journal, remote, lane.service.payment_details, manager=manager
        )
        reports = ReportService(
            lane.journal,
            remote,
            ReportSettings(currency=settings.currency),
            audit_head=lambda: manager.audit_head().short,
            tickets=lane.journal,
        )
        demo = (
            DemoAccount(lane.sandbox_url, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_SUB_ACCOUNT)
            if lane.demo and lane.sandbox_url
            else None
        )

        def take_up(saved: SettingsValues) -> None:
            # A new idle sign-out time applies at once: no restart for it.
            manager.set_idle_timeout(idle_timeout(saved.idle_sign_out_minutes))

        setup = SettingsService(
            SettingsFileStore(),
            KeyringSecretStore(),
            check_connection,
            demo_account=demo,
            on_saved=take_up,
            store_checker=_check_store,
            store_passwords=KeyringStorePasswords(),
        )
        receipts = ReceiptService(
            lane.journal,
            settings.receipt_header.splitlines(),
            currency=settings.currency,
            tickets=lane.journal,
        )
        cash_drawer = drawer if drawer is not None else drawer_for(settings)

        def record(
            action: AuditAction, subject: str | None, detail: Mapping[str, DetailValue]
        ) -> None:
            manager.record(action, subject, detail)

        shifts = ShiftService(lane.journal, cash_drawer, lane=settings.lane, record=record)
        sales = SaleService(lane.service, lane.journal, shifts, lane=settings.lane, record=record)
        pulls = _join_sync(lane, audit)
        store_view = _store_view_service(lane, remote)
    except BaseException:
        audit.close()
        raise
    return ManagerServices(
        audit,
        manager,
        history,
        reports,
        setup,
        receipts,
        shifts,
        sales,
        cash_drawer,
        sync=lane.sync,
        pulls=pulls,
        store_view=store_view,
    )


def _store_view_service(lane: Lane, remote: PaymentsSource | None) -> StoreViewService | None:
    """The manager's reads of the store (every lane's history, the store's day), checked
    against JustiFi's payments as the lane's own end of day is; None on a lane alone."""
    if lane.store_view is None:
        return None
    from pos_app.services.reports import ReportSettings
    from pos_app.services.store_view import StoreViewService

    return StoreViewService(
        lane.store_view, remote, ReportSettings(currency=lane.settings.currency)
    )


async def _check_store(url: str, password: str | None) -> StoreCheckReport:
    """The Settings dialog's "Test store connection" (the store's driver is imported only
    when a manager presses it)."""
    from pos_app.storage.store.check import check_store

    return await check_store(url, password)


def _join_sync(lane: Lane, audit: SqliteAuditLog) -> tuple[SharedPull, ...]:
    """A lane in a store: its sync task sends the audit log's records too, and takes the
    store's staff (into this audit log), catalog and settings (files in the data dir).
    Nothing without a store."""
    sync = lane.sync
    if sync is None:
        return ()
    from pos_app.config import data_dir
    from pos_app.services.store_shared import CatalogPull, SettingsPull, StaffPull

    # The first time in a store the outbox starts and everything before is queued once.
    audit.enable_outbox_now()
    cursor = (
        lambda: audit.store_value(STAFF_CURSOR_KEY),
        lambda value: audit.set_store_value(STAFF_CURSOR_KEY, value),
    )
    pulls: tuple[SharedPull, ...] = (
        StaffPull(audit, lane.settings.lane, cursor),
        CatalogPull(data_dir()),
        SettingsPull(data_dir()),
    )
    sync.add_outbox(audit)
    for pull in pulls:
        sync.add_pull(pull)
    return pulls


def drawer_for(settings: Settings) -> CashDrawer:
    """The lane's cash drawer: on the receipt printer (`receipt_printer`, the ESC/POS
    pulse) when one is set, else none (opened with its key)."""
    from pos_app.printing.escpos import EscposDrawer, EscposTarget
    from pos_app.services.drawer import NoDrawer

    spec = settings.receipt_printer.strip()
    if not spec:
        return NoDrawer()
    try:
        target = EscposTarget.parse(spec)
    except ValueError as exc:
        raise UsageError(f"The receipt printer setting cannot be used: {exc}") from None
    return EscposDrawer(target)


@contextlib.contextmanager
def manager_services(
    lane: Lane, audit_file: Path | None = None, *, drawer: CashDrawer | None = None
) -> Iterator[ManagerServices]:
    """`open_manager_services`, closed at the end of the block."""
    services = open_manager_services(lane, audit_file, drawer=drawer)
    try:
        yield services
    finally:
        services.close()
