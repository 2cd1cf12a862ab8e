"""Another process holding a journal's write lock, and a meter of the event loop's stalls.

`lock_held_elsewhere(path)` starts a Python child that takes `BEGIN IMMEDIATE`
on the file (as a CLI lane writing to the same journal would) and returns once
the child says it holds the lock; `release()` (or leaving the block) ends its
transaction. `LoopStallMeter` runs a 1 ms ticker on the running loop and keeps
the longest gap between ticks: how long the loop was held by someone's call.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
conn.close()
"""


class LockHolder:
    """A child process inside a write transaction on one SQLite file."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self._released = False

    def release(self, *, wait: bool = True) -> None:
        """End the child's transaction; with `wait`, also wait for it to exit (idempotent).

        On a running event loop pass `wait=False`: the loop must not wait on a process.
        """
        if self.process.poll() is None and not self._released:
            assert self.process.stdin is not None
            self.process.stdin.write("\n")
            self.process.stdin.flush()
            self._released = True
        if wait:
            self.process.wait(timeout=30)


@contextmanager
def lock_held_elsewhere(path: Path) -> Iterator[LockHolder]:
    """Hold `path`'s write lock in another process until `release()` or the block ends."""
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    holder = LockHolder(process)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if line.strip() != "locked":
            raise RuntimeError(f"the lock holder did not start: {line!r}")
        yield holder
    finally:
        holder.release()
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
        if process.stdin is not None:
            process.stdin.close()


class LoopStallMeter:
    """Ticks every `interval` on the running loop; `longest` is the biggest gap, in seconds.

    A gap is the time between two ticks beyond the interval asked for: while a
    call holds the loop, no tick runs. Use as an async context manager.
    """

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.longest = 0.0
        self.ticks = 0
        self._task: asyncio.Task[None] | None = None
        self._ticked = asyncio.Event()

    async def __aenter__(self) -> Self:
        self._task = asyncio.ensure_future(self._run())
        await self.wait_ticks(1)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def wait_ticks(self, count: int) -> None:
        """Return once the ticker has ticked `count` more times."""
        target = self.ticks + count
        while self.ticks < target:
            self._ticked.clear()
            await self._ticked.wait()

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(self.interval)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last - self.interval)
            last = now
            self.ticks += 1
            self._ticked.set()
