"""Build the Linux bundle with packaging/build.sh and run what it made.

Marked `bundle` (`pytest -m "not bundle"` leaves it out). The build takes about
half a minute with build/venv in place (a minute on a new machine); a bundle
newer than every file it is made from is reused.
"""

from __future__ import annotations

import shutil
import subprocess
import tarfile
import time
import tomllib
from pathlib import Path

import httpx
import pytest

from pos_app.ui.shown import EXIT_WHEN_SHOWN_ENV, SHOWN_MARKER
from tests.packaging.support import (
    CHECKS,
    ROOT,
    check_lines,
    fenced_env,
    files_under,
    run,
    run_self_test,
)

pytestmark = [pytest.mark.bundle, pytest.mark.timeout(900)]

BUNDLE = ROOT / "dist" / "pos-app"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
TARBALL = ROOT / "dist" / f"pos-app-{VERSION}-linux-x86_64.tar.gz"
BUILD_TIMEOUT = 780.0
# Qt modules the app does not use: neither the bindings nor their libraries may ship.
UNUSED_QT = ("QtQml", "QtQuick", "QtNetwork", "QtTest", "QtSql", "QtOpenGLWidgets", "QtDesigner")
DEV_PACKAGES = ("pytest", "_pytest", "mypy", "hypothesis", "ruff", "pytestqt", "importlinter")


def _sources_newest() -> float:
    inputs = [ROOT / "pyproject.toml"]
    for folder in ("pos_app", "packaging"):
        inputs += [
            p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts
        ]
    return max(p.stat().st_mtime for p in inputs)


@pytest.fixture(scope="module")
def bundle() -> Path:
    """dist/pos-app, built now unless the last build is newer than its sources."""
    # The tarball is the build's last step: it stamps a complete build.
    fresh = TARBALL.exists() and TARBALL.stat().st_mtime > _sources_newest()
    if not fresh:
        log = ROOT / "build" / "build-test.log"
        log.parent.mkdir(exist_ok=True)
        started = time.monotonic()
        with log.open("w", encoding="utf-8") as out:
            result = subprocess.run(
                ["bash", "packaging/build.sh"],
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=BUILD_TIMEOUT,
                check=False,
            )
        text = log.read_text(encoding="utf-8", errors="replace")
        assert result.returncode == 0, f"packaging/build.sh failed:\n{text[-4000:]}"
        print(f"bundle built in {time.monotonic() - started:.0f} s")
    return BUNDLE


def test_frozen_self_test_passes(bundle: Path, tmp_path: Path) -> None:
    env = fenced_env(tmp_path)

    result = run_self_test([str(bundle / "pos-app")], env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert check_lines(result.stdout) == dict.fromkeys(CHECKS, "OK"), result.stdout
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"pos-app self-test: version {VERSION}, frozen bundle, ")
    assert lines[-1] == f"self-test passed: {len(CHECKS)} checks OK"
    # The shipped catalog came from the bundle, and the sandbox was the bundle itself.
    assert f"({bundle}/_internal/pos_app/resources/catalog.toml)" in result.stdout
    assert "`pos-app sandbox` child process at http://127.0.0.1:" in result.stdout
    # Issue 9: the bundle's own interpreter and Qt binding keep None, True and False level.
    assert "OK      Qt reference counts: None, True and False level across " in result.stdout
    assert files_under(tmp_path) == []


def test_frozen_sandbox_subcommand_serves(bundle: Path, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [str(bundle / "pos-app-console"), "sandbox", "--port", "0"],
        env=fenced_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        state = httpx.get(f"{url}/_sandbox/state", timeout=10).json()
        assert "trm_front" in {terminal["id"] for terminal in state["terminals"]}
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_frozen_soak_runs_the_same_driver(bundle: Path, tmp_path: Path) -> None:
    command = [str(bundle / "pos-app-console"), "--self-test", "--soak", "12", "--every", "6"]

    result = run(command, fenced_env(tmp_path), 120)

    assert "stopped:" not in result.stdout, result.stdout + result.stderr
    assert ", frozen bundle, " in result.stdout.splitlines()[0]
    assert "sales: 10 approved, 1 declined, 0 cancelled on the device, 1 refunded, 1 in cash" in (
        result.stdout.splitlines()
    )
    assert files_under(tmp_path) == []


def test_frozen_window_shows_first_and_a_bad_setting_still_ends_with_exit_3(
    bundle: Path, tmp_path: Path
) -> None:
    # The staged start-up (pos_app/app.py) frozen: the window shows before the engine
    # loads; the full settings, read behind it, still end the start when they are wrong.
    shown = run([str(bundle / "pos-app")], fenced_env(tmp_path, **{EXIT_WHEN_SHOWN_ENV: "1"}), 60)
    refused = run([str(bundle / "pos-app")], fenced_env(tmp_path, POS_MAX_AMOUNT_CENTS="1"), 60)

    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert shown.stdout.splitlines() == [SHOWN_MARKER]
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert "pos-app: POS_MAX_AMOUNT_CENTS: Input should be greater" in refused.stderr


def test_frozen_version_comes_from_the_package(bundle: Path, tmp_path: Path) -> None:
    result = run([str(bundle / "pos-app-console"), "--version"], fenced_env(tmp_path), 30)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"pos-app {VERSION}"


def test_bundle_holds_the_app_and_nothing_it_does_not_use(bundle: Path) -> None:
    for name in ("pos-app", "pos-app-console"):
        assert (bundle / name).is_file()
        assert (bundle / name).stat().st_mode & 0o111
    internal = bundle / "_internal"
    assert (internal / "pos_app" / "resources" / "catalog.toml").is_file()
    shipped = {p.name for p in internal.rglob("*")}
    for module in UNUSED_QT:
        assert not [name for name in shipped if name.startswith(f"{module}.")], module
        assert not [name for name in shipped if name.startswith(f"libQt6{module[2:]}.")], module
    assert not set(DEV_PACKAGES) & {p.name for p in internal.iterdir()}


def test_kept_qt_plugins_find_their_qt_libraries(bundle: Path) -> None:
    # The spec drops some Qt plugins and libraries; every plugin left must load.
    ldd = shutil.which("ldd")
    assert ldd is not None
    plugins = sorted((bundle / "_internal" / "PySide6" / "Qt" / "plugins").rglob("*.so"))
    assert any(p.name == "libqxcb.so" for p in plugins)
    assert any(p.name == "libqoffscreen.so" for p in plugins)
    missing = {}
    for plugin in plugins:
        out = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, check=False)
        lost = [line.split()[0] for line in out.stdout.splitlines() if "not found" in line]
        if [name for name in lost if name.startswith("libQt6")]:
            missing[plugin.name] = lost
    assert missing == {}


def test_tarball_unpacks_to_the_bundle(bundle: Path) -> None:
    with tarfile.open(TARBALL) as archive:
        names = set(archive.getnames())
        owners = {(member.uid, member.gid) for member in archive.getmembers()}
    for name in ("pos-app", "pos-app-console", "pos-app.desktop", "pos-app.png", "install.sh"):
        assert f"pos-app/{name}" in names
    assert "pos-app/_internal/pos_app/resources/catalog.toml" in names
    assert owners == {(0, 0)}
