"""Fixtures the engine's integration tests share: both flows, and a lane on the sandbox."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pos_app.justifi.flows import FLOW_NAMES
from tests.support.lanes import TestLane, lane
from tests.support.sandbox import SandboxHandle


@pytest.fixture(params=FLOW_NAMES)
def flow(request: pytest.FixtureRequest) -> str:
    """Each JustiFi flow in turn (the settings value)."""
    return str(request.param)


@pytest.fixture
def lane_url(sandbox: SandboxHandle) -> str:
    """Where the lane finds JustiFi: the sandbox itself (a module may put a proxy between)."""
    return sandbox.url


@pytest.fixture
async def test_lane(lane_url: str, tmp_path: Path, flow: str) -> AsyncIterator[TestLane]:
    """A lane with its own journal, on `flow`, talking to `lane_url`."""
    async with lane(lane_url, tmp_path / "journal.sqlite3", flow) as built:
        yield built
