"""`pos-app shift`, `report --shift`, `charge --cash` and `sale` without a process: the
parser, the amounts a drawer takes, who `--as` signs in, and the lines and JSON printed.

The subprocess tests (tests/integration/test_cli_shift.py) run the same commands on a real
lane against the sandbox; these pin down the parsing and the text.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from pos_app import cli, cli_sale, cli_shift
from pos_app.domain.errors import InvalidInputError, NotPermittedError
from pos_app.domain.staff import Person, StaffRole
from pos_app.domain.tender import TenderKind, TenderPart, TicketPayments
from pos_app.domain.tickets import (
    CashMovement,
    CashMovementKind,
    Shift,
    Ticket,
    TicketStatus,
)
from pos_app.services.sales import CashResult

AT = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
OLGA = Person(1, "Olga", StaffRole.OWNER, True, 0, None)
ANN = Person(2, "Ann", StaffRole.CASHIER, True, 0, None)


def parse(*argv: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(list(argv))


# -- the parser --------------------------------------------------------------------------


def test_the_shift_commands_parse_their_amounts_reasons_and_person() -> None:
    args = parse("shift", "open", "--float", "100.00", "--as", "Ann", "--json")
    assert (args.command, args.shift_command) == ("shift", "open")
    assert (args.float_amount, args.as_name, args.json, args.demo) == ("100.00", "Ann", True, False)
    args = parse("shift", "close", "--counted", "245.10")
    assert (args.counted, args.as_name, args.json) == ("245.10", None, False)
    args = parse("shift", "paid-out", "12.00", "--reason", "Milk", "--as", "Olga")
    assert (args.shift_command, args.amount, args.reason, args.as_name) == (
        "paid-out",
        "12.00",
        "Milk",
        "Olga",
    )
    assert parse("shift", "no-sale", "--reason", "Change").reason == "Change"
    assert parse("report", "--shift", "--json").shift is True
    assert cli.LANE_COMMANDS["shift"] is cli_shift.run
    assert cli.LANE_COMMANDS["report"] is cli_shift.run


@pytest.mark.parametrize(
    "argv",
    [
        ["shift", "open"],  # the float is counted, even when it is zero
        ["shift", "close"],
        ["shift", "no-sale"],  # a reason, always
        ["shift", "paid-in", "5.00"],
        ["shift"],
        ["report"],
    ],
)
def test_a_shift_command_without_what_it_needs_is_a_usage_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stop:
        parse(*argv)
    assert stop.value.code == cli.EXIT_USAGE
    assert "required" in capsys.readouterr().err


def test_charge_takes_cash_with_or_without_a_terminal() -> None:
    args = parse("charge", "30.00", "--cash", "10.00", "--terminal", "trm_side")
    assert (args.amount, args.cash, args.terminal) == ("30.00", "10.00", "trm_side")
    args = parse("charge", "12.50", "--cash", "20.00")
    assert (args.cash, args.terminal) == ("20.00", None)
    assert parse("charge", "12.50", "--terminal", "trm_side").cash is None


def test_charge_with_neither_terminal_nor_cash_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.main(["charge", "12.50"])
    assert stop.value.code == cli.EXIT_USAGE
    assert "charge needs --terminal, or --cash" in capsys.readouterr().err


# -- amounts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cents"),
    [("100.00", 10_000), ("0", 0), ("0.00", 0), ("$1,234.5", 123_450), (".05", 5)],
)
def test_a_drawer_amount_may_be_zero(text: str, cents: int) -> None:
    assert cli_shift.drawer_amount(text, "--float") == cents


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("lots", "--counted: Enter the amount as a number, like 12.50."),
        ("-5", "--counted: Enter the amount without a minus sign."),
        ("1.005", "--counted: Use at most two digits after the decimal point."),
        ("", "--counted: Enter an amount."),
        ("10000000.01", "--counted: Enter an amount of at most $1,000,000.00."),
    ],
)
def test_a_drawer_amount_that_is_not_one_names_the_flag(text: str, sentence: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        cli_shift.drawer_amount(text, "--counted")
    assert refused.value.message == sentence


def test_a_count_is_notes_and_coins_in_dollars_then_pieces() -> None:
    args = parse("shift", "close", "--count", "20=5", "10=3", "0.25=8", "$1=12", "20=1")
    assert (args.counted, args.count) == (None, ["20=5", "10=3", "0.25=8", "$1=12", "20=1"])
    assert cli_shift.drawer_count(args.count) == {2000: 6, 1000: 3, 100: 12, 25: 8}
    assert cli_shift.drawer_count(["5=0", ".05=2"]) == {5: 2}
    assert parse("shift", "open", "--count", "5=4").count == ["5=4"]


@pytest.mark.parametrize(
    ("items", "sentence"),
    [
        (["20"], "--count: '20' is not a note or coin and how many, like 20=5 or 0.25=8"),
        (["20=x"], "--count: '20=x' is not a note or coin and how many"),
        (["twenty=2"], "--count: 'twenty=2' is not a note or coin"),
        (["20=-1"], "--count: '20=-1' is not a note or coin"),
        (["3=2"], "--count: $3 is not a note or coin the drawer holds."),
        (["1=100000"], "--count: Count the $1 as at most 99,999."),
    ],
)
def test_a_count_that_is_not_one_is_refused(items: list[str], sentence: str) -> None:
    with pytest.raises(InvalidInputError) as refused:
        cli_shift.drawer_count(items)
    assert refused.value.message.startswith(sentence)


def test_a_close_takes_a_total_or_a_count_not_both(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse("shift", "close", "--counted", "20", "--count", "20=1")
    assert "not allowed with argument" in capsys.readouterr().err


# -- who --as signs in ------------------------------------------------------------------------


@dataclass
class FakeStaff:
    staff: list[Person] = field(default_factory=list)
    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def has_staff(self) -> bool:
        return bool(self.staff)

    def authorize(self, name: str, pin: str, *, need_approver: bool = True) -> Person:
        self.calls.append(("authorize", name, pin, need_approver))
        person = next(p for p in self.staff if p.name == name)
        if need_approver and not person.can_approve:
            raise NotPermittedError(f"{name} cannot approve")
        return person

    def sign_out(self) -> None:
        self.calls.append(("sign_out",))


def test_without_as_the_action_is_the_tills_and_nobody_signs_in() -> None:
    fake = FakeStaff([OLGA])
    with cli_shift.person_named(fake, None, action="shift open") as who:  # type: ignore[arg-type]
        assert who is None
    assert fake.calls == []


def test_as_signs_the_person_in_for_the_command_then_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", _Lines("1357\n"))
    fake = FakeStaff([OLGA, ANN])
    with cli_shift.person_named(fake, "Ann", action="shift open") as who:  # type: ignore[arg-type]
        assert who == "Ann"
        assert fake.calls == [("authorize", "Ann", "1357", False)]
    assert fake.calls[-1] == ("sign_out",)


def test_paying_out_on_a_lane_with_staff_needs_a_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeStaff([OLGA, ANN])
    with (
        pytest.raises(NotPermittedError, match="--as NAME"),
        cli_shift.person_named(fake, None, action="paying out cash", approver=True),  # type: ignore[arg-type]
    ):
        pass
    monkeypatch.setattr("sys.stdin", _Lines("1357\n"))
    with (
        pytest.raises(NotPermittedError, match="Ann cannot approve"),
        cli_shift.person_named(fake, "Ann", action="paying out cash", approver=True),  # type: ignore[arg-type]
    ):
        pass
    assert fake.calls[-1] == ("sign_out",)


def test_as_on_a_lane_without_staff_says_how_to_add_the_owner() -> None:
    with (
        pytest.raises(NotPermittedError, match="staff add NAME --role owner"),
        cli_shift.person_named(FakeStaff(), "Ann", action="shift open"),  # type: ignore[arg-type]
    ):
        pass


class _Lines:
    """Standard input that is not a terminal."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines(keepends=True)
        self.closed = False

    def isatty(self) -> bool:
        return False

    def readline(self) -> str:
        return self._lines.pop(0) if self._lines else ""


