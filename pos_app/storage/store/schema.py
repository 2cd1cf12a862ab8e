"""The store's schema, as an ordered list of migration steps (PostgreSQL).

The version lives in `store_meta` ('schema_version'). `init_store` applies the
missing steps and the version bump in ONE transaction under a transaction-level
advisory lock, so two lanes running `pos-app store init` at once apply each
step once (the second waits, then finds nothing to do), and a failure leaves
the database at the version it had. A database set up by a newer pos-app (a
version this code does not know) is refused, never touched.

Append new steps at the end; never edit a step that has shipped.

Every row of the lanes' tables carries the SENDING lane's name (`lane`); times
are `timestamptz`, money `bigint` cents. `stored_at` is when the store got a
row (the benchmarks measure approval -> store with it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from pos_app.services.store_ports import LaneStatus, StoreRefusedError, StoreStatus

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

__all__ = [
    "INIT_LOCK",
    "MIGRATIONS",
    "STORE_SCHEMA_VERSION",
    "StoreMigration",
    "check_schema",
    "init_store",
    "read_status",
    "store_schema_version",
]

#: The advisory lock `init_store` holds for its transaction ("pos-stor" in ASCII).
INIT_LOCK: Final = 0x706F_732D_7374_6F72

# {where}: " at HOST" when the caller knows it (every sentence names the store's host).
NEWER_TEXT: Final = (
    "The store's database{where} was set up by a newer pos-app (schema {version}); update"
    " this lane."
)
OLDER_TEXT: Final = (
    "The store's database{where} was set up by an older pos-app (schema {version}); run"
    " 'pos-app store init' to bring it up to date."
)
NOT_SET_UP_TEXT: Final = (
    "The store's database{where} is not set up yet: run 'pos-app store init' once, on any lane."
)
NO_EXTENSION_TEXT: Final = (
    "The store's server has no pg_trgm extension (history text search); install"
    " PostgreSQL's contrib package there (Debian: postgresql-contrib), then run"
    " 'pos-app store init' again."
)
EXTENSION_REFUSED_TEXT: Final = (
    "The store's database does not let user '{user}' create the pg_trgm extension; ask its"
    " administrator to run CREATE EXTENSION pg_trgm in that database once (or make '{user}'"
    " the database's owner), then run 'pos-app store init' again."
)
CREATE_REFUSED_TEXT: Final = (
    "The store's database does not let user '{user}' create tables; make '{user}' the"
    " database's owner (createdb -O {user} ...), then run 'pos-app store init' again."
)


@dataclass(frozen=True)
class StoreMigration:
    """One schema step: the SQL that takes the store from `version - 1` to `version`."""

    version: int
    summary: str
    statements: tuple[str, ...]


_V1_STORE = StoreMigration(
    version=1,
    summary="lanes, their operations, sales, shifts, cash and audit entries; shared data",
    statements=(
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE TABLE store_meta (key text PRIMARY KEY, value text NOT NULL)",
        """
        CREATE TABLE lanes (
            name            text PRIMARY KEY,
            lane_uid        text NOT NULL,
            first_seen      timestamptz NOT NULL DEFAULT now(),
            last_seen       timestamptz NOT NULL DEFAULT now(),
            pending         integer NOT NULL DEFAULT 0,
            app_version     text NOT NULL DEFAULT '',
            audit_head_seq  bigint NOT NULL DEFAULT 0,
            audit_head_hash text
        )
        """,
        """
        CREATE TABLE operations (
            id              text PRIMARY KEY,
            lane            text NOT NULL,
            kind            text NOT NULL,
            amount_cents    bigint NOT NULL,
            status          text NOT NULL,
            flow            text NOT NULL,
            terminal_id     text,
            description     text,
            sale_id         text,
            session_id      text,
            payment_id      text,
            refund_id       text,
            original_id     text,
            refund_mode     text,
            reason          text,
            card_brand      text,
            card_last4      text,
            decline_code    text,
            decline_message text,
            served_by       text,
            approved_by     text,
            ticket_id       text,
            shift_id        text,
            created_at      timestamptz NOT NULL,
            updated_at      timestamptz NOT NULL,
            stored_at       timestamptz NOT NULL DEFAULT clock_timestamp()
        )
        """,
        "CREATE INDEX ix_operations_created ON operations (created_at DESC)",
        "CREATE INDEX ix_operations_lane ON operations (lane, created_at DESC)",
        "CREATE INDEX ix_operations_sale ON operations (sale_id)",
        "CREATE INDEX ix_operations_payment ON operations (payment_id)",
        "CREATE INDEX ix_operations_refund ON operations (refund_id)",
        "CREATE INDEX ix_operations_original ON operations (original_id)",
        "CREATE INDEX ix_operations_ticket ON operations (ticket_id)",
        "CREATE INDEX ix_operations_last4 ON operations (card_last4, created_at)",
        "CREATE INDEX ix_operations_served ON operations (lower(served_by))",
        "CREATE INDEX ix_operations_approved ON operations (lower(approved_by))",
        "CREATE INDEX ix_operations_text ON operations USING gin (description gin_trgm_ops)",
        "CREATE INDEX ix_operations_amount ON operations (amount_cents, created_at)",
        """
        CREATE TABLE operation_events (
            lane         text NOT NULL,
            seq          bigint NOT NULL,
            operation_id text NOT NULL,
            at           timestamptz NOT NULL,
            status       text NOT NULL,
            detail       text,
            PRIMARY KEY (lane, seq)
        )
        """,
        "CREATE INDEX ix_events_operation ON operation_events (operation_id, seq)",
        """
        CREATE TABLE tickets (
            id                   text PRIMARY KEY,
            lane                 text NOT NULL,
            status               text NOT NULL,
            subtotal_cents       bigint NOT NULL,
            sale_discount_cents  bigint NOT NULL,
            sale_discount_reason text,
            tax_cents            bigint NOT NULL,
            total_cents          bigint NOT NULL,
            served_by            text,
            discount_approved_by text,
            cancelled_by         text,
            shift_id             text,
            description          text,
            created_at           timestamptz NOT NULL,
            updated_at           timestamptz NOT NULL,
            stored_at            timestamptz NOT NULL DEFAULT clock_timestamp()
        )
        """,
        "CREATE INDEX ix_tickets_created ON tickets (created_at)",
        "CREATE INDEX ix_tickets_lane ON tickets (lane, created_at)",
        "CREATE INDEX ix_tickets_shift ON tickets (shift_id)",
        """
        CREATE TABLE ticket_lines (
            ticket_id        text NOT NULL,
            line_no          integer NOT NULL,
            name             text NOT NULL,
            item_code        text,
            quantity         integer NOT NULL,
            unit_price_cents bigint NOT NULL,
            discount_cents   bigint NOT NULL,
            discount_reason  text,
            PRIMARY KEY (ticket_id, line_no)
        )
        """,
        """
        CREATE TABLE shifts (
            id             text PRIMARY KEY,
            lane           text NOT NULL,
            opened_at      timestamptz NOT NULL,
            opened_by      text,
            float_cents    bigint NOT NULL,
            float_count    jsonb,
            closed_at      timestamptz,
            closed_by      text,
            counted_cents  bigint,
            expected_cents bigint,
            count          jsonb
        )
        """,
        "CREATE INDEX ix_shifts_lane ON shifts (lane, opened_at)",
        """
        CREATE TABLE cash_movements (
            id             text PRIMARY KEY,
            lane           text NOT NULL,
            shift_id       text NOT NULL,
            kind           text NOT NULL,
            amount_cents   bigint NOT NULL,
            at             timestamptz NOT NULL,
            person         text,
            reason         text,
            ticket_id      text,
            tendered_cents bigint,
            change_cents   bigint,
            approved_by    text,
            stored_at      timestamptz NOT NULL DEFAULT clock_timestamp()
        )
        """,
        "CREATE INDEX ix_cash_at ON cash_movements (at)",
        "CREATE INDEX ix_cash_lane ON cash_movements (lane, at)",
        "CREATE INDEX ix_cash_ticket ON cash_movements (ticket_id)",
        "CREATE INDEX ix_cash_shift ON cash_movements (shift_id)",
        # A history text search takes cash refunds by reason: without it, every cash row.
        "CREATE INDEX ix_cash_reason ON cash_movements USING gin (reason gin_trgm_ops)",
        # A history search by person takes cash by who took or approved it: without these,
        # every cash row for a name with no cash (155 ms at 127,000 cash rows).
        "CREATE INDEX ix_cash_person ON cash_movements (lower(person), at)",
        "CREATE INDEX ix_cash_approved ON cash_movements (lower(approved_by), at)",
        """
        CREATE TABLE audit_entries (
            lane      text NOT NULL,
            seq       bigint NOT NULL,
            at        timestamptz NOT NULL,
            who       text NOT NULL,
            action    text NOT NULL,
            subject   text,
            detail    text NOT NULL,
            outcome   text NOT NULL,
            prev_hash text NOT NULL,
            hash      text NOT NULL,
            mac       text NOT NULL,
            PRIMARY KEY (lane, seq)
        )
        """,
        """
        CREATE TABLE staff (
            name_key        text PRIMARY KEY,
            name            text NOT NULL,
            role            text NOT NULL,
            active          boolean NOT NULL,
            pin_hash        text NOT NULL,
            failed_tries    integer NOT NULL,
            locked_until    timestamptz,
            changed_at      timestamptz NOT NULL,
            changed_by_lane text
        )
        """,
        "CREATE INDEX ix_staff_changed ON staff (changed_at)",
        """
        CREATE TABLE catalog (
            id         integer PRIMARY KEY CHECK (id = 1),
            toml       text NOT NULL,
            changed_at timestamptz NOT NULL,
            changed_by text NOT NULL
        )
        """,
        """
        CREATE TABLE store_settings (
            key        text PRIMARY KEY,
            value      jsonb NOT NULL,
            changed_at timestamptz NOT NULL,
            changed_by text NOT NULL
        )
        """,
    ),
)

#: Every step, in order. Append only.
MIGRATIONS: Final[tuple[StoreMigration, ...]] = (_V1_STORE,)
STORE_SCHEMA_VERSION: Final = MIGRATIONS[-1].version


async def store_schema_version(conn: psycopg.AsyncConnection[TupleRow]) -> int:
    """The store's schema version: 0 when `pos-app store init` never ran there."""
    cur = await conn.execute("SELECT to_regclass('store_meta') IS NOT NULL")
    row = await cur.fetchone()
    if row is None or not row[0]:
        return 0
    cur = await conn.execute("SELECT value FROM store_meta WHERE key = 'schema_version'")
    row = await cur.fetchone()
    return int(str(row[0])) if row is not None else 0


