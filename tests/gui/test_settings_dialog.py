"""The settings dialog: fill, check as typed, test against the sandbox, save without the secret."""

from __future__ import annotations

import asyncio
import logging
import tomllib
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from pos_app.config import SettingsFileStore, load_settings, save_settings
from pos_app.domain import settings_rules as rules
from pos_app.justifi.connection import check_connection
from pos_app.secrets import KeyringSecretStore, store_client_secret
from pos_app.services.settings import (
    ConnectionChecker,
    ConnectionReport,
    DemoAccount,
    SaveResult,
    SettingsField,
    SettingsService,
    SettingsValues,
)
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.settings_dialog import SettingsDialog
from pos_app.ui.text import settings as settings_text
from tests.support.gui import wait_until
from tests.support.memory_keyring import MemoryKeyring, isolate_settings
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, SUB_ACCOUNT, SandboxHandle

NO_KEYRING_NOTE = (
    "This computer has no keyring; set JUSTIFI_CLIENT_SECRET in the lane's environment instead."
)


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_settings(monkeypatch, tmp_path / "config")


def file_text(path: Path) -> str | None:
    """The file's text, or None when there is no file (a plain function: tests are async)."""
    return path.read_text(encoding="utf-8") if path.exists() else None


def make_dialog(qtbot: QtBot, demo_account: DemoAccount | None = None) -> SettingsDialog:
    service = SettingsService(
        SettingsFileStore(), KeyringSecretStore(), check_connection, demo_account=demo_account
    )
    dialog = SettingsDialog(service)
    qtbot.addWidget(dialog)
    return dialog


async def opened(dialog: SettingsDialog) -> asyncio.Future[SaveResult | None]:
    ask = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    return ask


def fill_account(dialog: SettingsDialog, url: str, secret: str = CLIENT_SECRET) -> None:
    dialog.justifi_radio.click()
    dialog.api_url_edit.setText(url)
    dialog.client_id_edit.setText(CLIENT_ID)
    dialog.client_id_edit.editingFinished.emit()
    dialog.client_secret_edit.setText(secret)
    dialog.sub_account_edit.setText(SUB_ACCOUNT)


