"""Fakes for the store database's side of the settings: the file, the keyring, the test.

The settings service and dialog are tested against these without a server or a
keyring; `pos_app.storage.store.check.check_store` has its own tests against
the throwaway PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from pos_app.services.settings import StoreCheck, StoreCheckReport

STORE_URL = "postgresql://pos@store-server/pos_store"
OTHER_STORE_URL = "postgresql://pos@store-server:5433/pos_store"
STORE_PASSWORD = "s3cret-store-pw"


class MemorySettingsStore:
    """The settings file (and the environment and the store's settings over it) in memory."""

    def __init__(self, **values: object) -> None:
        self.values: dict[str, object] = {
            "demo": True,
            "api_url": "https://api.justifi.ai",
            "client_id": None,
            "sub_account": None,
            "payment_flow": "payment_intent",
            "lane": "Front",
            "default_terminal": None,
            "tax_rate_bps": 0,
            "receipt_header": "",
            "idle_sign_out_minutes": 15,
            "discount_approval_percent": 10,
            "receipt_printer": "",
            "store_url": "",
            **values,
        }
        self.saved: list[dict[str, object]] = []
        self.locked: frozenset[str] = frozenset()  # by the environment
        self.by_store: frozenset[str] = frozenset()  # by the store's shared settings

    def load(self) -> Mapping[str, object]:
        return dict(self.values)

    def locked_fields(self) -> frozenset[str]:
        return self.locked | self.by_store

    def store_fields(self) -> frozenset[str]:
        return self.by_store

    def save(self, values: Mapping[str, object]) -> None:
        self.saved.append(dict(values))
        self.values.update(values)


class MemoryStorePasswords:
    """The store's passwords in a dict, keyed by the address without its password."""

    def __init__(self, *, available: bool = True, environment: bool = False) -> None:
        self.kept: dict[str, str] = {}
        self.is_available = available
        self.environment = environment
        self.broken = False  # save raises, as a locked keyring does

    def available(self) -> bool:
        return self.is_available

    def from_environment(self) -> bool:
        return self.environment

    def read(self, url: str) -> str | None:
        return self.kept.get(url)

    def save(self, url: str, password: str) -> None:
        if self.broken:
            raise RuntimeError("the keyring is locked")
        self.kept[url] = password

    def delete(self, url: str) -> None:
        self.kept.pop(url, None)


class FakeStoreChecker:
    """Answers every test with `report`; remembers what it was asked. With `hold`, each
    test waits for the event first (a slow server)."""

    def __init__(self, report: StoreCheckReport | None = None) -> None:
        self.report = report or StoreCheckReport.of(
            StoreCheck.READY, host="store-server", version=1
        )
        self.calls: list[tuple[str, str | None]] = []
        self.hold: asyncio.Event | None = None

    async def __call__(self, url: str, password: str | None) -> StoreCheckReport:
        self.calls.append((url, password))
        if self.hold is not None:
            await self.hold.wait()
        return self.report
