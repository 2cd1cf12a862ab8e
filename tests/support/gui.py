"""Waiting in GUI tests without a nested Qt loop (see ENVIRONMENT.md)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QApplication, QWidget


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


def find(name: str) -> Any:
    """A visible top-level widget (or one of its children) by object name."""
    for top in QApplication.topLevelWidgets():
        if top.isVisible() and top.objectName() == name:
            return top
        child = top.findChild(QWidget, name)
        if child is not None and child.isVisible():
            return child
    return None
