"""`pos-app`'s subcommands: the sandbox and a headless lane (the window and the
self-test are `pos_app.entry`'s routes to `pos_app.app` and `pos_app.selftest`).

`charge`, `refund`, `void`, `history`, `recover`, `terminals`, `shift`, `report`,
`sale`, `staff`, `audit` and `store` run on the same services as the window (`shift`
and `report --shift` live in `pos_app.cli_shift`, cash and split sales and `sale` in
`pos_app.cli_sale`, `staff` and `audit` in `pos_app.cli_staff` and
`pos_app.cli_audit`, the store's database in `pos_app.cli_store`, `history --store`
and `--lane NAME` (every lane's, from the store) in `pos_app.cli_store_view`;
following a payment to its outcome in `pos_app.cli_follow`).
`charge AMOUNT --cash TENDERED` is a cash sale (it needs an open shift and
prints the change); with `--terminal` as well, the cash is one part and the rest
is charged on the terminal. `--as NAME` names the person: their PIN is the
first line of standard input (asked without echo at a terminal); refunds and
voids need a manager or owner. Exit codes of charge/refund/void: 0 approved (a
sale paid in full), 1 declined / cancelled / timed out (a split sale then stays
partly paid, and the balance due is said), 2 unresolved (or JustiFi or the
lane's storage could not be reached: check, then try again), 3 bad input,
configuration or a PIN refused (nothing was sent), 4 a bug (its details are in
the log, whose path is said). `audit verify`: 0 intact, 1 broken. `store ...`: see
`pos_app.cli_store` (`store sync` exits 5 when the store could not be reached).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from pos_app import __version__, cli_audit, cli_sale, cli_shift, cli_staff, cli_store
from pos_app.cli_follow import (
    AUTH_REFUSED_TEXT,
    EXIT_BAD_INPUT,
    EXIT_BUG,
    EXIT_UNRESOLVED,
    EXIT_USAGE,
    UNREACHABLE_TEXT,
    amount_cents,
    follow,
    on_interrupt,
    operation_json,
    parse_since,
)
from pos_app.cli_staff import authorized
from pos_app.config import load_settings, log_dir
from pos_app.domain.errors import UnavailableError, user_message
from pos_app.domain.money import Money
from pos_app.domain.payment_flow import StateName
from pos_app.domain.staff import Person
from pos_app.domain.texts import card_text
from pos_app.logs import setup_logging
from pos_app.services.manager import ManagerService
from pos_app.services.payments import PaymentRun
from pos_app.services.ports import (
    GatewayConfigError,
    GatewayUnavailableError,
    HistoryQuery,
    Journal,
    Operation,
    PaymentDetails,
)
from pos_app.services.refunds import RefundMode, RefundRequest
from pos_app.wiring import Lane, open_journal, open_lane

log = logging.getLogger("pos_app.cli")

# -- output ------------------------------------------------------------------------------


# -- commands ------------------------------------------------------------------------------


async def cmd_charge(args: argparse.Namespace, lane: Lane, out: TextIO) -> int:
    if args.cash is not None:
        return await cli_sale.cmd_cash_sale(args, lane, out)
    amount = amount_cents(args.amount, lane.settings)
    served_by = None
    if args.as_name is not None:  # who serves: checked with their PIN, journaled with the sale
        sale = authorized(lane.settings, args.as_name, action="a sale", need_approver=False)
        with sale as (_staff, person):
            served_by = person.name
    cancel = asyncio.Event()
    on_interrupt(cancel.set)
    run = await lane.service.charge(
        amount, args.terminal, args.description, cancel=cancel, served_by=served_by
    )
    return await follow(run, lane, as_json=args.json, out=out)


async def cmd_refund(args: argparse.Namespace, lane: Lane, out: TextIO) -> int:
    # The approver's PIN is checked before anything else: a wrong one sends nothing.
    with authorized(lane.settings, args.as_name, action="a refund") as (manager, person):
        who = {"served_by": person.name, "approved_by": person.name}
        payment = await lane.service.payment_details(args.id)
        # JustiFi's minimum is for charges: a refund of one cent is valid.
        amount = (
            amount_cents(args.amount, lane.settings, minimum_cents=1)
            if args.amount
            else payment.refundable_cents
        )
        if args.to_card:
            request = RefundRequest(RefundMode.CARD, amount, None, args.reason)
            run = await lane.service.refund_to_card(payment, amount, args.reason, **who)
        else:
            request = RefundRequest(RefundMode.TERMINAL, amount, args.terminal, args.reason)
            cancel = asyncio.Event()
            on_interrupt(cancel.set)
            run = await lane.service.refund_on_terminal(
                payment, amount, args.terminal, cancel=cancel, **who
            )
        return await _audited(manager, person, payment, request, run, lane, args, out)


async def cmd_void(args: argparse.Namespace, lane: Lane, out: TextIO) -> int:
    with authorized(lane.settings, args.as_name, action="a void") as (manager, person):
        payment = await lane.service.payment_details(args.payment_id)
        request = RefundRequest(RefundMode.VOID, payment.amount_cents, None, None)
        run = await lane.service.void(payment, served_by=person.name, approved_by=person.name)
        return await _audited(manager, person, payment, request, run, lane, args, out)


async def _audited(
    manager: ManagerService,
    approver: Person,
    payment: PaymentDetails,
    request: RefundRequest,
    run: PaymentRun,
    lane: Lane,
    args: argparse.Namespace,
    out: TextIO,
) -> int:
    """Follow a refund or void, with audit entries (naming who approved) when it is sent
    and with its outcome."""
    manager.record_refund(payment.payment_id, request, approved_by=approver)
    code = EXIT_UNRESOLVED
    try:
        code = await follow(run, lane, as_json=args.json, out=out)
    finally:
        op = lane.journal.get(run.operation.id)
        status = op.status if op else "not_sent"
        manager.record_refund(payment.payment_id, request, status, approved_by=approver)
    return code


async def cmd_terminals(args: argparse.Namespace, lane: Lane, out: TextIO) -> int:
    terminals = await lane.service.gateway.list_terminals()
    if args.json:
        for t in terminals:
            print(
                json.dumps(
                    {"id": t.id, "name": t.name, "status": t.readiness.value, "model": t.model}
                ),
                file=out,
            )
        return 0
    if not terminals:
        print("No terminals on this account.", file=out)
    for t in terminals:
        print(f"{t.id:<20} {t.readiness.value:<10} {t.name}", file=out)
    return 0


async def cmd_recover(args: argparse.Namespace, lane: Lane, out: TextIO) -> int:
    settled = await lane.service.recover()
    for op in settled:
        line = (
            operation_json(op)
            if args.json
            else (
                f"{op.kind.value:<7} {Money(op.amount_cents).format():>12} {op.status:<10} {op.id}"
            )
        )
        print(json.dumps(line) if args.json else line, file=out)
    if not args.json:
        print(f"{len(settled)} unfinished operation(s) reconciled.", file=out)
    # Then the sales paid in parts, as the till does at start: a sale whose last card
    # part was approved while nothing ran completes; one still owing is said (stderr
    # with --json, whose lines stay operations).
    owing = await cli_sale.resume_sales(lane)
    if owing is not None:
        print(owing, file=sys.stderr if args.json else out)
    unresolved = [op for op in settled if op.status == StateName.UNRESOLVED.value]
    return EXIT_UNRESOLVED if unresolved else 0


def cmd_history(args: argparse.Namespace, journal: Journal, out: TextIO) -> int:
    since = parse_since(args.since) if args.since else None
    person = args.person.strip() if args.person and args.person.strip() else None
    ops = journal.history(HistoryQuery(since=since, person=person, limit=args.limit))
    for op in ops:
        if args.json:
            print(json.dumps(operation_json(op)), file=out)
        else:
            print(history_line(op), file=out)
    if not ops and not args.json:
        print("No sales yet.", file=out)
    return 0


def history_line(op: Operation) -> str:
    """One operation in `pos-app history`: when, what, how much, its state, the card, the
    sale, and who served it (and approved it, when someone else did)."""
    when = op.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    card = card_text(op.card_brand, op.card_last4) if op.card_last4 else ""
    who = op.served_by or ""
    if op.approved_by and op.approved_by != op.served_by:
        who = f"{who} (approved by {op.approved_by})".strip()
    return (
        f"{when}  {op.kind.value:<7}{Money(op.amount_cents).format():>12}  "
        f"{op.status:<10} {card:<24} {op.sale_id or '':<32} {who}"
    ).rstrip()


# -- parser and entry point -------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """Every subcommand of `pos-app`."""
    parser = argparse.ArgumentParser(prog="pos-app", description="JustiFi counter POS.")
    parser.add_argument("--version", action="version", version=f"pos-app {__version__}")
    parser.add_argument(
        "--self-test", action="store_true", help="check this installation offscreen, then exit"
    )
    commands = parser.add_subparsers(dest="command")
    from pos_app.sandbox.server import build_parser as sandbox_parser

    sandbox_parser(commands.add_parser("sandbox", help="serve the local JustiFi sandbox"))

    def lane_command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument(
            "--demo", action="store_true", help="use the built-in sandbox instead of JustiFi"
        )
        sub.add_argument("--json", action="store_true", help="machine-readable output")
        return sub

    def as_person(sub: argparse.ArgumentParser, help_text: str) -> None:
        sub.add_argument("--as", dest="as_name", metavar="NAME", help=help_text)

    lane_command("terminals", "list terminals with their live status")
    charge = lane_command("charge", "charge an amount on a terminal")
    charge.add_argument("amount", help="e.g. 12.50 or $1,234.56")
    charge.add_argument(
        "--terminal", help="terminal id (trm_...); with --cash, where the rest is charged"
    )
    charge.add_argument(
        "--cash",
        metavar="TENDERED",
        help="cash handed over (needs an open shift); prints the change",
    )
    charge.add_argument("--description")
    as_person(charge, "who serves (their PIN on standard input); journaled with the sale")
    refund = lane_command("refund", "refund a payment on the terminal or to the card")
    refund.add_argument("id", help="payment intent (pi_), checkout (cho_) or payment (py_) id")
    refund.add_argument("--amount", help="default: everything still refundable")
    where = refund.add_mutually_exclusive_group(required=True)
    where.add_argument("--terminal", help="refund on this terminal (the customer taps)")
    where.add_argument("--to-card", action="store_true", help="refund to the original card")
    refund.add_argument("--reason", choices=("duplicate", "fraudulent", "customer_request"))
    as_person(refund, "the manager or owner who approves (their PIN on standard input)")
    void = lane_command("void", "void a payment within 25 minutes")
    void.add_argument("payment_id")
    as_person(void, "the manager or owner who approves (their PIN on standard input)")
    lane_command("recover", "settle every unfinished operation in the journal")
    history = commands.add_parser("history", help="past operations from the journal")
    history.add_argument("--since", help="a date (2026-11-23) or time")
    history.add_argument("--limit", type=int, default=100)
    history.add_argument("--person", metavar="NAME", help="only what NAME served or approved")
    history.add_argument("--json", action="store_true", help="one JSON object per line")
    history.add_argument(
        "--store", action="store_true", help="every lane's operations, from the store's database"
    )
    history.add_argument(
        "--lane", metavar="NAME", help="one lane's operations, from the store's database"
    )
    cli_shift.add_commands(commands)
    cli_sale.add_commands(commands)
    cli_staff.add_commands(commands)
    cli_audit.add_commands(commands)
    cli_store.add_commands(commands)
    return parser


LANE_COMMANDS = {
    "charge": cmd_charge,
    "refund": cmd_refund,
    "void": cmd_void,
    "terminals": cmd_terminals,
    "recover": cmd_recover,
    "shift": cli_shift.run,
    "sale": cli_sale.run,
    "report": cli_shift.run,
}

# The lane's people, its audit trail and its store: no JustiFi, only the lane's own files
# (and the store's database).
OFFLINE_COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "staff": cli_staff.run,
    "audit": cli_audit.run,
    "store": cli_store.run,
}


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Entry point of the `pos-app` console script."""
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test or args.command is None:
        # `pos-app` alone (the window) and `--self-test` are pos_app.entry's routes: the
        # CLI imports neither entry point (an import-linter contract).
        parser.print_usage(sys.stderr)
        return EXIT_USAGE
    if args.command == "charge" and args.terminal is None and args.cash is None:
        parser.error("charge needs --terminal, or --cash for a cash sale")
    if args.command == "sandbox":
        from pos_app.sandbox.server import run

        return run(args)
    try:
        if args.command == "history" and (args.store or args.lane):
            from pos_app import cli_store_view

            return cli_store_view.run_history(args, out)
        if args.command == "history":
            with open_journal() as journal:
                return cmd_history(args, journal, out)
        if args.command in LANE_COMMANDS:
            return asyncio.run(_run_lane_command(args, out))
        if args.command in OFFLINE_COMMANDS:
            # The service's warnings (a lockout, a broken chain) go to the log, not the terminal.
            setup_logging(log_dir())
            return OFFLINE_COMMANDS[args.command](args, out)
    except Exception as exc:  # noqa: BLE001 - the one presenter: a sentence, or the bug funnel
        return present_error(exc, args.command)
    raise AssertionError(f"no handler for the command {args.command!r}")


