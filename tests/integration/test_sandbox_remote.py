"""SandboxControl: the async client of the sandbox's control API, without Qt."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pos_app.sandbox.remote import SandboxControl, SandboxControlError
from tests.support.sandbox import SandboxHandle

TERMINAL = "trm_virtual"


@pytest.fixture
async def control(sandbox: SandboxHandle) -> AsyncIterator[SandboxControl]:
    client = SandboxControl(sandbox.url)
    yield client
    await client.aclose()


def send_sale(sandbox: SandboxHandle, amount: int = 1234) -> str:
    intent = sandbox.create_intent(amount)
    assert sandbox.pay(TERMINAL, intent_id=intent["id"]).status_code == 201
    return str(intent["id"])


async def test_state_lists_terminals_sessions_and_cards(
    sandbox: SandboxHandle, control: SandboxControl
) -> None:
    send_sale(sandbox, 1234)
    state = await control.state()
    assert state["time_scale"] == 20
    terminals = {t["id"]: t for t in state["terminals"]}
    assert terminals[TERMINAL]["behaviour"] == "manual"
    assert terminals[TERMINAL]["session"]["amount"] == 1234
    assert terminals["trm_front"]["session"] is None
    assert [c["key"] for c in state["test_cards"]] == ["visa", "mastercard", "amex", "discover"]


async def test_present_approves_with_the_chosen_card(
    sandbox: SandboxHandle, control: SandboxControl
) -> None:
    intent_id = send_sale(sandbox)
    session = await control.present(TERMINAL, "amex")
    assert session["status"] == "completed"
    intent = sandbox.get(f"/v1/payment_intents/{intent_id}")
    assert intent["status"] == "succeeded"
    assert intent["payment_method"]["card"]["brand"] == "American Express"


async def test_decline_and_press_x(sandbox: SandboxHandle, control: SandboxControl) -> None:
    intent_id = send_sale(sandbox)
    await control.decline(TERMINAL, "expired_card")
    intent = sandbox.get(f"/v1/payment_intents/{intent_id}")
    assert intent["last_error"]["code"] == "expired_card"
    assert sandbox.pay(TERMINAL, intent_id=intent_id).status_code == 201
    await control.press_x(TERMINAL)
    intent = sandbox.get(f"/v1/payment_intents/{intent_id}")
    assert intent["last_error"]["code"] == "canceled_on_terminal"


async def test_unplug_and_replug(sandbox: SandboxHandle, control: SandboxControl) -> None:
    await control.unplug(TERMINAL)
    assert sandbox.get(f"/v1/terminals/{TERMINAL}/status")["status"] == "DISCONNECTED"
    await control.replug(TERMINAL)
    assert sandbox.get(f"/v1/terminals/{TERMINAL}/status")["status"] == "CONNECTED"


@pytest.mark.parametrize(
    ("terminal_id", "card", "code", "message"),
    [
        (TERMINAL, None, "no_active_session", "Nothing is waiting on this terminal."),
        ("trm_nowhere", None, "not_found", "The sandbox does not know this terminal."),
    ],
)
async def test_refusals_carry_a_short_sentence(
    control: SandboxControl, terminal_id: str, card: str | None, code: str, message: str
) -> None:
    with pytest.raises(SandboxControlError) as caught:
        await control.present(terminal_id, card)
    assert caught.value.code == code
    assert caught.value.message == message == str(caught.value)


async def test_idle_press_x_is_refused(control: SandboxControl) -> None:
    with pytest.raises(SandboxControlError, match="Nothing is waiting on this terminal"):
        await control.press_x(TERMINAL)


async def test_an_unknown_card_names_the_card(
    sandbox: SandboxHandle, control: SandboxControl
) -> None:
    send_sale(sandbox)
    with pytest.raises(SandboxControlError) as caught:
        await control.present(TERMINAL, "diners")
    assert caught.value.code == "invalid_parameter"
    assert "diners" in caught.value.message
    assert "{" not in caught.value.message


async def test_an_unreachable_sandbox_is_a_control_error() -> None:
    control = SandboxControl("http://127.0.0.1:9")
    try:
        with pytest.raises(SandboxControlError, match="Cannot reach the demo sandbox") as caught:
            await control.state()
        assert caught.value.code is None
    finally:
        await control.aclose()
