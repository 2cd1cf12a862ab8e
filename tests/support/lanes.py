"""An engine wired to the sandbox over real HTTP by the app's own wiring, with test-sized
timings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from pos_app.domain.payment_flow import PaymentState
from pos_app.services.payments import EngineSettings, PaymentRun
from pos_app.wiring import Account, Engine, open_engine
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, SUB_ACCOUNT

# The sandbox runs 20x fast in tests: its 90 s device timeout takes 4.5 s.
TEST_ENGINE = EngineSettings(
    poll_interval=0.05,
    device_timeout=4.5,
    grace=1.5,
    prepare_timeout=6.0,
    retry_pause=0.05,
    lane="test-lane",
)
TEST_HTTP = {
    "backoff_base": 0.01,
    "backoff_cap": 0.05,
    "timeout": httpx.Timeout(2.0, connect=1.0),
}


class TestLane(Engine):
    """The engine, its journal, its gateway and its HTTP client, as the app wires them."""

    __test__ = False


@asynccontextmanager
async def lane(
    url: str,
    journal_path: Path,
    flow: str = "payment_intent",
    engine: EngineSettings = TEST_ENGINE,
    secret: str = CLIENT_SECRET,
) -> AsyncIterator[TestLane]:
    """A lane against the sandbox at `url`: the app's wiring (`open_engine`) with short
    HTTP backoffs and timeouts, and single-attempt terminal lists."""
    account = Account(url, CLIENT_ID, secret, SUB_ACCOUNT)
    async with open_engine(
        account, journal_path, engine, flow=flow, list_attempts=None, http_options=TEST_HTTP
    ) as wired:
        yield TestLane(wired.service, wired.journal, wired.gateway, wired.http, wired.reports)


async def collect(run: PaymentRun) -> list[PaymentState]:
    """Every state of a run."""
    return [state async for state in run]
