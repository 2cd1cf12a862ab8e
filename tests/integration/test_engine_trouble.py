"""Trouble after a send never ends a run: only JustiFi's answer or the deadline does.

Each test puts the fault proxy (tests/support/fault_proxy.py) in front of the
real sandbox to produce an answer the sandbox cannot give yet (a 401 after a
token refresh, 403, 404, an HTML 502, a malformed 200, a status nobody knows),
runs the engine over real HTTP, and asserts what a cashier would notice: the
outcome, one payment at JustiFi, no false decline, and "retrying" journaled
within 2 s of the first bad answer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pos_app.domain.payment_flow import PaymentState, StateName
from pos_app.services.payments import PaymentRun
from pos_app.storage.journal import SqliteJournal
from tests.support.fault_proxy import (
    HTML_502,
    FaultProxy,
    Rewrite,
    fault_proxy,
    json_error,
    refuse_tokens_twice,
    with_status,
)
from tests.support.lanes import TEST_ENGINE, TestLane, collect, lane
from tests.support.sandbox import SandboxHandle

MALFORMED_200 = b'{"type": "x", "data": {"id": 7}}'  # schema drift: no usable object
RETRYING_WITHIN = 2.0  # seconds from the first bad answer to "retrying" in the journal


@pytest.fixture
def proxy(sandbox: SandboxHandle) -> Iterator[FaultProxy]:
    with fault_proxy(sandbox.url) as running:
        yield running


@pytest.fixture
def lane_url(proxy: FaultProxy) -> str:
    """The lanes here reach the sandbox through the fault proxy."""
    return proxy.url


def sale_glob(flow: str) -> str:
    return "/v1/checkouts/*" if flow == "checkout" else "/v1/payment_intents/*"


def names(states: list[PaymentState]) -> list[str]:
    return [s.name.value for s in states]


def payments(sandbox: SandboxHandle) -> int:
    return int(sandbox.stats()["objects"]["payment"])


def retrying_delay(test_lane: TestLane, run: PaymentRun, since: float) -> float:
    """Seconds from `since` (time.time()) to the first journaled `retrying`."""
    entries = test_lane.journal.entries(run.operation.id)
    first = next(e for e in entries if e.status == "retrying")
    return first.at.timestamp() - since


# The bad answers, each for the Nth read of the sale after it was sent.
BAD_POLLS: dict[str, Callable[[str], Rewrite]] = {
    # two 401s in a row: the transport's one refresh-and-retry is refused too
    "401": lambda glob: Rewrite("GET", glob, 401, json_error("token_expired"), skip=1, count=2),
    "403": lambda glob: Rewrite("GET", glob, 403, json_error("forbidden"), skip=1),
    "404": lambda glob: Rewrite("GET", glob, 404, json_error("not_found"), skip=1),
    "malformed": lambda glob: Rewrite(
        "GET", glob, 200, b'{"type": "x", "data": {"id": 7}}', skip=1
    ),
    "html_502": lambda glob: Rewrite("GET", glob, 502, HTML_502, "text/html", skip=1),
    "unknown_status": lambda glob: Rewrite(
        "GET", glob, skip=1, forward=True, transform=with_status("on_hold")
    ),
}


@pytest.mark.parametrize("bad", sorted(BAD_POLLS))
async def test_one_bad_answer_on_a_poll_is_trouble_then_approved(
    sandbox: SandboxHandle, proxy: FaultProxy, test_lane: TestLane, flow: str, bad: str
) -> None:
    proxy.add(BAD_POLLS[bad](sale_glob(flow)))
    run = await test_lane.service.charge(1250, "trm_side")
    states = await collect(run)
    assert states[-1].name is StateName.APPROVED, names(states)
    assert "declined" not in names(states)
    retrying = [s for s in states if s.name is StateName.RETRYING]
    assert retrying, names(states)
    assert retrying[0].trouble
    assert "{" not in retrying[0].trouble  # a sentence, never a body
    assert retrying_delay(test_lane, run, proxy.first_hit()) <= RETRYING_WITHIN
    assert payments(sandbox) == 1


async def test_token_refused_twice_while_the_customer_is_at_the_terminal(
    sandbox: SandboxHandle, proxy: FaultProxy, test_lane: TestLane
) -> None:
    """The reported bug: token expired, the refresh slow, the next token refused too."""
    run = await test_lane.service.charge(10100, "trm_virtual")
    states: list[PaymentState] = []
    expired_at = 0.0
    async for state in run:
        states.append(state)
        if state.name is StateName.WAITING and not expired_at:
            expired_at = refuse_tokens_twice(sandbox, proxy)
        elif state.name is StateName.RETRYING:
            assert state.trouble == "JustiFi refused the access token"
        elif expired_at and state.name is StateName.WAITING:
            sandbox.present("trm_virtual")  # trouble over: the customer taps
    assert states[-1].name is StateName.APPROVED, names(states)
    assert "retrying" in names(states)
    assert retrying_delay(test_lane, run, expired_at) <= RETRYING_WITHIN
    details = [e.detail for e in test_lane.journal.entries(run.operation.id)]
    assert "JustiFi refused the access token" in details  # the reason is journaled
    assert payments(sandbox) == 1


@pytest.mark.parametrize("bad", ["403", "404"])
async def test_trouble_to_the_deadline_is_unresolved_then_check_again_settles(
    sandbox: SandboxHandle, proxy: FaultProxy, tmp_path: Path, flow: str, bad: str
) -> None:
    short = dataclasses.replace(TEST_ENGINE, device_timeout=0.6, grace=0.4)
    status = 403 if bad == "403" else 404
    async with lane(proxy.url, tmp_path / "j.sqlite3", flow, engine=short) as test_lane:
        run = await test_lane.service.charge(1000, "trm_virtual")
        proxy.add(Rewrite("GET", sale_glob(flow), status, json_error(bad), skip=1, count=10_000))
        states = await collect(run)
        assert states[-1].name is StateName.UNRESOLVED, names(states)
        assert "declined" not in names(states)
        proxy.clear()
        sandbox.present("trm_virtual")
        checked = await test_lane.service.check_again(run.operation.id)
        assert checked is not None
        assert checked.name is StateName.APPROVED
        assert payments(sandbox) == 1


async def test_a_slow_answer_shows_retrying_while_it_runs_then_waiting(
    sandbox: SandboxHandle, test_lane: TestLane, flow: str
) -> None:
    run = await test_lane.service.charge(1000, "trm_virtual")
    states: list[PaymentState] = []
    armed_at = 0.0
    async for state in run:
        states.append(state)
        if state.name is StateName.WAITING and not armed_at:
            # The next read takes 1.8 s: more than the engine's 1.5 s, less than its timeout.
            sandbox.fault("slow", sale_glob(flow), method="GET", delay=1.8)
            armed_at = time.time()
        elif state.name is StateName.WAITING and "retrying" in names(states):
            sandbox.present("trm_virtual")
    assert states[-1].name is StateName.APPROVED, names(states)
    slow = [s for s in states if s.name is StateName.RETRYING]
    assert [s.trouble for s in slow] == ["JustiFi is slow to answer"]
    assert retrying_delay(test_lane, run, armed_at) <= RETRYING_WITHIN


async def test_retry_after_is_honoured_but_never_past_the_deadline(
    sandbox: SandboxHandle, proxy: FaultProxy, tmp_path: Path
) -> None:
    proxy.add(
        Rewrite(
            "GET",
            "/v1/payment_intents/*",
            429,
            json_error("rate_limited"),
            skip=1,
            headers={"Retry-After": "1"},
        )
    )
    async with lane(proxy.url, tmp_path / "a.sqlite3") as test_lane:
        run = await test_lane.service.charge(1250, "trm_side")
        assert (await collect(run))[-1].name is StateName.APPROVED
        entries = test_lane.journal.entries(run.operation.id)
        retrying = next(e.at for e in entries if e.status == "retrying")
        after = next(e.at for e in entries if e.at > retrying and e.status != "retrying")
        assert (after - retrying).total_seconds() >= 1.0  # it waited as JustiFi asked
    short = dataclasses.replace(TEST_ENGINE, device_timeout=0.6, grace=0.4)
    proxy.add(
        Rewrite(
            "GET",
            "/v1/payment_intents/*",
            429,
            json_error("rate_limited"),
            skip=1,
            count=10_000,
            headers={"Retry-After": "3600"},
        )
    )
    async with lane(proxy.url, tmp_path / "b.sqlite3", engine=short) as test_lane:
        started = time.monotonic()
        states = await asyncio.wait_for(
            collect(await test_lane.service.charge(1250, "trm_side")), 30
        )
        assert states[-1].name is StateName.UNRESOLVED
        assert time.monotonic() - started < 10  # the deadline, not the hour JustiFi asked for
    sandbox.control("DELETE", "faults")


# -- refunds and voids: the action done, the answer lost -------------------------------------


async def approved_sale(test_lane: TestLane) -> str:
    run = await test_lane.service.charge(5000, "trm_side")
    assert (await collect(run))[-1].name is StateName.APPROVED
    op = test_lane.journal.get(run.operation.id)
    assert op is not None
    assert op.sale_id is not None
    return op.sale_id


@pytest.mark.parametrize("answer", ["503", "html_502"])
async def test_refund_to_card_whose_answer_is_lost_is_approved_once(
    sandbox: SandboxHandle, proxy: FaultProxy, test_lane: TestLane, answer: str
) -> None:
    payment = await test_lane.service.payment_details(await approved_sale(test_lane))
    body, kind = (
        (json_error("server_error"), "application/json")
        if answer == "503"
        else (HTML_502, "text/html")
    )
    status = 503 if answer == "503" else 502
    proxy.add(Rewrite("POST", "/v1/payments/*/refunds", status, body, kind, forward=True))
    run = await test_lane.service.refund_to_card(payment, 1500)
    states = await collect(run)
    assert states[-1].name is StateName.APPROVED, names(states)
    assert "retrying" in names(states)
    assert sandbox.stats()["objects"]["refund"] == 1
    refunded = sandbox.get(f"/v1/payments/{payment.payment_id}")
    assert refunded["amount_refunded"] == 1500


async def test_refund_on_the_terminal_whose_answer_is_lost_is_approved_once(
    sandbox: SandboxHandle, proxy: FaultProxy, tmp_path: Path
) -> None:
    async with lane(proxy.url, tmp_path / "j.sqlite3", "payment_intent") as test_lane:
        payment = await test_lane.service.payment_details(await approved_sale(test_lane))
        proxy.add(Rewrite("POST", "/v1/terminals/refund", 502, HTML_502, "text/html", forward=True))
        run = await test_lane.service.refund_on_terminal(payment, 2000, "trm_side")
        states = await collect(run)
        assert states[-1].name is StateName.APPROVED, names(states)
        assert "retrying" in names(states)
        assert sandbox.stats()["objects"]["refund"] == 1
        refunded = sandbox.get(f"/v1/payments/{payment.payment_id}")
        assert refunded["amount_refunded"] == 2000


async def test_void_whose_answer_is_lost_is_approved(
    sandbox: SandboxHandle, proxy: FaultProxy, test_lane: TestLane
) -> None:
    payment = await test_lane.service.payment_details(await approved_sale(test_lane))
    proxy.add(Rewrite("POST", "/v1/payments/*/void", 503, json_error("server_error"), forward=True))
    states = await collect(await test_lane.service.void(payment))
    assert states[-1].name is StateName.APPROVED, names(states)
    assert sandbox.get(f"/v1/payments/{payment.payment_id}")["status"] != "succeeded"


async def test_refund_refused_by_justifi_with_a_code_is_its_answer(
    sandbox: SandboxHandle, proxy: FaultProxy, test_lane: TestLane
) -> None:
    payment = await test_lane.service.payment_details(await approved_sale(test_lane))
    proxy.add(
        Rewrite(
            "POST", "/v1/payments/*/refunds", 422, json_error("refund_exceeds_amount_available")
        )
    )
    final = (await collect(await test_lane.service.refund_to_card(payment, 1000)))[-1]
    assert final.name is StateName.DECLINED
    assert final.decline_code == "refund_exceeds_amount_available"
    assert sandbox.stats()["objects"]["refund"] == 0


# -- the stream contract ----------------------------------------------------------------------


async def test_the_run_is_journaled_before_iterating_and_cancel_wakes_the_engine(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    # Polls 30 s apart: a cancel request must not wait that out.
    test_lane.service.settings = dataclasses.replace(TEST_ENGINE, poll_interval=30.0)
    cancel = asyncio.Event()
    run = await test_lane.service.charge(1000, "trm_virtual", cancel=cancel)
    assert run.state.name is StateName.PREPARING
    journaled = test_lane.journal.get(run.operation.id)
    assert journaled is not None
    assert journaled.status == "preparing"
    states: list[PaymentState] = []
    asked_at = woke_after = 0.0
    async for state in run:
        states.append(state)
        assert run.state == state
        if state.name is StateName.WAITING:
            # The cashier presses Cancel while the engine is in its 30 s pause.
            asyncio.get_running_loop().call_later(0.2, cancel.set)
            asked_at = time.monotonic() + 0.2
        elif state.name is StateName.CANCEL_REQUESTED:
            woke_after = time.monotonic() - asked_at
            break
    await run.states.aclose()  # type: ignore[attr-defined]
    assert 0 < woke_after < 1.0
    statuses = [e.status for e in test_lane.journal.entries(run.operation.id)]
    assert statuses == names(states) == ["preparing", "sending", "waiting", "cancel_requested"]


async def test_credentials_refused_before_sending_end_cancelled_without_raising(
    sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with lane(sandbox.url, tmp_path / "j.sqlite3", secret="wrong") as test_lane:
        states = await collect(await test_lane.service.charge(1000, "trm_side"))
    assert states[-1].name is StateName.CANCELLED
    assert states[-1].decline_code == "authentication_failed"
    assert sandbox.stats()["objects"]["payment_intent"] == 0


async def test_a_bug_in_a_poll_is_trouble_then_the_answer(
    sandbox: SandboxHandle, test_lane: TestLane, caplog: pytest.LogCaptureFixture
) -> None:
    real = test_lane.gateway.sale_outcome
    calls = 0

    async def broken_once(ref):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            raise KeyError("a bug in the client")
        return await real(ref)

    test_lane.gateway.sale_outcome = broken_once  # type: ignore[method-assign]
    states = await collect(await test_lane.service.charge(1000, "trm_side"))
    assert states[-1].name is StateName.APPROVED
    assert "retrying" in names(states)
    assert sum("unexpected error" in r.getMessage() for r in caplog.records) == 1


async def test_a_bug_that_breaks_the_steps_after_sending_is_settled_by_polling(
    sandbox: SandboxHandle, test_lane: TestLane, caplog: pytest.LogCaptureFixture
) -> None:
    # An answer the engine cannot read breaks its steps (not a request failing):
    # the run polls JustiFi as recovery would and still ends on its answer.
    real = test_lane.gateway.sale_outcome
    calls = 0

    async def garbled_once(ref):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return "not an observation" if calls == 1 else await real(ref)

    test_lane.gateway.sale_outcome = garbled_once  # type: ignore[method-assign]
    run = await test_lane.service.charge(1000, "trm_side")
    states = await collect(run)
    assert states[-1].name is StateName.APPROVED, names(states)
    assert any(s.trouble == "an unexpected error in this till (logged)" for s in states)
    assert calls >= 2
    assert sum("unexpected error" in r.getMessage() for r in caplog.records) == 1
    saved = test_lane.journal.get(run.operation.id)
    assert saved is not None
    assert saved.status == "approved"


async def test_a_bug_before_sending_ends_cancelled(
    sandbox: SandboxHandle, test_lane: TestLane
) -> None:
    async def broken(*args: object) -> str:
        raise ZeroDivisionError

    test_lane.gateway.create_sale = broken  # type: ignore[method-assign,assignment]
    states = await collect(await test_lane.service.charge(1000, "trm_side"))
    assert states[-1].name is StateName.CANCELLED
    assert sandbox.control("GET", "sessions") == []


# -- recovery while JustiFi cannot be reached --------------------------------------------------


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


async def test_recover_while_unreachable_marks_unresolved_then_settles(
    sandbox: SandboxHandle, tmp_path: Path, flow: str
) -> None:
    journal_file = tmp_path / "journal.sqlite3"
    async with lane(sandbox.url, journal_file, flow) as test_lane:
        run = await test_lane.service.charge(1000, "trm_virtual")
        async for state in run:
            if state.name is StateName.WAITING:
                break  # the lane stops while the customer is at the terminal
        await run.states.aclose()  # type: ignore[attr-defined]
    async with lane(closed_port_url(), journal_file, flow) as offline:
        [settled] = await offline.service.recover()
        assert settled.status == "unresolved"
    with SqliteJournal(journal_file) as journal:
        op = journal.get(run.operation.id)
        assert op is not None
        assert op.status == "unresolved"
        assert [o.id for o in journal.unfinished()] == [run.operation.id]
    sandbox.present("trm_virtual")
    async with lane(sandbox.url, journal_file, flow) as back:
        [settled] = await back.service.recover()
        assert settled.status == "approved"
        assert back.journal.unfinished() == []
    assert payments(sandbox) == 1
