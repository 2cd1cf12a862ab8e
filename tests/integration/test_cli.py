"""The headless `pos-app` commands as a subprocess against the sandbox.

Exit codes: 0 approved, 1 declined / cancelled / timed out, 2 unresolved,
3 bad input or configuration.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pos_app.cli_staff import NO_STAFF_TEXT
from pos_app.services.audit_log import AuditEntry, AuditQuery
from pos_app.storage.audit import SqliteAuditLog
from tests.integration.cli_support import (
    AS_OWNER,
    OWNER,
    OWNER_PIN,
    cli_env,
    popen_cli,
    run_cli,
    stderr_until,
)
from tests.support.sandbox import CLIENT_SECRET, SandboxHandle, wait_until

FLOWS = ["payment_intent", "checkout"]
ID_KEYS = {"payment_intent": "payment_intent_id", "checkout": "checkout_id"}


@pytest.fixture
def env(sandbox: SandboxHandle, tmp_path: Path) -> dict[str, str]:
    return cli_env(sandbox.url, tmp_path)


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def one_json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The single JSON object a `--json` command prints on stdout."""
    out = lines(result.stdout)
    assert len(out) == 1, result.stdout
    value = json.loads(out[0])
    assert isinstance(value, dict)
    return value


def api_requests(sandbox: SandboxHandle) -> dict[str, int]:
    """Requests per JustiFi route so far, the token route left out."""
    counts = sandbox.stats()["requests"]
    return {route: n for route, n in counts.items() if not route.startswith("POST /oauth")}


def charge(env: dict[str, str], amount: str, terminal: str = "trm_side") -> dict[str, Any]:
    result = run_cli(["charge", amount, "--terminal", terminal, "--json"], env)
    assert result.returncode == 0, result.stderr
    return one_json(result)


def all_files_text(folder: Path) -> str:
    if not folder.exists():
        return ""
    return "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in folder.rglob("*") if p.is_file()
    )


# -- charge outcomes ---------------------------------------------------------------------------


def test_charge_approved_prints_the_steps_and_approved_last(env: dict[str, str]) -> None:
    result = run_cli(["charge", "12.00", "--terminal", "trm_side"], env)
    assert result.returncode == 0, result.stderr
    out = lines(result.stdout)
    assert out[-1].startswith("Approved"), result.stdout
    assert "$12.00" in out[-1]
    assert len(out) >= 3  # preparing, sending, waiting... before the outcome


@pytest.mark.parametrize("flow", FLOWS)
def test_charge_json_is_one_object_and_progress_goes_to_stderr(
    sandbox: SandboxHandle, tmp_path: Path, flow: str
) -> None:
    env = cli_env(sandbox.url, tmp_path, flow=flow)
    result = run_cli(
        ["charge", "$1,234.56", "--terminal", "trm_side", "--json", "--description", "Bike"], env
    )
    assert result.returncode == 0, result.stderr
    data = one_json(result)
    assert data["kind"] == "charge"
    assert data["amount"] == 123456
    assert isinstance(data["amount"], int)
    assert data["status"] == "approved"
    assert data["terminal_id"] == "trm_side"
    assert data["description"] == "Bike"
    sale_id = data[ID_KEYS[flow]]
    other = ID_KEYS["checkout" if flow == "payment_intent" else "payment_intent"]
    assert other not in data
    assert sale_id.startswith("cho_" if flow == "checkout" else "pi_")
    assert data["payment_id"].startswith("py_")
    assert data["card_brand"]
    assert len(data["card_last4"]) == 4
    err = lines(result.stderr)
    assert err
    assert err[-1].startswith("Approved")
    # the sandbox has this very payment
    payment = sandbox.get(f"/v1/payments/{data['payment_id']}")
    assert (payment["amount"], payment["status"]) == (123456, "succeeded")
    assert payment[ID_KEYS[flow]] == sale_id


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("12.91", "card_declined"),
        ("12.92", "insufficient_funds"),
        ("12.93", "expired_card"),
        ("12.94", "do_not_honor"),
    ],
)
def test_declined_exits_1_with_the_decline_code(
    env: dict[str, str], amount: str, code: str
) -> None:
    result = run_cli(["charge", amount, "--terminal", "trm_side", "--json"], env)
    assert result.returncode == 1, result.stderr
    data = one_json(result)
    assert data["status"] == "declined"
    assert data["decline_code"] == code
    assert data["message"]
    assert data["payment_id"] is None or data["payment_id"].startswith("py_")


