"""The store's database (PostgreSQL, psycopg 3 in its asyncio mode).

`connection` (the address and one connection, psycopg's errors in sentences),
`schema` (versioned migrations, `init_store`, `read_status`), `link`
(`PgStoreLink`, what a lane's sync task writes and pulls through) and `reads`
(`PgStoreView`, the manager's view of every lane).

This package's top imports nothing of psycopg: a lane without a store never
loads it. The functions below are the small facade `pos-app store ...` uses
(`pos_app.cli_store`), so the CLI needs no other storage module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pos_app.services.store_ports import StoreStatus
    from pos_app.storage.store.connection import StoreAddress
    from pos_app.storage.store.link import PgStoreLink

__all__ = ["init_store_at", "open_link", "status_at", "store_address_of"]


def store_address_of(url: str, password: str | None) -> StoreAddress:
    """The address of a store URL with its password (see `connection.store_address`)."""
    from pos_app.storage.store.connection import store_address

    return store_address(url, password)


async def init_store_at(address: StoreAddress) -> tuple[int, int]:
    """Create or migrate the store's schema: (version before, version after)."""
    from pos_app.storage.store.connection import connect, store_errors
    from pos_app.storage.store.schema import init_store

    conn = await connect(address)
    try:
        async with store_errors(address):
            return await init_store(conn, address.user, host=address.host)
    finally:
        await conn.close()


async def status_at(address: StoreAddress) -> StoreStatus:
    """The store's schema version and its lanes."""
    from pos_app.storage.store.connection import connect, store_errors
    from pos_app.storage.store.schema import read_status

    conn = await connect(address)
    try:
        async with store_errors(address):
            return await read_status(conn, host=address.host)
    finally:
        await conn.close()


def open_link(address: StoreAddress) -> PgStoreLink:
    """A `StoreLink` to the store (it connects on first use)."""
    from pos_app.storage.store.link import PgStoreLink

    return PgStoreLink(address)
