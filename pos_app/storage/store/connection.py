"""The store's database address and one connection to it (psycopg 3, asyncio mode).

`StoreAddress` is the URL without its password plus the password kept apart
(never in a repr, a log line or a sentence). `connect` opens one
`psycopg.AsyncConnection` (autocommit off, a 3 s connect timeout, a 5 s
statement timeout) and turns psycopg's errors into the two a person acts on:

- `StoreUnavailableError`: nothing answered at that address in time, or the
  connection was lost. Never final: the outbox keeps every record.
- `StoreRefusedError`: the server answered and said no (a wrong password, a
  user or database that does not exist, no permission). A person fixes it.

libpq reports a refused connection with no SQLSTATE, only the server's
sentence; the common ones (in English, the server's default) get a sentence
of our own, any other `FATAL` the server's own reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final
from urllib.parse import unquote

from pos_app.domain.settings_rules import store_url_problem
from pos_app.services.store_ports import StoreRefusedError, StoreUnavailableError

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

__all__ = [
    "CONNECT_TIMEOUT_SECONDS",
    "NOT_SET_UP_TEXT",
    "STATEMENT_TIMEOUT_SECONDS",
    "StoreAddress",
    "connect",
    "refused_for",
    "store_address",
    "store_errors",
    "unavailable",
]

log = logging.getLogger("pos_app.storage.store")

CONNECT_TIMEOUT_SECONDS: Final = 3.0
STATEMENT_TIMEOUT_SECONDS: Final = 5.0
APPLICATION_NAME: Final = "pos-app"

UNREACHABLE_TEXT: Final = (
    "The store's database at {host} cannot be reached; check that its server is on and"
    " that this computer can reach it. The lane keeps selling and sends its records later."
)
TIMED_OUT_TEXT: Final = (
    "The store's database at {host} did not answer in time; the lane keeps selling and"
    " sends its records later."
)
WRONG_PASSWORD_TEXT: Final = (
    "The store's database at {host} did not accept the password for user '{user}'; check"
    " the password (POS_STORE_PASSWORD or the keyring, set in the Settings dialog)."
)
NO_PASSWORD_TEXT: Final = (
    "The store's database at {host} asks a password for user '{user}'; set"
    " POS_STORE_PASSWORD or keep it in the keyring (the Settings dialog's Store database)."
)
NO_ROLE_TEXT: Final = (
    "The store's database at {host} has no user '{user}'; create it (createuser) or fix the"
    " user name in the store's address."
)
NO_DATABASE_TEXT: Final = (
    "The store's server at {host} has no database '{database}'; create it (createdb), then"
    " run 'pos-app store init', or fix the database name in the store's address."
)
NOT_ALLOWED_TEXT: Final = (
    "The store's server at {host} does not let user '{user}' in from this computer"
    " (pg_hba.conf); ask whoever runs the store's server to allow it."
)
SERVER_SAID_TEXT: Final = "The store's database at {host} refused the connection: {reason}"
NO_PERMISSION_TEXT: Final = (
    "The store's database at {host} does not let user '{user}' {what}; grant it, or use the"
    " user that ran 'pos-app store init'."
)
NOT_SET_UP_TEXT: Final = (
    "The store's database at {host} is not set up yet: run 'pos-app store init' once, on any lane."
)
BAD_ADDRESS_TEXT: Final = "The store's address cannot be used: {problem}"

# The server's reasons worth a sentence of our own (English, the server's default).
_REFUSALS: Final = (
    (re.compile(r"password authentication failed"), WRONG_PASSWORD_TEXT),
    (re.compile(r"no password supplied|password is required"), NO_PASSWORD_TEXT),
    (re.compile(r'role ".*" does not exist'), NO_ROLE_TEXT),
    (re.compile(r'database ".*" does not exist'), NO_DATABASE_TEXT),
    (re.compile(r"no pg_hba\.conf entry|pg_hba\.conf rejects"), NOT_ALLOWED_TEXT),
    (re.compile(r"permission denied for database"), NOT_ALLOWED_TEXT),
)
# A server that answers but cannot take the lane now: try again later.
_BUSY: Final = re.compile(
    r"too many clients|remaining connection slots|the database system is (starting up|"
    r"shutting down|in recovery mode|not yet accepting)"
)


@dataclass(frozen=True)
class StoreAddress:
    """Where the store's database is: `url` without its password (also the keyring's user
    name for it), and the password apart (never shown)."""

    url: str
    password: str | None = field(default=None, repr=False)
    host: str = ""  # host[:port], for sentences
    user: str = ""
    database: str = ""

    def display(self) -> str:
        """The address for a person: the URL without its password."""
        return self.url


def store_address(url: str, password: str | None) -> StoreAddress:
    """The address of `url` (`postgresql://user[:password]@host[:port]/database`); a
    password inside the URL (allowed from the environment) wins over `password`.
    StoreRefusedError when the URL cannot be used."""
    url = url.strip()
    if problem := store_url_problem(url):
        raise StoreRefusedError(BAD_ADDRESS_TEXT.format(problem=problem))
    scheme, _, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    userinfo, at, hosts = authority.rpartition("@")
    user, colon, url_password = userinfo.partition(":")
    bare = f"{scheme}://{user}{at}{hosts}{slash}{path}" if colon else url
    database = unquote(path.split("?", 1)[0])
    return StoreAddress(
        url=bare,
        password=unquote(url_password) if colon else (password or None),
        host=hosts,
        user=unquote(user),
        database=database,
    )


def unavailable(address: StoreAddress, *, timed_out: bool = False) -> StoreUnavailableError:
    """The store cannot be reached (or did not answer in time), in a sentence."""
    text = TIMED_OUT_TEXT if timed_out else UNREACHABLE_TEXT
    return StoreUnavailableError(text.format(host=address.host))


def refused_for(address: StoreAddress, server_message: str) -> StoreRefusedError | None:
    """The refusal a failed connection's message means, or None when it means the
    store cannot be reached (nothing answered, the connection was cut)."""
    for pattern, text in _REFUSALS:
        if pattern.search(server_message):
            return StoreRefusedError(
                text.format(host=address.host, user=address.user, database=address.database)
            )
    if _BUSY.search(server_message):
        return None
    if "FATAL:" in server_message:
        reason = server_message.split("FATAL:", 1)[1].strip().splitlines()[0].strip()
        return StoreRefusedError(SERVER_SAID_TEXT.format(host=address.host, reason=reason))
    return None


async def connect(
    address: StoreAddress,
    *,
    timeout: float = CONNECT_TIMEOUT_SECONDS,  # noqa: ASYNC109 - the spec's seam; libpq needs it too
) -> psycopg.AsyncConnection[TupleRow]:
    """One new connection (autocommit off, statement timeout 5 s). StoreUnavailableError
    when nothing answers within `timeout`, StoreRefusedError when the server says no."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    options: dict[str, str | int] = {
        "connect_timeout": max(1, round(timeout)),
        "application_name": APPLICATION_NAME,
        "options": f"-c statement_timeout={int(STATEMENT_TIMEOUT_SECONDS * 1000)}",
    }
    if address.password is not None:
        options["password"] = address.password
    try:
        async with asyncio.timeout(timeout + 1.0):
            conninfo = make_conninfo(address.url, **options)
            return await psycopg.AsyncConnection.connect(conninfo)
    except TimeoutError:
        log.info("the store's database at %s did not answer in %.1f s", address.host, timeout)
        raise unavailable(address, timed_out=True) from None
    except psycopg.Error as exc:
        message = str(exc)
        refusal = refused_for(address, message)
        if refusal is not None:
            log.warning("the store's database at %s refused: %s", address.host, refusal.message)
            raise refusal from None
        log.info("the store's database at %s cannot be reached: %s", address.host, _first(exc))
        raise unavailable(address) from None


@contextlib.asynccontextmanager
async def store_errors(address: StoreAddress) -> AsyncIterator[None]:
    """Turn psycopg's errors inside the block into the store's two errors a person acts
    on; anything else (a malformed record, a bug) goes through as it is."""
    import psycopg
    from psycopg import errors

    try:
        yield
    except errors.QueryCanceled:
        raise unavailable(address, timed_out=True) from None
    except errors.InsufficientPrivilege as exc:
        what = f"do this ({_first(exc)})"
        raise StoreRefusedError(
            NO_PERMISSION_TEXT.format(host=address.host, user=address.user, what=what)
        ) from None
    except errors.UndefinedTable:
        raise StoreRefusedError(NOT_SET_UP_TEXT.format(host=address.host)) from None
    except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
        # A lost connection, a server shut down, a closed connection used again.
        log.info("the store's database at %s: %s", address.host, _first(exc))
        raise unavailable(address) from None
    except TimeoutError:
        raise unavailable(address, timed_out=True) from None


def _first(exc: BaseException) -> str:
    """The first line of an error's message (never a password: libpq does not echo it)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
