"""The start-up benchmarks' hook: say when the window is on screen, then close it.

Not for users. With POS_APP_EXIT_WHEN_SHOWN=1 the till prints SHOWN_MARKER once
its window is painted and closes it, so `tests/bench/bench_startup.py` and
`bench_bundle.py` can time start to interactive window from outside.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

EXIT_WHEN_SHOWN_ENV = "POS_APP_EXIT_WHEN_SHOWN"
SHOWN_MARKER = "pos-app: window shown"


def exit_when_shown(window: QWidget) -> None:
    """With POS_APP_EXIT_WHEN_SHOWN=1, once the window is shown, paint it, print
    SHOWN_MARKER and close it (the app then exits as after a normal close, stopping
    the demo's sandbox).

    `run_window` calls it right after `window.show()`.
    """
    if os.environ.get(EXIT_WHEN_SHOWN_ENV) != "1":
        return
    window.repaint()  # painted now, not at some later turn of the loop
    if sys.stdout is not None:
        sys.stdout.write(SHOWN_MARKER + "\n")
        sys.stdout.flush()
    window.close()
