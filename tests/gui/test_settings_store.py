"""The settings dialog's "Store database" group: join a store with its password kept out of
the file, test it, be told it takes a restart; the fields the store sets shown locked."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from pos_app.config import SettingsFileStore
from pos_app.domain import settings_rules as rules
from pos_app.secrets import KeyringSecretStore
from pos_app.services.settings import (
    ConnectionReport,
    SaveResult,
    SettingsField,
    SettingsService,
    SettingsStore,
    StoreCheck,
    StoreCheckReport,
    StorePasswords,
)
from pos_app.store_passwords import KeyringStorePasswords
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.settings_dialog import SettingsDialog
from pos_app.ui.text import settings as text
from tests.support.gui import wait_until
from tests.support.memory_keyring import MemoryKeyring, isolate_settings
from tests.support.store_settings import (
    STORE_PASSWORD,
    STORE_URL,
    FakeStoreChecker,
    MemorySettingsStore,
    MemoryStorePasswords,
)


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_settings(monkeypatch, tmp_path / "config")


def file_text(path: Path) -> str:
    """The file's text (a plain function: the tests are async)."""
    return path.read_text(encoding="utf-8")


async def no_justifi(
    api_url: str, client_id: str, client_secret: str, sub_account: str | None
) -> ConnectionReport:
    raise AssertionError("no JustiFi test expected")


def make_dialog(
    qtbot: QtBot,
    store: SettingsStore,
    passwords: StorePasswords | None = None,
    checker: FakeStoreChecker | None = None,
) -> SettingsDialog:
    service = SettingsService(
        store,
        KeyringSecretStore(),
        no_justifi,
        store_checker=checker,
        store_passwords=passwords if passwords is not None else MemoryStorePasswords(),
    )
    dialog = SettingsDialog(service)
    qtbot.addWidget(dialog)
    return dialog


async def opened(dialog: SettingsDialog) -> asyncio.Future[SaveResult | None]:
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    return ask


def hint(dialog: SettingsDialog, key: SettingsField) -> QLabel:
    found = dialog.findChild(QLabel, f"{key.value}Hint")
    assert found is not None
    return found


async def test_joining_a_store_tests_it_keeps_the_password_out_of_the_file_and_says_restart(
    qtbot: QtBot, settings_file: Path
) -> None:
    checker = FakeStoreChecker()
    dialog = make_dialog(qtbot, SettingsFileStore(), KeyringStorePasswords(), checker)
    ask = await opened(dialog)
    assert dialog.store_url_edit.text() == ""
    assert dialog.store_url_help.text() == text.STORE_URL_HELP
    assert not dialog.store_password_edit.isEnabled()  # no address yet
    assert not dialog.test_store_button.isEnabled()
    assert dialog.test_store_button.height() >= MIN_TOUCH

    dialog.store_url_edit.setText("postgresql://pos:typed-in@store-server/pos_store")
    assert hint(dialog, SettingsField.STORE_URL).isVisible()
    assert hint(dialog, SettingsField.STORE_URL).text() == rules.STORE_URL_PASSWORD
    assert not dialog.save_button.isEnabled()
    assert not dialog.test_store_button.isEnabled()

    dialog.store_url_edit.setText(STORE_URL)
    dialog.store_url_edit.editingFinished.emit()
    assert not hint(dialog, SettingsField.STORE_URL).isVisible()
    assert dialog.store_url_help.text() == text.STORE_JOIN_NOTE
    assert dialog.store_password_edit.isEnabled()
    assert dialog.store_password_edit.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.store_password_state_label.text() == text.STORE_PASSWORD_NOT_STORED
    dialog.store_password_edit.setText(STORE_PASSWORD)
    assert dialog.store_password_state_label.text() == text.STORE_PASSWORD_WILL_BE_STORED

    checker.hold = asyncio.Event()
    dialog.test_store_button.click()
    await wait_until(lambda: checker.calls == [(STORE_URL, STORE_PASSWORD)])
    assert dialog.store_status_label.text() == text.STORE_TESTING
    checker.hold.set()
    report = await dialog.store_check_task  # type: ignore[misc]
    assert report is not None
    assert dialog.store_status_label.text() == (
        "The store's database at store-server answers: schema 1, ready for this lane."
    )
    assert dialog.store_status_label.property("outcome") == "ok"

    dialog.save_button.click()
    result = await ask
    assert result is not None
    assert result.restart_needed
    assert SettingsField.STORE_URL in result.changed
    assert MemoryKeyring.passwords == {("pos-app-store", STORE_URL): STORE_PASSWORD}
    written = file_text(settings_file)
    assert STORE_PASSWORD not in written
    assert tomllib.loads(written)["store_url"] == STORE_URL
    assert dialog.store_password_edit.text() == ""


