"""The settings file: versions and migration, atomic saves, no secret ever, clear messages.

Also the settings service's form check (the dialog's inline messages, from
`pos_app.domain.settings_rules`) and its promise that a typed secret goes to
the keyring and never to the file.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest
from pydantic import SecretStr

from pos_app import config
from pos_app.config import (
    SETTINGS_VERSION,
    SettingsError,
    SettingsFileStore,
    fields_set_by_environment,
    load_settings,
    save_settings,
)
from pos_app.domain import settings_rules as rules
from pos_app.secrets import KeyringSecretStore
from pos_app.services.settings import (
    ConnectionReport,
    SettingsField,
    SettingsForm,
    SettingsInvalidError,
    SettingsService,
    SettingsValues,
    parse_tax_percent,
)
from tests.support.memory_keyring import MemoryKeyring, isolate_settings

SECRET = "sk-test-Zq8vX3kP-never-on-disk"

V1_FILE = """\
api_url = "https://api.justifi.ai/"
client_id = "test_abc"
sub_account = "acc_123"
lane = "Front"
tax_rate_bps = 825
printer_width = 42

[notes]
owner = "Dana"
"""


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate_settings(monkeypatch, tmp_path / "config")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def read(path: Path) -> dict[str, object]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


# -- versions and migration ------------------------------------------------------------------


def test_a_v1_file_is_read_as_the_current_version_without_being_rewritten(
    settings_file: Path,
) -> None:
    write(settings_file, V1_FILE)
    before = settings_file.read_bytes()
    settings = load_settings()
    assert settings.settings_version == SETTINGS_VERSION == 2
    assert settings.demo is False  # v1: a client id in the file meant JustiFi
    assert not settings.is_demo
    assert (settings.api_url, settings.client_id, settings.tax_rate_bps) == (
        "https://api.justifi.ai",
        "test_abc",
        825,
    )
    assert settings_file.read_bytes() == before  # reading never writes


def test_a_v1_file_without_a_client_id_keeps_the_automatic_demo_rule(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(settings_file, 'lane = "Back"\n')
    settings = load_settings()
    assert settings.demo is None
    assert settings.is_demo
    monkeypatch.setenv("JUSTIFI_CLIENT_ID", "test_kiosk")  # a kiosk's credentials come by env
    assert not load_settings().is_demo


def test_the_migration_chain_reaches_the_current_version() -> None:
    assert set(config.MIGRATIONS) == set(range(1, SETTINGS_VERSION))
    assert config.migrate({})["settings_version"] == SETTINGS_VERSION
    assert config.migrate({"client_id": "x"}) == {
        "client_id": "x",
        "demo": False,
        "settings_version": 2,
    }
    assert config.migrate({"settings_version": 2, "lane": "A"}) == {
        "settings_version": 2,
        "lane": "A",
    }
    with pytest.raises(SettingsError, match="settings_version"):
        config.migrate({"settings_version": "two"})


def test_saving_a_v1_file_writes_the_current_version_and_keeps_unknown_keys(
    settings_file: Path,
) -> None:
    write(settings_file, V1_FILE)
    save_settings({"lane": "Front counter", "tax_rate_bps": 700})
    saved = read(settings_file)
    assert saved["settings_version"] == SETTINGS_VERSION
    assert saved["demo"] is False
    assert saved["lane"] == "Front counter"
    assert saved["tax_rate_bps"] == 700
    assert saved["api_url"] == "https://api.justifi.ai"  # as load_settings reads it
    assert saved["printer_width"] == 42
    assert saved["notes"] == {"owner": "Dana"}
    assert load_settings().lane == "Front counter"


def test_a_file_from_a_newer_version_is_read_but_never_overwritten(
    settings_file: Path,
) -> None:
    write(settings_file, 'settings_version = 3\nlane = "Front"\nnew_thing = true\n')
    assert load_settings().lane == "Front"
    before = settings_file.read_bytes()
    with pytest.raises(SettingsError, match="newer pos-app"):
        save_settings({"lane": "Back"})
    assert settings_file.read_bytes() == before


# -- saving -----------------------------------------------------------------------------------


def test_a_new_file_round_trips_a_multi_line_header(settings_file: Path) -> None:
    header = 'Café "Zur Post"\nC:\\till\\1\n\ttabbed'
    path = save_settings({"receipt_header": header, "demo": True, "default_terminal": "trm_1"})
    assert path == settings_file
    assert read(settings_file)["receipt_header"] == header
    settings = load_settings()
    assert settings.receipt_header == header
    assert settings.default_terminal == "trm_1"
    assert settings.is_demo
    assert settings_file.read_text(encoding="utf-8").startswith("# pos-app settings.")


def test_none_removes_a_key_so_the_default_applies_again(settings_file: Path) -> None:
    save_settings({"default_terminal": "trm_1", "tax_rate_bps": 500})
    save_settings({"default_terminal": None})
    saved = read(settings_file)
    assert "default_terminal" not in saved
    assert saved["tax_rate_bps"] == 500
    assert load_settings().default_terminal is None


@pytest.mark.parametrize(
    "values",
    [
        {"client_secret": SECRET},
        {"justifi_client_secret": SECRET},
        {"client_id": SecretStr(SECRET)},
    ],
)
def test_a_secret_is_refused_and_nothing_is_written(
    settings_file: Path, values: Mapping[str, object]
) -> None:
    write(settings_file, V1_FILE)
    before = settings_file.read_bytes()
    with pytest.raises(SettingsError, match="secrets belong in the OS keyring") as caught:
        save_settings(values)
    assert SECRET not in str(caught.value)
    assert settings_file.read_bytes() == before
    assert SECRET not in settings_file.read_text(encoding="utf-8")


def test_a_file_holding_a_secret_is_refused_on_read(settings_file: Path) -> None:
    write(settings_file, f'client_secret = "{SECRET}"\n')
    with pytest.raises(SettingsError, match="Remove it from the file") as caught:
        load_settings()
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        pytest.param(f'client_secret = "{SECRET}"\n', "client_secret", id="lower"),
        pytest.param(f'CLIENT_SECRET = "{SECRET}"\n', "CLIENT_SECRET", id="upper"),
        pytest.param(f'Client_Secret = "{SECRET}"\n', "Client_Secret", id="mixed"),
        pytest.param(f'"client-secret" = "{SECRET}"\n', "client-secret", id="dashed"),
        pytest.param(
            f'JUSTIFI_CLIENT_SECRET = "{SECRET}"\n', "JUSTIFI_CLIENT_SECRET", id="env-name"
        ),
        pytest.param(
            f'[justifi]\nclient_secret = "{SECRET}"\n', "[justifi] client_secret", id="in-a-table"
        ),
        pytest.param(
            f'[justifi.account]\nClientSecret = "{SECRET}"\n',
            "[justifi.account] ClientSecret",
            id="nested-table",
        ),
        pytest.param(
            f'[[accounts]]\nid = "a"\n[[accounts]]\nclient_secret = "{SECRET}"\n',
            "[accounts] client_secret",
            id="array-of-tables",
        ),
        pytest.param(f'access_token = "{SECRET}"\n', "access_token", id="access-token"),
        pytest.param(f'[justifi]\nAccess-Token = "{SECRET}"\n', "Access-Token", id="token"),
        pytest.param(f'password = "{SECRET}"\n', "password", id="password"),
        pytest.param(f'[printer]\nadmin_password = "{SECRET}"\n', "admin_password", id="pw"),
        pytest.param(f'manager_pin = "{SECRET}"\n', "manager_pin", id="pin"),
        pytest.param(f'api_key = "{SECRET}"\n', "api_key", id="api-key"),
    ],
)
def test_a_secret_anywhere_in_the_file_refuses_the_whole_file(
    settings_file: Path, text: str, named: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Top-level keys go before the file's first table, tables after it.
    write(settings_file, V1_FILE + text if text.startswith("[") else text + V1_FILE)
    caplog.set_level(logging.DEBUG)
    for attempt in (load_settings, config.read_settings_file, SettingsFileStore().load):
        with pytest.raises(SettingsError) as caught:
            attempt()
        message = str(caught.value)
        assert named in message
        assert "OS keyring or the JUSTIFI_CLIENT_SECRET environment variable" in message
        assert "Remove it from the file" in message
        assert SECRET not in message
    # Saving reads the file first: the secret is neither kept nor written again.
    before = settings_file.read_bytes()
    with pytest.raises(SettingsError):
        save_settings({"lane": "Back"})
    assert settings_file.read_bytes() == before
    assert SECRET not in caplog.text


def test_ordinary_keys_are_not_taken_for_secrets(settings_file: Path) -> None:
    write(settings_file, V1_FILE + 'pinned = ["latte"]\nspinner_ms = 600\n[tokens_note]\nx = 1\n')
    with pytest.raises(SettingsError, match=r"\[?tokens_note"):
        load_settings()  # a table named like a secret is one too
    write(settings_file, V1_FILE + 'pinned = ["latte"]\nspinner_ms = 600\n')
    assert load_settings().lane == "Front"


@pytest.mark.parametrize("key", ["JUSTIFI_CLIENT_SECRET", "Client_Secret", "access_token"])
def test_a_secret_like_key_is_never_written(settings_file: Path, key: str) -> None:
    with pytest.raises(SettingsError, match="secrets belong in the OS keyring"):
        save_settings({key: SECRET})
    assert not settings_file.exists()


def test_an_unknown_setting_is_refused(settings_file: Path) -> None:
    with pytest.raises(SettingsError, match="printer_width is not a setting"):
        save_settings({"printer_width": 42})
    with pytest.raises(SettingsError, match="settings_version is not a setting"):
        save_settings({"settings_version": 9})
    assert not settings_file.exists()


def test_save_replaces_the_file_atomically(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(settings_file, V1_FILE)
    replaced: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(source: str, target: str) -> None:
        # At the moment of the swap, the new text is complete on disk beside the old file.
        assert Path(source).parent == settings_file.parent
        assert "Front counter" in Path(source).read_text(encoding="utf-8")
        assert "Front counter" not in settings_file.read_text(encoding="utf-8")
        replaced.append((source, target))
        real_replace(source, target)

    monkeypatch.setattr(config.os, "replace", spy)
    save_settings({"lane": "Front counter"})
    assert [Path(target) for _, target in replaced] == [settings_file]
    assert sorted(p.name for p in settings_file.parent.iterdir()) == ["settings.toml"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(
    settings_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(settings_file, V1_FILE)
    before = settings_file.read_bytes()

    def disk_full(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(config.os, "replace", disk_full)
    with pytest.raises(SettingsError, match="No space left on device"):
        save_settings({"lane": "Front counter"})
    assert settings_file.read_bytes() == before
    assert sorted(p.name for p in settings_file.parent.iterdir()) == ["settings.toml"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"api_url": "http://example.com"}, "must start with https://"),
        ({"tax_rate_bps": 10_001}, "tax_rate_bps: Input should be less than or equal to 10000"),
        ({"payment_flow": "cash"}, "payment_flow"),
        ({"receipt_header": "\n".join("x" * 9)}, "at most 8 lines"),
        ({"receipt_header": "y" * 49}, "longer than 48 characters"),
        ({"lane": ""}, "lane"),
    ],
)
def test_invalid_values_are_refused_with_one_clear_line(
    settings_file: Path, values: Mapping[str, object], message: str
) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        save_settings(values)
    assert "\n" not in str(caught.value)
    assert not settings_file.exists()


def test_a_hand_edited_invalid_file_gives_one_line_on_load(settings_file: Path) -> None:
    write(settings_file, "tax_rate_bps = -5\n")
    with pytest.raises(SettingsError, match=r"^tax_rate_bps: Input should be greater"):
        load_settings()


def test_fields_set_by_environment_are_named() -> None:
    environ = {"JUSTIFI_API_URL": "https://x", "pos_lane": "A", "HOME": "/"}
    assert fields_set_by_environment(environ) == {"api_url", "lane"}


# -- the service's rules ----------------------------------------------------------------------


class FakeStore:
    """The settings store in memory: records what it was asked to save."""

    def __init__(self, **values: object) -> None:
        self.values: dict[str, object] = {
            "demo": None,
            "api_url": "https://api.justifi.ai",
            "client_id": None,
            "sub_account": None,
            "payment_flow": "payment_intent",
            "lane": "Front",
            "default_terminal": None,
            "tax_rate_bps": 0,
            "receipt_header": "",
            "idle_sign_out_minutes": 15,
            "discount_approval_percent": 10,
            "receipt_printer": "",
            **values,
        }
        self.saved: list[dict[str, object]] = []
        self.locked: frozenset[str] = frozenset()

    def load(self) -> Mapping[str, object]:
        return dict(self.values)

    def locked_fields(self) -> frozenset[str]:
        return self.locked

    def save(self, values: Mapping[str, object]) -> None:
        self.saved.append(dict(values))
        self.values.update(values)


async def never_called(
    api_url: str, client_id: str, client_secret: str, sub_account: str | None
) -> ConnectionReport:
    raise AssertionError("no connection test expected")


def service(store: FakeStore | None = None) -> SettingsService:
    return SettingsService(store or FakeStore(), KeyringSecretStore(), never_called)


GOOD = SettingsForm(
    demo=False,
    api_url="https://api.justifi.ai/",
    client_id="test_abc",
    client_secret=SECRET,
    sub_account="acc_123",
    payment_flow="checkout",
    lane=" Front counter ",
    default_terminal="trm_1",
    tax_rate_percent="8.25",
    receipt_header="Corner Shop\n12 Main St\n\n",
)


@pytest.mark.parametrize(
    ("typed", "bps", "problem"),
    [
        ("8.25", 825, ""),
        ("8,5 %", 850, ""),
        ("0", 0, ""),
        ("100", 10_000, ""),
        ("7", 700, ""),
        ("8.255", None, rules.TAX_TOO_PRECISE),
        ("100.01", None, rules.TAX_OUT_OF_RANGE),
        ("-1", None, rules.TAX_OUT_OF_RANGE),
        ("abc", None, rules.TAX_NOT_A_NUMBER),
        ("", None, rules.TAX_NOT_A_NUMBER),
        ("NaN", None, rules.TAX_NOT_A_NUMBER),
    ],
)
def test_tax_rate_is_typed_in_percent_and_kept_in_basis_points(
    typed: str, bps: int | None, problem: str
) -> None:
    assert parse_tax_percent(typed) == (bps, problem)


def test_a_good_form_validates_to_the_values_the_file_keeps(settings_file: Path) -> None:
    validation = service().validate(GOOD)
    assert validation.ok
    assert validation.values == SettingsValues(
        demo=False,
        api_url="https://api.justifi.ai",
        client_id="test_abc",
        sub_account="acc_123",
        payment_flow="checkout",
        lane="Front counter",
        default_terminal="trm_1",
        tax_rate_bps=825,
        receipt_header="Corner Shop\n12 Main St",
        idle_sign_out_minutes=15,
        discount_approval_percent=10,
        receipt_printer="",
    )
    assert SECRET not in repr(validation)
    assert SECRET not in repr(GOOD)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"api_url": ""}, SettingsField.API_URL, rules.URL_MISSING),
        ({"api_url": "http://example.com"}, SettingsField.API_URL, rules.URL_NOT_HTTPS),
        ({"api_url": "https://exa mple.com"}, SettingsField.API_URL, rules.URL_INVALID),
        ({"client_id": " "}, SettingsField.CLIENT_ID, rules.CLIENT_ID_MISSING),
        ({"client_id": "test abc"}, SettingsField.CLIENT_ID, rules.CLIENT_ID_SPACES),
        ({"client_secret": ""}, SettingsField.CLIENT_SECRET, rules.SECRET_MISSING),
        ({"client_secret": " x"}, SettingsField.CLIENT_SECRET, rules.SECRET_SPACES),
        ({"sub_account": ""}, SettingsField.SUB_ACCOUNT, rules.SUB_ACCOUNT_MISSING),
        ({"sub_account": "123"}, SettingsField.SUB_ACCOUNT, rules.SUB_ACCOUNT_FORMAT),
        ({"payment_flow": "cash"}, SettingsField.PAYMENT_FLOW, rules.PAYMENT_FLOW_INVALID),
        ({"lane": "  "}, SettingsField.LANE, rules.LANE_MISSING),
        ({"lane": "L" * 65}, SettingsField.LANE, rules.LANE_TOO_LONG),
        (
            {"default_terminal": "front"},
            SettingsField.DEFAULT_TERMINAL,
            rules.TERMINAL_FORMAT,
        ),
        (
            {"receipt_header": "a\n" * 9},
            SettingsField.RECEIPT_HEADER,
            rules.HEADER_TOO_MANY_LINES,
        ),
        (
            {"receipt_header": "ok\n" + "w" * 49},
            SettingsField.RECEIPT_HEADER,
            "Line 2 of the receipt header is longer than 48 characters.",
        ),
        ({"idle_sign_out_minutes": "0"}, SettingsField.IDLE_SIGN_OUT, rules.IDLE_OUT_OF_RANGE),
        ({"idle_sign_out_minutes": "1.5"}, SettingsField.IDLE_SIGN_OUT, rules.IDLE_NOT_A_NUMBER),
    ],
)
def test_each_field_says_what_to_fix(
    settings_file: Path, change: dict[str, str], field: SettingsField, message: str
) -> None:
    validation = service().validate(replace(GOOD, **change))  # type: ignore[arg-type]
    assert not validation.ok
    assert validation.problems == {field: message}


def test_demo_mode_ignores_the_account_fields_and_keeps_them_in_the_file(
    settings_file: Path,
) -> None:
    store = FakeStore(client_id="test_old", sub_account="acc_old", demo=False)
    settings = service(store)
    form = SettingsForm(demo=True, api_url="nonsense", client_id="", lane="A")
    result = settings.save(form)
    assert store.saved == [
        {
            "demo": True,
            "payment_flow": "payment_intent",
            "lane": "A",
            "default_terminal": None,
            "tax_rate_bps": 0,
            "receipt_header": "",
            "idle_sign_out_minutes": 15,
            "discount_approval_percent": 10,
            "receipt_printer": "",
            "store_url": "",
        }
    ]
    assert result.values.client_id == "test_old"
    assert result.restart_needed  # demo <-> JustiFi needs the lane wired again
    assert MemoryKeyring.passwords == {}


def test_saving_sends_the_secret_to_the_keyring_and_never_to_the_file(
    settings_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = FakeStore()
    settings = service(store)
    result = settings.save(GOOD)
    assert MemoryKeyring.passwords == {("pos-app/justifi", "test_abc"): SECRET}
    assert len(store.saved) == 1
    assert SECRET not in repr(store.saved)
    assert "client_secret" not in store.saved[0]
    assert SettingsField.CLIENT_SECRET in result.changed
    assert result.restart_needed
    assert settings.secret_state("test_abc").stored
    assert SECRET not in caplog.text


def test_a_new_client_id_replaces_the_old_ones_secret(settings_file: Path) -> None:
    settings = service(FakeStore())
    settings.save(GOOD)
    settings.save(replace(GOOD, client_id="test_new", client_secret="another-secret"))
    assert MemoryKeyring.passwords == {("pos-app/justifi", "test_new"): "another-secret"}


def test_a_stored_secret_need_not_be_typed_again(settings_file: Path) -> None:
    settings = service(FakeStore())
    settings.save(GOOD)
    again = replace(GOOD, client_secret="", lane="Renamed")
    assert settings.validate(again).ok
    result = settings.save(again)
    assert result.changed == {SettingsField.LANE}
    assert MemoryKeyring.passwords == {("pos-app/justifi", "test_abc"): SECRET}


def test_an_invalid_form_saves_nothing(settings_file: Path) -> None:
    store = FakeStore()
    with pytest.raises(SettingsInvalidError) as caught:
        service(store).save(replace(GOOD, tax_rate_percent="lots"))
    assert caught.value.problems == {SettingsField.TAX_RATE: rules.TAX_NOT_A_NUMBER}
    assert store.saved == []
    assert MemoryKeyring.passwords == {}


def test_fields_set_by_the_environment_are_not_written(settings_file: Path) -> None:
    store = FakeStore()
    store.locked = frozenset({"api_url", "lane"})
    settings = service(store)
    assert settings.locked_fields() == {SettingsField.API_URL, SettingsField.LANE}
    settings.save(GOOD)
    assert "api_url" not in store.saved[0]
    assert "lane" not in store.saved[0]


def test_the_real_file_store_saves_without_the_secret(settings_file: Path) -> None:
    settings = SettingsService(SettingsFileStore(), KeyringSecretStore(), never_called)
    settings.save(GOOD)
    text = settings_file.read_text(encoding="utf-8")
    assert SECRET not in text
    assert read(settings_file)["tax_rate_bps"] == 825
    loaded = load_settings()
    assert (loaded.client_id, loaded.sub_account, loaded.payment_flow) == (
        "test_abc",
        "acc_123",
        "checkout",
    )
    assert loaded.client_secret is None
    assert settings.current().tax_rate_percent == "8.25"
