"""A lane's shifts for the shift screens' tests: the journal's store on a file, a drawer
that records every opening, and the `ShiftService` over them as the wiring builds it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pos_app.domain.errors import UnavailableError
from pos_app.services.audit_log import AuditAction, DetailValue
from pos_app.services.manager import ManagerService
from pos_app.services.shifts import ShiftService
from pos_app.storage.journal import SqliteJournal

LANE = "1"


@dataclass
class RecordingDrawer:
    """A cash drawer that remembers why it was opened; `jammed` makes it fail."""

    opened: list[str] = field(default_factory=list)
    jammed: bool = False

    @property
    def kind(self) -> str:
        return "virtual"

    async def open(self, reason: str) -> None:
        if self.jammed:
            raise UnavailableError("The drawer is jammed.")
        self.opened.append(reason)


@dataclass
class AuditTrail:
    """What the shift service audited, when no staff service records it."""

    entries: list[tuple[AuditAction, str | None, dict[str, DetailValue]]] = field(
        default_factory=list
    )

    def __call__(
        self, action: AuditAction, subject: str | None, detail: Mapping[str, DetailValue]
    ) -> None:
        self.entries.append((action, subject, dict(detail)))

    def actions(self) -> list[AuditAction]:
        return [action for action, _subject, _detail in self.entries]

    def last(self, action: AuditAction) -> tuple[str | None, dict[str, DetailValue]]:
        """The newest entry of `action`: its subject and detail."""
        for kind, subject, detail in reversed(self.entries):
            if kind is action:
                return subject, detail
        raise AssertionError(f"no {action} entry in {self.entries}")


def shift_service(
    journal: SqliteJournal,
    drawer: RecordingDrawer,
    *,
    manager: ManagerService | None = None,
    trail: AuditTrail | None = None,
) -> ShiftService:
    """The lane's shift service; audited through `manager` as the wiring does, else `trail`."""
    if manager is not None:
        staff = manager

        def record(
            action: AuditAction, subject: str | None, detail: Mapping[str, DetailValue]
        ) -> None:
            staff.record(action, subject, detail)

        return ShiftService(journal, drawer, lane=LANE, record=record)
    return ShiftService(
        journal, drawer, lane=LANE, record=trail if trail is not None else AuditTrail()
    )
