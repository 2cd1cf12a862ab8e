"""The audit chain's arithmetic: entry hashes and MACs, state commitments, and the walk
that checks a chain from its first entry.

Rules worth knowing:

- An entry's `mac` says how it is sealed. `sha256`: the SHA-256 of its fields and
  the previous entry's seal (schema v1's `entry_hash`, unchanged, so old entries
  keep their hashes). `hmac-sha256`: an HMAC-SHA256 of the same fields (tagged
  `pos-audit-v2-hmac`) with a key derived from the chain's secret in the OS keyring.
- The first keyed entry is a CHAIN_KEYED entry naming its `chain_id` (the
  keyring's user for the secret). From it on, every entry must be keyed: an
  unkeyed one after it is a downgrade, and a CHAIN_KEYED entry written unkeyed
  is one too. A later CHAIN_KEYED (the keyring lost the key, a new one was made)
  starts a new segment with its own key.
- An entry that changes a staff row or the recovery hash carries the new state
  in its detail (`state.*` keys; the PIN hash only as a digest). The last such
  entry per person is what the stored row must still equal.
- Without the key nobody can write a keyed entry; without a keyring, the chain
  is plain SHA-256 and only a head kept elsewhere (printed) shows a rewrite.
- The keyring also remembers which chain this computer keyed each audit file as
  (named by `file_id`, a hash of its path): a file naming another chain is
  `replaced_break`, unless a CHAIN_KEYED entry signed with a key this keyring
  holds says the new chain replaces the remembered one (a re-keying made here).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from pos_app.domain.errors import InvalidInputError
from pos_app.services.audit_log import AuditAction, AuditBreak, DetailValue

__all__ = [
    "GENESIS_HASH",
    "MAC_HMAC",
    "MAC_SHA256",
    "ChainWalk",
    "Commitment",
    "HeadRef",
    "StaffState",
    "chain_id_of",
    "derive_mac_key",
    "derive_pepper",
    "entry_hash",
    "entry_mac",
    "file_id",
    "head_not_found",
    "is_chain_id",
    "parse_head",
    "recovery_commitment",
    "recovery_problem",
    "replaced_break",
    "staff_commitment",
    "state_break",
    "state_problem",
]

GENESIS_HASH: Final = "0" * 64
MAC_SHA256: Final = "sha256"
MAC_HMAC: Final = "hmac-sha256"
_HASH_VERSION: Final = "pos-audit-v1"
_HMAC_VERSION: Final = "pos-audit-v2-hmac"
_MAC_KEY_LABEL: Final = b"pos-app audit entry mac v1"
_PEPPER_LABEL: Final = b"pos-app pin pepper v1"
_PIN_DIGEST_LABEL: Final = b"pos-app staff pin hash\x00"
_RECOVERY_DIGEST_LABEL: Final = b"pos-app recovery hash\x00"
_FILE_ID_LABEL: Final = b"pos-app audit file\x00"
MIN_HEAD_HEX: Final = 12
_HEAD_PATTERN: Final = re.compile(r"^(?:(\d+):)?([0-9a-f]+)$")
_CHAIN_ID_PATTERN: Final = re.compile(r"^[0-9a-f]{16,64}\Z")
_SHOWN_MAX: Final = 40

# Detail keys of a state commitment (never a secret: the PIN hash only as a digest).
STATE_STAFF: Final = "state.staff"
STATE_NAME: Final = "state.name"
STATE_ROLE: Final = "state.role"
STATE_ACTIVE: Final = "state.active"
STATE_HASH: Final = "state.hash_digest"
STATE_TRIES: Final = "state.failed_tries"
STATE_UNTIL: Final = "state.locked_until"
STATE_RECOVERY: Final = "state.recovery_digest"

Row = tuple[Any, ...]  # seq, at, who, lane, action, subject, detail, outcome, prev, hash, mac
Break = tuple[int | None, AuditBreak, str]  # where (an entry number, if one), why, a sentence


def derive_mac_key(secret: bytes) -> bytes:
    """The key that seals entries, derived from the chain's keyring secret."""
    return hmac.new(secret, _MAC_KEY_LABEL, hashlib.sha256).digest()


def derive_pepper(secret: bytes) -> bytes:
    """The PIN pepper, derived from the same secret (a different label)."""
    return hmac.new(secret, _PEPPER_LABEL, hashlib.sha256).digest()


def _canonical(version: str, fields: tuple[Any, ...]) -> bytes:
    return json.dumps([version, *fields], ensure_ascii=True, separators=(",", ":")).encode()


