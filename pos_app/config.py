"""Settings: environment variables over the store's shared settings over the settings
file over defaults.

The settings file (TOML, in the user config dir) never holds the client
secret; it comes from the OS keyring or, for kiosks and CI, the environment.
A file holding anything secret-looking (`client_secret` in any case or
spelling, `JUSTIFI_CLIENT_SECRET`, a token, a password, a PIN), at the top or
in any table, is refused whole: nothing of it is loaded or kept, and the
message names the key, never its value.

The file is versioned (`settings_version`). A file from an older version is
migrated in memory when read (reading never writes, so a read-only config
dir or a CLI run changes nothing); `save_settings` writes the current
version. Version 1 is the original format, which had no version key.

Saving keeps keys this version does not know (hand-written notes for other
tools, or keys a newer pos-app added) so they survive the settings dialog;
it refuses to write over a file from a newer pos-app, whose meaning it
cannot know, and it refuses any secret.

What a value may be (the ranges, the URL, the lane name, the receipt header,
the flows and currencies) is decided in `pos_app.domain.settings_rules`, which
the settings dialog's service checks with too; this module reads, merges and
writes.

A lane in a store (`store_url`) also reads `store-settings.toml` in its data
dir: the settings every lane of the store shares (receipt header, tax rate,
limits; `pos_app.domain.store_shared.STORE_SETTINGS_KEYS`), as the lane last
took them from the store. They come after the environment and before the
settings file, and the settings dialog shows them locked ("set for the whole
store"). A value there that the rules refuse is left out with a warning.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import re
import socket
import stat
import tempfile
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from pos_app.domain import settings_rules as rules
from pos_app.domain.errors import ConfigurationError
from pos_app.domain.settings_rules import (
    ANSWER_GRACE_SECONDS,
    DEFAULT_API_URL,
    DEFAULT_DISCOUNT_APPROVAL_PERCENT,
    DEFAULT_IDLE_SIGN_OUT_MINUTES,
    DEFAULT_MAX_AMOUNT_CENTS,
    DEFAULT_PAYMENT_FLOW,
    DEVICE_TIMEOUT_SECONDS,
    LANE_MAX_LENGTH,
    LOCAL_HTTP_PREFIXES,
    MAX_SECONDS,
    MIN_MAX_AMOUNT_CENTS,
    POLL_INTERVAL_MAX,
    RECEIPT_HEADER_MAX_LINES,
    RECEIPT_HEADER_MAX_WIDTH,
    TAX_MAX_BPS,
    Currency,
    Environment,
    PaymentFlowName,
)
from pos_app.domain.settings_values import EDITABLE_FIELDS
from pos_app.domain.store_shared import STORE_SETTINGS_FILE, STORE_SETTINGS_KEYS
from pos_app.folders import APP_NAME, SETTINGS_FILE, config_dir, data_dir, log_dir

__all__ = [
    "ANSWER_GRACE_SECONDS",
    "APP_NAME",
    "DEFAULT_API_URL",
    "DEVICE_TIMEOUT_SECONDS",
    "LANE_MAX_LENGTH",
    "LOCAL_HTTP_PREFIXES",
    "MIGRATIONS",
    "RECEIPT_HEADER_MAX_LINES",
    "RECEIPT_HEADER_MAX_WIDTH",
    "SECRET_KEYS",
    "SETTINGS_FILE",
    "SETTINGS_VERSION",
    "Settings",
    "SettingsError",
    "SettingsFileStore",
    "check_setting",
    "config_dir",
    "data_dir",
    "dump_toml",
    "env_names",
    "fields_set_by_environment",
    "is_secret_key",
    "load_settings",
    "log_dir",
    "migrate",
    "read_settings_file",
    "read_store_settings",
    "save_settings",
    "settings_path",
    "store_settings_path",
]

log = logging.getLogger("pos_app.config")

SECRET_KEYS = ("client_secret", "justifi_client_secret")
# A key holding one of these (case, "-", "_", "." and spaces aside) is a secret.
_SECRET_WORDS = (
    "secret",
    "token",
    "password",
    "passwd",
    "passphrase",
    "apikey",
    "privatekey",
)
# ... and so is a key with one of these as a whole word ("manager_pin", "db_pwd").
_SECRET_PARTS = frozenset({"pin", "pins", "pwd", "credential", "credentials"})
_KEY_SEPARATORS = re.compile(r"[\s_.\-]+")
_SECRET_ADVICE = (
    "secrets belong in the OS keyring or the JUSTIFI_CLIENT_SECRET environment variable"
)
#: The version `save_settings` writes; see MIGRATIONS for the steps up to it.
SETTINGS_VERSION = 2

_FILE_HEADER = (
    "# pos-app settings. Written by the settings dialog; safe to edit by hand.\n"
    "# The JustiFi client secret is never kept here: it lives in the OS keyring,\n"
    "# or in the JUSTIFI_CLIENT_SECRET environment variable.\n"
)


class SettingsError(ConfigurationError, ValueError):
    """The settings cannot be used or saved; the message says what to fix."""


def settings_path() -> Path:
    """The settings file."""
    return config_dir() / SETTINGS_FILE


# -- versions ------------------------------------------------------------------------------


def _v1_to_v2(document: dict[str, Any]) -> dict[str, Any]:
    """v2 makes the demo/JustiFi choice explicit (v1: no client id meant demo).

    Credentials in a v1 file meant JustiFi, so such a file says `demo = false`.
    A v1 file without a client id keeps the old automatic rule (no `demo`
    key): the client id may come from JUSTIFI_CLIENT_ID on a kiosk.
    """
    if document.get("client_id") and "demo" not in document:
        document["demo"] = False
    return document


#: MIGRATIONS[n] turns a version-n document into a version-(n + 1) one.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


def migrate(document: Mapping[str, Any]) -> dict[str, Any]:
    """A settings document brought up to SETTINGS_VERSION (a newer one is left as is)."""
    data = dict(document)
    version = data.get("settings_version", 1)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SettingsError(f"settings_version must be a whole number from 1: {version!r}")
    while version < SETTINGS_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
        data["settings_version"] = version
    return data


def is_secret_key(key: str) -> bool:
    """Whether a settings key names a secret, whatever its case or spelling
    (`Client_Secret`, `JUSTIFI_CLIENT_SECRET`, `access-token`, `manager_pin`)."""
    parts = [part for part in _KEY_SEPARATORS.split(key.casefold()) if part]
    joined = "".join(parts)
    return any(word in joined for word in _SECRET_WORDS) or any(
        part in _SECRET_PARTS for part in parts
    )


def _secret_keys(table: Mapping[str, Any], where: tuple[str, ...] = ()) -> list[str]:
    """Every secret-looking key in a TOML document, its tables and arrays of tables,
    as "[table] key" (the key's name only: a value never leaves this function)."""
    found: list[str] = []
    for key, value in table.items():
        if is_secret_key(key):
            found.append(_place(where, key))
        tables = [value] if isinstance(value, Mapping) else []
        if isinstance(value, list):
            tables = [item for item in value if isinstance(item, Mapping)]
        for inner in tables:
            found += _secret_keys(inner, (*where, key))
    return found


def _place(where: tuple[str, ...], key: str) -> str:
    printable = "".join(ch if ch.isprintable() else "?" for ch in key)
    if not where:
        return printable
    table = ".".join("".join(ch if ch.isprintable() else "?" for ch in t) for t in where)
    return f"[{table}] {printable}"


def read_settings_file(path: Path | None = None) -> dict[str, Any]:
    """The settings file as a migrated dict ({} when there is none).

    A file holding a secret anywhere (see `is_secret_key`) is refused whole.
    """
    path = path or settings_path()
    if not path.exists():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read {path}: {exc}") from exc
    secrets = _secret_keys(raw)
    if secrets:
        raise SettingsError(
            f"{path} contains {', '.join(secrets)}; {_SECRET_ADVICE}. Remove it from the"
            " file: nothing in it is used until then."
        )
    if rules.store_url_has_password(str(raw.get("store_url", ""))):
        raise SettingsError(f"{path}: {rules.STORE_URL_PASSWORD}")
    document = migrate(raw)
    if document.get("settings_version", 1) > SETTINGS_VERSION:
        log.warning(
            "%s is from a newer pos-app (settings version %s); reading what this version knows",
            path,
            document.get("settings_version"),
        )
    return document


class _SettingsFile(PydanticBaseSettingsSource):
    """settings.toml, migrated to the current version, refusing a secret in it."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        self.values: dict[str, Any] = read_settings_file()

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self.values.items() if k in self.settings_cls.model_fields}


def store_settings_path() -> Path:
    """The lane's copy of the store's shared settings."""
    return data_dir() / STORE_SETTINGS_FILE


def read_store_settings(path: Path | None = None) -> dict[str, Any]:
    """The store's shared settings as this lane last took them ({} without the file):
    the shared keys only, each as `Settings` would hold it. A file that cannot be read,
    or a value the rules refuse, is left out with a warning (the lane keeps its own
    value until the next pull brings a good one); a lane must start without its store."""
    path = path or store_settings_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        log.warning("%s cannot be read, so the store's settings are not applied: %s", path, exc)
        return {}
    values: dict[str, Any] = {}
    for key in STORE_SETTINGS_KEYS:
        if key not in raw:
            continue
        try:
            values[key] = check_setting(key, raw[key])
        except SettingsError as exc:
            log.warning("%s: %s is left out: %s", path, key, exc)
    return values


def _names_store(environ: Mapping[str, str], file_values: Mapping[str, Any]) -> bool:
    """Whether the lane is in a store: POS_STORE_URL, else the settings file's store_url."""
    for name, value in environ.items():
        if name.lower() == "pos_store_url":
            return bool(value.strip())
    return bool(str(file_values.get("store_url") or "").strip())


class _StoreSettingsFile(PydanticBaseSettingsSource):
    """store-settings.toml, read only on a lane in a store."""

    def __init__(self, settings_cls: type[BaseSettings], in_store: bool) -> None:
        super().__init__(settings_cls)
        self.values: dict[str, Any] = read_store_settings() if in_store else {}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.values)


