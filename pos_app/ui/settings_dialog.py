"""The lane's settings, for a manager: where payments go, the account, the lane.

The dialog talks to `SettingsService` only. It never blocks: `ask()` opens it
and awaits the outcome, and "Test connection" runs in a task slot the dialog
owns (the slot stops it when the dialog closes; a bug in it reaches the bug
funnel). Every field is checked as it is typed; Save stays disabled until
nothing is marked. The client secret goes from its masked field to the
service, which keeps it in the keyring; where there is no keyring the field is
disabled and a note says to use JUSTIFI_CLIENT_SECRET. The widgets themselves
are `pos_app.ui.settings_form.SettingsFormWidgets`.

The store database (the "Store database" group) works the same way: its
address is checked as typed (a password typed into it is refused: it goes in
the password field, which the service keeps in the keyring), "Test store
connection" runs in a slot of its own through the service's injected checker,
and a changed address says that joining or leaving takes effect at the next
start. Fields the store sets for every lane are shown locked, "set for the
whole store".
"""

from __future__ import annotations

import asyncio

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from pos_app.services.settings import (
    ConnectionProblem,
    ConnectionReport,
    SaveResult,
    SecretState,
    SettingsForm,
    SettingsInvalidError,
    SettingsSaveError,
    SettingsService,
    StoreCheckReport,
    StorePasswordState,
    connection_sentence,
)
from pos_app.ui.settings_fields import set_text
from pos_app.ui.settings_form import SettingsFormWidgets
from pos_app.ui.style import set_style_state
from pos_app.ui.tasks import TaskSlot, accepted, finished_result
from pos_app.ui.text import settings as text


