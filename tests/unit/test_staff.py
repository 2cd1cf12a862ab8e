"""Staff rules: roles, PIN length by role, names, and the owner's recovery code."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from pos_app.domain.errors import InvalidInputError
from pos_app.domain.pin import PinError, PinProblem
from pos_app.domain.staff import (
    RECOVERY_ALPHABET,
    Person,
    StaffRole,
    check_staff_name,
    check_staff_pin,
    hash_recovery_code,
    min_pin_digits,
    new_recovery_code,
    normalize_recovery_code,
    staff_pin_problem,
    verify_recovery_code,
)
from tests.support.manager import FAST_SCRYPT


@pytest.mark.parametrize(
    ("role", "approves", "digits"),
    [
        (StaffRole.CASHIER, False, 4),
        (StaffRole.MANAGER, True, 6),
        (StaffRole.OWNER, True, 6),
    ],
)
def test_each_role_approves_or_not_and_has_its_pin_length(
    role: StaffRole, approves: bool, digits: int
) -> None:
    assert role.can_approve is approves
    assert min_pin_digits(role) == digits


@pytest.mark.parametrize(
    ("pin", "role", "problem"),
    [
        ("2580", StaffRole.CASHIER, None),
        ("2580", StaffRole.MANAGER, PinProblem.TOO_SHORT),
        ("25803", StaffRole.OWNER, PinProblem.TOO_SHORT),
        ("258031", StaffRole.OWNER, None),
        ("25803197", StaffRole.MANAGER, None),
        ("258031976", StaffRole.CASHIER, PinProblem.TOO_LONG),
        ("1111", StaffRole.CASHIER, PinProblem.TOO_SIMPLE),
        ("123456", StaffRole.MANAGER, PinProblem.TOO_SIMPLE),
        ("12a4", StaffRole.CASHIER, PinProblem.NOT_DIGITS),
        ("", StaffRole.OWNER, PinProblem.EMPTY),
    ],
)
def test_new_pins_by_role(pin: str, role: StaffRole, problem: PinProblem | None) -> None:
    assert staff_pin_problem(pin, role) is problem
    if problem is None:
        check_staff_pin(pin, role)
    else:
        with pytest.raises(PinError) as caught:
            check_staff_pin(pin, role)
        assert caught.value.problem is problem


def test_a_short_approver_pin_says_how_long_it_must_be() -> None:
    with pytest.raises(PinError) as caught:
        check_staff_pin("2580", StaffRole.MANAGER)
    assert "at least 6 digits" in caught.value.message
    with pytest.raises(PinError) as cashier:
        check_staff_pin("258", StaffRole.CASHIER)
    assert "at least 4 digits" in cashier.value.message


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Ann", "Ann"),
        ("  Ann Lee  ", "Ann Lee"),
        ("Zoë O'Brien-Núñez", "Zoë O'Brien-Núñez"),
        ("x" * 40, "x" * 40),
    ],
)
def test_names_keep_what_a_receipt_prints(typed: str, name: str) -> None:
    assert check_staff_name(typed) == name


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Enter"),
        ("   ", "Enter"),
        ("x" * 41, "at most 40"),
        ("Ann\nTotal: 0.00", "letters"),
        ("Ann\tLee", "letters"),
        ("Ann\u202eeeL", "letters"),  # a right-to-left override reverses what prints
    ],
)
def test_names_a_receipt_cannot_print_are_refused(typed: str, says: str) -> None:
    with pytest.raises(InvalidInputError, match=says):
        check_staff_name(typed)


def test_a_disabled_manager_approves_nothing() -> None:
    manager = Person(1, "Ann", StaffRole.MANAGER, True, 0, None)
    assert manager.can_approve
    assert not Person(1, "Ann", StaffRole.MANAGER, False, 0, None).can_approve
    assert not Person(2, "Bo", StaffRole.CASHIER, True, 0, None).can_approve
    locked = Person(3, "Cy", StaffRole.OWNER, True, 10, datetime(2025, 1, 1, tzinfo=UTC))
    assert locked.can_approve  # the lock stops PIN entry, not the role


def test_a_recovery_code_is_four_groups_of_four_worth_80_bits() -> None:
    code = new_recovery_code()
    groups = code.split("-")
    assert [len(group) for group in groups] == [4, 4, 4, 4]
    assert set("".join(groups)) <= set(RECOVERY_ALPHABET)
    assert not set("ILOU") & set(RECOVERY_ALPHABET)  # nothing to misread
    assert len(RECOVERY_ALPHABET) == 32
    assert 16 * math.log2(len(RECOVERY_ALPHABET)) == 80
    assert len({new_recovery_code() for _ in range(50)}) == 50


def test_a_recovery_code_may_be_typed_loosely() -> None:
    code = "7KQ2-M9XD-3F0T-R81C"
    assert normalize_recovery_code(code) == "7KQ2M9XD3F0TR81C"
    assert normalize_recovery_code(" 7kq2 m9xd 3fot r8lc ") == "7KQ2M9XD3F0TR81C"
    assert normalize_recovery_code("7KQ2-M9XD-3F0T-R81") is None  # one symbol short
    assert normalize_recovery_code("7KQ2-M9XD-3F0T-R81U") is None  # U is not a symbol
    assert normalize_recovery_code("") is None


def test_only_the_hash_of_a_recovery_code_is_kept() -> None:
    code = new_recovery_code()
    encoded = hash_recovery_code(code, FAST_SCRYPT)
    assert encoded.startswith("scrypt$")
    assert code.replace("-", "") not in encoded
    assert verify_recovery_code(code.lower().replace("-", " "), encoded)
    assert not verify_recovery_code(new_recovery_code(), encoded)
    assert not verify_recovery_code("not a code", encoded)
