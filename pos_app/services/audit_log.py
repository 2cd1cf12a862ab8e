"""The audit log's ports: what an entry is, how the log is queried and checked,
and the staff it keeps.

The log is append-only and hash-chained (`pos_app.storage.audit.SqliteAuditLog`
implements it); `ManagerService` is the one writer. Where the OS keyring can
keep a secret (`ChainKeys`), entries are keyed (HMAC-SHA256), so a chain
rewritten without the key fails `verify()`; without one, the printed head
(`AuditHead.short`) anchors it. Staff rows and the owner's recovery hash live
in the same file (`StaffStore`), and every entry that changes one commits to
the new state, so an edit made outside the app is found.

Details hold plain values and never secrets: keys that smell of one are
refused before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Final, Protocol, TextIO

__all__ = [
    "KEY_STATUS_TEXT",
    "AuditAction",
    "AuditBreak",
    "AuditCheck",
    "AuditEntry",
    "AuditHead",
    "AuditLog",
    "AuditQuery",
    "ChainKeys",
    "DetailValue",
    "KeyStatus",
    "NewAuditEntry",
    "StaffRecord",
    "StaffStore",
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
    STAFF_ADDED = "staff_added"
    STAFF_DISABLED = "staff_disabled"
    STAFF_ENABLED = "staff_enabled"
    STAFF_UNLOCKED = "staff_unlocked"
    OWNER_RECOVERED = "owner_recovered"
    RECOVERY_CODE_SET = "recovery_code_set"
    APPROVAL = "approval"  # a manager approving one action at someone else's till
    CHAIN_KEYED = "chain_keyed"  # the first entry written with the chain's key
    STAFF_MIGRATED = "staff_migrated"  # schema v1's single manager PIN became an owner
    SHIFT_OPENED = "shift_opened"  # a shift started with its float counted
    SHIFT_CLOSED = "shift_closed"  # the drawer counted at close, with over/short
    NO_SALE = "no_sale"  # the drawer opened without a sale (with the reason)
    PAID_IN = "paid_in"  # cash put into the drawer
    PAID_OUT = "paid_out"  # cash taken out of the drawer
    CASH_REFUND = "cash_refund"  # cash given back for a sale's cash part
    SALE_CANCELLED = "sale_cancelled"  # a partly paid sale given up, paid parts given back
    DISCOUNT = "discount"  # a sale rung up with a discount (and who approved it)
    STAFF_SYNCED = "staff_synced"  # a person changed on another lane of the store, taken here


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
    mac: str = "sha256"  # how it is sealed: "sha256", or "hmac-sha256" with the chain's key


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
    STATE_CHANGED = "state_changed"  # a staff row or the recovery hash differs from the chain
    NOT_KEYED = "not_keyed"  # an entry that must carry an HMAC does not, or its HMAC is wrong
    HEAD_NOT_FOUND = "head_not_found"  # a head taken earlier is not in the chain


class KeyStatus(StrEnum):
    """Whether this computer keys the chain."""

    KEYED = "keyed"  # entries are HMAC'd with a key from the OS keyring
    NO_KEYRING = "no_keyring"  # no usable keyring: plain SHA-256 chain; rely on the head
    KEY_MISSING = "key_missing"  # keyed entries exist but this computer's keyring lacks the key


#: One sentence per status, for the audit window and `pos-app audit verify`.
KEY_STATUS_TEXT: Final[dict[KeyStatus, str]] = {
    KeyStatus.KEYED: (
        "Entries are signed with a key kept in this computer's keyring: a copy rewritten"
        " without it fails the check."
    ),
    KeyStatus.NO_KEYRING: (
        "This computer has no keyring, so entries are not signed: keep the head printed on"
        " each end-of-day report and check it against the log."
    ),
    KeyStatus.KEY_MISSING: (
        "The log was signed with a key this computer's keyring does not hold (another"
        " computer, or the keyring was reset): signed entries cannot be checked here, and"
        " the printed head is the anchor."
    ),
}


@dataclass(frozen=True)
class AuditHead:
    """The newest entry's number and hash: printed on paper, it anchors the chain."""

    seq: int
    hash: str  # full 64 hex

    @property
    def short(self) -> str:
        """What reports print and `--head` accepts: "412:3f7a..." (20 hex digits)."""
        return f"{self.seq}:{self.hash[:20]}"


