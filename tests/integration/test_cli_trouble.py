"""`pos-app charge` and `refund` as a subprocess while JustiFi misbehaves after the send.

A cashier who reads exit 3 ("bad input") or 1 ("not paid") charges again; a
charge that may still complete must end 0 (approved) or 2 (unresolved), and
stderr must say "retrying" while the trouble lasts. The fault proxy in front
of the real sandbox gives the answers the sandbox cannot give yet.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pos_app.storage.journal import SqliteJournal
from tests.integration.cli_support import AS_OWNER, cli_env, journal_path, popen_cli, run_cli
from tests.support.fault_proxy import (
    HTML_502,
    FaultProxy,
    Rewrite,
    fault_proxy,
    json_error,
    refuse_tokens_twice,
)
from tests.support.sandbox import SandboxHandle, wait_until

FLOWS = ["payment_intent", "checkout"]
RETRYING_WITHIN = 2.0
MALFORMED_200 = b'{"type": "x", "data": {"id": 7}}'
BAD_POLLS = {
    "401": (401, json_error("token_expired"), 2),  # refused again after the refresh
    "403": (403, json_error("forbidden"), 1),
    "404": (404, json_error("not_found"), 1),
    "malformed": (200, MALFORMED_200, 1),
}


@pytest.fixture
def proxy(sandbox: SandboxHandle) -> Iterator[FaultProxy]:
    with fault_proxy(sandbox.url) as running:
        yield running


def lane_env(proxy: FaultProxy, base: Path, flow: str = "payment_intent") -> dict[str, str]:
    # The sandbox runs 20x fast: its device gives up after 4.5 s; so does the lane.
    return cli_env(proxy.url, base, flow=flow, POS_DEVICE_TIMEOUT="4.5", POS_ANSWER_GRACE="1.5")


def statuses(env: dict[str, str], operation_id: str) -> list[tuple[float, str]]:
    with SqliteJournal(journal_path(env)) as journal:
        return [(e.at.timestamp(), e.status) for e in journal.entries(operation_id)]


def first_retrying(env: dict[str, str], operation_id: str) -> float:
    return next(at for at, status in statuses(env, operation_id) if status == "retrying")


def latest_status(env: dict[str, str]) -> str | None:
    with SqliteJournal(journal_path(env)) as journal:
        ops = journal.unfinished()
        return ops[0].status if ops else None


def finish(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[str, str]:
    try:
        return proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)


def outcome(result: subprocess.CompletedProcess[str] | tuple[int, str]) -> dict[str, Any]:
    text = result.stdout if isinstance(result, subprocess.CompletedProcess) else result[1]
    parsed = json.loads(text)
    assert isinstance(parsed, dict)
    return parsed


def test_token_refused_twice_mid_session_is_never_exit_3(
    sandbox: SandboxHandle, proxy: FaultProxy, tmp_path: Path
) -> None:
    """The reported bug, end to end: approved (0) or unresolved (2), never 1 or 3."""
    env = lane_env(proxy, tmp_path)
    proc = popen_cli(["charge", "101.00", "--terminal", "trm_virtual", "--json"], env)
    try:
        wait_until(lambda: sandbox.control("GET", "sessions"), timeout=20)
        trouble_at = refuse_tokens_twice(sandbox, proxy)
        wait_until(lambda: latest_status(env) == "retrying", timeout=20)
        wait_until(lambda: latest_status(env) == "waiting", timeout=20)
        sandbox.present("trm_virtual")  # the customer taps once the trouble is over
        out, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode in (0, 2), err
    data = json.loads(out)
    assert data["status"] in ("approved", "unresolved")
    assert proc.returncode == 0, err  # the customer tapped after the trouble cleared
    assert "refused the client id" not in err
    assert "retrying: JustiFi refused the access token" in err
    assert "Connection back" in err
    assert first_retrying(env, data["operation_id"]) - trouble_at <= RETRYING_WITHIN
    assert sandbox.stats()["objects"]["payment"] == 1


@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("bad", sorted(BAD_POLLS))
def test_one_bad_answer_on_a_poll_ends_approved(
    sandbox: SandboxHandle, proxy: FaultProxy, tmp_path: Path, flow: str, bad: str
) -> None:
    status, body, count = BAD_POLLS[bad]
    glob = "/v1/checkouts/*" if flow == "checkout" else "/v1/payment_intents/*"
    proxy.add(Rewrite("GET", glob, status, body, skip=1, count=count))
    env = lane_env(proxy, tmp_path, flow)
    result = run_cli(["charge", "12.00", "--terminal", "trm_side", "--json"], env)
    assert result.returncode in (0, 2), result.stderr
    data = outcome(result)
    assert result.returncode == 0, result.stderr  # the customer tapped: approved
    assert data["status"] == "approved"
    assert "Connection trouble, retrying: " in result.stderr
    assert "Traceback" not in result.stderr
    assert first_retrying(env, data["operation_id"]) - proxy.first_hit() <= RETRYING_WITHIN
    objects = sandbox.stats()["objects"]
    assert objects["payment"] == 1
    assert objects["checkout" if flow == "checkout" else "payment_intent"] == 1


def test_bad_answers_to_the_deadline_exit_2_then_recover_settles(
    sandbox: SandboxHandle, proxy: FaultProxy, tmp_path: Path
) -> None:
    env = lane_env(proxy, tmp_path)
    proxy.add(
        Rewrite("GET", "/v1/payment_intents/*", 403, json_error("forbidden"), skip=1, count=10**6)
    )
    proc = popen_cli(["charge", "12.00", "--terminal", "trm_virtual", "--json"], env)
    try:
        wait_until(lambda: latest_status(env) == "retrying", timeout=20)
        sandbox.present("trm_virtual")  # the customer pays while the lane cannot see it
        out, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=10)
    assert proc.returncode == 2, err
    assert json.loads(out)["status"] == "unresolved"
    assert "retrying: JustiFi refused permission (HTTP 403)" in err
    proxy.clear()
    recovered = run_cli(["recover", "--json"], env)
    assert recovered.returncode == 0, recovered.stderr
    assert json.loads(recovered.stdout)["status"] == "approved"


@pytest.mark.parametrize("answer", ["503", "html_502"])
def test_refund_to_card_whose_answer_is_lost_is_one_refund(
    sandbox: SandboxHandle, proxy: FaultProxy, tmp_path: Path, answer: str
) -> None:
    env = lane_env(proxy, tmp_path)
    sale = outcome(run_cli(["charge", "20.00", "--terminal", "trm_side", "--json"], env))
    body, kind = (
        (json_error("server_error"), "application/json")
        if answer == "503"
        else (HTML_502, "text/html")
    )
    status = 503 if answer == "503" else 502
    proxy.add(Rewrite("POST", "/v1/payments/*/refunds", status, body, kind, forward=True))
    result = run_cli(
        ["refund", *AS_OWNER, sale["payment_id"], "--to-card", "--amount", "0.30", "--json"], env
    )
    assert result.returncode == 0, result.stderr
    data = outcome(result)
    assert (data["status"], data["amount"]) == ("approved", 30)
    assert "retrying" in result.stderr
    assert sandbox.stats()["objects"]["refund"] == 1
    assert sandbox.get(f"/v1/payments/{sale['payment_id']}")["amount_refunded"] == 30


def test_refund_on_the_terminal_whose_answer_is_lost_is_one_refund(
    sandbox: SandboxHandle, proxy: FaultProxy, tmp_path: Path
) -> None:
    env = lane_env(proxy, tmp_path)
    sale = outcome(run_cli(["charge", "20.00", "--terminal", "trm_side", "--json"], env))
    proxy.add(Rewrite("POST", "/v1/terminals/refund", 502, HTML_502, "text/html", forward=True))
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
    assert "retrying: JustiFi answered HTTP 502" in result.stderr
    assert sandbox.stats()["objects"]["refund"] == 1
    assert sandbox.get(f"/v1/payments/{sale['payment_id']}")["amount_refunded"] == 100
