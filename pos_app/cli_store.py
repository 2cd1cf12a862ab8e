"""`pos-app store init|status|sync`: the store's database from a command line.

`store init` creates the store's schema, or brings it up to date (safe twice,
and from two lanes at once; a database set up by a newer pos-app is refused,
never touched). `store status` shows the schema version and every lane the
store has seen: when, how many records it had waiting then, and its audit head;
and how many records THIS lane has waiting in its outbox. `store sync` sends
everything this lane has waiting and takes what the store shares (staff, the
catalog, store settings): for a lane without a window (a script, a scheduled
task). `store catalog ...` and `store settings ...` are `pos_app.cli_store_shared`'s.

None of them needs JustiFi: they use `store_url` (POS_STORE_URL or the Settings
dialog) and the store's password (POS_STORE_PASSWORD, else the OS keyring).

`store sync` sends, takes the shared data, then sends again what taking it wrote
here (a person merged from the store is an audit entry of this lane).

Exit codes: 0 done (sync: everything waiting was sent and the shared data taken);
3 the lane is not in a store, or the store refused (a wrong password, a schema to
set up or newer than this app, the lane's name taken by another computer): the
sentence says what to fix; 2 (init, status) the store could not be reached; 5
(sync) the store could not be reached: what is left waits in the outbox (how many
is said on stderr) and goes at the next sync or with the window; 4 a bug.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any, Final, TextIO

from pos_app import cli_store_shared
from pos_app.domain.errors import ConfigurationError

if TYPE_CHECKING:
    from pos_app.config import Settings
    from pos_app.services.store_ports import LaneStatus, Outbox, StoreStatus
    from pos_app.storage.store.connection import StoreAddress

EXIT_DONE: Final = 0
EXIT_LEFT_WAITING: Final = 5  # store sync: the store could not be reached, records wait

NOT_IN_STORE_TEXT: Final = (
    "This lane is not in a store: set POS_STORE_URL or the Settings dialog's Store database"
)
CREATED_TEXT: Final = "The store's database at {host} is set up: schema {after}."
MIGRATED_TEXT: Final = (
    "The store's database at {host} is brought up to date: schema {before} -> {after}."
)
UP_TO_DATE_TEXT: Final = (
    "The store's database at {host} was already set up: schema {after}, nothing changed."
)
STATUS_HEAD_TEXT: Final = "Store database {url}: schema {version} (this pos-app knows {known})."
NO_LANES_TEXT: Final = "No lane has sent anything to this store yet."
THIS_LANE_TEXT: Final = "This lane ({lane}): {count} to send."
THIS_LANE_OFF_TEXT: Final = "This lane ({lane}): has not joined yet (its first send joins it)."
SYNCED_TEXT: Final = (
    "Sent {sent} to the store at {host} and took what it shares; nothing left to send."
)
SENT_TEXT: Final = "Sent {sent} to the store at {host}."
LEFT_TEXT: Final = "{count} left to send; they wait in this lane's outbox and go at the next sync."


def add_commands(commands: Any) -> None:
    """`store` and its subcommands on `pos-app`'s subparsers (`commands`)."""
    store = commands.add_parser(
        "store", help="the store's database shared by every lane (PostgreSQL)"
    )
    sub = store.add_subparsers(dest="store_command", required=True, metavar="COMMAND")
    init = sub.add_parser("init", help="create or update the store's schema (safe twice)")
    init.add_argument("--json", action="store_true", help="one JSON object")
    status = sub.add_parser(
        "status", help="the store's schema and every lane: last seen, records waiting"
    )
    status.add_argument("--json", action="store_true", help="one JSON object")
    sync = sub.add_parser(
        "sync", help="send what this lane has waiting and take what the store shares"
    )
    sync.add_argument("--json", action="store_true", help="one JSON object")
    cli_store_shared.add_commands(sub)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """`pos-app store ...`."""
    from pos_app.config import load_settings

    if args.store_command in ("init", "status", "sync"):
        settings = load_settings()
        address = store_address_for(settings)
        if args.store_command == "init":
            return asyncio.run(cmd_init(address, bool(args.json), out))
        if args.store_command == "status":
            return asyncio.run(cmd_status(settings, address, bool(args.json), out))
        return asyncio.run(cmd_sync(settings, address, bool(args.json), out))
    return cli_store_shared.run(args, out)


