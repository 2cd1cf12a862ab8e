"""What manager-PIN tests share: a hand-moved clock and a cheap scrypt cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pos_app.domain.pin import ScryptParams

# Tests only; the production cost is PRODUCTION_SCRYPT (a test holds it to about 60 ms).
FAST_SCRYPT = ScryptParams(n=2**4, r=1, p=1)
T0 = datetime(2025, 3, 14, 14, 2, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)
