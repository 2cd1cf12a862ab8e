"""`pos-app sandbox` as a process: --state, --scenario, credentials, bad options.

Each test starts its own sandbox child process(es) (about half a second each)
and talks to it over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.sandbox import SandboxHandle, sandbox_process, wait_until

# -- helpers -----------------------------------------------------------------------


@contextmanager
def handle(*args: str) -> Iterator[SandboxHandle]:
    """A sandbox child process with a SandboxHandle on it."""
    with sandbox_process(*args) as url:
        sandbox = SandboxHandle(url)
        try:
            yield sandbox
        finally:
            sandbox.client.close()


def cli(*args: str) -> tuple[int | None, str, str]:
    """Run `pos-app sandbox --port 0 ARGS`: (exit code, stdout, stderr).

    The exit code is None when the sandbox started serving instead of exiting
    (it printed its URL); it is then stopped at once.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "pos_app", "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    if first.startswith("http://"):
        proc.terminate()
        out, err = proc.communicate(timeout=10)
        return None, first + out, err
    out, err = proc.communicate(timeout=30)
    return proc.returncode, first + out, err


def assert_refused(args: tuple[str, ...], *must_mention: str) -> None:
    code, out, err = cli(*args)
    assert code == 3, (code, out, err)
    assert out == "", out
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for text in must_mention:
        assert text in lines[0], lines[0]


def paid_on_virtual(sandbox: SandboxHandle, amount: int) -> dict[str, Any]:
    intent = sandbox.create_intent(amount)
    assert sandbox.pay("trm_virtual", intent_id=intent["id"]).status_code == 201
    sandbox.present("trm_virtual", card="mastercard")
    paid = sandbox.get(f"/v1/payment_intents/{intent['id']}")
    assert paid["status"] == "succeeded"
    return paid