@dataclass(frozen=True)
class AuditCheck:
    """The result of recomputing the chain: ok, or the first broken entry and why."""

    ok: bool
    checked: int  # entries that passed
    broken_seq: int | None = None
    reason: AuditBreak | None = None
    message: str = ""  # names the entry, or the person and field
    head: AuditHead | None = None  # the chain's head as read (None for an empty log)
    key_status: KeyStatus = KeyStatus.NO_KEYRING


@dataclass(frozen=True)
class StaffRecord:
    """A row of the staff table as stored (the PIN hash never leaves storage and the
    staff service)."""

    id: int | None  # None: a new person (save_staff inserts)
    name: str
    role: str  # StaffRole value
    active: bool
    pin_hash: str  # "scrypt$..." or "scrypt+pepper$..."
    failed_tries: int
    locked_until: datetime | None  # aware
    # When the person last changed (aware): the newest change wins across a store's
    # lanes. Storage stamps every local change; a row taken from the store keeps the
    # store's stamp. Not part of equality: two records of the same state are equal.
    changed_at: datetime | None = field(default=None, compare=False)


class ChainKeys(Protocol):
    """Where a chain's secret lives (the OS keyring in the app), and which chain this
    computer keyed each audit file as (`file_id`: the log's name for the file, made
    from where the file is, never from what it holds)."""

    def available(self) -> bool:
        """Whether a usable keyring exists here."""
        ...

    def load(self, chain_id: str) -> bytes | None:
        """The chain's 32-byte secret, or None when it is not kept here."""
        ...

    def create(self, chain_id: str) -> bytes | None:
        """Make and keep a new secret for the chain; None when there is no keyring."""
        ...

    def keyed_chain(self, file_id: str) -> str | None:
        """The chain id this computer last keyed the audit file `file_id` with (see
        `remember_keyed_chain`), or None when nothing is remembered for it here."""
        ...

    def remember_keyed_chain(self, file_id: str, chain_id: str) -> bool:
        """Remember that this computer keyed the audit file `file_id` as `chain_id` (it
        replaces what was remembered); False when the keyring could not keep it."""
        ...


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

    def verify(self, head: str | None = None) -> AuditCheck:
        """Recompute the whole chain and the state it committed to; report the first
        break. `head` (an `AuditHead.short`, or a hash or prefix of 12+ hex digits) taken
        earlier must still be in the chain."""
        ...

    def head(self) -> AuditHead:
        """The newest entry (seq 0 and the genesis hash for an empty log)."""
        ...

    def key_status(self) -> KeyStatus:
        """Whether this computer keys the chain."""
        ...

    def export_csv(self, target: Path | TextIO, query: AuditQuery | None = None) -> int:
        """Write the matching entries, oldest first, as CSV; returns how many."""
        ...

    def export_json(self, target: Path | TextIO) -> int:
        """Write every entry, oldest first, with the head and key status, as JSON."""
        ...


class StaffStore(Protocol):
    """The staff table and the owner's recovery hash (`SqliteAuditLog` implements it).

    Every write appends its audit entry in the same transaction, committing to
    the state written.
    """

    def list_staff(self) -> list[StaffRecord]:
        """Everyone, ordered by name."""
        ...

    def find_staff(self, name: str) -> StaffRecord | None:
        """The person of that name (case-insensitive), or None."""
        ...

    def save_staff(
        self, expected: StaffRecord | None, new: StaffRecord, entry: NewAuditEntry
    ) -> StaffRecord | None:
        """In ONE transaction: if the stored row still equals `expected` (None: nobody of
        that name exists yet), write `new` (insert when `new.id` is None) and append
        `entry` with the row's state commitment added to its detail. The stored record,
        or None when another lane changed it meanwhile (nothing written)."""
        ...

    def load_recovery_hash(self) -> str | None:
        """The owner's recovery code hash, or None before one is set."""
        ...

    def save_recovery_hash(self, expected: str | None, new: str, entry: NewAuditEntry) -> bool:
        """Like `save_staff` for the recovery hash; False when another lane changed it."""
        ...

    def pepper(self) -> bytes | None:
        """The PIN pepper, derived from the chain key; None without a keyring."""
        ...

    def kept_pepper(self) -> bytes | None:
        """The pepper PINs set here were hashed with, even when new PINs are plain (a
        lane in a store): a PIN set before the lane joined still checks, and is then
        re-hashed plain. None without a keyring."""
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
