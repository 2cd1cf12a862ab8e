"""`pos-app` and its subcommands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pos_app import __version__


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand of `pos-app`."""
    parser = argparse.ArgumentParser(prog="pos-app", description=__doc__)
    parser.add_argument("--version", action="version", version=f"pos-app {__version__}")
    commands = parser.add_subparsers(dest="command")
    from pos_app.sandbox.server import build_parser as sandbox_parser

    sandbox_parser(commands.add_parser("sandbox", help="serve the local JustiFi sandbox"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `pos-app` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "sandbox":
        from pos_app.sandbox.server import run

        return run(args)
    build_parser().print_help(sys.stdout)
    return 0