@pytest.mark.parametrize(
    ("outcome", "sentence"),
    [
        (StoreCheck.NOT_SET_UP, "not set up yet: run 'pos-app store init'"),
        (StoreCheck.WRONG_PASSWORD, "did not accept the user name and password"),
        (StoreCheck.UNREACHABLE, "cannot be reached"),
    ],
)
async def test_a_store_that_is_not_ready_is_said_in_one_sentence(
    qtbot: QtBot, outcome: StoreCheck, sentence: str
) -> None:
    checker = FakeStoreChecker(StoreCheckReport.of(outcome, host="store-server"))
    dialog = make_dialog(qtbot, MemorySettingsStore(store_url=STORE_URL), checker=checker)
    ask = await opened(dialog)
    assert dialog.store_status_label.text() == text.STORE_TEST_PROMPT
    dialog.test_store_button.click()
    await dialog.store_check_task  # type: ignore[misc]
    assert sentence in dialog.store_status_label.text()
    assert dialog.store_status_label.property("outcome") == "failed"
    assert dialog.save_button.isEnabled()  # a test's outcome never blocks a save
    dialog.reject()
    assert await ask is None


async def test_leaving_the_store_says_when_it_takes_effect(qtbot: QtBot) -> None:
    store = MemorySettingsStore(store_url=STORE_URL)
    dialog = make_dialog(qtbot, store)
    ask = await opened(dialog)
    assert dialog.store_url_edit.text() == STORE_URL
    dialog.store_password_edit.setText("typed before leaving")
    dialog.store_url_edit.clear()
    assert dialog.store_url_help.text() == text.STORE_LEAVE_NOTE
    assert dialog.store_password_edit.text() == ""  # it went with the address
    assert not dialog.store_password_edit.isEnabled()
    assert not hint(dialog, SettingsField.STORE_PASSWORD).isVisible()
    assert dialog.store_url_help.property("changed") == "yes"
    dialog.save_button.click()
    result = await ask
    assert result is not None
    assert result.restart_needed
    assert store.values["store_url"] == ""


async def test_the_fields_the_store_sets_are_locked_for_the_whole_store(qtbot: QtBot) -> None:
    store = MemorySettingsStore(store_url=STORE_URL, tax_rate_bps=825, receipt_header="Shop")
    store.by_store = frozenset({"tax_rate_bps", "receipt_header"})
    dialog = make_dialog(qtbot, store)
    ask = await opened(dialog)
    assert not dialog.tax_rate_edit.isEnabled()
    assert dialog.tax_rate_edit.text() == "8.25"
    assert dialog.tax_rate_edit.toolTip() == text.STORE_LOCKED_TIP
    assert not dialog.receipt_header_edit.isEnabled()
    for key in ("tax_rate_bps", "receipt_header"):
        note = dialog.findChild(QLabel, f"{key}LockNote")
        assert note is not None
        assert note.isVisible()
        assert note.text() == "Set for the whole store."
    assert dialog.findChild(QLabel, "idle_sign_out_minutesLockNote") is None
    assert dialog.idle_minutes_edit.isEnabled()
    dialog.save_button.click()
    assert await ask is not None
    assert "tax_rate_bps" not in store.saved[-1]
    assert "receipt_header" not in store.saved[-1]


async def test_a_password_from_the_environment_or_no_keyring_disables_the_field(
    qtbot: QtBot,
) -> None:
    store = MemorySettingsStore(store_url="postgresql://pos:envpw@store-server/pos_store")
    store.locked = frozenset({"store_url"})
    dialog = make_dialog(qtbot, store)
    ask = await opened(dialog)
    assert dialog.store_url_edit.text() == STORE_URL  # never the password
    assert not dialog.store_url_edit.isEnabled()
    assert not dialog.store_password_edit.isEnabled()
    assert dialog.store_password_state_label.text() == text.STORE_PASSWORD_FROM_ENVIRONMENT
    dialog.reject()
    assert await ask is None

    dialog = make_dialog(
        qtbot, MemorySettingsStore(store_url=STORE_URL), MemoryStorePasswords(available=False)
    )
    ask = await opened(dialog)
    assert not dialog.store_password_edit.isEnabled()
    assert dialog.store_keyring_note.isVisible()
    assert dialog.store_keyring_note.text() == text.STORE_NO_KEYRING
    dialog.reject()
    assert await ask is None


