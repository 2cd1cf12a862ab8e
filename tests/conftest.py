"""Fixtures every suite shares."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.support.sandbox import SandboxHandle, sandbox_process


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """One sandbox child process for the whole run."""
    with sandbox_process() as url:
        yield url


@pytest.fixture
def sandbox(sandbox_url: str) -> Iterator[SandboxHandle]:
    """The shared sandbox, reset to a fresh state for this test, running 20x fast."""
    handle = SandboxHandle(sandbox_url)
    handle.reset()
    handle.set_time(scale=20)
    yield handle
    handle.client.close()
