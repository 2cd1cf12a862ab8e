"""The idle sign-out time is a setting (`idle_sign_out_minutes`): the environment, the
settings file, its bounds, the settings service's round trip, and the staff service
taking up a new value at once (the open session included)."""

from __future__ import annotations

import json
import tomllib
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from pos_app.config import (
    SettingsError,
    SettingsFileStore,
    env_names,
    fields_set_by_environment,
    load_settings,
)
from pos_app.domain import settings_rules as rules
from pos_app.secrets import KeyringSecretStore
from pos_app.services.audit_log import AuditAction, AuditQuery
from pos_app.services.manager import ManagerService
from pos_app.services.settings import (
    ConnectionReport,
    SettingsField,
    SettingsForm,
    SettingsService,
    SettingsValues,
)
from pos_app.storage.audit import SqliteAuditLog
from tests.support.manager import T0, Clock
from tests.support.memory_keyring import isolate_settings
from tests.support.staff_screens import CASHIER, CASHIER_PIN

ENV = "POS_IDLE_SIGN_OUT_MINUTES"


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_settings(monkeypatch, tmp_path / "config")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


async def never_called(
    api_url: str, client_id: str, client_secret: str, sub_account: str | None
) -> ConnectionReport:
    raise AssertionError("no connection test expected")


def settings_service(saved: list[SettingsValues] | None = None) -> SettingsService:
    return SettingsService(
        SettingsFileStore(),
        KeyringSecretStore(),
        never_called,
        on_saved=saved.append if saved is not None else None,
    )


# -- the environment and the file -------------------------------------------------------------


def test_fifteen_minutes_unless_set(settings_file: Path) -> None:
    assert load_settings().idle_sign_out_minutes == 15 == rules.DEFAULT_IDLE_SIGN_OUT_MINUTES


def test_the_file_sets_it_and_the_environment_wins(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(settings_file, "idle_sign_out_minutes = 45\n")
    assert load_settings().idle_sign_out_minutes == 45
    monkeypatch.setenv(ENV.lower(), "5")  # pydantic-settings ignores the variable's case
    assert load_settings().idle_sign_out_minutes == 5
    assert env_names("idle_sign_out_minutes") == (ENV, "idle_sign_out_minutes")


@pytest.mark.parametrize("minutes", ["1", "480"])
def test_the_bounds_are_allowed(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch, minutes: str
) -> None:
    monkeypatch.setenv(ENV, minutes)
    assert load_settings().idle_sign_out_minutes == int(minutes)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", rules.IDLE_OUT_OF_RANGE),
        ("481", rules.IDLE_OUT_OF_RANGE),
        ("-1", rules.IDLE_OUT_OF_RANGE),
        ("ten", "Input should be a valid integer"),
        ("7.5", "Input should be a valid integer"),
    ],
)
def test_a_bad_value_in_the_environment_is_one_clear_line(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv(ENV, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    text = str(caught.value)
    assert text.startswith(f"{ENV}: ")  # names what the person set
    assert message in text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("idle_sign_out_minutes = 0", rules.IDLE_OUT_OF_RANGE),
        ("idle_sign_out_minutes = 600", rules.IDLE_OUT_OF_RANGE),
        ("idle_sign_out_minutes = true", rules.IDLE_NOT_A_NUMBER),  # not "1 minute"
        ('idle_sign_out_minutes = "soon"', "Input should be a valid integer"),
    ],
)
def test_a_bad_value_in_the_file_is_one_clear_line(
    settings_file: Path, line: str, message: str
) -> None:
    write(settings_file, line + "\n")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith("idle_sign_out_minutes: ")
    assert message in str(caught.value)


# -- the settings service --------------------------------------------------------------------


def test_the_dialogs_value_round_trips_through_the_file(settings_file: Path) -> None:
    saved: list[SettingsValues] = []
    service = settings_service(saved)
    assert service.current().idle_sign_out_minutes == "15"

    result = service.save(replace(service.current(), idle_sign_out_minutes=" 20 "))

    assert result.changed == {SettingsField.IDLE_SIGN_OUT}
    assert not result.restart_needed  # the running till takes it up (see on_saved)
    assert result.values.idle_sign_out_minutes == 20
    assert saved == [result.values]
    stored = tomllib.loads(settings_file.read_text(encoding="utf-8"))
    assert stored["idle_sign_out_minutes"] == 20
    assert load_settings().idle_sign_out_minutes == 20
    assert settings_service().current().idle_sign_out_minutes == "20"


def test_an_invalid_value_saves_nothing_and_tells_nobody(settings_file: Path) -> None:
    saved: list[SettingsValues] = []
    service = settings_service(saved)
    form = SettingsForm(demo=True, lane="Front", idle_sign_out_minutes="481")
    assert service.validate(form).problems == {SettingsField.IDLE_SIGN_OUT: rules.IDLE_OUT_OF_RANGE}
    with pytest.raises(Exception, match="fixing"):
        service.save(form)
    assert saved == []
    assert not settings_file.exists()


def test_set_by_the_environment_it_is_locked_and_not_written(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert fields_set_by_environment({ENV: "5"}) == {"idle_sign_out_minutes"}
    monkeypatch.setenv(ENV, "5")
    saved: list[SettingsValues] = []
    service = settings_service(saved)
    assert SettingsField.IDLE_SIGN_OUT in service.locked_fields()
    assert service.current().idle_sign_out_minutes == "5"

    service.save(SettingsForm(demo=True, lane="Front", idle_sign_out_minutes="5"))

    stored = tomllib.loads(settings_file.read_text(encoding="utf-8"))
    assert "idle_sign_out_minutes" not in stored
    assert saved[0].idle_sign_out_minutes == 5  # what is in force: the environment's


# -- the staff service takes a new time up at once ------------------------------------------


def test_a_shorter_time_ends_the_open_session_counted_from_its_last_activity(
    service: ManagerService, log: SqliteAuditLog, clock: Clock
) -> None:
    assert service.sign_in(CASHIER_PIN, CASHIER).ok
    assert service.session_expires_at == T0 + timedelta(minutes=15)
    clock.advance(minutes=3)

    service.set_idle_timeout(timedelta(minutes=5))

    assert service.session_expires_at == T0 + timedelta(minutes=5)
    clock.advance(minutes=1, seconds=59)
    assert service.current() is not None
    clock.advance(seconds=1)
    assert service.current() is None
    newest = log.entries(AuditQuery(actions=(AuditAction.SIGN_OUT,), limit=1))
    assert [(e.who, json.loads(e.detail)["reason"]) for e in newest] == [(CASHIER, "idle")]


def test_the_next_sign_in_and_a_longer_time_get_the_new_value(
    service: ManagerService, clock: Clock
) -> None:
    service.set_idle_timeout(timedelta(minutes=60))
    assert service.sign_in(CASHIER_PIN, CASHIER).ok
    assert service.session_expires_at == clock.now + timedelta(minutes=60)
    clock.advance(minutes=59)
    assert service.current() is not None
    with pytest.raises(ValueError, match="positive"):
        service.set_idle_timeout(timedelta(0))
    assert service.idle_timeout == timedelta(minutes=60)
