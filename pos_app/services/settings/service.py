"""`SettingsService`: the manager's settings use case (load, check, save, test the connection).

The client secret passes through here on its way to the keyring and to the
connection check, and goes nowhere else: it is never in `SettingsValues`,
never in what the store is asked to save, never in a log line or a repr.
The store database's password goes the same way (`StorePasswords`, then the
store's `StoreChecker`); an address with a password in it (only the
environment may give one) is shown and kept without it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Final

from pos_app.domain.settings_rules import (
    DEFAULT_DISCOUNT_APPROVAL_PERCENT,
    DEFAULT_IDLE_SIGN_OUT_MINUTES,
    DEFAULT_PAYMENT_FLOW,
    bps_to_percent,
)
from pos_app.domain.settings_values import SettingsValues
from pos_app.services.settings.connection_report import ConnectionProblem, ConnectionReport
from pos_app.services.settings.form import (
    CONNECTION_FIELDS,
    RESTART_FIELDS,
    SECRET_FIELDS,
    DemoAccount,
    SaveResult,
    SecretState,
    SettingsField,
    SettingsForm,
    SettingsInvalidError,
    SettingsSaveError,
    Validation,
    check_connection_fields,
    store_url_problem,
    validate_form,
)
from pos_app.services.settings.ports import (
    ConnectionChecker,
    SecretStore,
    SettingsStore,
    StoreSetFields,
)
from pos_app.services.settings.store_check import (
    StoreCheck,
    StoreChecker,
    StoreCheckReport,
    StorePasswords,
    StorePasswordState,
    store_host,
    url_without_password,
)

__all__ = ["NOT_SAVED_FILE", "NOT_SAVED_KEYRING", "SettingsService"]

log = logging.getLogger("pos_app.services.settings")

NOT_SAVED_KEYRING: Final = "Nothing was saved: {reason}"
NOT_SAVED_FILE: Final = "The settings were not saved: {reason}"
NO_STORE_KEYRING: Final = (
    "this computer has no keyring for the store's password; set POS_STORE_PASSWORD in the"
    " lane's environment instead."
)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _whole(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


class SettingsService:
    """Loads, checks and saves the lane's settings; tests the JustiFi connection.

    Args:
        store: the settings file.
        secrets: the keyring.
        checker: the JustiFi connection test.
        demo_account: the running demo sandbox, if the app runs one (tests the
            connection in demo mode).
        on_saved: told the settings in force after every save, so the running lane
            takes up what needs no restart (the idle sign-out time, the discount limit).
        store_checker: the store database's test (None: the dialog cannot test one).
        store_passwords: where the store database's password is kept (None: nowhere on
            this computer; POS_STORE_PASSWORD then).
    """

    def __init__(
        self,
        store: SettingsStore,
        secrets: SecretStore,
        checker: ConnectionChecker,
        *,
        demo_account: DemoAccount | None = None,
        on_saved: Callable[[SettingsValues], None] | None = None,
        store_checker: StoreChecker | None = None,
        store_passwords: StorePasswords | None = None,
    ) -> None:
        self._store = store
        self._secrets = secrets
        self._checker = checker
        self._demo_account = demo_account
        self._on_saved = on_saved
        self._store_checker = store_checker
        self._store_passwords = store_passwords
        self._full_store_url = ""  # as given, with a password only the environment may put in
        self._stored_cache: dict[str, bool] = {}
        self._store_stored_cache: dict[str, bool] = {}
        self._store_keyring: bool | None = None
        self._keyring: tuple[bool, str, str] | None = None
        self._saved = self._load_values()

    # -- reading --------------------------------------------------------------------------

    def _load_values(self) -> SettingsValues:
        raw = self._store.load()
        client_id = _text(raw.get("client_id")) or None
        demo = raw.get("demo")
        store_url = _text(raw.get("store_url")).strip()
        self._full_store_url = store_url
        return SettingsValues(
            demo=bool(demo) if demo is not None else not client_id,
            api_url=_text(raw.get("api_url")),
            client_id=client_id,
            sub_account=_text(raw.get("sub_account")) or None,
            payment_flow=_text(raw.get("payment_flow")) or DEFAULT_PAYMENT_FLOW,
            lane=_text(raw.get("lane")),
            default_terminal=_text(raw.get("default_terminal")) or None,
            tax_rate_bps=_whole(raw.get("tax_rate_bps"), 0),
            receipt_header=_text(raw.get("receipt_header")),
            idle_sign_out_minutes=_whole(
                raw.get("idle_sign_out_minutes"), DEFAULT_IDLE_SIGN_OUT_MINUTES
            ),
            discount_approval_percent=_whole(
                raw.get("discount_approval_percent"), DEFAULT_DISCOUNT_APPROVAL_PERCENT
            ),
            receipt_printer=_text(raw.get("receipt_printer")),
            store_url=url_without_password(store_url),
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
            idle_sign_out_minutes=str(values.idle_sign_out_minutes),
            discount_approval_percent=str(values.discount_approval_percent),
            receipt_printer=values.receipt_printer,
            store_url=values.store_url,
        )

    def locked_fields(self) -> frozenset[SettingsField]:
        """Fields set by environment variables or by the store: shown, not editable."""
        locked = self._store.locked_fields()
        return frozenset(f for f in SettingsField if f.value in locked) | self.store_fields()

    def store_fields(self) -> frozenset[SettingsField]:
        """Fields the store sets for every lane (its shared settings): shown, not editable."""
        store = self._store
        shared = store.store_fields() if isinstance(store, StoreSetFields) else frozenset()
        return frozenset(f for f in SettingsField if f.value in shared)

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

    @property
    def _store_url_password(self) -> bool:
        """Whether the address in force carries its password (POS_STORE_URL may)."""
        return url_without_password(self._full_store_url) != self._full_store_url

    def store_password_state(self, store_url: str) -> StorePasswordState:
        """Where the store database's password for this address would come from."""
        passwords = self._store_passwords
        url = store_url.strip()
        if passwords is None:
            return StorePasswordState(False, self._store_url_password, False)
        from_environment = self._store_url_password or passwords.from_environment()
        if self._store_keyring is None:
            self._store_keyring = passwords.available()  # asked once: it probes the keyring
        available = self._store_keyring
        return StorePasswordState(
            keyring_available=available,
            from_environment=from_environment,
            stored=available and bool(url) and self._store_password_stored(url),
        )

    def _store_password_stored(self, url: str) -> bool:
        if url not in self._store_stored_cache:
            self._store_stored_cache[url] = self._stored_store_password(url) is not None
        return self._store_stored_cache[url]

    # -- checking -------------------------------------------------------------------------

    def validate(self, form: SettingsForm) -> Validation:
        """Check every field; each problem is a sentence that says what to type."""
        return validate_form(form, self._saved, self._secret_available)

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
        if form.store_password and values.store_url:
            self._keep_store_password(values.store_url, form.store_password)
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
        if form.store_password and values.store_url:
            changed |= {SettingsField.STORE_PASSWORD}
        self._saved = self._load_values()
        restart = bool(changed & (RESTART_FIELDS | SECRET_FIELDS))
        log.info(
            "settings saved; changed: %s", ", ".join(sorted(f.value for f in changed)) or "nothing"
        )
        if self._on_saved is not None:
            self._on_saved(self._saved)
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

    def _keep_store_password(self, url: str, password: str) -> None:
        passwords = self._store_passwords
        if passwords is None or not passwords.available():
            raise SettingsSaveError(NOT_SAVED_KEYRING.format(reason=NO_STORE_KEYRING))
        try:
            passwords.save(url, password)
        except RuntimeError as exc:
            raise SettingsSaveError(NOT_SAVED_KEYRING.format(reason=exc)) from None
        self._store_stored_cache[url] = True
        previous = self._saved.store_url
        if previous and previous != url and self._store_password_stored(previous):
            # The store's new address replaces the old one: leave no stale password behind.
            try:
                passwords.delete(previous)
            except RuntimeError:
                log.warning("the old store address's password could not be removed")
            else:
                self._store_stored_cache[previous] = False

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
        _, client_id, _ = check_connection_fields(form, problems, self._secret_available)
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
        url, client_id, sub_account = check_connection_fields(
            form, problems, self._secret_available
        )
        secret = form.client_secret or (self._secrets.read(client_id) if client_id else None)
        if problems or not secret:
            return ConnectionReport.failed(ConnectionProblem.INCOMPLETE)
        report = await self._checker(url, client_id, secret, sub_account)
        if secret in report.message:  # a checker bug must not show the secret
            report = replace(report, message=report.message.replace(secret, "[redacted]"))
        return report

    def can_test_store(self, form: SettingsForm) -> bool:
        """Whether the form names a store database this window can test."""
        url = form.store_url.strip()
        return self._store_checker is not None and bool(url) and not store_url_problem(url)

    async def test_store(self, form: SettingsForm) -> StoreCheckReport:
        """Connect to the store database the form names and read its schema version."""
        url = form.store_url.strip()
        if self._store_checker is None:
            return StoreCheckReport.of(StoreCheck.NO_CHECKER)
        if not url or store_url_problem(url):
            return StoreCheckReport.of(StoreCheck.INCOMPLETE)
        password = form.store_password or self._stored_store_password(url)
        if not form.store_password and self._store_url_password and url == self._saved.store_url:
            url, password = self._full_store_url, None  # the environment's, password and all
        report = await self._store_checker(url, password)
        if password and password in report.message:  # a checker bug must not show it
            report = replace(report, message=report.message.replace(password, "[redacted]"))
        log.info("store database test at %s: %s", store_host(url), report.outcome.value)
        return report

    def _stored_store_password(self, url: str) -> str | None:
        passwords = self._store_passwords
        return passwords.read(url) if passwords is not None else None
