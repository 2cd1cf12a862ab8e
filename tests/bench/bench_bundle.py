"""The bundle's size, and its start-to-window time against a bare window and source.

Run from the repository root after `bash packaging/build.sh`:

    .venv/bin/python -m tests.bench.bench_bundle [--runs 9] [--bundle dist/pos-app] [--json]

Size: `du` of the bundle folder (MiB). Start to window: from just before the
process is started to the moment it prints that its main window is shown,
painted and takes input (the POS_APP_EXIT_WHEN_SHOWN hook in pos_app/ui/shown.py;
the app then closes). Offscreen, in demo mode, each with its own lane folders kept
from run to run, as a till's are: its data folder exists, as on a till that has
run before (`bench_startup` also times a new lane's first start); the engine and
the sandbox child load behind the shown window (`pos_app.app`).
Frozen `dist/pos-app/pos-app`, `python -m pos_app` and the reference, a bare
PySide6 window with a large amount label and a button (`BARE_WINDOW`), take
turns; one unmeasured warm-up run each fills the disk cache; medians are
printed, with frozen / source. The bare window runs both ways too: from source
(the same Python as the source run) and frozen the way the bundle is (the
build venv's PyInstaller, one folder, its defaults; built once into
build/bare-window/). Each till is held to the bare window run the same way
(goal <= 1.3, as `bench_startup`): what PyInstaller itself adds to any program's
start (its bootloader starts twice on Linux, its standard library comes from a
zip) is on both sides. The frozen till against the bare window from source is
printed for the record.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from pos_app.ui.shown import EXIT_WHEN_SHOWN_ENV, SHOWN_MARKER

ROOT = Path(__file__).resolve().parents[2]
BUILD_VENV = ROOT / "build" / "venv"  # packaging/build.sh's, with PyInstaller
BARE_BUILD = ROOT / "build" / "bare-window"
RUN_TIMEOUT = 60.0
GOAL_MB = 150
GOAL_RATIO = 1.3  # the till against the bare window, frozen and from source
GOAL_FROZEN_RATIO = 1.2  # the bundle against the same code from source
#: The reference: what any PySide6 till must do to show a window with an amount on it:
#: fonts load on both sides, and the amount is right-aligned as an amount is, which
#: builds the Python enums of Qt's namespace (about 50 ms of CPU in PySide6 6.11) as
#: every real window's first use of `Qt` does. Sized like the till; its marker line is
#: the till's.
BARE_WINDOW = f"""
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QPushButton, QVBoxLayout, QWidget
app = QApplication([])
window = QMainWindow()
central = QWidget(window)
layout = QVBoxLayout(central)
amount = QLabel("$0.00", central)
amount.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
font = QFont(amount.font())
font.setPointSize(48)
amount.setFont(font)
layout.addWidget(amount)
layout.addWidget(QPushButton("Charge", central))
window.setCentralWidget(central)
window.resize(1180, 760)
window.show()
window.repaint()
print({SHOWN_MARKER!r}, flush=True)
"""


def frozen_bare_window() -> Path:
    """`BARE_WINDOW` frozen as the bundle is, built the first time (about 20 s)."""
    executable = BARE_BUILD / "dist" / "bare-window" / "bare-window"
    script = BARE_BUILD / "bare-window.py"
    built = executable.is_file() and script.is_file()
    if built and script.read_text(encoding="utf-8") == BARE_WINDOW:
        return executable
    BARE_BUILD.mkdir(parents=True, exist_ok=True)
    script.write_text(BARE_WINDOW, encoding="utf-8")
    print("freezing the bare window for reference (build/bare-window/)...", file=sys.stderr)
    subprocess.run(
        [
            str(BUILD_VENV / "bin" / "pyinstaller"),
            *("--noconfirm", "--log-level", "WARN", "--name", "bare-window"),
            *("--distpath", str(BARE_BUILD / "dist"), "--workpath", str(BARE_BUILD / "work")),
            *("--specpath", str(BARE_BUILD), str(script)),
        ],
        check=True,
    )
    return executable


def bundle_size_mb(bundle: Path) -> float:
    """What `du` says the folder takes, in MiB."""
    out = subprocess.run(["du", "-sk", str(bundle)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) / 1024


def time_to_window(command: list[str], home: Path) -> float:
    """Seconds from starting `command` to its window-shown line; it then exits.

    `home` holds the lane's folders (data, config, logs); its data folder is made
    first, as a lane that has run before has one (its journal is there)."""
    (home / "data").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POS_", "JUSTIFI_"))}
    env.update(
        {
            EXIT_WHEN_SHOWN_ENV: "1",
            "QT_QPA_PLATFORM": "offscreen",
            "POS_DATA_DIR": str(home / "data"),
            "POS_CONFIG_DIR": str(home / "config"),
            "POS_LOG_DIR": str(home / "logs"),
            "XDG_CONFIG_HOME": str(home / "xdg-config"),  # Qt's QSettings
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
    )
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert process.stdout is not None
        shown = None
        for line in process.stdout:  # blocks until a line comes or the process ends
            if line.strip() == SHOWN_MARKER:
                shown = time.perf_counter() - started
                break
        process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    if shown is None or process.returncode != 0:
        raise RuntimeError(f"{command[0]} exited {process.returncode} without a window")
    return shown


def take_turns(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """`runs` times to window of each command, taking turns after one unmeasured warm-up
    each (it fills the disk cache, and the lane's folders as a first start does)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    with tempfile.TemporaryDirectory(prefix="pos-app-bench-") as temp:
        homes = {name: Path(temp) / name for name in commands}
        for name, command in commands.items():
            time_to_window(command, homes[name])
        for _ in range(runs):
            for name, command in commands.items():
                times[name].append(time_to_window(command, homes[name]))
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="measured runs of each (default 9)")
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "pos-app")
    parser.add_argument("--json", action="store_true", help="also print one JSON line")
    args = parser.parse_args(argv)

    frozen = args.bundle / "pos-app"
    if not frozen.is_file():
        print(f"no bundle at {args.bundle}: run `bash packaging/build.sh` first", file=sys.stderr)
        return 2
    bare_frozen = frozen_bare_window()
    commands = {
        "frozen": [str(frozen)],
        "source": [sys.executable, "-m", "pos_app"],
        "bare": [sys.executable, "-c", BARE_WINDOW],
        "bare_frozen": [str(bare_frozen)],
    }
    times = take_turns(commands, args.runs)

    size = bundle_size_mb(args.bundle)
    median = {name: statistics.median(values) for name, values in times.items()}
    ratio = median["frozen"] / median["source"]
    to_bare = {
        "frozen": median["frozen"] / median["bare_frozen"],
        "source": median["source"] / median["bare"],
    }
    frozen_to_source_bare = median["frozen"] / median["bare"]
    shown_as = {
        "frozen": str(frozen.relative_to(ROOT)) if frozen.is_relative_to(ROOT) else str(frozen),
        "source": f"{Path(sys.executable).name} -m pos_app",
        "bare": "bare PySide6 window (amount label and button), from source",
        "bare_frozen": "the same bare window, frozen (build/bare-window/)",
    }
    print(f"bundle size: {size:.1f} MiB ({args.bundle}; goal <= {GOAL_MB})")
    print(f"start to interactive window, median of {args.runs} (offscreen, demo mode):")
    for name, values in times.items():
        print(
            f"  {name:<12}{median[name]:6.3f} s  (min {min(values):.3f}, max {max(values):.3f})"
            f"  {shown_as[name]}"
        )
    for name, value in to_bare.items():
        verdict = "within" if value <= GOAL_RATIO else "OVER"
        print(f"  {name} / bare run the same way: {value:.2f} ({verdict} the goal of {GOAL_RATIO})")
    print(f"  frozen / bare from source: {frozen_to_source_bare:.2f} (for the record)")
    print(f"  frozen / source: {ratio:.2f} (goal <= {GOAL_FROZEN_RATIO})")
    if args.json:
        print(
            json.dumps(
                {
                    "bench": "bundle",
                    "size_mib": round(size, 1),
                    "runs": args.runs,
                    "frozen_s": round(median["frozen"], 3),
                    "source_s": round(median["source"], 3),
                    "bare_s": round(median["bare"], 3),
                    "bare_frozen_s": round(median["bare_frozen"], 3),
                    "frozen_to_source_bare": round(frozen_to_source_bare, 3),
                    "ratio": round(ratio, 3),
                    "frozen_to_bare": round(to_bare["frozen"], 3),
                    "source_to_bare": round(to_bare["source"], 3),
                }
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