def store_address_for(settings: Settings) -> StoreAddress:
    """The lane's store address with its password; ConfigurationError (exit 3) when the
    lane is not in a store."""
    if not settings.store_url:
        raise ConfigurationError(NOT_IN_STORE_TEXT)
    from pos_app import wiring

    return wiring.store_address_for(settings)


# -- init ------------------------------------------------------------------------------------


async def cmd_init(address: StoreAddress, as_json: bool, out: TextIO) -> int:
    from pos_app.storage.store import init_store_at

    before, after = await init_store_at(address)
    if as_json:
        print(
            json.dumps({"store": address.display(), "schema_before": before, "schema": after}),
            file=out,
        )
        return EXIT_DONE
    if before == after:
        text = UP_TO_DATE_TEXT
    elif before == 0:
        text = CREATED_TEXT
    else:
        text = MIGRATED_TEXT
    print(text.format(host=address.host, before=before, after=after), file=out)
    return EXIT_DONE


# -- status ----------------------------------------------------------------------------------


async def cmd_status(settings: Settings, address: StoreAddress, as_json: bool, out: TextIO) -> int:
    from pos_app.storage.store import status_at

    status = await status_at(address)
    waiting = local_waiting(settings)
    if as_json:
        print(json.dumps(status_json(address, status, settings.lane, waiting)), file=out)
        return EXIT_DONE
    for line in status_lines(address, status, settings.lane, waiting):
        print(line, file=out)
    return EXIT_DONE


def local_waiting(settings: Settings) -> int | None:
    """How many records this lane's outboxes (journal and audit log) hold; None when
    the lane has not joined a store yet (no outbox is kept)."""
    from pos_app.wiring import open_audit_log, open_journal

    with open_journal() as journal, open_audit_log(settings) as audit:
        joined = [file for file in (journal, audit) if file.outbox_enabled()]
        return sum(file.outbox_count() for file in joined) if joined else None


def status_json(
    address: StoreAddress, status: StoreStatus, lane: str, waiting: int | None
) -> dict[str, Any]:
    """`store status --json`: the store, its schema, its lanes and this lane's outbox."""
    return {
        "store": address.display(),
        "schema_version": status.schema_version,
        "known_version": status.known_version,
        "lanes": [
            {
                "name": each.name,
                "last_seen": each.last_seen.isoformat() if each.last_seen else None,
                "pending": each.pending,
                "audit_head_seq": each.audit_head_seq,
                "audit_head_hash": each.audit_head_hash,
                "app_version": each.app_version,
            }
            for each in status.lanes
        ],
        "this_lane": {"name": lane, "outbox": waiting},
    }


def status_lines(
    address: StoreAddress, status: StoreStatus, lane: str, waiting: int | None
) -> list[str]:
    """`store status` for a person: the store, a table of its lanes, this lane."""
    lines = [
        STATUS_HEAD_TEXT.format(
            url=address.display(), version=status.schema_version, known=status.known_version
        )
    ]
    if status.lanes:
        width = max(4, *(len(each.name) for each in status.lanes))
        lines.append(f"{'Lane':<{width}}  {'Last seen':<16}  {'Waiting':>7}  Audit head")
        lines += [_lane_line(each, width) for each in status.lanes]
    else:
        lines.append(NO_LANES_TEXT)
    if waiting is None:
        lines.append(THIS_LANE_OFF_TEXT.format(lane=lane))
    else:
        lines.append(THIS_LANE_TEXT.format(lane=lane, count=_records(waiting)))
    return lines


