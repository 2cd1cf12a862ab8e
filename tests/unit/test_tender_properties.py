"""Property tests: the cart's figures, the tender parts and the drawer always add up.

For any cart of lines, discounts and tax rate: gross - discounts + tax == total,
every figure >= 0, and no discount takes more than what it applies to. For any
sale total and any sequence of cash and card parts: the applied parts plus the
balance equal the total, change is never negative, and nothing is applied past
a zero balance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain.cart import MAX_QUANTITY, Cart
from pos_app.domain.cash import DENOMINATIONS, DrawerCount
from pos_app.domain.discount import (
    MAX_REASON_LENGTH,
    Discount,
    DiscountError,
    DiscountKind,
    percent_of,
)
from pos_app.domain.errors import InvalidInputError
from pos_app.domain.money import JUSTIFI_MINIMUM_CENTS
from pos_app.domain.report.shift import CASH, ShiftReportKind, build_shift_report, expected_cash
from pos_app.domain.settings_rules import TAX_MAX_BPS
from pos_app.domain.tender import TenderKind, TenderPart, TicketPayments, card_part_error, cash_part
from pos_app.domain.tickets import CashMovement, CashMovementKind, Shift

AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)

percent_discounts = st.builds(
    Discount, st.just(DiscountKind.PERCENT), st.integers(1, 10_000), st.just("reason")
)
amount_discounts = st.builds(
    Discount, st.just(DiscountKind.AMOUNT), st.integers(1, 50_000), st.just("reason")
)
discounts = st.none() | percent_discounts | amount_discounts


@dataclass(frozen=True)
class LineSpec:
    price: int
    quantity: int
    discount: Discount | None


lines = st.builds(LineSpec, st.integers(0, 100_000), st.integers(1, MAX_QUANTITY), discounts)


def cart_of(specs: list[LineSpec], tax_bps: int, sale: Discount | None) -> Cart:
    """The cart a cashier would end up with; discounts larger than what they come off
    are refused by the cart (DiscountError) and left out, as the window would."""
    cart = Cart(tax_rate_bps=tax_bps)
    for spec in specs:
        cart = cart.add_line("Thing", spec.price, spec.quantity)
        if spec.discount is not None:
            try:
                cart = cart.with_line_discount(cart.lines[-1].line_id, spec.discount)
            except DiscountError:
                assert spec.discount.kind is DiscountKind.AMOUNT
                assert spec.discount.value > cart.lines[-1].total_cents
    if sale is not None:
        try:
            cart = cart.with_discount(sale)
        except DiscountError:
            assert sale.value > cart.subtotal.cents
    return cart


@given(st.lists(lines, max_size=8), st.integers(0, TAX_MAX_BPS), discounts)
def test_cart_figures_always_add_up(
    specs: list[LineSpec], tax_bps: int, sale: Discount | None
) -> None:
    cart = cart_of(specs, tax_bps, sale)
    gross, subtotal = cart.gross.cents, cart.subtotal.cents
    sale_off, discount, tax, total = (
        cart.sale_discount.cents,
        cart.discount_total.cents,
        cart.tax.cents,
        cart.total.cents,
    )
    assert gross - discount + tax == total
    assert subtotal - sale_off + tax == total
    assert min(gross, subtotal, sale_off, discount, tax, total) >= 0
    for line in cart.lines:
        assert 0 <= line.discount_cents <= line.total_cents
        assert line.net_cents >= 0
    assert sale_off <= subtotal <= gross
    assert discount <= gross
    assert tax == percent_of(subtotal - sale_off, tax_bps)
    assert sum(line.net_cents for line in cart.ticket_lines()) == subtotal
    assert sum(line.discount_cents for line in cart.ticket_lines()) + sale_off == discount


@given(st.lists(lines, max_size=8), st.integers(0, TAX_MAX_BPS), discounts, st.integers(0, 10_000))
def test_approval_is_needed_exactly_when_discounts_pass_the_limit(
    specs: list[LineSpec], tax_bps: int, sale: Discount | None, limit_bps: int
) -> None:
    cart = cart_of(specs, tax_bps, sale)
    share = Decimal(cart.discount_total.cents) / Decimal(cart.gross.cents or 1)
    over = cart.discount_total.cents > 0 and share > Decimal(limit_bps) / 10_000
    assert cart.needs_approval(limit_bps) is over


@given(st.integers(0, 10**9), st.integers(0, 10_000))
def test_percents_round_half_up_like_decimal(cents: int, bps: int) -> None:
    exact = Decimal(cents) * bps / 10_000
    assert percent_of(cents, bps) == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@given(st.text(min_size=1, max_size=MAX_REASON_LENGTH).filter(str.strip))
def test_any_reason_is_kept_trimmed(reason: str) -> None:
    assert Discount(DiscountKind.AMOUNT, 1, reason).reason == reason.strip()


# -- tender parts ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    kind: TenderKind
    cents: int  # cash: what was handed over; card: what the cashier asked for


attempts = st.builds(Attempt, st.sampled_from(TenderKind), st.integers(-100, 20_000))


@given(st.integers(0, 50_000), st.lists(attempts, max_size=12))
def test_tender_parts_always_add_up_to_the_sale(total: int, tries: list[Attempt]) -> None:
    payments = TicketPayments(total)
    handed_over = 0
    for step, attempt in enumerate(tries):
        balance = payments.balance_cents
        at = AT + timedelta(seconds=step)
        if attempt.kind is TenderKind.CASH:
            try:
                part = cash_part(balance, attempt.cents)
            except InvalidInputError:
                assert balance == 0 or attempt.cents <= 0
                continue
            assert part.applied_cents + part.change_cents == part.tendered_cents
            assert 0 < part.applied_cents <= balance
            assert part.change_cents >= 0
            assert part.change_cents == 0 or part.applied_cents == balance
            handed_over += attempt.cents
            payments = payments.with_part(
                TenderPart(
                    TenderKind.CASH,
                    part.applied_cents,
                    at,
                    tendered_cents=part.tendered_cents,
                    change_cents=part.change_cents,
                )
            )
        else:
            error = card_part_error(balance, attempt.cents)
            fits = JUSTIFI_MINIMUM_CENTS <= attempt.cents <= balance
            assert (error is None) is fits
            if error is not None:
                continue
            payments = payments.with_part(TenderPart(TenderKind.CARD, attempt.cents, at))
        assert payments.balance_cents < balance  # every accepted part pays something
    assert payments.paid_cents + payments.balance_cents == total
    assert payments.cash_cents + payments.card_cents == payments.paid_cents
    assert payments.paid_cents <= total
    assert payments.change_cents >= 0
    cash_handed = sum(p.tendered_cents or 0 for p in payments.parts)
    assert cash_handed == handed_over == payments.cash_cents + payments.change_cents
    assert payments.is_paid is (payments.balance_cents == 0 and (total > 0 or bool(payments.parts)))


@given(st.integers(0, 50_000), st.integers(0, 50_000))
def test_nothing_is_applied_past_a_zero_balance(paid_first: int, more: int) -> None:
    payments = TicketPayments(paid_first)
    if paid_first:
        payments = payments.with_part(TenderPart(TenderKind.CARD, paid_first, AT))
    assert payments.balance_cents == 0
    assert card_part_error(0, more) is not None
    try:
        cash_part(0, more)
    except InvalidInputError:
        pass
    else:
        raise AssertionError("cash was applied to a paid sale")


# -- the drawer ------------------------------------------------------------------------------


@given(st.dictionaries(st.sampled_from(DENOMINATIONS), st.integers(0, 500)))
def test_a_count_is_its_pieces_and_survives_the_journal(counts: dict[int, int]) -> None:
    count = DrawerCount(counts)
    assert count.total_cents == sum(value * pieces for value, pieces in counts.items())
    assert DrawerCount(count.as_dict()) == count
    assert all(pieces > 0 for pieces in count.as_dict().values())


movement_kinds = st.sampled_from(CashMovementKind)


@given(
    st.integers(0, 100_000),
    st.lists(st.tuples(movement_kinds, st.integers(0, 50_000)), max_size=20),
)
def test_the_reports_drawer_lines_add_up_to_the_expected_cash(
    float_cents: int, moves: list[tuple[CashMovementKind, int]]
) -> None:
    shift = Shift("sh", "lane", AT, None, float_cents)
    movements = [
        CashMovement(
            f"mv{i}",
            "sh",
            kind,
            0 if kind is CashMovementKind.NO_SALE else cents,
            AT + timedelta(seconds=i),
        )
        for i, (kind, cents) in enumerate(moves)
    ]
    report = build_shift_report(shift, movements, [], [], kind=ShiftReportKind.X, made_at=AT)
    by_lines = (
        report.float_cents
        + report.sales_by_tender[CASH].cents
        - report.refunds_by_tender[CASH].cents
        + sum(m.amount_cents for m in report.paid_in)
        - sum(m.amount_cents for m in report.paid_out)
    )
    assert by_lines == report.expected_cash_cents == expected_cash(shift, movements)
