"""The settings dialog on the real settings file of a lane in a store: the store's shared
settings (the lane's store-settings.toml) are shown with their values and locked "set
for the whole store", a field the environment sets says so instead, and saving writes
neither to the lane's settings file."""

from __future__ import annotations

import asyncio
import tomllib
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from pos_app.config import SettingsFileStore, save_settings
from pos_app.domain.store_shared import STORE_SETTINGS_FILE
from pos_app.secrets import KeyringSecretStore
from pos_app.services.settings import ConnectionReport, SaveResult, SettingsService
from pos_app.services.store_shared import settings_toml
from pos_app.ui.settings_dialog import SettingsDialog
from pos_app.ui.text import settings as text
from tests.support.gui import wait_until
from tests.support.memory_keyring import isolate_settings
from tests.support.store_settings import STORE_URL, MemoryStorePasswords


async def no_justifi(
    api_url: str, client_id: str, client_secret: str, sub_account: str | None
) -> ConnectionReport:
    raise AssertionError("no JustiFi test expected")


def file_text(path: Path) -> str:
    """The file's text (a plain function: the test is async)."""
    return path.read_text(encoding="utf-8")


@pytest.fixture
def lane_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A lane in a store whose last pull brought a tax rate and a receipt header; the
    environment sets the idle sign-out time. The settings file's path."""
    settings_file = isolate_settings(monkeypatch, tmp_path / "config")
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("POS_DATA_DIR", str(data))
    monkeypatch.setenv("POS_IDLE_SIGN_OUT_MINUTES", "20")
    save_settings({"store_url": STORE_URL, "tax_rate_bps": 500, "lane": "lane-1"}, settings_file)
    shared = settings_toml({"tax_rate_bps": 825, "receipt_header": "Corner Shop"})
    assert shared is not None
    (data / STORE_SETTINGS_FILE).write_text(shared, encoding="utf-8")
    return settings_file


async def test_the_store_fields_of_the_lane_file_are_locked_for_the_whole_store(
    qtbot: QtBot, lane_files: Path, tmp_path: Path
) -> None:
    service = SettingsService(
        SettingsFileStore(),
        KeyringSecretStore(),
        no_justifi,
        store_passwords=MemoryStorePasswords(),
    )
    dialog = SettingsDialog(service)
    qtbot.addWidget(dialog)
    ask: asyncio.Future[SaveResult | None] = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)

    assert dialog.tax_rate_edit.text() == "8.25"  # the store's, over the lane file's 5 %
    assert not dialog.tax_rate_edit.isEnabled()
    assert dialog.tax_rate_edit.toolTip() == text.STORE_LOCKED_TIP
    assert not dialog.receipt_header_edit.isEnabled()
    for key in ("tax_rate_bps", "receipt_header"):
        note = dialog.findChild(QLabel, f"{key}LockNote")
        assert note is not None
        assert note.isVisible()
        assert note.text() == text.STORE_LOCKED_NOTE
    assert not dialog.idle_minutes_edit.isEnabled()
    assert dialog.idle_minutes_edit.toolTip() == text.LOCKED_TIP  # the environment's
    idle_note = dialog.findChild(QLabel, "idle_sign_out_minutesLockNote")
    assert idle_note is None or not idle_note.isVisible()
    dialog.grab().save(str(tmp_path / "settings-store-locked.png"))

    dialog.save_button.click()
    assert await ask is not None
    written = tomllib.loads(file_text(lane_files))
    assert written["tax_rate_bps"] == 500  # the lane's own, untouched
    assert "receipt_header" not in written
