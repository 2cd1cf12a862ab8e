"""The staged start-up of `pos-app` with no command, run from source as a shop starts it.

The window shows before the engine loads (pos_app/app.py); these check what it
has imported by then, that a bad setting still ends the start with exit 3, and
that the full start (the engine behind the window) closes cleanly.
"""

from __future__ import annotations

import ast
import runpy
import sys
from pathlib import Path

from pos_app.ui.shown import EXIT_WHEN_SHOWN_ENV, SHOWN_MARKER
from tests.packaging.support import ROOT, fenced_env, run

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


def show_and_list(candidates: str) -> str:
    """A script: `pos-app` with no command, then which of `candidates` (a Python
    expression naming modules) were loaded once the window showed (the benchmark's
    hook closes it at once, so nothing loads after)."""
    return f"""
import sys
from pos_app.entry import main
code = main([])
print(sorted(name for name in {candidates} if name in sys.modules))
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

    script = show_and_list(repr(NOT_BEFORE_THE_WINDOW))
    result = run([sys.executable, "-c", script], env, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [SHOWN_MARKER, "[]"]


def test_the_bundle_keeps_every_module_the_window_needs_out_of_its_archive(
    tmp_path: Path,
) -> None:
    # packaging/startup_modules.py: the bundle's first screen loads them as plain .pyc.
    listed = runpy.run_path(str(ROOT / "packaging" / "startup_modules.py"))
    env = _env(tmp_path, **{EXIT_WHEN_SHOWN_ENV: "1"})
    script = show_and_list("[name for name in sys.modules if name.startswith('pos_app')]")

    result = run([sys.executable, "-c", script], env, timeout=60)

    assert result.stdout.splitlines()[0] == SHOWN_MARKER, result.stderr
    imported = set(ast.literal_eval(result.stdout.splitlines()[1]))
    assert "pos_app.ui.main_window" in imported
    assert imported - set(listed["APP"]) - set(listed["APP_PACKAGES"]) == set()


def test_a_start_with_its_catalog_cached_does_not_load_the_toml_parser(tmp_path: Path) -> None:
    # The first start parses the sample catalog and keeps it in the data folder; the
    # next ones read that copy (pos_app/resources/catalog_cache.py). No settings.toml.
    env = _env(tmp_path, **{EXIT_WHEN_SHOWN_ENV: "1"})
    (tmp_path / "data").mkdir()
    script = show_and_list("('tomllib',)")

    first = run([sys.executable, "-c", script], env, timeout=60)
    second = run([sys.executable, "-c", script], env, timeout=60)

    assert first.stdout.splitlines() == [SHOWN_MARKER, "['tomllib']"], first.stderr
    assert second.stdout.splitlines() == [SHOWN_MARKER, "[]"], second.stderr


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
