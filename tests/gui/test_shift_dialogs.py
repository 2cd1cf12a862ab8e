"""The shift's dialogs over a real journal: the float counted note by note, cash paid in and
out (refused over what the drawer holds, said in the dialog), a no-sale with its reason
(the drawer opens), a blind count at close that is short by $1.35 and the Z report that
says so, and the report's PDF. Each dialog and the report are rendered to PNGs."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSpinBox, QWidget
from pytestqt.qtbot import QtBot

from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.report.shift import ShiftReportKind, build_shift_report, render_shift_text
from pos_app.domain.tickets import CashMovement, CashMovementKind, Shift, Ticket, TicketStatus
from pos_app.services.ports import Operation
from pos_app.services.shifts import ShiftService
from pos_app.storage.journal import SqliteJournal
from pos_app.ui.shift_dialogs import CashMovementDialog, ShiftCloseDialog, ShiftOpenDialog
from pos_app.ui.shift_report_view import ShiftReportView
from pos_app.ui.text import shift as text
from tests.support.gui import wait_until
from tests.support.shifts import LANE, AuditTrail, RecordingDrawer, shift_service

# Where the PNGs of the screens go (look at them); a temporary folder when unset.
SHOTS = os.environ.get("POS_SHOTS_DIR")


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[SqliteJournal]:
    with SqliteJournal(tmp_path / "journal.sqlite3") as opened:
        yield opened


@pytest.fixture
def drawer() -> RecordingDrawer:
    return RecordingDrawer()


@pytest.fixture
def trail() -> AuditTrail:
    return AuditTrail()


@pytest.fixture
def shifts(journal: SqliteJournal, drawer: RecordingDrawer, trail: AuditTrail) -> ShiftService:
    return shift_service(journal, drawer, trail=trail)


@pytest.fixture
def window(qtbot: QtBot) -> QWidget:
    till = QWidget()
    till.resize(1024, 768)
    qtbot.addWidget(till)
    till.show()
    return till


def shot(widget: QWidget, name: str, tmp_path: Path) -> Path:
    """Render `widget` to a PNG (in POS_SHOTS_DIR when set) and check it is not empty."""
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    for layout in (child.layout() for child in (widget, *widget.findChildren(QWidget))):
        if layout is not None:
            layout.activate()  # what the next paint would lay out, laid out now
    assert widget.grab().save(str(path))
    assert path.stat().st_size > 1000
    return path


def labels(widget: QWidget) -> str:
    """Every label's text in `widget`, visible or not."""
    return "\n".join(label.text() for label in widget.findChildren(QLabel))


async def open_with_float(shifts: ShiftService, cents: int) -> None:
    await shifts.open_shift(cents, person="Bob Marsh")


async def test_the_float_counted_note_by_note_opens_the_shift(
    qtbot: QtBot, window: QWidget, shifts: ShiftService, journal: SqliteJournal, tmp_path: Path
) -> None:
    async def submit(cents: int, count: Any) -> Any:
        return await shifts.open_shift(cents, person="Bob Marsh", count=count)

    dialog = ShiftOpenDialog(submit, window)
    asking = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    assert not dialog.count.table.isVisible()  # a typed total first
    dialog.count.set_by_denomination(True)
    assert dialog.count.table.isVisible()
    for cents, pieces in ((2000, 3), (500, 4), (25, 8)):
        spin = dialog.findChild(QSpinBox, f"count{cents}")
        spin.setValue(pieces)
    assert dialog.count.total_label.text() == "Counted: $82.00"
    assert dialog.count.line_labels[2000].text() == "$60.00"  # 3 x $20
    shot(dialog, "shift-open", tmp_path)
    qtbot.mouseClick(dialog.confirm_button, Qt.MouseButton.LeftButton)
    shift = await asking
    assert shift is not None
    assert shift.float_cents == 8200
    assert shift.opened_by == "Bob Marsh"
    stored = journal.current_shift(LANE)
    assert stored is not None
    assert stored.id == shift.id
    assert stored.float_count == {2000: 3, 500: 4, 25: 8}


async def test_a_float_that_is_not_an_amount_is_said_and_the_dialog_stays(
    qtbot: QtBot, window: QWidget, shifts: ShiftService
) -> None:
    async def submit(cents: int, count: Any) -> Any:
        return await shifts.open_shift(cents, person=None, count=count)

    dialog = ShiftOpenDialog(submit, window)
    asking = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    qtbot.keyClicks(dialog.count.total_edit, "ten")
    dialog.confirm_button.click()
    assert dialog.message_label.property("state") == "refused"
    assert dialog.message_label.text() == "Enter the amount as a number, like 12.50."
    assert dialog.isVisible()
    assert shifts.current() is None
    dialog.count.total_edit.setText("0")  # an empty drawer is a float too
    dialog.confirm_button.click()
    shift = await asking
    assert shift is not None
    assert shift.float_cents == 0


