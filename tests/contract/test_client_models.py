"""Client models against the published JustiFi examples in ``shared/justifi/contract``."""

from __future__ import annotations

import json
import os
import string
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, SecretStr

from pos_app.justifi.models import (
    CardDetails,
    CardPresentDetails,
    Checkout,
    CheckoutCompletion,
    Envelope,
    ErrorBody,
    ErrorDetail,
    LastError,
    Page,
    PageInfo,
    Payment,
    PaymentIntent,
    PaymentMethod,
    Refund,
    Terminal,
    TerminalPaySession,
    TerminalState,
    TerminalStatus,
    TokenResponse,
    unwrap,
)

CONTRACT_DIR = Path(
    os.environ.get("POS_CONTRACT_DIR")
    or Path(__file__).resolve().parents[2].parent / "shared" / "justifi" / "contract"
)
RESPONSE_FILES = sorted(CONTRACT_DIR.glob("*.response.json"))

Parsed = BaseModel | Page[Any]

PARSERS: dict[str, Callable[[dict[str, Any]], Parsed]] = {
    "oauth_token.response.json": TokenResponse.model_validate,
    "error.sub_account_required.response.json": ErrorBody.model_validate,
    "payment_intent.response.json": lambda body: unwrap(body, PaymentIntent),
    "terminal_get.response.json": lambda body: unwrap(body, Terminal),
    "terminal_status.response.json": lambda body: unwrap(body, TerminalStatus),
    "terminals_list.response.json": lambda body: Page.from_body(body, Terminal),
    "terminals_pay.response.json": TerminalPaySession.model_validate,
    "terminals_pay_checkout.response.json": TerminalPaySession.model_validate,
    "terminals_refund.response.json": TerminalPaySession.model_validate,
}

ALL_MODELS: tuple[type[BaseModel], ...] = (
    CardDetails,
    CardPresentDetails,
    Checkout,
    CheckoutCompletion,
    Envelope,
    ErrorBody,
    ErrorDetail,
    LastError,
    PageInfo,
    Payment,
    PaymentIntent,
    PaymentMethod,
    Refund,
    Terminal,
    TerminalPaySession,
    TerminalStatus,
    TokenResponse,
)
# Keys an "extra field" must not reuse: a random value under a real field name is not extra.
KNOWN_KEYS = frozenset(
    {name for model in ALL_MODELS for name in model.model_fields} | {"terminal", "items"}
)
# Keys that identify an object or hold the envelope together: never dropped.
IDENTITY_KEYS = frozenset({"id", "data", "access_token", "error"})


def _load(path: Path) -> dict[str, Any]:
    body = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(body, dict)
    return body


def _parse(name: str, body: dict[str, Any]) -> Parsed:
    parser = PARSERS.get(name)
    if parser is None:
        pytest.fail(f"{name} has no model mapping in PARSERS")
    return parser(body)


def _raw_object(name: str, body: Mapping[str, Any]) -> Any:
    """The part of the body the parsed value stands for."""
    if name in ("oauth_token.response.json",) or name.startswith("error."):
        return body
    return body.get("data")


def _assert_same(raw: Any, value: Any, where: str) -> None:
    """Every modelled field present in ``raw`` kept its value in ``value``."""
    if isinstance(value, BaseModel):
        assert isinstance(raw, Mapping), where
        for field in type(value).model_fields:
            if field in raw:
                _assert_same(raw[field], getattr(value, field), f"{where}.{field}")
    elif isinstance(value, list):
        assert isinstance(raw, list), where
        assert len(raw) == len(value), where
        for index, (raw_item, item) in enumerate(zip(raw, value, strict=True)):
            _assert_same(raw_item, item, f"{where}[{index}]")
    elif isinstance(value, datetime):
        assert value == datetime.fromisoformat(raw), where
    elif isinstance(value, SecretStr):
        assert value.get_secret_value() == raw, where
    elif where.endswith(("acct_last_four", "last4")):
        assert value == str(raw).zfill(4)[-4:], where
    elif where.endswith(".status") and isinstance(raw, str):
        assert value.lower() == raw.lower(), where
    else:
        assert value == raw, where


def _assert_no_loss(name: str, body: Mapping[str, Any], parsed: Parsed) -> None:
    if isinstance(parsed, Page):
        _assert_same(body.get("data"), parsed.items, "data")
        if isinstance(body.get("page_info"), Mapping):
            _assert_same(body["page_info"], parsed.page_info, "page_info")
    else:
        _assert_same(_raw_object(name, body), parsed, "body")


def test_contract_folder_has_response_examples() -> None:
    assert RESPONSE_FILES, f"no *.response.json under {CONTRACT_DIR}"


def test_every_response_example_has_a_model() -> None:
    unmapped = {path.name for path in RESPONSE_FILES} - PARSERS.keys()
    assert not unmapped, f"add these to PARSERS: {sorted(unmapped)}"


@pytest.mark.parametrize("path", RESPONSE_FILES, ids=lambda path: path.name)
def test_response_example_parses_without_loss(path: Path) -> None:
    body = _load(path)
    parsed = _parse(path.name, body)
    _assert_no_loss(path.name, body, parsed)


