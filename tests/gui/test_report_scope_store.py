"""The end of day on a lane in a store, against the throwaway PostgreSQL: two lanes' sales
sent by the link, read by the store's view, shown for the whole store and for one lane
with the lanes' audit heads; a store that cannot be reached is one sentence."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date

import pytest
from pytestqt.qtbot import QtBot

from pos_app.domain.report import DayReport
from pos_app.services.reports import ReportSettings
from pos_app.services.store_view import StoreViewService
from pos_app.storage.store.connection import store_address
from pos_app.storage.store.link import PgStoreLink
from pos_app.storage.store.reads import PgStoreView
from pos_app.ui.report_view import EndOfDayDialog
from pos_app.ui.text import report_scope as text
from tests.support.postgres import free_port
from tests.support.store_records import LANE_1, LANE_2, T0, audit, operation

DAY = T0.date()


@pytest.fixture
async def two_lanes(store_url: str) -> AsyncIterator[StoreViewService]:
    """A store where lane-1 sold $12.50 and lane-2 $30.00, each with an audit entry."""
    link = PgStoreLink(store_address(store_url, None))
    try:
        await link.send(
            LANE_1,
            [operation("op-1", "approved", 1, payment_id="py_1", card_brand="Visa"), audit(1)],
            0,
        )
        second = operation("op-2", "approved", 2, amount_cents=3000, payment_id="py_2")
        await link.send(LANE_2, [second, audit(1), audit(2)], 0)
    finally:
        await link.close()
    view = PgStoreView(store_address(store_url, None))
    yield StoreViewService(view, None, ReportSettings(tz=UTC))
    await view.close()


async def own_journal(day: date, lane: str | None) -> DayReport:
    raise AssertionError("the store answers: this lane's journal is not read")


async def test_the_store_s_day_and_one_lane_s_come_from_the_store(
    qtbot: QtBot, two_lanes: StoreViewService
) -> None:
    dialog = EndOfDayDialog(own_journal, day=DAY, lane="lane-1", store=two_lanes)
    qtbot.addWidget(dialog)
    dialog.show()
    task = dialog.slot.task
    assert task is not None
    report = await task
    assert report is not None
    assert [(s.lane, s.totals.net_cents) for s in report.lanes] == [
        ("lane-1", 1250),
        ("lane-2", 3000),
    ]
    assert dialog.summary_table.item(0, 0).text() == "lane-1"
    head = dialog.audit_head_label.text()
    assert head.startswith("Audit heads: lane-1 1:")
    assert " lane-2 2:" in head
    lanes = dialog.lanes_slot.task
    assert lanes is not None
    assert await lanes == ["lane-1", "lane-2"]
    assert dialog.scope is not None
    dialog.scope.combo.setCurrentIndex(dialog.scope.combo.findData("lane-2"))
    task = dialog.slot.task
    assert task is not None
    report = await task
    assert report is not None
    assert report.lane_filter == ("lane-2",)
    assert [s.lane for s in report.lanes] == ["lane-2"]
    assert dialog.audit_head_label.text().startswith("Audit heads: lane-2 2:")


async def test_a_store_that_cannot_be_reached_is_one_sentence(qtbot: QtBot) -> None:
    address = store_address(f"postgresql://pos@127.0.0.1:{free_port()}/pos_store", None)
    view = PgStoreView(address, connect_timeout=1.0)
    service = StoreViewService(view, None, ReportSettings(tz=UTC))
    dialog = EndOfDayDialog(own_journal, day=DAY, lane="lane-1", store=service)
    qtbot.addWidget(dialog)
    dialog.show()
    task = dialog.slot.task
    assert task is not None
    assert await task is None
    assert dialog.status_label.text() == text.STORE_UNREACHABLE
    assert dialog.own_records_button.isVisible()
    await view.close()
