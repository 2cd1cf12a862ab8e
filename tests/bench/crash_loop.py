"""Crash loop: kill `pos-app charge` at random moments, recover, compare with the sandbox.

    .venv/bin/python -m tests.bench.crash_loop --runs 50 [--flow checkout] [--seed 7]

Prints where the kills landed (as the journal tells it), what recovery settled,
and every mismatch between the journal and the sandbox. Exit 1 on a mismatch.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.integration.cli_support import crash_loop
from tests.support.sandbox import SandboxHandle, sandbox_process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="crash_loop", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--flow", choices=("payment_intent", "checkout"), default="payment_intent")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="one line per run")
    args = parser.parse_args(argv)
    with sandbox_process() as url, tempfile.TemporaryDirectory(prefix="crash-loop-") as tmp:
        handle = SandboxHandle(url)
        handle.reset()
        handle.set_time(scale=20)
        try:
            report = crash_loop(
                handle,
                Path(tmp),
                runs=args.runs,
                flow=args.flow,
                seed=args.seed,
                log=print if args.verbose else None,
            )
        finally:
            handle.client.close()
    print("\n".join(report.lines()))
    return 1 if report.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
