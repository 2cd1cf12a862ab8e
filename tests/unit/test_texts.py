"""The status line a cashier reads while a payment runs."""

from __future__ import annotations

from dataclasses import replace

from pos_app.domain.payment_flow import PaymentKind, StateName, initial_state
from pos_app.domain.texts import status_line


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


def test_every_state_has_a_line() -> None:
    base = initial_state(PaymentKind.REFUND, 500, None)
    for name in StateName:
        assert status_line(replace(base, name=name)).strip()
