"""Waiting in GUI tests without a nested Qt loop (see ENVIRONMENT.md)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any


async def wait_until(
    condition: Callable[[], Any], within: float = 10.0, interval: float = 0.02
) -> Any:
    """Let the qasync loop run until `condition()` is truthy; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(interval)
