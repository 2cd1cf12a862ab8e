"""The lane settings' rules, once (`pos_app.domain.settings_rules`).

The settings file and environment (`pos_app.config`) and the manager's dialog
(`pos_app.services.settings`) both check with these rules: a value one of them
refuses, the other refuses too, with the same sentence.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from pos_app.config import Settings, SettingsError, SettingsFileStore, load_settings
from pos_app.domain import settings_rules as rules
from pos_app.domain.errors import (
    ConfigurationError,
    InvalidInputError,
    UnavailableError,
    user_message,
)
from pos_app.domain.settings_values import EDITABLE_FIELDS
from pos_app.secrets import KeyringSecretStore
from pos_app.services.settings import (
    ConnectionReport,
    SettingsField,
    SettingsForm,
    SettingsInvalidError,
    SettingsSaveError,
    SettingsService,
)
from pos_app.services.settings.form import SECRET_FIELDS
from tests.support.memory_keyring import isolate_settings


@pytest.fixture(autouse=True)
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_settings(monkeypatch, tmp_path / "config")


async def never_called(
    api_url: str, client_id: str, client_secret: str, sub_account: str | None
) -> ConnectionReport:
    raise AssertionError("no connection test expected")


GOOD = SettingsForm(
    demo=False,
    api_url="https://api.justifi.ai",
    client_id="test_abc",
    client_secret="typed-secret",
    sub_account="acc_123",
    lane="Front counter",
    tax_rate_percent="8.25",
)


def dialog_problems(**change: str) -> dict[SettingsField, str]:
    service = SettingsService(SettingsFileStore(), KeyringSecretStore(), never_called)
    return dict(service.validate(replace(GOOD, **change)).problems)  # type: ignore[arg-type]


def file_problem(**values: object) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(**values)
    return str(caught.value)


# -- each rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://api.justifi.ai", ""),
        ("http://127.0.0.1:8765", ""),
        ("http://localhost:8765/v1", ""),
        ("http://[::1]:8765", ""),
        ("", rules.URL_MISSING),
        ("http://example.com", rules.URL_NOT_HTTPS),
        ("ftp://api.justifi.ai", rules.URL_NOT_HTTPS),
        ("https://exa mple.com", rules.URL_INVALID),
        ("https://", rules.URL_INVALID),
        ("https://:443", rules.URL_INVALID),
    ],
)
def test_the_url_rule(url: str, problem: str) -> None:
    assert rules.url_problem(url) == problem


def test_a_url_is_kept_without_spaces_around_or_a_trailing_slash() -> None:
    assert rules.normalise_url(" https://api.justifi.ai/ ") == "https://api.justifi.ai"


@pytest.mark.parametrize(
    ("api_url", "client_id", "badge"),
    [
        ("https://api.justifi.ai", "live_abc", "LIVE"),
        ("https://API.justifi.ai/", None, "LIVE"),
        ("https://api.justifi.ai", "test_abc", "TEST"),
        ("http://127.0.0.1:8765", "live_abc", "TEST"),
        ("https://api.justifi.ai.example.com", "live_abc", "TEST"),
    ],
)
def test_only_justifis_own_host_with_a_live_client_is_live(
    api_url: str, client_id: str | None, badge: str
) -> None:
    assert rules.environment(api_url, client_id) == badge
    assert load_settings(api_url=api_url, client_id=client_id).environment == badge


@pytest.mark.parametrize(
    ("lane", "problem"),
    [("Front", ""), ("", rules.LANE_MISSING), ("L" * 64, ""), ("L" * 65, rules.LANE_TOO_LONG)],
)
def test_the_lane_rule(lane: str, problem: str) -> None:
    assert rules.lane_problem(lane) == problem


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Shop\nStreet  \n\n", ""),
        ("\n".join("x" * 8), ""),
        ("\n".join("x" * 9), rules.HEADER_TOO_MANY_LINES),
        ("x" * 48, ""),
        ("ok\n" + "w" * 49, "Line 2 of the receipt header is longer than 48 characters."),
    ],
)
def test_the_receipt_header_rule(text: str, problem: str) -> None:
    assert rules.header_problem(rules.header_lines(text)) == problem


def test_a_header_is_kept_as_printed() -> None:
    assert rules.normalise_header("Shop  \r\nStreet\n\n") == "Shop\nStreet"


@pytest.mark.parametrize(
    ("check", "good", "bad", "problem"),
    [
        (rules.client_id_problem, "test_abc", "test abc", rules.CLIENT_ID_SPACES),
        (rules.client_id_problem, "test_abc", "", rules.CLIENT_ID_MISSING),
        (rules.secret_problem, "s3cret", " s3cret", rules.SECRET_SPACES),
        (rules.sub_account_problem, "acc_1", "123", rules.SUB_ACCOUNT_FORMAT),
        (rules.sub_account_problem, "acc_1", "", rules.SUB_ACCOUNT_MISSING),
        (rules.terminal_problem, "trm_1", "front", rules.TERMINAL_FORMAT),
        (rules.terminal_problem, "", "trm 1", rules.TERMINAL_FORMAT),
        (rules.payment_flow_problem, "checkout", "cash", rules.PAYMENT_FLOW_INVALID),
    ],
)
def test_the_dialogs_id_formats(check: object, good: str, bad: str, problem: str) -> None:
    assert callable(check)
    assert check(good) == ""
    assert check(bad) == problem


@pytest.mark.parametrize(("bps", "percent"), [(825, "8.25"), (800, "8"), (850, "8.5"), (0, "0")])
def test_basis_points_read_as_percent_and_back(bps: int, percent: str) -> None:
    assert rules.bps_to_percent(bps) == percent
    assert rules.parse_tax_percent(percent) == (bps, "")


@pytest.mark.parametrize(
    ("typed", "minutes", "problem"),
    [
        ("15", 15, ""),
        (" 30 ", 30, ""),
        ("1", 1, ""),
        ("480", 480, ""),
        ("0480", 480, ""),
        ("0", None, rules.IDLE_OUT_OF_RANGE),
        ("481", None, rules.IDLE_OUT_OF_RANGE),
        ("9" * 5000, None, rules.IDLE_OUT_OF_RANGE),  # a paste too long for int()
        ("-5", None, rules.IDLE_NOT_A_NUMBER),
        ("+5", None, rules.IDLE_NOT_A_NUMBER),
        ("1.5", None, rules.IDLE_NOT_A_NUMBER),
        ("15 min", None, rules.IDLE_NOT_A_NUMBER),
        ("\u0661\u0665", None, rules.IDLE_NOT_A_NUMBER),  # Arabic-Indic digits
        ("", None, rules.IDLE_NOT_A_NUMBER),
    ],
)
def test_the_idle_sign_out_time_is_whole_minutes_from_1_to_480(
    typed: str, minutes: int | None, problem: str
) -> None:
    assert rules.parse_idle_minutes(typed) == (minutes, problem)
    assert rules.IDLE_OUT_OF_RANGE == (
        "The idle sign-out time is 1 to 480 minutes (8 hours at most)."
    )


def test_the_editable_fields_are_the_values_the_file_store_keeps() -> None:
    assert SettingsFileStore.EDITABLE == EDITABLE_FIELDS
    assert set(EDITABLE_FIELDS) <= set(Settings.model_fields)
    form_fields = {f.value for f in SettingsField} - {f.value for f in SECRET_FIELDS}
    assert form_fields == set(EDITABLE_FIELDS)


def test_the_file_takes_the_flows_and_currencies_the_rules_name() -> None:
    for flow in rules.PAYMENT_FLOWS:
        assert load_settings(payment_flow=flow).payment_flow == flow
    for currency in rules.CURRENCIES:
        assert load_settings(currency=currency).currency == currency
    assert "payment_flow" in file_problem(payment_flow="cash")
    assert "currency" in file_problem(currency="eur")


# -- one rule, two places, the same sentence ----------------------------------------------------


@pytest.mark.parametrize(
    ("field", "typed", "sentence"),
    [
        (SettingsField.API_URL, "http://example.com", rules.URL_NOT_HTTPS),
        (SettingsField.API_URL, "https://exa mple.com", rules.URL_INVALID),
        (SettingsField.LANE, "L" * 65, rules.LANE_TOO_LONG),
        (SettingsField.LANE, "  ", rules.LANE_MISSING),
        (SettingsField.RECEIPT_HEADER, "a\n" * 9, rules.HEADER_TOO_MANY_LINES),
        (SettingsField.IDLE_SIGN_OUT, "0", rules.IDLE_OUT_OF_RANGE),
        (SettingsField.IDLE_SIGN_OUT, "481", rules.IDLE_OUT_OF_RANGE),
    ],
)
def test_the_file_and_the_dialog_refuse_with_the_same_sentence(
    field: SettingsField, typed: str, sentence: str
) -> None:
    assert dialog_problems(**{field.value: typed}) == {field: sentence}
    assert file_problem(**{field.value: typed}) == f"{field.value}: Value error, {sentence}"


def test_the_file_and_the_dialog_keep_the_same_cleaned_values() -> None:
    service = SettingsService(SettingsFileStore(), KeyringSecretStore(), never_called)
    typed = replace(GOOD, api_url=" https://api.justifi.ai/ ", lane=" Front ")
    values = service.validate(replace(typed, receipt_header="Shop  \n\n")).values
    assert values is not None
    loaded = load_settings(api_url=typed.api_url, lane=typed.lane, receipt_header="Shop  \n\n")
    assert (loaded.api_url, loaded.lane, loaded.receipt_header) == (
        values.api_url,
        values.lane,
        values.receipt_header,
    )


def test_the_tax_ceiling_is_the_same_in_both() -> None:
    assert dialog_problems(tax_rate_percent="100.01") == {
        SettingsField.TAX_RATE: rules.TAX_OUT_OF_RANGE
    }
    assert load_settings(tax_rate_bps=rules.TAX_MAX_BPS).tax_rate_bps == rules.TAX_MAX_BPS
    assert "tax_rate_bps" in file_problem(tax_rate_bps=rules.TAX_MAX_BPS + 1)


# -- the errors a person reads ----------------------------------------------------------------


def test_the_settings_errors_belong_to_the_family_a_person_may_read() -> None:
    file_error = SettingsError("lane: too long")
    assert isinstance(file_error, ConfigurationError)
    assert isinstance(file_error, ValueError)  # callers that caught ValueError still do
    invalid = SettingsInvalidError({SettingsField.LANE: rules.LANE_MISSING})
    assert isinstance(invalid, InvalidInputError)
    assert invalid.problems == {SettingsField.LANE: rules.LANE_MISSING}
    not_saved = SettingsSaveError("The settings were not saved: the disk is full")
    assert isinstance(not_saved, UnavailableError)
    assert user_message(not_saved) == "The settings were not saved: the disk is full"
