"""How the journal's file stores a moment: ISO 8601 UTC text and epoch milliseconds.

The text is exact (microseconds) and orders as text; the milliseconds give
indexed range queries. A range bound uses both: the ms column for the index,
the text for the exact edge below the millisecond. Datetimes passed in must be
timezone-aware (a naive one is a bug: ValueError); those read back are aware,
in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

__all__ = ["epoch_ms", "from_iso", "iso", "utc"]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MS: Final = timedelta(milliseconds=1)


def utc(moment: datetime) -> datetime:
    """The same moment in UTC; ValueError for a naive datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"the journal needs timezone-aware datetimes, got {moment!r}")
    return moment.astimezone(UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 text in UTC, to the microsecond."""
    return utc(moment).isoformat(timespec="microseconds")


def epoch_ms(moment: datetime) -> int:
    """Whole milliseconds since 1970 (floored)."""
    return (utc(moment) - _EPOCH) // _MS


def from_iso(text: str) -> datetime:
    """A stored ISO text back as an aware UTC datetime."""
    moment = datetime.fromisoformat(text)
    # Stored text is UTC already ("+00:00" parses to UTC itself): no second object.
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)
