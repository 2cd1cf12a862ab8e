"""The window's first look at the settings agrees with the full settings (config)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pos_app import config
from pos_app.first_look import FirstLook, read_first_look

CASES = {
    "nothing set: demo": ({}, ""),
    "test credentials": ({"JUSTIFI_CLIENT_ID": "test_abc"}, ""),
    "live credentials": ({"JUSTIFI_CLIENT_ID": "live_abc"}, ""),
    "live id, local sandbox URL": (
        {"JUSTIFI_CLIENT_ID": "live_abc", "JUSTIFI_API_URL": "http://127.0.0.1:8123/"},
        "",
    ),
    "demo chosen in the file over credentials": (
        {},
        'settings_version = 2\ndemo = true\nclient_id = "live_abc"\n',
    ),
    "demo turned off by the environment": ({"POS_DEMO": "false"}, ""),
    "demo turned on by the environment": ({"POS_DEMO": "1", "JUSTIFI_CLIENT_ID": "live_x"}, ""),
    "a version-1 file with credentials": ({}, 'client_id = "test_abc"\n'),
    "lane, tax and limit from the file": (
        {},
        'settings_version = 2\nlane = "Front till"\ntax_rate_bps = 825\nmax_amount_cents = 5000\n',
    ),
    "the environment over the file": (
        {"POS_LANE": "Back", "POS_TAX_RATE_BPS": "700", "POS_MAX_AMOUNT_CENTS": "9000"},
        'settings_version = 2\nlane = "Front"\ntax_rate_bps = 825\n',
    ),
    "environment names in lower case": ({"pos_lane": "Lower", "justifi_client_id": "test_x"}, ""),
}


@pytest.fixture
def fenced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.upper().startswith(("POS_", "JUSTIFI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("POS_CONFIG_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.parametrize("case", CASES)
def test_the_first_look_is_what_the_settings_say(
    case: str, fenced: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ, document = CASES[case]
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    if document:
        (fenced / config.SETTINGS_FILE).write_text(document, encoding="utf-8")

    settings = config.load_settings()

    assert read_first_look() == FirstLook(
        lane=settings.lane,
        environment="DEMO" if settings.is_demo else settings.environment,
        tax_rate_bps=settings.tax_rate_bps,
        max_amount_cents=settings.max_amount_cents,
    )


def test_a_file_it_cannot_read_leaves_the_defaults(fenced: Path) -> None:
    (fenced / config.SETTINGS_FILE).write_text("lane = [unclosed\n", encoding="utf-8")

    look = read_first_look({"POS_TAX_RATE_BPS": "lots"})

    assert (look.environment, look.tax_rate_bps, look.max_amount_cents) == ("DEMO", 0, 1_000_000)
    with pytest.raises(config.SettingsError):
        config.load_settings()  # the full settings say what is wrong, and the start ends
