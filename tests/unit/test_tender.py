"""Paying a sale in parts: cash with change, card parts, the balance and the labels."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pos_app.domain.errors import InvalidInputError, user_message
from pos_app.domain.tender import (
    QUICK_NOTES_CENTS,
    CashPart,
    TenderKind,
    TenderPart,
    TicketPayments,
    card_part_error,
    cash_part,
)

AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


def cash(amount: int, tendered: int | None = None, change: int | None = None) -> TenderPart:
    return TenderPart(TenderKind.CASH, amount, AT, tendered_cents=tendered, change_cents=change)


def card(amount: int, brand: str | None = "Visa", last4: str | None = "4242") -> TenderPart:
    return TenderPart(TenderKind.CARD, amount, AT, card_brand=brand, card_last4=last4)


# -- cash: what it pays and the change ---------------------------------------------------


@pytest.mark.parametrize(
    ("balance", "tendered", "expected"),
    [
        (1250, 2000, CashPart(1250, 2000, 750)),  # a $20 note for $12.50
        (1250, 1250, CashPart(1250, 1250, 0)),  # exact
        (1250, 1000, CashPart(1000, 1000, 0)),  # part of it: the rest stays due
        (1, 5000, CashPart(1, 5000, 4999)),
        (3000, 1, CashPart(1, 1, 0)),
    ],
)
def test_cash_part_applies_up_to_the_balance_and_gives_the_rest_as_change(
    balance: int, tendered: int, expected: CashPart
) -> None:
    assert cash_part(balance, tendered) == expected


@pytest.mark.parametrize("tendered", [0, -500])
def test_no_cash_handed_over_is_refused_with_a_sentence(tendered: int) -> None:
    with pytest.raises(InvalidInputError) as caught:
        cash_part(1250, tendered)
    assert user_message(caught.value) == "Enter the cash handed over."


def test_cash_for_a_paid_sale_is_refused() -> None:
    with pytest.raises(InvalidInputError) as caught:
        cash_part(0, 2000)
    assert user_message(caught.value) == "Nothing is left to pay."


def test_cash_part_refuses_what_is_not_cents() -> None:
    with pytest.raises(TypeError):
        cash_part(1250, 12.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cash_part(1250, True)
    with pytest.raises(ValueError, match="negative"):
        cash_part(-1, 100)


def test_quick_notes_are_five_ten_twenty_fifty() -> None:
    assert QUICK_NOTES_CENTS == (500, 1000, 2000, 5000)


# -- card parts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("balance", "amount", "sentence"),
    [
        (3000, 3000, None),
        (3000, 51, None),
        (3000, 2999, None),
        (3000, 3001, "A card can pay at most the balance due, $30.00."),
        (3000, 50, "A card payment must be at least $0.51."),
        (3000, 0, "Enter the amount to put on the card."),
        (3000, -100, "Enter the amount to put on the card."),
        (0, 100, "Nothing is left to pay."),
        (30, 30, "The $0.30 left is under a card's minimum of $0.51: take it in cash."),
        (51, 51, None),
    ],
)
def test_card_part_error_says_what_a_card_cannot_pay(
    balance: int, amount: int, sentence: str | None
) -> None:
    assert card_part_error(balance, amount) == sentence


# -- labels ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("part", "label"),
    [
        (cash(1000), "Cash"),
        (card(1000), "Visa \u2022\u2022\u2022\u2022 4242"),
        (card(1000, brand=None, last4=None), "Card"),
        (card(1000, brand="  ", last4=None), "Card"),
        (card(1000, brand="Amex", last4=None), "Amex"),
        (card(1000, brand=None, last4="0005"), "Card \u2022\u2022\u2022\u2022 0005"),
    ],
)
def test_each_part_is_named_as_the_receipt_prints_it(part: TenderPart, label: str) -> None:
    assert part.label == label


def test_a_part_keeps_no_more_of_a_card_number_than_its_last_four() -> None:
    part = card(1000, last4="4111 1111 1111 1111")
    assert part.card_last4 == "1111"
    assert "4111" not in repr(part)
    assert card(1000, last4="12").card_last4 is None


def test_a_part_refuses_negative_amounts_and_naive_times() -> None:
    with pytest.raises(ValueError, match="negative"):
        cash(-1)
    with pytest.raises(ValueError, match="negative"):
        cash(100, tendered=-5)
    with pytest.raises(ValueError, match="aware"):
        TenderPart(TenderKind.CASH, 100, datetime(2026, 12, 4, 9, 30))


def test_refundable_is_what_has_not_gone_back() -> None:
    part = TenderPart(TenderKind.CARD, 2000, AT, refunded_cents=750)
    assert part.refundable_cents == 1250
    assert TenderPart(TenderKind.CARD, 2000, AT, refunded_cents=2000).refundable_cents == 0


# -- the sale's payments ----------------------------------------------------------------------


def test_no_parts_leaves_the_whole_total_due() -> None:
    payments = TicketPayments(4500)
    assert (payments.paid_cents, payments.balance_cents, payments.change_cents) == (0, 4500, 0)
    assert not payments.is_paid


def test_a_split_sale_adds_up_by_tender() -> None:
    # $45.00: $20 in cash from a $20 note, $15 on a Visa, the rest ($10) from a $50 note.
    payments = TicketPayments(4500, (cash(2000, 2000, 0), card(1500), cash(1000, 5000, 4000)))
    assert payments.paid_cents == 4500
    assert payments.balance_cents == 0
    assert payments.cash_cents == 3000
    assert payments.card_cents == 1500
    assert payments.change_cents == 4000
    assert payments.is_paid


def test_a_partly_paid_sale_shows_its_balance() -> None:
    payments = TicketPayments(4500, (cash(2000, 2000, 0),))
    assert payments.balance_cents == 2500
    assert not payments.is_paid


def test_a_sale_of_nothing_is_paid_once_something_was_tendered() -> None:
    assert not TicketPayments(0).is_paid
    assert TicketPayments(0, (cash(0, 0, 0),)).is_paid


def test_the_balance_never_goes_below_zero() -> None:
    # A ticket whose total was lowered after a part was paid (never by the services).
    assert TicketPayments(1000, (card(1500),)).balance_cents == 0


def test_with_part_refuses_paying_past_the_balance() -> None:
    payments = TicketPayments(1000).with_part(cash(600, 600, 0))
    assert payments.balance_cents == 400
    with pytest.raises(InvalidInputError) as caught:
        payments.with_part(card(500))
    assert user_message(caught.value) == "That is more than the balance due, $4.00."
    assert payments.with_part(card(400)).is_paid


def test_refunds_are_kept_per_part() -> None:
    payments = TicketPayments(
        3000,
        (
            TenderPart(TenderKind.CASH, 1000, AT, refunded_cents=400),
            TenderPart(TenderKind.CARD, 2000, AT, refunded_cents=2000),
        ),
    )
    assert payments.refunded_cents == 2400
    assert payments.refundable_cents == 600
    assert [part.refundable_cents for part in payments.parts] == [600, 0]