def test_declined_human_output(env: dict[str, str]) -> None:
    result = run_cli(["charge", "5.91", "--terminal", "trm_side"], env)
    assert result.returncode == 1
    assert lines(result.stdout)[-1].startswith("Declined")


def test_cancelled_on_the_device_exits_1(env: dict[str, str]) -> None:
    result = run_cli(["charge", "12.95", "--terminal", "trm_side", "--json"], env)
    assert result.returncode == 1, result.stderr
    data = one_json(result)
    assert data["status"] == "cancelled"
    assert data["payment_id"] is None


def test_offline_terminal_exits_1_and_nothing_is_created(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    result = run_cli(["charge", "12.00", "--terminal", "trm_backoffice", "--json"], env)
    assert result.returncode == 1, result.stderr
    data = one_json(result)
    assert data["status"] == "cancelled"
    assert data["decline_code"] == "terminal_not_connected"
    assert sandbox.stats()["objects"]["payment_intent"] == 0


def test_customer_walks_away_exits_1_timed_out(sandbox: SandboxHandle, env: dict[str, str]) -> None:
    proc = popen_cli(["charge", "12.96", "--terminal", "trm_side", "--json"], env)
    try:
        wait_until(lambda: sandbox.control("GET", "sessions"), timeout=20)
        sandbox.set_time(advance=91)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 1, err
    data = json.loads(out)
    assert data["status"] == "timed_out"
    assert data["payment_id"] is None


def test_unreachable_while_waiting_exits_2_unresolved(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    # The sandbox runs 20x fast: its device gives up after 4.5 s; so does the lane.
    env = {**env, "POS_DEVICE_TIMEOUT": "4.5", "POS_ANSWER_GRACE": "1.5"}
    proc = popen_cli(["charge", "12.00", "--terminal", "trm_virtual", "--json"], env)
    try:
        wait_until(lambda: sandbox.control("GET", "sessions"), timeout=20)
        sandbox.fault("drop", path="/v1/*", method="GET", count=10_000)
        out, err = proc.communicate(timeout=200)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 2, err
    assert json.loads(out)["status"] == "unresolved"
    assert "Traceback" not in err
    assert "retrying: the connection to JustiFi dropped" in err


# -- bad input and configuration -------------------------------------------------------------


@pytest.mark.parametrize("amount", ["abc", "0", "-5", "12.345", "0.50"])
def test_bad_amount_exits_3_and_charges_nothing(
    sandbox: SandboxHandle, env: dict[str, str], amount: str
) -> None:
    before = sandbox.stats()
    result = run_cli(["charge", "--terminal", "trm_side", "--", amount], env)
    assert result.returncode == 3, (result.stdout, result.stderr)
    err = lines(result.stderr)
    assert len(err) == 1, result.stderr
    assert err[0].startswith("pos-app: ")
    after = sandbox.stats()
    assert after["objects"] == before["objects"]
    assert api_requests(sandbox) == {
        r: n for r, n in before["requests"].items() if not r.startswith("POST /oauth")
    }


def test_no_credentials_exits_3_and_mentions_demo(sandbox: SandboxHandle, tmp_path: Path) -> None:
    env = cli_env(sandbox.url, tmp_path, JUSTIFI_CLIENT_ID=None)
    result = run_cli(["charge", "12.00", "--terminal", "trm_side"], env)
    assert result.returncode == 3
    err = lines(result.stderr)
    assert len(err) == 1, result.stderr
    assert "--demo" in err[0]
    assert sandbox.stats()["objects"]["payment_intent"] == 0


def test_wrong_secret_exits_3_in_one_line_and_never_shows_the_secret(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    wrong = "wrong-secret-Zq8vX3kP"
    env = cli_env(sandbox.url, tmp_path, JUSTIFI_CLIENT_SECRET=wrong)
    result = run_cli(["charge", "12.00", "--terminal", "trm_side"], env)
    assert result.returncode == 3
    err = lines(result.stderr)
    assert len(err) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert wrong not in result.stdout + result.stderr
    assert wrong not in all_files_text(tmp_path / "logs")
    assert sandbox.stats()["objects"]["payment_intent"] == 0
    # the --json form too: progress and the error on stderr, nothing on stdout
    result = run_cli(["charge", "12.00", "--terminal", "trm_side", "--json"], env)
    assert result.returncode == 3
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert wrong not in result.stderr + all_files_text(tmp_path / "logs")


def test_secret_never_reaches_the_log_after_a_charge(env: dict[str, str], tmp_path: Path) -> None:
    charge(env, "12.00")
    logged = all_files_text(tmp_path / "logs")
    assert "POST /v1/payment_intents" in logged  # the log is really written
    assert CLIENT_SECRET not in logged


# -- refunds and voids -----------------------------------------------------------------------


@pytest.mark.parametrize("flow", FLOWS)
def test_refund_to_card(sandbox: SandboxHandle, tmp_path: Path, flow: str) -> None:
    env = cli_env(sandbox.url, tmp_path, flow=flow)
    sale = charge(env, "20.00")
    result = run_cli(
        ["refund", *AS_OWNER, sale[ID_KEYS[flow]], "--to-card", "--amount", "5.00", "--json"], env
    )
    assert result.returncode == 0, result.stderr
    data = one_json(result)
    assert (data["kind"], data["status"], data["amount"]) == ("refund", "approved", 500)
    assert data["refund_id"].startswith("re_")
    assert data["payment_id"] == sale["payment_id"]
    payment = sandbox.get(f"/v1/payments/{sale['payment_id']}")
    assert payment["amount_refunded"] == 500


def refund_posts(sandbox: SandboxHandle) -> dict[str, int]:
    return {r: n for r, n in api_requests(sandbox).items() if "refund" in r and r[:4] == "POST"}


def test_refund_above_refundable_exits_3_and_sends_nothing(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    sale = charge(env, "20.00")
    assert (
        run_cli(
            ["refund", *AS_OWNER, sale["payment_intent_id"], "--to-card", "--amount", "15.00"], env
        ).returncode
        == 0
    )
    before = refund_posts(sandbox)
    for where in (["--to-card"], ["--terminal", "trm_side"]):
        result = run_cli(
            ["refund", *AS_OWNER, sale["payment_intent_id"], *where, "--amount", "5.01"], env
        )
        assert result.returncode == 3, result.stderr
        err = lines(result.stderr)
        assert len(err) == 1, result.stderr
        assert "5.00" in err[0]
        assert "refund" in err[0].lower()
    assert refund_posts(sandbox) == before
    assert sandbox.stats()["objects"]["refund"] == 1


def audit_entries(env: dict[str, str]) -> list[AuditEntry]:
    """Every entry of the lane's audit log, oldest first (read from the file)."""
    with SqliteAuditLog(Path(env["POS_DATA_DIR"]) / "audit.sqlite3") as audit:
        return list(reversed(audit.entries(AuditQuery(limit=10_000))))


def test_refunds_and_voids_need_an_approvers_pin_and_are_audited(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    sale = charge(env, "20.00")
    refund = ["refund", *AS_OWNER, sale["payment_id"], "--to-card", "--amount", "1.00"]
    for tries_left, args in ((9, refund), (8, ["void", *AS_OWNER, sale["payment_id"]])):
        wrong = run_cli(args, env, pin="135792")
        assert wrong.returncode == 3, wrong.stderr
        assert lines(wrong.stderr) == [
            f"pos-app: wrong PIN for {OWNER} ({tries_left} tries left); nothing was sent"
        ]
    assert refund_posts(sandbox) == {}
    assert sandbox.stats()["objects"]["refund"] == 0
    before = len(audit_entries(env))

    assert run_cli(refund, env).returncode == 0
    entries = audit_entries(env)
    failed = [e for e in entries[:before] if e.action == "pin_failed"]
    assert [e.outcome for e in failed] == ["wrong", "wrong"]
    refunds = [e for e in entries[before:] if e.action == "refund"]
    assert [(e.outcome, e.subject) for e in refunds] == [
        ("requested", sale["payment_id"]),
        ("approved", sale["payment_id"]),
    ]
    assert all(json.loads(e.detail)["approved_by"] == OWNER for e in refunds)
    check = run_cli(["audit", "verify"], env)
    assert check.returncode == 0, check.stdout + check.stderr


def test_refund_and_void_name_the_approver_with_as(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    sale = charge(env, "20.00")
    refund = ["refund", sale["payment_id"], "--to-card", "--amount", "1.00"]
    for args in (refund, ["void", sale["payment_id"]]):
        result = run_cli(args, env)
        assert result.returncode == 3, result.stderr
        assert "--as NAME" in result.stderr
        assert len(lines(result.stderr)) == 1
    assert (
        run_cli(
            ["staff", "add", "Ann", "--role", "cashier", *AS_OWNER], env, stdin=[OWNER_PIN, "1357"]
        ).returncode
        == 0
    )
    cashier = run_cli([*refund, "--as", "Ann"], env, pin="1357")
    assert cashier.returncode == 3, cashier.stderr
    assert "Ann" in cashier.stderr
    assert refund_posts(sandbox) == {}


def test_refund_on_a_lane_with_no_staff_says_how_to_add_the_owner(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    env = cli_env(sandbox.url, tmp_path, owner=False)
    sale = charge(env, "20.00")
    result = run_cli(["refund", *AS_OWNER, sale["payment_id"], "--to-card"], env)
    assert result.returncode == 3
    assert lines(result.stderr) == [f"pos-app: {NO_STAFF_TEXT}"]
    assert "pos-app staff add NAME --role owner" in result.stderr
    assert refund_posts(sandbox) == {}


def test_refund_on_the_terminal(sandbox: SandboxHandle, env: dict[str, str]) -> None:
    sale = charge(env, "20.00")
    result = run_cli(
        [
            "refund",
            *AS_OWNER,
            sale["payment_intent_id"],
            "--terminal",
            "trm_side",
            "--amount",
            "1.00",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    assert lines(result.stdout)[-1].startswith("Approved")
    payment = sandbox.get(f"/v1/payments/{sale['payment_id']}")
    assert payment["amount_refunded"] == 100


def test_charge_on_the_manual_terminal_then_refund_all(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    proc = popen_cli(["charge", "7.50", "--terminal", "trm_virtual", "--json"], env)
    try:
        wait_until(lambda: sandbox.control("GET", "sessions"), timeout=20)
        sandbox.present("trm_virtual", card="mastercard")
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    sale = json.loads(out)
    assert (sale["card_brand"], sale["card_last4"]) == ("Mastercard", "4444")
    result = run_cli(["refund", *AS_OWNER, sale["payment_id"], "--to-card", "--json"], env)
    assert result.returncode == 0, result.stderr
    assert one_json(result)["amount"] == 750  # default: everything refundable


def test_void_then_void_again(sandbox: SandboxHandle, env: dict[str, str]) -> None:
    sale = charge(env, "20.00")
    result = run_cli(["void", *AS_OWNER, sale["payment_id"], "--json"], env)
    assert result.returncode == 0, result.stderr
    data = one_json(result)
    assert (data["kind"], data["status"], data["amount"]) == ("void", "approved", 2000)
    assert sandbox.get(f"/v1/payments/{sale['payment_id']}")["status"] != "succeeded"
    voids = api_requests(sandbox).get("POST /v1/payments/{id}/void", 0)
    # A second void is refused before anything is sent: the payment is no longer
    # approved. The engine treats that as bad input (exit 3), not as a decline (1).
    again = run_cli(["void", *AS_OWNER, sale["payment_id"]], env)
    assert again.returncode == 3, again.stderr
    err = lines(again.stderr)
    assert len(err) == 1, again.stderr
    assert "void" in err[0].lower()
    assert api_requests(sandbox).get("POST /v1/payments/{id}/void", 0) == voids


# -- terminals and history -------------------------------------------------------------------


EXPECTED_TERMINALS = {
    "trm_side": "connected",
    "trm_front": "connected",
    "trm_virtual": "connected",
    "trm_patio": "connected",
    "trm_backoffice": "offline",
}


def test_terminals_lists_all_five_with_status(env: dict[str, str]) -> None:
    result = run_cli(["terminals"], env)
    assert result.returncode == 0, result.stderr
    seen = {line.split()[0]: line.split()[1] for line in lines(result.stdout)}
    assert seen == EXPECTED_TERMINALS


def test_terminals_json_one_object_per_line(env: dict[str, str]) -> None:
    result = run_cli(["terminals", "--json"], env)
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in lines(result.stdout)]
    assert {o["id"]: o["status"] for o in objects} == EXPECTED_TERMINALS
    assert all(o["name"] for o in objects)


def test_history_json_one_object_per_operation(env: dict[str, str]) -> None:
    approved = charge(env, "10.00")
    declined = run_cli(["charge", "10.91", "--terminal", "trm_side", "--json"], env)
    refund = run_cli(
        [
            "refund",
            *AS_OWNER,
            approved["payment_intent_id"],
            "--to-card",
            "--amount",
            "2.00",
            "--json",
        ],
        env,
    )
    assert (declined.returncode, refund.returncode) == (1, 0)
    result = run_cli(["history", "--json"], env)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in lines(result.stdout)]
    assert len(rows) == 3
    for row in rows:
        for key in ("kind", "amount", "status", "terminal_id", "operation_id", "payment_id"):
            assert key in row
        assert "payment_intent_id" in row
    by_status = {(r["kind"], r["status"]): r for r in rows}
    assert by_status[("charge", "approved")]["payment_id"] == approved["payment_id"]
    assert by_status[("charge", "approved")]["amount"] == 1000
    assert by_status[("charge", "declined")]["amount"] == 1091
    assert by_status[("charge", "declined")]["decline_code"] == "card_declined"
    assert by_status[("refund", "approved")]["amount"] == 200
    assert rows[0]["kind"] == "refund"  # newest first
    human = run_cli(["history"], env)
    assert human.returncode == 0
    assert len(lines(human.stdout)) == 3
    assert approved["payment_intent_id"] in human.stdout


def test_history_shows_who_served_and_who_approved_each_operation(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    added = run_cli(
        ["staff", "add", "Ann", "--role", "cashier", *AS_OWNER], env, stdin=[OWNER_PIN, "1357"]
    )
    assert added.returncode == 0, added.stderr
    wrong = run_cli(["charge", "10.00", "--terminal", "trm_side", "--as", "Ann"], env, pin="9753")
    assert wrong.returncode == 3, wrong.stderr
    assert "wrong PIN for Ann" in wrong.stderr
    assert sandbox.stats()["objects"]["payment_intent"] == 0
    sold = run_cli(
        ["charge", "10.00", "--terminal", "trm_side", "--json", "--as", "ann"], env, pin="1357"
    )
    assert sold.returncode == 0, sold.stderr
    sale = one_json(sold)
    assert sale["served_by"] == "Ann"  # as stored, whatever the case typed
    nobody = charge(env, "3.00")  # no --as: nobody named, as before named staff
    refund = run_cli(
        ["refund", *AS_OWNER, sale["payment_id"], "--to-card", "--amount", "2.00", "--json"], env
    )
    assert refund.returncode == 0, refund.stderr
    refunded = one_json(refund)

    def who(*args: str) -> dict[str, tuple[str | None, str | None]]:
        result = run_cli(["history", "--json", *args], env)
        assert result.returncode == 0, result.stderr
        rows = [json.loads(line) for line in lines(result.stdout)]
        return {r["operation_id"]: (r["served_by"], r["approved_by"]) for r in rows}

    assert who() == {
        sale["operation_id"]: ("Ann", None),
        nobody["operation_id"]: (None, None),
        refunded["operation_id"]: (OWNER, OWNER),
    }
    assert who("--person", "ANN") == {sale["operation_id"]: ("Ann", None)}
    assert who("--person", OWNER) == {refunded["operation_id"]: (OWNER, OWNER)}
    rows = lines(run_cli(["history"], env).stdout)
    assert len(rows) == 3
    assert rows[0].endswith(OWNER)  # the refund, newest first
    assert rows[2].endswith("Ann")  # the first charge


def test_history_since_the_future_is_empty(env: dict[str, str]) -> None:
    charge(env, "10.00")
    result = run_cli(["history", "--since", "2999-01-01", "--json"], env)
    assert (result.returncode, result.stdout) == (0, "")
    result = run_cli(["history", "--since", "2999-01-01"], env)
    assert result.returncode == 0
    assert lines(result.stdout) == ["No sales yet."]


def test_history_on_an_empty_journal(env: dict[str, str]) -> None:
    result = run_cli(["history"], env)
    assert result.returncode == 0
    assert "No sales" in result.stdout


def test_history_since_garbage_exits_3(env: dict[str, str]) -> None:
    result = run_cli(["history", "--since", "garbage"], env)
    assert result.returncode == 3
    err = lines(result.stderr)
    assert len(err) == 1, result.stderr
    assert "--since" in err[0]
    assert "Traceback" not in result.stderr


# -- more edges --------------------------------------------------------------------------------


def test_unknown_terminal_is_bad_input_exit_3_naming_the_id(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    result = run_cli(["charge", "3.00", "--terminal", "trm_nope", "--json"], env)
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    err = lines(result.stderr)
    assert err[-1].startswith("pos-app: ")
    assert "trm_nope" in err[-1]
    assert "Traceback" not in result.stderr
    assert sandbox.stats()["objects"]["payment_intent"] == 0


@pytest.mark.parametrize(
    "command", [["refund", *AS_OWNER, "pi_nope", "--to-card"], ["void", *AS_OWNER, "py_nope"]]
)
def test_unknown_payment_exits_3_in_one_line(env: dict[str, str], command: list[str]) -> None:
    result = run_cli(command, env)
    assert result.returncode == 3
    err = lines(result.stderr)
    assert len(err) == 1, result.stderr
    assert "nope" in err[0]


def test_terminal_refund_needs_the_payment_intent_flow(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    env = cli_env(sandbox.url, tmp_path, flow="checkout")
    sale = charge(env, "20.00")
    result = run_cli(["refund", *AS_OWNER, sale["checkout_id"], "--terminal", "trm_side"], env)
    assert result.returncode == 3
    err = lines(result.stderr)
    assert len(err) == 1, result.stderr
    assert "refund to the card" in err[0]
    assert sandbox.stats()["objects"]["refund"] == 0


def test_ctrl_c_while_waiting_then_the_customer_pays_is_approved(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    """Ctrl+C asks to cancel, but JustiFi cannot: a payment that goes through stands."""
    proc = popen_cli(["charge", "4.00", "--terminal", "trm_virtual", "--json"], env)
    try:
        wait_until(lambda: sandbox.control("GET", "sessions"), timeout=20)
        proc.send_signal(signal.SIGINT)
        said = stderr_until(proc, "Press X")
        assert proc.poll() is None  # it said the terminal decides, and still waits
        sandbox.present("trm_virtual")
        out, rest = proc.communicate(timeout=30)
        err = said + rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert json.loads(out)["status"] == "approved"
    assert "Traceback" not in err
    assert "Press X" in err


def test_the_window_without_a_secret_says_why_and_exits_3(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    env = cli_env(sandbox.url, tmp_path, JUSTIFI_CLIENT_SECRET=None, QT_QPA_PLATFORM="offscreen")
    result = run_cli([], env)
    assert result.returncode == 3
    # The window is up before the lane is wired, so Qt's offscreen plugin may add its own
    # notes on stderr; the person's line is ours, and there is one.
    ours = [line for line in lines(result.stderr) if "JustiFi" in line or "pos-app" in line]
    assert ours == [
        "pos-app: No JustiFi client secret: set JUSTIFI_CLIENT_SECRET or keep it in the keyring."
    ]
    assert "Traceback" not in result.stderr
