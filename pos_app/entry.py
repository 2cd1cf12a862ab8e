"""The `pos-app` executable's first stop: the window and `sandbox` take short ways.

With no arguments `pos-app` is the till's window: it goes straight to
`pos_app.app`, so the window shows before the CLI's modules (httpx, pydantic,
the JustiFi client) are imported at all. The demo starts its sandbox as a
child process of the same executable; `sandbox` goes straight to the sandbox,
which keeps that child from loading the till's modules, so it is up sooner.
`--self-test` goes to `pos_app.selftest` (or the developer's soak).
Everything else (every subcommand, `--version`, `--help`) is `pos_app.cli`,
which imports no other entry point.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `pos-app` console script, `python -m pos_app` and the bundle."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:  # what `pos_app.cli` reads as "no command": the window
        # Start-up allocates a few hundred thousand objects (modules, classes, Qt's
        # wrappers) and none of them is garbage: the collector's passes over them
        # would only delay the window (about 10 ms). run_app turns it back on once
        # the window is shown.
        gc.disable()
        try:
            from pos_app.app import run_app

            return run_app()
        finally:
            gc.enable()
    if args[:1] == ["sandbox"]:
        from pos_app.sandbox.server import main as sandbox_main

        return sandbox_main(args[1:])
    if "--self-test" in args:
        from pos_app import soak

        if soak.wanted(args):  # the hidden developer soak: `--self-test --soak N`
            return soak.main(args)
        from pos_app.selftest import run_self_test

        return run_self_test()
    from pos_app.cli import main as cli_main

    return cli_main(args)
