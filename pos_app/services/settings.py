"""Lane settings as a manager edits them: load, validate, save, test the connection.

The settings dialog talks only to `SettingsService`. Three ports stand for
the outside: `SettingsStore` (the settings file; `pos_app.config.SettingsFileStore`),
`SecretStore` (the OS keyring; `pos_app.secrets.KeyringSecretStore`) and
`ConnectionChecker` (JustiFi; `pos_app.justifi.connection.check_connection`).

The client secret passes through here on its way to the keyring and to the
connection check, and goes nowhere else: it is never in `SettingsValues`,
never in what the store is asked to save, never in a log line or a repr.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final, Protocol

__all__ = [
    "CONNECTION_FIELDS",
    "ConnectionChecker",
    "ConnectionProblem",
    "ConnectionReport",
    "DemoAccount",
    "SaveResult",
    "SecretState",
    "SecretStore",
    "SettingsField",
    "SettingsForm",
    "SettingsInvalidError",
    "SettingsSaveError",
    "SettingsService",
    "SettingsStore",
    "SettingsValues",
    "TerminalSummary",
    "Validation",
    "bps_to_percent",
    "connection_sentence",
    "parse_tax_percent",
]

log = logging.getLogger("pos_app.services.settings")

PAYMENT_FLOWS: Final = ("payment_intent", "checkout")
LOCAL_HTTP_PREFIXES: Final = ("http://127.0.0.1", "http://localhost", "http://[::1]")
# Kept equal to pos_app.config's limits (a test checks they agree).
LANE_MAX_LENGTH: Final = 64
RECEIPT_HEADER_MAX_LINES: Final = 8
RECEIPT_HEADER_MAX_WIDTH: Final = 48
TAX_MAX_BPS: Final = 10_000
_WHITESPACE = re.compile(r"\s")


class SettingsField(StrEnum):
    """The fields of the settings form (values are the settings file's keys)."""

    DEMO = "demo"
    API_URL = "api_url"
    CLIENT_ID = "client_id"
    CLIENT_SECRET = "client_secret"
    SUB_ACCOUNT = "sub_account"
    PAYMENT_FLOW = "payment_flow"
    LANE = "lane"
    DEFAULT_TERMINAL = "default_terminal"
    TAX_RATE = "tax_rate_bps"
    RECEIPT_HEADER = "receipt_header"


#: What a JustiFi connection needs; ignored (and kept as they were) in demo mode.
CONNECTION_FIELDS: Final = frozenset(
    {
        SettingsField.API_URL,
        SettingsField.CLIENT_ID,
        SettingsField.CLIENT_SECRET,
        SettingsField.SUB_ACCOUNT,
    }
)
#: Fields the running lane wired at start: changing them takes a restart.
_RESTART_FIELDS: Final = frozenset(
    {
        SettingsField.DEMO,
        SettingsField.API_URL,
        SettingsField.CLIENT_ID,
        SettingsField.SUB_ACCOUNT,
        SettingsField.PAYMENT_FLOW,
        SettingsField.LANE,
    }
)

# -- sentences (the manager and the shop's IT person read these) ------------------------

URL_MISSING: Final = "Enter the JustiFi URL, such as https://api.justifi.ai."
URL_NOT_HTTPS: Final = (
    "The URL must start with https:// (plain http:// only for a server on this computer)."
)
URL_INVALID: Final = "This is not a web address: no spaces, and a host name after https://."
CLIENT_ID_MISSING: Final = "Enter the client id from the JustiFi dashboard."
CLIENT_ID_SPACES: Final = "A client id has no spaces; copy it again from the JustiFi dashboard."
SECRET_MISSING: Final = "Enter the client secret that belongs to this client id."
SECRET_SPACES: Final = (
    "The client secret starts or ends with a space; copy it again from the JustiFi dashboard."
)
SUB_ACCOUNT_MISSING: Final = "Enter the sub account (acc_...) this lane takes payments for."
SUB_ACCOUNT_FORMAT: Final = "A sub account id starts with acc_ and has no spaces."
PAYMENT_FLOW_INVALID: Final = "Choose payment intent or checkout."
LANE_MISSING: Final = "Give this lane a name, such as Front counter."
LANE_TOO_LONG: Final = f"A lane name has at most {LANE_MAX_LENGTH} characters."
TERMINAL_FORMAT: Final = "A terminal id starts with trm_ and has no spaces; or leave it empty."
TAX_NOT_A_NUMBER: Final = "Enter the tax rate in percent, such as 8.25 (0 for none)."
TAX_OUT_OF_RANGE: Final = "The tax rate is a percentage from 0 to 100."
TAX_TOO_PRECISE: Final = "Use at most two decimals, such as 8.25."
HEADER_TOO_MANY_LINES: Final = f"The receipt header has at most {RECEIPT_HEADER_MAX_LINES} lines."
HEADER_LINE_TOO_LONG: Final = (
    f"Line {{line}} of the receipt header is longer than {RECEIPT_HEADER_MAX_WIDTH} characters."
)

NOT_SAVED_KEYRING: Final = "Nothing was saved: {reason}"
NOT_SAVED_FILE: Final = "The settings were not saved: {reason}"
NOT_SAVED_INVALID: Final = "Some settings need fixing first."


class ConnectionProblem(StrEnum):
    """What a connection test found wrong."""

    INCOMPLETE = "incomplete"  # the form lacks what a test needs
    NOT_TESTED = "not_tested"  # demo mode without a running sandbox
    BAD_URL = "bad_url"
    HOST_NOT_FOUND = "host_not_found"  # DNS
    REFUSED = "refused"  # nothing listens there
    TIMEOUT = "timeout"
    TLS = "tls"
    DROPPED = "dropped"  # connected, then closed without an answer
    CREDENTIALS = "credentials"  # 401: wrong client id or secret
    SUB_ACCOUNT = "sub_account"  # 403: the credentials may not use this sub account
    UNEXPECTED = "unexpected"  # an answer, but not JustiFi's
    SERVER_ERROR = "server_error"  # 5xx / 429

    @property
    def unreachable(self) -> bool:
        """The URL could not be reached at all."""
        return self in _UNREACHABLE


_UNREACHABLE: Final = frozenset(
    {
        ConnectionProblem.HOST_NOT_FOUND,
        ConnectionProblem.REFUSED,
        ConnectionProblem.TIMEOUT,
        ConnectionProblem.DROPPED,
    }
)

CONNECTION_SENTENCES: Final[dict[ConnectionProblem, str]] = {
    ConnectionProblem.INCOMPLETE: (
        "Fill in the JustiFi URL, client id, client secret and sub account first."
    ),
    ConnectionProblem.NOT_TESTED: (
        "Demo mode uses the built-in sandbox, started with the app: there is nothing to test."
    ),
    ConnectionProblem.BAD_URL: (
        "{url} is not a web address this app can use. Check the JustiFi URL: it is"
        " normally https://api.justifi.ai."
    ),
    ConnectionProblem.HOST_NOT_FOUND: (
        "The address {host} could not be found. Check the JustiFi URL for typos, and that"
        " this computer can reach the internet (its DNS works)."
    ),
    ConnectionProblem.REFUSED: (
        "Nothing at {host} accepted the connection. Check the JustiFi URL (host and port),"
        " and that no firewall blocks this computer."
    ),
    ConnectionProblem.TIMEOUT: (
        "{host} did not answer within {seconds} seconds. Check this computer's internet"
        " connection, firewall and proxy, then test again."
    ),
    ConnectionProblem.TLS: "The secure connection to {host} failed: {why}",
    ConnectionProblem.DROPPED: (
        "{host} closed the connection without answering. Check the JustiFi URL, and any"
        " proxy between this computer and the internet."
    ),
    ConnectionProblem.CREDENTIALS: (
        "JustiFi did not accept the client id and secret. Check both in the JustiFi"
        " dashboard, and that they belong together (a test client id needs its test secret)."
    ),
    ConnectionProblem.SUB_ACCOUNT: (
        "JustiFi accepted the client id and secret, but they may not use the sub account"
        " {sub_account}. Check the sub account id (acc_...) in the JustiFi dashboard."
    ),
    ConnectionProblem.UNEXPECTED: (
        "{host} answered, but not the way the JustiFi API does. Check the URL: it is the"
        " API's address (normally https://api.justifi.ai), without a path."
    ),
    ConnectionProblem.SERVER_ERROR: (
        "JustiFi at {host} is having trouble right now (a server error). Wait a few minutes"
        " and test again; if it goes on, contact JustiFi support."
    ),
}
TLS_REASONS: Final[dict[str, str]] = {
    "untrusted": (
        "its certificate is not trusted by this computer. Check that the URL names JustiFi's"
        " host, and that no proxy or antivirus intercepts secure connections."
    ),
    "expired": (
        "its certificate has expired or is not valid yet. Check this computer's date and time."
    ),
    "hostname": "its certificate is for another host name. Check the host name in the URL.",
    "not_tls": (
        "the server does not speak https on that port. Check the URL: JustiFi's address"
        " starts with https://."
    ),
    "other": (
        "the two sides could not agree on a secure connection. Check that no proxy or"
        " antivirus intercepts secure connections, and that this computer's system is up"
        " to date."
    ),
}
CONNECTED: Final = "Connected to JustiFi at {host}. {terminals}"
CONNECTED_NO_TERMINALS: Final = (
    "No terminals are set up for this sub account yet; add them in the JustiFi dashboard."
)
CONNECTED_ONE_TERMINAL: Final = "1 terminal: {names}."
CONNECTED_TERMINALS: Final = "{count} terminals: {names}."
MORE_TERMINALS: Final = "and {count} more"
TERMINALS_NAMED: Final = 8


def connection_sentence(problem: ConnectionProblem, **details: object) -> str:
    """The sentence for a problem, with its details ({host}, {port}, ...) filled in."""
    return CONNECTION_SENTENCES[problem].format(**details)


# -- values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TerminalSummary:
    """A terminal as a connection test lists it."""

    id: str
    name: str
    status: str | None = None


@dataclass(frozen=True)
class ConnectionReport:
    """What a connection test found, in a sentence for the shop's IT person."""

    ok: bool
    message: str
    problem: ConnectionProblem | None = None
    terminals: tuple[TerminalSummary, ...] = ()

    @classmethod
    def connected(cls, host: str, terminals: Sequence[TerminalSummary]) -> ConnectionReport:
        """Success, naming the terminals found."""
        names = [t.name for t in terminals[:TERMINALS_NAMED]]
        if len(terminals) > TERMINALS_NAMED:
            names.append(MORE_TERMINALS.format(count=len(terminals) - TERMINALS_NAMED))
        if not terminals:
            listed = CONNECTED_NO_TERMINALS
        elif len(terminals) == 1:
            listed = CONNECTED_ONE_TERMINAL.format(names=names[0])
        else:
            listed = CONNECTED_TERMINALS.format(count=len(terminals), names=", ".join(names))
        return cls(True, CONNECTED.format(host=host, terminals=listed), None, tuple(terminals))

    @classmethod
    def failed(cls, problem: ConnectionProblem, **details: object) -> ConnectionReport:
        """Failure, with the problem's sentence."""
        return cls(False, connection_sentence(problem, **details), problem)


@dataclass(frozen=True)
class SettingsForm:
    """The settings as typed in the dialog (text, unchecked).

    `client_secret` is empty to keep the one already stored; it never shows
    in a repr.
    """

    demo: bool
    api_url: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    sub_account: str = ""
    payment_flow: str = "payment_intent"
    lane: str = ""
    default_terminal: str = ""
    tax_rate_percent: str = "0"
    receipt_header: str = ""


@dataclass(frozen=True)
class SettingsValues:
    """Checked settings, as the settings file keeps them: never a secret."""

    demo: bool
    api_url: str
    client_id: str | None
    sub_account: str | None
    payment_flow: str
    lane: str
    default_terminal: str | None
    tax_rate_bps: int
    receipt_header: str

    def as_mapping(self) -> dict[str, object]:
        """Field name to value, as the settings store takes them."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Validation:
    """The checked values, or a sentence for each field that needs fixing."""

    values: SettingsValues | None
    problems: Mapping[SettingsField, str]

    @property
    def ok(self) -> bool:
        """Whether the form can be saved."""
        return self.values is not None and not self.problems


@dataclass(frozen=True)
class SecretState:
    """Where the client secret would come from, for the dialog's secret field."""

    keyring_available: bool
    keyring_backend: str
    keyring_message: str
    from_environment: bool  # JUSTIFI_CLIENT_SECRET is set: it wins over the keyring
    stored: bool  # the keyring keeps a secret for this client id

    @property
    def editable(self) -> bool:
        """Whether typing a secret in the dialog can have any effect."""
        return self.keyring_available and not self.from_environment


@dataclass(frozen=True)
class SaveResult:
    """What a save did."""

    values: SettingsValues
    changed: frozenset[SettingsField]
    restart_needed: bool  # the running lane was wired with the old connection settings


@dataclass(frozen=True)
class DemoAccount:
    """The running demo sandbox, for testing the connection in demo mode."""

    api_url: str
    client_id: str
    client_secret: str = field(repr=False)
    sub_account: str | None


class SettingsInvalidError(ValueError):
    """The form has problems; `problems` says which, field by field."""

    def __init__(self, problems: Mapping[SettingsField, str]) -> None:
        super().__init__(NOT_SAVED_INVALID)
        self.problems = dict(problems)


class SettingsSaveError(RuntimeError):
    """The settings could not be saved; the message says why and what to do."""


# -- ports ---------------------------------------------------------------------------------


class SettingsStore(Protocol):
    """The settings file (and the environment over it)."""

    def load(self) -> Mapping[str, object]:
        """The settings in force: every `SettingsValues` field name to its value.

        `demo` may be None (automatic: no client id means demo).
        """
        ...

    def locked_fields(self) -> frozenset[str]:
        """Fields an environment variable sets: saving cannot change them."""
        ...

    def save(self, values: Mapping[str, object]) -> None:
        """Write these fields (None removes one); ValueError or OSError with a sentence."""
        ...


class SecretStore(Protocol):
    """Where the client secret is kept."""

    def status(self) -> tuple[bool, str, str]:
        """(available, backend name, sentence) for this computer's keyring."""
        ...

    def from_environment(self) -> bool:
        """Whether JUSTIFI_CLIENT_SECRET supplies the secret."""
        ...

    def stored(self, client_id: str) -> bool:
        """Whether the keyring keeps a secret for this client id."""
        ...

    def read(self, client_id: str) -> str | None:
        """The secret the app would use (environment, then keyring)."""
        ...

    def store(self, client_id: str, secret: str) -> None:
        """Keep the secret; RuntimeError with a sentence when there is no usable keyring."""
        ...

    def delete(self, client_id: str) -> bool:
        """Forget the secret; False if none was kept; RuntimeError without a keyring."""
        ...


class ConnectionChecker(Protocol):
    """Fetches a token and lists terminals; never raises for a network or JustiFi problem."""

    async def __call__(
        self, api_url: str, client_id: str, client_secret: str, sub_account: str | None
    ) -> ConnectionReport:
        """The report of one connection test."""
        ...


# -- rules ---------------------------------------------------------------------------------


def bps_to_percent(bps: int) -> str:
    """825 -> "8.25", 800 -> "8", 850 -> "8.5"."""
    whole, cents = divmod(bps, 100)
    return f"{whole}.{cents:02d}".rstrip("0").rstrip(".")


def parse_tax_percent(text: str) -> tuple[int | None, str]:
    """A tax rate typed in percent ("8.25", "8,25 %") as basis points, or None and why."""
    cleaned = text.strip().removesuffix("%").strip().replace(",", ".")
    if not cleaned:
        return None, TAX_NOT_A_NUMBER
    try:
        percent = Decimal(cleaned)
    except InvalidOperation:
        return None, TAX_NOT_A_NUMBER
    if not percent.is_finite():
        return None, TAX_NOT_A_NUMBER
    bps = percent * 100
    if bps != bps.to_integral_value():
        return None, TAX_TOO_PRECISE
    if not 0 <= bps <= TAX_MAX_BPS:
        return None, TAX_OUT_OF_RANGE
    return int(bps), ""


def _url_problem(url: str) -> str:
    if not url:
        return URL_MISSING
    if not url.startswith(("https://", *LOCAL_HTTP_PREFIXES)):
        return URL_NOT_HTTPS
    host = url.split("://", 1)[1].split("/", 1)[0]
    if _WHITESPACE.search(url) or not host or host.startswith(":"):
        return URL_INVALID
    return ""


def _header_lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _header_problem(lines: list[str]) -> str:
    if len(lines) > RECEIPT_HEADER_MAX_LINES:
        return HEADER_TOO_MANY_LINES
    for number, line in enumerate(lines, start=1):
        if len(line) > RECEIPT_HEADER_MAX_WIDTH:
            return HEADER_LINE_TOO_LONG.format(line=number)
    return ""


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


# -- the service -----------------------------------------------------------------------------


class SettingsService:
    """Loads, checks and saves the lane's settings; tests the JustiFi connection.

    Args:
        store: the settings file.
        secrets: the keyring.
        checker: the JustiFi connection test.
        demo_account: the running demo sandbox, if the app runs one (tests the
            connection in demo mode).
    """

    def __init__(
        self,
        store: SettingsStore,
        secrets: SecretStore,
        checker: ConnectionChecker,
        *,
        demo_account: DemoAccount | None = None,
    ) -> None:
        self._store = store
        self._secrets = secrets
        self._checker = checker
        self._demo_account = demo_account
        self._stored_cache: dict[str, bool] = {}
        self._keyring: tuple[bool, str, str] | None = None
        self._saved = self._load_values()

    # -- reading --------------------------------------------------------------------------

    def _load_values(self) -> SettingsValues:
        raw = self._store.load()
        client_id = _text(raw.get("client_id")) or None
        demo = raw.get("demo")
        tax = raw.get("tax_rate_bps")
        return SettingsValues(
            demo=bool(demo) if demo is not None else not client_id,
            api_url=_text(raw.get("api_url")),
            client_id=client_id,
            sub_account=_text(raw.get("sub_account")) or None,
            payment_flow=_text(raw.get("payment_flow")) or PAYMENT_FLOWS[0],
            lane=_text(raw.get("lane")),
            default_terminal=_text(raw.get("default_terminal")) or None,
            tax_rate_bps=tax if isinstance(tax, int) and not isinstance(tax, bool) else 0,
            receipt_header=_text(raw.get("receipt_header")),
        )

    @property
    def saved(self) -> SettingsValues:
        """The settings as last loaded or saved."""
        return self._saved

    def current(self) -> SettingsForm:
        """The settings in force, as the dialog shows them (the secret field empty)."""
        values = self._saved
        return SettingsForm(
            demo=values.demo,
            api_url=values.api_url,
            client_id=values.client_id or "",
            sub_account=values.sub_account or "",
            payment_flow=values.payment_flow,
            lane=values.lane,
            default_terminal=values.default_terminal or "",
            tax_rate_percent=bps_to_percent(values.tax_rate_bps),
            receipt_header=values.receipt_header,
        )

    def locked_fields(self) -> frozenset[SettingsField]:
        """Fields set by environment variables: shown, not editable."""
        locked = self._store.locked_fields()
        return frozenset(f for f in SettingsField if f.value in locked)

    def keyring_status(self, *, refresh: bool = False) -> tuple[bool, str, str]:
        """(available, backend, sentence); asked once, then remembered."""
        if self._keyring is None or refresh:
            available, backend, message = self._secrets.status()
            self._keyring = (available, backend, message)
        return self._keyring

    def secret_state(self, client_id: str) -> SecretState:
        """Where this client id's secret would come from."""
        available, backend, message = self.keyring_status()
        return SecretState(
            keyring_available=available,
            keyring_backend=backend,
            keyring_message=message,
            from_environment=self._secrets.from_environment(),
            stored=available and self._is_stored(client_id.strip()),
        )

    def _is_stored(self, client_id: str) -> bool:
        if not client_id:
            return False
        if client_id not in self._stored_cache:
            self._stored_cache[client_id] = self._secrets.stored(client_id)
        return self._stored_cache[client_id]

    # -- checking -------------------------------------------------------------------------

    def validate(self, form: SettingsForm) -> Validation:
        """Check every field; each problem is a sentence that says what to type."""
        problems: dict[SettingsField, str] = {}
        connection = self._check_connection_fields(form, problems) if not form.demo else None
        if form.payment_flow not in PAYMENT_FLOWS:
            problems[SettingsField.PAYMENT_FLOW] = PAYMENT_FLOW_INVALID
        lane = form.lane.strip()
        if not lane:
            problems[SettingsField.LANE] = LANE_MISSING
        elif len(lane) > LANE_MAX_LENGTH:
            problems[SettingsField.LANE] = LANE_TOO_LONG
        terminal = form.default_terminal.strip()
        if terminal and (not terminal.startswith("trm_") or _WHITESPACE.search(terminal)):
            problems[SettingsField.DEFAULT_TERMINAL] = TERMINAL_FORMAT
        tax_bps, tax_problem = parse_tax_percent(form.tax_rate_percent)
        if tax_problem:
            problems[SettingsField.TAX_RATE] = tax_problem
        header = _header_lines(form.receipt_header)
        if header_problem := _header_problem(header):
            problems[SettingsField.RECEIPT_HEADER] = header_problem
        if problems or tax_bps is None:
            return Validation(None, problems)
        saved = self._saved
        api_url, client_id, sub_account = connection or (
            saved.api_url,
            saved.client_id,
            saved.sub_account,
        )
        values = SettingsValues(
            demo=form.demo,
            api_url=api_url,
            client_id=client_id,
            sub_account=sub_account,
            payment_flow=form.payment_flow,
            lane=lane,
            default_terminal=terminal or None,
            tax_rate_bps=tax_bps,
            receipt_header="\n".join(header),
        )
        return Validation(values, {})

    def _check_connection_fields(
        self, form: SettingsForm, problems: dict[SettingsField, str]
    ) -> tuple[str, str, str]:
        url = form.api_url.strip().rstrip("/")
        if url_problem := _url_problem(url):
            problems[SettingsField.API_URL] = url_problem
        client_id = form.client_id.strip()
        if not client_id:
            problems[SettingsField.CLIENT_ID] = CLIENT_ID_MISSING
        elif _WHITESPACE.search(client_id):
            problems[SettingsField.CLIENT_ID] = CLIENT_ID_SPACES
        secret = form.client_secret
        if secret:
            if secret != secret.strip():
                problems[SettingsField.CLIENT_SECRET] = SECRET_SPACES
        elif client_id and not self._secret_available(client_id):
            problems[SettingsField.CLIENT_SECRET] = SECRET_MISSING
        sub_account = form.sub_account.strip()
        if not sub_account:
            problems[SettingsField.SUB_ACCOUNT] = SUB_ACCOUNT_MISSING
        elif not sub_account.startswith("acc_") or _WHITESPACE.search(sub_account):
            problems[SettingsField.SUB_ACCOUNT] = SUB_ACCOUNT_FORMAT
        return url, client_id, sub_account

    def _secret_available(self, client_id: str) -> bool:
        """Whether a save without a typed secret still leaves the lane a secret to use.

        Without a keyring there is nothing to type into; the dialog says to set
        JUSTIFI_CLIENT_SECRET instead, and that is not a reason to refuse a save.
        """
        state = self.secret_state(client_id)
        return state.from_environment or state.stored or not state.keyring_available

    # -- saving ---------------------------------------------------------------------------

    def save(self, form: SettingsForm) -> SaveResult:
        """Keep the secret (if typed) in the keyring, then write the settings file.

        Raises:
            SettingsInvalidError: the form has problems (nothing saved).
            SettingsSaveError: the keyring or the file refused (the message says why).
        """
        validation = self.validate(form)
        if not validation.ok or validation.values is None:
            raise SettingsInvalidError(validation.problems)
        values = validation.values
        locked = self.locked_fields()
        secret_changed = False
        if form.client_secret and not form.demo:
            secret_changed = self._store_secret(values.client_id or "", form.client_secret)
        to_write = {
            name: value
            for name, value in values.as_mapping().items()
            if SettingsField(name) not in locked
            and not (values.demo and SettingsField(name) in CONNECTION_FIELDS)
        }
        try:
            self._store.save(to_write)
        except (ValueError, OSError) as exc:
            raise SettingsSaveError(NOT_SAVED_FILE.format(reason=exc)) from exc
        before = self._saved
        changed = frozenset(
            SettingsField(name)
            for name, value in values.as_mapping().items()
            if getattr(before, name) != value
        )
        if secret_changed:
            changed |= {SettingsField.CLIENT_SECRET}
        self._saved = self._load_values()
        restart = bool(changed & (_RESTART_FIELDS | {SettingsField.CLIENT_SECRET}))
        log.info(
            "settings saved; changed: %s", ", ".join(sorted(f.value for f in changed)) or "nothing"
        )
        return SaveResult(self._saved, changed, restart)

    def _store_secret(self, client_id: str, secret: str) -> bool:
        try:
            self._secrets.store(client_id, secret)
        except RuntimeError as exc:
            raise SettingsSaveError(NOT_SAVED_KEYRING.format(reason=exc)) from None
        self._stored_cache[client_id] = True
        previous = self._saved.client_id
        if previous and previous != client_id and self._is_stored(previous):
            # The new client id replaces the old one: leave no stale secret behind.
            self.forget_secret(previous)
        return True

    def forget_secret(self, client_id: str) -> bool:
        """Remove a client id's secret from the keyring; False if none was kept."""
        try:
            removed = self._secrets.delete(client_id)
        except RuntimeError as exc:
            raise SettingsSaveError(str(exc)) from None
        self._stored_cache[client_id] = False
        return removed

    # -- testing --------------------------------------------------------------------------

    def can_test(self, form: SettingsForm) -> bool:
        """Whether the form holds what a connection test needs (a secret included)."""
        if form.demo:
            return self._demo_account is not None
        problems: dict[SettingsField, str] = {}
        _, client_id, _ = self._check_connection_fields(form, problems)
        if problems:
            return False
        if form.client_secret:
            return True
        state = self.secret_state(client_id)
        return state.from_environment or state.stored

    async def test_connection(self, form: SettingsForm) -> ConnectionReport:
        """Fetch a token and list terminals with what the form says (or the demo sandbox)."""
        if form.demo:
            demo = self._demo_account
            if demo is None:
                return ConnectionReport.failed(ConnectionProblem.NOT_TESTED)
            return await self._checker(
                demo.api_url, demo.client_id, demo.client_secret, demo.sub_account
            )
        problems: dict[SettingsField, str] = {}
        url, client_id, sub_account = self._check_connection_fields(form, problems)
        secret = form.client_secret or (self._secrets.read(client_id) if client_id else None)
        if problems or not secret:
            return ConnectionReport.failed(ConnectionProblem.INCOMPLETE)
        report = await self._checker(url, client_id, secret, sub_account)
        if secret in report.message:  # a checker bug must not show the secret
            report = replace(report, message=report.message.replace(secret, "[redacted]"))
        return report
