"""A store in memory for the shared data's tests: people (newest change wins, as the
store's write rule), the catalog, the shared settings and each lane's audit entries,
with a switch that makes every call fail as an unreachable store does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from pos_app.services.audit_log import AuditLog, AuditQuery, StaffRecord
from pos_app.services.store_ports import (
    JsonValue,
    LaneIdentity,
    SharedStaff,
    StoreRecord,
    StoreUnavailableError,
)

DOWN_TEXT = "the store's database at store-server cannot be reached"


class MemoryStoreLink:
    """The shared-data half of `StoreLink` in memory (`send` and `heartbeat` do nothing)."""

    def __init__(self) -> None:
        self.staff: dict[str, SharedStaff] = {}
        self.catalog_text: tuple[str, datetime] | None = None
        self.settings: dict[str, JsonValue] = {}
        self.audit: dict[str, dict[int, str]] = {}
        self.down = False
        self.calls = 0

    def _call(self) -> None:
        self.calls += 1
        if self.down:
            raise StoreUnavailableError(DOWN_TEXT)

    # -- what a lane sends (the outbox's work, done by hand here) ---------------------------

    def put_person(self, record: StaffRecord, lane: str) -> None:
        """A lane's row reaches the store: kept only when newer than the store's."""
        assert record.changed_at is not None
        key = record.name.lower()
        kept = self.staff.get(key)
        if kept is not None and record.changed_at <= kept.changed_at:
            return
        self.staff[key] = SharedStaff(
            name=record.name,
            role=record.role,
            active=record.active,
            pin_hash=record.pin_hash,
            failed_tries=record.failed_tries,
            locked_until=record.locked_until,
            changed_at=record.changed_at,
            changed_by_lane=lane,
        )

    def put_audit(self, log: AuditLog, lane: str) -> None:
        """Every entry of a lane's log reaches the store."""
        for entry in log.entries(AuditQuery(limit=1_000_000)):
            self.audit.setdefault(lane, {})[entry.seq] = entry.hash

    def rewrite_audit(self, lane: str, seq: int, new_hash: str) -> None:
        self.audit[lane][seq] = new_hash

    # -- StoreLink ----------------------------------------------------------------------

    async def send(self, lane: LaneIdentity, records: Sequence[StoreRecord], pending: int) -> None:
        self._call()

    async def heartbeat(self, lane: LaneIdentity, pending: int) -> None:
        self._call()

    async def staff_since(self, changed_after: datetime | None) -> list[SharedStaff]:
        self._call()
        people = [
            p for p in self.staff.values() if changed_after is None or p.changed_at > changed_after
        ]
        return sorted(people, key=lambda p: (p.changed_at, p.name.lower()))

    async def catalog(self) -> tuple[str, datetime] | None:
        self._call()
        return self.catalog_text

    async def put_catalog(self, toml_text: str, changed_by: str) -> None:
        self._call()
        self.catalog_text = (toml_text, datetime.now(UTC))

    async def store_settings(self) -> dict[str, JsonValue]:
        self._call()
        return dict(self.settings)

    async def put_store_settings(self, values: Mapping[str, JsonValue], changed_by: str) -> None:
        self._call()
        for key, value in values.items():
            if value is None:
                self.settings.pop(key, None)
            else:
                self.settings[key] = value

    async def audit_head(self, lane: str) -> tuple[int, str] | None:
        self._call()
        entries = self.audit.get(lane)
        if not entries:
            return None
        seq = max(entries)
        return seq, entries[seq]

    async def audit_hash(self, lane: str, seq: int) -> str | None:
        self._call()
        return self.audit.get(lane, {}).get(seq)

    async def close(self) -> None:
        return None


def stamped(record: StaffRecord, when: datetime) -> StaffRecord:
    """`record` as changed at `when`."""
    return replace(record, changed_at=when)
