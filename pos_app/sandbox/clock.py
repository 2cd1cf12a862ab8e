"""The sandbox's clock: wall time that can run faster and jump ahead.

Simulated terminals time out after 90 s and voids close after 25 minutes;
tests and the demo need both to happen sooner. Everything in the sandbox that
reads the time reads this clock, so one `scale` speeds all of it up and
`advance()` moves all of it forward.
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime


class SandboxClock:
    """Simulated time in epoch seconds: `start + elapsed * scale + advanced`."""

    def __init__(self, scale: float = 1.0) -> None:
        _check_scale(scale)
        self._base_sim = time.time()
        self._base_mono = time.monotonic()
        self._scale = scale

    @property
    def scale(self) -> float:
        """How many simulated seconds pass per real second."""
        return self._scale

    def now(self) -> float:
        """Simulated epoch seconds."""
        return self._base_sim + (time.monotonic() - self._base_mono) * self._scale

    def set_scale(self, scale: float) -> None:
        """Change the speed from now on, keeping the current simulated time."""
        _check_scale(scale)
        self._base_sim = self.now()
        self._base_mono = time.monotonic()
        self._scale = scale

    def advance(self, seconds: float) -> None:
        """Jump ahead (never back)."""
        if not math.isfinite(seconds) or seconds < 0 or seconds > 10 * 365 * 86400:
            raise ValueError("the clock only moves forward")
        self._base_sim += seconds

    def real_seconds(self, simulated: float) -> float:
        """How long a simulated interval takes in real time."""
        return simulated / self._scale


def _check_scale(scale: float) -> None:
    if not (math.isfinite(scale) and 0 < scale <= 10_000):
        raise ValueError("time scale must be a positive number up to 10000")


def iso(epoch: float) -> str:
    """JustiFi's timestamp format: ISO 8601 in UTC with a Z."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> float:
    """Epoch seconds from an ISO 8601 timestamp (Z or offset); ValueError otherwise."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()
