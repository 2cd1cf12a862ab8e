"""Money arithmetic, amount parsing and keypad entry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos_app.domain.errors import InvalidInputError, user_message
from pos_app.domain.money import (
    KEYPAD_MAX_DIGITS,
    AmountError,
    AmountErrorReason,
    Money,
    cents_from_keypad,
    parse_amount,
)

R = AmountErrorReason

# -- Money ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (0, "$0.00"),
        (1, "$0.01"),
        (51, "$0.51"),
        (100, "$1.00"),
        (123456, "$1,234.56"),
        (100000000, "$1,000,000.00"),
        (-100, "-$1.00"),
        (-5, "-$0.05"),
    ],
)
def test_format(cents: int, text: str) -> None:
    assert Money(cents).format() == text
    assert str(Money(cents)) == text


def test_format_other_currency() -> None:
    assert Money(123456, "eur").format() == "1,234.56 EUR"


def test_arithmetic_and_comparison() -> None:
    a, b = Money(250), Money(100)
    assert a + b == Money(350)
    assert a - b == Money(150)
    assert b - a == Money(-150)
    assert a * 3 == Money(750)
    assert 3 * a == Money(750)
    assert -a == Money(-250)
    assert b < a
    assert a >= b
    assert Money.zero() == Money(0)
    assert Money.zero().currency == "usd"
    assert max(a, b) is a


def test_money_is_immutable() -> None:
    money = Money(5)
    with pytest.raises(AttributeError):
        money.cents = 6  # type: ignore[misc]


@pytest.mark.parametrize("bad", [1.5, "5", True, None])
def test_money_refuses_non_int_cents(bad: object) -> None:
    with pytest.raises(TypeError):
        Money(bad)  # type: ignore[arg-type]


def test_money_refuses_float_multiplier() -> None:
    with pytest.raises(TypeError):
        Money(100) * 1.5  # type: ignore[operator]


def test_money_refuses_mixed_currencies() -> None:
    with pytest.raises(ValueError, match="cannot combine"):
        Money(1, "usd") + Money(1, "eur")
    with pytest.raises(ValueError, match="cannot combine"):
        _ = Money(1, "usd") < Money(1, "eur")


@pytest.mark.parametrize("currency", ["USD", "us", "dollars", ""])
def test_money_refuses_bad_currency(currency: str) -> None:
    with pytest.raises(ValueError, match="currency"):
        Money(1, currency)


# -- parse_amount: accepted ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("12", 1200),
        ("12.5", 1250),
        ("12.50", 1250),
        ("12.", 1200),
        ("$1,234.56", 123456),
        ("1,234.56", 123456),
        ("1,234", 123400),
        ("$12", 1200),
        ("$ 12", 1200),
        (" 7 ", 700),
        ("\t7\n", 700),
        (".99", 99),
        ("$.99", 99),
        ("0.51", 51),
        ("00012.30", 1230),
        ("10000", 1_000_000),
        ("$10,000.00", 1_000_000),
    ],
)
def test_parse_amount_accepts(text: str, cents: int) -> None:
    assert parse_amount(text) == Money(cents)


# -- parse_amount: refused ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", R.EMPTY),
        ("   ", R.EMPTY),
        ("abc", R.NOT_A_NUMBER),
        ("1,23.4", R.NOT_A_NUMBER),
        ("12,34", R.NOT_A_NUMBER),
        ("1234,567", R.NOT_A_NUMBER),
        ("0,123", R.NOT_A_NUMBER),
        ("12..5", R.NOT_A_NUMBER),
        ("1.2.3", R.NOT_A_NUMBER),
        ("1e3", R.NOT_A_NUMBER),
        ("nan", R.NOT_A_NUMBER),
        ("NaN", R.NOT_A_NUMBER),
        ("inf", R.NOT_A_NUMBER),
        ("Infinity", R.NOT_A_NUMBER),
        ("١٢", R.NOT_A_NUMBER),  # Arabic-Indic digits
        ("１２", R.NOT_A_NUMBER),  # full-width digits
        ("12½", R.NOT_A_NUMBER),
        (".", R.NOT_A_NUMBER),
        ("$", R.NOT_A_NUMBER),
        ("-", R.NOT_A_NUMBER),
        ("+12", R.NOT_A_NUMBER),
        ("12$", R.NOT_A_NUMBER),
        ("$$12", R.NOT_A_NUMBER),
        ("1 000", R.NOT_A_NUMBER),
        ("12_000", R.NOT_A_NUMBER),
        ("0x10", R.NOT_A_NUMBER),
        ("-abc", R.NOT_A_NUMBER),
        ("-12", R.NEGATIVE),
        ("-$12", R.NEGATIVE),
        ("$-12", R.NEGATIVE),
        ("-0.51", R.NEGATIVE),
        ("0", R.ZERO),
        ("0.00", R.ZERO),
        ("$0", R.ZERO),
        ("-0", R.ZERO),
        (".0", R.ZERO),
        ("12.345", R.TOO_MANY_DECIMALS),
        ("0.001", R.TOO_MANY_DECIMALS),
        ("12.500", R.TOO_MANY_DECIMALS),
        ("0.50", R.BELOW_MINIMUM),
        ("0.5", R.BELOW_MINIMUM),
        (".01", R.BELOW_MINIMUM),
        ("10000.01", R.ABOVE_MAXIMUM),
        ("99999999999999999999999999999999999999999999", R.ABOVE_MAXIMUM),
        ("9" * 10_000, R.ABOVE_MAXIMUM),  # longer than int() accepts by default
    ],
)
def test_parse_amount_refuses(text: str, reason: AmountErrorReason) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(text)
    assert caught.value.reason is reason
    assert caught.value.message
    assert str(caught.value) == caught.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0.50", "Enter an amount of at least $0.51."),
        ("20000", "Enter an amount of at most $10,000.00."),
        ("", "Enter an amount."),
        ("1.234", "Use at most two digits after the decimal point."),
    ],
)
def test_parse_amount_messages_speak_to_the_cashier(text: str, message: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(text)
    assert caught.value.message == message


def test_amount_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="at least"):
        parse_amount("0.01")


def test_parse_amount_custom_range() -> None:
    assert parse_amount("0.01", minimum_cents=1) == Money(1)
    with pytest.raises(AmountError) as caught:
        parse_amount("5.01", maximum_cents=500)
    assert caught.value.reason is R.ABOVE_MAXIMUM
    assert caught.value.message == "Enter an amount of at most $5.00."
    with pytest.raises(AmountError) as caught:
        parse_amount("0", minimum_cents=1)
    assert caught.value.reason is R.ZERO


@given(st.integers(min_value=51, max_value=1_000_000))
def test_format_then_parse_round_trips(cents: int) -> None:
    assert parse_amount(Money(cents).format()) == Money(cents)


@given(st.integers(min_value=51, max_value=1_000_000))
def test_plain_decimal_text_round_trips(cents: int) -> None:
    dollars, rest = divmod(cents, 100)
    assert parse_amount(f"{dollars}.{rest:02d}").cents == cents


@given(st.text())
def test_parse_amount_only_raises_amount_error(text: str) -> None:
    try:
        money = parse_amount(text)
    except AmountError as error:
        refusal: AmountError | None = error
    else:
        refusal = None
        assert 51 <= money.cents <= 1_000_000
    if refusal is not None:
        assert refusal.reason in set(AmountErrorReason)
        assert refusal.message


@given(st.from_regex(r"\A[-$ .,0-9]{0,20}\Z"))
def test_parse_amount_on_amount_like_text(text: str) -> None:
    try:
        money = parse_amount(text)
    except AmountError:
        return
    assert 51 <= money.cents <= 1_000_000


# -- keypad ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "cents"),
    [
        ("", 0),
        ("0", 0),
        ("000", 0),
        ("5", 5),
        ("1234", 1234),
        ("001234", 1234),
        ("9" * KEYPAD_MAX_DIGITS, 999_999_999),
        ("0" * 5 + "9" * KEYPAD_MAX_DIGITS, 999_999_999),
    ],
)
def test_cents_from_keypad(digits: str, cents: int) -> None:
    assert cents_from_keypad(digits) == cents


@pytest.mark.parametrize("digits", ["12a", "1.5", "-1", " 1", "١٢", "1" * (KEYPAD_MAX_DIGITS + 1)])
def test_cents_from_keypad_refuses(digits: str) -> None:
    with pytest.raises(ValueError, match="keypad"):
        cents_from_keypad(digits)


@given(st.integers(min_value=0, max_value=10**KEYPAD_MAX_DIGITS - 1))
def test_keypad_digits_round_trip(cents: int) -> None:
    assert cents_from_keypad(str(cents)) == cents


def test_a_refused_amount_is_an_invalid_input_a_person_reads() -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_amount("12.345")
    assert isinstance(refused.value, AmountError)
    assert isinstance(refused.value, ValueError)  # older callers catch it so
    assert user_message(refused.value) == "Use at most two digits after the decimal point."
