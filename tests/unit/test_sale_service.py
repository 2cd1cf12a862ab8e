"""The sale service: a sale (ticket) paid in parts, its cash, its card parts' accounting,
cancelling, cash refunds and what a crash leaves.

On the journal's own tables in memory, a clock the test moves, a drawer and an
audit trail that record, and a JustiFi stand-in that answers payment look-ups,
voids and refunds to the card at once (the terminal flow itself runs against the
sandbox in tests/integration/test_split_sale.py). A card part that was approved
is journaled here as the engine journals one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest

from pos_app.domain.cart import Cart
from pos_app.domain.discount import Discount, DiscountKind
from pos_app.domain.errors import InvalidInputError, NotPermittedError
from pos_app.domain.payment_flow import PaymentKind, StateName
from pos_app.domain.tender import TenderKind
from pos_app.domain.tickets import CashMovementKind, TicketStatus
from pos_app.justifi.flows import flow_for
from pos_app.services.audit_log import AuditAction
from pos_app.services.payments import EngineSettings, PaymentService
from pos_app.services.ports import Observation, Operation, OutcomeKind, PaymentDetails
from pos_app.services.sales import SaleService
from pos_app.services.shifts import DRAWER_TROUBLE, ShiftService
from pos_app.storage.journal import SqliteJournal
from tests.support.lanes import collect
from tests.support.manager import Clock
from tests.support.shifts import AuditTrail, RecordingDrawer
from tests.unit.test_shift_service import LANE


@dataclass
class Justifi:
    """The few answers the sale service asks of JustiFi outside the terminal flow."""

    now: Clock
    payments: dict[str, PaymentDetails] = field(default_factory=dict)
    voids: list[str] = field(default_factory=list)
    refunds: list[tuple[str, int]] = field(default_factory=list)
    void_window_passed: bool = False

    @property
    def flow(self) -> object:
        return flow_for("payment_intent")

    def paid(self, payment_id: str, cents: int, *, minutes_ago: float = 1) -> None:
        self.payments[payment_id] = PaymentDetails(
            payment_id=payment_id,
            sale_id=f"pi_{payment_id}",
            amount_cents=cents,
            refundable_cents=cents,
            status="succeeded",
            created_at=self.now() - timedelta(minutes=minutes_ago),
            card_brand="Visa",
            card_last4="4242",
        )

    async def payment_details(self, payment_or_sale_id: str) -> PaymentDetails:
        return self.payments[payment_or_sale_id]

    async def void(self, payment: PaymentDetails, idempotency_key: str) -> Observation:
        if self.void_window_passed:
            return Observation(
                OutcomeKind.DECLINED,
                payment_id=payment.payment_id,
                code="payment_outside_void_window",
                message="Payments can only be voided within 25 minutes.",
            )
        self.voids.append(payment.payment_id)
        return Observation(OutcomeKind.APPROVED, payment_id=payment.payment_id)

    async def refund_to_card(
        self, payment: PaymentDetails, amount_cents: int, reason: str | None, key: str
    ) -> Observation:
        self.refunds.append((payment.payment_id, amount_cents))
        return Observation(
            OutcomeKind.APPROVED, payment_id=payment.payment_id, refund_id=f"re_{len(self.refunds)}"
        )


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
def justifi(clock: Clock) -> Justifi:
    return Justifi(clock)


@pytest.fixture
def shifts(
    journal: SqliteJournal, drawer: RecordingDrawer, trail: AuditTrail, clock: Clock
) -> ShiftService:
    return ShiftService(journal, drawer, lane=LANE, record=trail, now=clock)


@pytest.fixture
def sales(
    journal: SqliteJournal, shifts: ShiftService, trail: AuditTrail, clock: Clock, justifi: Justifi
) -> SaleService:
    engine = PaymentService(justifi, journal, EngineSettings(lane=LANE))  # type: ignore[arg-type]
    return SaleService(engine, journal, shifts, lane=LANE, record=trail, now=clock)


def cart(*cents: int) -> Cart:
    built = Cart()
    for amount in cents:
        built = built.add_amount(amount)
    return built


async def card_part(
    journal: SqliteJournal,
    ticket_id: str,
    cents: int,
    *,
    status: StateName = StateName.APPROVED,
    at: datetime | None = None,
    payment_id: str | None = None,
) -> Operation:
    """A charge of the ticket as the engine journals it."""
    op = Operation(
        id=str(uuid.uuid4()),
        kind=PaymentKind.CHARGE,
        amount_cents=cents,
        status=status.value,
        flow="payment_intent",
        terminal_id="trm_virtual",
        lane=LANE,
        sale_id=f"pi_{payment_id}" if payment_id else None,
        payment_id=payment_id if status is StateName.APPROVED else None,
        card_brand="Visa" if status is StateName.APPROVED else None,
        card_last4="4242" if status is StateName.APPROVED else None,
        ticket_id=ticket_id,
    )
    if at is not None:
        op.created_at = op.updated_at = at
    await journal.begin(op)
    return op


# -- starting a sale -------------------------------------------------------------------------


async def test_a_sale_is_journaled_open_with_its_lines_totals_and_shift(
    sales: SaleService, shifts: ShiftService
) -> None:
    shift = await shifts.open_shift(5_000, person="Ann")
    ticket = await sales.start(
        cart(1_000, 250).with_tax_rate(1_000), served_by=" Ann ", description="coffee"
    )
    assert ticket.status is TicketStatus.OPEN
    assert (ticket.subtotal_cents, ticket.tax_cents, ticket.total_cents) == (1_250, 125, 1_375)
    assert [line.unit_price_cents for line in ticket.lines] == [1_000, 250]
    assert (ticket.served_by, ticket.shift_id, ticket.description) == ("Ann", shift.id, "coffee")
    assert sales.ticket(ticket.id) == ticket
    assert sales.open_ticket() == ticket
    payments = sales.payments(ticket.id)
    assert (payments.total_cents, payments.balance_cents, payments.parts) == (1_375, 1_375, ())


async def test_a_sale_without_a_shift_belongs_to_the_day(sales: SaleService) -> None:
    ticket = await sales.start(cart(900), served_by=None)
    assert ticket.shift_id is None


async def test_an_empty_or_free_sale_is_refused(sales: SaleService) -> None:
    with pytest.raises(InvalidInputError, match="Add items"):
        await sales.start(Cart(), served_by="Ann")
    free = cart(500).with_discount(Discount(DiscountKind.PERCENT, 10_000, "staff lunch"))
    with pytest.raises(InvalidInputError, match="nothing to pay"):
        await sales.start(free, served_by="Ann")
    assert sales.open_ticket() is None


async def test_a_discounted_sale_is_audited_with_its_approver(
    sales: SaleService, trail: AuditTrail
) -> None:
    discounted = (
        cart(2_000, 1_000)
        .with_line_discount(1, Discount(DiscountKind.PERCENT, 2_500, "damaged box"))
        .with_discount(Discount(DiscountKind.AMOUNT, 100, "loyal customer"))
    )
    ticket = await sales.start(discounted, served_by="Cal", discount_approved_by="Mia")
    assert ticket.discount_cents == 600
    assert ticket.discount_approved_by == "Mia"
    subject, detail = trail.last(AuditAction.DISCOUNT)
    assert subject == ticket.id
    assert detail["discount_cents"] == 600
    assert detail["approved_by"] == "Mia"
    assert detail["person"] == "Cal"
    assert detail["sale_discount_reason"] == "loyal customer"
    await sales.start(cart(300), served_by="Cal")
    assert [a for a, _s, _d in trail.entries].count(AuditAction.DISCOUNT) == 1


# -- cash --------------------------------------------------------------------------------------


async def test_cash_needs_an_open_shift(sales: SaleService, drawer: RecordingDrawer) -> None:
    ticket = await sales.start(cart(1_000), served_by="Ann")
    with pytest.raises(InvalidInputError, match="Open a shift to take cash"):
        await sales.pay_cash(ticket.id, 2_000, person="Ann")
    assert sales.payments(ticket.id).parts == ()
    assert drawer.opened == []


async def test_cash_over_the_total_gives_change_and_completes_the_sale(
    sales: SaleService, shifts: ShiftService, drawer: RecordingDrawer
) -> None:
    shift = await shifts.open_shift(5_000, person="Ann")
    ticket = await sales.start(cart(1_250), served_by="Ann")
    result = await sales.pay_cash(ticket.id, 2_000, person="Ann")
    assert result.change_cents == 750
    assert result.ticket.status is TicketStatus.COMPLETE
    assert result.payments.is_paid
    assert result.drawer_trouble is None
    movement = result.movement
    assert (movement.kind, movement.amount_cents, movement.tendered_cents) == (
        CashMovementKind.SALE,
        1_250,
        2_000,
    )
    assert (movement.change_cents, movement.shift_id, movement.ticket_id) == (
        750,
        shift.id,
        ticket.id,
    )
    assert shifts.expected_cash() == 5_000 + 1_250
    assert drawer.opened == ["sale"]
    assert sales.open_ticket() is None
    with pytest.raises(InvalidInputError, match="paid already"):
        await sales.pay_cash(ticket.id, 100, person="Ann")


async def test_cash_under_the_total_leaves_the_balance_due(
    sales: SaleService, shifts: ShiftService
) -> None:
    await shifts.open_shift(0, person="Ann")
    ticket = await sales.start(cart(3_000), served_by="Ann")
    first = await sales.pay_cash(ticket.id, 1_000, person="Ann")
    assert first.ticket.status is TicketStatus.OPEN
    assert (first.change_cents, first.payments.balance_cents) == (0, 2_000)
    second = await sales.pay_cash(ticket.id, 2_500, person="Ann")
    assert second.ticket.status is TicketStatus.COMPLETE
    assert second.change_cents == 500
    assert [p.amount_cents for p in second.payments.parts] == [1_000, 2_000]
    assert second.payments.change_cents == 500
    assert shifts.expected_cash() == 3_000


async def test_no_cash_handed_over_is_refused(sales: SaleService, shifts: ShiftService) -> None:
    await shifts.open_shift(0, person="Ann")
    ticket = await sales.start(cart(300), served_by="Ann")
    with pytest.raises(InvalidInputError, match="Enter the cash"):
        await sales.pay_cash(ticket.id, 0, person="Ann")


async def test_a_drawer_that_does_not_open_does_not_undo_the_cash(
    sales: SaleService, shifts: ShiftService, drawer: RecordingDrawer
) -> None:
    await shifts.open_shift(0, person="Ann")
    drawer.jammed = True
    ticket = await sales.start(cart(800), served_by="Ann")
    result = await sales.pay_cash(ticket.id, 1_000, person="Ann")
    assert result.drawer_trouble == DRAWER_TROUBLE
    assert result.ticket.status is TicketStatus.COMPLETE
    assert shifts.expected_cash() == 800


async def test_an_unknown_sale_is_a_sentence(sales: SaleService, shifts: ShiftService) -> None:
    await shifts.open_shift(0, person="Ann")
    with pytest.raises(InvalidInputError, match="not on this till"):
        await sales.pay_cash("nope", 100, person="Ann")
    with pytest.raises(InvalidInputError, match="not on this till"):
        sales.payments("nope")


# -- card parts --------------------------------------------------------------------------------


async def test_card_parts_count_towards_the_balance_by_brand(
    sales: SaleService, shifts: ShiftService, journal: SqliteJournal, clock: Clock
) -> None:
    await shifts.open_shift(0, person="Ann")
    ticket = await sales.start(cart(5_000), served_by="Ann")
    await sales.pay_cash(ticket.id, 1_000, person="Ann")
    await card_part(journal, ticket.id, 2_000, status=StateName.DECLINED)
    await card_part(journal, ticket.id, 1_500, payment_id="py_1", at=clock.now + timedelta(1))
    payments = sales.payments(ticket.id)
    assert [(p.kind, p.amount_cents) for p in payments.parts] == [
        (TenderKind.CASH, 1_000),
        (TenderKind.CARD, 1_500),
    ]
    assert payments.parts[1].label == "Visa \u2022\u2022\u2022\u2022 4242"
    assert (payments.cash_cents, payments.card_cents, payments.balance_cents) == (
        1_000,
        1_500,
        2_500,
    )


async def test_a_card_part_over_the_balance_is_refused_before_anything_is_sent(
    sales: SaleService, shifts: ShiftService, journal: SqliteJournal
) -> None:
    await shifts.open_shift(0, person="Ann")
    ticket = await sales.start(cart(3_000), served_by="Ann")
    await sales.pay_cash(ticket.id, 1_000, person="Ann")
    with pytest.raises(InvalidInputError, match=r"at most the balance due, \$20\.00"):
        await sales.charge_card(ticket.id, 2_001, "trm_virtual")
    with pytest.raises(InvalidInputError, match="at least"):
        await sales.charge_card(ticket.id, 50, "trm_virtual")
    assert journal.ticket_operations(ticket.id) == []


async def test_a_card_part_under_way_holds_its_amount(
    sales: SaleService, shifts: ShiftService, journal: SqliteJournal
) -> None:
    await shifts.open_shift(0, person="Ann")
    ticket = await sales.start(cart(3_000), served_by="Ann")
    await card_part(journal, ticket.id, 2_000, status=StateName.WAITING)
    with pytest.raises(InvalidInputError, match=r"at most the balance due, \$10\.00"):
        await sales.charge_card(ticket.id, 1_500, "trm_virtual")
    # Cash pays what the card part does not: it never completes the sale alone.
    result = await sales.pay_cash(ticket.id, 5_000, person="Ann")
    assert (result.movement.amount_cents, result.change_cents) == (1_000, 4_000)
    assert result.ticket.status is TicketStatus.OPEN
    with pytest.raises(InvalidInputError, match="still under way"):
        await sales.cancel(ticket.id, approved_by="Mia", person="Ann")


async def test_an_unresolved_card_part_stops_the_sale_until_checked(
    sales: SaleService, shifts: ShiftService, journal: SqliteJournal
) -> None:
    await shifts.open_shift(0, person="Ann")
    ticket = await sales.start(cart(3_000), served_by="Ann")
    await card_part(journal, ticket.id, 2_000, status=StateName.UNRESOLVED)
    for attempt in (
        sales.pay_cash(ticket.id, 3_000, person="Ann"),
        sales.charge_card(ticket.id, 1_000, "trm_virtual"),
        sales.cancel(ticket.id, approved_by="Mia", person="Ann"),
    ):
        with pytest.raises(InvalidInputError, match="unresolved"):
            await attempt


async def test_settle_completes_a_sale_paid_by_its_card_parts(
    sales: SaleService, journal: SqliteJournal
) -> None:
    ticket = await sales.start(cart(2_000), served_by="Ann")
    await card_part(journal, ticket.id, 1_000, payment_id="py_1")
    assert (await sales.settle(ticket.id)).status is TicketStatus.OPEN
    await card_part(journal, ticket.id, 1_000, payment_id="py_2")
    assert (await sales.settle(ticket.id)).status is TicketStatus.COMPLETE
    assert (await sales.settle(ticket.id)).status is TicketStatus.COMPLETE  # idempotent


async def test_resume_completes_what_a_crash_left_paid_and_returns_the_one_owing(
    sales: SaleService, shifts: ShiftService, journal: SqliteJournal, clock: Clock
) -> None:
    await shifts.open_shift(0, person="Ann")
    paid = await sales.start(cart(2_000), served_by="Ann")
    await sales.pay_cash(paid.id, 500, person="Ann")
    # The last card part was approved while the till was down: nobody settled it.
    await card_part(journal, paid.id, 1_500, payment_id="py_1")
    clock.advance(minutes=1)
    owing = await sales.start(cart(4_000), served_by="Ann")
    await sales.pay_cash(owing.id, 1_000, person="Ann")
    other_lane = SaleService(
        sales.engine, journal, shifts, lane="till-2", record=lambda *_: None, now=clock
    )
    assert await other_lane.resume() is None
    resumed = await sales.resume()
    assert resumed is not None
    assert resumed.id == owing.id
    assert sales.ticket(paid.id).status is TicketStatus.COMPLETE
    assert sales.payments(owing.id).balance_cents == 3_000


# -- cancelling --------------------------------------------------------------------------------


async def test_cancel_returns_the_cash_and_voids_the_card(
    sales: SaleService,
    shifts: ShiftService,
    journal: SqliteJournal,
    justifi: Justifi,
    drawer: RecordingDrawer,
    trail: AuditTrail,
) -> None:
    await shifts.open_shift(5_000, person="Ann")
    ticket = await sales.start(cart(6_000), served_by="Ann")
    await sales.pay_cash(ticket.id, 2_000, person="Ann")
    justifi.paid("py_1", 1_500)
    await card_part(journal, ticket.id, 1_500, payment_id="py_1")
    result = await sales.cancel(ticket.id, approved_by="Mia", person="Ann")
    assert result.returned_cash_cents == 2_000
    assert result.ticket.status is TicketStatus.OPEN  # until the card part is back
    assert len(result.runs) == 1
    assert result.runs[0].operation.kind is PaymentKind.VOID
    # Asked again before the void ran: nothing is given back twice.
    with pytest.raises(InvalidInputError, match="still going back"):
        await sales.cancel(ticket.id, approved_by="Mia", person="Ann")
    assert (await sales.settle_cancel(ticket.id)).status is TicketStatus.OPEN
    assert result.runs[0].operation.ticket_id == ticket.id
    assert (await collect(result.runs[0]))[-1].name is StateName.APPROVED
    assert justifi.voids == ["py_1"]
    assert sales.ticket(ticket.id).status is TicketStatus.CANCELLED
    assert sales.ticket(ticket.id).cancelled_by == "Mia"
    assert shifts.expected_cash() == 5_000
    assert drawer.opened == ["sale", "sale cancelled"]
    returned = journal.cash_movements(ticket_id=ticket.id)[-1]
    assert (returned.kind, returned.approved_by) == (CashMovementKind.CANCEL_RETURN, "Mia")
    subject, detail = trail.last(AuditAction.SALE_CANCELLED)
    assert subject == ticket.id
    assert (detail["approved_by"], detail["cash_returned_cents"], detail["card_parts"]) == (
        "Mia",
        2_000,
        1,
    )
    assert (await sales.cancel(ticket.id, approved_by="Mia", person="Ann")).runs == ()


async def test_an_old_card_part_goes_back_to_the_card(
    sales: SaleService, journal: SqliteJournal, justifi: Justifi
) -> None:
    ticket = await sales.start(cart(3_000), served_by="Ann")
    justifi.paid("py_old", 1_000, minutes_ago=30)
    await card_part(journal, ticket.id, 1_000, payment_id="py_old")
    result = await sales.cancel(ticket.id, approved_by="Mia", person="Ann")
    assert result.returned_cash_cents == 0
    assert [run.operation.kind for run in result.runs] == [PaymentKind.REFUND]
    await collect(result.runs[0])
    assert justifi.refunds == [("py_old", 1_000)]
    assert sales.ticket(ticket.id).status is TicketStatus.CANCELLED


async def test_a_void_refused_by_justifi_is_refunded_at_the_next_cancel(
    sales: SaleService, journal: SqliteJournal, justifi: Justifi
) -> None:
    ticket = await sales.start(cart(3_000), served_by="Ann")
    justifi.paid("py_1", 1_000)
    await card_part(journal, ticket.id, 1_000, payment_id="py_1")
    justifi.void_window_passed = True
    first = await sales.cancel(ticket.id, approved_by="Mia", person="Ann")
    assert (await collect(first.runs[0]))[-1].name is StateName.DECLINED
    # The window asks once the runs ended: the card part is still on the card.
    assert (await sales.settle_cancel(ticket.id)).status is TicketStatus.OPEN
    assert sales.payments(ticket.id).refundable_cents == 1_000
    again = await sales.cancel(ticket.id, approved_by="Mia", person="Ann")
    assert [run.operation.kind for run in again.runs] == [PaymentKind.REFUND]
    await collect(again.runs[0])
    assert justifi.refunds == [("py_1", 1_000)]
    assert sales.ticket(ticket.id).status is TicketStatus.CANCELLED


async def test_cancelling_a_paid_part_needs_a_manager_and_cash_needs_a_shift(
    sales: SaleService, shifts: ShiftService, drawer: RecordingDrawer
) -> None:
    await shifts.open_shift(0, person="Ann")
    ticket = await sales.start(cart(3_000), served_by="Ann")
    await sales.pay_cash(ticket.id, 1_000, person="Ann")
    with pytest.raises(NotPermittedError, match="manager"):
        await sales.cancel(ticket.id, approved_by="  ", person="Ann")
    # The shift cannot close over it, and cash cannot go back without a shift.
    with pytest.raises(InvalidInputError, match="still open"):
        await shifts.close_shift(1_000, person="Ann")
    assert sales.ticket(ticket.id).status is TicketStatus.OPEN
    assert drawer.opened == ["sale"]


async def test_an_unpaid_sale_is_given_up_without_an_approver(
    sales: SaleService, trail: AuditTrail
) -> None:
    ticket = await sales.start(cart(700), served_by="Ann")
    result = await sales.cancel(ticket.id, approved_by="", person="Ann")
    assert result.ticket.status is TicketStatus.CANCELLED
    assert result.ticket.cancelled_by is None
    assert trail.last(AuditAction.SALE_CANCELLED)[1]["approved_by"] is None
    assert sales.open_ticket() is None


async def test_a_completed_sale_is_refunded_not_cancelled(
    sales: SaleService, shifts: ShiftService
) -> None:
    await shifts.open_shift(0, person="Ann")
    ticket = await sales.start(cart(700), served_by="Ann")
    await sales.pay_cash(ticket.id, 700, person="Ann")
    with pytest.raises(InvalidInputError, match="paid already"):
        await sales.cancel(ticket.id, approved_by="Mia", person="Ann")


# -- cash refunds ------------------------------------------------------------------------------


async def test_a_cash_refund_never_exceeds_the_cash_kept_less_refunded(
    sales: SaleService,
    shifts: ShiftService,
    journal: SqliteJournal,
    drawer: RecordingDrawer,
    trail: AuditTrail,
) -> None:
    await shifts.open_shift(5_000, person="Ann")
    ticket = await sales.start(cart(3_000), served_by="Ann")
    await sales.pay_cash(ticket.id, 1_000, person="Ann")
    await card_part(journal, ticket.id, 2_000, payment_id="py_1")
    await sales.settle(ticket.id)
    with pytest.raises(InvalidInputError, match=r"At most \$10\.00 in cash"):
        await sales.refund_cash(ticket.id, 1_001, person="Ann", approved_by="Mia")
    refund = await sales.refund_cash(ticket.id, 600, person="Ann", approved_by="Mia")
    assert (refund.kind, refund.amount_cents, refund.approved_by) == (
        CashMovementKind.REFUND,
        600,
        "Mia",
    )
    with pytest.raises(InvalidInputError, match=r"At most \$4\.00 in cash"):
        await sales.refund_cash(ticket.id, 401, person="Ann", approved_by="Mia")
    await sales.refund_cash(ticket.id, 400, person="Ann", approved_by="Mia")
    with pytest.raises(InvalidInputError, match="No cash is left"):
        await sales.refund_cash(ticket.id, 1, person="Ann", approved_by="Mia")
    assert shifts.expected_cash() == 5_000
    assert drawer.opened == ["sale", "cash refund", "cash refund"]
    payments = sales.payments(ticket.id)
    assert [p.refundable_cents for p in payments.parts] == [0, 2_000]
    subject, detail = trail.last(AuditAction.CASH_REFUND)
    assert (subject, detail["amount_cents"], detail["approved_by"]) == (ticket.id, 400, "Mia")


async def test_a_cash_refund_needs_a_shift_and_a_paid_sale(
    sales: SaleService, shifts: ShiftService
) -> None:
    await shifts.open_shift(0, person="Ann")
    ticket = await sales.start(cart(3_000), served_by="Ann")
    await sales.pay_cash(ticket.id, 1_000, person="Ann")
    with pytest.raises(InvalidInputError, match="not paid yet"):
        await sales.refund_cash(ticket.id, 500, person="Ann", approved_by="Mia")
    with pytest.raises(InvalidInputError, match="above zero"):
        await sales.refund_cash(ticket.id, 0, person="Ann", approved_by="Mia")
    await sales.pay_cash(ticket.id, 2_000, person="Ann")
    await shifts.close_shift(3_000, person="Ann")
    with pytest.raises(InvalidInputError, match="Open a shift to refund cash"):
        await sales.refund_cash(ticket.id, 500, person="Ann", approved_by="Mia")
