"""Where the till keeps its files: the settings, the journal and the logs.

One rule for each folder, for the settings (`config`), the first look at them
(`first_look`) and every client: the environment variable when set, else the
platform's user folder. Cheap to import (platformdirs loads only when no
override is set), so the window's first stage can use it.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["APP_NAME", "SETTINGS_FILE", "config_dir", "data_dir", "log_dir"]

APP_NAME = "pos-app"
SETTINGS_FILE = "settings.toml"


def config_dir() -> Path:
    """Where settings.toml lives (POS_CONFIG_DIR overrides)."""
    return _folder("POS_CONFIG_DIR", "user_config_dir")


def data_dir() -> Path:
    """Where the journal, the audit log and the catalog live (POS_DATA_DIR overrides)."""
    return _folder("POS_DATA_DIR", "user_data_dir")


def log_dir() -> Path:
    """Where logs rotate (POS_LOG_DIR overrides)."""
    return _folder("POS_LOG_DIR", "user_log_dir")


def _folder(variable: str, platform_rule: str) -> Path:
    override = os.environ.get(variable)
    if override:
        return Path(override)
    import platformdirs

    return Path(getattr(platformdirs, platform_rule)(APP_NAME))