def entry_hash(
    seq: int,
    at: str,
    who: str,
    lane: str,
    action: str,
    subject: str | None,
    detail: str,
    outcome: str,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of an entry's stored fields and the previous entry's seal.

    The encoding is a JSON array (ASCII only, no spaces): unambiguous whatever
    the fields contain, and easy to recompute from an export in any language.
    """
    fields = (seq, at, who, lane, action, subject, detail, outcome, prev_hash)
    return hashlib.sha256(_canonical(_HASH_VERSION, fields)).hexdigest()


def entry_mac(
    mac_key: bytes,
    seq: int,
    at: str,
    who: str,
    lane: str,
    action: str,
    subject: str | None,
    detail: str,
    outcome: str,
    prev_hash: str,
) -> str:
    """HMAC-SHA256 (hex) of the same fields as `entry_hash`, with the chain's key."""
    fields = (seq, at, who, lane, action, subject, detail, outcome, prev_hash)
    return hmac.new(mac_key, _canonical(_HMAC_VERSION, fields), hashlib.sha256).hexdigest()


# -- state commitments ----------------------------------------------------------------


@dataclass(frozen=True)
class StaffState:
    """A staff row as the chain commits to it (`locked_until` as stored text)."""

    id: int
    name: str
    role: str
    active: bool
    pin_hash: str
    failed_tries: int
    locked_until: str | None


def _digest(label: bytes, value: str) -> str:
    return hashlib.sha256(label + value.encode()).hexdigest()


def staff_commitment(state: StaffState) -> dict[str, DetailValue]:
    """The detail keys that commit an entry to a staff row."""
    return {
        STATE_STAFF: state.id,
        STATE_NAME: state.name,
        STATE_ROLE: state.role,
        STATE_ACTIVE: state.active,
        STATE_HASH: _digest(_PIN_DIGEST_LABEL, state.pin_hash),
        STATE_TRIES: state.failed_tries,
        STATE_UNTIL: state.locked_until,
    }


def recovery_commitment(recovery_hash: str | None) -> dict[str, DetailValue]:
    """The detail key that commits an entry to the owner's recovery hash."""
    digest = None if recovery_hash is None else _digest(_RECOVERY_DIGEST_LABEL, recovery_hash)
    return {STATE_RECOVERY: digest}


@dataclass(frozen=True)
class Commitment:
    """The last entry that committed to a piece of state, and what it said."""

    seq: int
    values: Mapping[str, Any]


def state_problem(committed: Commitment | None, row: StaffState | None) -> str | None:
    """What differs between a person's last commitment and their stored row, as a
    sentence naming the person and the field; None when they agree."""
    if committed is None:
        assert row is not None
        return f"{row.name} was added outside the app: no entry of the log records them"
    name = str(committed.values.get(STATE_NAME))
    if row is None:
        return f"{name} was removed outside the app"
    values = committed.values
    if row.name != name:
        return f"the name of {name} was changed outside the app (now {row.name})"
    if _digest(_PIN_DIGEST_LABEL, row.pin_hash) != values.get(STATE_HASH):
        return f"the PIN hash of {name} was changed outside the app"
    if row.role != values.get(STATE_ROLE):
        return f"the role of {name} was changed outside the app"
    if row.active != values.get(STATE_ACTIVE):
        return f"whether {name} may sign in was changed outside the app"
    tries, until = values.get(STATE_TRIES), values.get(STATE_UNTIL)
    if row.failed_tries != tries or row.locked_until != until:
        lowered = isinstance(tries, int) and row.failed_tries < tries
        if lowered or (until is not None and (row.locked_until or "") < str(until)):
            return f"the lockout of {name} was reset outside the app"
        return f"the lockout of {name} was changed outside the app"
    return None


def recovery_problem(committed: Commitment | None, stored: str | None) -> str | None:
    """What differs between the recovery hash and its last commitment, or None."""
    expected = None if committed is None else committed.values.get(STATE_RECOVERY)
    actual = None if stored is None else _digest(_RECOVERY_DIGEST_LABEL, stored)
    if expected == actual:
        return None
    if actual is None:
        return "the owner's recovery code was removed outside the app"
    return "the owner's recovery code was changed outside the app"


def state_break(walk: ChainWalk, rows: list[StaffState], recovery_hash: str | None) -> Break | None:
    """The first stored state that differs from the chain's last commitment to it: the
    committing entry's number (None for a row nothing committed to), why, and a sentence."""
    by_id = {row.id: row for row in rows}
    for staff_id in sorted(set(by_id) | set(walk.staff)):
        committed = walk.staff.get(staff_id)
        problem = state_problem(committed, by_id.get(staff_id))
        if problem is not None:
            where = None if committed is None else committed.seq
            return where, AuditBreak.STATE_CHANGED, problem
    problem = recovery_problem(walk.recovery, recovery_hash)
    if problem is not None:
        where = None if walk.recovery is None else walk.recovery.seq
        return where, AuditBreak.STATE_CHANGED, problem
    return None


# -- heads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadRef:
    """A head as a person typed it: an optional entry number and a hash prefix."""

    seq: int | None
    prefix: str

    def describe(self) -> str:
        return f"{self.seq}:{self.prefix}" if self.seq is not None else self.prefix


def parse_head(text: str) -> HeadRef:
    """`412:3f7a...` or a hash (prefix) of at least 12 hex digits; InvalidInputError (a
    ValueError) otherwise, saying what a head looks like."""
    match = _HEAD_PATTERN.match(text.strip().lower())
    if match is None or len(match.group(2)) < MIN_HEAD_HEX or len(match.group(2)) > 64:
        raise InvalidInputError(
            f"a head is the entry number and hash printed on a report (like 412:3f7a9c0b1d2e),"
            f" or at least {MIN_HEAD_HEX} hex digits of the hash"
        )
    seq = match.group(1)
    return HeadRef(seq=None if seq is None else int(seq), prefix=match.group(2))


def head_not_found(given: str, seq: int | None, found: bool | int | None, last: int) -> Break:
    """Where the chain no longer leads to a head taken earlier: `found` is None when no
    entry has that number (or hash), else the number of the entry now there."""
    if seq is not None and found is None:
        return (
            seq,
            AuditBreak.HEAD_NOT_FOUND,
            f"the head {given} is not in the log: it ends at entry {last}, so entry {seq}"
            " and later ones were deleted",
        )
    if seq is not None:
        return (
            seq,
            AuditBreak.HEAD_NOT_FOUND,
            f"the head {given} is not in the log: entry {seq} is no longer the entry that was"
            f" printed, so the log was rewritten at or before entry {seq}",
        )
    return (
        None,
        AuditBreak.HEAD_NOT_FOUND,
        f"the head {given} is not in the log: no entry has that hash, so the log was"
        " rewritten or cut back since it was taken",
    )


# -- the walk --------------------------------------------------------------------------


@dataclass
class ChainWalk:
    """Checks entries in order (`feed`), remembering the last commitments on the way.

    `key_for(chain_id)` is the chain secret kept for that id, or None (asked once per id).
    """

    key_for: Callable[[str], bytes | None]
    checked: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    broken: Break | None = None
    keyed_at: int | None = None  # the seq of the CHAIN_KEYED entry in force
    keyed_ids: set[str] = field(default_factory=set)
    unchecked: int = 0  # keyed entries whose key is not kept here
    staff: dict[int, Commitment] = field(default_factory=dict)
    recovery: Commitment | None = None
    _mac_key: bytes | None = None
    _keys: dict[str, bytes | None] = field(default_factory=dict)

    def feed(self, row: Row) -> bool:
        """Check one entry; False (and `broken` set) at the first break."""
        seq, action, detail, prev_hash, sealed, mac = row[0], row[4], row[6], *row[8:11]
        expected = self.checked + 1
        if seq != expected:
            return self._break(expected, AuditBreak.MISSING, f"entry {expected} is missing")
        if prev_hash != self.last_hash:
            return self._break(seq, AuditBreak.CHAIN_BROKEN, "")
        if mac == MAC_HMAC:
            if action == AuditAction.CHAIN_KEYED:
                self._start_segment(seq, detail)
            elif self.keyed_at is None:
                return self._break(
                    seq, AuditBreak.NOT_KEYED, "is signed but no entry keyed the log"
                )
            if self._mac_key is None:
                self.unchecked += 1
            elif not hmac.compare_digest(entry_mac(self._mac_key, *row[:9]), sealed):
                return self._break(seq, AuditBreak.NOT_KEYED, "bad signature")
        elif mac == MAC_SHA256:
            if self.keyed_at is not None:
                return self._break(seq, AuditBreak.NOT_KEYED, "unsigned after keying")
            if action == AuditAction.CHAIN_KEYED:
                return self._break(seq, AuditBreak.NOT_KEYED, "unsigned keying")
            if entry_hash(*row[:9]) != sealed:
                return self._break(seq, AuditBreak.CONTENT_CHANGED, "")
        else:
            return self._break(seq, AuditBreak.CONTENT_CHANGED, "")
        if '"state.' in detail:
            self._remember_state(seq, detail)
        self.checked, self.last_seq, self.last_hash = seq, seq, sealed
        return True

    def head_break(self, head_seq: int, head_hash: str) -> Break | None:
        """How the walked chain differs from the head the app last wrote, if it does."""
        if head_seq > self.checked:
            seq = self.checked + 1
            return seq, AuditBreak.TRUNCATED, f"entry {seq} and later ones were deleted"
        if head_seq < self.checked:  # entries were added without going through the app
            seq = head_seq + 1
            return seq, AuditBreak.HEAD_MISMATCH, f"entry {seq} is not the last entry the app wrote"
        if head_hash != self.last_hash:  # the newest entry was replaced
            seq = self.checked
            return seq, AuditBreak.HEAD_MISMATCH, f"entry {seq} is not the last entry the app wrote"
        return None

    def keying_break(self, own_id: str, own_key_kept: bool, keyed_here: bool) -> Break | None:
        """A downgrade: this computer keyed the file's chain id (its keyring keeps the
        key, or remembers keying this file as that chain), yet no entry was keyed with it."""
        if own_id in self.keyed_ids or not (own_key_kept or keyed_here):
            return None
        holds = "holds the log's key" if own_key_kept else "remembers keying this log"
        return (
            None,
            AuditBreak.NOT_KEYED,
            f"this computer's keyring {holds} but no entry is signed with it:"
            " the entry that keyed the log and those after it were deleted or rewritten",
        )

    def _start_segment(self, seq: int, detail: str) -> None:
        chain_id = chain_id_of(detail)
        self.keyed_at = seq
        self._mac_key = None
        if chain_id is not None:
            self.keyed_ids.add(chain_id)
            if chain_id not in self._keys:
                self._keys[chain_id] = self.key_for(chain_id)
            secret = self._keys[chain_id]
            self._mac_key = None if secret is None else derive_mac_key(secret)

    def _remember_state(self, seq: int, detail: str) -> None:
        try:
            values = json.loads(detail)
        except ValueError:
            return
        if not isinstance(values, dict):
            return
        staff_id = values.get(STATE_STAFF)
        if isinstance(staff_id, int):
            self.staff[staff_id] = Commitment(seq, values)
        if STATE_RECOVERY in values:
            self.recovery = Commitment(seq, values)

    def _break(self, seq: int, reason: AuditBreak, why: str) -> bool:
        self.broken = (seq, reason, _message(seq, reason, why, self.keyed_at))
        return False


def replaced_break(remembered: str, now: str) -> Break:
    """The file names another chain than the one this computer keyed it as. The file's
    chain id is whatever was written into it: shown as is only when it looks like one."""
    shown = now if is_chain_id(now) else ascii(now[:_SHOWN_MAX])
    return (
        None,
        AuditBreak.NOT_KEYED,
        f"this computer keyed this audit log as chain {remembered}; the file now says {shown}:"
        " the log was replaced or rewritten",
    )


def is_chain_id(text: str) -> bool:
    """Whether a file's chain id is one this app writes (16 to 64 lowercase hex digits)."""
    return _CHAIN_ID_PATTERN.match(text) is not None


def file_id(path: str) -> str:
    """The audit file's name in the keyring (`ChainKeys.keyed_chain`): a hash of where the
    file is (resolved; case-folded where the system folds case), never of anything in it,
    since whoever holds the file can rewrite all of that, a chain id or an id of its own."""
    where = os.path.normcase(str(Path(path).resolve()))
    digest = hashlib.sha256(_FILE_ID_LABEL + where.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:32]


def chain_id_of(detail: str, key: str = "chain_id") -> str | None:
    """The chain id a CHAIN_KEYED entry's detail names (`key`: "replaces" for the one it
    took over from), or None if it names none."""
    try:
        values = json.loads(detail)
    except ValueError:
        return None
    chain_id = values.get(key) if isinstance(values, dict) else None
    return chain_id if isinstance(chain_id, str) and chain_id else None


def _message(seq: int, reason: AuditBreak, why: str, keyed_at: int | None) -> str:
    if reason is AuditBreak.MISSING:
        return f"entry {seq} is missing: entries were deleted"
    if reason is AuditBreak.CHAIN_BROKEN:
        return f"entry {seq} does not follow entry {seq - 1}"
    if reason is AuditBreak.CONTENT_CHANGED:
        return f"entry {seq} was changed after it was written"
    notes = {
        "bad signature": (
            f"entry {seq} was changed after it was written, or written without the log's"
            " key: its signature does not match"
        ),
        "unsigned after keying": (
            f"entry {seq} is not signed although the log was keyed at entry {keyed_at}:"
            " it was rewritten or written without the key"
        ),
        "unsigned keying": f"entry {seq} keyed the log but is not signed: it was rewritten",
    }
    return notes.get(why, f"entry {seq} {why}")
