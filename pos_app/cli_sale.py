"""Sales paid in parts from a command line: `pos-app charge AMOUNT --cash TENDERED
[--terminal T]`, and `pos-app sale status|pay|cancel` for a sale left partly paid.

`charge 12.50 --cash 20.00` is a cash sale: it needs an open shift and prints
the change. `charge 30.00 --cash 10.00 --terminal T` takes the cash part, then
charges the rest on the terminal as a normal charge. Everything is checked
before any cash is taken (the amounts, the open shift, that the rest can be a
card part). A declined card leaves the sale partly paid: the command says how
much is due and exits as a declined charge does (1); `sale pay SALE --terminal
T` (or `--cash`) pays the rest, `sale cancel SALE --as MANAGER` gives back what
was paid (cash from the drawer, card parts voided or refunded to the card).
A shift does not close while one of its sales is partly paid.

The rules are `SaleService`'s; this module only asks and shows. Exit codes are
the charges' (`pos_app.cli_follow`): 0 the sale is paid (or cancelled), 1 a card
part declined / cancelled / timed out, 2 unresolved, 3 bad input or a refusal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any, Final, TextIO

from pos_app import cli_shift
from pos_app.cli_follow import (
    EXIT_APPROVED,
    EXIT_UNRESOLVED,
    amount_cents,
    follow,
    on_interrupt,
    operation_json,
)
from pos_app.domain.errors import InvalidInputError
from pos_app.domain.money import Money
from pos_app.domain.tickets import TicketStatus

if TYPE_CHECKING:
    from pos_app.config import Settings
    from pos_app.domain.tender import TicketPayments
    from pos_app.domain.tickets import Ticket
    from pos_app.services.ports import Operation
    from pos_app.services.sales import CashResult, SaleService
    from pos_app.wiring import Lane

NO_SHIFT_CASH_TEXT: Final = "Open a shift to take cash: `pos-app shift open --float AMOUNT`."
CASH_SHORT_TEXT: Final = (
    "{cash} in cash does not cover {amount}: name a --terminal for the rest, or take more cash"
)
PARTLY_PAID_TEXT: Final = (
    "The sale is partly paid ({paid}): {due} of {total} is still due. Sale {ticket}."
)
NEXT_STEP_TEXT: Final = (
    "Pay the rest with `pos-app sale pay {ticket} --terminal T` (or --cash AMOUNT),"
    " or give it back with `pos-app sale cancel {ticket} --as MANAGER`."
)
STILL_OWING_TEXT: Final = (
    "A sale is still partly paid: {due} of {total} is due (`pos-app sale status {ticket}`)."
)
NOTHING_OWING_TEXT: Final = "No sale is partly paid on this lane."
CANCELLED_TEXT: Final = "Sale cancelled: {what}. Sale {ticket}."
NOT_CANCELLED_TEXT: Final = (
    "The sale is not cancelled yet: {left} is still to go back to the card. Sale {ticket}."
)


# -- the parser ---------------------------------------------------------------------------


def add_commands(commands: Any) -> None:
    """`sale` and its subcommands on `pos-app`'s subparsers (`commands`)."""
    sale = commands.add_parser("sale", help="a sale left partly paid: pay the rest, or cancel it")
    sub = sale.add_subparsers(dest="sale_command", required=True, metavar="COMMAND")

    status = _lane_parser(sub, "status", "a sale's parts and what is still due")
    status.add_argument("sale_id", nargs="?", metavar="SALE", help="default: the newest owing")

    pay = _lane_parser(sub, "pay", "pay what is still due on a sale, in cash or on a terminal")
    pay.add_argument("sale_id", metavar="SALE")
    how = pay.add_mutually_exclusive_group(required=True)
    how.add_argument("--cash", metavar="TENDERED", help="cash handed over; prints the change")
    how.add_argument("--terminal", help="charge on this terminal (trm_...)")
    pay.add_argument("--amount", help="with --terminal: a part only (default: all that is due)")
    pay.add_argument("--as", dest="as_name", metavar="NAME", help="who serves (PIN on stdin)")

    cancel = _lane_parser(sub, "cancel", "give a sale up: what was paid goes back")
    cancel.add_argument("sale_id", metavar="SALE")
    cancel.add_argument(
        "--as",
        dest="as_name",
        metavar="NAME",
        help="the manager or owner who approves (their PIN on standard input)",
    )


