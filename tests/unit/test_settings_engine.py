"""The settings the payment engine reads: its deadline, and which badge the till shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from pos_app.config import SettingsError, load_settings
from pos_app.wiring import engine_settings
from tests.support.memory_keyring import isolate_settings


@pytest.fixture(autouse=True)
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_settings(monkeypatch, tmp_path / "config")


# -- the badge ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_url", "client_id", "badge"),
    [
        ("https://api.justifi.ai", "live_abc", "LIVE"),
        ("https://api.justifi.ai/", "abc", "LIVE"),
        ("https://api.justifi.ai", "test_abc", "TEST"),
        ("http://127.0.0.1:8765", "sandbox_client_id", "TEST"),  # a loopback sandbox
        ("http://localhost:8765", "live_abc", "TEST"),
        ("https://staging.example.com", "live_abc", "TEST"),
        ("https://api.justifi.ai.example.com", "live_abc", "TEST"),
    ],
)
def test_only_justifis_own_host_is_ever_live(api_url: str, client_id: str, badge: str) -> None:
    settings = load_settings(api_url=api_url, client_id=client_id)
    assert settings.environment == badge


# -- the deadline -------------------------------------------------------------------------------


def test_the_deadline_defaults_to_the_devices_90_s_plus_30_s_grace() -> None:
    engine = engine_settings(load_settings(), demo=False)
    assert (engine.device_timeout, engine.grace) == (90.0, 30.0)


def test_the_deadline_from_the_environment_and_the_file(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text("device_timeout = 45\nanswer_grace = 10\n", encoding="utf-8")
    assert engine_settings(load_settings(), demo=False).device_timeout == 45.0
    monkeypatch.setenv("POS_DEVICE_TIMEOUT", "4.5")
    monkeypatch.setenv("POS_ANSWER_GRACE", "1.5")
    engine = engine_settings(load_settings(), demo=False)
    assert (engine.device_timeout, engine.grace) == (4.5, 1.5)


def test_a_time_scaled_demo_sandbox_shortens_the_devices_time() -> None:
    settings = load_settings(sandbox_time_scale=10.0)
    assert engine_settings(settings, demo=True).device_timeout == 9.0
    assert engine_settings(settings, demo=False).device_timeout == 90.0
    assert engine_settings(settings, demo=True).grace == 30.0  # the network is not scaled


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("device_timeout", 0),
        ("device_timeout", 0.5),
        ("device_timeout", 601),
        ("answer_grace", 0),
        ("answer_grace", -1),
        ("answer_grace", 601),
    ],
)
def test_the_deadline_is_validated(name: str, value: float) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(**{name: value})