def listing(sandbox: SandboxHandle, path: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = sandbox.ok("GET", path, params={"limit": 100})["data"]
    return items


# -- --state -------------------------------------------------------------------------


def test_state_file_keeps_objects_across_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    with handle("--state", str(state)) as first:
        paid = paid_on_virtual(first, 2000)
        payment_id = paid["successful_payment_id"]
        refund = first.ok("POST", f"/v1/payments/{payment_id}/refunds", {"amount": 300})["data"]
        nicknamed = first.ok("PATCH", "/v1/terminals/trm_front", {"nickname": "Till 1"})["data"]
        first.control("POST", "terminals", {"id": "trm_extra", "nickname": "Extra"})
        checkout = first.create_checkout(1500)
        assert first.pay("trm_virtual", checkout_id=checkout["id"]).status_code == 201
        first.present("trm_virtual")
        # A sale still on the device when the sandbox stops.
        interrupted = first.create_intent(700)
        assert first.pay("trm_virtual", intent_id=interrupted["id"]).status_code == 201
        before = {
            path: listing(first, path)
            for path in ("/v1/payment_intents", "/v1/payments", "/v1/refunds", "/v1/checkouts")
        }
        payment = first.get(f"/v1/payments/{payment_id}")
    assert state.exists()

    with handle("--state", str(state)) as second:
        assert second.get(f"/v1/payment_intents/{paid['id']}") == paid
        again = second.get(f"/v1/payments/{payment_id}")
        assert again == payment
        assert again["amount_refunded"] == 300
        assert again["amount_refundable"] == 1700
        assert again["status"] == "partially_refunded"
        assert [r["id"] for r in again["refunds"]] == [refund["id"]]
        assert second.get(f"/v1/refunds/{refund['id']}") == refund
        assert second.get(f"/v1/checkouts/{checkout['id']}")["status"] == "completed"
        terminal = second.get("/v1/terminals/trm_front")
        assert terminal["nickname"] == "Till 1"
        assert terminal["updated_at"] == nicknamed["updated_at"]
        assert second.get("/v1/terminals/trm_extra")["nickname"] == "Extra"
        for path in ("/v1/payments", "/v1/refunds", "/v1/checkouts"):
            assert listing(second, path) == before[path], path
        assert [i["id"] for i in listing(second, "/v1/payment_intents")] == [
            i["id"] for i in before["/v1/payment_intents"]
        ]
        # The interrupted sale: from the API's side the device gave up.
        settled = second.get(f"/v1/payment_intents/{interrupted['id']}")
        assert settled["status"] == "requires_payment_method"
        assert settled["last_error"]["code"] == "terminal_timeout"
        assert second.pay("trm_virtual", intent_id=interrupted["id"]).status_code == 201
        # The refund still counts: no more than what is left can go back.
        over = second.call("POST", f"/v1/payments/{payment_id}/refunds", {"amount": 1701})
        assert over.status_code == 422
        assert over.json()["error"]["code"] == "refund_exceeds_amount_available"


def test_without_state_a_restart_forgets() -> None:
    with handle() as first:
        paid = paid_on_virtual(first, 1000)
        first.ok("PATCH", "/v1/terminals/trm_front", {"nickname": "Till 1"})
    with handle() as second:
        missing = second.call("GET", f"/v1/payment_intents/{paid['id']}")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
        assert listing(second, "/v1/payment_intents") == []
        assert listing(second, "/v1/payments") == []
        assert second.get("/v1/terminals/trm_front")["nickname"] == "Front counter"


def test_reset_empties_the_state_file(tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    with handle("--state", str(state)) as first:
        intent = first.create_intent(900)
        first.ok("PATCH", "/v1/terminals/trm_front", {"nickname": "Till 1"})
        first.reset()
    with handle("--state", str(state)) as second:
        assert second.call("GET", f"/v1/payment_intents/{intent['id']}").status_code == 404
        assert second.get("/v1/terminals/trm_front")["nickname"] == "Front counter"
        assert len(listing(second, "/v1/terminals")) == 5


def test_state_file_keeps_idempotency_keys(tmp_path: Path) -> None:
    state = tmp_path / "s.db"
    key = str(uuid.uuid4())
    body = {"amount": 1000, "currency": "usd", "description": "retry me"}
    with handle("--state", str(state)) as first:
        created = first.ok("POST", "/v1/payment_intents", body, key=key)["data"]
    with handle("--state", str(state)) as second:
        replay = second.ok("POST", "/v1/payment_intents", body, key=key)["data"]
        assert replay["id"] == created["id"]


# -- --scenario ------------------------------------------------------------------------

SCENARIO = """
[sandbox]
time_scale = 5

[events]
url = "http://127.0.0.1:9/hooks"
secret = "whsec_scenario"
names = ["payment.succeeded", "payment.failed"]

[[terminal]]
id = "trm_x"
nickname = "X"
behaviour = "manual"

[[terminal]]
id = "trm_y"
nickname = "Y"
behaviour = "auto"
tap_after = 1.0
connected = true
model_name = "P400"

[[terminal]]
id = "trm_z"
nickname = "Z (unplugged)"
connected = false
"""


def test_scenario_replaces_the_fleet(tmp_path: Path) -> None:
    scenario = tmp_path / "shop.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    with handle("--scenario", str(scenario)) as sandbox:
        terminals = {t["id"]: t for t in listing(sandbox, "/v1/terminals")}
        assert set(terminals) == {"trm_x", "trm_y", "trm_z"}
        assert terminals["trm_x"]["nickname"] == "X"
        assert terminals["trm_x"]["model_name"] == "e285"
        assert terminals["trm_y"]["model_name"] == "P400"
        assert terminals["trm_z"]["status"] == "disconnected"
        assert sandbox.call("GET", "/v1/terminals/trm_front").status_code == 404
        state = sandbox.control("GET", "state")
        assert state["time_scale"] == 5
        views = {t["id"]: t for t in state["terminals"]}
        assert views["trm_x"]["behaviour"] == "manual"
        assert views["trm_y"]["behaviour"] == "auto"
        assert views["trm_y"]["tap_after"] == 1.0
        publisher = sandbox.control("GET", "events")["publisher"]
        assert publisher == {
            "url": "http://127.0.0.1:9/hooks",
            "names": ["payment.succeeded", "payment.failed"],
        }

        # auto: 1 simulated second at 5x
        intent = sandbox.create_intent(1000)
        assert sandbox.pay("trm_y", intent_id=intent["id"]).status_code == 201
        done = wait_until(
            lambda: (
                (i := sandbox.get(f"/v1/payment_intents/{intent['id']}"))["status"] == "succeeded"
                and i
            ),
            timeout=5,
        )
        assert done["successful_payment_id"]

        # manual: nothing happens until a card is presented
        manual = sandbox.create_intent(1200)
        assert sandbox.pay("trm_x", intent_id=manual["id"]).status_code == 201
        assert sandbox.get(f"/v1/payment_intents/{manual['id']}")["status"] == "pending"
        sandbox.present("trm_x", card="amex")
        assert sandbox.get(f"/v1/payment_intents/{manual['id']}")["status"] == "succeeded"

        unplugged = sandbox.pay("trm_z", intent_id=sandbox.create_intent(1300)["id"])
        assert unplugged.status_code == 409
        assert unplugged.json()["error"]["code"] == "terminal_not_connected"

        # A reset brings the scenario's fleet back, not the default one.
        sandbox.reset()
        assert {t["id"] for t in listing(sandbox, "/v1/terminals")} == {"trm_x", "trm_y", "trm_z"}
        assert sandbox.control("GET", "state")["time_scale"] == 5
        assert sandbox.control("GET", "events")["publisher"]["url"] == "http://127.0.0.1:9/hooks"


BAD_SCENARIOS = {
    "syntax": "not toml [[\n",
    "unknown_key": '[[terminal]]\nid = "trm_a"\nnickname = "A"\ncolour = "red"\n',
    "behaviour": '[[terminal]]\nid = "trm_a"\nnickname = "A"\nbehaviour = "robot"\n',
    "duplicate": '[[terminal]]\nid = "trm_a"\nnickname = "A"\n'
    '[[terminal]]\nid = "trm_a"\nnickname = "B"\n',
    "prefix": '[[terminal]]\nid = "term_a"\nnickname = "A"\n',
    "tap_after": '[[terminal]]\nid = "trm_a"\nnickname = "A"\ntap_after = 91\n',
    "tap_after_text": '[[terminal]]\nid = "trm_a"\nnickname = "A"\ntap_after = "soon"\n',
    "no_nickname": '[[terminal]]\nid = "trm_a"\n',
    "empty_fleet": "terminal = []\n",
    "terminal_not_table": "terminal = [1, 2]\n",
    "events_no_secret": '[events]\nurl = "http://127.0.0.1:9/"\n',
    "time_scale_text": '[sandbox]\ntime_scale = "fast"\n',
    "sandbox_not_table": "sandbox = 5\n",
}


@pytest.mark.parametrize("case", sorted(BAD_SCENARIOS))
def test_bad_scenario_exits_3_naming_the_file(tmp_path: Path, case: str) -> None:
    path = tmp_path / f"bad_{case}.toml"
    path.write_text(BAD_SCENARIOS[case], encoding="utf-8")
    assert_refused(("--scenario", str(path)), str(path))


def test_missing_scenario_exits_3_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    assert_refused(("--scenario", str(path)), str(path))


# Scenario mistakes that currently get past load_scenario: the sandbox prints its
# URL, then dies with a traceback (exit 1) or serves with the value ignored.
BAD_SCENARIOS_SLIPPING_THROUGH = {
    "id_not_string": '[[terminal]]\nid = 5\nnickname = "A"\n',
    "model_not_string": '[[terminal]]\nid = "trm_a"\nnickname = "A"\nmodel_name = 5\n',
    "time_scale_negative": "[sandbox]\ntime_scale = -1\n",
    "time_scale_zero": "[sandbox]\ntime_scale = 0\n",
}


@pytest.mark.parametrize("case", sorted(BAD_SCENARIOS_SLIPPING_THROUGH))
def test_bad_scenario_values_exit_3(tmp_path: Path, case: str) -> None:
    path = tmp_path / f"bad_{case}.toml"
    path.write_text(BAD_SCENARIOS_SLIPPING_THROUGH[case], encoding="utf-8")
    assert_refused(("--scenario", str(path)), str(path))


# -- credentials and options ------------------------------------------------------------


def test_credentials_options_change_what_is_accepted() -> None:
    args = ("--client-id", "shop_id", "--client-secret", "shop_secret")
    with handle(*args, "--sub-account", "acc_shop") as sandbox:
        demo = sandbox.client.post(
            "/oauth/token",
            json={"client_id": "sandbox_client_id", "client_secret": "sandbox_client_secret"},
        )
        assert demo.status_code == 401
        assert demo.json()["error"]["code"] == "invalid_client"
        half = sandbox.client.post(
            "/oauth/token", json={"client_id": "shop_id", "client_secret": "sandbox_client_secret"}
        )
        assert half.status_code == 401
        good = sandbox.client.post(
            "/oauth/token", json={"client_id": "shop_id", "client_secret": "shop_secret"}
        )
        assert good.status_code == 200
        token = good.json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}

        def post_intent(sub_account: str) -> httpx.Response:
            return sandbox.client.post(
                "/v1/payment_intents",
                json={"amount": 1000, "currency": "usd"},
                headers={**auth, "Sub-Account": sub_account, "Idempotency-Key": uuid.uuid4().hex},
            )

        created = post_intent("acc_shop")
        assert created.status_code == 201, created.text
        assert created.json()["data"]["account_id"] == "acc_shop"
        refused = post_intent("acc_sandbox_demo")
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "forbidden"
        terminals = sandbox.client.get(
            "/v1/terminals", headers={**auth, "Sub-Account": "acc_shop"}
        ).json()["data"]
        assert len(terminals) == 5
        assert {t["account_id"] for t in terminals} == {"acc_shop"}


@pytest.mark.parametrize("scale", ["0", "-1", "-0.5"])
def test_time_scale_must_be_positive(scale: str) -> None:
    assert_refused((f"--time-scale={scale}",), "--time-scale")


@pytest.mark.parametrize("scale", ["nan", "inf"])
def test_time_scale_must_be_finite(scale: str) -> None:
    assert_refused((f"--time-scale={scale}",), "--time-scale")


# -- the server itself ----------------------------------------------------------------


def test_small_requests_answer_quickly(sandbox: SandboxHandle) -> None:
    sandbox.stats()  # warm the connection
    timings = []
    for _ in range(15):
        started = time.perf_counter()
        sandbox.stats()
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.02, timings
