"""The CLI's one presenter: a sentence for an error a person may read, the log for a bug.

A bug is planted in a real `pos-app` process (the command's function replaced
before `main` runs): exit 4, one line on stderr naming the log, and the
traceback in that log, never on the terminal.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pos_app import cli
from pos_app.domain.errors import (
    ConfigurationError,
    InvalidInputError,
    NotPermittedError,
    UnavailableError,
    UserFacingError,
)
from pos_app.secrets import KeyringUnavailableError
from pos_app.services.manager import ManagerRequiredError, ManagerStatus
from tests.integration.cli_support import CLI_TIMEOUT, cli_env
from tests.support.sandbox import SandboxHandle

PLANTED = "planted bug 7d41"

# `pos-app ARGS` with one command's function replaced by one that raises.
PLANT = """
import sys
from pos_app import cli

def planted(*_args, **_kwargs):
    raise {error}

async def planted_lane(*_args, **_kwargs):
    raise {error}

if sys.argv[1] == "history":
    cli.cmd_history = planted
elif sys.argv[1] in cli.OFFLINE_COMMANDS:
    cli.OFFLINE_COMMANDS[sys.argv[1]] = planted
else:
    cli.LANE_COMMANDS[sys.argv[1]] = planted_lane
sys.exit(cli.main(sys.argv[1:]))
"""


def run_planted(
    args: list[str], env: dict[str, str], error: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PLANT.format(error=error), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


def log_text(env: dict[str, str]) -> str:
    folder = Path(env["POS_LOG_DIR"])
    return "".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("pos-app.log*")))


@pytest.mark.parametrize(
    "args",
    [["history"], ["history", "--json"], ["terminals"], ["staff", "list"], ["audit", "verify"]],
    ids=["history", "history-json", "lane-command", "staff", "audit"],
)
def test_a_bug_in_a_command_exits_4_naming_the_log_that_holds_the_traceback(
    sandbox: SandboxHandle, tmp_path: Path, args: list[str]
) -> None:
    env = cli_env(sandbox.url, tmp_path)

    result = run_planted(args, env, f"RuntimeError({PLANTED!r})")

    assert result.returncode == cli.EXIT_BUG, result.stderr
    log_file = Path(env["POS_LOG_DIR"]) / "pos-app.log"
    assert result.stderr.splitlines() == [
        f"pos-app: something went wrong that should not have; details are in {log_file}"
    ]
    assert "Traceback" not in result.stderr
    assert PLANTED not in result.stderr  # a bug's own text is for the log, not the person
    logged = log_text(env)
    assert "Traceback (most recent call last)" in logged
    assert f"RuntimeError: {PLANTED}" in logged
    assert "planted" in logged  # the frame that raised


def test_an_error_a_person_may_read_is_one_line_with_its_code(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    env = cli_env(sandbox.url, tmp_path)
    error = "__import__('pos_app.domain.errors').domain.errors.NotPermittedError('ask a manager')"

    result = run_planted(["terminals"], env, error)

    assert result.returncode == cli.EXIT_BAD_INPUT, result.stderr
    assert result.stderr.splitlines() == ["pos-app: ask a manager"]
    assert "Traceback" not in log_text(env)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (InvalidInputError("that amount is too large"), cli.EXIT_BAD_INPUT),
        (ConfigurationError("no JustiFi credentials"), cli.EXIT_BAD_INPUT),
        (NotPermittedError("a manager must sign in first"), cli.EXIT_BAD_INPUT),
        (ManagerRequiredError(ManagerStatus.NO_STAFF), cli.EXIT_BAD_INPUT),
        (UnavailableError("the journal is busy"), cli.EXIT_UNRESOLVED),
        (KeyringUnavailableError("no keyring here"), cli.EXIT_UNRESOLVED),
    ],
)
def test_each_kind_of_user_facing_error_keeps_its_exit_code(
    capsys: pytest.CaptureFixture[str], error: UserFacingError, code: int
) -> None:
    assert cli.present_error(error, "charge") == code

    assert capsys.readouterr().err == f"pos-app: {error.message}\n"
