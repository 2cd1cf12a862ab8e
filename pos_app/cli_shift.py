"""`pos-app shift ...` and `pos-app report`: a lane's cash shift from a command line.

`shift open --float 100.00` starts a shift with its float counted; `shift close
--counted 245.10` counts the drawer, prints the Z report and says how much the
drawer is over or short (`--count 20=5 10=3 ...` counts a drawer, or the float,
note by note); `shift status` says whether a shift is open and what the drawer
should hold; `shift no-sale`, `shift paid-in` and `shift paid-out` open the
drawer with a reason. As at the till, paying out and closing need a manager or
owner (`--as`) on a lane with staff. `report --shift` prints the open shift's X
report, else the last Z; `report --day` the end of day (this lane's, or with
`--store`/`--lane` the store's: `pos_app.cli_store_view`).

`--as NAME` names the person (their PIN is the first line of standard input,
as for charges); the shift's actions are journaled and audited under their
name. Every rule (a second open shift, a close with a sale still owing, paid
out above the cash in the drawer) is `ShiftService`'s; this module only asks
and shows. Exit codes: 0 done, 3 bad input or a refusal (nothing was done),
2 the lane's storage could not be reached, 4 a bug.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Final, TextIO

from pos_app.cli_staff import PinReader, authorize
from pos_app.cli_store_view import add_day_arguments, check_report_options, run_report_day
from pos_app.domain.cash import DrawerCount
from pos_app.domain.errors import InvalidInputError
from pos_app.domain.money import AmountError, AmountErrorReason, Money, parse_amount

if TYPE_CHECKING:
    from pos_app.domain.report.shift import ShiftReport
    from pos_app.domain.tickets import CashMovement, Shift
    from pos_app.services.manager import ManagerService
    from pos_app.services.shifts import ShiftService
    from pos_app.wiring import Lane

NO_SHIFT_TEXT: Final = (
    "No shift is open on this lane. Open one with `pos-app shift open --float AMOUNT`."
)
APPROVED_COMMANDS: Final = {"paid-out": "paying out cash", "close": "closing the shift"}
PIN_ORDER: Final = "the PIN of the person --as names"
COUNT_ITEM_TEXT: Final = "--count: {item!r} is not a note or coin and how many, like 20=5 or 0.25=8"
DRAWER_MAX_CENTS: Final = 100_000_000  # $1,000,000.00: no drawer holds more


# -- the parser ---------------------------------------------------------------------------


def add_commands(commands: Any) -> None:
    """`shift` and its subcommands, and `report` (`--shift` or `--day`), on `pos-app`'s
    subparsers."""
    shift = commands.add_parser("shift", help="open and close the cash shift; drawer movements")
    sub = shift.add_subparsers(dest="shift_command", required=True, metavar="COMMAND")

    opening = _lane_parser(sub, "open", "open a shift with the float counted into the drawer")
    float_given = opening.add_mutually_exclusive_group(required=True)
    float_given.add_argument("--float", dest="float_amount", metavar="AMOUNT", help="e.g. 100.00")
    _count_argument(float_given, "the float")
    _as(opening, "who opens it (their PIN on standard input)")

    closing = _lane_parser(sub, "close", "count the drawer, close the shift and print its Z report")
    counted_given = closing.add_mutually_exclusive_group(required=True)
    counted_given.add_argument("--counted", metavar="AMOUNT", help="the cash counted, in total")
    _count_argument(counted_given, "the drawer")
    _as(closing, "who counts it: a manager or owner on a lane with staff (PIN on stdin)")

    _lane_parser(sub, "status", "whether a shift is open, its float and the cash expected")

    no_sale = _lane_parser(sub, "no-sale", "open the drawer without a sale")
    no_sale.add_argument("--reason", required=True, help="why the drawer is opened")
    _as(no_sale, "who opens it (their PIN on standard input)")

    paid_in = _lane_parser(sub, "paid-in", "cash put into the drawer (change from the bank)")
    paid_in.add_argument("amount", help="e.g. 20.00")
    paid_in.add_argument("--reason", required=True)
    _as(paid_in, "who puts it in (their PIN on standard input)")

    paid_out = _lane_parser(sub, "paid-out", "cash taken out of the drawer (a delivery paid)")
    paid_out.add_argument("amount", help="e.g. 20.00")
    paid_out.add_argument("--reason", required=True)
    _as(paid_out, "the manager or owner who approves it (needed on a lane with staff)")

    report = commands.add_parser(
        "report", help="the shift's X report (or the last Z report), or a day's end of day"
    )
    which = report.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--shift",
        action="store_true",
        help="the open shift's X report; without an open shift, the last closed one's Z",
    )
    add_day_arguments(report, which)
    _common(report)


def _count_argument(group: Any, what: str) -> None:
    group.add_argument(
        "--count",
        nargs="+",
        metavar="NOTE=PIECES",
        help=f"{what} counted note by note: 20=5 10=3 1=12 0.25=8 (a note or coin, then how many)",
    )


def _lane_parser(sub: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
    _common(parser)
    return parser


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--demo", action="store_true", help="use the built-in sandbox instead of JustiFi"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")


def _as(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--as", dest="as_name", metavar="NAME", help=help_text)


# -- running a command ---------------------------------------------------------------------


async def run(args: argparse.Namespace, lane: Lane, out: TextIO) -> int:
    """`pos-app shift ...` or `pos-app report` on a wired lane."""
    from pos_app.wiring import manager_services

    if args.command == "report":
        check_report_options(args)  # before the audit log opens
    with manager_services(lane) as services:
        if args.command == "report" and args.day is not None:
            return await run_report_day(args, lane, services, out)
        if args.command == "report":
            return cmd_report(args, services.shifts, out)
        command = args.shift_command
        if command == "status":
            return cmd_status(args, services.shifts, out)
        # As at the till: paying out and closing need a manager or owner on a lane with staff.
        approver = command in APPROVED_COMMANDS and services.manager.has_staff()
        action = APPROVED_COMMANDS.get(command, f"shift {command}")
        with person_named(services.manager, args.as_name, action=action, approver=approver) as who:
            if command == "open":
                return await cmd_open(args, services.shifts, who, out)
            if command == "close":
                return await cmd_close(args, services.shifts, who, out)
            if command == "no-sale":
                return await cmd_no_sale(args, services.shifts, who, out)
            return await cmd_paid(args, services.shifts, who, out)


@contextlib.contextmanager
def person_named(
    manager: ManagerService, name: str | None, *, action: str, approver: bool = False
) -> Iterator[str | None]:
    """The name of the person `--as NAME` names, signed in on `manager` for the block (so
    what the services audit is theirs), once their PIN from standard input is right; None
    without `--as` (the action is the till's), unless `approver` asks for a manager or owner.
    """
    if name is None and not approver:
        yield None
        return
    try:
        person = authorize(
            manager, name, PinReader(order=PIN_ORDER), action=action, need_approver=approver
        )
        yield person.name
    finally:
        manager.sign_out()  # the command is over: so is their session (audited)


def drawer_amount(text: str, what: str) -> int:
    """Cents of a float, a count or a drawer movement from the command line; zero is
    allowed (an empty float, an empty drawer), a negative amount or a word is not."""
    try:
        return parse_amount(text, minimum_cents=1, maximum_cents=DRAWER_MAX_CENTS).cents
    except AmountError as exc:
        if exc.reason is AmountErrorReason.ZERO:
            return 0
        raise InvalidInputError(f"{what}: {exc.message}") from exc


def drawer_count(items: list[str]) -> dict[int, int]:
    """Notes and coins from `--count 20=5 10=3 0.25=8` (a note or coin in dollars, then how
    many): denomination in cents -> pieces. The rules of a count (a note the drawer does
    not hold, too many pieces) are the domain's `DrawerCount`."""
    count: dict[int, int] = {}
    for item in items:
        note, _, pieces = item.partition("=")
        try:
            cents = parse_amount(note, minimum_cents=1, maximum_cents=DRAWER_MAX_CENTS).cents
            number = int(pieces.strip())
        except (AmountError, ValueError):
            raise InvalidInputError(COUNT_ITEM_TEXT.format(item=item[:20])) from None
        if number < 0:
            raise InvalidInputError(COUNT_ITEM_TEXT.format(item=item[:20]))
        count[cents] = count.get(cents, 0) + number
    try:
        return DrawerCount(count).as_dict()
    except InvalidInputError as exc:
        raise InvalidInputError(f"--count: {exc.message}") from exc


async def cmd_open(
    args: argparse.Namespace, shifts: ShiftService, person: str | None, out: TextIO
) -> int:
    if args.count is not None:
        count = drawer_count(args.count)
        float_cents = sum(cents * pieces for cents, pieces in count.items())
    else:
        count, float_cents = None, drawer_amount(args.float_amount, "--float")
    shift = await shifts.open_shift(float_cents, person=person, count=count)
    if args.json:
        _say(out, json.dumps(shift_json(shift, shifts.expected_cash())))
    else:
        by = f" by {shift.opened_by}" if shift.opened_by else ""
        _say(out, f"Shift open on {shift.lane}{by}: float {_money(shift.float_cents)}.")
    return 0


async def cmd_close(
    args: argparse.Namespace, shifts: ShiftService, person: str | None, out: TextIO
) -> int:
    counted: int | dict[int, int] = (
        drawer_count(args.count)
        if args.count is not None
        else drawer_amount(args.counted, "--counted")
    )
    if shifts.current() is None:
        raise InvalidInputError(NO_SHIFT_TEXT)
    report = await shifts.close_shift(counted, person=person)
    if args.json:
        _say(out, json.dumps(report_json(report)))
    else:
        _say(out, render_report(report), over_short_line(report))
    return 0


def cmd_status(args: argparse.Namespace, shifts: ShiftService, out: TextIO) -> int:
    shift = shifts.current()
    if args.json:
        expected = shifts.expected_cash() if shift is not None else None
        _say(out, json.dumps(shift_json(shift, expected) if shift else {"open": False}))
        return 0
    if shift is None:
        _say(out, NO_SHIFT_TEXT)
        return 0
    since = shift.opened_at.astimezone().strftime("%Y-%m-%d %H:%M")
    by = f" by {shift.opened_by}" if shift.opened_by else ""
    _say(
        out,
        f"Shift open since {since}{by}: float {_money(shift.float_cents)},"
        f" cash expected in the drawer {_money(shifts.expected_cash())}.",
    )
    return 0


async def cmd_no_sale(
    args: argparse.Namespace, shifts: ShiftService, person: str | None, out: TextIO
) -> int:
    movement = await shifts.no_sale(args.reason, person=person)  # the drawer opens
    return _movement_done(args, shifts, movement, out)


async def cmd_paid(
    args: argparse.Namespace, shifts: ShiftService, person: str | None, out: TextIO
) -> int:
    amount = drawer_amount(args.amount, "amount")
    if amount == 0:
        raise InvalidInputError("amount: Enter an amount of at least $0.01.")
    if args.shift_command == "paid-in":
        movement = await shifts.paid_in(amount, args.reason, person=person)
    else:
        movement = await shifts.paid_out(amount, args.reason, person=person, approved_by=person)
    return _movement_done(args, shifts, movement, out)


def _movement_done(
    args: argparse.Namespace,
    shifts: ShiftService,
    movement: CashMovement,
    out: TextIO,
) -> int:
    expected = shifts.expected_cash()
    trouble = shifts.drawer_trouble  # the drawer opened with the movement, or it did not
    if trouble:  # the drawer's trouble is not the command's: it is said, and the exit is 0
        print(f"pos-app: {trouble}", file=sys.stderr, flush=True)
    if args.json:
        _say(out, json.dumps({**movement_json(movement), "expected_cash": expected}))
        return 0
    what = {
        "no_sale": "Drawer opened, no sale",
        "paid_in": f"Paid in {_money(movement.amount_cents)}",
        "paid_out": f"Paid out {_money(movement.amount_cents)}",
    }.get(movement.kind.value, movement.kind.value)
    _say(out, f"{what}: {movement.reason}.", f"Cash expected in the drawer: {_money(expected)}.")
    return 0


def cmd_report(args: argparse.Namespace, shifts: ShiftService, out: TextIO) -> int:
    if shifts.current() is None and not shifts.recent(1):
        raise InvalidInputError(
            "No shift on this lane yet: `pos-app shift open --float AMOUNT` starts one."
        )
    report = shifts.report()
    if args.json:
        _say(out, json.dumps(report_json(report)))
    else:
        lines = [render_report(report)]
        if report.over_short_cents is not None:
            lines.append(over_short_line(report))
        _say(out, *lines)
    return 0


# -- output ---------------------------------------------------------------------------------


def render_report(report: ShiftReport) -> str:
    """The printable X or Z report, as the receipt printer would print it."""
    from pos_app.domain.report.shift import render_shift_text

    return render_shift_text(report)


def over_short_line(report: ShiftReport) -> str:
    """ "Counted $245.10, expected $250.00: $4.90 short." (or over, or exact)."""
    counted, expected = report.counted_cents, report.expected_cash_cents
    difference = report.over_short_cents
    if counted is None or difference is None:
        return f"Cash expected in the drawer: {_money(expected)}."
    head = f"Counted {_money(counted)}, expected {_money(expected)}"
    if difference == 0:
        return f"{head}: the drawer is exact."
    side = "short" if difference < 0 else "over"
    return f"{head}: {_money(abs(difference))} {side}."


def shift_json(shift: Shift, expected_cents: int | None = None) -> dict[str, Any]:
    """The JSON object of a shift (amounts in cents); `expected_cash` is the cash the
    drawer should hold now (open) or held at close."""
    expected = shift.expected_cents if shift.expected_cents is not None else expected_cents
    return {
        "open": shift.is_open,
        "shift_id": shift.id,
        "lane": shift.lane,
        "opened_at": _iso(shift.opened_at),
        "opened_by": shift.opened_by,
        "float": shift.float_cents,
        "float_count": _count_json(shift.float_count),
        "expected_cash": expected,
        "closed_at": _iso(shift.closed_at),
        "closed_by": shift.closed_by,
        "counted": shift.counted_cents,
        "over_short": shift.over_short_cents,
        "count": _count_json(shift.count),
    }


def movement_json(movement: CashMovement) -> dict[str, Any]:
    """The JSON object of one cash movement (cents; `signed` is its effect on the drawer)."""
    return {
        "movement_id": movement.id,
        "shift_id": movement.shift_id,
        "kind": movement.kind.value,
        "amount": movement.amount_cents,
        "signed": movement.signed_cents,
        "at": _iso(movement.at),
        "person": movement.person,
        "reason": movement.reason,
        "ticket_id": movement.ticket_id,
        "tendered": movement.tendered_cents,
        "change": movement.change_cents,
        "approved_by": movement.approved_by,
    }


def report_json(report: ShiftReport) -> dict[str, Any]:
    """The JSON object of an X or Z report: every figure in cents, tallies as
    {"count", "cents"}."""
    return {
        "kind": report.kind.value,
        "made_at": _iso(report.made_at),
        "shift": shift_json(report.shift, report.expected_cash_cents),
        "tickets": report.tickets,
        "sales_by_tender": _plain(report.sales_by_tender),
        "card_brands": _plain(report.card_brands),
        "refunds_by_tender": _plain(report.refunds_by_tender),
        "cash_returned": _plain(report.cash_returned),
        "declined": report.declined,
        "unsettled": report.unsettled,
        "voids": _plain(report.voids),
        "discounts": _plain(report.discounts),
        "cancelled": _plain(report.cancelled),
        "no_sales": [movement_json(m) for m in report.no_sales],
        "paid_in": [movement_json(m) for m in report.paid_in],
        "paid_out": [movement_json(m) for m in report.paid_out],
        "float": report.float_cents,
        "expected_cash": report.expected_cash_cents,
        "counted": report.counted_cents,
        "over_short": report.over_short_cents,
        "by_person": _plain(report.by_person),
    }


def _plain(value: Any) -> Any:
    """A report's figures (dataclasses, mappings, tuples) as JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(_plain(key)): _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _count_json(count: Mapping[int, int] | None) -> dict[str, int] | None:
    return None if count is None else {str(cents): n for cents, n in sorted(count.items())}


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _money(cents: int) -> str:
    return Money(cents).format()


def _say(out: TextIO, *lines: str) -> None:
    for line in lines:
        out.write(line + "\n")
    out.flush()
