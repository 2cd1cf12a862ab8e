"""Start the sandbox as a child process (demo mode, tests): never a thread.

A server thread inside the GUI process is a crash hazard (Python's garbage
collector freeing Qt objects off the GUI thread), so the demo runs the same
executable with the `sandbox` subcommand and reads its URL from the first line.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path


def sandbox_command() -> list[str]:
    """How to run `pos-app sandbox` from here, also when frozen."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "sandbox"]
    return [sys.executable, "-m", "pos_app", "sandbox"]


@dataclass
class SandboxProcess:
    """A running sandbox child process."""

    process: subprocess.Popen[str]
    url: str

    def stop(self) -> None:
        """Stop it and wait."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


def start_sandbox(
    state: Path | None = None, time_scale: float = 1.0, extra: tuple[str, ...] = ()
) -> SandboxProcess:
    """Start `pos-app sandbox --port 0`; RuntimeError when it does not come up."""
    args = [*sandbox_command(), "--port", "0", "--time-scale", f"{time_scale:g}", *extra]
    if state is not None:
        state.parent.mkdir(parents=True, exist_ok=True)
        args += ["--state", str(state)]
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    if not url.startswith("http"):
        process.kill()
        process.wait()
        raise RuntimeError("the built-in sandbox did not start")
    return SandboxProcess(process, url)
