"""The staged start-up of `pos-app` with no command, run from source as a shop starts it.

The window shows before the engine loads (pos_app/app.py); these check what it
has imported by then, that a bad setting still ends the start with exit 3, and
that the full start (the engine behind the window) closes cleanly.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pos_app.ui.shown import EXIT_WHEN_SHOWN_ENV, SHOWN_MARKER
from tests.packaging.support import fenced_env, run

#: What the window must not wait for: the engine, its HTTP stack, the settings model,
#: the event loop glue, and the other entry points.
NOT_BEFORE_THE_WINDOW = (
    "httpx",
    "pydantic",
    "pydantic_settings",
    "asyncio",
    "qasync",
    "pos_app.cli",
    "pos_app.config",
    "pos_app.wiring",
    "pos_app.justifi.client",
    "pos_app.storage.journal",
    "pos_app.sandbox.engine",
    "pos_app.selftest",
)
# `pos-app` with no command, then the modules that were loaded once the window showed
# (the benchmark's hook closes it at once, so nothing loads after).
SHOW_AND_LIST = f"""
import sys
from pos_app.entry import main
code = main([])
print(sorted(name for name in {NOT_BEFORE_THE_WINDOW!r} if name in sys.modules))
raise SystemExit(code)
"""


def _env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    return fenced_env(
        tmp_path,
        POS_DATA_DIR=str(tmp_path / "data"),
        POS_CONFIG_DIR=str(tmp_path / "config"),
        POS_LOG_DIR=str(tmp_path / "logs"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        **overrides,
    )


def test_the_window_shows_before_the_engine_is_imported(tmp_path: Path) -> None:
    env = _env(tmp_path, **{EXIT_WHEN_SHOWN_ENV: "1"})

    result = run([sys.executable, "-c", SHOW_AND_LIST], env, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [SHOWN_MARKER, "[]"]


def test_a_bad_setting_still_ends_the_start_with_exit_3(tmp_path: Path) -> None:
    # The window shows first; the full settings, read behind it, refuse the limit.
    env = _env(tmp_path, POS_MAX_AMOUNT_CENTS="1")

    result = run([sys.executable, "-m", "pos_app"], env, timeout=60)

    assert result.returncode == 3, result.stdout + result.stderr
    assert "pos-app: POS_MAX_AMOUNT_CENTS: Input should be greater" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_credentials_end_the_start_with_exit_3(tmp_path: Path) -> None:
    # Not demo, no client id: the lane cannot be wired (after the window showed).
    env = _env(tmp_path, POS_DEMO="0")

    result = run([sys.executable, "-m", "pos_app"], env, timeout=60)

    assert result.returncode == 3, result.stdout + result.stderr
    assert "No JustiFi credentials" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
