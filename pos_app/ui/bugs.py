"""The window's one bug funnel: every unexpected exception is logged and apologised for.

A bug is anything that is not an outcome and not a `UserFacingError` a widget
presented: an exception in a callback of the loop, in a `TaskSlot` task (the
slot hands it to the loop's exception handler), or in a Qt slot (PySide6 hands
those to `sys.excepthook`). The funnel logs it with its traceback and asks the
window to show the cashier a short apology with the log's path.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any, Protocol

__all__ = ["BugWindow", "install_bug_funnel"]

log = logging.getLogger("pos_app.ui.bugs")


class BugWindow(Protocol):
    """What the funnel needs from the window: a way to apologise."""

    def show_bug(self) -> None:
        """Tell the person that something went wrong (the details are in the log)."""


def install_bug_funnel(window: BugWindow) -> Callable[[], None]:
    """Send the running loop's unhandled errors and `sys.excepthook` to `window.show_bug()`.

    Call it on the running loop once the window exists. Returns a function that
    puts the previous handlers back (for tests; the app keeps the funnel to the end).
    """
    loop = asyncio.get_running_loop()
    previous_handler = loop.get_exception_handler()
    previous_hook = sys.excepthook

    def on_loop_error(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        log.error(
            "unhandled error: %s",
            context.get("message"),
            exc_info=error if isinstance(error, BaseException) else None,
        )
        window.show_bug()

    def on_exception(
        kind: type[BaseException], value: BaseException, tb: TracebackType | None
    ) -> None:
        log.error("unhandled exception", exc_info=(kind, value, tb))
        window.show_bug()

    loop.set_exception_handler(on_loop_error)
    sys.excepthook = on_exception

    def uninstall() -> None:
        loop.set_exception_handler(previous_handler)
        sys.excepthook = previous_hook

    return uninstall