# --- what the app reads from each example -----------------------------------------------------


def _example(name: str) -> dict[str, Any]:
    path = CONTRACT_DIR / name
    if not path.exists():
        pytest.skip(f"{name} is not in the contract folder")
    return _load(path)


def test_payment_intent_example_fields_the_app_uses() -> None:
    intent = unwrap(_example("payment_intent.response.json"), PaymentIntent)
    assert intent.id == "pi_xyz"
    assert intent.amount == 10000
    assert intent.currency == "usd"
    assert intent.status == "requires_payment_method"
    assert intent.created_at == datetime(2021, 1, 1, 12, 0, tzinfo=UTC)
    assert intent.payment_method is not None
    assert intent.payment_method.brand_last4() == ("Visa", "4242")
    assert intent.payment_method.cardholder_name == "Amanda Kessel"


def test_card_keeps_no_token_signature_or_expiry() -> None:
    intent = unwrap(_example("payment_intent.response.json"), PaymentIntent)
    dumped = json.dumps(intent.model_dump(mode="json"))
    for leaked in ("pm_123xyz", "4guAJNkVA3lRLVlanNVoBK", "2042", "cust_xyz"):
        assert leaked not in dumped


def test_terminal_examples() -> None:
    terminal = unwrap(_example("terminal_get.response.json"), Terminal)
    assert terminal.id == "trm_abc123"
    assert terminal.nickname is None
    assert terminal.status is None
    assert terminal.display_name == "trm_abc123"

    status = unwrap(_example("terminal_status.response.json"), TerminalStatus)
    assert status.is_ready
    assert status.last_date_time_connected == datetime(2021, 1, 1, 12, 0, tzinfo=UTC)


def test_terminal_list_example_paging() -> None:
    page = Page.from_body(_example("terminals_list.response.json"), Terminal)
    assert [terminal.id for terminal in page.items] == ["trm_abc123"]
    assert page.has_next is False
    assert page.next_cursor is None
    assert page.page_info.end_cursor is not None


def test_pay_session_payment_intent_shape() -> None:
    session = TerminalPaySession.model_validate(_example("terminals_pay.response.json"))
    assert session.id == "tmses_abc123"
    assert session.envelope_type == "terminal_payment_intent"
    assert session.terminal_id == "trm_abc123"
    assert session.payment_intent_id == "pi_xyz"
    assert session.payment_intent is not None
    assert session.payment_intent.amount == 10000


def test_pay_session_checkout_shape() -> None:
    session = TerminalPaySession.model_validate(_example("terminals_pay_checkout.response.json"))
    assert session.id == "tses_abc123"
    assert session.envelope_type == "terminal_sessions"
    assert session.session_type == "payment"
    assert session.status == "created"
    assert session.checkout_id == "cho_abc123"
    assert session.terminal_id == "trm_abc123"
    assert session.account_id == "acc_xyz"
    assert session.payment_id is None
    assert session.payment_intent is None


def test_error_example() -> None:
    error = ErrorBody.model_validate(_example("error.sub_account_required.response.json")).error
    assert error.code == "sub_account_header_required"
    assert error.param == "base"
    assert error.message == "Missing required header: Sub-Account"


def test_token_example_hides_token_in_repr() -> None:
    token = TokenResponse.model_validate(_example("oauth_token.response.json"))
    assert token.access_token.get_secret_value().startswith("eyJ")
    assert "eyJ" not in repr(token)


# --- variants the documented shapes allow ---------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(4242, "4242"), ("4242", "4242"), (42, "0042"), ("0042", "0042"), (None, None)],
)
def test_acct_last_four_number_or_string(raw: object, expected: str | None) -> None:
    card = CardDetails.model_validate({"acct_last_four": raw, "brand": "Visa"})
    assert card.acct_last_four == expected


def test_last_four_never_keeps_more_than_four() -> None:
    card = CardPresentDetails.model_validate({"last4": "4111111111111111"})
    assert card.last4 == "1111"


@pytest.mark.parametrize("page_info", ["string", None, 7, []])
def test_envelope_page_info_placeholder_becomes_none(page_info: object) -> None:
    envelope = Envelope.model_validate(
        {"id": 1, "type": "terminal", "data": {}, "page_info": page_info}
    )
    assert envelope.page_info is None
    assert envelope.id == 1


def test_list_without_page_info_has_no_next() -> None:
    page = Page.from_body({"data": [{"id": "trm_1"}], "page_info": "string"}, Terminal)
    assert page.has_next is False
    assert [t.id for t in page.items] == ["trm_1"]


def test_error_body_bare_string() -> None:
    error = ErrorBody.model_validate({"error": "Something went wrong"}).error
    assert error.message == "Something went wrong"
    assert error.code is None


def test_error_body_with_decline_code() -> None:
    error = ErrorBody.model_validate(
        {"error": {"code": "card_declined", "message": "Declined", "decline_code": "do_not_honor"}}
    ).error
    assert (error.code, error.decline_code) == ("card_declined", "do_not_honor")


