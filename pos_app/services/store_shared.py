"""What the lanes of a store share: staff, the catalog, the store's settings, and the
check of a lane's audit trail against the store's copy of it.

Each `SharedPull` takes one kind of shared data from the store (`StoreSync` runs
them after every (re)connection and every 30 s) and applies it on this lane, so
the lane keeps working with the last copy while the store is away:

- `StaffPull`: a person changed in the store more recently than this lane's row
  (`changed_at`: the newest change wins, on the store and on every lane) is
  written through `StaffStore.save_staff` with a `staff_synced` audit entry
  naming what changed and on which lane. A lockout set on one lane reaches every
  lane this way, and so does an unlock.
- `CatalogPull`: the store's catalog into `data_dir/store-catalog.toml`, which
  `pos_app.resources.load_catalog` prefers over the lane's own.
- `SettingsPull`: the store's shared settings (receipt header, tax rate, limits)
  into `data_dir/store-settings.toml`, which `pos_app.config` reads between the
  environment and the settings file.

Files are written atomically (a temporary file renamed over the old one) and only
when what the store holds differs from the lane's copy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Final, Protocol

from pos_app.domain.cart import Catalog, CatalogError
from pos_app.domain.store_shared import (
    STORE_CATALOG_FILE,
    STORE_SETTINGS_FILE,
    STORE_SETTINGS_HEADER,
    STORE_SETTINGS_KEYS,
)
from pos_app.services.audit_log import (
    AuditAction,
    AuditHead,
    DetailValue,
    NewAuditEntry,
    StaffRecord,
    StaffStore,
    check_detail,
)
from pos_app.services.store_ports import (
    JsonValue,
    SharedStaff,
    StoreLink,
    StoreRefusedError,
    StoreUnavailableError,
)

__all__ = [
    "STORE_WHO",
    "CatalogPull",
    "LocalAudit",
    "SettingsPull",
    "StaffPull",
    "StoreAuditCheck",
    "StoreAuditState",
    "compare_audit_with_store",
    "settings_toml",
]

log = logging.getLogger("pos_app.services.store_shared")

#: Who a change taken from the store is recorded as in the lane's audit log.
STORE_WHO: Final = "store"
#: The staff fields a pull compares, with the word the audit entry uses for each.
_STAFF_FIELDS: Final = (
    ("name", "name"),
    ("role", "role"),
    ("active", "active"),
    ("pin_hash", "pin"),
    ("failed_tries", "failed_tries"),
    ("locked_until", "locked_until"),
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


# -- staff ----------------------------------------------------------------------------------


class StaffPull:
    """The store's staff merged into this lane's (see the module's docstring).

    Args:
        staff: this lane's staff (its audit log).
        lane: this lane's name (the audit entries' lane).
        cursor: (get, set) of where the pull reached, kept in the audit file's
            store_state: the newest `changed_at` taken, as ISO text. The pull still
            reads every person each time: a store's staff is a few dozen rows, and a
            lane that was away from the store sends changes stamped before the newest
            one another lane already took, which a cursor alone would skip.
        now: the clock of the audit entries.
    """

    def __init__(
        self,
        staff: StaffStore,
        lane: str,
        cursor: tuple[Callable[[], str | None], Callable[[str], None]] | None = None,
        *,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._staff = staff
        self._lane = lane
        self._cursor = cursor
        self._now = now

    async def pull(self, link: StoreLink) -> None:
        """Take every person the store has changed more recently than this lane."""
        people = await link.staff_since(None)
        newest: datetime | None = None
        for person in people:
            if self.merge(person) is not None:
                await asyncio.sleep(0)  # one write at a time: the window paints between them
            if newest is None or person.changed_at > newest:
                newest = person.changed_at
        if self._cursor is not None and newest is not None:
            get, put = self._cursor
            if get() != newest.isoformat():
                put(newest.isoformat())

    def merge(self, person: SharedStaff) -> StaffRecord | None:
        """Apply one person as the store has them, when the store's change is newer than
        this lane's row; the row written, or None when nothing changed (this lane's is
        as new or newer, or it changed meanwhile: the next pull tries again)."""
        local = self._staff.find_staff(person.name)
        if (
            local is not None
            and local.changed_at is not None
            and person.changed_at <= local.changed_at
        ):
            return None
        new = StaffRecord(
            id=None if local is None else local.id,
            name=person.name,
            role=person.role,
            active=person.active,
            pin_hash=person.pin_hash,
            failed_tries=person.failed_tries,
            locked_until=person.locked_until,
            changed_at=person.changed_at,
        )
        changed = _changed_fields(local, new)
        if local is not None and not changed:
            if local.changed_at == new.changed_at:
                return None
            changed = ["changed_at"]  # the same person, stamped later: keep the store's stamp
        detail: dict[str, DetailValue] = {
            "fields": ", ".join(changed),
            "changed_by_lane": person.changed_by_lane or "",
            "changed_at": person.changed_at.isoformat(),
            "role": person.role,
            "active": person.active,
            "locked_until": None
            if person.locked_until is None
            else person.locked_until.isoformat(),
        }
        entry = NewAuditEntry(
            at=self._now(),
            who=STORE_WHO,
            lane=self._lane,
            action=AuditAction.STAFF_SYNCED.value,
            subject=person.name,
            detail=check_detail(detail),
            outcome="added" if local is None else "ok",
        )
        saved = self._staff.save_staff(local, new, entry)
        if saved is None:
            log.info("%s changed on this lane during a pull; taken at the next one", person.name)
        return saved


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _changed_fields(local: StaffRecord | None, new: StaffRecord) -> list[str]:
    if local is None:
        return [word for _, word in _STAFF_FIELDS]
    return [word for field, word in _STAFF_FIELDS if getattr(local, field) != getattr(new, field)]


# -- catalog and settings -------------------------------------------------------------------


class CatalogPull:
    """The store's catalog into `data_dir/store-catalog.toml` when it changed. A catalog
    the domain's parser refuses is not written (the lane keeps the copy it has)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / STORE_CATALOG_FILE

    async def pull(self, link: StoreLink) -> None:
        """Take the store's catalog if it differs from this lane's copy."""
        got = await link.catalog()
        if got is None:
            return
        text, changed_at = got
        if _read_text(self.path) == text:
            return
        try:
            Catalog.from_toml(text)
        except CatalogError as exc:
            log.warning("the store's catalog (changed %s) is not used: %s", changed_at, exc)
            return
        write_atomically(self.path, text)
        log.info("the store's catalog of %s taken into %s", changed_at.isoformat(), self.path)


