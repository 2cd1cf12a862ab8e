"""The two JustiFi flows as classes: named by the settings value, saying what they support."""

from __future__ import annotations

import pytest

from pos_app.justifi.flows import FLOW_NAMES, CheckoutFlow, PaymentIntentFlow, flow_for
from pos_app.justifi.gateway import JustifiGateway
from pos_app.services.ports import PaymentFlow


def test_the_settings_values_name_the_flows() -> None:
    assert FLOW_NAMES == ("payment_intent", "checkout")
    assert isinstance(flow_for("payment_intent"), PaymentIntentFlow)
    assert isinstance(flow_for("checkout"), CheckoutFlow)
    with pytest.raises(ValueError, match="payment_intent, checkout"):
        flow_for("Checkout")


@pytest.mark.parametrize(
    ("name", "terminal_refunds", "sale_id_field", "sale_id"),
    [
        ("payment_intent", True, "payment_intent_id", "pi_123"),
        ("checkout", False, "checkout_id", "cho_123"),
    ],
)
def test_a_flow_says_what_it_supports(
    name: str, terminal_refunds: bool, sale_id_field: str, sale_id: str
) -> None:
    flow: PaymentFlow = flow_for(name)
    assert flow.name == name
    assert flow.supports_terminal_refunds is terminal_refunds
    assert flow.sale_id_field == sale_id_field
    assert flow_for(name).owns(sale_id)
    assert not flow_for(name).owns("py_123")


def test_the_gateway_takes_a_flow_or_its_name() -> None:
    client = object()
    by_name = JustifiGateway(client, "checkout")  # type: ignore[arg-type]
    by_class = JustifiGateway(client, CheckoutFlow())  # type: ignore[arg-type]
    assert by_name.flow == by_class.flow == CheckoutFlow()
    assert by_name.flow != PaymentIntentFlow()
    with pytest.raises(ValueError, match="payment flow must be one of"):
        JustifiGateway(client, "paypal")  # type: ignore[arg-type]
