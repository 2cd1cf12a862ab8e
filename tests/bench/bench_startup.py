"""Start to interactive window: the till against a bare PySide6 window, in the same run.

    .venv/bin/python -m tests.bench.bench_startup [--runs 9] [--json]

Both are timed the same way (`bench_bundle.time_to_window`): from just before the
process starts to its line saying the window is shown and painted. The till
runs from source in demo mode on a lane that has run before (its data folder is
there, with the catalog's cache, `pos_app/resources/catalog_cache.py`); a new
lane's first start (the catalog parsed) is printed beside. The till says so once
its window shows the sale and takes input (the engine, the sandbox child and the
terminal list load behind it, see `pos_app.app`). The bare window is
`QApplication` + a `QMainWindow` with a large right-aligned amount label
("$0.00" at 48 pt) and a button, so fonts and Qt's enums load on both sides
(`BARE_WINDOW`, also the reference of `bench_bundle`). For the record the same
window without the alignment (which never builds Qt's enums) runs too, and the
till's ratio to it is printed beside. They take turns after one warm-up each;
medians are printed. Goal: the till at most 1.3 times the bare window.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from tests.bench.bench_bundle import BARE_WINDOW, GOAL_RATIO, take_turns, time_to_window

ALIGNMENT = "amount.setAlignment("
#: The reference without its alignment: no use of Qt's namespace, so no enums built.
NO_ENUMS_WINDOW = "\n".join(
    line for line in BARE_WINDOW.splitlines() if not line.startswith(ALIGNMENT)
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    commands = {
        "bare": [sys.executable, "-c", BARE_WINDOW],
        "no_enums": [sys.executable, "-c", NO_ENUMS_WINDOW],
        "till": [sys.executable, "-m", "pos_app"],
    }
    times = take_turns(commands, args.runs)
    bare, no_enums, till = (statistics.median(times[name]) for name in commands)
    first_starts = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="pos-app-bench-new-lane-") as temp:
            first_starts.append(time_to_window(commands["till"], Path(temp)))
    first_start = statistics.median(first_starts)
    figures = {
        "runs": args.runs,
        "bare_s": bare,
        "till_s": till,
        "ratio": till / bare,
        "no_enums_s": no_enums,
        "ratio_no_enums": till / no_enums,
        "first_start_s": first_start,
        "ratio_first_start": first_start / bare,
    }
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"start to interactive window, median of {args.runs} (offscreen):")
    print(f"  bare PySide6 window  {bare:6.2f} s")
    print(f"  the till (demo)      {till:6.2f} s")
    verdict = "within" if figures["ratio"] <= GOAL_RATIO else "OVER"
    print(f"  ratio {figures['ratio']:.2f} ({verdict} the goal of {GOAL_RATIO})")
    print(
        f"  (against the bare window without its alignment, {no_enums:.2f} s:"
        f" {figures['ratio_no_enums']:.2f})"
    )
    print(
        f"  a new lane's first start (no catalog cache yet) {first_start:.2f} s:"
        f" {figures['ratio_first_start']:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
