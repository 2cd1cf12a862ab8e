"""`pos-app audit verify` and `pos-app audit export` as a subprocess on a lane with no
screen: the head it prints, a head taken earlier, the keyring's sentence, and an attack
played against the file (triggers dropped, an amount changed) that verify names.

Every attack is covered at unit level (tests/unit/test_audit_attacks.py); these run the
whole way a shop would: the CLI, the file, the exit code and the sentence.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pos_app.services.audit_log import KEY_STATUS_TEXT, KeyStatus
from tests.integration.cli_support import AS_OWNER, OWNER, OWNER_PIN, cli_env, run_cli
from tests.support.file_keyring import BACKEND_NAME, FILE_ENV
from tests.support.sandbox import SandboxHandle

NO_JUSTIFI = "http://127.0.0.1:9"  # the audit commands never talk to JustiFi
REPO = Path(__file__).resolve().parents[2]
INTACT = re.compile(r"^Intact: (\d+) entries\. Head: (\d+:[0-9a-f]{20})$")


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def audit_file(env: dict[str, str]) -> Path:
    return Path(env["POS_DATA_DIR"]) / "audit.sqlite3"


def verify(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(["audit", "verify", *args], env)


def verify_json(env: dict[str, str], *args: str, code: int = 0) -> dict[str, Any]:
    result = verify(env, "--json", *args)
    assert result.returncode == code, (result.stdout, result.stderr)
    out = lines(result.stdout)
    assert len(out) == 1, result.stdout
    value = json.loads(out[0])
    assert isinstance(value, dict)
    return value


def add_person(env: dict[str, str], name: str, role: str, pin: str) -> None:
    result = run_cli(["staff", "add", name, "--role", role, *AS_OWNER], env, stdin=[OWNER_PIN, pin])
    assert result.returncode == 0, result.stderr


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A lane with no keyring whose owner was added through the CLI."""
    env = cli_env(NO_JUSTIFI, tmp_path, owner=False)
    added = run_cli(["staff", "add", OWNER, "--role", "owner"], env, stdin=[OWNER_PIN])
    assert added.returncode == 0, added.stderr
    return env


def keyed_env(tmp_path: Path) -> dict[str, str]:
    """A fresh lane whose keyring is a file every process of the test shares."""
    return cli_env(
        NO_JUSTIFI,
        tmp_path,
        owner=False,
        PYTHON_KEYRING_BACKEND=BACKEND_NAME,
        PYTHONPATH=str(REPO),
        **{FILE_ENV: str(tmp_path / "keyring.json")},
    )


# -- verify -----------------------------------------------------------------------------------


def test_verify_an_intact_log_prints_the_head_and_says_there_is_no_keyring(
    env: dict[str, str],
) -> None:
    result = verify(env)
    assert result.returncode == 0, (result.stdout, result.stderr)
    out = lines(result.stdout)
    assert len(out) == 2, result.stdout
    matched = INTACT.match(out[0])
    assert matched is not None, out[0]
    assert out[1] == KEY_STATUS_TEXT[KeyStatus.NO_KEYRING]
    data = verify_json(env)
    assert data["ok"] is True
    assert data["key_status"] == "no_keyring"
    assert data["head_hash"].startswith(data["head"].split(":")[1])
    assert int(data["head"].split(":")[0]) >= int(matched.group(2).split(":")[0])


def test_a_head_taken_earlier_checks_until_the_chain_stops_leading_to_it(
    env: dict[str, str],
) -> None:
    earlier = verify_json(env)["head"]
    add_person(env, "Ann", "cashier", "1357")
    later = verify_json(env, "--head", earlier)
    assert later["ok"] is True
    assert later["head"] != earlier
    full = verify_json(env, "--head", verify_json(env)["head_hash"][:16])
    assert full["ok"] is True
    seq = earlier.split(":")[0]
    forged = f"{seq}:{'f' * 20}"
    result = verify(env, "--head", forged)
    assert result.returncode == 1, (result.stdout, result.stderr)
    said = lines(result.stdout)[0]
    assert said.startswith("BROKEN: ")
    assert "head" in said.lower()
    data = verify_json(env, "--head", forged, code=1)
    assert (data["ok"], data["reason"]) == (False, "head_not_found")
    # what is not a head at all is bad input: one line, exit 3
    garbled = verify(env, "--head", "nonsense")
    assert garbled.returncode == 3, (garbled.stdout, garbled.stderr)
    said = lines(garbled.stderr)
    assert len(said) == 1, garbled.stderr
    assert said[0].startswith("pos-app: --head: ")


