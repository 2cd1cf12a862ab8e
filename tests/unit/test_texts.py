"""The sentences a cashier reads while a payment runs (`pos_app.domain.texts`).

Every public function of the module has a test here: `card_text` and `status_line`.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from pos_app.domain import texts
from pos_app.domain.payment_flow import PaymentKind, StateName, initial_state
from pos_app.domain.texts import card_text, status_line


def test_every_public_function_has_a_test_here() -> None:
    public = {
        name
        for name, value in vars(texts).items()
        if callable(value) and not name.startswith("_") and value.__module__ == texts.__name__
    }
    assert public == {"card_text", "status_line"}


# -- card_text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("brand", "last4", "expected"),
    [
        ("Visa", "4242", "Visa ending 4242"),
        (None, "4242", "card ending 4242"),
        ("", "4242", "card ending 4242"),
        ("Mastercard", None, "Mastercard"),
        (None, None, "card"),
        ("", "", "card"),
    ],
)
def test_a_card_is_named_by_what_is_known_of_it(
    brand: str | None, last4: str | None, expected: str
) -> None:
    assert card_text(brand, last4) == expected


# -- status_line ----------------------------------------------------------------------------


def test_retrying_says_why() -> None:
    state = replace(
        initial_state(PaymentKind.CHARGE, 1250, "trm_front"),
        name=StateName.RETRYING,
        resume_to=StateName.WAITING,
        trouble="JustiFi refused the access token",
    )
    line = status_line(state, "Front counter")
    assert "JustiFi refused the access token" in line
    assert "do not start another payment" in line


def test_retrying_without_a_reason_still_says_retrying() -> None:
    state = replace(initial_state(PaymentKind.CHARGE, 1250, "trm_front"), name=StateName.RETRYING)
    line = status_line(state)
    assert line.startswith("Connection trouble. Retrying")


@pytest.mark.parametrize("kind", list(PaymentKind))
def test_every_state_has_a_sentence_of_its_own(kind: PaymentKind) -> None:
    base = initial_state(kind, 500, None)
    lines = {name: status_line(replace(base, name=name)) for name in StateName}
    for name, line in lines.items():
        assert line.strip()
        assert line != str(name), f"{name} has no sentence, only its name"
    assert len(set(lines.values())) == len(lines)


@pytest.mark.parametrize(
    ("kind", "word"),
    [(PaymentKind.CHARGE, "payment"), (PaymentKind.REFUND, "refund"), (PaymentKind.VOID, "void")],
)
def test_the_line_names_the_kind_and_the_amount(kind: PaymentKind, word: str) -> None:
    state = replace(initial_state(kind, 1250, None), name=StateName.PREPARING)
    assert status_line(state) == f"Preparing the {word} of $12.50..."
    unresolved = status_line(replace(state, name=StateName.UNRESOLVED))
    assert f"about this {word}" in unresolved


def test_waiting_names_the_terminal_by_its_name_then_its_id() -> None:
    state = replace(initial_state(PaymentKind.CHARGE, 1250, "trm_front"), name=StateName.WAITING)
    assert "on Front counter: $12.50" in status_line(state, "Front counter")
    assert "on trm_front: $12.50" in status_line(state)
    sending = replace(state, name=StateName.SENDING)
    assert status_line(sending, "Front counter") == "Sending $12.50 to Front counter..."


def test_waiting_without_a_terminal_asks_justifi() -> None:
    state = replace(initial_state(PaymentKind.CHARGE, 1250, None), name=StateName.WAITING)
    assert status_line(state) == "Asking JustiFi for the payment of $12.50..."
    cancel = replace(state, name=StateName.CANCEL_REQUESTED)
    assert "Press X on the terminal to cancel" in status_line(cancel)


def test_an_approval_names_the_card() -> None:
    state = replace(
        initial_state(PaymentKind.CHARGE, 1250, "trm_front"),
        name=StateName.APPROVED,
        card_brand="Visa",
        card_last4="4242",
    )
    assert status_line(state) == "Approved: $12.50 on Visa ending 4242."


def test_a_decline_and_a_cancel_carry_justifis_words_or_a_default() -> None:
    base = initial_state(PaymentKind.CHARGE, 1250, "trm_front")
    declined = replace(base, name=StateName.DECLINED)
    assert status_line(declined) == "Declined: the card was declined."
    worded = replace(declined, decline_message="Insufficient funds.")
    assert status_line(worded) == "Declined: Insufficient funds."
    cancelled = replace(base, name=StateName.CANCELLED)
    assert status_line(cancelled) == "Cancelled: nothing was charged."
