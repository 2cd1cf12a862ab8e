"""`pos-app staff ...` as a subprocess on a fresh lane with no screen: the first owner and
the recovery code, more people, disabling, PIN changes, lockouts and unlocking, and the
owner's way back from a forgotten PIN.

PINs go in on standard input, one a line: the `--as` person's first, then the new one.
Every change is read back through `staff list --json` and the audit export, as a shop
with only a terminal would.
"""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli_support import CLI_TIMEOUT, cli_env, run_cli, stderr_until
from tests.support.migrated_lane import MIGRATED_OWNER, OLD_PIN, v1_audit_file

NO_JUSTIFI = "http://127.0.0.1:9"  # staff commands never talk to JustiFi
OWNER, OWNER_PIN = "Olga", "246810"
CODE = re.compile(r"Recovery code: ([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})$", re.MULTILINE)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A fresh lane: nobody works it yet."""
    return cli_env(NO_JUSTIFI, tmp_path, owner=False)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def staff(
    env: dict[str, str], *args: str, stdin: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli(["staff", *args], env, stdin=stdin or [])


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refusal says on stderr (exit 3, nothing on stdout)."""
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert result.stdout == ""
    said = lines(result.stderr)
    assert len(said) == 1, result.stderr
    assert said[0].startswith("pos-app: ")
    assert "Traceback" not in result.stderr
    return said[0]