class SettingsDialog(SettingsFormWidgets):
    """Edits the lane's settings; `ask()` returns the SaveResult, or None if cancelled."""

    settings_saved = Signal(object)  # SaveResult
    change_pin_requested = Signal()

    def __init__(self, service: SettingsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._result: SaveResult | None = None
        self._check_slot = TaskSlot(self, "connection test")
        self._store_slot = TaskSlot(self, "store database test")
        self._secret_state: SecretState | None = None
        self._store_password_state: StorePasswordState | None = None
        self._prompting = True  # the status area shows a prompt, not a test's result
        self._store_prompting = True  # likewise the store's status line
        self._fill(service.current())
        self._lock(service.locked_fields(), service.store_fields())
        self._refresh_secret_state()
        self._refresh_store_password_state()
        self._connect()
        self._update()

    @property
    def result_value(self) -> SaveResult | None:
        """What Save did, once saved."""
        return self._result

    @property
    def check_task(self) -> asyncio.Task[object] | None:
        """The running (or last) connection test, for tests to await."""
        return self._check_slot.task

    @property
    def store_check_task(self) -> asyncio.Task[object] | None:
        """The running (or last) store database test, for tests to await."""
        return self._store_slot.task

    # -- state -------------------------------------------------------------------------------

    def _refresh_secret_state(self) -> None:
        state = self._service.secret_state(self.client_id_edit.text())
        self._secret_state = state
        edit = self.client_secret_edit
        if state.from_environment:
            placeholder, status = text.SECRET_PLACEHOLDER_ENVIRONMENT, text.SECRET_FROM_ENVIRONMENT
        elif not state.keyring_available:
            placeholder, status = text.SECRET_PLACEHOLDER_NO_KEYRING, ""
        elif state.stored:
            placeholder, status = text.SECRET_PLACEHOLDER_STORED, text.SECRET_STORED
        else:
            placeholder, status = text.SECRET_PLACEHOLDER_NEW, text.SECRET_NOT_STORED
        if not state.editable:
            edit.clear()
        edit.setPlaceholderText(placeholder)
        edit.setAccessibleDescription(status or state.keyring_message)
        set_text(self.secret_state_label, status)
        no_keyring = not state.keyring_available and not state.from_environment
        set_text(self.keyring_note, state.keyring_message if no_keyring else "")

    def _refresh_store_password_state(self) -> None:
        state = self._service.store_password_state(self.store_url_edit.text())
        self._store_password_state = state
        edit = self.store_password_edit
        if state.from_environment:
            placeholder = text.STORE_PASSWORD_PLACEHOLDER_ENVIRONMENT
            status = text.STORE_PASSWORD_FROM_ENVIRONMENT
        elif not state.keyring_available:
            placeholder, status = text.STORE_PASSWORD_PLACEHOLDER_NO_KEYRING, ""
        elif state.stored:
            placeholder, status = text.STORE_PASSWORD_PLACEHOLDER_STORED, text.STORE_PASSWORD_STORED
        else:
            placeholder = text.STORE_PASSWORD_PLACEHOLDER_NEW
            status = text.STORE_PASSWORD_NOT_STORED
        if not state.editable:
            edit.clear()
        edit.setPlaceholderText(placeholder)
        edit.setAccessibleDescription(status)
        set_text(self.store_password_state_label, status)
        no_keyring = not state.keyring_available and not state.from_environment
        set_text(self.store_keyring_note, text.STORE_NO_KEYRING if no_keyring else "")

    def _update(self) -> None:
        """Enable what applies, show each field's problem, allow Save only when all is well."""
        demo = self.demo_radio.isChecked()
        for widget in (self.api_url_edit, self.client_id_edit, self.sub_account_edit):
            widget.setEnabled(not demo and widget not in self._locked)
        self._update_secret_field(demo)
        if not self.store_url_edit.text().strip() and self.store_password_edit.text():
            # No store: a password typed for one goes with it (its field is disabled).
            self.store_password_edit.blockSignals(True)
            self.store_password_edit.clear()
            self.store_password_edit.blockSignals(False)
        form = self.form()
        validation = self._service.validate(form)
        for key, hint in self._rows.hints.items():
            set_text(hint, validation.problems.get(key, ""))
        can_test = self._service.can_test(form)
        self.test_button.setEnabled(can_test)
        if self._prompting:
            nothing_to_test = demo and not can_test
            prompt = (
                connection_sentence(ConnectionProblem.NOT_TESTED)
                if nothing_to_test
                else text.TEST_PROMPT
            )
            self._show_status(prompt, "")
        self._update_store(form)
        self.save_button.setEnabled(validation.ok and self._result is None)
        self.save_button.setToolTip("" if validation.ok else text.SAVE_DISABLED_WHY)
        self._fit_height()

    def _update_secret_field(self, demo: bool) -> None:
        state = self._secret_state
        editable = state is not None and state.editable
        self.client_secret_edit.setEnabled(not demo and editable)
        if state is None or not editable:
            return
        if self.client_secret_edit.text():
            set_text(self.secret_state_label, text.SECRET_WILL_BE_STORED)
        else:
            stored = text.SECRET_STORED if state.stored else text.SECRET_NOT_STORED
            set_text(self.secret_state_label, stored)

    def _update_store(self, form: SettingsForm) -> None:
        state = self._store_password_state
        url = form.store_url.strip()
        editable = state is not None and state.editable and bool(url)
        self.store_password_edit.setEnabled(editable)
        if editable and self.store_password_edit.text():
            set_text(self.store_password_state_label, text.STORE_PASSWORD_WILL_BE_STORED)
        elif state is not None and state.editable:
            stored = state.stored and bool(url)
            set_text(
                self.store_password_state_label,
                text.STORE_PASSWORD_STORED if stored else text.STORE_PASSWORD_NOT_STORED,
            )
        saved = self._service.saved.store_url
        if url == saved:
            note = text.STORE_URL_HELP
        elif not saved:
            note = text.STORE_JOIN_NOTE
        else:
            note = text.STORE_LEAVE_NOTE if not url else text.STORE_MOVE_NOTE
        set_text(self.store_url_help, note)
        set_style_state(self.store_url_help, "changed", "yes" if url != saved else "")
        self.test_store_button.setEnabled(self._service.can_test_store(form))
        if self._store_prompting:
            self._show_store_status(text.STORE_TEST_PROMPT if url else "", "")

    # -- connection test ------------------------------------------------------------------------

    def test_connection(self) -> asyncio.Task[object]:
        """Start a connection test with what the dialog holds (a new one replaces the old)."""
        self._prompting = False
        self._show_status(text.TESTING, "")
        return self._check_slot.start(self._run_test(self.form()))

    async def _run_test(self, form: SettingsForm) -> ConnectionReport | None:
        try:
            report = await self._service.test_connection(form)
        except Exception:
            # The checker reports every network or JustiFi problem: this is a bug. The
            # status stops saying "testing"; the slot hands the bug to the funnel.
            self._show_status(text.TEST_BROKE, "failed")
            raise
        self._show_status(report.message, "ok" if report.ok else "failed")
        if report.ok:
            self._set_terminals(list(report.terminals), self.form().default_terminal)
        return report

    # -- store database test --------------------------------------------------------------------

    def test_store(self) -> asyncio.Task[object]:
        """Start a test of the store's database with what the dialog holds."""
        self._store_prompting = False
        self._show_store_status(text.STORE_TESTING, "")
        return self._store_slot.start(self._run_store_test(self.form()))

    async def _run_store_test(self, form: SettingsForm) -> StoreCheckReport | None:
        try:
            report = await self._service.test_store(form)
        except Exception:
            # The checker reports every database problem: this is a bug (to the funnel).
            self._show_store_status(text.TEST_BROKE, "failed")
            raise
        self._show_store_status(report.message, "ok" if report.ok else "failed")
        return report

    def _show_store_status(self, message: str, outcome: str) -> None:
        label = self.store_status_label
        set_style_state(label, "outcome", outcome)
        set_text(label, message)
        label.setAccessibleName(text.STORE_STATUS_NAME)
        label.setAccessibleDescription(message)

    # -- asking ---------------------------------------------------------------------------

    async def ask(self) -> SaveResult | None:
        """Open the dialog (never exec) and wait: what Save did, or None if cancelled."""
        return self._result if accepted(await finished_result(self)) else None

    # -- slots ---------------------------------------------------------------------------------

    def _connect(self) -> None:
        self.environment_group.buttonToggled.connect(self._on_any_toggled)
        self.flow_group.buttonToggled.connect(self._on_any_toggled)
        for edit in (
            self.api_url_edit,
            self.client_id_edit,
            self.client_secret_edit,
            self.sub_account_edit,
            self.lane_edit,
            self.tax_rate_edit,
            self.idle_minutes_edit,
            self.discount_limit_edit,
            self.receipt_printer_edit,
            self.store_url_edit,
            self.store_password_edit,
        ):
            edit.textChanged.connect(self._on_any_text_changed)
        self.store_url_edit.editingFinished.connect(self._on_store_url_edit_editing_finished)
        self.test_store_button.clicked.connect(self._on_test_store_button_clicked)
        self.client_id_edit.editingFinished.connect(self._on_client_id_edit_editing_finished)
        self.receipt_header_edit.textChanged.connect(self._update)
        self.terminal_combo.currentIndexChanged.connect(self._on_any_text_changed)
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self.change_pin_button.clicked.connect(self.change_pin_requested)
        self.cancel_button.clicked.connect(self.reject)
        self.save_button.clicked.connect(self._on_save_button_clicked)

    def _on_any_toggled(self, _button: object, checked: bool) -> None:
        if checked:
            self._update()

    def _on_any_text_changed(self, _value: object) -> None:
        self._update()

    def _on_client_id_edit_editing_finished(self) -> None:
        self._refresh_secret_state()
        self._update()

    def _on_test_button_clicked(self) -> None:
        self.test_connection()

    def _on_store_url_edit_editing_finished(self) -> None:
        self._refresh_store_password_state()
        self._update()

    def _on_test_store_button_clicked(self) -> None:
        self.test_store()

    def _on_save_button_clicked(self) -> None:
        if self._result is not None or not self.save_button.isEnabled():
            return  # a double press: the first one saved
        self._refresh_secret_state()
        self._refresh_store_password_state()
        try:
            result = self._service.save(self.form())
        except SettingsInvalidError:
            self._update()
            return
        except SettingsSaveError as exc:
            self._prompting = False
            self._show_status(str(exc), "failed")
            return
        self._result = result
        self.client_secret_edit.clear()
        self.store_password_edit.clear()
        self.save_button.setEnabled(False)
        self.settings_saved.emit(result)
        self.accept()