async def test_paid_out_over_the_cash_in_the_drawer_is_refused_in_the_dialog(
    qtbot: QtBot,
    window: QWidget,
    shifts: ShiftService,
    drawer: RecordingDrawer,
    journal: SqliteJournal,
    tmp_path: Path,
) -> None:
    await open_with_float(shifts, 5000)

    async def paid_in(cents: int, reason: str) -> Any:
        return await shifts.paid_in(cents, reason, person="Bob Marsh")

    dialog_in = CashMovementDialog(CashMovementKind.PAID_IN, paid_in, window)
    asking = asyncio.ensure_future(dialog_in.ask())
    await wait_until(dialog_in.isVisible)
    qtbot.keyClicks(dialog_in.amount_edit, "10.00")
    dialog_in.confirm_button.click()
    assert dialog_in.message_label.text() == text.REASON_NEEDED  # the reason is required
    qtbot.keyClicks(dialog_in.reason_edit, "Change from the bank")
    dialog_in.confirm_button.click()
    movement = await asking
    assert movement is not None
    assert (movement.kind, movement.amount_cents) == (CashMovementKind.PAID_IN, 1000)
    assert shifts.expected_cash() == 6000

    async def paid_out(cents: int, reason: str) -> Any:
        return await shifts.paid_out(cents, reason, person="Bob Marsh")

    dialog = CashMovementDialog(CashMovementKind.PAID_OUT, paid_out, window)
    asking = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    qtbot.keyClicks(dialog.amount_edit, "70.00")
    qtbot.keyClicks(dialog.reason_edit, "Flowers delivered")
    dialog.confirm_button.click()
    refused = "The drawer should hold only $60.00: no more can be paid out."
    await wait_until(lambda: dialog.message_label.text() == refused)
    assert dialog.isVisible()
    assert dialog.confirm_button.isEnabled()
    shot(dialog, "shift-paid-out-refused", tmp_path)
    dialog.amount_edit.setText("20.00")
    dialog.confirm_button.click()
    out = await asking
    assert out is not None
    assert (out.kind, out.amount_cents, out.reason) == (
        CashMovementKind.PAID_OUT,
        2000,
        "Flowers delivered",
    )
    assert shifts.expected_cash() == 4000
    assert drawer.opened == ["paid in", "paid out"]  # nothing opened for the refusal
    shift = shifts.current()
    assert shift is not None
    kinds = [m.kind for m in journal.cash_movements(shift_id=shift.id)]
    assert kinds == [CashMovementKind.PAID_IN, CashMovementKind.PAID_OUT]


async def test_a_no_sale_needs_a_reason_and_opens_the_drawer(
    qtbot: QtBot,
    window: QWidget,
    shifts: ShiftService,
    drawer: RecordingDrawer,
    journal: SqliteJournal,
    tmp_path: Path,
) -> None:
    await open_with_float(shifts, 10000)

    async def no_sale(cents: int, reason: str) -> Any:
        assert cents == 0
        return await shifts.no_sale(reason, person="Bob Marsh")

    dialog = CashMovementDialog(CashMovementKind.NO_SALE, no_sale, window)
    asking = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    assert not dialog.amount_edit.isVisible()  # a no-sale moves no money
    dialog.confirm_button.click()
    assert dialog.message_label.text() == text.REASON_NEEDED
    assert drawer.opened == []
    qtbot.keyClicks(dialog.reason_edit, "  Customer   needed change ")
    shot(dialog, "shift-no-sale", tmp_path)
    dialog.confirm_button.click()
    movement = await asking
    assert movement is not None
    assert movement.kind is CashMovementKind.NO_SALE
    assert movement.reason == "Customer needed change"
    assert drawer.opened == ["no sale"]
    assert [m.reason for m in journal.cash_movements(shift_id=movement.shift_id)] == [
        "Customer needed change"
    ]


