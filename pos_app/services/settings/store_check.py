"""The store database in the settings: its password's keeper, and what a test of it found.

A lane joins a store when its settings name the store's database
(`store_url`, `postgresql://user@host/database`). The password is never in
that address as the settings file keeps it: it comes from POS_STORE_PASSWORD,
else the OS keyring (`StorePasswords`, `pos_app.store_keyring.KeyringStorePasswords`
on a real lane). "Test connection" asks a `StoreChecker`
(`pos_app.storage.store.check.check_store`) and shows its `StoreCheckReport`,
a sentence for the shop's IT person.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

__all__ = [
    "STORE_CHECK_SENTENCES",
    "StoreCheck",
    "StoreCheckReport",
    "StoreChecker",
    "StorePasswordState",
    "StorePasswords",
    "store_host",
    "url_without_password",
]


class StoreCheck(StrEnum):
    """What a test of the store's database found."""

    READY = "ready"  # it answers, its schema is this app's
    NOT_SET_UP = "not_set_up"  # it answers, but `pos-app store init` has not run there
    OLDER = "older"  # set up by an older pos-app: `pos-app store init` brings it up to date
    NEWER = "newer"  # set up by a newer pos-app: update this lane
    WRONG_PASSWORD = "wrong_password"  # the server refused the user name and password
    REFUSED = "refused"  # it answers but refuses the lane for another reason (the sentence)
    UNREACHABLE = "unreachable"  # nothing answers at that address in time
    INCOMPLETE = "incomplete"  # no valid address typed yet
    NO_CHECKER = "no_checker"  # this window cannot test a store (no driver wired)


STORE_CHECK_SENTENCES: Final[dict[StoreCheck, str]] = {
    StoreCheck.READY: (
        "The store's database at {host} answers: schema {version}, ready for this lane."
    ),
    StoreCheck.NOT_SET_UP: (
        "The store's database at {host} answers but is not set up yet: run"
        " 'pos-app store init' once, on any lane."
    ),
    StoreCheck.OLDER: (
        "The store's database at {host} answers but was set up by an older pos-app"
        " (schema {version}): run 'pos-app store init' to bring it up to date."
    ),
    StoreCheck.NEWER: (
        "The store's database at {host} was set up by a newer pos-app (schema {version});"
        " update pos-app on this lane."
    ),
    StoreCheck.WRONG_PASSWORD: (
        "The store's database at {host} did not accept the user name and password. Check the"
        " password, and the user name in the address."
    ),
    StoreCheck.REFUSED: "{why}",  # the connection's own sentence (no such user, not allowed)
    StoreCheck.UNREACHABLE: (
        "The store's database at {host} cannot be reached. Check the address, that the"
        " store's server is on, and that no firewall blocks it."
    ),
    StoreCheck.INCOMPLETE: "Type the store database's address first.",
    StoreCheck.NO_CHECKER: "This window cannot test a store database.",
}


@dataclass(frozen=True)
class StoreCheckReport:
    """What a test of the store's database found, in a sentence (never the password)."""

    outcome: StoreCheck
    message: str
    schema_version: int | None = None

    @property
    def ok(self) -> bool:
        """The lane can join this store as it is."""
        return self.outcome is StoreCheck.READY

    @classmethod
    def of(
        cls, outcome: StoreCheck, *, host: str = "", version: int | None = None, why: str = ""
    ) -> StoreCheckReport:
        """The report of `outcome`, its sentence filled in."""
        sentence = STORE_CHECK_SENTENCES[outcome].format(host=host, version=version, why=why)
        return cls(outcome, sentence, version)


@dataclass(frozen=True)
class StorePasswordState:
    """Where the store database's password would come from, for the dialog's field."""

    keyring_available: bool
    from_environment: bool  # POS_STORE_PASSWORD, or a password in POS_STORE_URL, wins
    stored: bool  # the keyring keeps a password for the address shown

    @property
    def editable(self) -> bool:
        """Whether typing a password in the dialog can have any effect."""
        return self.keyring_available and not self.from_environment


class StoreChecker(Protocol):
    """Connects to a store's database and reads its schema version; never raises for a
    network or database problem (the report says it)."""

    async def __call__(self, url: str, password: str | None) -> StoreCheckReport:
        """The report of one test of `url` (without a password) with `password`."""
        ...


class StorePasswords(Protocol):
    """Where the store database's password is kept: the OS keyring, under the address
    without its password; POS_STORE_PASSWORD in the lane's environment wins over it."""

    def available(self) -> bool:
        """Whether this computer has a usable keyring."""
        ...

    def from_environment(self) -> bool:
        """Whether POS_STORE_PASSWORD supplies the password."""
        ...

    def read(self, url: str) -> str | None:
        """The password the lane would use for `url` (environment, then keyring)."""
        ...

    def save(self, url: str, password: str) -> None:
        """Keep the password for `url`; RuntimeError with a sentence when it cannot."""
        ...

    def delete(self, url: str) -> None:
        """Forget the password kept for `url` (nothing kept: nothing happens)."""
        ...


def url_without_password(url: str) -> str:
    """`url` with any password taken out of its `user:password@` part."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}@{host}{slash}{path}"


def store_host(url: str) -> str:
    """The host (and port) of a store URL, for sentences: never the user or password."""
    rest = url.partition("://")[2]
    authority = rest.split("/", 1)[0]
    return authority.rpartition("@")[2] or url
