"""How the cashier window behaves on the main thread: stalls during charges, and memory.

Starts a sandbox child process and the real window on one qasync loop with the
production engine settings (polling once a second), offscreen. A 10 ms
heartbeat timer runs the whole time; the longest gap between two beats, less
the 10 ms, is the longest the main thread was busy (a stall the cashier would
feel). Then it rings up charges through the window on the terminal whose
simulated customer taps by itself, and reports the stall while charging and
the resident memory of the idle window (this process; the sandbox child is
reported separately, and is absent with real JustiFi credentials).

Start-up time against a bare PySide6 window is measured by `bench_startup`.

    .venv/bin/python -m tests.bench.bench_gui [--charges 10] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QPushButton

from pos_app.services.payments import EngineSettings
from pos_app.ui.main_window import MainWindow
from tests.support.gui import wait_until
from tests.support.lanes import lane
from tests.support.sandbox import SandboxHandle, sandbox_process
from tests.support.window import CATALOG

HEARTBEAT_MS = 10


class Heartbeat:
    """A precise 10 ms timer that remembers the longest gap between beats."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._beat)
        self.gaps: list[float] = []
        self._last: float | None = None

    def start(self) -> None:
        self.gaps.clear()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _beat(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            self.gaps.append(now - self._last)
        self._last = now

    def longest_stall_ms(self) -> float:
        return max(0.0, max(self.gaps, default=0.0) * 1000 - HEARTBEAT_MS)


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def measure(url: str, charges: int) -> dict[str, float]:
    beat = Heartbeat()
    with tempfile.TemporaryDirectory() as tmp:
        async with lane(url, Path(tmp) / "journal.sqlite3", engine=EngineSettings()) as test_lane:
            window = MainWindow(
                test_lane.service,
                environment="DEMO",
                lane="bench",
                catalog=CATALOG,
                remembered_terminal="trm_front",
            )
            beat.start()
            window.show()
            await window.start()
            await wait_until(window.picker.current)
            await asyncio.sleep(2.0)  # settle, then measure the idle window
            idle_rss = rss_mb()
            idle_stall = beat.longest_stall_ms()

            beat.start()
            durations: list[float] = []
            for number in range(charges):
                window.cart_model.add_amount(1000 + number)
                await wait_until(window.charge_button.isEnabled, within=20)
                started = time.perf_counter()
                window.charge()
                await wait_until(
                    lambda: (
                        window.flow.dialog is not None
                        and window.flow.dialog.property("state") == "approved"
                    ),
                    within=30,
                )
                durations.append(time.perf_counter() - started)
                dialog = window.flow.dialog
                assert dialog is not None
                new_sale = dialog.findChild(QPushButton, "newSaleButton")
                assert new_sale is not None
                new_sale.click()
                task = window.flow.slot.task
                if task is not None:
                    await task
            charge_stall = beat.longest_stall_ms()
            gaps_ms = sorted(gap * 1000 for gap in beat.gaps)
            beat.stop()
            window.picker.stop()
            window.close()
    return {
        "charges": charges,
        "charge_s_median": statistics.median(durations),
        "stall_ms_while_charging": charge_stall,
        "heartbeat_p99_ms": gaps_ms[int(0.99 * (len(gaps_ms) - 1))],
        "stall_ms_idle": idle_stall,
        "idle_rss_mb": idle_rss,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charges", type=int, default=10)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    QApplication.setQuitOnLastWindowClosed(False)
    with (
        sandbox_process("--time-scale", "5") as url,
        asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
    ):
        SandboxHandle(url).reset()
        figures = runner.run(measure(url, args.charges))
        figures["sandbox_rss_mb"] = sandbox_rss_mb()
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"charges through the window: {figures['charges']}")
    print(f"  median Charge-to-approved: {figures['charge_s_median']:.2f} s")
    print(
        f"  longest main-thread stall while charging: {figures['stall_ms_while_charging']:.1f} ms"
    )
    print(f"  heartbeat gap p99: {figures['heartbeat_p99_ms']:.1f} ms (timer {HEARTBEAT_MS} ms)")
    print(f"idle window: longest stall {figures['stall_ms_idle']:.1f} ms during start-up + 2 s")
    print(f"idle resident memory: {figures['idle_rss_mb']:.0f} MB (window process)")
    print(f"sandbox child (demo mode only): {figures['sandbox_rss_mb']:.0f} MB")
    return 0


def sandbox_rss_mb() -> float:
    """The resident memory of this process's sandbox child."""
    for proc in Path("/proc").iterdir():
        try:
            parent = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (proc / "cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if parent == os.getpid() and b"sandbox" in command:
            return rss_mb(proc.name)
    return float("nan")


if __name__ == "__main__":
    sys.exit(main())