# -- output -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counted", "expected", "line"),
    [
        (24_510, 25_000, "Counted $245.10, expected $250.00: $4.90 short."),
        (25_025, 25_000, "Counted $250.25, expected $250.00: $0.25 over."),
        (25_000, 25_000, "Counted $250.00, expected $250.00: the drawer is exact."),
        (None, 25_000, "Cash expected in the drawer: $250.00."),
    ],
)
def test_the_over_short_line(counted: int | None, expected: int, line: str) -> None:
    report = SimpleNamespace(
        counted_cents=counted,
        expected_cash_cents=expected,
        over_short_cents=None if counted is None else counted - expected,
    )
    assert cli_shift.over_short_line(report) == line  # type: ignore[arg-type]


def test_a_shifts_json_has_its_figures_in_cents_and_its_times_in_utc() -> None:
    shift = Shift("s1", "lane-1", AT, "Ann", 10_000)
    assert cli_shift.shift_json(shift, 11_250) == {
        "open": True,
        "shift_id": "s1",
        "lane": "lane-1",
        "opened_at": "2026-12-04T09:30:00+00:00",
        "opened_by": "Ann",
        "float": 10_000,
        "float_count": None,
        "expected_cash": 11_250,
        "closed_at": None,
        "closed_by": None,
        "counted": None,
        "over_short": None,
        "count": None,
    }
    closed = Shift(
        "s1", "lane-1", AT, "Ann", 10_000, AT, "Olga", 11_240, 11_250, count={500: 2, 10_000: 1}
    )
    data = cli_shift.shift_json(closed, 99)
    assert (data["open"], data["expected_cash"], data["over_short"]) == (False, 11_250, -10)
    assert data["count"] == {"500": 2, "10000": 1}


