"""The settings form: what the manager typed, and its check field by field.

The rules themselves (what a value may be, the sentence when it may not) are
`pos_app.domain.settings_rules`; this module applies them to a whole form,
knowing which fields a JustiFi connection needs and that demo mode ignores
them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from pos_app.domain import settings_rules as rules
from pos_app.domain.errors import InvalidInputError, UnavailableError
from pos_app.domain.settings_values import SettingsValues

__all__ = [
    "CONNECTION_FIELDS",
    "NOT_SAVED_INVALID",
    "RESTART_FIELDS",
    "SECRET_FIELDS",
    "STORE_PASSWORD_WITHOUT_URL",
    "DemoAccount",
    "SaveResult",
    "SecretState",
    "SettingsField",
    "SettingsForm",
    "SettingsInvalidError",
    "SettingsSaveError",
    "Validation",
    "check_connection_fields",
    "store_url_problem",
    "validate_form",
]

NOT_SAVED_INVALID: Final = "Some settings need fixing first."
STORE_PASSWORD_WITHOUT_URL: Final = (
    "Type the store database's address too: the password is kept with it."
)


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
    IDLE_SIGN_OUT = "idle_sign_out_minutes"
    DISCOUNT_APPROVAL = "discount_approval_percent"
    RECEIPT_PRINTER = "receipt_printer"
    STORE_URL = "store_url"  # the store's database; "" for a lane on its own
    STORE_PASSWORD = "store_password"  # kept in the keyring, never in the file


#: What a JustiFi connection needs; ignored (and kept as they were) in demo mode.
CONNECTION_FIELDS: Final = frozenset(
    {
        SettingsField.API_URL,
        SettingsField.CLIENT_ID,
        SettingsField.CLIENT_SECRET,
        SettingsField.SUB_ACCOUNT,
    }
)
#: Fields the running lane wired at start: changing them takes a restart. (The receipt
#: printer is one: the cash drawer on it is wired when the lane starts.)
RESTART_FIELDS: Final = frozenset(
    {
        SettingsField.DEMO,
        SettingsField.API_URL,
        SettingsField.CLIENT_ID,
        SettingsField.SUB_ACCOUNT,
        SettingsField.PAYMENT_FLOW,
        SettingsField.LANE,
        SettingsField.RECEIPT_PRINTER,
        SettingsField.STORE_URL,  # joining or leaving a store: the sync task starts with the lane
    }
)
#: Not settings-file keys: the secrets, which the keyring keeps.
SECRET_FIELDS: Final = frozenset({SettingsField.CLIENT_SECRET, SettingsField.STORE_PASSWORD})


@dataclass(frozen=True)
class SettingsForm:
    """The settings as typed in the dialog (text, unchecked).

    `client_secret` and `store_password` are empty to keep the ones already
    stored; they never show in a repr.
    """

    demo: bool
    api_url: str = ""
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    sub_account: str = ""
    payment_flow: str = rules.DEFAULT_PAYMENT_FLOW
    lane: str = ""
    default_terminal: str = ""
    tax_rate_percent: str = "0"
    receipt_header: str = ""
    idle_sign_out_minutes: str = str(rules.DEFAULT_IDLE_SIGN_OUT_MINUTES)
    discount_approval_percent: str = str(rules.DEFAULT_DISCOUNT_APPROVAL_PERCENT)
    receipt_printer: str = ""
    store_url: str = ""
    store_password: str = field(default="", repr=False)


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


class SettingsInvalidError(InvalidInputError):
    """The form has problems; `problems` says which, field by field."""

    def __init__(self, problems: Mapping[SettingsField, str]) -> None:
        super().__init__(NOT_SAVED_INVALID)
        self.problems = dict(problems)


class SettingsSaveError(UnavailableError, RuntimeError):
    """The settings could not be saved (the keyring or the file refused); the message says
    why and what to do."""


def _note(problems: dict[SettingsField, str], key: SettingsField, problem: str) -> None:
    if problem:
        problems[key] = problem


def check_connection_fields(
    form: SettingsForm,
    problems: dict[SettingsField, str],
    secret_available: Callable[[str], bool],
) -> tuple[str, str, str]:
    """Check what a JustiFi connection needs into `problems`; the cleaned URL, id, account.

    `secret_available(client_id)` says whether a save without a typed secret
    still leaves the lane a secret to use.
    """
    url = rules.normalise_url(form.api_url)
    _note(problems, SettingsField.API_URL, rules.url_problem(url))
    client_id = form.client_id.strip()
    _note(problems, SettingsField.CLIENT_ID, rules.client_id_problem(client_id))
    secret = form.client_secret
    if secret:
        _note(problems, SettingsField.CLIENT_SECRET, rules.secret_problem(secret))
    elif client_id and not secret_available(client_id):
        problems[SettingsField.CLIENT_SECRET] = rules.SECRET_MISSING
    sub_account = form.sub_account.strip()
    _note(problems, SettingsField.SUB_ACCOUNT, rules.sub_account_problem(sub_account))
    return url, client_id, sub_account


def validate_form(
    form: SettingsForm, saved: SettingsValues, secret_available: Callable[[str], bool]
) -> Validation:
    """Check every field of `form`; in demo mode the account fields keep `saved`'s values."""
    problems: dict[SettingsField, str] = {}
    connection = None if form.demo else check_connection_fields(form, problems, secret_available)
    _note(problems, SettingsField.PAYMENT_FLOW, rules.payment_flow_problem(form.payment_flow))
    lane = form.lane.strip()
    _note(problems, SettingsField.LANE, rules.lane_problem(lane))
    terminal = form.default_terminal.strip()
    _note(problems, SettingsField.DEFAULT_TERMINAL, rules.terminal_problem(terminal))
    tax_bps, tax_problem = rules.parse_tax_percent(form.tax_rate_percent)
    _note(problems, SettingsField.TAX_RATE, tax_problem)
    header = rules.header_lines(form.receipt_header)
    _note(problems, SettingsField.RECEIPT_HEADER, rules.header_problem(header))
    idle_minutes, idle_problem = rules.parse_idle_minutes(form.idle_sign_out_minutes)
    _note(problems, SettingsField.IDLE_SIGN_OUT, idle_problem)
    discount_percent, discount_problem = rules.parse_discount_percent(
        form.discount_approval_percent
    )
    _note(problems, SettingsField.DISCOUNT_APPROVAL, discount_problem)
    printer = rules.normalise_receipt_printer(form.receipt_printer)
    _note(problems, SettingsField.RECEIPT_PRINTER, rules.receipt_printer_problem(printer))
    store_url = form.store_url.strip()
    _note(problems, SettingsField.STORE_URL, store_url_problem(store_url))
    if form.store_password and not store_url:
        problems[SettingsField.STORE_PASSWORD] = STORE_PASSWORD_WITHOUT_URL
    if problems or tax_bps is None or idle_minutes is None or discount_percent is None:
        return Validation(None, problems)
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
        idle_sign_out_minutes=idle_minutes,
        discount_approval_percent=discount_percent,
        receipt_printer=printer,
        store_url=store_url,
    )
    return Validation(values, {})


def store_url_problem(url: str) -> str:
    """What is wrong with a typed (stripped) store address, or "" ("" itself: no store)."""
    if rules.store_url_has_password(url):
        return rules.STORE_URL_PASSWORD
    return rules.store_url_problem(url)
