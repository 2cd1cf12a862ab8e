"""Running `pos-app --self-test` (frozen or from source) with the user's folders fenced off."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The lines `pos-app --self-test` prints, in order (pos_app/selftest.py).
CHECKS = (
    "resources",
    "keyring backends",
    "store driver",
    "Qt",
    "Qt reference counts",
    "printing",
    "settings",
    "sandbox started",
    "main window",
    "charge",
    "refund",
    "journal",
    "sandbox stopped",
    "no unhandled errors",
)
SELF_TEST_TIMEOUT = 90.0  # under pytest's 120 s, so run() can clean up first


def fenced_env(base: Path, **overrides: str) -> dict[str, str]:
    """The environment with every per-user folder (and the temp dir) under `base`.

    Whatever the program writes outside its own temporary folder then shows up
    there, and the test can assert that nothing did.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("POS_", "JUSTIFI_"))
    }
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "TMPDIR"):
        folder = base / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(overrides)
    return env


def files_under(base: Path) -> list[str]:
    """Every file below `base`, relative to it."""
    return sorted(str(p.relative_to(base)) for p in base.rglob("*") if p.is_file())


def run_self_test(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`COMMAND --self-test`, to completion."""
    return run([*command, "--self-test"], env)


def run(
    command: list[str], env: dict[str, str], timeout: float = SELF_TEST_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """Run to completion; past `timeout`, kill it with every child it started (the
    sandbox), which share its new session, and raise TimeoutExpired."""
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def check_lines(stdout: str) -> dict[str, str]:
    """{check name: "OK" or "FAILED"} from the self-test's output."""
    found: dict[str, str] = {}
    for line in stdout.splitlines():
        verdict, _, rest = line.partition(" ")
        name = rest.strip().split(":", 1)[0]
        if verdict in ("OK", "FAILED") and name in CHECKS:
            found[name] = verdict
    return found