def people(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    out = ok(staff(env, "list", "--json"))
    return {row["name"]: row for row in map(json.loads, lines(out))}


def audit_actions(env: dict[str, str], tmp_path: Path) -> list[tuple[str, str, str | None]]:
    """(action, who, subject) of every audit entry, oldest first, from `audit export`."""
    target = tmp_path / "audit.json"
    ok(run_cli(["audit", "export", "--json", str(target)], env))
    entries = json.loads(target.read_text(encoding="utf-8"))["entries"]
    return [(e["action"], e["who"], e["subject"]) for e in entries]


def add_owner(env: dict[str, str]) -> str:
    """Olga as the lane's owner, through the CLI; the recovery code it printed."""
    out = ok(staff(env, "add", OWNER, "--role", "owner", stdin=[OWNER_PIN]))
    found = CODE.findall(out)
    assert len(found) == 1, out
    return found[0]


# -- the first owner -----------------------------------------------------------------------


def test_a_fresh_lane_adds_its_owner_and_shows_the_recovery_code_once(
    env: dict[str, str], tmp_path: Path
) -> None:
    assert "staff add NAME --role owner" in ok(staff(env, "list"))
    out = ok(staff(env, "add", f" {OWNER} ", "--role", "owner", stdin=[OWNER_PIN]))
    code = CODE.findall(out)
    assert len(code) == 1, out
    assert out.count(code[0]) == 1
    assert "Write this recovery code down" in out
    assert people(env) == {
        OWNER: {
            "name": OWNER,
            "role": "owner",
            "active": True,
            "can_approve": True,
            "failed_tries": 0,
            "locked_until": None,
            "lane_has_recovery_code": True,
        }
    }
    assert OWNER_PIN not in out + "".join(p.read_text() for p in (tmp_path / "logs").rglob("*"))
    # the code is shown once: listing, and adding the owner again, never show it
    assert code[0] not in ok(staff(env, "list")) + ok(staff(env, "list", "--json"))
    again = refused(staff(env, "add", "Oscar", "--role", "owner", stdin=[OWNER_PIN, "975313"]))
    assert "--as NAME" in again
    actions = audit_actions(env, tmp_path)
    assert ("staff_added", OWNER, OWNER) in actions


@pytest.mark.parametrize(
    ("args", "stdin"),
    [
        (["add", "Ann", "--role", "cashier"], ["1357"]),
        (["add", OWNER, "--role", "owner", "--as", OWNER], [OWNER_PIN, OWNER_PIN]),
    ],
)
def test_the_first_person_must_be_an_owner_without_as(
    env: dict[str, str], args: list[str], stdin: list[str]
) -> None:
    assert "the first person on a lane is its owner" in refused(staff(env, *args, stdin=stdin))
    assert people(env) == {}


def test_an_owners_pin_has_six_digits_and_a_weak_one_is_refused(env: dict[str, str]) -> None:
    assert "at least 6 digits" in refused(
        staff(env, "add", OWNER, "--role", "owner", stdin=["1357"])
    )
    refused(staff(env, "add", OWNER, "--role", "owner", stdin=["123456"]))
    assert "standard input ended" in refused(staff(env, "add", OWNER, "--role", "owner"))
    assert people(env) == {}


# -- more people ------------------------------------------------------------------------------


def test_the_owner_adds_people_with_as_and_a_manager_adds_cashiers_only(
    env: dict[str, str], tmp_path: Path
) -> None:
    add_owner(env)
    ok(staff(env, "add", "Max", "--role", "manager", "--as", OWNER, stdin=[OWNER_PIN, "864209"]))
    assert (
        ok(staff(env, "add", "Ann", "--role", "cashier", "--as", "max", stdin=["864209", "1357"]))
        == "Added Ann (cashier).\n"
    )
    refused(
        staff(env, "add", "Mia", "--role", "manager", "--as", "Max", stdin=["864209", "975313"])
    )
    # a manager's PIN has 6 digits; the same name twice is refused whatever its case
    assert "6 digits" in refused(
        staff(env, "add", "Mia", "--role", "manager", "--as", OWNER, stdin=[OWNER_PIN, "9753"])
    )
    refused(staff(env, "add", "ANN", "--role", "cashier", "--as", OWNER, stdin=[OWNER_PIN, "2468"]))
    assert {name: row["role"] for name, row in people(env).items()} == {
        OWNER: "owner",
        "Max": "manager",
        "Ann": "cashier",
    }
    listed = lines(ok(staff(env, "list")))
    assert listed[0].split() == ["Name", "Role", "State"]
    assert listed[-1].startswith("Recovery code: set")
    assert [line.split() for line in listed[1:-1]] == [
        ["Ann", "cashier", "active"],
        ["Max", "manager", "active"],
        [OWNER, "owner", "active"],
    ]
    added = [
        (who, subject)
        for action, who, subject in audit_actions(env, tmp_path)
        if action == "staff_added"
    ]
    assert added == [(OWNER, OWNER), (OWNER, "Max"), ("Max", "Ann")]


def test_a_wrong_as_pin_adds_nobody_and_says_the_tries_left(env: dict[str, str]) -> None:
    add_owner(env)
    said = refused(
        staff(env, "add", "Ann", "--role", "cashier", "--as", OWNER, stdin=["975312", "1357"])
    )
    assert f"wrong PIN for {OWNER} (9 tries left)" in said
    assert "Olga" in people(env)
    assert "Ann" not in people(env)
    assert people(env)[OWNER]["failed_tries"] == 1
    unknown = refused(
        staff(env, "add", "Ann", "--role", "cashier", "--as", "Zed", stdin=["975312", "1357"])
    )
    assert "Zed" in unknown


def test_a_cashier_cannot_authorise(env: dict[str, str]) -> None:
    add_owner(env)
    ok(staff(env, "add", "Ann", "--role", "cashier", "--as", OWNER, stdin=[OWNER_PIN, "1357"]))
    refused(staff(env, "add", "Bob", "--role", "cashier", "--as", "Ann", stdin=["1357", "2468"]))
    refused(staff(env, "disable", OWNER, "--as", "Ann", stdin=["1357"]))
    assert set(people(env)) == {OWNER, "Ann"}
    assert people(env)[OWNER]["active"]


# -- disable, PINs, lockouts -----------------------------------------------------------------


def test_a_disabled_person_cannot_sign_in_until_enabled(env: dict[str, str]) -> None:
    add_owner(env)
    ok(staff(env, "add", "Ann", "--role", "cashier", "--as", OWNER, stdin=[OWNER_PIN, "1357"]))
    out = ok(staff(env, "disable", "ann", "--as", OWNER, stdin=[OWNER_PIN]))
    assert out.startswith("Ann is disabled")
    assert people(env)["Ann"]["active"] is False
    assert "disabled" in lines(ok(staff(env, "list")))[1]
    refused(staff(env, "set-pin", "Ann", stdin=["1357", "2468"]))  # her own PIN: refused
    # the last owner is never disabled
    refused(staff(env, "disable", OWNER, "--as", OWNER, stdin=[OWNER_PIN]))
    ok(staff(env, "enable", "Ann", "--as", OWNER, stdin=[OWNER_PIN]))
    assert people(env)["Ann"]["active"] is True
    ok(staff(env, "set-pin", "Ann", stdin=["1357", "2468"]))


def test_set_pin_your_own_needs_the_old_one_and_someone_elses_needs_as(
    env: dict[str, str], tmp_path: Path
) -> None:
    add_owner(env)
    ok(staff(env, "add", "Ann", "--role", "cashier", "--as", OWNER, stdin=[OWNER_PIN, "1357"]))
    assert "wrong PIN for Ann" in refused(staff(env, "set-pin", "Ann", stdin=["9999", "2468"]))
    assert (
        ok(staff(env, "set-pin", "Ann", stdin=["1357", "2468"])) == "The PIN of Ann is changed.\n"
    )
    # the old PIN no longer works, the new one does
    refused(staff(env, "set-pin", "Ann", stdin=["1357", "3579"]))
    ok(staff(env, "set-pin", "Ann", "--as", OWNER, stdin=[OWNER_PIN, "3579"]))
    ok(staff(env, "set-pin", "Ann", stdin=["3579", "4680"]))
    changed = [a for a in audit_actions(env, tmp_path) if a[0] == "pin_changed"]
    assert [(who, subject) for _, who, subject in changed] == [
        ("Ann", "Ann"),
        (OWNER, "Ann"),
        ("Ann", "Ann"),
    ]


def test_ten_wrong_pins_lock_a_person_and_the_owner_unlocks(env: dict[str, str]) -> None:
    add_owner(env)
    ok(staff(env, "add", "Max", "--role", "manager", "--as", OWNER, stdin=[OWNER_PIN, "864209"]))
    ok(staff(env, "add", "Ann", "--role", "cashier", "--as", OWNER, stdin=[OWNER_PIN, "1357"]))
    for _ in range(9):
        refused(staff(env, "set-pin", "Ann", stdin=["9999", "2468"]))
    last = refused(staff(env, "set-pin", "Ann", stdin=["9999", "2468"]))
    assert "locked" in last
    row = people(env)["Ann"]
    assert row["locked_until"] is not None
    assert "locked until" in ok(staff(env, "list"))
    # the right PIN does not open a lock; a manager may not unlock; the owner may
    assert "locked" in refused(staff(env, "set-pin", "Ann", stdin=["1357", "2468"]))
    refused(staff(env, "unlock", "Ann", "--as", "Max", stdin=["864209"]))
    assert ok(staff(env, "unlock", "Ann", "--as", OWNER, stdin=[OWNER_PIN])).startswith(
        "Ann is unlocked"
    )
    assert people(env)["Ann"]["locked_until"] is None
    ok(staff(env, "set-pin", "Ann", stdin=["1357", "2468"]))


# -- the owner's way back --------------------------------------------------------------------


def test_recover_owner_with_the_code_resets_the_pin_and_gives_a_new_code(
    env: dict[str, str],
) -> None:
    code = add_owner(env)
    wrong = refused(staff(env, "recover-owner", stdin=["0000-0000-0000-0000", "975313"]))
    assert "not the recovery code" in wrong
    out = ok(staff(env, "recover-owner", stdin=[code.lower().replace("-", " "), "975313"]))
    new_code = CODE.pattern.replace("Recovery code", "New recovery code")
    found = re.findall(new_code, out, re.MULTILINE)
    assert len(found) == 1, out
    assert found[0] != code
    # the old code is spent, the old PIN is gone, the new PIN authorises
    refused(staff(env, "recover-owner", stdin=[code, "975313"]))
    refused(staff(env, "add", "Ann", "--role", "cashier", "--as", OWNER, stdin=[OWNER_PIN, "1357"]))
    ok(staff(env, "add", "Ann", "--role", "cashier", "--as", OWNER, stdin=["975313", "1357"]))
    ok(staff(env, "recover-owner", stdin=[found[0], "864213"]))


# -- a lane migrated from the old single manager PIN ------------------------------------------


def test_a_migrated_lane_says_it_has_no_recovery_code_until_the_owner_makes_one(
    env: dict[str, str], tmp_path: Path
) -> None:
    v1_audit_file(Path(env["POS_DATA_DIR"]) / "audit.sqlite3")
    listed = lines(ok(staff(env, "list")))
    assert listed[1].split() == [MIGRATED_OWNER, "owner", "active"]
    assert listed[-1].startswith("Recovery code: none yet")
    assert "pos-app staff recovery-code --as NAME" in listed[-1]
    assert people(env)[MIGRATED_OWNER]["lane_has_recovery_code"] is False
    # nothing to recover with yet
    assert "No recovery code" in refused(staff(env, "recover-owner", stdin=["0000", "975313"]))
    # an owner's other commands remind them, on stderr
    added = staff(
        env, "add", "Max", "--role", "manager", "--as", MIGRATED_OWNER, stdin=[OLD_PIN, "864209"]
    )
    assert ok(added) == "Added Max (manager).\n"
    assert "Recovery code: none yet" in added.stderr
    # a manager may not make one; a wrong owner's PIN makes none and says the tries left
    said = refused(staff(env, "recovery-code", "--as", "Max", stdin=["864209"]))
    assert "Max may not" in said
    said = refused(staff(env, "recovery-code", "--as", MIGRATED_OWNER, stdin=["9753"]))
    assert "wrong PIN for Manager (9 tries left)" in said
    assert people(env)["Max"]["lane_has_recovery_code"] is False

    out = ok(staff(env, "recovery-code", "--as", MIGRATED_OWNER, stdin=[OLD_PIN]))
    code = re.findall(CODE.pattern.replace("Recovery code", "New recovery code"), out, re.M)
    assert len(code) == 1, out
    assert out.count(code[0]) == 1
    assert "This lane had no recovery code until now." in out
    assert "Write this recovery code down" in out
    assert OLD_PIN not in out
    assert lines(ok(staff(env, "list")))[-1].startswith("Recovery code: set")
    assert people(env)["Max"]["lane_has_recovery_code"] is True
    assert code[0] not in ok(staff(env, "list")) + ok(staff(env, "list", "--json"))
    reminded = staff(env, "unlock", "Max", "--as", MIGRATED_OWNER, stdin=[OLD_PIN])
    assert ok(reminded).startswith("Max is unlocked")
    assert reminded.stderr == ""  # the lane has its code now

    # a second new code replaces the first: the first one no longer recovers
    out = ok(staff(env, "recovery-code", "--as", MIGRATED_OWNER, stdin=[OLD_PIN]))
    assert "The old recovery code no longer works." in out
    second = re.findall(CODE.pattern.replace("Recovery code", "New recovery code"), out, re.M)
    assert len(second) == 1
    assert second[0] != code[0]
    assert "not the recovery code" in refused(
        staff(env, "recover-owner", stdin=[code[0], "975313"])
    )
    ok(staff(env, "recover-owner", stdin=[second[0], "975313"]))
    ok(staff(env, "unlock", "Max", "--as", MIGRATED_OWNER, stdin=["975313"]))
    set_by = [
        (who, subject)
        for action, who, subject in audit_actions(env, tmp_path)
        if action == "recovery_code_set"
    ]
    assert set_by == [(MIGRATED_OWNER, None)] * 3  # two made, one on recovery
    assert ok(run_cli(["audit", "verify"], env)).startswith("Intact: ")


# -- at a terminal ---------------------------------------------------------------------------


def test_at_a_terminal_pins_are_asked_without_echo_and_the_new_one_twice(
    env: dict[str, str],
) -> None:
    """A real pseudo-terminal on standard input: the PINs are asked (the prompts on
    stderr, as getpass does without a controlling terminal) and never echoed."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pos_app", "staff", "add", OWNER, "--role", "owner"],
        env=env,
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # no controlling terminal: getpass uses stdin
    )
    os.close(slave)
    try:
        stderr_until(proc, f"New PIN for {OWNER}: ")
        os.write(master, f"{OWNER_PIN}\n".encode())
        said = stderr_until(proc, "again: ")
        os.write(master, f"{OWNER_PIN}\n".encode())
        out, err = proc.communicate(timeout=CLI_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
        os.close(master)
    assert proc.returncode == 0, err
    assert len(CODE.findall(out)) == 1
    assert OWNER_PIN not in out + said + err
    assert people(env)[OWNER]["role"] == "owner"
