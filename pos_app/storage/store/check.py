"""The Settings dialog's "Test store connection": connect, read the schema version, say it.

`check_store` is the `pos_app.services.settings.StoreChecker` a lane's settings
service is given (the dialog never imports storage). It opens one connection
the way the lane's sync task does (`connection.connect`), reads the schema
version without changing anything, closes the connection, and answers with
one of the outcomes a shop's IT person acts on: ready, not set up (run
`pos-app store init`), older or newer, a wrong or missing password, another
refusal in the server's words, or cannot be reached. It never raises for a
network or database problem, and the password is in no sentence.
"""

from __future__ import annotations

import contextlib
import logging

from pos_app.services.settings.store_check import StoreCheck, StoreCheckReport, store_host
from pos_app.services.store_ports import StoreRefusedError, StoreUnavailableError
from pos_app.storage.store.connection import (
    CONNECT_TIMEOUT_SECONDS,
    NO_PASSWORD_TEXT,
    WRONG_PASSWORD_TEXT,
    StoreAddress,
    connect,
    store_address,
    store_errors,
)

__all__ = ["check_store"]

log = logging.getLogger("pos_app.storage.store")


async def check_store(
    url: str,
    password: str | None,
    *,
    timeout: float = CONNECT_TIMEOUT_SECONDS,  # noqa: ASYNC109 - libpq's connect timeout too
) -> StoreCheckReport:
    """Connect to the store's database at `url` (a password in it wins over `password`)
    and read its schema version; the outcome in a sentence."""
    from pos_app.storage.store.schema import STORE_SCHEMA_VERSION, store_schema_version

    try:
        address = store_address(url, password)
    except StoreRefusedError:
        return StoreCheckReport.of(StoreCheck.INCOMPLETE)
    host = address.host or store_host(url)
    try:
        conn = await connect(address, timeout=timeout)
    except StoreUnavailableError:
        return StoreCheckReport.of(StoreCheck.UNREACHABLE, host=host)
    except StoreRefusedError as exc:
        return _refusal(address, exc)
    try:
        async with store_errors(address), conn.transaction():
            version = await store_schema_version(conn)
    except StoreUnavailableError:
        return StoreCheckReport.of(StoreCheck.UNREACHABLE, host=host)
    except StoreRefusedError as exc:
        return _refusal(address, exc)
    finally:
        with contextlib.suppress(Exception):  # closing a broken connection says nothing new
            await conn.close()
    if version == 0:
        outcome = StoreCheck.NOT_SET_UP
    elif version > STORE_SCHEMA_VERSION:
        outcome = StoreCheck.NEWER
    elif version < STORE_SCHEMA_VERSION:
        outcome = StoreCheck.OLDER
    else:
        outcome = StoreCheck.READY
    return StoreCheckReport.of(outcome, host=host, version=version)


def _refusal(address: StoreAddress, exc: StoreRefusedError) -> StoreCheckReport:
    """A wrong or missing password is its own outcome; any other refusal is said in the
    connection's own sentence (no such user or database, not allowed from here)."""
    details = {"host": address.host, "user": address.user, "database": address.database}
    if exc.message in (WRONG_PASSWORD_TEXT.format(**details), NO_PASSWORD_TEXT.format(**details)):
        return StoreCheckReport.of(StoreCheck.WRONG_PASSWORD, host=address.host)
    return StoreCheckReport.of(StoreCheck.REFUSED, host=address.host, why=exc.message)