class SettingsPull:
    """The store's shared settings into `data_dir/store-settings.toml` when they changed
    (the file is removed when the store shares none: the lane's own apply again).
    `pos_app.config` checks each value with the settings' rules when it reads them."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / STORE_SETTINGS_FILE

    async def pull(self, link: StoreLink) -> None:
        """Take the store's shared settings if they differ from this lane's copy."""
        values = await link.store_settings()
        text = settings_toml(values)
        if text is None:
            if self.path.exists():
                self.path.unlink()
                log.info("the store shares no settings now: %s removed", self.path)
            return
        if _read_text(self.path) == text:
            return
        write_atomically(self.path, text)
        log.info("the store's settings taken into %s", self.path)


def settings_toml(values: Mapping[str, JsonValue]) -> str | None:
    """The shared keys of `values` as the TOML of `store-settings.toml` (None for none).
    A value of another type than a setting can hold (a list, a table) is left out."""
    lines = []
    for key in STORE_SETTINGS_KEYS:
        value = values.get(key)
        if isinstance(value, bool) or not isinstance(value, int | str):
            if value is not None:
                log.warning("the store's setting %s is not a number or text; left out", key)
            continue
        if isinstance(value, str):  # a JSON string is a TOML basic string, DEL aside
            shown = json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
        else:
            shown = str(value)
        lines.append(f"{key} = {shown}\n")
    return STORE_SETTINGS_HEADER + "".join(lines) if lines else None


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to a temporary file beside `path`, flush it to disk, then rename it
    over `path`: a crash leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- the audit trail against the store's copy ---------------------------------------------


class LocalAudit(Protocol):
    """This lane's audit chain, as the comparison reads it (`ManagerService`)."""

    def audit_head(self) -> AuditHead:
        """The newest entry."""
        ...

    def audit_hash(self, seq: int) -> str | None:
        """The hash of entry `seq` in this lane's file, None when there is none."""
        ...


