"""The `pos-app` executable's first stop: `sandbox` goes straight to the sandbox.

The demo starts its sandbox as a child process of the same executable; taking
the short way here keeps that child from loading the till's modules (the
JustiFi client, the journal, pydantic), so it is up sooner. Everything else is
`pos_app.cli`.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `pos-app` console script, `python -m pos_app` and the bundle."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["sandbox"]:
        from pos_app.sandbox.server import main as sandbox_main

        return sandbox_main(args[1:])
    if "--self-test" in args:
        from pos_app import soak

        if soak.wanted(args):  # the hidden developer soak: `--self-test --soak N`
            return soak.main(args)
    from pos_app.cli import main as cli_main

    return cli_main(args)