# -- the settings --------------------------------------------------------------------------


class Settings(BaseSettings):
    """Everything configurable about a lane."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    settings_version: int = Field(SETTINGS_VERSION, ge=1)
    demo: bool | None = Field(None, validation_alias=AliasChoices("POS_DEMO", "demo"))
    api_url: str = Field(
        DEFAULT_API_URL, validation_alias=AliasChoices("JUSTIFI_API_URL", "api_url")
    )
    client_id: str | None = Field(
        None, validation_alias=AliasChoices("JUSTIFI_CLIENT_ID", "client_id")
    )
    client_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("JUSTIFI_CLIENT_SECRET", "client_secret")
    )
    sub_account: str | None = Field(
        None, validation_alias=AliasChoices("JUSTIFI_SUB_ACCOUNT", "sub_account")
    )
    payment_flow: PaymentFlowName = Field(
        DEFAULT_PAYMENT_FLOW, validation_alias=AliasChoices("POS_PAYMENT_FLOW", "payment_flow")
    )
    lane: str = Field(
        default_factory=socket.gethostname,
        validation_alias=AliasChoices("POS_LANE", "lane"),
    )
    default_terminal: str | None = Field(
        None, validation_alias=AliasChoices("POS_DEFAULT_TERMINAL", "default_terminal")
    )
    currency: Currency = Field("usd", validation_alias=AliasChoices("POS_CURRENCY", "currency"))
    max_amount_cents: int = Field(
        DEFAULT_MAX_AMOUNT_CENTS,
        ge=MIN_MAX_AMOUNT_CENTS,
        validation_alias=AliasChoices("POS_MAX_AMOUNT_CENTS", "max_amount_cents"),
    )
    tax_rate_bps: int = Field(
        0, ge=0, le=TAX_MAX_BPS, validation_alias=AliasChoices("POS_TAX_RATE_BPS", "tax_rate_bps")
    )
    receipt_header: str = Field(
        "", validation_alias=AliasChoices("POS_RECEIPT_HEADER", "receipt_header")
    )
    poll_interval: float = Field(
        1.0,
        gt=0,
        le=POLL_INTERVAL_MAX,
        validation_alias=AliasChoices("POS_POLL_INTERVAL", "poll_interval"),
    )
    sandbox_time_scale: float = Field(
        1.0, gt=0, validation_alias=AliasChoices("POS_SANDBOX_TIME_SCALE", "sandbox_time_scale")
    )
    # How long a charge, refund or void may wait for JustiFi's final answer once
    # something was sent: the terminal's own timeout, then a grace for a slow or
    # unreachable JustiFi. Past both the outcome is "unresolved" (never a decline).
    device_timeout: float = Field(
        DEVICE_TIMEOUT_SECONDS,
        ge=1,
        le=MAX_SECONDS,
        validation_alias=AliasChoices("POS_DEVICE_TIMEOUT", "device_timeout"),
    )
    answer_grace: float = Field(
        ANSWER_GRACE_SECONDS,
        gt=0,
        le=MAX_SECONDS,
        validation_alias=AliasChoices("POS_ANSWER_GRACE", "answer_grace"),
    )
    # The person signed in at the till is signed out after this many minutes idle.
    idle_sign_out_minutes: int = Field(
        DEFAULT_IDLE_SIGN_OUT_MINUTES,
        validation_alias=AliasChoices("POS_IDLE_SIGN_OUT_MINUTES", "idle_sign_out_minutes"),
    )
    # A sale whose discounts take off more than this share of its gross needs a manager.
    discount_approval_percent: int = Field(
        DEFAULT_DISCOUNT_APPROVAL_PERCENT,
        validation_alias=AliasChoices("POS_DISCOUNT_APPROVAL_PERCENT", "discount_approval_percent"),
    )
    # The ESC/POS receipt printer, which also opens the cash drawer ("" for none).
    receipt_printer: str = Field(
        "", validation_alias=AliasChoices("POS_RECEIPT_PRINTER", "receipt_printer")
    )

    # The store's PostgreSQL database ("" for none: the lane runs on its own files). Its
    # password is never in the settings file: POS_STORE_PASSWORD or the OS keyring.
    store_url: str = Field("", validation_alias=AliasChoices("POS_STORE_URL", "store_url"))

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        url = rules.normalise_url(value)
        if problem := rules.url_problem(url):
            raise ValueError(problem)
        return url

    @field_validator("lane")
    @classmethod
    def _lane(cls, value: str) -> str:
        lane = value.strip()
        if problem := rules.lane_problem(lane):
            raise ValueError(problem)
        return lane

    @field_validator("client_id", "sub_account", "default_terminal")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return (value.strip() or None) if value is not None else None

    @field_validator("idle_sign_out_minutes", mode="before")
    @classmethod
    def _idle_is_a_number(cls, value: object) -> object:
        if isinstance(value, bool):  # TOML's `true` is not 1 minute
            raise ValueError(rules.IDLE_NOT_A_NUMBER)  # noqa: TRY004 - pydantic wants ValueError
        return value

    @field_validator("idle_sign_out_minutes")
    @classmethod
    def _idle_minutes(cls, value: int) -> int:
        if problem := rules.idle_minutes_problem(value):
            raise ValueError(problem)
        return value

    @field_validator("discount_approval_percent", mode="before")
    @classmethod
    def _discount_limit_is_a_number(cls, value: object) -> object:
        if isinstance(value, bool):  # TOML's `true` is not 1 %
            raise ValueError(rules.DISCOUNT_LIMIT_NOT_A_NUMBER)  # noqa: TRY004 - as above
        return value

    @field_validator("discount_approval_percent")
    @classmethod
    def _discount_limit(cls, value: int) -> int:
        if problem := rules.discount_percent_problem(value):
            raise ValueError(problem)
        return value

    @field_validator("receipt_printer")
    @classmethod
    def _receipt_printer(cls, value: str) -> str:
        spec = rules.normalise_receipt_printer(value)
        if problem := rules.receipt_printer_problem(spec):
            raise ValueError(problem)
        return spec

    @field_validator("store_url")
    @classmethod
    def _store_url(cls, value: str) -> str:
        url = value.strip()
        if problem := rules.store_url_problem(url):
            raise ValueError(problem)
        return url

    @field_validator("receipt_header")
    @classmethod
    def _header(cls, value: str) -> str:
        lines = rules.header_lines(value)
        if problem := rules.header_problem(lines):
            raise ValueError(problem)
        return "\n".join(lines)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file_source = _SettingsFile(settings_cls)
        init = getattr(init_settings, "init_kwargs", {})
        in_store = bool(init.get("store_url") or init.get("POS_STORE_URL")) or _names_store(
            os.environ, file_source.values
        )
        return init_settings, env_settings, _StoreSettingsFile(settings_cls, in_store), file_source

    @property
    def has_credentials(self) -> bool:
        """Whether a JustiFi account is configured (else demo mode)."""
        return bool(self.client_id)

    @property
    def is_demo(self) -> bool:
        """Demo mode: as chosen (`demo`), else automatic: no client id means demo."""
        return self.demo if self.demo is not None else not self.has_credentials

    @property
    def discount_approval_bps(self) -> int:
        """The discount limit in basis points, as `Cart.needs_approval` takes it."""
        return rules.discount_limit_bps(self.discount_approval_percent)

    @property
    def is_justifi_host(self) -> bool:
        """Whether the API URL is JustiFi's own host (only there can real cards be charged)."""
        return rules.is_justifi_host(self.api_url)

    @property
    def environment(self) -> Environment:
        """LIVE only for JustiFi's own host with credentials that are not test ones.

        JustiFi's test client ids start with test_. Any other API URL (a local
        sandbox, a staging proxy) never charges real cards: TEST.
        """
        return rules.environment(self.api_url, self.client_id)