class StoreAuditState(StrEnum):
    """What the store's copy says of this lane's audit trail."""

    MATCHES = "matches"  # every entry the store has is the same here
    NOT_SENT = "not_sent"  # the store has no entry of this lane yet
    DIFFERS = "differs"  # this lane's file was changed (or cut) after the store had it
    UNREACHABLE = "unreachable"  # the store could not be asked: the local verdict stands
    REFUSED = "refused"  # the store refused this lane: the local verdict stands


@dataclass(frozen=True)
class StoreAuditCheck:
    """This lane's chain compared with the store's copy of it."""

    state: StoreAuditState
    message: str  # one sentence for `audit verify`
    store_seq: int = 0  # the store's newest entry of this lane
    store_hash: str | None = None
    differs_at: int | None = None  # the first entry that differs

    @property
    def ok(self) -> bool:
        """False only when the store's copy shows a change: an unreachable store does
        not change the local verdict."""
        return self.state is not StoreAuditState.DIFFERS


DIFFERS_TEXT: Final = "The audit log does not match the store's copy (entry {seq} differs): {why}."
CHANGED_WHY: Final = "this lane's file was changed after the store received it"
CUT_WHY: Final = "the store has entries up to {store}, this lane's file ends at {local}"
MATCHES_TEXT: Final = "The store's copy matches, up to entry {seq}{waiting}."
WAITING_TEXT: Final = "; {count} newer {entries} still to be sent"
NOT_SENT_TEXT: Final = "The store has no entry of lane {lane} yet: they go with its next sync."
UNREACHABLE_TEXT: Final = (
    "The store's copy could not be compared ({reason}); the check above is this lane's own."
)
REFUSED_TEXT: Final = "The store refused this lane ({reason}); the check above is this lane's own."


async def compare_audit_with_store(
    local: LocalAudit, link: StoreLink, lane: str
) -> StoreAuditCheck:
    """Compare this lane's chain with the store's copy of it: each entry's hash commits
    to every entry before it, so the store's newest entry matching here means every one
    up to it does; otherwise the first that differs is found by halving (a few queries).
    Never raises for the store's errors: they are said in `message`."""
    try:
        return await _compare(local, link, lane)
    except StoreUnavailableError as exc:
        return StoreAuditCheck(
            StoreAuditState.UNREACHABLE, UNREACHABLE_TEXT.format(reason=_reason(exc))
        )
    except StoreRefusedError as exc:
        return StoreAuditCheck(StoreAuditState.REFUSED, REFUSED_TEXT.format(reason=exc.message))


def _reason(error: Exception) -> str:
    text = str(error).strip().rstrip(".")
    return text or "the store cannot be reached"


async def _compare(local: LocalAudit, link: StoreLink, lane: str) -> StoreAuditCheck:
    store = await link.audit_head(lane)
    if store is None:
        return StoreAuditCheck(StoreAuditState.NOT_SENT, NOT_SENT_TEXT.format(lane=lane))
    store_seq, store_hash = store
    head = local.audit_head()
    if store_seq > head.seq:
        return _differs(
            store_seq, store_hash, head.seq + 1, CUT_WHY.format(store=store_seq, local=head.seq)
        )
    if local.audit_hash(store_seq) == store_hash:
        waiting = head.seq - store_seq
        more = (
            WAITING_TEXT.format(
                count=waiting, entries="entry is" if waiting == 1 else "entries are"
            )
            if waiting
            else ""
        )
        return StoreAuditCheck(
            StoreAuditState.MATCHES,
            MATCHES_TEXT.format(seq=store_seq, waiting=more),
            store_seq,
            store_hash,
        )
    low, high = 1, store_seq  # entry `high` differs; find the first that does
    while low < high:
        middle = (low + high) // 2
        theirs = await link.audit_hash(lane, middle)
        if theirs is not None and local.audit_hash(middle) == theirs:
            low = middle + 1
        else:
            high = middle
    return _differs(store_seq, store_hash, high, CHANGED_WHY)


def _differs(store_seq: int, store_hash: str, seq: int, why: str) -> StoreAuditCheck:
    return StoreAuditCheck(
        StoreAuditState.DIFFERS,
        DIFFERS_TEXT.format(seq=seq, why=why),
        store_seq,
        store_hash,
        differs_at=seq,
    )
