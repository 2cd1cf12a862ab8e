"""Fixtures for the GUI tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from PySide6.QtGui import QGuiApplication


@pytest.fixture(autouse=True)
def _keep_running_when_a_window_closes() -> Iterator[None]:
    # Closing the last window would quit the app, and with it the qasync loop the test
    # runs on. The app itself quits on its own `closed` signal, not on this.
    previous = QGuiApplication.quitOnLastWindowClosed()
    QGuiApplication.setQuitOnLastWindowClosed(False)
    yield
    QGuiApplication.setQuitOnLastWindowClosed(previous)


@pytest.fixture
async def loop_errors() -> AsyncIterator[list[dict[str, Any]]]:
    """What reaches the running loop's exception handler (the app's bug funnel) during the
    test, instead of the handler."""
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    seen: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))
    yield seen
    loop.set_exception_handler(previous)
