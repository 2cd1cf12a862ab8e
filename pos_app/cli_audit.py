"""`pos-app audit verify` and `pos-app audit export`: the audit trail from a command line.

`verify` recomputes the chain (and the staff state it committed to) and exits
0 when it is intact, printing the head (`412:3f7a...`, what the end-of-day
report prints) and whether this computer keys the chain; 1 naming the first
changed or missing entry, or where the chain no longer leads to a head taken
earlier (`--head`). `export` writes every entry as CSV or JSON. The checks
are `ManagerService`'s (`check_audit`, `export_audit`); this module only asks
and shows.

On a lane in a store, `verify` also compares the chain with the store's copy of
it (`compare_audit_with_store`): a file rewritten after the store had it "does
not match the store's copy (entry N differs)" and exits 1, even when the
rewritten chain checks on its own; a store that cannot be reached is said in one
line and leaves the local verdict as it is.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

from pos_app.domain.errors import InvalidInputError
from pos_app.services.audit_log import KEY_STATUS_TEXT, AuditCheck

if TYPE_CHECKING:
    from pos_app.config import Settings
    from pos_app.services.manager import ManagerService
    from pos_app.services.store_shared import StoreAuditCheck

EXIT_INTACT, EXIT_BROKEN = 0, 1
EMPTY_TEXT: Final = "The audit log is empty: nothing was recorded on this lane yet."
CANNOT_WRITE_TEXT: Final = "cannot write the export to {target}: {why}"


def add_commands(commands: Any) -> None:
    """`audit` and its subcommands on `pos-app`'s subparsers (`commands`)."""
    audit = commands.add_parser("audit", help="check or export the lane's audit trail")
    sub = audit.add_subparsers(dest="audit_command", required=True, metavar="COMMAND")
    verify = sub.add_parser(
        "verify",
        help="check that no entry was changed or removed (exit 0 intact, 1 broken)",
    )
    verify.add_argument(
        "--head",
        metavar="HASH",
        help="a head taken earlier (412:3f7a... from an end-of-day report, or 12+ hex"
        " digits of its hash) that today's chain must still lead through",
    )
    verify.add_argument("--json", action="store_true", help="one JSON object")
    export = sub.add_parser("export", help="write every entry to a file, oldest first")
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--csv", dest="csv_file", metavar="FILE", type=Path)
    target.add_argument("--json", dest="json_file", metavar="FILE", type=Path)


def run(args: argparse.Namespace, out: TextIO) -> int:
    """`pos-app audit ...` on the lane's audit file."""
    from pos_app.config import load_settings
    from pos_app.wiring import manager_service

    settings = load_settings()
    with manager_service(settings) as manager:
        if args.audit_command == "verify":
            return cmd_verify(args, manager, out, settings)
        return cmd_export(args, manager, out)


def cmd_verify(
    args: argparse.Namespace,
    manager: ManagerService,
    out: TextIO,
    settings: Settings | None = None,
) -> int:
    try:
        check = manager.check_audit(args.head)
    except InvalidInputError as exc:  # a head that is not one: nothing was read
        raise InvalidInputError(f"--head: {exc.message}") from exc
    store = store_check(settings, manager) if settings is not None and settings.store_url else None
    if args.json:
        _say(out, json.dumps({**check_json(check), "store": store_json(store)}))
    else:
        _say(out, *check_lines(check))
        if store is not None:
            _say(out, store.message)
    return EXIT_INTACT if check.ok and (store is None or store.ok) else EXIT_BROKEN


def store_check(settings: Settings, manager: ManagerService) -> StoreAuditCheck:
    """This lane's chain against the store's copy (never raises for the store's errors)."""
    from pos_app.cli_store_shared import store_link
    from pos_app.services.store_shared import compare_audit_with_store

    async def compare() -> StoreAuditCheck:
        async with store_link(settings) as link:
            return await compare_audit_with_store(manager, link, settings.lane)

    return asyncio.run(compare())


def cmd_export(args: argparse.Namespace, manager: ManagerService, out: TextIO) -> int:
    fmt, target = ("csv", args.csv_file) if args.csv_file is not None else ("json", args.json_file)
    try:
        count = manager.export_audit(target, fmt=fmt)
    except OSError as exc:  # the file named on the command line: a folder missing, no rights
        raise InvalidInputError(
            CANNOT_WRITE_TEXT.format(target=target, why=exc.strerror or type(exc).__name__)
        ) from exc
    _say(out, f"{count} audit entries written to {target} ({fmt.upper()}).")
    return 0


# -- output ---------------------------------------------------------------------------------


def check_lines(check: AuditCheck) -> list[str]:
    """What `audit verify` prints: the verdict with the head or what broke, then the
    sentence on the chain's key."""
    if not check.ok:
        what = check.message or f"entry {check.broken_seq} does not check ({check.reason})"
        verdict = f"BROKEN: {what}"
    elif check.head is None or check.head.seq == 0:
        verdict = EMPTY_TEXT
    else:
        verdict = f"Intact: {check.checked} entries. Head: {check.head.short}"
    return [verdict, KEY_STATUS_TEXT[check.key_status]]


def check_json(check: AuditCheck) -> dict[str, Any]:
    """The JSON object of `audit verify --json`."""
    head = check.head
    return {
        "ok": check.ok,
        "checked": check.checked,
        "head": head.short if head is not None else None,
        "head_hash": head.hash if head is not None else None,
        "broken_seq": check.broken_seq,
        "reason": check.reason.value if check.reason is not None else None,
        "message": check.message,
        "key_status": check.key_status.value,
        "key_status_text": KEY_STATUS_TEXT[check.key_status],
    }


def store_json(store: StoreAuditCheck | None) -> dict[str, Any] | None:
    """The store's verdict in `audit verify --json` (None on a lane without a store)."""
    if store is None:
        return None
    return {
        "ok": store.ok,
        "state": store.state.value,
        "store_seq": store.store_seq,
        "store_hash": store.store_hash,
        "differs_at": store.differs_at,
        "message": store.message,
    }


def _say(out: TextIO, *lines: str) -> None:
    for line in lines:
        out.write(line + "\n")
    out.flush()
