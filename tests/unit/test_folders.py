"""The folders' one rule: the environment variable when set, else the platform's user folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import platformdirs
import pytest

from pos_app import folders

RULES: dict[str, tuple[Callable[[], Path], str, Callable[[str], str]]] = {
    "config": (folders.config_dir, "POS_CONFIG_DIR", platformdirs.user_config_dir),
    "data": (folders.data_dir, "POS_DATA_DIR", platformdirs.user_data_dir),
    "log": (folders.log_dir, "POS_LOG_DIR", platformdirs.user_log_dir),
}


@pytest.mark.parametrize("name", RULES)
def test_the_environment_overrides_the_folder(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, variable, _ = RULES[name]
    monkeypatch.setenv(variable, str(tmp_path / name))
    assert folder() == tmp_path / name


@pytest.mark.parametrize("name", RULES)
def test_without_it_the_platforms_user_folder(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, variable, platform_rule = RULES[name]
    monkeypatch.delenv(variable, raising=False)
    assert folder() == Path(platform_rule(folders.APP_NAME))
