"""The shift service: a float in, cash in and out with reasons, the drawer counted at close.

On the journal's own tables in memory, a clock the test moves, a drawer that
records every opening and an audit trail that records every entry.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pos_app.domain.cart import Cart
from pos_app.domain.errors import InvalidInputError
from pos_app.domain.report.shift import ShiftReportKind
from pos_app.domain.tickets import CashMovementKind
from pos_app.services.audit_log import AuditAction
from pos_app.services.shifts import DRAWER_TROUBLE, ShiftService
from pos_app.storage.journal import SqliteJournal
from tests.support.manager import Clock
from tests.support.shifts import AuditTrail, RecordingDrawer

LANE = "till-1"


@pytest.fixture
def journal() -> Iterator[SqliteJournal]:
    with SqliteJournal(":memory:") as opened:
        yield opened


@pytest.fixture
def drawer() -> RecordingDrawer:
    return RecordingDrawer()


@pytest.fixture
def trail() -> AuditTrail:
    return AuditTrail()


@pytest.fixture
def shifts(
    journal: SqliteJournal, drawer: RecordingDrawer, trail: AuditTrail, clock: Clock
) -> ShiftService:
    return ShiftService(journal, drawer, lane=LANE, record=trail, now=clock)


# -- opening ---------------------------------------------------------------------------------


async def test_a_shift_opens_with_its_float_and_is_audited(
    shifts: ShiftService, trail: AuditTrail, clock: Clock
) -> None:
    assert shifts.current() is None
    assert shifts.expected_cash() == 0
    shift = await shifts.open_shift(10_000, person=" Ann ")
    assert shifts.current() == shift
    assert (shift.float_cents, shift.opened_by, shift.opened_at) == (10_000, "Ann", clock.now)
    assert shifts.expected_cash() == 10_000
    subject, detail = trail.last(AuditAction.SHIFT_OPENED)
    assert subject == shift.id
    assert detail == {"person": "Ann", "float_cents": 10_000}


async def test_an_empty_float_is_a_float_and_a_negative_one_is_refused(
    shifts: ShiftService,
) -> None:
    with pytest.raises(InvalidInputError, match="zero or more"):
        await shifts.open_shift(-1, person="Ann")
    assert shifts.current() is None
    shift = await shifts.open_shift(0, person=None)
    assert shift.float_cents == 0
    assert shift.opened_by is None


async def test_a_float_counted_note_by_note_must_add_up(shifts: ShiftService) -> None:
    with pytest.raises(InvalidInputError, match=r"\$95\.00, not \$100\.00"):
        await shifts.open_shift(10_000, person="Ann", count={5000: 1, 2000: 2, 500: 1})
    shift = await shifts.open_shift(10_000, person="Ann", count={5000: 1, 2000: 2, 1000: 1})
    assert shift.float_count == {5000: 1, 2000: 2, 1000: 1}
    assert shifts.current() is not None


async def test_a_second_shift_on_the_lane_is_refused(shifts: ShiftService) -> None:
    await shifts.open_shift(5000, person="Ann")
    with pytest.raises(InvalidInputError, match="already open"):
        await shifts.open_shift(5000, person="Bob")


async def test_another_lane_on_the_same_journal_opens_its_own_shift(
    shifts: ShiftService, journal: SqliteJournal, drawer: RecordingDrawer, trail: AuditTrail
) -> None:
    await shifts.open_shift(5000, person="Ann")
    other = ShiftService(journal, drawer, lane="till-2", record=trail)
    assert other.current() is None
    await other.open_shift(2000, person="Bob")
    assert shifts.expected_cash() == 5000
    assert other.expected_cash() == 2000


# -- cash outside sales ------------------------------------------------------------------------


async def test_no_sale_paid_in_and_paid_out_need_an_open_shift(
    shifts: ShiftService, drawer: RecordingDrawer
) -> None:
    for action in (
        shifts.no_sale("change for the bank", person="Ann"),
        shifts.paid_in(500, "change from the bank", person="Ann"),
        shifts.paid_out(500, "window cleaner", person="Ann"),
    ):
        with pytest.raises(InvalidInputError, match="No shift is open"):
            await action
    assert drawer.opened == []


@pytest.mark.parametrize("reason", ["", "   "])
async def test_every_drawer_opening_needs_a_reason(shifts: ShiftService, reason: str) -> None:
    await shifts.open_shift(5000, person="Ann")
    with pytest.raises(InvalidInputError, match="Say why"):
        await shifts.no_sale(reason, person="Ann")
    with pytest.raises(InvalidInputError, match="Say why"):
        await shifts.paid_in(100, reason, person="Ann")
    with pytest.raises(InvalidInputError, match="Say why"):
        await shifts.paid_out(100, reason, person="Ann")
    with pytest.raises(InvalidInputError, match="under 80"):
        await shifts.no_sale("x" * 81, person="Ann")


async def test_movements_open_the_drawer_change_the_expected_cash_and_are_audited(
    shifts: ShiftService, drawer: RecordingDrawer, trail: AuditTrail
) -> None:
    shift = await shifts.open_shift(5000, person="Ann")
    no_sale = await shifts.no_sale(" customer wanted change ", person="Ann")
    paid_in = await shifts.paid_in(2500, "change from the bank", person="Ann")
    paid_out = await shifts.paid_out(
        1200, "window cleaner", person="Cal", approved_by="Mia Manager"
    )
    assert (no_sale.kind, no_sale.amount_cents, no_sale.reason) == (
        CashMovementKind.NO_SALE,
        0,
        "customer wanted change",
    )
    assert paid_in.signed_cents == 2500
    assert paid_out.signed_cents == -1200
    assert paid_out.approved_by == "Mia Manager"
    assert {m.shift_id for m in (no_sale, paid_in, paid_out)} == {shift.id}
    assert shifts.expected_cash() == 5000 + 2500 - 1200
    assert drawer.opened == ["no sale", "paid in", "paid out"]
    assert shifts.drawer_trouble is None
    _subject, detail = trail.last(AuditAction.NO_SALE)
    assert detail["reason"] == "customer wanted change"
    assert detail["person"] == "Ann"
    subject, detail = trail.last(AuditAction.PAID_OUT)
    assert subject == paid_out.id
    assert detail == {
        "person": "Cal",
        "amount_cents": 1200,
        "reason": "window cleaner",
        "shift_id": shift.id,
        "approved_by": "Mia Manager",
    }
    assert "approved_by" not in trail.last(AuditAction.PAID_IN)[1]


async def test_paid_out_never_takes_more_than_the_drawer_should_hold(
    shifts: ShiftService, drawer: RecordingDrawer
) -> None:
    await shifts.open_shift(5000, person="Ann")
    await shifts.paid_in(1000, "change", person="Ann")
    with pytest.raises(InvalidInputError, match=r"only \$60\.00"):
        await shifts.paid_out(6001, "too much", person="Ann")
    assert shifts.expected_cash() == 6000
    await shifts.paid_out(6000, "everything to the bank", person="Ann")
    assert shifts.expected_cash() == 0
    with pytest.raises(InvalidInputError, match=r"only \$0\.00"):
        await shifts.paid_out(1, "one more cent", person="Ann")
    assert drawer.opened == ["paid in", "paid out"]


@pytest.mark.parametrize("amount", [0, -100])
async def test_paid_in_and_out_need_an_amount(shifts: ShiftService, amount: int) -> None:
    await shifts.open_shift(5000, person="Ann")
    with pytest.raises(InvalidInputError, match="above zero"):
        await shifts.paid_in(amount, "change", person="Ann")
    with pytest.raises(InvalidInputError, match="above zero"):
        await shifts.paid_out(amount, "change", person="Ann")
    assert shifts.expected_cash() == 5000


async def test_a_drawer_that_does_not_open_is_said_and_undoes_nothing(
    shifts: ShiftService, drawer: RecordingDrawer, trail: AuditTrail
) -> None:
    await shifts.open_shift(5000, person="Ann")
    drawer.jammed = True
    movement = await shifts.paid_in(700, "change", person="Ann")
    assert shifts.drawer_trouble == DRAWER_TROUBLE
    assert shifts.expected_cash() == 5700
    assert trail.last(AuditAction.PAID_IN)[0] == movement.id
    assert await shifts.open_drawer("no sale") == DRAWER_TROUBLE
    drawer.jammed = False
    assert await shifts.open_drawer("no sale") is None
    assert shifts.drawer_trouble is None


async def test_a_drawer_with_a_bug_is_still_only_a_sentence(
    shifts: ShiftService, drawer: RecordingDrawer, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(reason: str) -> None:
        raise RuntimeError("bug in the drawer")

    monkeypatch.setattr(drawer, "open", broken)
    assert await shifts.open_drawer("sale") == DRAWER_TROUBLE


# -- closing -----------------------------------------------------------------------------------


async def test_closing_counts_the_drawer_and_says_over_or_short(
    shifts: ShiftService, trail: AuditTrail, clock: Clock
) -> None:
    shift = await shifts.open_shift(10_000, person="Ann")
    await shifts.paid_in(2_000, "change", person="Ann")
    await shifts.paid_out(500, "milk", person="Ann")
    clock.advance(hours=8)
    report = await shifts.close_shift(11_450, person="Bob")
    assert report.kind is ShiftReportKind.Z
    assert (report.expected_cash_cents, report.counted_cents, report.over_short_cents) == (
        11_500,
        11_450,
        -50,
    )
    closed = report.shift
    assert closed.id == shift.id
    assert (closed.closed_by, closed.closed_at) == ("Bob", clock.now)
    assert shifts.current() is None
    assert shifts.recent()[0].over_short_cents == -50
    subject, detail = trail.last(AuditAction.SHIFT_CLOSED)
    assert subject == shift.id
    assert detail == {
        "person": "Bob",
        "counted_cents": 11_450,
        "expected_cents": 11_500,
        "over_short_cents": -50,
        "by_denomination": False,
    }


async def test_closing_by_denomination_keeps_the_count(shifts: ShiftService) -> None:
    await shifts.open_shift(5_000, person="Ann")
    report = await shifts.close_shift({2000: 2, 1000: 1, 25: 4, 1: 3}, person="Ann")
    assert report.counted_cents == 5_103
    assert report.over_short_cents == 103
    assert report.shift.count == {2000: 2, 1000: 1, 25: 4, 1: 3}


async def test_a_bad_count_is_refused_and_the_shift_stays_open(shifts: ShiftService) -> None:
    await shifts.open_shift(5_000, person="Ann")
    with pytest.raises(InvalidInputError):
        await shifts.close_shift({300: 1}, person="Ann")
    with pytest.raises(InvalidInputError, match="zero or more"):
        await shifts.close_shift(-5, person="Ann")
    assert shifts.current() is not None


async def test_closing_without_a_shift_is_refused(shifts: ShiftService) -> None:
    with pytest.raises(InvalidInputError, match="No shift is open"):
        await shifts.close_shift(0, person="Ann")


async def test_a_shift_with_an_open_sale_does_not_close(
    shifts: ShiftService, journal: SqliteJournal, clock: Clock
) -> None:
    from dataclasses import replace

    from pos_app.domain.tickets import Ticket, TicketStatus

    shift = await shifts.open_shift(5_000, person="Ann")
    cart = Cart().add_amount(1_000)
    ticket = Ticket(
        id="t-1",
        lane=LANE,
        status=TicketStatus.OPEN,
        lines=cart.ticket_lines(),
        subtotal_cents=1_000,
        sale_discount_cents=0,
        tax_cents=0,
        total_cents=1_000,
        created_at=clock.now,
        updated_at=clock.now,
        shift_id=shift.id,
    )
    await journal.add_ticket(ticket)
    with pytest.raises(InvalidInputError, match="still open"):
        await shifts.close_shift(5_000, person="Ann")
    # Another lane's open sale does not hold this one's shift.
    await journal.add_ticket(replace(ticket, id="t-2", lane="till-2", shift_id=None))
    await journal.set_ticket_status("t-1", TicketStatus.CANCELLED, at=clock.now)
    report = await shifts.close_shift(5_000, person="Ann")
    assert report.over_short_cents == 0
    assert report.cancelled.count == 1


# -- reports -----------------------------------------------------------------------------------


async def test_x_report_needs_an_open_shift_and_report_finds_the_last_one(
    shifts: ShiftService, clock: Clock
) -> None:
    with pytest.raises(InvalidInputError, match="No shift is open"):
        shifts.x_report()
    with pytest.raises(InvalidInputError, match="No shift has been opened"):
        shifts.report()
    first = await shifts.open_shift(1_000, person="Ann")
    await shifts.no_sale("count check", person="Ann")
    x = shifts.x_report()
    assert x.kind is ShiftReportKind.X
    assert x.counted_cents is None
    assert [m.reason for m in x.no_sales] == ["count check"]
    assert shifts.report().kind is ShiftReportKind.X
    clock.advance(hours=1)
    await shifts.close_shift(1_000, person="Ann")
    last = shifts.report()
    assert (last.kind, last.shift.id) == (ShiftReportKind.Z, first.id)
    second = await shifts.open_shift(2_000, person="Bob")
    assert shifts.report().shift.id == second.id
    assert shifts.report(first.id).kind is ShiftReportKind.Z
    assert [s.id for s in shifts.recent()] == [second.id, first.id]
    with pytest.raises(InvalidInputError, match="not on this lane"):
        shifts.report("no-such-shift")


async def test_an_audit_log_that_fails_after_the_cash_moved_does_not_undo_it(
    journal: SqliteJournal, drawer: RecordingDrawer, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(action: AuditAction, subject: str | None, detail: object) -> None:
        raise OSError("disk full")

    shifts = ShiftService(journal, drawer, lane=LANE, record=broken, now=clock)
    await shifts.open_shift(1_000, person="Ann")
    movement = await shifts.paid_in(500, "change", person="Ann")
    # Journaled once, and the cashier is not told to do it again.
    assert shifts.expected_cash() == 1_500
    assert journal.cash_movements(shift_id=movement.shift_id) == [movement]
    assert drawer.opened == ["paid in"]
    assert "paid_in" in caplog.text
    assert "could not be written" in caplog.text