async def test_the_close_is_a_blind_count_and_the_z_report_shows_it_short(
    qtbot: QtBot, window: QWidget, shifts: ShiftService, journal: SqliteJournal, tmp_path: Path
) -> None:
    await open_with_float(shifts, 10000)
    await shifts.paid_in(2000, "Change from the bank", person="Bob Marsh")
    await shifts.paid_out(500, "Window cleaner", person="Bob Marsh")
    await shifts.no_sale("Customer needed change", person="Bob Marsh")
    shift = shifts.current()
    assert shift is not None
    assert shifts.expected_cash() == 11500

    async def close(counted: Any) -> Any:
        return await shifts.close_shift(counted, person="Bob Marsh")

    dialog = ShiftCloseDialog(shift, close, window)
    asking = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    assert "$115.00" not in labels(dialog)  # what the till expects is not shown
    assert not dialog.confirm_button.isDefault()  # Enter while counting closes nothing
    assert dialog.count.table.isVisible()
    dialog.confirm_button.click()  # nothing counted yet
    assert dialog.message_label.text() == text.COUNT_NEEDED
    # $100 + $10 + $1 x 3 + 25c x 2 + 10c + 5c = $113.65: $1.35 short of $115.00
    for cents, pieces in ((10000, 1), (1000, 1), (100, 3), (25, 2), (10, 1), (5, 1)):
        dialog.count.set_count(cents, pieces)
    assert dialog.count.total_label.text() == "Counted: $113.65"
    qtbot.keyClick(dialog.count.spins[100], Qt.Key.Key_Return)
    assert dialog.slot.task is None  # Enter sent nothing
    assert dialog.isVisible()
    shot(dialog, "shift-close", tmp_path)
    dialog.confirm_button.click()
    report = await asking
    assert report is not None
    assert report.counted_cents == 11365
    assert report.expected_cash_cents == 11500
    assert report.over_short_cents == -135

    closed = journal.shift(shift.id)
    assert closed is not None
    assert not closed.is_open
    assert (closed.counted_cents, closed.expected_cents) == (11365, 11500)
    assert closed.count == {10000: 1, 1000: 1, 100: 3, 25: 2, 10: 1, 5: 1}
    assert shifts.current() is None

    view = ShiftReportView(report, window)
    view.open()
    await wait_until(view.isVisible)
    assert view.windowTitle() == text.Z_TITLE
    assert view.over_short_label.text() == ("Short by $1.35: the drawer holds less than expected.")
    assert view.over_short_label.property("overShort") == "short"
    rows = view.rows()
    assert (text.ROW_EXPECTED, "", "$115.00") in rows
    assert (text.ROW_COUNTED, "", "$113.65") in rows
    assert (text.ROW_SHORT, "", "-$1.35") in rows
    assert (text.ROW_FLOAT, "", "$100.00") in rows
    assert (text.ROW_PAID_IN, "1", "$20.00") in rows
    assert (text.ROW_PAID_OUT, "1", "-$5.00") in rows
    movements = [view.movements_list.item(i).text() for i in range(view.movements_list.count())]
    assert len(movements) == 3
    assert any("No sale" in line and "Customer needed change" in line for line in movements)
    assert any(
        "Paid out" in line and "$5.00" in line and "Window cleaner" in line for line in movements
    )
    shot(view, "shift-z-report", tmp_path)

    pdf = await view.save_pdf(tmp_path / "z.pdf")
    assert pdf is not None
    assert pdf.read_bytes().startswith(b"%PDF")
    assert view.document_text() == render_shift_text(report)
    view.accept()


async def test_a_sale_still_open_keeps_the_shift_open_and_the_dialog_says_why(
    window: QWidget, shifts: ShiftService, journal: SqliteJournal
) -> None:
    await open_with_float(shifts, 5000)
    shift = shifts.current()
    assert shift is not None
    now = datetime.now(UTC)
    await journal.add_ticket(
        Ticket(
            id="ticket-1",
            lane=LANE,
            status=TicketStatus.OPEN,
            lines=(),
            subtotal_cents=1200,
            sale_discount_cents=0,
            tax_cents=0,
            total_cents=1200,
            created_at=now,
            updated_at=now,
            shift_id=shift.id,
        )
    )

    async def close(counted: Any) -> Any:
        return await shifts.close_shift(counted, person=None)

    dialog = ShiftCloseDialog(shift, close, window)
    asking = asyncio.ensure_future(dialog.ask())
    await wait_until(dialog.isVisible)
    dialog.count.set_by_denomination(False)
    dialog.count.total_edit.setText("50.00")
    dialog.confirm_button.click()
    refused = "A sale of this shift is still open: finish it or cancel it first."
    await wait_until(lambda: dialog.message_label.text() == refused)
    assert dialog.isVisible()
    assert shifts.current() is not None
    dialog.reject()
    assert await asking is None