def test_editing_an_amount_in_the_file_is_found_naming_the_entry(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    """The dishonest employee's edit: drop the triggers with sqlite3, make a refund
    smaller in the log. `audit verify` exits 1 and names that entry."""
    env = cli_env(sandbox.url, tmp_path)
    sold = run_cli(["charge", "20.00", "--terminal", "trm_side", "--json"], env)
    assert sold.returncode == 0, sold.stderr
    payment_id = json.loads(sold.stdout)["payment_id"]
    refund = run_cli(["refund", *AS_OWNER, payment_id, "--to-card", "--amount", "15.00"], env)
    assert refund.returncode == 0, refund.stderr
    assert verify(env).returncode == 0

    with sqlite3.connect(audit_file(env)) as conn:
        for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
            conn.execute(f'DROP TRIGGER "{trigger}"')
        seq, detail = conn.execute(
            "SELECT seq, detail FROM audit_entries WHERE action = 'refund' ORDER BY seq LIMIT 1"
        ).fetchone()
        changed = json.loads(detail)
        assert changed["amount_cents"] == 1500
        changed["amount_cents"] = 150
        conn.execute(
            "UPDATE audit_entries SET detail = ? WHERE seq = ?",
            (json.dumps(changed, separators=(",", ":"), sort_keys=True), seq),
        )
    conn.close()

    result = verify(env)
    assert result.returncode == 1, (result.stdout, result.stderr)
    said = lines(result.stdout)
    assert said[0].startswith("BROKEN: ")
    assert re.search(rf"\b{seq}\b", said[0]), said[0]
    assert said[1] == KEY_STATUS_TEXT[KeyStatus.NO_KEYRING]
    data = verify_json(env, code=1)
    assert data["broken_seq"] == seq
    assert data["ok"] is False


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [("pin_hash", "scrypt$", "PIN hash"), ("failed_tries", 0, "lock")],
)
def test_a_staff_row_changed_in_the_file_is_found_naming_the_person(
    env: dict[str, str], column: str, value: object, field: str
) -> None:
    """Clearing a PIN hash or resetting a lockout outside the app: verify names who."""
    add_person(env, "Ann", "cashier", "1357")
    for _ in range(3):  # wrong tries: Ann's row counts them
        wrong = run_cli(["staff", "set-pin", "Ann"], env, stdin=["9999", "2468"])
        assert wrong.returncode == 3, wrong.stderr
    with sqlite3.connect(audit_file(env)) as conn:
        if column == "pin_hash":
            stored = conn.execute("SELECT pin_hash FROM staff WHERE name = 'Ann'").fetchone()[0]
            value = f"{stored[:-4]}AAAA"  # a hash the attacker knows the PIN of
        conn.execute(f"UPDATE staff SET {column} = ? WHERE name = 'Ann'", (value,))
    conn.close()
    result = verify(env)
    assert result.returncode == 1, (result.stdout, result.stderr)
    said = lines(result.stdout)[0]
    assert said.startswith("BROKEN: ")
    assert "Ann" in said
    assert field.split()[0].lower() in said.lower()
    assert verify_json(env, code=1)["reason"] == "state_changed"


def test_a_keyed_lane_says_so_and_another_keyring_says_the_key_is_missing(
    tmp_path: Path,
) -> None:
    env = keyed_env(tmp_path)
    added = run_cli(["staff", "add", OWNER, "--role", "owner"], env, stdin=[OWNER_PIN])
    assert added.returncode == 0, added.stderr
    assert (tmp_path / "keyring.json").exists()  # the chain's key went to the keyring
    data = verify_json(env)
    assert (data["ok"], data["key_status"]) == (True, "keyed")
    assert lines(verify(env).stdout)[1] == KEY_STATUS_TEXT[KeyStatus.KEYED]
    # the same file on a computer whose keyring lacks the key
    (tmp_path / "keyring.json").unlink()
    moved = verify(env)
    assert lines(moved.stdout)[-1] == KEY_STATUS_TEXT[KeyStatus.KEY_MISSING]
    assert json.loads(lines(verify(env, "--json").stdout)[0])["key_status"] == "key_missing"


def test_verify_on_a_lane_with_nothing_recorded_is_intact(tmp_path: Path) -> None:
    env = cli_env(NO_JUSTIFI, tmp_path, owner=False)
    result = verify(env)
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr


# -- export -------------------------------------------------------------------------------


def test_export_csv_and_json_hold_every_entry_and_the_head(
    env: dict[str, str], tmp_path: Path
) -> None:
    add_person(env, "Ann", "cashier", "1357")
    as_csv, as_json = tmp_path / "audit.csv", tmp_path / "audit.json"
    result = run_cli(["audit", "export", "--csv", str(as_csv)], env)
    assert result.returncode == 0, result.stderr
    written = int(result.stdout.split()[0])
    with as_csv.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    actions = [row["action"] for row in rows]
    assert "staff_added" in actions
    assert len([r for r in rows if r.get("seq", "").isdigit()]) == written

    result = run_cli(["audit", "export", "--json", str(as_json)], env)
    assert result.returncode == 0, result.stderr
    data = json.loads(as_json.read_text(encoding="utf-8"))
    entries = data["entries"]
    assert len(entries) == int(result.stdout.split()[0]) >= written
    assert [e["subject"] for e in entries if e["action"] == "staff_added"] == [OWNER, "Ann"]
    assert data["head"]["seq"] == entries[-1]["seq"]
    assert OWNER_PIN not in as_json.read_text(encoding="utf-8") + as_csv.read_text("utf-8")


def test_export_to_a_folder_that_does_not_exist_is_one_line_exit_3(
    env: dict[str, str], tmp_path: Path
) -> None:
    result = run_cli(["audit", "export", "--csv", str(tmp_path / "nope" / "a.csv")], env)
    assert result.returncode in (2, 3), (result.stdout, result.stderr)
    assert len(lines(result.stderr)) == 1
    assert "Traceback" not in result.stderr