def test_a_movements_json_says_its_effect_on_the_drawer() -> None:
    out = CashMovement("m1", "s1", CashMovementKind.PAID_OUT, 500, AT, "Ann", "Milk", None)
    data = cli_shift.movement_json(out)
    assert (data["kind"], data["amount"], data["signed"], data["reason"]) == (
        "paid_out",
        500,
        -500,
        "Milk",
    )


# -- a sale paid in parts, in words ----------------------------------------------------------


def _ticket(status: TicketStatus, total: int = 3091) -> Ticket:
    return Ticket("t-1", "lane-1", status, (), total, 0, 0, total, AT, AT, shift_id="s1")


def _cash(applied: int, tendered: int) -> CashResult:
    movement = CashMovement(
        "m1",
        "s1",
        CashMovementKind.SALE,
        applied,
        AT,
        None,
        None,
        "t-1",
        tendered,
        tendered - applied,
    )
    payments = TicketPayments(3091, ())
    return CashResult(_ticket(TicketStatus.OPEN), movement, payments, tendered - applied, None)


CASH_PART = TenderPart(TenderKind.CASH, 1000, AT, 1000, 0, movement_id="m1")
CARD_PART = TenderPart(TenderKind.CARD, 2091, AT, card_brand="Visa", card_last4="4242")


def test_a_partly_paid_sale_says_what_is_due_and_how_to_go_on() -> None:
    payments = TicketPayments(3091, (CASH_PART,))
    said = cli_sale.sale_lines(_ticket(TicketStatus.OPEN), payments, _cash(1000, 1000))
    assert said == [
        "Cash: $10.00 handed over, $10.00 paid.",
        "Change: $0.00",
        "The sale is partly paid (Cash $10.00): $20.91 of $30.91 is still due. Sale t-1.",
        "Pay the rest with `pos-app sale pay t-1 --terminal T` (or --cash AMOUNT), or give it"
        " back with `pos-app sale cancel t-1 --as MANAGER`.",
    ]


def test_a_complete_sale_names_each_part() -> None:
    payments = TicketPayments(3091, (CASH_PART, CARD_PART))
    said = cli_sale.sale_lines(_ticket(TicketStatus.COMPLETE), payments, None)
    assert said == ["Sale complete: $30.91 (Cash $10.00, Visa •••• 4242 $20.91). Sale t-1."]
    data = cli_sale.sale_json(_ticket(TicketStatus.COMPLETE), payments, None, None)
    assert (data["status"], data["paid"], data["balance_due"]) == ("complete", 3091, 0)
    assert (data["cash"], data["card"], data["tendered"], data["change"]) == (
        1000,
        2091,
        None,
        None,
    )
    assert [p["label"] for p in data["parts"]] == ["Cash", "Visa •••• 4242"]
    assert data["parts"][1]["card_last4"] == "4242"


def test_a_cash_sale_with_change_in_json() -> None:
    part = TenderPart(TenderKind.CASH, 1250, AT, 2000, 750, movement_id="m1")
    ticket = _ticket(TicketStatus.COMPLETE, 1250)
    data = cli_sale.sale_json(ticket, TicketPayments(1250, (part,)), _cash(1250, 2000), None)
    assert (data["total"], data["tendered"], data["change"], data["balance_due"]) == (
        1250,
        2000,
        750,
        0,
    )
    assert cli_sale.sale_lines(ticket, TicketPayments(1250, (part,)), _cash(1250, 2000))[1] == (
        "Change: $7.50"
    )