async def test_an_x_report_says_the_drawer_is_not_counted_yet(
    window: QWidget, shifts: ShiftService, tmp_path: Path
) -> None:
    await open_with_float(shifts, 10000)
    await shifts.paid_in(1500, "Change from the bank", person="Bob Marsh")
    view = ShiftReportView(shifts.x_report(), window)
    view.open()
    await wait_until(view.isVisible)
    assert view.windowTitle() == text.X_TITLE
    assert view.over_short_label.text() == text.OVER_SHORT_NOT_COUNTED
    assert view.over_short_label.property("overShort") == "uncounted"
    assert (text.ROW_EXPECTED, "", "$115.00") in view.rows()
    assert not any(row[0] == text.ROW_COUNTED for row in view.rows())
    shot(view, "shift-x-report", tmp_path)
    view.accept()


def _ticket(ticket_id: str, status: TicketStatus, total: int, **extra: Any) -> Ticket:
    at = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    return Ticket(
        id=ticket_id,
        lane=LANE,
        status=status,
        lines=(),
        subtotal_cents=total,
        sale_discount_cents=extra.pop("discount", 0),
        tax_cents=0,
        total_cents=total,
        created_at=at,
        updated_at=at,
        shift_id="shift-1",
        **extra,
    )


async def test_the_report_shows_card_brands_people_and_cash_given_back(
    window: QWidget, tmp_path: Path
) -> None:
    opened = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)
    closed_at = datetime(2026, 12, 4, 22, 0, tzinfo=UTC)
    shift = Shift(
        id="shift-1",
        lane=LANE,
        opened_at=opened,
        opened_by="Bob Marsh",
        float_cents=10000,
        closed_at=closed_at,
        closed_by="Ann Lee",
        counted_cents=11020,
        expected_cents=11000,
    )

    def moved(kind: CashMovementKind, cents: int, **extra: Any) -> CashMovement:
        return CashMovement(
            id=f"m-{kind.value}",
            shift_id="shift-1",
            kind=kind,
            amount_cents=cents,
            at=opened,
            **extra,
        )

    movements = [
        moved(CashMovementKind.SALE, 1500, ticket_id="t1", tendered_cents=2000, change_cents=500),
        moved(CashMovementKind.CANCEL_RETURN, 500, ticket_id="t3"),
    ]
    tickets = [
        _ticket("t1", TicketStatus.COMPLETE, 1500, served_by="Bob Marsh", discount=200),
        _ticket("t2", TicketStatus.COMPLETE, 2500, served_by="Ann Lee"),
        _ticket("t3", TicketStatus.CANCELLED, 1000, served_by="Bob Marsh"),
    ]

    def card(op_id: str, kind: PaymentKind, cents: int, status: str, **extra: Any) -> Operation:
        return Operation(
            id=op_id,
            kind=kind,
            amount_cents=cents,
            status=status,
            flow="payment_intent",
            shift_id="shift-1",
            created_at=opened,
            **extra,
        )

    operations = [
        card("c1", PaymentKind.CHARGE, 2500, "approved", card_brand="Visa", ticket_id="t2"),
        card(
            "c2",
            PaymentKind.CHARGE,
            1000,
            "approved",
            card_brand="Mastercard",
            served_by="Bob Marsh",
        ),
        card("c3", PaymentKind.CHARGE, 1200, "declined", card_brand="Visa"),
        card("r1", PaymentKind.REFUND, 300, "approved", card_brand="Visa"),
    ]
    report = build_shift_report(
        shift, movements, tickets, operations, kind=ShiftReportKind.Z, made_at=closed_at
    )
    view = ShiftReportView(report, window)
    view.open()
    await wait_until(view.isVisible)
    rows = view.rows()
    for row in (
        (text.ROW_CASH_SALES, "1", "$15.00"),
        (text.ROW_CASH_OUT_REFUNDS, "1", "-$5.00"),  # the cancelled sale's cash
        (text.ROW_COUNTED, "", "$110.20"),
        (text.ROW_OVER, "", "+$0.20"),
        (text.ROW_CARD, "2", "$35.00"),
        (text.ROW_DECLINED, "1", "-"),
        ("Mastercard", "1", "$10.00"),
        ("Visa", "1", "$25.00"),
        (text.ROW_CARD_REFUNDS, "1", "$3.00"),
        (text.ROW_CASH_RETURNED, "1", "$5.00"),
        (text.ROW_DISCOUNTS, "1", "$2.00"),
        (text.ROW_CANCELLED, "1", "$10.00"),
        ("Ann Lee", "1", "$25.00"),
        ("Bob Marsh", "2", "$25.00"),  # a ticket and a card sale without one
    ):
        assert row in rows
    assert view.over_short_label.text() == "Over by $0.20: the drawer holds more than expected."
    assert view.over_short_label.property("overShort") == "over"
    assert view.movements_list.item(0).text() == text.NO_MOVEMENTS
    shot(view, "shift-z-report-cards", tmp_path)
    view.accept()