def present_error(error: Exception, command: str | None = None) -> int:
    """Say `error` on stderr in one line and return the exit code: the sentence of an
    error a person may read, or, for anything else (a bug), the log's path after the
    traceback went to the log (never to the terminal), exit 4."""
    line, code = _sentence(error)
    if line is None:
        return report_bug(error, command)
    print(f"pos-app: {line}", file=sys.stderr)
    return code


def _sentence(error: Exception) -> tuple[str | None, int]:
    # Refused credentials and an unreachable JustiFi keep the CLI's own lines (the
    # gateway's message is its short reason, made for the "retrying" line).
    if isinstance(error, GatewayConfigError):
        return AUTH_REFUSED_TEXT, EXIT_BAD_INPUT
    if isinstance(error, GatewayUnavailableError):
        return UNREACHABLE_TEXT, EXIT_UNRESOLVED
    message = user_message(error)
    if message is None:
        return None, EXIT_BUG
    if isinstance(error, UnavailableError):
        return message, EXIT_UNRESOLVED  # nothing is known to have happened: check, try again
    return message, EXIT_BAD_INPUT  # bad input, not permitted, configuration


def report_bug(error: BaseException, command: str | None = None) -> int:
    """The CLI's bug funnel: the traceback to the log file, one line on stderr; exit 4."""
    try:
        path = _log_file()
    except OSError:  # no log can be written: stderr is the only place left for details
        print("pos-app: something went wrong that should not have:", file=sys.stderr)
        traceback.print_exception(error, file=sys.stderr)
        return EXIT_BUG
    log.error("pos-app %s failed with a bug", command or "", exc_info=error)
    print(
        f"pos-app: something went wrong that should not have; details are in {path}",
        file=sys.stderr,
    )
    return EXIT_BUG


def _log_file() -> Path:
    """The log file the traceback goes to: the one already set up, else the log dir's."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return setup_logging(log_dir())


async def _run_lane_command(args: argparse.Namespace, out: TextIO) -> int:
    settings = load_settings()
    demo = bool(args.demo)
    async with open_lane(settings, demo=demo) as lane:
        command = LANE_COMMANDS[args.command]
        return await command(args, lane, out)
