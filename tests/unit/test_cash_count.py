"""Counting the drawer: denominations, their names and what a count adds up to."""

from __future__ import annotations

import pytest

from pos_app.domain.cash import DENOMINATIONS, MAX_PIECES, DrawerCount, denomination_label
from pos_app.domain.errors import InvalidInputError, user_message


def test_denominations_are_us_notes_and_coins_largest_first() -> None:
    assert DENOMINATIONS == (10000, 5000, 2000, 1000, 500, 200, 100, 25, 10, 5, 1)
    assert list(DENOMINATIONS) == sorted(DENOMINATIONS, reverse=True)


@pytest.mark.parametrize(
    ("cents", "label"),
    [
        (10000, "$100"),
        (2000, "$20"),
        (100, "$1"),
        (25, "25\u00a2"),
        (5, "5\u00a2"),
        (1, "1\u00a2"),
        (250, "$2.50"),
        (100_000_00, "$100,000"),
    ],
)
def test_denomination_labels(cents: int, label: str) -> None:
    assert denomination_label(cents) == label


def test_a_count_adds_up_to_its_total() -> None:
    # A $100 float: one $50, two $20s, eight $1s, 7 quarters, 2 dimes, a nickel.
    count = DrawerCount({5000: 1, 2000: 2, 100: 8, 25: 7, 10: 2, 5: 1})
    assert count.total_cents == 5000 + 4000 + 800 + 175 + 20 + 5
    assert count.pieces(2000) == 2
    assert count.pieces(10000) == 0


def test_as_dict_keeps_the_non_zero_counts_largest_first() -> None:
    count = DrawerCount({1: 3, 10000: 0, 2000: 1, 25: 0})
    assert count.as_dict() == {2000: 1, 1: 3}
    assert list(count.as_dict()) == [2000, 1]
    assert count.rows() == ((2000, 1, 2000), (1, 3, 3))


def test_counts_of_the_same_money_are_equal() -> None:
    assert DrawerCount({100: 2, 25: 0}) == DrawerCount({100: 2})
    assert DrawerCount({}).total_cents == 0


def test_a_count_does_not_change_with_the_dict_it_came_from() -> None:
    source = {100: 2}
    count = DrawerCount(source)
    source[100] = 50
    assert count.total_cents == 200
    with pytest.raises(TypeError):
        count.counts[100] = 3  # type: ignore[index]


@pytest.mark.parametrize(
    ("counts", "sentence"),
    [
        ({300: 1}, "$3 is not a note or coin the drawer holds."),
        ({50: 1}, "50\u00a2 is not a note or coin the drawer holds."),
        ({2000: -1}, "Count the $20 as zero or more."),
        ({25: MAX_PIECES + 1}, "Count the 25\u00a2 as at most 99,999."),
    ],
)
def test_a_count_that_is_not_one_is_refused_with_a_sentence(
    counts: dict[int, int], sentence: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        DrawerCount(counts)
    assert user_message(caught.value) == sentence


def test_pieces_must_be_whole_numbers() -> None:
    with pytest.raises(TypeError):
        DrawerCount({100: 1.5})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        DrawerCount({100: True})