async def test_fill_test_and_save_keeps_the_secret_out_of_the_file(
    qtbot: QtBot,
    sandbox: SandboxHandle,
    settings_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    dialog = make_dialog(qtbot)
    saved: list[Any] = []
    dialog.settings_saved.connect(saved.append)
    ask = await opened(dialog)
    assert dialog.demo_radio.isChecked()  # nothing configured yet: demo
    assert not dialog.client_id_edit.isEnabled()
    fill_account(dialog, sandbox.url)
    assert dialog.client_secret_edit.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.secret_state_label.text() == "Will be stored in the keyring when you save."
    dialog.checkout_radio.click()
    dialog.lane_edit.setText("Front counter")
    dialog.tax_rate_edit.setText("8.25")
    dialog.receipt_header_edit.setPlainText("Corner Shop\n12 Main Street")

    assert dialog.test_button.isEnabled()
    dialog.test_button.click()
    report = await dialog.check_task  # type: ignore[misc]
    assert report is not None
    assert report.ok
    assert dialog.status_label.text().startswith("Connected to JustiFi at 127.0.0.1:")
    assert "Virtual terminal" in dialog.status_label.text()
    combo = dialog.terminal_combo
    index = combo.findData("trm_virtual")
    assert index > 0
    assert combo.itemText(index) == "Virtual terminal (trm_virtual)"
    combo.setCurrentIndex(index)

    assert dialog.save_button.isEnabled()
    dialog.save_button.click()
    result = await ask
    assert result is not None
    assert saved == [result]
    assert result.restart_needed

    text = file_text(settings_file)
    assert text is not None
    assert CLIENT_SECRET not in text
    stored = tomllib.loads(text)
    assert stored["settings_version"] == 2
    assert stored["demo"] is False
    assert stored["api_url"] == sandbox.url
    assert stored["client_id"] == CLIENT_ID
    assert stored["sub_account"] == SUB_ACCOUNT
    assert stored["payment_flow"] == "checkout"
    assert stored["default_terminal"] == "trm_virtual"
    assert stored["tax_rate_bps"] == 825
    assert stored["receipt_header"] == "Corner Shop\n12 Main Street"
    assert "client_secret" not in stored
    assert MemoryKeyring.passwords == {("pos-app/justifi", CLIENT_ID): CLIENT_SECRET}
    assert load_settings().client_secret is None
    assert CLIENT_SECRET not in caplog.text


async def test_each_field_is_checked_as_typed_and_save_waits(
    qtbot: QtBot, settings_file: Path
) -> None:
    dialog = make_dialog(qtbot)
    ask = await opened(dialog)
    assert dialog.save_button.isEnabled()
    dialog.tax_rate_edit.setText("8.255")
    hint = dialog.findChild(QWidget, "tax_rate_bpsHint")
    assert hint is not None
    assert hint.isVisible()
    assert hint.text() == "Use at most two decimals, such as 8.25."  # type: ignore[attr-defined]
    assert not dialog.save_button.isEnabled()
    dialog.tax_rate_edit.setText("8.5")
    assert not hint.isVisible()
    assert dialog.save_button.isEnabled()

    dialog.justifi_radio.click()
    dialog.api_url_edit.setText("http://example.com")
    url_hint = dialog.findChild(QWidget, "api_urlHint")
    assert url_hint is not None
    assert url_hint.isVisible()
    assert url_hint.text().startswith("The URL must start with https://")  # type: ignore[attr-defined]
    assert dialog.findChild(QWidget, "client_idHint").isVisible()  # type: ignore[union-attr]
    assert not dialog.save_button.isEnabled()
    assert not dialog.test_button.isEnabled()

    dialog.demo_radio.click()  # the account fields no longer matter
    assert not url_hint.isVisible()
    assert not dialog.api_url_edit.isEnabled()
    assert dialog.save_button.isEnabled()
    dialog.lane_edit.setText(" ")
    assert dialog.findChild(QWidget, "laneHint").isVisible()  # type: ignore[union-attr]
    assert not dialog.save_button.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert await ask is None
    assert file_text(settings_file) is None


async def test_the_idle_sign_out_time_is_checked_as_typed_saved_and_told(
    qtbot: QtBot, settings_file: Path
) -> None:
    told: list[SettingsValues] = []
    service = SettingsService(
        SettingsFileStore(), KeyringSecretStore(), check_connection, on_saved=told.append
    )
    dialog = SettingsDialog(service)
    qtbot.addWidget(dialog)
    ask = await opened(dialog)
    edit = dialog.idle_minutes_edit
    assert edit.text() == "15"
    assert edit.isEnabled()
    assert edit.height() >= MIN_TOUCH
    hint = dialog.findChild(QWidget, "idle_sign_out_minutesHint")
    assert hint is not None
    for typed, problem in (("0", rules.IDLE_OUT_OF_RANGE), ("20 min", rules.IDLE_NOT_A_NUMBER)):
        edit.setText(typed)
        assert hint.isVisible()
        assert hint.text() == problem  # type: ignore[attr-defined]
        assert not dialog.save_button.isEnabled()
    edit.setText("20")
    assert not hint.isVisible()
    assert dialog.save_button.isEnabled()

    dialog.save_button.click()
    result = await ask
    assert result is not None
    assert result.changed == {SettingsField.IDLE_SIGN_OUT}
    assert not result.restart_needed
    text = file_text(settings_file)
    assert text is not None
    assert tomllib.loads(text)["idle_sign_out_minutes"] == 20
    assert [values.idle_sign_out_minutes for values in told] == [20]


async def test_set_by_the_environment_the_idle_time_is_shown_not_editable(
    qtbot: QtBot, settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POS_IDLE_SIGN_OUT_MINUTES", "5")
    dialog = make_dialog(qtbot)
    ask = await opened(dialog)
    assert dialog.idle_minutes_edit.text() == "5"
    assert not dialog.idle_minutes_edit.isEnabled()
    assert dialog.idle_minutes_edit.toolTip() == settings_text.LOCKED_TIP
    dialog.save_button.click()
    assert await ask is not None
    text = file_text(settings_file)
    assert text is not None
    assert "idle_sign_out_minutes" not in tomllib.loads(text)


async def test_a_wrong_secret_is_explained_and_never_shown(
    qtbot: QtBot, sandbox: SandboxHandle, settings_file: Path
) -> None:
    wrong = "wrong-secret-Zq8vX3kP"
    dialog = make_dialog(qtbot)
    ask = await opened(dialog)
    fill_account(dialog, sandbox.url, wrong)
    task = dialog.test_connection()
    assert dialog.status_label.text() == "Testing the connection..."
    report = await task
    assert not report.ok
    assert dialog.status_label.text().startswith("JustiFi did not accept the client id and secret")
    assert wrong not in dialog.status_label.text()
    assert dialog.status_label.property("outcome") == "failed"
    dialog.reject()
    assert await ask is None
    assert MemoryKeyring.passwords == {}


async def test_a_stored_secret_is_shown_as_stored_not_as_text(
    qtbot: QtBot, settings_file: Path
) -> None:
    save_settings({"demo": False, "client_id": CLIENT_ID, "sub_account": SUB_ACCOUNT})
    store_client_secret(CLIENT_ID, CLIENT_SECRET)
    dialog = make_dialog(qtbot)
    assert dialog.justifi_radio.isChecked()
    assert dialog.client_secret_edit.text() == ""
    assert dialog.client_secret_edit.isEnabled()
    assert dialog.client_secret_edit.placeholderText() == "Stored in the keyring (type to replace)"
    assert dialog.secret_state_label.text() == "Stored in the keyring."
    assert dialog.save_button.isEnabled()  # no need to type it again


async def test_without_a_keyring_the_note_says_what_to_do(
    qtbot: QtBot, settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    dialog = make_dialog(qtbot)
    ask = await opened(dialog)
    dialog.justifi_radio.click()
    assert dialog.keyring_note.isVisible()
    assert dialog.keyring_note.text() == NO_KEYRING_NOTE
    assert not dialog.client_secret_edit.isEnabled()
    dialog.api_url_edit.setText("https://api.justifi.ai")
    dialog.client_id_edit.setText("test_abc")
    dialog.sub_account_edit.setText("acc_123")
    assert not dialog.test_button.isEnabled()  # no secret anywhere to test with
    assert dialog.save_button.isEnabled()  # the rest can still be saved
    dialog.save_button.click()
    result = await ask
    assert result is not None
    assert load_settings().client_id == "test_abc"


async def test_with_the_secret_in_the_environment_the_field_says_so(
    qtbot: QtBot, settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUSTIFI_CLIENT_SECRET", "from-the-environment")
    monkeypatch.setenv("JUSTIFI_API_URL", "https://api.justifi.ai")
    dialog = make_dialog(qtbot)
    dialog.justifi_radio.click()
    assert not dialog.client_secret_edit.isEnabled()
    assert "JUSTIFI_CLIENT_SECRET" in dialog.secret_state_label.text()
    assert not dialog.keyring_note.isVisible()
    assert not dialog.api_url_edit.isEnabled()  # set by the environment: shown, not editable
    assert "environment variable" in dialog.api_url_edit.toolTip()


async def test_demo_mode_tests_the_running_sandbox(
    qtbot: QtBot, sandbox: SandboxHandle, settings_file: Path
) -> None:
    demo = DemoAccount(sandbox.url, CLIENT_ID, CLIENT_SECRET, SUB_ACCOUNT)
    dialog = make_dialog(qtbot, demo_account=demo)
    assert dialog.demo_radio.isChecked()
    assert dialog.test_button.isEnabled()
    report = await dialog.test_connection()
    assert report.ok
    assert dialog.terminal_combo.findData("trm_virtual") > 0


def dialog_with_checker(qtbot: QtBot, checker: ConnectionChecker) -> SettingsDialog:
    demo = DemoAccount("http://127.0.0.1:9", CLIENT_ID, CLIENT_SECRET, SUB_ACCOUNT)
    service = SettingsService(SettingsFileStore(), KeyringSecretStore(), checker, demo_account=demo)
    dialog = SettingsDialog(service)
    qtbot.addWidget(dialog)
    return dialog


async def test_closing_the_dialog_stops_a_running_test(
    qtbot: QtBot, settings_file: Path, loop_errors: list[dict[str, Any]]
) -> None:
    started = asyncio.Event()

    async def hangs(*_args: object) -> ConnectionReport:
        started.set()
        await asyncio.Event().wait()  # JustiFi never answers
        raise AssertionError("unreachable")

    dialog = dialog_with_checker(qtbot, hangs)
    ask = await opened(dialog)
    task = dialog.test_connection()
    await started.wait()
    dialog.reject()
    assert await ask is None
    await wait_until(task.done)
    assert task.cancelled()
    assert loop_errors == []  # a cancel is not a bug


async def test_a_bug_in_the_test_says_so_and_reaches_the_bug_funnel(
    qtbot: QtBot, settings_file: Path, loop_errors: list[dict[str, Any]]
) -> None:
    planted = RuntimeError("planted bug")

    async def broken(*_args: object) -> ConnectionReport:
        raise planted

    dialog = dialog_with_checker(qtbot, broken)
    ask = await opened(dialog)
    dialog.test_connection()
    await wait_until(lambda: loop_errors)
    assert loop_errors[0]["exception"] is planted
    assert dialog.status_label.text() == settings_text.TEST_BROKE
    assert dialog.status_label.property("outcome") == "failed"
    dialog.reject()
    assert await ask is None


async def test_change_pin_only_asks(qtbot: QtBot, settings_file: Path) -> None:
    dialog = make_dialog(qtbot)
    asked: list[bool] = []
    dialog.change_pin_requested.connect(lambda: asked.append(True))
    assert dialog.change_pin_button.text() == "Change my PIN…"  # each person has their own
    dialog.change_pin_button.click()
    assert asked == [True]
    assert file_text(settings_file) is None


async def test_every_control_is_named_and_big_enough_to_touch(
    qtbot: QtBot, settings_file: Path
) -> None:
    dialog = make_dialog(qtbot)
    ask = await opened(dialog)
    dialog.justifi_radio.click()
    controls = [
        w
        for kind in (QAbstractButton, QLineEdit, QComboBox, QPlainTextEdit)
        for w in dialog.findChildren(kind)
        if w.isVisible() and w.parent() is not None and w.objectName() != "qt_spinbox_lineedit"
    ]
    controls = [w for w in controls if not isinstance(w.parent(), QComboBox)]
    assert len(controls) >= 15
    for control in controls:
        assert control.accessibleName(), control.objectName()
        assert control.height() >= MIN_TOUCH, control.objectName()
    dialog.reject()
    assert await ask is None


async def test_the_discount_limit_and_the_printer_are_checked_as_typed_and_saved(
    qtbot: QtBot, settings_file: Path
) -> None:
    told: list[SettingsValues] = []
    service = SettingsService(
        SettingsFileStore(), KeyringSecretStore(), check_connection, on_saved=told.append
    )
    dialog = SettingsDialog(service)
    qtbot.addWidget(dialog)
    ask = await opened(dialog)
    limit, printer = dialog.discount_limit_edit, dialog.receipt_printer_edit
    assert (limit.text(), printer.text()) == ("10", "")
    assert limit.height() >= MIN_TOUCH
    assert printer.height() >= MIN_TOUCH
    limit_hint = dialog.findChild(QWidget, "discount_approval_percentHint")
    printer_hint = dialog.findChild(QWidget, "receipt_printerHint")
    assert limit_hint is not None
    assert printer_hint is not None
    for edit, hint, typed, problem in (
        (limit, limit_hint, "101", rules.DISCOUNT_LIMIT_OUT_OF_RANGE),
        (limit, limit_hint, "12.5", rules.DISCOUNT_LIMIT_NOT_A_NUMBER),
        (printer, printer_hint, "192.168.1.50", rules.PRINTER_KIND_UNKNOWN),
        (printer, printer_hint, "usb:04b8", rules.PRINTER_USB_IDS),
    ):
        edit.setText(typed)
        assert hint.isVisible()
        assert hint.text() == problem  # type: ignore[attr-defined]
        assert not dialog.save_button.isEnabled()
    limit.setText("25")
    printer.setText("Network:192.168.1.50:9100")
    assert not limit_hint.isVisible()
    assert not printer_hint.isVisible()
    assert dialog.save_button.isEnabled()

    dialog.save_button.click()
    result = await ask
    assert result is not None
    assert result.changed == {SettingsField.DISCOUNT_APPROVAL, SettingsField.RECEIPT_PRINTER}
    assert result.restart_needed  # the printer (and its drawer) is wired at start
    text = file_text(settings_file)
    assert text is not None
    stored = tomllib.loads(text)
    assert (stored["discount_approval_percent"], stored["receipt_printer"]) == (
        25,
        "network:192.168.1.50:9100",
    )
    assert [values.discount_approval_percent for values in told] == [25]


async def test_set_by_the_environment_the_limit_and_printer_are_shown_not_editable(
    qtbot: QtBot, settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POS_DISCOUNT_APPROVAL_PERCENT", "5")
    monkeypatch.setenv("POS_RECEIPT_PRINTER", "usb:04b8:0202")
    dialog = make_dialog(qtbot)
    ask = await opened(dialog)
    for edit, shown in (
        (dialog.discount_limit_edit, "5"),
        (dialog.receipt_printer_edit, "usb:04b8:0202"),
    ):
        assert edit.text() == shown
        assert not edit.isEnabled()
        assert edit.toolTip() == settings_text.LOCKED_TIP
    dialog.save_button.click()
    assert await ask is not None
    text = file_text(settings_file)
    assert text is not None
    assert {"discount_approval_percent", "receipt_printer"}.isdisjoint(tomllib.loads(text))
