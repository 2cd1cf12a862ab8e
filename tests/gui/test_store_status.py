"""The store's quiet status in the till's status bar: its words for every state, the sync
task the window owns (stopped when it closes), and nothing at all without a store."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QLabel

from pos_app.domain.payment_flow import PaymentKind, StateName
from pos_app.services.ports import Operation
from pos_app.services.store_ports import (
    JsonValue,
    LaneIdentity,
    SharedStaff,
    StoreRecord,
    StoreRefusedError,
    StoreUnavailableError,
    SyncState,
    SyncStatus,
)
from pos_app.services.store_sync import StoreSync
from pos_app.storage.journal import SqliteJournal
from pos_app.ui.main_window import MainWindow
from pos_app.ui.store_status import store_status_text
from tests.support.gui import wait_until
from tests.support.window import CATALOG

DOWN = "the store's database at db.shop cannot be reached"
TAKEN = "Another computer already sends as lane 'front' to this store; give this lane another name"


class SwitchLink:
    """A store that answers, is away (`down`) or refuses (`refuse`) as the test says."""

    def __init__(self) -> None:
        self.down = False
        self.refuse: str | None = None
        self.sent = 0

    def _check(self) -> None:
        if self.refuse is not None:
            raise StoreRefusedError(self.refuse)
        if self.down:
            raise StoreUnavailableError(DOWN)

    async def send(self, lane: LaneIdentity, records: Sequence[StoreRecord], pending: int) -> None:
        self._check()
        self.sent += len(records)

    async def heartbeat(self, lane: LaneIdentity, pending: int) -> None:
        self._check()

    async def staff_since(self, changed_after: datetime | None) -> list[SharedStaff]:
        return []

    async def catalog(self) -> tuple[str, datetime] | None:
        return None

    async def put_catalog(self, toml_text: str, changed_by: str) -> None:
        return None

    async def store_settings(self) -> dict[str, JsonValue]:
        return {}

    async def put_store_settings(self, values: Mapping[str, JsonValue], changed_by: str) -> None:
        return None

    async def audit_head(self, lane: str) -> tuple[int, str] | None:
        return None

    async def audit_hash(self, lane: str, seq: int) -> str | None:
        return None

    async def close(self) -> None:
        return None


def charge(op_id: str) -> Operation:
    now = datetime.now(UTC)
    return Operation(
        id=op_id, kind=PaymentKind.CHARGE, amount_cents=250, status=StateName.PREPARING.value,
        flow="payment_intent", create_key=f"ck-{op_id}", send_key=f"sk-{op_id}",
        created_at=now, updated_at=now,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (SyncStatus(SyncState.OFF), ""),
        (SyncStatus(SyncState.CONNECTING, 3), "Store: connecting..."),
        (SyncStatus(SyncState.SENT), "Store: up to date"),
        (SyncStatus(SyncState.SENDING, 0), "Store: up to date"),
        (SyncStatus(SyncState.SENDING, 12), "Store: 12 to send"),
        (
            SyncStatus(SyncState.UNREACHABLE, 12, message=DOWN),
            "Store unreachable \N{EM DASH} the till keeps selling; 12 to send",
        ),
        (
            SyncStatus(SyncState.UNREACHABLE, 0, message=DOWN),
            "Store unreachable \N{EM DASH} the till keeps selling",
        ),
        (
            SyncStatus(SyncState.REFUSED, 4, message=TAKEN + "."),
            f"Store refused this lane: {TAKEN}",
        ),
    ],
)
def test_the_status_bar_says_each_state_in_a_few_words(status: SyncStatus, words: str) -> None:
    assert store_status_text(status) == words


@pytest.fixture
async def journal(tmp_path: Path) -> AsyncIterator[SqliteJournal]:
    with SqliteJournal(tmp_path / "journal.sqlite3") as opened:
        await opened.enable_outbox()
        yield opened


def store_label(window: MainWindow) -> QLabel | None:
    found = window.findChild(QLabel, "storeStatusLabel")
    return found if isinstance(found, QLabel) else None


async def test_a_lane_without_a_store_shows_nothing_of_it(qtbot: Any) -> None:
    window = MainWindow(environment="TEST", lane="front", catalog=CATALOG)
    qtbot.addWidget(window)
    window.show()
    assert store_label(window) is None
    assert window.store_task is None
    window.close()


async def test_the_window_runs_the_sync_and_shows_its_status_quietly(
    qtbot: Any, journal: SqliteJournal, loop_errors: list[dict[str, Any]], tmp_path: Path
) -> None:
    shots = Path(os.environ.get("POS_SHOTS_DIR") or tmp_path)
    link = SwitchLink()
    sync = StoreSync(
        link, LaneIdentity("front", "uid"), [journal], idle_poll=0.02, backoff=(0.02, 0.05)
    )
    window = MainWindow(environment="TEST", lane="front", catalog=CATALOG)
    qtbot.addWidget(window)
    window.show()
    await journal.begin(charge("op1"))
    window.attach_store(sync)
    label = store_label(window)
    assert label is not None
    await wait_until(lambda: label.text() == "Store: up to date")
    assert label.isVisible()
    assert link.sent == 2  # the operation and its first event
    assert label.property("state") == "sent"

    link.down = True
    await journal.begin(charge("op2"))
    await wait_until(lambda: "unreachable" in label.text())
    assert label.text() == "Store unreachable \N{EM DASH} the till keeps selling; 2 to send"
    assert label.property("state") == "unreachable"
    assert DOWN in label.toolTip()
    assert window.grab().save(str(shots / "store-unreachable.png"))

    link.down = False
    await wait_until(lambda: label.text() == "Store: up to date")
    link.refuse = TAKEN
    await journal.begin(charge("op3"))
    await wait_until(lambda: label.property("state") == "refused")
    assert label.text() == f"Store refused this lane: {TAKEN}"
    assert window.grab().save(str(shots / "store-refused.png"))

    task = window.store_task.task if window.store_task is not None else None
    assert task is not None
    window.close()  # the window's task stops with it; the lane drains at its exit
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    assert sync.on_status is None
    assert loop_errors == []