def _lane_parser(sub: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    parser.add_argument(
        "--demo", action="store_true", help="use the built-in sandbox instead of JustiFi"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    return parser


# -- charge --cash ------------------------------------------------------------------------------


async def cmd_cash_sale(args: argparse.Namespace, lane: Lane, out: TextIO) -> int:
    """`charge AMOUNT --cash TENDERED [--terminal T]`: a sale paid in cash, or its cash part
    first and the rest on the terminal."""
    from pos_app.domain.cart import Cart
    from pos_app.domain.tender import card_part_error
    from pos_app.wiring import manager_services

    amount = amount_cents(args.amount, lane.settings, minimum_cents=1)  # no card minimum
    tendered = flag_amount(args.cash, "--cash", lane.settings)
    rest = max(0, amount - tendered)
    if rest and args.terminal is None:
        raise InvalidInputError(
            CASH_SHORT_TEXT.format(cash=Money(tendered).format(), amount=Money(amount).format())
        )
    if rest:
        problem = card_part_error(rest, rest)
        if problem is not None:
            raise InvalidInputError(f"the card part would be {Money(rest).format()}: {problem}")
    with manager_services(lane) as services:
        sales = services.sales
        with cli_shift.person_named(services.manager, args.as_name, action="a sale") as person:
            if services.shifts.current() is None:  # before the sale is journaled
                raise InvalidInputError(NO_SHIFT_CASH_TEXT)
            ticket = await sales.start(
                Cart().add_amount(amount), served_by=person, description=args.description
            )
            cash = await sales.pay_cash(ticket.id, tendered, person=person)
            _drawer_trouble(cash.drawer_trouble)
            code, card = EXIT_APPROVED, None
            if not cash.payments.is_paid and args.terminal is not None:
                balance = cash.payments.balance_cents
                progress = sys.stderr if args.json else out
                _say(
                    progress,
                    f"Cash {Money(cash.movement.amount_cents).format()} taken;"
                    f" {Money(balance).format()} to pay on {args.terminal}.",
                )
                code, card = await card_part(
                    sales, lane, ticket.id, balance, args.terminal, person, progress
                )
            return await _done(args, sales, ticket.id, cash, card, code, out, expect_paid=True)


# -- sale status / pay / cancel -------------------------------------------------------------------


async def run(args: argparse.Namespace, lane: Lane, out: TextIO) -> int:
    """`pos-app sale ...` on a wired lane."""
    from pos_app.wiring import manager_services

    with manager_services(lane) as services:
        sales = services.sales
        if args.sale_command == "status":
            return cmd_status(args, sales, out)
        if args.sale_command == "pay":
            action = "a sale"
            with cli_shift.person_named(services.manager, args.as_name, action=action) as person:
                return await cmd_pay(args, lane, sales, person, out)
        owing = sales.payments(sales.ticket(args.sale_id).id).parts
        approver = bool(owing) or args.as_name is not None  # giving money back is approved
        with cli_shift.person_named(
            services.manager, args.as_name, action="cancelling a sale", approver=approver
        ) as person:
            return await cmd_cancel(args, lane, sales, person, out)


def cmd_status(args: argparse.Namespace, sales: SaleService, out: TextIO) -> int:
    ticket = sales.ticket(args.sale_id) if args.sale_id else sales.open_ticket()
    if ticket is None:
        _say(out, json.dumps({"ticket_id": None}) if args.json else NOTHING_OWING_TEXT)
        return 0
    payments = sales.payments(ticket.id)
    if args.json:
        _say(out, json.dumps(sale_json(ticket, payments, None, None)))
    else:
        _say(out, *sale_lines(ticket, payments, None))
    return 0


async def cmd_pay(
    args: argparse.Namespace, lane: Lane, sales: SaleService, person: str | None, out: TextIO
) -> int:
    ticket = sales.ticket(args.sale_id)
    if args.cash is not None:
        cash = await sales.pay_cash(
            ticket.id, flag_amount(args.cash, "--cash", lane.settings), person=person
        )
        _drawer_trouble(cash.drawer_trouble)
        return await _done(args, sales, ticket.id, cash, None, EXIT_APPROVED, out)
    due = sales.payments(ticket.id).balance_cents
    amount = flag_amount(args.amount, "--amount", lane.settings) if args.amount else due
    progress = sys.stderr if args.json else out
    code, card = await card_part(sales, lane, ticket.id, amount, args.terminal, person, progress)
    return await _done(args, sales, ticket.id, None, card, code, out, expect_paid=amount == due)


async def cmd_cancel(
    args: argparse.Namespace, lane: Lane, sales: SaleService, person: str | None, out: TextIO
) -> int:
    result = await sales.cancel(args.sale_id, approved_by=person or "", person=person)
    _drawer_trouble(result.drawer_trouble)
    progress = sys.stderr if args.json else out
    if result.returned_cash_cents:
        _say(progress, f"Hand back {Money(result.returned_cash_cents).format()} in cash.")
    code, runs = EXIT_APPROVED, []
    for run in result.runs:
        outcome = await follow(run, lane, as_json=False, out=progress)
        code = outcome if code == EXIT_APPROVED else code
        runs.append(lane.journal.get(run.operation.id) or run.operation)
    ticket = sales.ticket(args.sale_id)
    payments = sales.payments(ticket.id)
    left = sum(part.refundable_cents for part in payments.parts)
    if args.json:
        _say(
            out,
            json.dumps(
                {
                    "ticket_id": ticket.id,
                    "status": ticket.status.value,
                    "returned_cash": result.returned_cash_cents,
                    "card_operations": [operation_json(op) for op in runs],
                    "still_to_give_back": left,
                    "cancelled_by": ticket.cancelled_by,
                    "drawer_trouble": result.drawer_trouble,
                }
            ),
        )
    elif ticket.status is TicketStatus.CANCELLED:
        what = _given_back(result.returned_cash_cents, len(runs))
        _say(out, CANCELLED_TEXT.format(what=what, ticket=ticket.id))
    else:
        _say(out, NOT_CANCELLED_TEXT.format(left=Money(left).format(), ticket=ticket.id))
    if ticket.status is not TicketStatus.CANCELLED and code == EXIT_APPROVED:
        code = EXIT_UNRESOLVED
    return code


async def resume_sales(lane: Lane) -> str | None:
    """Settle the sales a stop left behind (`SaleService.resume`: complete those paid to
    zero, cancel those whose parts all went back); the line saying which sale is still
    owing, else None."""
    from pos_app.wiring import manager_services

    with manager_services(lane) as services:
        owing = await services.sales.resume()
        if owing is None:
            return None
        payments = services.sales.payments(owing.id)
    return STILL_OWING_TEXT.format(
        due=Money(payments.balance_cents).format(),
        total=Money(owing.total_cents).format(),
        ticket=owing.id,
    )


# -- shared steps -----------------------------------------------------------------------------


async def card_part(
    sales: SaleService,
    lane: Lane,
    ticket_id: str,
    amount: int,
    terminal: str,
    person: str | None,
    progress: TextIO,
) -> tuple[int, Operation]:
    """Charge a card part of the sale on `terminal`, following it to its outcome (Ctrl+C
    asks the terminal to cancel); the exit code and the journaled operation."""
    cancel = asyncio.Event()
    on_interrupt(cancel.set)
    run = await sales.charge_card(ticket_id, amount, terminal, cancel=cancel, served_by=person)
    code = await follow(run, lane, as_json=False, out=progress)
    return code, lane.journal.get(run.operation.id) or run.operation


def flag_amount(text: str, flag: str, settings: Settings) -> int:
    """Cents of a flag's amount (at least a cent); the refusal names the flag."""
    try:
        return amount_cents(text, settings, minimum_cents=1)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{flag}: {exc.message}") from exc


async def _done(
    args: argparse.Namespace,
    sales: SaleService,
    ticket_id: str,
    cash: CashResult | None,
    card: Operation | None,
    code: int,
    out: TextIO,
    *,
    expect_paid: bool = False,
) -> int:
    """Settle the sale (complete at zero balance), print it, and the exit code: the card
    part's, but never 0 when the sale was to be paid in full and is not (check it)."""
    settled = await sales.settle(ticket_id)
    payments = sales.payments(ticket_id)
    if args.json:
        _say(out, json.dumps(sale_json(settled, payments, cash, card)))
    else:
        _say(out, *sale_lines(settled, payments, cash))
    if expect_paid and not payments.is_paid and code == EXIT_APPROVED:
        return EXIT_UNRESOLVED
    return code


def _drawer_trouble(sentence: str | None) -> None:
    if sentence:  # the cash is journaled: the drawer's trouble is said, not the command's
        print(f"pos-app: {sentence}", file=sys.stderr, flush=True)


# -- output -----------------------------------------------------------------------------------


def sale_json(
    ticket: Ticket, payments: TicketPayments, cash: CashResult | None, card: Operation | None
) -> dict[str, Any]:
    """The JSON object of a sale paid in parts: its figures and status, each paid part,
    the cash handed over and the change (this command's cash part), and the card part's
    operation (this command's)."""
    return {
        "ticket_id": ticket.id,
        "status": ticket.status.value,
        "total": ticket.total_cents,
        "paid": payments.paid_cents,
        "balance_due": payments.balance_cents,
        "cash": payments.cash_cents,
        "card": payments.card_cents,
        "tendered": cash.movement.tendered_cents if cash is not None else None,
        "change": cash.change_cents if cash is not None else None,
        "parts": [
            {
                "kind": part.kind.value,
                "amount": part.amount_cents,
                "label": part.label,
                "tendered": part.tendered_cents,
                "change": part.change_cents,
                "card_brand": part.card_brand,
                "card_last4": part.card_last4,
                "operation_id": part.operation_id,
                "payment_id": part.payment_id,
                "movement_id": part.movement_id,
                "refunded": part.refunded_cents,
            }
            for part in payments.parts
        ],
        "card_operation": operation_json(card) if card is not None else None,
        "shift_id": ticket.shift_id,
        "served_by": ticket.served_by,
        "description": ticket.description,
        "drawer_trouble": cash.drawer_trouble if cash is not None else None,
    }


def sale_lines(ticket: Ticket, payments: TicketPayments, cash: CashResult | None) -> list[str]:
    """What a sale paid in parts prints: this command's cash handed over and the change,
    then the sale complete, or partly paid with the balance due and what to do next."""
    lines = []
    if cash is not None:
        lines += [
            f"Cash: {Money(cash.movement.tendered_cents or 0).format()} handed over,"
            f" {Money(cash.movement.amount_cents).format()} paid.",
            f"Change: {Money(cash.change_cents).format()}",
        ]
    paid = ", ".join(f"{part.label} {Money(part.amount_cents).format()}" for part in payments.parts)
    total = Money(ticket.total_cents).format()
    if ticket.status is TicketStatus.CANCELLED:
        lines.append(f"Sale cancelled: {total}. Sale {ticket.id}.")
    elif payments.is_paid:
        lines.append(f"Sale complete: {total} ({paid}). Sale {ticket.id}.")
    else:
        due = Money(payments.balance_cents).format()
        lines.append(
            PARTLY_PAID_TEXT.format(
                paid=paid or "nothing yet", due=due, total=total, ticket=ticket.id
            )
        )
        lines.append(NEXT_STEP_TEXT.format(ticket=ticket.id))
    return lines


def _given_back(cash_cents: int, card_parts: int) -> str:
    said = []
    if cash_cents:
        said.append(f"{Money(cash_cents).format()} in cash handed back")
    if card_parts:
        said.append(f"{card_parts} card part{'s' if card_parts != 1 else ''} given back")
    return ", ".join(said) or "nothing had been paid"


def _say(out: TextIO, *lines: str) -> None:
    for line in lines:
        out.write(line + "\n")
    out.flush()