def test_card_present_payment_with_refunds() -> None:
    payment = Payment.model_validate(
        {
            "id": "py_1",
            "amount": 1799,
            "amount_refunded": 500,
            "amount_refundable": 1299,
            "status": "partially_refunded",
            "payment_mode": "card_present",
            "terminal_id": "trm_1",
            "payment_intent_id": "pi_1",
            "payment_method": {
                "card_present": {
                    "brand": "Mastercard",
                    "last4": "0005",
                    "cardholder_name": "Pat Doe",
                    "expiry": "12/30",
                }
            },
            "refunds": [{"id": "re_1", "payment_id": "py_1", "amount": 500, "status": "succeeded"}],
            "created_at": "2024-05-01T10:00:00.123Z",
        }
    )
    assert payment.brand_last4() == ("Mastercard", "0005")
    assert payment.payment_method is not None
    assert payment.payment_method.cardholder_name == "Pat Doe"
    assert "12/30" not in payment.model_dump_json()
    assert payment.refunds[0].amount == 500
    assert payment.created_at is not None
    assert payment.created_at.tzinfo is not None


def test_payment_intent_last_error() -> None:
    intent = PaymentIntent.model_validate(
        {
            "id": "pi_1",
            "status": "requires_payment_method",
            "metadata": None,
            "last_error": {
                "code": "canceled_on_terminal",
                "message": "Canceled on the device",
                "terminal_id": "trm_1",
            },
        }
    )
    assert intent.last_error is not None
    assert intent.last_error.code == "canceled_on_terminal"
    assert intent.last_error.payment_id is None
    assert intent.metadata == {}


def test_checkout_with_completions() -> None:
    checkout = Checkout.model_validate(
        {
            "id": "cho_1",
            "amount": 1799,
            "status": "attempted",
            "completions": [
                {
                    "id": "chc_1",
                    "payment_mode": "card_present",
                    "status": "failed",
                    "payment_status": "failed",
                    "payment_id": "py_1",
                    "payment_error_code": "insufficient_funds",
                    "payment_error_description": "Insufficient funds",
                    "terminal_id": "trm_1",
                }
            ],
        }
    )
    assert checkout.currency is None
    assert checkout.completions[0].payment_error_code == "insufficient_funds"
    assert Checkout.model_validate({"id": "cho_2", "completions": None}).completions == []


@pytest.mark.parametrize(
    ("raw", "stored", "state"),
    [
        ("connected", "connected", TerminalState.CONNECTED),
        ("DISCONNECTED", "disconnected", TerminalState.DISCONNECTED),
        ("pending_configuration", "pending_configuration", TerminalState.PENDING_CONFIGURATION),
        ("rebooting", "rebooting", None),
    ],
)
def test_terminal_status_lower_case_unknown_kept(
    raw: str, stored: str, state: TerminalState | None
) -> None:
    terminal = Terminal.model_validate({"id": "trm_1", "status": raw})
    assert terminal.status == stored
    assert terminal.state is state


@pytest.mark.parametrize(
    ("status", "ready"),
    [
        ("CONNECTED", True),
        ("connected", True),
        ("ACTIVE", False),
        ("DISCONNECTED", False),
        ("SLEEPING", False),
        (None, False),
    ],
)
def test_terminal_status_is_ready_only_when_connected(status: str | None, ready: bool) -> None:
    assert TerminalStatus.model_validate({"id": "trm_1", "status": status}).is_ready is ready


def test_naive_timestamp_taken_as_utc() -> None:
    refund = Refund.model_validate({"id": "re_1", "created_at": "2024-05-01T10:00:00"})
    assert refund.created_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


# --- property: extra keys added, optional keys dropped ----------------------------------------

_json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
_json_values = st.recursive(
    _json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
_extra_keys = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=14).filter(
    lambda key: key not in KNOWN_KEYS
)


def _mutate(value: Any, draw: st.DataObject) -> Any:
    """Drop some non-identity keys and add unknown ones, at every level."""
    if isinstance(value, list):
        return [_mutate(item, draw) for item in value]
    if not isinstance(value, dict):
        return value
    droppable = sorted(key for key in value if key not in IDENTITY_KEYS)
    dropped = draw.draw(st.sets(st.sampled_from(droppable))) if droppable else set()
    mutated = {key: _mutate(item, draw) for key, item in value.items() if key not in dropped}
    extras = draw.draw(st.dictionaries(_extra_keys, _json_values, max_size=3))
    for key, item in extras.items():
        mutated.setdefault(key, item)
    return mutated


@pytest.mark.parametrize("path", RESPONSE_FILES, ids=lambda path: path.name)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_examples_tolerate_missing_optional_and_extra_keys(path: Path, data: st.DataObject) -> None:
    body = _mutate(_load(path), data)
    parsed = _parse(path.name, body)
    _assert_no_loss(path.name, body, parsed)
    raw = _raw_object(path.name, body)
    if isinstance(parsed, BaseModel) and isinstance(raw, Mapping) and "id" in raw:
        assert getattr(parsed, "id", None) == raw["id"]
