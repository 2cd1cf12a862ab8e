"""Fixtures for the GUI tests."""

from __future__ import annotations

from collections.abc import Iterator

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
