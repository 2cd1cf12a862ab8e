"""Lane settings as a manager edits them: load, validate, save, test the connection.

The settings dialog talks only to `SettingsService`. Three ports stand for
the outside: `SettingsStore` (the settings file; `pos_app.config.SettingsFileStore`),
`SecretStore` (the OS keyring; `pos_app.secrets.KeyringSecretStore`) and
`ConnectionChecker` (JustiFi; `pos_app.justifi.connection.check_connection`).

The package's modules, one idea each: `form` (what was typed and its check,
field by field, with the rules of `pos_app.domain.settings_rules`),
`connection_report` (what a connection test found, in sentences),
`store_check` (the store database's password and test), `ports` and
`service`. The names below are what the rest of the app imports.
"""

from __future__ import annotations

from pos_app.domain.settings_rules import bps_to_percent, parse_tax_percent
from pos_app.domain.settings_values import SettingsValues
from pos_app.services.settings.connection_report import (
    TLS_REASONS,
    ConnectionProblem,
    ConnectionReport,
    TerminalSummary,
    connection_sentence,
)
from pos_app.services.settings.form import (
    CONNECTION_FIELDS,
    DemoAccount,
    SaveResult,
    SecretState,
    SettingsField,
    SettingsForm,
    SettingsInvalidError,
    SettingsSaveError,
    Validation,
)
from pos_app.services.settings.ports import (
    ConnectionChecker,
    SecretStore,
    SettingsStore,
    StoreSetFields,
)
from pos_app.services.settings.service import SettingsService
from pos_app.services.settings.store_check import (
    StoreCheck,
    StoreChecker,
    StoreCheckReport,
    StorePasswords,
    StorePasswordState,
    url_without_password,
)

__all__ = [
    "CONNECTION_FIELDS",
    "TLS_REASONS",
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
    "StoreCheck",
    "StoreCheckReport",
    "StoreChecker",
    "StorePasswordState",
    "StorePasswords",
    "StoreSetFields",
    "TerminalSummary",
    "Validation",
    "bps_to_percent",
    "connection_sentence",
    "parse_tax_percent",
    "url_without_password",
]
