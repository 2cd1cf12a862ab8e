"""What the till's first screen needs from the settings, read without pydantic.

The window shows before the settings are loaded (`pos_app.app` stages its
start-up): the lane's name, the DEMO / TEST / LIVE badge, the tax rate and the
amount limit are read here from the environment and settings.toml with the
same precedence as `pos_app.config` (environment over file over default), at
the cost of a TOML read. This is a preview, never the truth: the full
settings (`config.load_settings`) follow a moment later and are applied over
it, and a file `config` refuses still ends the start with its message. A
test holds the two together.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pos_app.domain.settings_rules import DEFAULT_API_URL, DEFAULT_MAX_AMOUNT_CENTS, environment
from pos_app.folders import SETTINGS_FILE, config_dir

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


@dataclass(frozen=True)
class FirstLook:
    """The settings the till's window shows before the engine is wired."""

    lane: str
    environment: str  # DEMO, TEST or LIVE, as Settings.environment and is_demo say
    tax_rate_bps: int = 0
    max_amount_cents: int = DEFAULT_MAX_AMOUNT_CENTS


def read_first_look(environ: Mapping[str, str] | None = None) -> FirstLook:
    """The preview of the lane's settings; never raises (a value it cannot read
    is left at its default: the full settings say what is wrong with it)."""
    env = {k.lower(): v for k, v in (os.environ if environ is None else environ).items()}
    document = _settings_file()

    def value(env_name: str, key: str) -> Any:
        if env_name.lower() in env:
            return env[env_name.lower()]
        return document.get(key)

    client_id = _text(value("JUSTIFI_CLIENT_ID", "client_id"))
    demo = _flag(value("POS_DEMO", "demo"))
    if demo is None:
        demo = not client_id
    api_url = (_text(value("JUSTIFI_API_URL", "api_url")) or DEFAULT_API_URL).rstrip("/")
    return FirstLook(
        lane=_text(value("POS_LANE", "lane")) or _host_name(),
        environment="DEMO" if demo else environment(api_url, client_id),
        tax_rate_bps=_whole(value("POS_TAX_RATE_BPS", "tax_rate_bps"), 0),
        max_amount_cents=_whole(
            value("POS_MAX_AMOUNT_CENTS", "max_amount_cents"), DEFAULT_MAX_AMOUNT_CENTS
        ),
    )


def _settings_file() -> dict[str, Any]:
    try:
        text = (config_dir() / SETTINGS_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return {}
    import tomllib  # only with a file to parse: a lane set by its environment has none

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}


def _text(raw: object, *, strip: bool = True) -> str | None:
    if not isinstance(raw, str):
        return None
    return (raw.strip() if strip else raw) or None


def _flag(raw: object) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        word = raw.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    return None


def _whole(raw: object, default: int) -> int:
    if isinstance(raw, bool):
        return default
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            return default
    return default


def _host_name() -> str:
    # What socket.gethostname() answers (Settings' default lane), without importing socket.
    uname = getattr(os, "uname", None)
    if uname is not None:
        return str(uname().nodename)
    import socket

    return socket.gethostname()
