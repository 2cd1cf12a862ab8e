"""The store database in the settings service: the address's checks, the password kept in
the keyring and never in the file, the test through the injected checker."""

from __future__ import annotations

import dataclasses

import pytest

from pos_app.domain import settings_rules as rules
from pos_app.services.settings import (
    ConnectionReport,
    SettingsField,
    SettingsForm,
    SettingsSaveError,
    SettingsService,
    StoreCheck,
    StoreCheckReport,
    url_without_password,
)
from pos_app.services.settings.form import STORE_PASSWORD_WITHOUT_URL
from pos_app.services.settings.store_check import store_host
from tests.support.store_settings import (
    OTHER_STORE_URL,
    STORE_PASSWORD,
    STORE_URL,
    FakeStoreChecker,
    MemorySettingsStore,
    MemoryStorePasswords,
)


class NoSecrets:
    """A lane in demo mode: the JustiFi secret is not in play here."""

    def status(self) -> tuple[bool, str, str]:
        return True, "memory", ""

    def from_environment(self) -> bool:
        return False

    def stored(self, client_id: str) -> bool:
        return False

    def read(self, client_id: str) -> str | None:
        return None

    def store(self, client_id: str, secret: str) -> None:
        raise AssertionError("no JustiFi secret expected")

    def delete(self, client_id: str) -> bool:
        return False


async def no_justifi(
    api_url: str, client_id: str, client_secret: str, sub_account: str | None
) -> ConnectionReport:
    raise AssertionError("no JustiFi test expected")


def make(
    store: MemorySettingsStore | None = None,
    passwords: MemoryStorePasswords | None = None,
    checker: FakeStoreChecker | None = None,
) -> SettingsService:
    return SettingsService(
        store or MemorySettingsStore(),
        NoSecrets(),
        no_justifi,
        store_checker=checker,
        store_passwords=passwords,
    )


def form_of(service: SettingsService, **changes: object) -> SettingsForm:
    return dataclasses.replace(service.current(), **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://pos:pw@host/db", "postgresql://pos@host/db"),
        (
            "postgresql://pos:p%40ss:w@host:5433/db?sslmode=require",
            "postgresql://pos@host:5433/db?sslmode=require",
        ),
        ("postgresql://pos@host/db", "postgresql://pos@host/db"),
        ("postgresql://host/db", "postgresql://host/db"),
        ("", ""),
    ],
)
def test_an_address_is_shown_and_kept_without_its_password(url: str, shown: str) -> None:
    assert url_without_password(url) == shown
    assert "pw" not in store_host(url)
    assert "pos" not in store_host(url)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", ""),
        (f"  {STORE_URL}  ", ""),
        ("postgresql://pos:pw@store-server/pos_store", rules.STORE_URL_PASSWORD),
        ("mysql://pos@store-server/pos_store", rules.STORE_URL_SCHEME),
        ("postgresql://pos@store-server", rules.STORE_URL_INVALID),
    ],
)
def test_the_address_is_checked_as_typed(typed: str, problem: str) -> None:
    service = make()
    validation = service.validate(form_of(service, store_url=typed))
    assert validation.problems.get(SettingsField.STORE_URL, "") == problem
    assert validation.ok == (not problem)


def test_a_password_without_an_address_is_a_problem() -> None:
    service = make(passwords=MemoryStorePasswords())
    validation = service.validate(form_of(service, store_password="pw"))
    assert validation.problems == {SettingsField.STORE_PASSWORD: STORE_PASSWORD_WITHOUT_URL}


def test_joining_keeps_the_password_in_the_keyring_never_in_the_file() -> None:
    store, passwords = MemorySettingsStore(), MemoryStorePasswords()
    service = make(store, passwords)
    result = service.save(
        form_of(service, store_url=f" {STORE_URL} ", store_password=STORE_PASSWORD)
    )
    assert passwords.kept == {STORE_URL: STORE_PASSWORD}
    assert store.saved[-1]["store_url"] == STORE_URL
    assert STORE_PASSWORD not in repr(store.saved)
    assert "store_password" not in store.saved[-1]
    assert {SettingsField.STORE_URL, SettingsField.STORE_PASSWORD} <= result.changed
    assert result.restart_needed  # the sync task starts with the lane
    assert service.store_password_state(STORE_URL).stored


def test_leaving_the_store_needs_a_restart_and_keeps_the_lane_settings() -> None:
    store = MemorySettingsStore(store_url=STORE_URL)
    service = make(store, MemoryStorePasswords())
    result = service.save(form_of(service, store_url=""))
    assert store.saved[-1]["store_url"] == ""
    assert result.changed == {SettingsField.STORE_URL}
    assert result.restart_needed


def test_a_new_address_with_its_password_forgets_the_old_one() -> None:
    passwords = MemoryStorePasswords()
    passwords.kept[STORE_URL] = "old"
    service = make(MemorySettingsStore(store_url=STORE_URL), passwords)
    service.save(form_of(service, store_url=OTHER_STORE_URL, store_password="new"))
    assert passwords.kept == {OTHER_STORE_URL: "new"}