def _where(host: str) -> str:
    return f" at {host}" if host else ""


def schema_problem(version: int, host: str = "") -> str:
    """Why a lane cannot use a store at `version`, or "" when it can."""
    if version == 0:
        return NOT_SET_UP_TEXT.format(where=_where(host))
    if version > STORE_SCHEMA_VERSION:
        return NEWER_TEXT.format(where=_where(host), version=version)
    if version < STORE_SCHEMA_VERSION:
        return OLDER_TEXT.format(where=_where(host), version=version)
    return ""


async def check_schema(conn: psycopg.AsyncConnection[TupleRow], *, host: str = "") -> int:
    """The store's version when this app can use it as it is; StoreRefusedError (not set
    up, older, newer; naming `host`) otherwise. Leaves no transaction open."""
    async with conn.transaction():
        version = await store_schema_version(conn)
    if problem := schema_problem(version, host):
        raise StoreRefusedError(problem)
    return version


async def init_store(
    conn: psycopg.AsyncConnection[TupleRow], user: str = "", *, host: str = ""
) -> tuple[int, int]:
    """Create or bring the store's schema up to date: (version before, version after).
    Safe twice and from two lanes at once; StoreRefusedError for a newer schema or a
    user not allowed to create what the schema needs (`user` names it)."""
    from psycopg import errors

    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (INIT_LOCK,))
            before = await store_schema_version(conn)
            if before > STORE_SCHEMA_VERSION:
                raise StoreRefusedError(schema_problem(before, host))
            for step in MIGRATIONS[before:]:
                for statement in step.statements:
                    await conn.execute(statement.encode())
                await conn.execute(
                    "INSERT INTO store_meta (key, value) VALUES ('schema_version', %s)"
                    " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                    (str(step.version),),
                )
    except errors.UndefinedFile:  # CREATE EXTENSION: no control file on the server
        raise StoreRefusedError(NO_EXTENSION_TEXT) from None
    except errors.InsufficientPrivilege as exc:
        text = EXTENSION_REFUSED_TEXT if "extension" in str(exc) else CREATE_REFUSED_TEXT
        raise StoreRefusedError(text.format(user=user or "this")) from None
    return before, max(before, STORE_SCHEMA_VERSION)


async def read_status(conn: psycopg.AsyncConnection[TupleRow], *, host: str = "") -> StoreStatus:
    """The store's schema version and every lane it has seen, by name. StoreRefusedError
    (naming `host`) when the store is not set up or was set up by a newer pos-app."""
    async with conn.transaction():
        version = await store_schema_version(conn)
        if version == 0 or version > STORE_SCHEMA_VERSION:
            raise StoreRefusedError(schema_problem(version, host))
        cur = await conn.execute(
            "SELECT name, last_seen, pending, audit_head_seq, audit_head_hash, app_version"
            " FROM lanes ORDER BY name"
        )
        rows = await cur.fetchall()
    lanes = [
        LaneStatus(
            name=str(name),
            last_seen=last_seen,  # timestamptz: a datetime
            pending=int(pending),
            audit_head_seq=int(seq),
            audit_head_hash=None if head is None else str(head),
            app_version=str(app_version or ""),
        )
        for name, last_seen, pending, seq, head, app_version in rows
    ]
    return StoreStatus(schema_version=version, known_version=STORE_SCHEMA_VERSION, lanes=lanes)
