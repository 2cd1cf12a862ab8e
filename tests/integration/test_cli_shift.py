"""`pos-app shift ...`, `pos-app charge --cash` and `pos-app report --shift` as a subprocess
on a fresh lane against the sandbox: a shift opened with its float, cash sales with their
change, a sale split between cash and a card (approved, and declined), drawer movements,
the close with a short count and its Z report, and the refusals with their sentences and
exit codes (3: nothing was done).

Every figure is read back as a shop with only a terminal would: the commands' --json, the
sandbox's payments and the lane's audit export.
"""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli_support import (
    AS_OWNER,
    OWNER,
    OWNER_PIN,
    cli_env,
    popen_cli,
    run_cli,
)
from tests.support.sandbox import SandboxHandle, wait_until

FLOAT = "100.00"


@pytest.fixture
def env(sandbox: SandboxHandle, tmp_path: Path) -> dict[str, str]:
    """A fresh lane: no staff, no shift, an empty journal."""
    return cli_env(sandbox.url, tmp_path, owner=False)


@pytest.fixture
def staffed(sandbox: SandboxHandle, tmp_path: Path) -> dict[str, str]:
    """A fresh lane whose owner is OWNER (PIN OWNER_PIN)."""
    return cli_env(sandbox.url, tmp_path)


