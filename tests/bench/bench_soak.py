"""A till that runs all day: 2,000 sales through the real window, or an hour left alone.

The driver is `pos_app.soak`, so the same soak runs from source (this script) and
in the frozen bundle (`dist/pos-app/pos-app-console --self-test --soak 2000`):
the app's own wiring, the sandbox as a child process, buttons clicked by object
name. Prints a row of figures every 100 sales (or every 5 minutes idle) and
PASS/FAIL against `pos_app.soak.GOALS` at the end; exit 1 on FAIL.

    .venv/bin/python -m tests.bench.bench_soak [--sales 2000] [--every 100] [--json PATH]
    .venv/bin/python -m tests.bench.bench_soak --idle [SECONDS]   # default 3600
    .venv/bin/python -m tests.bench.bench_soak --bundle dist/pos-app ...   # the frozen one
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from pos_app import soak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=2000)
    parser.add_argument(
        "--idle", type=float, nargs="?", const=3600.0, metavar="SECONDS", help="leave it alone"
    )
    parser.add_argument("--every", type=float, help="a row every N sales (100) or seconds (300)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="append one JSON line")
    parser.add_argument("--bundle", type=Path, help="run this bundle's pos-app-console instead")
    args = parser.parse_args(argv)
    if args.bundle is not None:
        return subprocess.call([str(args.bundle / "pos-app-console"), *_soak_args(args)])
    if args.idle is not None:
        return soak.run(idle_seconds=args.idle, every=args.every, json_path=args.json)
    return soak.run(sales=args.sales, every=args.every, json_path=args.json)


def _soak_args(args: argparse.Namespace) -> list[str]:
    """The bundle's hidden options for the same run."""
    command = ["--self-test"]
    if args.idle is not None:
        command += ["--soak-idle", f"{args.idle:g}"]
    else:
        command += ["--soak", str(args.sales)]
    if args.every is not None:
        command += ["--every", f"{args.every:g}"]
    if args.json is not None:
        command += ["--json", str(args.json.resolve())]
    return command


if __name__ == "__main__":
    sys.exit(main())
