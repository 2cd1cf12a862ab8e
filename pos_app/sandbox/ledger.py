"""The account's books: the store, the clock, and the moves every rule shares.

A `Ledger` is what the rule modules (`payment_intents`, `checkouts`,
`payments`, `refunds`, `terminals`, `sessions`, `device`) are handed: they
look objects up in the caller's sub account, write them back with a fresh
`updated_at`, and emit JustiFi's events, all through it. Keys starting with
an underscore are the simulator's own and `public()` strips them.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pos_app.sandbox.accounts import SandboxConfig
from pos_app.sandbox.clock import SandboxClock, iso
from pos_app.sandbox.errors import not_found
from pos_app.sandbox.store import Record, Store


def new_id(prefix: str) -> str:
    """A JustiFi-looking id: prefix, underscore, random."""
    return f"{prefix}_{secrets.token_hex(10)}"


def public(record: Record) -> Record:
    """The record without the simulator's own underscore keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


@dataclass
class Event:
    """An event waiting to be published."""

    id: str
    event_name: str
    account_id: str
    data: dict[str, Any]
    created_at: str

    def payload(self, platform_account: str) -> dict[str, Any]:
        """The body JustiFi posts to an event publisher."""
        return {
            "id": self.id,
            "event_name": self.event_name,
            "account_id": self.account_id,
            "account_type": "test",
            "platform_account_id": platform_account,
            "data": self.data,
            "created_at": self.created_at,
        }


class Ledger:
    """Objects by kind, the simulated time, and who hears about events."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.clock = SandboxClock(config.start_scale)
        self.store = Store(config.state_path)
        self.on_event: Callable[[Event], None] | None = None

    def now(self) -> str:
        """The simulated time in JustiFi's format."""
        return iso(self.clock.now())

    def find(self, kind: str, object_id: str, sub_account: str | None) -> Record:
        """The record if it exists and belongs to the caller's sub account."""
        record = self.store.get(kind, object_id)
        if record is None or (sub_account and record.get("account_id") != sub_account):
            raise not_found(kind.replace("_", " "), object_id)
        return record

    def visible(self, kind: str, sub_account: str | None) -> list[Record]:
        """Every record the caller may list, newest first."""
        records = [
            r for r in self.store.all(kind) if not sub_account or r["account_id"] == sub_account
        ]
        records.reverse()
        return records

    def touch(self, kind: str, record: Record) -> Record:
        """Store a changed record with `updated_at` set to now."""
        record["updated_at"] = self.now()
        return self.store.put(kind, record)

    def emit(self, name: str, data: Record) -> None:
        """Tell the event publisher (if any) that `name` happened to `data`."""
        if self.on_event is None:
            return
        event = Event(new_id("evt"), name, str(data.get("account_id")), public(data), self.now())
        self.on_event(event)
