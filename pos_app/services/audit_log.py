"""The audit log's port: what an entry is, how the log is queried and checked.

The log is append-only and hash-chained (`pos_app.storage.audit.SqliteAuditLog`
implements it); `ManagerService` is the one writer. Details hold plain values
and never secrets: keys that smell of one are refused before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Final, Protocol, TextIO

__all__ = [
    "AuditAction",
    "AuditBreak",
    "AuditCheck",
    "AuditEntry",
    "AuditLog",
    "AuditQuery",
    "DetailValue",
    "NewAuditEntry",
    "check_detail",
]

DetailValue = str | int | float | bool | None

# Detail keys that smell of a secret: refused, so no caller can log one by mistake.
_SECRET_WORDS: Final = frozenset(
    {"pin", "pins", "secret", "password", "passcode", "token", "cvv", "cvc", "pan"}
)
_WORD_SPLIT: Final = re.compile(r"[^a-z0-9]+")


class AuditAction(StrEnum):
    """What an audit entry records."""

    REFUND = "refund"
    VOID = "void"
    OVERRIDE = "override"
    SETTINGS_CHANGE = "settings_change"
    PIN_FAILED = "pin_failed"
    PIN_LOCKED = "pin_locked"
    PIN_SET = "pin_set"
    PIN_CHANGED = "pin_changed"
    SIGN_IN = "sign_in"
    SIGN_OUT = "sign_out"
    AUDIT_CHECK = "audit_check"
    AUDIT_EXPORT = "audit_export"


@dataclass(frozen=True)
class NewAuditEntry:
    """An entry to append; the log gives it its sequence number and hashes."""

    at: datetime  # aware
    who: str
    lane: str
    action: str
    subject: str | None
    detail: Mapping[str, DetailValue]
    outcome: str


@dataclass(frozen=True)
class AuditEntry:
    """One stored entry; `detail` is the JSON text exactly as stored and hashed."""

    seq: int
    at: datetime  # aware, UTC
    who: str
    lane: str
    action: str
    subject: str | None
    detail: str
    outcome: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditQuery:
    """Filters for viewing the log; every one optional, results newest first."""

    subject: str | None = None
    actions: tuple[str, ...] = ()
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    limit: int = 100
    offset: int = 0


class AuditBreak(StrEnum):
    """How the hash chain was found broken."""

    CONTENT_CHANGED = "content_changed"  # the entry no longer matches its own hash
    CHAIN_BROKEN = "chain_broken"  # the entry does not follow the one before it
    MISSING = "missing"  # a sequence number is skipped: entries were deleted
    TRUNCATED = "truncated"  # the newest entries were deleted
    HEAD_MISMATCH = "head_mismatch"  # the newest entry is not the one last written


@dataclass(frozen=True)
class AuditCheck:
    """The result of recomputing the chain: ok, or the first broken entry and why."""

    ok: bool
    checked: int  # entries that passed
    broken_seq: int | None = None
    reason: AuditBreak | None = None
    message: str = ""  # for logs; the window has its own sentences per reason


class AuditLog(Protocol):
    """The append-only, hash-chained audit log."""

    def append(self, entry: NewAuditEntry) -> AuditEntry:
        """Append one entry (committed when this returns)."""
        ...

    def entries(self, query: AuditQuery) -> list[AuditEntry]:
        """Entries matching the query, newest first."""
        ...

    def count(self, query: AuditQuery) -> int:
        """How many entries match the query (limit and offset ignored)."""
        ...

    def verify(self) -> AuditCheck:
        """Recompute the whole chain; report the first break."""
        ...

    def export_csv(self, target: Path | TextIO, query: AuditQuery | None = None) -> int:
        """Write the matching entries, oldest first, as CSV; returns how many."""
        ...


def check_detail(detail: Mapping[str, DetailValue]) -> dict[str, DetailValue]:
    """`detail` as a plain dict; ValueError for a key that smells of a secret, TypeError
    for a value that is not plain."""
    for key, value in detail.items():
        if _SECRET_WORDS & set(_WORD_SPLIT.split(key.lower())):
            raise ValueError(f"audit details never hold secrets; refused key {key!r}")
        if not isinstance(value, str | int | float | bool | type(None)):
            raise TypeError(f"audit detail {key!r} must be a plain value")
    return dict(detail)
