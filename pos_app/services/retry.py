"""The engine's one retry policy: every request, every step, the same rule.

Each attempt is one request (the transport does not retry). A failure that is
not JustiFi's answer is trouble: journaled and shown as `retrying` with a plain
reason at once, then retried after a pause that starts at the poll interval and
grows to a cap (or JustiFi's Retry-After), never past the step's deadline. A
request unanswered for `slow_after` shows as trouble while it runs, and a
cancel request wakes every wait at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pos_app.domain.payment_flow import CancelRequested, TransportRecovered, TransportTrouble
from pos_app.services.payment_run import (
    INTERNAL_TROUBLE,
    SLOW_ANSWER,
    Run,
    StepResult,
    Steps,
)
from pos_app.services.ports import GatewayError

T = TypeVar("T")


async def attempts(
    run: Run,
    call: Callable[[], Awaitable[T]],
    result: StepResult[T],
    *,
    give_up: float,
    is_answer: Callable[[Exception], bool] = lambda exc: False,
) -> Steps:
    """The one retry policy: call until an answer, every failure shown as trouble.

    Each attempt is one request (the transport does not retry). A failure that
    `is_answer` does not claim is trouble: journaled and shown as `retrying`
    with its reason at once, then retried after a pause that starts at the
    poll interval and grows to a cap (or JustiFi's Retry-After), never past
    `give_up`. A request unanswered for `slow_after` shows as trouble while it
    runs. Success sets `result.value` and clears the trouble; an answer sets
    `result.answer`; past `give_up` both stay None.
    """
    failures = 0
    while True:
        outcome: StepResult[T] = StepResult()
        async for event in attempt(run, call, outcome):
            yield event
        if outcome.answer is None:
            result.value = outcome.value
            yield TransportRecovered()
            return
        exc = outcome.answer
        if is_answer(exc):
            result.answer = exc
            return
        if not isinstance(exc, GatewayError):
            run.note_bug(exc)
        failures += 1
        yield TransportTrouble(trouble_reason(exc))
        left = give_up - run.engine.monotonic()
        if left <= 0:
            return
        wait = run.engine.settings.pause_after(failures)
        retry_after = getattr(exc, "retry_after", None)
        if isinstance(retry_after, int | float) and retry_after > wait:
            wait = float(retry_after)
        async for event in pause(run, min(wait, left)):
            yield event


async def attempt(run: Run, call: Callable[[], Awaitable[T]], outcome: StepResult[T]) -> Steps:
    """One request; meanwhile a cancel request or a slow answer is shown at once.

    Sets `outcome.value`, or `outcome.answer` to the exception it raised.
    """
    task: asyncio.Future[T] = asyncio.ensure_future(call())
    waiter: asyncio.Future[Any] | None = None
    slow_shown = False
    try:
        while not task.done():
            if run.cancel_wanted():
                yield CancelRequested()
            waiting: set[asyncio.Future[Any]] = {task}
            if run.cancel is not None and not run.cancel.is_set():
                if waiter is None:
                    waiter = asyncio.ensure_future(run.cancel.wait())
                waiting.add(waiter)
            timeout = None if slow_shown else run.engine.settings.slow_after
            done, _ = await asyncio.wait(
                waiting, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if not done and not slow_shown:
                slow_shown = True
                yield TransportTrouble(SLOW_ANSWER)
    finally:
        if waiter is not None:
            waiter.cancel()
        if not task.done():
            task.cancel()
    try:
        outcome.value = task.result()
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # noqa: BLE001 - the caller sorts answers from trouble
        outcome.answer = exc


async def pause(run: Run, seconds: float) -> Steps:
    """Wait, but wake at once for a cancel request (and yield it)."""
    if run.cancel_wanted():
        yield CancelRequested()
    if run.cancel is None or run.state.cancel_requested:
        await run.engine.sleep(seconds)
        return
    sleeper = asyncio.ensure_future(run.engine.sleep(seconds))
    waiter = asyncio.ensure_future(run.cancel.wait())
    try:
        await asyncio.wait({sleeper, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        waiter.cancel()
    if run.cancel_wanted():
        yield CancelRequested()


def trouble_reason(exc: BaseException) -> str:
    """The plain reason for a "retrying" line: the gateway's, or ours for a bug."""
    if isinstance(exc, GatewayError):
        return exc.reason.strip()[:200] or "JustiFi could not be reached"
    return INTERNAL_TROUBLE
