"""The till's two settings of issue 14: the discount limit (`discount_approval_percent`) and
the receipt printer that opens the cash drawer (`receipt_printer`): the environment, the
settings file, the rules, the settings service's round trip, and the printer rule agreeing
with the parser the printer is reached through (`EscposTarget.parse`)."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from pos_app.config import (
    SettingsError,
    SettingsFileStore,
    env_names,
    fields_set_by_environment,
    load_settings,
)
from pos_app.domain import settings_rules as rules
from pos_app.printing.escpos import EscposTarget
from pos_app.secrets import KeyringSecretStore
from pos_app.services.settings import (
    ConnectionReport,
    SettingsField,
    SettingsForm,
    SettingsService,
    SettingsValues,
)
from tests.support.memory_keyring import isolate_settings

LIMIT_ENV = "POS_DISCOUNT_APPROVAL_PERCENT"
PRINTER_ENV = "POS_RECEIPT_PRINTER"


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_settings(monkeypatch, tmp_path / "config")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


async def never_called(
    api_url: str, client_id: str, client_secret: str, sub_account: str | None
) -> ConnectionReport:
    raise AssertionError("no connection test expected")


def settings_service(saved: list[SettingsValues] | None = None) -> SettingsService:
    return SettingsService(
        SettingsFileStore(),
        KeyringSecretStore(),
        never_called,
        on_saved=saved.append if saved is not None else None,
    )


def file_problem(**values: object) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(**values)
    return str(caught.value)


# -- the discount limit ------------------------------------------------------------------------


def test_ten_percent_and_no_printer_unless_set(settings_file: Path) -> None:
    settings = load_settings()
    assert settings.discount_approval_percent == 10 == rules.DEFAULT_DISCOUNT_APPROVAL_PERCENT
    assert settings.discount_approval_bps == 1_000
    assert settings.receipt_printer == ""
    assert env_names("discount_approval_percent") == (LIMIT_ENV, "discount_approval_percent")
    assert env_names("receipt_printer") == (PRINTER_ENV, "receipt_printer")


def test_the_file_sets_them_and_the_environment_wins(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        settings_file,
        'discount_approval_percent = 25\nreceipt_printer = "usb:04b8:0202"\n',
    )
    assert load_settings().discount_approval_percent == 25
    assert load_settings().receipt_printer == "usb:04b8:0202"
    monkeypatch.setenv(LIMIT_ENV.lower(), "0")  # pydantic-settings ignores the case
    monkeypatch.setenv(PRINTER_ENV, " Network: 10.0.0.5:9100 ")
    settings = load_settings()
    assert settings.discount_approval_percent == 0
    assert settings.receipt_printer == "network:10.0.0.5:9100"  # kept normalised
    assert fields_set_by_environment({LIMIT_ENV: "0", PRINTER_ENV: ""}) == {
        "discount_approval_percent",
        "receipt_printer",
    }


@pytest.mark.parametrize(
    ("typed", "percent", "problem"),
    [
        ("10", 10, ""),
        (" 15 % ", 15, ""),
        ("0", 0, ""),
        ("100", 100, ""),
        ("0100", 100, ""),
        ("101", None, rules.DISCOUNT_LIMIT_OUT_OF_RANGE),
        ("-5", None, rules.DISCOUNT_LIMIT_OUT_OF_RANGE),
        ("9" * 5000, None, rules.DISCOUNT_LIMIT_OUT_OF_RANGE),  # a paste too long for int()
        ("12.5", None, rules.DISCOUNT_LIMIT_NOT_A_NUMBER),
        ("+5", None, rules.DISCOUNT_LIMIT_NOT_A_NUMBER),
        ("ten", None, rules.DISCOUNT_LIMIT_NOT_A_NUMBER),
        ("\u0661\u0665", None, rules.DISCOUNT_LIMIT_NOT_A_NUMBER),  # Arabic-Indic digits
        ("", None, rules.DISCOUNT_LIMIT_NOT_A_NUMBER),
    ],
)
def test_the_discount_limit_is_a_whole_percent_from_0_to_100(
    typed: str, percent: int | None, problem: str
) -> None:
    assert rules.parse_discount_percent(typed) == (percent, problem)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("101", rules.DISCOUNT_LIMIT_OUT_OF_RANGE),
        ("-1", rules.DISCOUNT_LIMIT_OUT_OF_RANGE),
        ("ten", "Input should be a valid integer"),
    ],
)
def test_a_bad_limit_in_the_environment_is_one_clear_line(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    monkeypatch.setenv(LIMIT_ENV, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).startswith(f"{LIMIT_ENV}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_true_in_the_file_is_not_one_percent(settings_file: Path) -> None:
    write(settings_file, "discount_approval_percent = true\n")
    with pytest.raises(SettingsError, match=rules.DISCOUNT_LIMIT_NOT_A_NUMBER):
        load_settings()


# -- the receipt printer ------------------------------------------------------------------------

# What the shop's IT person types, and what the rule says.
PRINTERS: list[tuple[str, str]] = [
    ("", ""),
    ("network:192.168.1.50", ""),
    ("network:192.168.1.50:9100", ""),
    ("network:printer.local:9101", ""),
    ("network:fe80::1", ""),  # IPv6: more than one colon, so no port is split off
    ("usb:04b8:0202", ""),
    ("usb:4B8:202", ""),
    ("serial:/dev/ttyUSB0", ""),
    ("serial:COM3", ""),
    ("file:/dev/usb/lp0", ""),
    ("file:C:/Printers/Receipt Printer", ""),
    ("lpt:1", rules.PRINTER_KIND_UNKNOWN),
    ("192.168.1.50", rules.PRINTER_KIND_UNKNOWN),
    ("network:", rules.PRINTER_ADDRESS_MISSING),
    ("serial:", rules.PRINTER_ADDRESS_MISSING),
    ("file:", rules.PRINTER_ADDRESS_MISSING),
    ("network::9100", rules.PRINTER_ADDRESS_MISSING),
    ("network:192.168.1.50:printer", rules.PRINTER_PORT),
    ("network:192.168.1.50:0", rules.PRINTER_PORT),
    ("network:192.168.1.50:65536", rules.PRINTER_PORT),
    ("usb:", rules.PRINTER_ADDRESS_MISSING),
    ("usb:04b8", rules.PRINTER_USB_IDS),
    ("usb:epson:tm88", rules.PRINTER_USB_IDS),
    ("usb:04b8:0202:1", rules.PRINTER_USB_IDS),
]

# Read by EscposTarget.parse, but refused here on purpose: each would only fail when the
# first receipt or drawer pulse is sent (or reach another printer than the one meant).
STRICTER: list[tuple[str, str]] = [
    ("network:192.168.1.50:", rules.PRINTER_PORT),  # parse keeps "192.168.1.50:" as the host
    ("network:192.168.1.50 :9100", rules.PRINTER_HOST_SPACES),
    ("network:shop printer", rules.PRINTER_HOST_SPACES),
    ("network:192.168.1.50:0009100", rules.PRINTER_PORT),
    ("usb:0x04b8:0x0202", rules.PRINTER_USB_IDS),
    ("usb:04b8:10000", rules.PRINTER_USB_IDS),  # a USB id has four hex digits at most
    ("file:/dev/usb/lp0\x00", rules.PRINTER_CONTROL_CHARACTERS),
]


@pytest.mark.parametrize(("spec", "problem"), PRINTERS + STRICTER)
def test_the_receipt_printer_rule(spec: str, problem: str) -> None:
    assert rules.receipt_printer_problem(rules.normalise_receipt_printer(spec)) == problem


@pytest.mark.parametrize(("spec", "problem"), PRINTERS)
def test_the_rule_and_the_printers_parser_agree(spec: str, problem: str) -> None:
    """What the rule refuses the parser refuses; what it lets through the parser reads."""
    if not spec:
        return  # no printer: nothing is parsed
    try:
        target: EscposTarget | None = EscposTarget.parse(spec)
    except ValueError:
        target = None
    assert (target is not None) == (problem == "")


@pytest.mark.parametrize(("spec", "problem"), STRICTER)
def test_what_the_rule_refuses_beyond_the_parser_is_listed(spec: str, problem: str) -> None:
    assert EscposTarget.parse(spec).kind == spec.partition(":")[0]  # the parser reads it...
    # ...and the rule refuses it, saying what to type instead.
    assert rules.receipt_printer_problem(rules.normalise_receipt_printer(spec)) == problem


@pytest.mark.parametrize(
    ("spec", "kind", "address", "port"),
    [
        (" Network: 192.168.1.50 ", "network", "192.168.1.50", 9100),
        ("NETWORK:printer.local:9101", "network", "printer.local", 9101),
        ("USB: 04b8:0202", "usb", "04b8:0202", 9100),
        ("serial: /dev/ttyUSB0", "serial", "/dev/ttyUSB0", 9100),
    ],
)
def test_the_kept_printer_is_the_one_the_parser_reaches(
    spec: str, kind: str, address: str, port: int
) -> None:
    kept = rules.normalise_receipt_printer(spec)
    assert rules.receipt_printer_problem(kept) == ""
    target = EscposTarget.parse(kept)
    assert (target.kind, target.address, target.port) == (kind, address, port)


def test_a_bad_printer_in_the_environment_is_one_clear_line(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PRINTER_ENV, "lpt:1")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value) == f"{PRINTER_ENV}: Value error, {rules.PRINTER_KIND_UNKNOWN}"


# -- one rule, two places, the same sentence ----------------------------------------------------

GOOD = SettingsForm(demo=True, lane="Front")


@pytest.mark.parametrize(
    ("field", "typed", "sentence"),
    [
        (SettingsField.DISCOUNT_APPROVAL, "101", rules.DISCOUNT_LIMIT_OUT_OF_RANGE),
        (SettingsField.DISCOUNT_APPROVAL, "-1", rules.DISCOUNT_LIMIT_OUT_OF_RANGE),
        (SettingsField.RECEIPT_PRINTER, "lpt:1", rules.PRINTER_KIND_UNKNOWN),
        (SettingsField.RECEIPT_PRINTER, "network:10.0.0.5:0", rules.PRINTER_PORT),
        (SettingsField.RECEIPT_PRINTER, "usb:04b8", rules.PRINTER_USB_IDS),
    ],
)
def test_the_file_and_the_dialog_refuse_with_the_same_sentence(
    settings_file: Path, field: SettingsField, typed: str, sentence: str
) -> None:
    problems = settings_service().validate(replace(GOOD, **{field.value: typed})).problems
    assert problems == {field: sentence}
    value: object = int(typed) if field is SettingsField.DISCOUNT_APPROVAL else typed
    assert file_problem(**{field.value: value}) == f"{field.value}: Value error, {sentence}"


# -- the settings service ----------------------------------------------------------------------


def test_the_limit_round_trips_and_applies_without_a_restart(settings_file: Path) -> None:
    saved: list[SettingsValues] = []
    service = settings_service(saved)
    assert service.current().discount_approval_percent == "10"

    result = service.save(replace(service.current(), discount_approval_percent=" 20 % "))

    assert result.changed == {SettingsField.DISCOUNT_APPROVAL}
    assert not result.restart_needed  # the till reads the limit in force (see on_saved)
    assert result.values.discount_approval_percent == 20
    assert result.values.discount_approval_bps == 2_000
    assert saved == [result.values]
    stored = tomllib.loads(settings_file.read_text(encoding="utf-8"))
    assert stored["discount_approval_percent"] == 20
    assert load_settings().discount_approval_percent == 20
    assert settings_service().current().discount_approval_percent == "20"


def test_a_new_printer_is_kept_normalised_and_takes_a_restart(settings_file: Path) -> None:
    service = settings_service()
    assert service.current().receipt_printer == ""

    result = service.save(replace(service.current(), receipt_printer=" USB:04b8:0202 "))

    assert result.changed == {SettingsField.RECEIPT_PRINTER}
    assert result.restart_needed  # the drawer on it is wired when the lane starts
    stored = tomllib.loads(settings_file.read_text(encoding="utf-8"))
    assert stored["receipt_printer"] == "usb:04b8:0202"
    assert load_settings().receipt_printer == "usb:04b8:0202"
    assert settings_service().current().receipt_printer == "usb:04b8:0202"

    service.save(replace(service.current(), receipt_printer=""))
    assert load_settings().receipt_printer == ""  # emptied: no printer again


def test_set_by_the_environment_they_are_locked_and_not_written(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(LIMIT_ENV, "5")
    monkeypatch.setenv(PRINTER_ENV, "file:/dev/usb/lp0")
    service = settings_service()
    assert {SettingsField.DISCOUNT_APPROVAL, SettingsField.RECEIPT_PRINTER} <= (
        service.locked_fields()
    )
    assert service.current().discount_approval_percent == "5"
    assert service.current().receipt_printer == "file:/dev/usb/lp0"

    service.save(service.current())

    stored = tomllib.loads(settings_file.read_text(encoding="utf-8"))
    assert "discount_approval_percent" not in stored
    assert "receipt_printer" not in stored