def _lane_line(each: LaneStatus, width: int) -> str:
    seen = each.last_seen.astimezone().strftime("%Y-%m-%d %H:%M") if each.last_seen else "never"
    head = (
        f"{each.audit_head_seq}:{each.audit_head_hash[:20]}"
        if each.audit_head_seq and each.audit_head_hash
        else "none"
    )
    return f"{each.name:<{width}}  {seen:<16}  {each.pending:>7}  {head}"


def _records(count: int) -> str:
    return f"{count} record" if count == 1 else f"{count} records"


# -- sync ------------------------------------------------------------------------------------


async def cmd_sync(settings: Settings, address: StoreAddress, as_json: bool, out: TextIO) -> int:
    """Send every waiting record, take the shared data, then send what taking it wrote
    (a person merged from the store is an audit entry of this lane). 0 all sent; 5 the
    store could not be reached (what is left is said on stderr); a refusal raises (3)."""
    from pos_app import __version__
    from pos_app.services.store_ports import LaneIdentity, StoreUnavailableError
    from pos_app.services.store_sync import StoreSync
    from pos_app.storage.store import open_link
    from pos_app.wiring import open_audit_log, open_journal

    with open_journal() as journal, open_audit_log(settings) as audit:
        outboxes: list[Outbox] = [journal, audit]
        for outbox in outboxes:
            await outbox.enable_outbox()  # the first time, everything so far is queued
        uid = journal.lane_uid()
        assert uid is not None, "enable_outbox gives the journal its lane_uid"

        def waiting() -> int:
            return sum(outbox.outbox_count() for outbox in outboxes)

        link = open_link(address)
        lane = LaneIdentity(settings.lane, uid, __version__)
        sync = StoreSync(link, lane, outboxes, pulls=_pulls(settings, audit))
        sent = 0

        async def send() -> None:
            nonlocal sent
            before = waiting()
            try:
                sent += await sync.send_once()
            except BaseException:
                sent += max(0, before - waiting())  # the batches the store took
                raise

        try:
            await send()
            await sync.pull_once()
            await send()
        except StoreUnavailableError as exc:
            left = waiting()
            if as_json:
                print(_sync_json(address, sent, left, reached=False), file=out)
            elif sent:
                print(SENT_TEXT.format(sent=_records(sent), host=address.host), file=out)
            print(f"pos-app: {exc.message}", file=sys.stderr)
            if left:
                print(f"pos-app: {LEFT_TEXT.format(count=_records(left))}", file=sys.stderr)
            return EXIT_LEFT_WAITING
        finally:
            await link.close()
        left = waiting()
        if as_json:
            print(_sync_json(address, sent, left, reached=True), file=out)
        elif left == 0:
            print(SYNCED_TEXT.format(sent=_records(sent), host=address.host), file=out)
        else:  # written on this lane while the sync ran: it goes at the next one
            print(SENT_TEXT.format(sent=_records(sent), host=address.host), file=out)
            print(LEFT_TEXT.format(count=_records(left)), file=out)
        return EXIT_DONE


def _sync_json(address: StoreAddress, sent: int, left: int, *, reached: bool) -> str:
    return json.dumps({"store": address.display(), "reached": reached, "sent": sent, "left": left})


def _pulls(settings: Settings, audit: Any) -> list[Any]:
    """What the store shares, taken by this lane as its window takes it: its staff (into
    the audit log's, with the wiring's cursor), the catalog and the store's settings
    (files in the data dir)."""
    from pos_app.config import data_dir
    from pos_app.services import store_shared
    from pos_app.wiring import STAFF_CURSOR_KEY

    cursor = (
        lambda: audit.store_value(STAFF_CURSOR_KEY),
        lambda value: audit.set_store_value(STAFF_CURSOR_KEY, value),
    )
    return [
        store_shared.StaffPull(audit, settings.lane, cursor),
        store_shared.CatalogPull(data_dir()),
        store_shared.SettingsPull(data_dir()),
    ]
