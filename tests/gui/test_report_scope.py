"""The end of day on a lane in a store: the whole store, this lane or another, read from
the store with every lane's audit head; a store that cannot be reached said in one
sentence, with this lane's own report a press away."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone, tzinfo

from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.report import DayReport, JustifiPayment, build_day_report
from pos_app.services.ports import Operation
from pos_app.services.store_ports import StoreRefusedError, StoreUnavailableError
from pos_app.ui.report_view import EndOfDayDialog
from pos_app.ui.text import report_scope as text
from tests.support.gui import wait_until

TZ = timezone(timedelta(hours=-5))
DAY = date(2025, 3, 14)
NOON = datetime(2025, 3, 14, 12, tzinfo=TZ)
HEADS = {"lane-1": "412:3f7a9c", "lane-2": "88:9b1c0d"}


def sale(number: int, amount: int, lane: str) -> Operation:
    return Operation(
        id=f"op-{number}",
        kind=PaymentKind.CHARGE,
        amount_cents=amount,
        status="approved",
        flow="payment_intent",
        lane=lane,
        sale_id=f"pi_{number}",
        payment_id=f"py_{number}",
        card_brand="Visa",
        card_last4="4242",
        created_at=NOON,
        updated_at=NOON,
    )


OPS = [sale(1, 2000, "lane-1"), sale(2, 1500, "lane-2"), sale(3, 700, "lane-3")]
PAYMENTS = [
    JustifiPayment(op.payment_id or "", op.amount_cents, 0, "succeeded", NOON, "Visa", "4242")
    for op in OPS
]


class FakeStore:
    """The store's end of day as the dialog sees it (`StoreViewService`): every lane's
    payments matched, the heads of the lanes covered; `down` or `refusal` fails."""

    def __init__(self) -> None:
        self.calls: list[tuple[date, str | None]] = []
        self.down = False
        self.refusal: str | None = None
        self.lane_names = ["lane-3", "lane-1", "lane-2"]
        self.lanes_down = False
        self.gate: asyncio.Event | None = None

    async def day_report(
        self, day: date, lane: str | None = None, tz: tzinfo | None = None
    ) -> DayReport:
        self.calls.append((day, lane))
        if self.gate is not None:
            await self.gate.wait()
        if self.down:
            raise StoreUnavailableError("the store's database at store-server cannot be reached")
        if self.refusal is not None:
            raise StoreRefusedError(self.refusal)
        covered = [lane] if lane else sorted({op.lane or "" for op in OPS})
        heads = "; ".join(f"{name} {HEADS[name]}" for name in covered if name in HEADS)
        lanes = None if lane is None else (lane,)
        return build_day_report(day, OPS, PAYMENTS, lanes=lanes, tz=TZ, audit_head=heads)

    async def lanes(self) -> list[str]:
        if self.lanes_down:
            raise StoreUnavailableError("the store's database at store-server cannot be reached")
        return list(self.lane_names)


class OwnJournal:
    """This lane's own report (its journal): the other lanes' payments are differences."""

    def __init__(self) -> None:
        self.calls: list[tuple[date, str | None]] = []

    async def __call__(self, day: date, lane: str | None) -> DayReport:
        self.calls.append((day, lane))
        mine = [op for op in OPS if op.lane == "lane-1"]
        return build_day_report(day, mine, PAYMENTS, lanes=(lane or "lane-1",), tz=TZ)


def make(qtbot: QtBot, store: FakeStore, own: OwnJournal) -> EndOfDayDialog:
    dialog = EndOfDayDialog(own, day=DAY, lanes=["lane-1"], lane="lane-1", store=store)
    qtbot.addWidget(dialog)
    return dialog


async def loaded(dialog: EndOfDayDialog) -> DayReport | None:
    task = dialog.slot.task
    assert task is not None
    result: DayReport | None = await task
    return result


def items(combo: QComboBox) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


async def test_the_store_s_day_lists_every_lane_and_each_audit_head(qtbot: QtBot) -> None:
    store, own = FakeStore(), OwnJournal()
    dialog = make(qtbot, store, own)
    dialog.show()
    report = await loaded(dialog)
    assert report is not None
    assert store.calls == [(DAY, None)]  # the whole store first
    assert own.calls == []
    assert not dialog.lane_combo.isVisible()
    assert dialog.scope is not None
    combo = dialog.scope.combo
    assert combo.isVisible()
    await wait_until(lambda: combo.count() == 4)
    assert items(combo) == ["Whole store", "This lane (lane-1)", "Lane lane-2", "Lane lane-3"]
    assert combo.currentIndex() == 0
    assert not report.differences  # another lane's payment is the store's, not a difference
    assert [summary.lane for summary in report.lanes] == ["lane-1", "lane-2", "lane-3"]
    assert dialog.audit_head_label.isVisible()
    assert dialog.audit_head_label.text() == ("Audit heads: lane-1 412:3f7a9c  ·  lane-2 88:9b1c0d")
    assert dialog.suggested_name("csv") == "end-of-day-2025-03-14-store.csv"

    combo.setCurrentIndex(2)
    await loaded(dialog)
    assert store.calls[-1] == (DAY, "lane-2")
    assert dialog.audit_head_label.text() == "Audit heads: lane-2 88:9b1c0d"
    assert dialog.suggested_name("pdf") == "end-of-day-2025-03-14-lane-2.pdf"
    combo.setCurrentIndex(1)
    await loaded(dialog)
    assert store.calls[-1] == (DAY, "lane-1")
    assert own.calls == []


async def test_an_unreachable_store_is_one_sentence_and_offers_this_lane_s_own_report(
    qtbot: QtBot,
) -> None:
    store, own = FakeStore(), OwnJournal()
    dialog = make(qtbot, store, own)
    dialog.show()
    await loaded(dialog)
    assert dialog.summary_table.rowCount() > 0
    assert not dialog.own_records_button.isVisible()

    store.down = True
    dialog.refresh_button.click()
    assert await loaded(dialog) is None
    assert dialog.status_label.text() == text.STORE_UNREACHABLE
    assert dialog.summary_table.rowCount() == 0  # nothing stale under the sentence
    assert dialog.report is None
    assert not dialog.csv_button.isEnabled()
    assert dialog.own_records_button.isVisible()

    dialog.own_records_button.click()
    report = await loaded(dialog)
    assert report is not None
    assert own.calls == [(DAY, "lane-1")]
    assert dialog.scope is not None
    assert dialog.scope.combo.currentText() == "This lane (lane-1)"
    assert dialog.scope_note_label.isVisible()
    assert dialog.scope_note_label.text() == text.OWN_RECORDS_NOTE
    assert not dialog.own_records_button.isVisible()
    assert dialog.summary_table.rowCount() > 0
    assert dialog.csv_button.isEnabled()

    store.down = False
    dialog.refresh_button.click()  # the store again, for this lane
    await loaded(dialog)
    assert store.calls[-1] == (DAY, "lane-1")
    assert not dialog.scope_note_label.isVisible()
    assert len(own.calls) == 1


async def test_a_store_that_refuses_says_why_and_the_lanes_it_could_not_list(
    qtbot: QtBot,
) -> None:
    store, own = FakeStore(), OwnJournal()
    store.refusal = (
        "The store's database was set up by a newer pos-app (schema 2); update this lane."
    )
    store.lanes_down = True
    dialog = make(qtbot, store, own)
    dialog.show()
    assert await loaded(dialog) is None
    assert dialog.status_label.text() == (
        "The store's database was set up by a newer pos-app (schema 2); update this lane."
        " This lane's own report, from its journal, can be shown."
    )
    assert dialog.own_records_button.isVisible()
    assert dialog.scope is not None
    lanes_task = dialog.lanes_slot.task
    assert lanes_task is not None
    assert await lanes_task == []
    assert items(dialog.scope.combo) == ["Whole store", "This lane (lane-1)"]

    store.lanes_down = False  # shown again later: the lanes are asked for again
    dialog.reject()
    dialog.show()
    await wait_until(lambda: dialog.scope is not None and dialog.scope.lanes_listed)
    assert items(dialog.scope.combo) == [
        "Whole store",
        "This lane (lane-1)",
        "Lane lane-2",
        "Lane lane-3",
    ]


async def test_picking_another_scope_while_one_loads_replaces_it(qtbot: QtBot) -> None:
    store, own = FakeStore(), OwnJournal()
    store.gate = asyncio.Event()
    dialog = make(qtbot, store, own)
    dialog.show()
    first = dialog.slot.task
    await wait_until(lambda: store.calls == [(DAY, None)])
    assert dialog.status_label.text() == text.STORE_LOADING
    assert dialog.scope is not None
    dialog.scope.combo.setCurrentIndex(1)
    store.gate.set()
    report = await loaded(dialog)
    assert first is not None
    assert first.cancelled()
    assert report is not None
    assert report.lane_filter == ("lane-1",)


async def test_a_lane_without_a_store_has_no_scope(qtbot: QtBot) -> None:
    own = OwnJournal()
    dialog = EndOfDayDialog(own, day=DAY, lanes=["lane-1"], lane="lane-1")
    qtbot.addWidget(dialog)
    dialog.show()
    await loaded(dialog)
    assert dialog.scope is None
    assert dialog.findChild(QComboBox, "reportScopeCombo") is None
    assert dialog.lane_combo.isVisible()
    assert own.calls == [(DAY, "lane-1")]
    assert not dialog.own_records_button.isVisible()
