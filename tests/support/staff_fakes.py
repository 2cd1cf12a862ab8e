"""An in-memory audit log and staff store, for the staff service's tests.

It keeps the ports' promises that the service relies on (entries newest
first, `save_staff` writes the row and its entry together or neither, names
match whatever their case) and records every state commitment, without the
storage's hashing or keyring.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from pos_app.services.audit_log import (
    AuditCheck,
    AuditEntry,
    AuditHead,
    AuditQuery,
    KeyStatus,
    NewAuditEntry,
    StaffRecord,
)

GENESIS = "0" * 64


class MemoryStaffStore:
    """`AuditLog` and `StaffStore` in memory; `pepper` is what the keyring would give."""

    def __init__(self, pepper: bytes | None = None) -> None:
        self._pepper = pepper
        self.log: list[AuditEntry] = []
        self.rows: dict[str, StaffRecord] = {}  # by folded name
        self.recovery_hash: str | None = None
        self.next_id = 1
        self.lost_races = 0  # save_staff calls to refuse as if another lane won

    # -- AuditLog -------------------------------------------------------------------

    def append(self, entry: NewAuditEntry) -> AuditEntry:
        seq = len(self.log) + 1
        prev = self.log[-1].hash if self.log else GENESIS
        stored = AuditEntry(
            seq=seq,
            at=entry.at,
            who=entry.who,
            lane=entry.lane,
            action=entry.action,
            subject=entry.subject,
            detail=json.dumps(dict(entry.detail), sort_keys=True),
            outcome=entry.outcome,
            prev_hash=prev,
            hash=f"{seq:064x}",
        )
        self.log.append(stored)
        return stored

    def entries(self, query: AuditQuery) -> list[AuditEntry]:
        found = [e for e in reversed(self.log) if _matches(e, query)]
        return found[query.offset : query.offset + query.limit]

    def count(self, query: AuditQuery) -> int:
        return sum(1 for e in self.log if _matches(e, query))

    def verify(self, head: str | None = None) -> AuditCheck:
        return AuditCheck(
            ok=True, checked=len(self.log), message="intact", head=self.head(),
            key_status=self.key_status(),
        )  # fmt: skip

    def head(self) -> AuditHead:
        return AuditHead(len(self.log), self.log[-1].hash if self.log else GENESIS)

    def key_status(self) -> KeyStatus:
        return KeyStatus.KEYED if self._pepper else KeyStatus.NO_KEYRING

    def export_csv(self, target: Path | TextIO, query: AuditQuery | None = None) -> int:
        assert isinstance(target, Path)
        with target.open("w", newline="", encoding="utf-8") as stream:
            writer = csv.writer(stream)
            for entry in self.log:
                writer.writerow((entry.seq, entry.who, entry.action, entry.detail))
        return len(self.log)

    def export_json(self, target: Path | TextIO) -> int:
        assert isinstance(target, Path)
        rows = [{"seq": e.seq, "who": e.who, "action": e.action} for e in self.log]
        target.write_text(json.dumps({"entries": rows}), encoding="utf-8")
        return len(self.log)

    # -- StaffStore -----------------------------------------------------------------

    def list_staff(self) -> list[StaffRecord]:
        return sorted(self.rows.values(), key=lambda r: r.name.casefold())

    def find_staff(self, name: str) -> StaffRecord | None:
        return self.rows.get(name.casefold())

    def save_staff(
        self, expected: StaffRecord | None, new: StaffRecord, entry: NewAuditEntry
    ) -> StaffRecord | None:
        if self.lost_races:
            self.lost_races -= 1
            return None
        if self.rows.get(new.name.casefold()) != expected:
            return None
        if new.id is None:
            new = replace(new, id=self.next_id)
            self.next_id += 1
        self.rows[new.name.casefold()] = new
        commitment = {"state": f"{new.id}:{new.failed_tries}:{new.active}"}
        self.append(replace(entry, detail={**entry.detail, **commitment}))
        return new

    def load_recovery_hash(self) -> str | None:
        return self.recovery_hash

    def save_recovery_hash(self, expected: str | None, new: str, entry: NewAuditEntry) -> bool:
        if self.recovery_hash != expected:
            return False
        self.recovery_hash = new
        self.append(entry)
        return True

    def pepper(self) -> bytes | None:
        return self._pepper


def _matches(entry: AuditEntry, query: AuditQuery) -> bool:
    return (
        (query.subject is None or entry.subject == query.subject)
        and (not query.actions or entry.action in query.actions)
        and (query.since is None or entry.at >= query.since)
        and (query.until is None or entry.at < query.until)
    )