def cli(
    env: dict[str, str], *args: str, stdin: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_cli(list(args), env, stdin=stdin or [])


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result.stdout


def one_json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    out = lines(result.stdout)
    assert len(out) == 1, (result.stdout, result.stderr)
    value = json.loads(out[0])
    assert isinstance(value, dict)
    return value


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refusal says on stderr (exit 3, nothing on stdout)."""
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert result.stdout == ""
    said = lines(result.stderr)
    assert len(said) == 1, result.stderr
    assert said[0].startswith("pos-app: ")
    assert "Traceback" not in result.stderr
    return said[0]


def status(env: dict[str, str]) -> dict[str, Any]:
    result = cli(env, "shift", "status", "--json")
    ok(result)
    return one_json(result)


def open_shift(env: dict[str, str], amount: str = FLOAT) -> dict[str, Any]:
    result = cli(env, "shift", "open", "--float", amount, "--json")
    ok(result)
    return one_json(result)


def cash_sale(env: dict[str, str], *args: str) -> dict[str, Any]:
    result = cli(env, "charge", *args, "--json")
    ok(result)
    return one_json(result)


def payments(sandbox: SandboxHandle) -> list[dict[str, Any]]:
    return sandbox.ok("GET", "/v1/payments?limit=100")["data"]  # type: ignore[no-any-return]


def audit_actions(env: dict[str, str], tmp_path: Path) -> list[tuple[str, str]]:
    """(action, who) of every audit entry, oldest first, from `audit export`."""
    target = tmp_path / "audit.json"
    ok(run_cli(["audit", "export", "--json", str(target)], env, stdin=[]))
    entries = json.loads(target.read_text(encoding="utf-8"))["entries"]
    return [(e["action"], e["who"]) for e in entries]


# -- opening, and a cash sale -------------------------------------------------------------------


def test_a_fresh_lane_opens_a_shift_and_a_cash_sale_prints_the_change(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    assert status(env) == {"open": False}
    assert "No shift is open" in ok(cli(env, "shift", "status"))
    shift = open_shift(env)
    assert shift["open"] is True
    assert shift["float"] == 10_000
    assert shift["expected_cash"] == 10_000
    assert shift["opened_by"] is None
    assert shift["closed_at"] is None

    result = cli(env, "charge", "12.50", "--cash", "20.00")
    out = lines(ok(result))
    assert "Change: $7.50" in out, out
    assert out[-1].startswith("Sale complete: $12.50"), out

    sale = cash_sale(env, "4.25", "--cash", "4.25", "--description", "Tea")
    assert sale["status"] == "complete"
    assert (sale["total"], sale["paid"], sale["balance_due"]) == (425, 425, 0)
    assert (sale["tendered"], sale["change"]) == (425, 0)
    assert [(p["kind"], p["amount"]) for p in sale["parts"]] == [("cash", 425)]
    assert sale["shift_id"] == shift["shift_id"]
    assert sale["description"] == "Tea"
    assert sale["card_operation"] is None

    now = status(env)
    assert now["shift_id"] == shift["shift_id"]
    assert now["expected_cash"] == 10_000 + 1250 + 425
    assert "cash expected in the drawer $116.75" in ok(cli(env, "shift", "status"))
    assert payments(sandbox) == []  # cash never reaches JustiFi


# -- split tender -----------------------------------------------------------------------------


def test_a_split_sale_takes_the_cash_then_charges_the_rest_on_the_terminal(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    open_shift(env)
    result = cli(env, "charge", "30.00", "--cash", "10.00", "--terminal", "trm_side", "--json")
    sale = one_json(result)
    assert result.returncode == 0, result.stderr
    assert "$20.00 to pay on trm_side" in result.stderr  # progress goes to stderr with --json
    assert sale["status"] == "complete"
    assert (sale["total"], sale["paid"], sale["balance_due"]) == (3000, 3000, 0)
    assert (sale["cash"], sale["card"], sale["change"]) == (1000, 2000, 0)
    assert [(p["kind"], p["amount"]) for p in sale["parts"]] == [("cash", 1000), ("card", 2000)]
    card = sale["card_operation"]
    assert (card["kind"], card["status"], card["amount"]) == ("charge", "approved", 2000)
    [paid] = payments(sandbox)
    assert (paid["id"], paid["amount"], paid["status"]) == (card["payment_id"], 2000, "succeeded")
    assert status(env)["expected_cash"] == 11_000  # only the cash part is in the drawer

    human = lines(ok(cli(env, "charge", "15.00", "--cash", "20.00", "--terminal", "trm_side")))
    assert "Change: $5.00" in human  # the cash covers it: the terminal is not used
    assert len(payments(sandbox)) == 1


def test_a_declined_card_part_leaves_the_sale_partly_paid_with_the_balance_due(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    open_shift(env)
    # The sandbox's terminals decline amounts ending in .91: the card part is $20.91.
    result = cli(env, "charge", "30.91", "--cash", "10.00", "--terminal", "trm_side", "--json")
    assert result.returncode == 1, (result.stdout, result.stderr)
    sale = one_json(result)
    assert (sale["status"], sale["paid"], sale["balance_due"]) == ("open", 1000, 2091)
    assert sale["card_operation"]["status"] == "declined"
    assert sale["card_operation"]["decline_code"] == "card_declined"
    assert [p["kind"] for p in sale["parts"]] == ["cash"]
    assert status(env)["expected_cash"] == 11_000  # the cash part stands

    # A shift with a sale still owing cannot be closed.
    assert "still open" in refused(cli(env, "shift", "close", "--counted", "110.00"))
    assert status(env)["open"] is True
    recovered = ok(cli(env, "recover"))  # what a restart finds: the sale still owing
    assert "A sale is still partly paid: $20.91 of $30.91 is due" in recovered

    said = lines(ok(cli(env, "sale", "status")))
    assert said[0] == (
        f"The sale is partly paid (Cash $10.00): $20.91 of $30.91 is still due."
        f" Sale {sale['ticket_id']}."
    )
    assert f"pos-app sale pay {sale['ticket_id']} --terminal T" in said[1]
    # The rest: part on another card, the last cents in cash.
    card = cli(env, "sale", "pay", sale["ticket_id"], "--terminal", "trm_side", "--amount", "20")
    assert card.returncode == 0, card.stderr
    assert "$0.91 of $30.91 is still due" in card.stdout
    done = one_json(cli(env, "sale", "pay", sale["ticket_id"], "--cash", "1.00", "--json"))
    assert (done["status"], done["balance_due"], done["change"]) == ("complete", 0, 9)
    assert [(p["kind"], p["amount"]) for p in done["parts"]] == [
        ("cash", 1000),
        ("card", 2000),
        ("cash", 91),
    ]
    assert "paid already" in refused(cli(env, "sale", "pay", sale["ticket_id"], "--cash", "5"))
    assert one_json(cli(env, "sale", "status", "--json")) == {"ticket_id": None}
    z = one_json(cli(env, "shift", "close", "--counted", "110.91", "--json"))
    assert (z["over_short"], z["tickets"], z["declined"]) == (0, 1, 1)
    assert z["sales_by_tender"]["card"] == {"count": 1, "cents": 2000}


def test_cancelling_a_partly_paid_sale_hands_the_cash_back_and_voids_the_card_part(
    sandbox: SandboxHandle, staffed: dict[str, str]
) -> None:
    env = staffed
    open_shift(env)
    result = cli(env, "charge", "50.91", "--cash", "10.00", "--terminal", "trm_side")
    assert result.returncode == 1, result.stderr
    out = lines(result.stdout)
    assert out[0] == "Cash $10.00 taken; $40.91 to pay on trm_side."
    assert any(line.startswith("Declined") for line in out), out
    sale_id = one_json(cli(env, "sale", "status", "--json"))["ticket_id"]
    assert out[-2] == (
        f"The sale is partly paid (Cash $10.00): $40.91 of $50.91 is still due. Sale {sale_id}."
    )
    ok(cli(env, "sale", "pay", sale_id, "--terminal", "trm_side", "--amount", "20.00"))
    # Giving money back needs a manager's PIN; a wrong one gives nothing back.
    assert "--as NAME" in refused(cli(env, "sale", "cancel", sale_id))
    assert "wrong PIN" in refused(cli(env, "sale", "cancel", sale_id, *AS_OWNER, stdin=["0000"]))
    assert status(env)["expected_cash"] == 11_000

    cancel = cli(env, "sale", "cancel", sale_id, *AS_OWNER, "--json", stdin=[OWNER_PIN])
    assert cancel.returncode == 0, cancel.stderr
    given = one_json(cancel)
    assert (given["status"], given["returned_cash"], given["still_to_give_back"]) == (
        "cancelled",
        1000,
        0,
    )
    assert given["cancelled_by"] == OWNER
    [void] = given["card_operations"]
    assert (void["kind"], void["status"], void["approved_by"]) == ("void", "approved", OWNER)
    assert "Hand back $10.00 in cash." in cancel.stderr
    assert status(env)["expected_cash"] == 10_000
    closing = ["shift", "close", "--counted", FLOAT, *AS_OWNER, "--json"]
    z = one_json(cli(env, *closing, stdin=[OWNER_PIN]))
    assert z["cancelled"] == {"count": 1, "cents": 5091}
    assert z["cash_returned"] == {"count": 1, "cents": 1000}
    assert z["over_short"] == 0


def test_a_split_sale_stopped_while_the_customer_taps_completes_at_recover(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    open_shift(env)
    proc = popen_cli(["charge", "30.00", "--cash", "10.00", "--terminal", "trm_side"], env)
    try:
        wait_until(lambda: sandbox.control("GET", "sessions"), timeout=30)
        proc.send_signal(signal.SIGKILL)  # the lane stops; the customer still taps
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    wait_until(lambda: [p["status"] for p in payments(sandbox)] == ["succeeded"], timeout=30)
    owing = one_json(cli(env, "sale", "status", "--json"))
    assert (owing["status"], owing["balance_due"]) == ("open", 2000)

    said = lines(ok(cli(env, "recover")))
    assert len(said) == 2, said  # the card part approved, and no sale left owing
    assert said[0].split()[:3] == ["charge", "$20.00", "approved"]
    assert said[1] == "1 unfinished operation(s) reconciled."
    assert one_json(cli(env, "sale", "status", "--json")) == {"ticket_id": None}
    z = one_json(cli(env, "shift", "close", "--counted", "110.00", "--json"))
    assert (z["tickets"], z["over_short"]) == (1, 0)
    assert z["sales_by_tender"]["card"] == {"count": 1, "cents": 2000}


# -- drawer movements and the close -------------------------------------------------------------


def test_close_with_a_short_drawer_prints_the_z_report_and_its_figures_add_up(
    staffed: dict[str, str], tmp_path: Path
) -> None:
    env = staffed
    pin = [OWNER_PIN]
    opened = cli(env, "shift", "open", "--float", FLOAT, *AS_OWNER, "--json", stdin=pin)
    assert one_json(opened)["opened_by"] == OWNER
    cash_sale(env, "12.50", "--cash", "20.00")
    cash_sale(env, "30.00", "--cash", "10.00", "--terminal", "trm_side")
    said = lines(ok(cli(env, "shift", "paid-in", "20.00", "--reason", "Change from the bank")))
    assert said == [
        "Paid in $20.00: Change from the bank.",
        "Cash expected in the drawer: $142.50.",
    ]
    # Paying out needs a manager on a lane with staff.
    assert "--as NAME" in refused(cli(env, "shift", "paid-out", "5.00", "--reason", "Milk"))
    out = cli(env, "shift", "paid-out", "5.00", "--reason", "Milk", *AS_OWNER, "--json", stdin=pin)
    movement = one_json(out)
    assert (movement["kind"], movement["amount"], movement["signed"]) == ("paid_out", 500, -500)
    assert (movement["person"], movement["approved_by"]) == (OWNER, OWNER)
    assert movement["expected_cash"] == 13_750
    no_sale = one_json(cli(env, "shift", "no-sale", "--reason", "Customer change", "--json"))
    assert (no_sale["kind"], no_sale["amount"], no_sale["reason"]) == (
        "no_sale",
        0,
        "Customer change",
    )

    x = one_json(cli(env, "report", "--shift", "--json"))
    assert x["kind"] == "x"
    assert x["expected_cash"] == 13_750
    assert x["counted"] is None

    # As at the till, a lane with staff closes with a manager's or owner's PIN.
    assert "--as NAME" in refused(cli(env, "shift", "close", "--counted", "137.40"))
    assert status(env)["open"] is True
    # 10,000 float + 1,250 + 1,000 cash sales + 2,000 in - 500 out = 13,750; 13,740 counted.
    closed = cli(env, "shift", "close", "--counted", "137.40", *AS_OWNER, "--json", stdin=pin)
    z = one_json(closed)
    assert z["kind"] == "z"
    assert (z["float"], z["expected_cash"], z["counted"], z["over_short"]) == (
        10_000,
        13_750,
        13_740,
        -10,
    )
    assert z["tickets"] == 2
    assert z["sales_by_tender"]["cash"] == {"count": 2, "cents": 2250}
    assert z["sales_by_tender"]["card"] == {"count": 1, "cents": 2000}
    assert [m["amount"] for m in z["paid_in"]] == [2000]
    assert [(m["amount"], m["reason"]) for m in z["paid_out"]] == [(500, "Milk")]
    assert [m["reason"] for m in z["no_sales"]] == ["Customer change"]
    assert z["shift"]["open"] is False
    assert z["shift"]["closed_by"] == OWNER
    assert z["shift"]["over_short"] == -10
    assert status(env) == {"open": False}

    # The last Z prints again, in words, with the over/short.
    text = ok(cli(env, "report", "--shift"))
    assert "Counted $137.40, expected $137.50: $0.10 short." in text
    again = one_json(cli(env, "report", "--shift", "--json"))
    assert (again["kind"], again["over_short"]) == ("z", -10)
    assert again["shift"]["shift_id"] == z["shift"]["shift_id"]

    actions = audit_actions(env, tmp_path)
    assert ("shift_opened", OWNER) in actions
    assert ("paid_out", OWNER) in actions
    assert ("shift_closed", OWNER) in actions
    assert any(action == "paid_in" for action, _who in actions)
    assert any(action == "no_sale" for action, _who in actions)


def test_close_in_words_prints_the_report_and_the_over_short(env: dict[str, str]) -> None:
    open_shift(env, "50.00")
    cash_sale(env, "7.00", "--cash", "10.00")
    # Counted note by note: $40 + $10 + $5 + $2 + 25c.
    count = ["--count", "20=2", "10=1", "5=1", "1=2", "0.25=1"]
    said = lines(ok(cli(env, "shift", "close", *count)))
    assert said[-1] == "Counted $57.25, expected $57.00: $0.25 over."
    assert said[0].strip() == "Z REPORT - SHIFT CLOSED"  # the Z report's lines come first
    assert any(line.startswith("$20 x 2") for line in said), said
    assert status(env) == {"open": False}
    z = one_json(cli(env, "report", "--shift", "--json"))
    assert z["shift"]["count"] == {"25": 1, "100": 2, "500": 1, "1000": 1, "2000": 2}
    ok(cli(env, "shift", "open", "--float", "0"))  # a new shift may start with no float
    assert status(env)["float"] == 0


# -- refusals -------------------------------------------------------------------------------------


def test_cash_without_a_shift_is_refused_and_nothing_is_rung_up(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    said = refused(cli(env, "charge", "12.50", "--cash", "20.00"))
    assert said == "pos-app: Open a shift to take cash: `pos-app shift open --float AMOUNT`."
    refused(cli(env, "charge", "30.00", "--cash", "10.00", "--terminal", "trm_side"))
    assert payments(sandbox) == []
    assert status(env) == {"open": False}
    # No sale was left owing: a shift opened now closes at once.
    open_shift(env)
    assert one_json(cli(env, "shift", "close", "--counted", FLOAT, "--json"))["tickets"] == 0


def test_a_second_open_and_a_close_with_nothing_open_are_refused(env: dict[str, str]) -> None:
    said = refused(cli(env, "shift", "close", "--counted", "10.00"))
    assert "No shift is open on this lane" in said
    first = one_json(cli(env, "shift", "open", "--count", "20=4", "10=2", "--json"))
    assert (first["float"], first["float_count"]) == (10_000, {"1000": 2, "2000": 4})
    assert "already open" in refused(cli(env, "shift", "open", "--float", "50.00"))
    assert status(env)["shift_id"] == first["shift_id"]
    assert status(env)["float"] == 10_000


#: A command line that is not one, and what the refusal says (each runs on an open shift).
REFUSED_AMOUNTS = [
    (["shift", "close", "--counted", "lots"], "--counted: Enter the amount as a number"),
    (["shift", "close", "--counted", "-5"], "--counted: Enter the amount without a minus"),
    (["shift", "open", "--float", "1.005"], "--float: Use at most two digits"),
    (["charge", "12.50", "--cash", "twenty"], "--cash: Enter the amount as a number"),
    (["charge", "30.00", "--cash", "10.00"], "$10.00 in cash does not cover $30.00"),
    (
        ["charge", "10.00", "--cash", "9.80", "--terminal", "trm_side"],
        "the card part would be $0.20",
    ),
    (["shift", "paid-in", "0", "--reason", "Float top-up"], "at least $0.01"),
    (["shift", "paid-out", "100.01", "--reason", "Rent"], "should hold only $100.00"),
    (["shift", "no-sale", "--reason", "   "], "Say why the drawer is opened"),
]


def test_amounts_and_reasons_that_are_not_ones_are_refused_and_nothing_moves(
    sandbox: SandboxHandle, env: dict[str, str]
) -> None:
    open_shift(env)
    said = {" ".join(args): refused(cli(env, *args)) for args, _sentence in REFUSED_AMOUNTS}
    for args, sentence in REFUSED_AMOUNTS:
        assert sentence in said[" ".join(args)], said
    now = status(env)
    assert (now["open"], now["expected_cash"]) == (True, 10_000)
    assert payments(sandbox) == []
    z = one_json(cli(env, "shift", "close", "--counted", FLOAT, "--json"))
    assert (z["tickets"], z["no_sales"], z["paid_in"], z["paid_out"]) == (0, [], [], [])


def test_drawer_movements_need_an_open_shift(env: dict[str, str]) -> None:
    assert "No shift is open" in refused(cli(env, "shift", "paid-in", "5.00", "--reason", "Float"))
    assert "No shift is open" in refused(cli(env, "shift", "no-sale", "--reason", "Change"))
    assert status(env) == {"open": False}


def test_report_without_any_shift_says_how_to_start_one(env: dict[str, str]) -> None:
    said = refused(cli(env, "report", "--shift"))
    assert "pos-app shift open --float AMOUNT" in said
    result = cli(env, "report")
    assert result.returncode == 2  # argparse: --shift is the only report here
    assert "--shift" in result.stderr


def test_as_a_name_on_a_lane_without_staff_says_how_to_add_the_owner(
    env: dict[str, str],
) -> None:
    said = refused(cli(env, "shift", "open", "--float", FLOAT, "--as", "Ann", stdin=["1357"]))
    assert "staff add NAME --role owner" in said
    assert status(env) == {"open": False}


def test_charge_needs_a_terminal_or_cash(env: dict[str, str]) -> None:
    result = cli(env, "charge", "12.50")
    assert result.returncode == 2
    assert "--terminal, or --cash" in result.stderr


def test_the_demo_lane_runs_a_shift_on_its_own_sandbox(tmp_path: Path) -> None:
    """`--demo`: no credentials at all; the built-in sandbox starts for each command."""
    env = cli_env(
        "http://127.0.0.1:9",
        tmp_path,
        owner=False,
        JUSTIFI_CLIENT_ID=None,
        POS_SANDBOX_TIME_SCALE="10",
    )
    ok(cli(env, "shift", "open", "--float", "20.00", "--demo"))
    sale = one_json(
        cli(env, "charge", "8.00", "--cash", "5.00", "--terminal", "trm_side", "--demo", "--json")
    )
    assert (sale["status"], sale["cash"], sale["card"]) == ("complete", 500, 300)
    z = one_json(cli(env, "shift", "close", "--counted", "25.00", "--demo", "--json"))
    assert (z["expected_cash"], z["over_short"]) == (2500, 0)
