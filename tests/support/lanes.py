"""An engine wired to the sandbox over real HTTP, with test-sized timings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from pos_app.domain.payment_flow import PaymentState
from pos_app.justifi.client import JustifiClient
from pos_app.justifi.gateway import JustifiGateway
from pos_app.justifi.http import JustifiHttp
from pos_app.services.payments import EngineSettings, PaymentRun, PaymentService
from pos_app.storage.journal import SqliteJournal
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


@dataclass
class TestLane:
    """The engine, its journal and its gateway."""

    __test__ = False

    service: PaymentService
    journal: SqliteJournal
    gateway: JustifiGateway
    http: JustifiHttp


@asynccontextmanager
async def lane(
    url: str,
    journal_path: Path,
    flow: str = "payment_intent",
    engine: EngineSettings = TEST_ENGINE,
    secret: str = CLIENT_SECRET,
) -> AsyncIterator[TestLane]:
    """A lane against the sandbox at `url`."""
    journal = SqliteJournal(journal_path)
    try:
        async with httpx.AsyncClient() as client:
            http = JustifiHttp(
                url,
                CLIENT_ID,
                secret,
                SUB_ACCOUNT,
                client=client,
                backoff_base=0.01,
                backoff_cap=0.05,
                timeout=httpx.Timeout(2.0, connect=1.0),
            )
            gateway = JustifiGateway(JustifiClient(http), flow)
            yield TestLane(PaymentService(gateway, journal, engine), journal, gateway, http)
    finally:
        journal.close()


async def collect(run: PaymentRun) -> list[PaymentState]:
    """Every state of a run."""
    return [state async for state in run]
