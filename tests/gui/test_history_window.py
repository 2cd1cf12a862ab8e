"""The history window: paging over the journal, filters, JustiFi's other lanes, one refund
per press. Against the real sandbox where JustiFi is involved."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from pos_app.domain.payment_flow import PaymentKind
from pos_app.justifi.client import JustifiClient
from pos_app.justifi.payments_list import JustifiPaymentsSource
from pos_app.services.history import HistoryRow, HistoryService, matches
from pos_app.services.manager import ManagerService
from pos_app.services.ports import HistoryQuery, Operation
from pos_app.storage.audit import SqliteAuditLog
from pos_app.storage.journal import SqliteJournal
from pos_app.ui.history_model import HistoryColumn, person_text
from pos_app.ui.history_window import HistoryWindow
from tests.support.gui import wait_until
from tests.support.lanes import TestLane, collect, lane
from tests.support.manager import FAST_SCRYPT
from tests.support.sandbox import SandboxHandle

TODAY = datetime.now().astimezone().date()


def sale(number: int, at: datetime, *, amount: int = 1000, last4: str = "4242") -> Operation:
    return Operation(
        id=f"op-{number:06d}",
        kind=PaymentKind.CHARGE,
        amount_cents=amount,
        status="approved",
        flow="payment_intent",
        terminal_id="trm_front",
        description=f"Sale {number}",
        lane="front",
        sale_id=f"pi_{number:06d}",
        payment_id=f"py_{number:06d}",
        card_brand="Visa",
        card_last4=last4,
        created_at=at,
        updated_at=at,
    )


async def no_details(_ref: str) -> Any:
    raise AssertionError("not asked in this test")


def signed_in_manager(tmp_path: Path) -> ManagerService:
    audit = SqliteAuditLog(tmp_path / "audit.sqlite3")
    manager = ManagerService(audit, audit, lane="test", scrypt=FAST_SCRYPT)
    manager.create_owner("Manager", "258025")  # signs the owner in
    return manager


@asynccontextmanager
async def history_window(
    qtbot: Any, service: HistoryService, tmp_path: Path
) -> AsyncIterator[HistoryWindow]:
    window = HistoryWindow(service, signed_in_manager(tmp_path), today=TODAY, search_pause_ms=1)
    qtbot.addWidget(window)
    window.show()
    window.search()
    try:
        yield window
    finally:
        window.close()


async def test_the_journal_pages_and_filters(qtbot: Any, tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "journal.sqlite3")
    start = datetime.now(UTC) - timedelta(hours=12)
    await journal.begin_many(
        sale(n, start + timedelta(seconds=n), amount=1000 + n % 7, last4=f"{n % 10:04d}")
        for n in range(1000)
    )
    service = HistoryService(journal, None, no_details)
    async with history_window(qtbot, service, tmp_path) as window:
        model = window.model
        assert model.rowCount() == 200  # one page, not 1,000 rows
        assert model.canFetchMore()
        first = model.row_at(0)
        assert first is not None
        assert first.id == "op-000999"  # newest first
        model.fetchMore()
        assert model.rowCount() == 400
        assert "scroll for more" in window.count_label.text()

        qtbot.keyClicks(window.amount_edit, "10.03")
        await wait_until(lambda: model.rowCount() < 400)
        rows = [model.row_at(r) for r in range(model.rowCount())]
        assert all(row is not None and row.amount_cents == 1003 for row in rows)
        assert len(rows) == len([n for n in range(1000) if n % 7 == 3])

        window.amount_edit.clear()
        qtbot.keyClicks(window.last4_edit, "0007")
        await wait_until(lambda: model.rowCount() == 100)
        assert {model.row_at(r).card_last4 for r in range(100)} == {"0007"}  # type: ignore[union-attr]

        qtbot.keyClicks(window.search_edit, "py_000517")
        await wait_until(lambda: model.rowCount() == 1)
        assert model.row_at(0).id == "op-000517"  # type: ignore[union-attr]

        window.last4_edit.setText("12")
        window.search()
        assert "last four digits" in window.count_label.text()
    journal.close()


async def test_the_person_column_and_filter(qtbot: Any, tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "journal.sqlite3")
    start = datetime.now(UTC) - timedelta(hours=2)
    people = ("Ann", "Bea", None)
    await journal.begin_many(
        replace(sale(n, start + timedelta(minutes=n)), served_by=people[n % 3]) for n in range(9)
    )
    refund = replace(
        sale(9, start + timedelta(minutes=9)),
        kind=PaymentKind.REFUND,
        served_by="Ann",
        approved_by="Zoë",
    )
    await journal.begin(refund)
    service = HistoryService(journal, None, no_details)
    async with history_window(qtbot, service, tmp_path) as window:
        model = window.model
        assert (
            model.headerData(
                HistoryColumn.PERSON, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole
            )
            == "Person"
        )
        column = [model.data(model.index(r, HistoryColumn.PERSON)) for r in range(model.rowCount())]
        assert column[:4] == ["Ann (approved by Zoë)", "", "Bea", "Ann"]
        combo = window.person_combo
        assert [combo.itemText(i) for i in range(combo.count())] == [
            "Anyone", "Ann", "Bea", "Zoë"
        ]  # fmt: skip

        combo.setCurrentIndex(combo.findText("Zoë"))
        await wait_until(lambda: model.rowCount() == 1)
        assert model.row_at(0).id == "op-000009"  # type: ignore[union-attr]

        combo.setCurrentIndex(combo.findText("Ann"))
        await wait_until(lambda: model.rowCount() == 4)
        assert {model.row_at(r).served_by for r in range(4)} == {"Ann"}  # type: ignore[union-attr]

        window.select_row(0)
        await wait_until(lambda: "Approved by" in window.detail.toPlainText())
        assert "Served by" in window.detail.toPlainText()

        await journal.begin(replace(sale(10, start + timedelta(minutes=10)), served_by="ann"))
        window.refresh_people()  # a new spelling keeps the choice
        assert combo.currentText() == "ann"
        combo.setCurrentIndex(0)
        await wait_until(lambda: model.rowCount() == 11)
    journal.close()


def test_a_row_only_justifi_knows_has_no_person() -> None:
    at = datetime.now(UTC)
    row = HistoryRow(
        id="py_1", kind="charge", amount_cents=100, status="approved", created_at=at, lane=None
    )
    assert matches(row, HistoryQuery())
    assert not matches(row, HistoryQuery(person="Ann"))
    assert matches(replace(row, served_by="ANN"), HistoryQuery(person=" ann"))
    assert matches(replace(row, approved_by="Ann"), HistoryQuery(person="ann"))
    assert person_text(row) == ""
    assert person_text(replace(row, approved_by="Bea")) == "approved by Bea"
    assert person_text(replace(row, served_by="Bea", approved_by="bea")) == "Bea"


@asynccontextmanager
async def sandbox_history(
    sandbox: SandboxHandle, tmp_path: Path
) -> AsyncIterator[tuple[TestLane, HistoryService]]:
    async with lane(sandbox.url, tmp_path / "journal.sqlite3") as test_lane:
        source = JustifiPaymentsSource(JustifiClient(test_lane.http))
        yield (
            test_lane,
            HistoryService(test_lane.journal, source, test_lane.service.payment_details),
        )


async def charge_here(test_lane: TestLane, sandbox: SandboxHandle, amount: int) -> Operation:
    run = await test_lane.service.charge(amount, "trm_side")  # the customer taps by itself
    states = await collect(run)
    assert states[-1].name.value == "approved"
    op = test_lane.journal.get(run.operation.id)
    assert op is not None
    return op


async def test_a_sale_from_another_lane_is_found_through_justifi(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with sandbox_history(sandbox, tmp_path) as (test_lane, service):
        here = await charge_here(test_lane, sandbox, 1500)
        elsewhere = sandbox.paid_intent(2750, card="mastercard")  # rung on another lane
        async with history_window(qtbot, service, tmp_path) as window:
            await wait_until(lambda: window.model.remote_count == 1)
            rows: list[HistoryRow] = [
                window.model.row_at(r)  # type: ignore[misc]
                for r in range(window.model.rowCount())
            ]
            assert [row.is_remote for row in rows] == [True, False]  # newest first
            remote, local = rows
            assert remote.amount_cents == 2750
            assert remote.sale_id == elsewhere["id"]
            assert remote.card_last4 == "4444"
            assert remote.status == "approved"
            assert local.id == here.id
            assert "1 more found at JustiFi" in window.count_label.text()

            assert here.card_last4 not in (None, "4444")
            qtbot.keyClicks(window.last4_edit, here.card_last4)  # JustiFi's rows filter too
            await wait_until(lambda: "no other sales" in window.count_label.text())
            assert window.model.row_at(0).id == here.id  # type: ignore[union-attr]


async def test_refund_is_requested_once_per_press(
    qtbot: Any, sandbox: SandboxHandle, tmp_path: Path
) -> None:
    async with sandbox_history(sandbox, tmp_path) as (test_lane, service):
        here = await charge_here(test_lane, sandbox, 1500)
        async with history_window(qtbot, service, tmp_path) as window:
            requested: list[HistoryRow] = []
            window.refund_requested.connect(requested.append)
            await wait_until(lambda: window.model.rowCount() == 1)
            window.select_row(0)
            await wait_until(window.refund_button.isEnabled)
            assert "Can be refunded" in window.detail.toPlainText()
            assert "$15.00" in window.detail.toPlainText()
            qtbot.mouseClick(window.refund_button, Qt.MouseButton.LeftButton)
            qtbot.mouseClick(window.refund_button, Qt.MouseButton.LeftButton)
            qtbot.mouseDClick(window.refund_button, Qt.MouseButton.LeftButton)
            assert [row.id for row in requested] == [here.id]


def test_dates_default_to_the_last_thirty_days(qtbot: Any, tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "journal.sqlite3")
    service = HistoryService(journal, None, no_details)
    window = HistoryWindow(service, signed_in_manager(tmp_path), today=date(2026, 11, 29))
    qtbot.addWidget(window)
    query = window.query()
    assert not isinstance(query, str)
    assert query.since is not None
    assert query.until is not None
    assert query.since.date() == date(2026, 10, 30)
    assert query.until.date() == date(2026, 11, 30)
    window.from_date.setDate(window.to_date.date().addDays(1))
    assert window.query() == "The From date is after the To date."
    window.close()
    journal.close()