def _first_problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "settings"
    return f"{where}: {first.get('msg')}"


def load_settings(**overrides: Any) -> Settings:
    """The settings, or SettingsError with one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_first_problem(exc)) from None


def check_setting(key: str, value: Any) -> Any:
    """One setting's value as `Settings` would hold it, checked by every rule it has
    (text from a command line is converted: "825" for a number); SettingsError naming
    the key and what is wrong."""
    if key not in Settings.model_fields or key == "settings_version":
        raise SettingsError(f"{key} is not a setting")
    try:
        checked = Settings.__pydantic_validator__.validate_assignment(
            Settings.model_construct(), key, value
        )
    except ValidationError as exc:
        raise SettingsError(_first_problem(exc)) from None
    return getattr(checked, key)


def env_names(field_name: str) -> tuple[str, ...]:
    """The environment variables that set a field (pydantic-settings ignores their case)."""
    field = Settings.model_fields[field_name]
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(str(choice) for choice in alias.choices)
    return (str(alias),) if isinstance(alias, str) else (field_name,)


def fields_set_by_environment(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """Fields an environment variable sets, so the settings file cannot change them."""
    present = {name.lower() for name in (os.environ if environ is None else environ)}
    return frozenset(
        name
        for name in Settings.model_fields
        if name != "settings_version" and any(env.lower() in present for env in env_names(name))
    )


# -- saving ------------------------------------------------------------------------------


def save_settings(values: Mapping[str, Any], path: Path | None = None) -> Path:
    """Merge `values` into the settings file and write it atomically; returns the path.

    A value of None removes the key (the default applies again). Keys the
    file has and `values` does not name are kept, unknown ones included. The
    result is validated as a whole before anything is written; the file is
    written to a temporary file beside it, flushed to disk, then renamed over
    the old one, so a crash leaves either the old or the new file, never half.

    Raises:
        SettingsError: a secret among the values, an unknown or invalid
            setting, a file from a newer pos-app, or the file cannot be written.
    """
    path = path or settings_path()
    for key, value in values.items():
        if key in SECRET_KEYS or is_secret_key(key) or isinstance(value, SecretStr):
            raise SettingsError(f"refusing to write {key} to {path}: {_SECRET_ADVICE}")
        if key not in Settings.model_fields or key == "settings_version":
            raise SettingsError(f"{key} is not a setting pos-app can save")
        if key == "store_url" and rules.store_url_has_password(str(value or "")):
            raise SettingsError(rules.STORE_URL_PASSWORD)
    document = read_settings_file(path)
    version = document.get("settings_version", SETTINGS_VERSION)
    if version > SETTINGS_VERSION:
        raise SettingsError(
            f"{path} was written by a newer pos-app (settings version {version}); update"
            " pos-app on this computer before changing its settings"
        )
    for key, value in values.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    document["settings_version"] = SETTINGS_VERSION
    known = {k: v for k, v in document.items() if k in Settings.model_fields}
    try:
        checked = Settings.model_validate(known)
    except ValidationError as exc:
        raise SettingsError(_first_problem(exc)) from None
    for key in known:  # what load_settings would read back (e.g. the URL without its slash)
        normalised = getattr(checked, key)
        if normalised is None:
            document.pop(key)
        else:
            document[key] = normalised
    text = _FILE_HEADER + dump_toml(document)
    if tomllib.loads(text) != document:
        raise SettingsError("the settings could not be written as TOML")  # pragma: no cover
    _write_atomically(path, text)
    log.info("settings saved to %s (version %d)", path, SETTINGS_VERSION)
    return path


def _write_atomically(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise SettingsError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if path.exists():
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise SettingsError(f"cannot write {path}: {exc.strerror or exc}") from exc
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable where the platform allows it (POSIX)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class SettingsFileStore:
    """The settings file as `pos_app.services.settings.SettingsStore` wants it."""

    #: The fields the settings dialog edits.
    EDITABLE = EDITABLE_FIELDS

    def load(self) -> dict[str, Any]:
        """The editable settings in force (environment over the store's shared settings
        over the file over defaults)."""
        settings = load_settings()
        return {name: getattr(settings, name) for name in self.EDITABLE}

    def locked_fields(self) -> frozenset[str]:
        """Fields the environment sets (see `fields_set_by_environment`) or the store
        sets for every lane (see `store_fields`): saving cannot change them."""
        return fields_set_by_environment() | self.store_fields()

    def store_fields(self) -> frozenset[str]:
        """Fields the store's shared settings set on this lane (a lane in a store, once it
        took them), less those the environment sets (the environment wins over both)."""
        if not _names_store(os.environ, read_settings_file()):
            return frozenset()
        return frozenset(read_store_settings()) - fields_set_by_environment()

    def save(self, values: Mapping[str, Any]) -> None:
        """See `save_settings`."""
        save_settings(values)


# -- TOML writing (the standard library only reads TOML) --------------------------------

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r", '"': '\\"'}


def dump_toml(document: Mapping[str, Any]) -> str:
    """`document` as TOML: plain keys first, then one [table] per nested mapping."""
    lines: list[str] = []
    _dump_table(document, (), lines)
    return "\n".join(lines).lstrip("\n") + "\n"


def _dump_table(table: Mapping[str, Any], prefix: tuple[str, ...], lines: list[str]) -> None:
    tables = {k: v for k, v in table.items() if isinstance(v, Mapping)}
    if prefix:
        lines.extend(("", "[" + ".".join(_key(part) for part in prefix) + "]"))
    for key, value in table.items():
        if key not in tables:
            lines.append(f"{_key(key)} = {_value(value)}")
    for key, value in tables.items():
        _dump_table(value, (*prefix, key), lines)


def _key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    out = ['"']
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise SettingsError(f"cannot write a {type(value).__name__} to the settings file")