def test_a_keyring_that_refuses_saves_nothing() -> None:
    store, passwords = MemorySettingsStore(), MemoryStorePasswords()
    passwords.broken = True
    service = make(store, passwords)
    with pytest.raises(SettingsSaveError, match="keyring is locked"):
        service.save(form_of(service, store_url=STORE_URL, store_password=STORE_PASSWORD))
    assert store.saved == []


def test_without_a_keyring_a_typed_password_is_refused_with_what_to_do() -> None:
    store = MemorySettingsStore()
    service = make(store, MemoryStorePasswords(available=False))
    assert not service.store_password_state(STORE_URL).editable
    with pytest.raises(SettingsSaveError, match="POS_STORE_PASSWORD"):
        service.save(form_of(service, store_url=STORE_URL, store_password=STORE_PASSWORD))
    assert store.saved == []


async def test_the_test_uses_the_typed_password_else_the_kept_one() -> None:
    passwords, checker = MemoryStorePasswords(), FakeStoreChecker()
    passwords.kept[STORE_URL] = "kept"
    service = make(MemorySettingsStore(store_url=STORE_URL), passwords, checker)
    assert service.can_test_store(service.current())
    report = await service.test_store(service.current())
    assert report.ok
    assert report.message == (
        "The store's database at store-server answers: schema 1, ready for this lane."
    )
    await service.test_store(form_of(service, store_password="typed"))
    assert checker.calls == [(STORE_URL, "kept"), (STORE_URL, "typed")]


async def test_a_password_in_the_environment_address_is_used_and_never_shown() -> None:
    store = MemorySettingsStore(store_url="postgresql://pos:envpw@store-server/pos_store")
    store.locked = frozenset({"store_url"})
    checker = FakeStoreChecker(
        StoreCheckReport(StoreCheck.WRONG_PASSWORD, "bad password envpw", None)
    )
    service = make(store, MemoryStorePasswords(), checker)
    assert service.current().store_url == STORE_URL
    assert service.store_password_state(STORE_URL).from_environment
    report = await service.test_store(service.current())
    assert checker.calls == [("postgresql://pos:envpw@store-server/pos_store", None)]
    assert report.outcome is StoreCheck.WRONG_PASSWORD
    service.save(service.current())
    assert "store_url" not in store.saved[-1]  # set by the environment: never written


async def test_a_checker_that_echoes_the_password_is_redacted() -> None:
    checker = FakeStoreChecker(StoreCheckReport(StoreCheck.REFUSED, f"no: {STORE_PASSWORD}"))
    service = make(MemorySettingsStore(store_url=STORE_URL), MemoryStorePasswords(), checker)
    report = await service.test_store(form_of(service, store_password=STORE_PASSWORD))
    assert STORE_PASSWORD not in report.message
    assert report.message == "no: [redacted]"


async def test_without_a_checker_or_an_address_nothing_is_tested() -> None:
    service = make(MemorySettingsStore(store_url=STORE_URL))
    assert not service.can_test_store(service.current())
    assert (await service.test_store(service.current())).outcome is StoreCheck.NO_CHECKER
    checker = FakeStoreChecker()
    service = make(checker=checker)
    assert not service.can_test_store(service.current())
    report = await service.test_store(form_of(service, store_url="postgres://"))
    assert report.outcome is StoreCheck.INCOMPLETE
    assert checker.calls == []


def test_the_store_sets_some_fields_for_every_lane() -> None:
    store = MemorySettingsStore(tax_rate_bps=825)
    store.by_store = frozenset({"tax_rate_bps", "receipt_header"})
    store.locked = frozenset({"lane"})
    service = make(store)
    assert service.store_fields() == {SettingsField.TAX_RATE, SettingsField.RECEIPT_HEADER}
    assert service.locked_fields() == {
        SettingsField.TAX_RATE,
        SettingsField.RECEIPT_HEADER,
        SettingsField.LANE,
    }
    service.save(form_of(service, tax_rate_percent="9"))
    assert "tax_rate_bps" not in store.saved[-1]


@pytest.mark.parametrize(
    ("outcome", "sentence"),
    [
        (StoreCheck.READY, "The store's database at h answers: schema 1, ready for this lane."),
        (
            StoreCheck.NOT_SET_UP,
            "The store's database at h answers but is not set up yet: run 'pos-app store init'"
            " once, on any lane.",
        ),
        (
            StoreCheck.WRONG_PASSWORD,
            "The store's database at h did not accept the user name and password. Check the"
            " password, and the user name in the address.",
        ),
        (
            StoreCheck.UNREACHABLE,
            "The store's database at h cannot be reached. Check the address, that the store's"
            " server is on, and that no firewall blocks it.",
        ),
    ],
)
def test_each_outcome_is_one_sentence(outcome: StoreCheck, sentence: str) -> None:
    report = StoreCheckReport.of(outcome, host="h", version=1)
    assert report.message == sentence
    assert report.ok == (outcome is StoreCheck.READY)
