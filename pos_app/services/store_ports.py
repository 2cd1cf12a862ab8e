"""The ports of a store: lanes that send their records to one shared database.

A lane alone runs on its own files. A lane joined to a store (`store_url`) keeps
its journal and audit log as its crash-safe record and also sends every record
to the store through a local outbox (`Outbox`, kept in each SQLite file and
filled by triggers in the same transaction as the write itself). `StoreSync`
(`services/store_sync.py`) drains the outboxes into a `StoreLink` and pulls what
the store shares (staff, catalog, store settings). `StoreView` reads the store
for the manager: every lane's history and the store's day.

`pos_app.storage` implements `Outbox` (the journal and the audit log) and the
PostgreSQL side (`storage/store/`: `StoreLink`, `StoreView`). Services see only
these types. Nothing on the payment path waits for the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from pos_app.domain.errors import InvalidInputError, UnavailableError
from pos_app.domain.tickets import CashMovement, Shift, Ticket
from pos_app.services.ports import HistoryQuery, JournalEntry, Operation

__all__ = [
    "JsonValue",
    "LaneIdentity",
    "LaneStatus",
    "Outbox",
    "OutboxBatch",
    "RecordKind",
    "SharedPull",
    "SharedStaff",
    "StoreDay",
    "StoreLink",
    "StoreRecord",
    "StoreRefusedError",
    "StoreStatus",
    "StoreTicket",
    "StoreUnavailableError",
    "StoreView",
    "SyncState",
    "SyncStatus",
]

JsonValue = str | int | float | bool | None | list["JsonValue"] | dict[str, "JsonValue"]


class StoreUnavailableError(UnavailableError):
    """The store's database cannot be reached or did not answer in time. Never final:
    the outbox keeps every record and sends it later."""


class StoreRefusedError(InvalidInputError):
    """The store refused the lane for a reason a person must fix (its schema is newer
    than this app, the schema is missing (`pos-app store init`), a wrong password, or
    another PC already uses this lane's name in the store). `message` says which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RecordKind(StrEnum):
    """What one outbox record carries (the store's table it lands in)."""

    OPERATION = "operation"  # a charge, refund or void: upsert by id, newest updated_at wins
    EVENT = "event"  # one appended state change: key (lane, seq), written once
    TICKET = "ticket"  # a sale with its lines: upsert by id, newest updated_at wins
    SHIFT = "shift"  # upsert by id (opened, then closed)
    CASH = "cash"  # a drawer cash movement: key id, written once
    AUDIT = "audit"  # an audit entry: key (lane, seq), written once; moves the lane's head
    STAFF = "staff"  # a person: key name (case-insensitive), newest changed_at wins


@dataclass(frozen=True)
class StoreRecord:
    """One record as it is sent: `data`'s keys are the store table's columns (see
    `storage/store/schema.py`); times are ISO 8601 strings with their offset."""

    kind: RecordKind
    key: str
    data: Mapping[str, JsonValue]


@dataclass(frozen=True)
class OutboxBatch:
    """The oldest waiting records of one outbox, in the order they were written.
    `last_seq` is what `Outbox.acknowledge` takes once the store has them all."""

    source: str  # "journal" | "audit"
    records: Sequence[StoreRecord]
    last_seq: int


class Outbox(Protocol):
    """Records written on this lane and not yet acknowledged by the store."""

    @property
    def outbox_source(self) -> str:
        """Which file this outbox is kept in: "journal" or "audit"."""
        ...

    async def enable_outbox(self) -> None:
        """Start keeping an outbox (the lane joined a store): from now on every write
        also queues its record, and everything written before is queued once, oldest
        first. Doing it again changes nothing."""
        ...

    def outbox_batch(self, limit: int) -> OutboxBatch | None:
        """Up to `limit` waiting records, oldest first, each with the row's current
        content; None when nothing waits."""
        ...

    async def acknowledge(self, last_seq: int) -> None:
        """The store has every record up to `last_seq`: forget them (a later resend of
        one of them would change nothing in the store)."""
        ...

    def outbox_count(self) -> int:
        """How many records wait."""
        ...


@dataclass(frozen=True)
class LaneIdentity:
    """Who sends: the lane's name (unique in a store) and the id of its files (a random
    id kept in the journal), so two PCs claiming one name are told apart."""

    name: str
    uid: str
    app_version: str = ""


@dataclass(frozen=True)
class SharedStaff:
    """A person as the store keeps them (shared by every lane)."""

    name: str
    role: str  # cashier | manager | owner
    active: bool
    pin_hash: str
    failed_tries: int
    locked_until: datetime | None
    changed_at: datetime  # the newest change wins, on the store and on every lane
    changed_by_lane: str | None = None


class StoreLink(Protocol):
    """The store's database as a lane's sync task needs it. Every call raises
    StoreUnavailableError when the store cannot be reached, StoreRefusedError when it
    refuses the lane."""

    async def send(self, lane: LaneIdentity, records: Sequence[StoreRecord], pending: int) -> None:
        """Write `records` in one transaction, in order, idempotently (a record the
        store has already changes nothing, or only moves it to a newer state), and note
        the lane as seen with `pending` records still waiting."""
        ...

    async def heartbeat(self, lane: LaneIdentity, pending: int) -> None:
        """Note the lane as seen now, with `pending` records waiting."""
        ...

    async def staff_since(self, changed_after: datetime | None) -> list[SharedStaff]:
        """People changed after a time (None: everyone), oldest change first."""
        ...

    async def catalog(self) -> tuple[str, datetime] | None:
        """The store's catalog (TOML, the format of `catalog.toml`) and when it last
        changed; None when the store has none."""
        ...

    async def put_catalog(self, toml_text: str, changed_by: str) -> None:
        """Replace the store's catalog."""
        ...

    async def store_settings(self) -> dict[str, JsonValue]:
        """The settings every lane of the store shares (receipt header, tax rate, limits)."""
        ...

    async def put_store_settings(self, values: Mapping[str, JsonValue], changed_by: str) -> None:
        """Change some of the shared settings (a None value removes one)."""
        ...

    async def audit_head(self, lane: str) -> tuple[int, str] | None:
        """The lane's audit head as the store has it: (seq, hash), None before any entry."""
        ...

    async def audit_hash(self, lane: str, seq: int) -> str | None:
        """The hash of one of the lane's entries as the store has it."""
        ...

    async def close(self) -> None:
        """Close the connection."""
        ...


class SharedPull(Protocol):
    """One kind of shared data (staff, catalog, store settings) a lane takes from the store."""

    async def pull(self, link: StoreLink) -> None:
        """Take what changed in the store since the last pull and apply it on this lane."""
        ...


class SyncState(StrEnum):
    """What the status bar says about the store."""

    OFF = "off"  # no store: a lane on its own files
    CONNECTING = "connecting"
    SENT = "sent"  # everything sent
    SENDING = "sending"  # records waiting, the store answering
    UNREACHABLE = "unreachable"  # records keep, the lane sells as usual
    REFUSED = "refused"  # a person must fix something (`message`)


@dataclass(frozen=True)
class SyncStatus:
    """The sync task's latest word."""

    state: SyncState
    pending: int = 0
    last_sent_at: datetime | None = None
    message: str = ""  # for UNREACHABLE and REFUSED: one plain sentence


@dataclass(frozen=True)
class LaneStatus:
    """One lane as the store sees it."""

    name: str
    last_seen: datetime | None
    pending: int  # records waiting on the lane when it was last seen
    audit_head_seq: int
    audit_head_hash: str | None
    app_version: str = ""


@dataclass(frozen=True)
class StoreStatus:
    """The store's database: its schema and its lanes."""

    schema_version: int
    known_version: int  # what this app's migrations reach
    lanes: Sequence[LaneStatus]


@dataclass(frozen=True)
class StoreTicket:
    """A sale of any lane as the store has it, with what paid it and what went back."""

    lane: str
    ticket: Ticket
    operations: Sequence[Operation]  # its card parts, refunds and voids, oldest first
    cash: Sequence[CashMovement]  # its cash parts, cash refunds and returns, oldest first


@dataclass(frozen=True)
class StoreDay:
    """What the store holds for a window of time (a day), for one lane or all:
    enough for the end-of-day report."""

    operations: Sequence[Operation]  # created in the window, and the refunds/voids of them
    tickets: Sequence[Ticket]
    cash: Sequence[CashMovement]
    shifts: Sequence[Shift]
    lanes: Sequence[str]  # the lanes the figures cover
    audit_heads: Mapping[str, str] = field(default_factory=dict)  # lane -> short head


class StoreView(Protocol):
    """The store's database as the manager's screens and commands read it. Raises
    StoreUnavailableError when it cannot be reached."""

    async def history(self, query: HistoryQuery, lane: str | None = None) -> list[Operation]:
        """Operations of every lane (or one), newest first, filtered as the lane's own
        history is; each carries its lane in `Operation.lane`."""
        ...

    async def cash_history(
        self, query: HistoryQuery, lane: str | None = None
    ) -> list[tuple[str, CashMovement]]:
        """Cash movements (with their lane) matching the query's time window, person and
        text, newest first."""
        ...

    async def entries(self, lane: str, operation_id: str) -> list[JournalEntry]:
        """One operation's state changes, oldest first."""
        ...

    async def ticket(self, ticket_id: str) -> StoreTicket | None:
        """One sale of any lane, with its lines, card operations and cash."""
        ...

    async def operation(self, operation_id: str) -> Operation | None:
        """One operation of any lane."""
        ...

    async def day(self, since: datetime, until: datetime, lane: str | None = None) -> StoreDay:
        """Everything of [since, until) for one lane or the whole store."""
        ...

    async def lane_names(self) -> list[str]:
        """Every lane the store has seen, by name."""
        ...

    async def status(self) -> StoreStatus:
        """The schema version and every lane."""
        ...