async def test_the_kept_password_is_tested_and_pos_store_password_wins(
    qtbot: QtBot, settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    MemoryKeyring.passwords[("pos-app-store", STORE_URL)] = "kept"
    checker = FakeStoreChecker()
    store = MemorySettingsStore(store_url=STORE_URL)
    dialog = make_dialog(qtbot, store, KeyringStorePasswords(), checker)
    ask = await opened(dialog)
    assert dialog.store_password_state_label.text() == text.STORE_PASSWORD_STORED
    assert dialog.store_password_edit.placeholderText() == text.STORE_PASSWORD_PLACEHOLDER_STORED
    dialog.test_store_button.click()
    await dialog.store_check_task  # type: ignore[misc]
    assert checker.calls == [(STORE_URL, "kept")]
    dialog.reject()
    assert await ask is None

    monkeypatch.setenv("POS_STORE_PASSWORD", "from-env")
    dialog = make_dialog(qtbot, store, KeyringStorePasswords(), checker)
    ask = await opened(dialog)
    assert not dialog.store_password_edit.isEnabled()
    assert dialog.store_password_state_label.text() == text.STORE_PASSWORD_FROM_ENVIRONMENT
    dialog.test_store_button.click()
    await dialog.store_check_task  # type: ignore[misc]
    assert checker.calls[-1] == (STORE_URL, "from-env")
    dialog.reject()
    assert await ask is None


async def test_the_real_check_against_the_store_s_server(
    qtbot: QtBot, store_url: str, empty_store_url: str
) -> None:
    from pos_app.storage.store.check import check_store

    service = SettingsService(
        MemorySettingsStore(store_url=store_url),
        KeyringSecretStore(),
        no_justifi,
        store_checker=check_store,
        store_passwords=MemoryStorePasswords(),
    )
    dialog = SettingsDialog(service)
    qtbot.addWidget(dialog)
    ask = await opened(dialog)
    host = store_url.split("@", 1)[1].split("/", 1)[0]
    await dialog.test_store()
    assert dialog.store_status_label.text() == (
        f"The store's database at {host} answers: schema 1, ready for this lane."
    )
    dialog.store_url_edit.setText(empty_store_url)
    await dialog.test_store()
    assert dialog.store_status_label.text() == (
        f"The store's database at {host} answers but is not set up yet: run"
        " 'pos-app store init' once, on any lane."
    )
    dialog.reject()
    assert await ask is None


def write_text(path: Path, value: str) -> None:
    """Write a file (a plain function: the tests are async)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(value, encoding="utf-8")


async def test_the_store_s_shared_settings_file_locks_its_fields(
    qtbot: QtBot, settings_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "data"
    monkeypatch.setenv("POS_DATA_DIR", str(data))
    write_text(settings_file, f'store_url = "{STORE_URL}"\ntax_rate_bps = 500\n')
    write_text(data / "store-settings.toml", 'tax_rate_bps = 825\nreceipt_header = "Shop"\n')
    dialog = make_dialog(qtbot, SettingsFileStore())
    ask = await opened(dialog)
    assert dialog.tax_rate_edit.text() == "8.25"  # the store's, over the lane's file
    assert not dialog.tax_rate_edit.isEnabled()
    note = dialog.findChild(QLabel, "tax_rate_bpsLockNote")
    assert note is not None
    assert note.text() == text.STORE_LOCKED_NOTE
    assert dialog.idle_minutes_edit.isEnabled()
    dialog.idle_minutes_edit.setText("20")
    dialog.save_button.click()
    assert await ask is not None
    written = tomllib.loads(file_text(settings_file))
    assert written["tax_rate_bps"] == 500  # the lane's own value, kept for leaving the store
    assert written["idle_sign_out_minutes"] == 20
