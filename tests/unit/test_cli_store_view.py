"""`report --day` and `history --store` without a process: the parser, the day's words and
JSON, and the store's history line (the subprocess tests are
tests/integration/test_cli_store_view.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from pos_app import cli
from pos_app.cli_store_view import day_json, render_day, store_history_line
from pos_app.domain.payment_flow import PaymentKind
from pos_app.domain.report import JustifiPayment, build_day_report
from pos_app.domain.tickets import CashMovement, CashMovementKind
from pos_app.services.ports import Operation

DAY = date(2026, 12, 4)
NOON = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def sale(lane: str, amount: int, number: int) -> Operation:
    return Operation(
        id=f"op-{number}",
        kind=PaymentKind.CHARGE,
        amount_cents=amount,
        status="approved",
        flow="payment_intent",
        lane=lane,
        sale_id=f"pi_{number}",
        payment_id=f"py_{number}",
        card_brand="Visa",
        card_last4="4242",
        served_by="Ann",
        created_at=NOON,
        updated_at=NOON,
    )


def test_report_takes_shift_or_day_with_a_scope() -> None:
    parser = cli.build_parser()
    args = parser.parse_args(["report", "--day", "2026-12-04", "--store", "--json"])
    assert (args.day, args.store, args.lane, args.shift, args.json) == (
        "2026-12-04",
        True,
        None,
        False,
        True,
    )
    args = parser.parse_args(["report", "--day", "2026-12-04", "--lane", "lane-2", "--csv", "d"])
    assert (args.lane, args.store, args.csv) == ("lane-2", False, "d")
    assert parser.parse_args(["report", "--shift"]).day is None


@pytest.mark.parametrize(
    "argv",
    [
        ["report"],
        ["report", "--shift", "--day", "2026-12-04"],
        ["report", "--day", "2026-12-04", "--store", "--lane", "x"],
    ],
)
def test_report_options_that_do_not_go_together(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as stop:
        cli.build_parser().parse_args(argv)
    assert stop.value.code == 2


def a_day() -> tuple[list[Operation], list[JustifiPayment]]:
    one, two = sale("lane-1", 1250, 1), sale("lane-2", 2000, 2)
    stranger = JustifiPayment("py_x", 999, 0, "succeeded", NOON + timedelta(minutes=1))
    paid = [
        JustifiPayment(op.payment_id or "", op.amount_cents, 0, "succeeded", NOON)
        for op in (one, two)
    ]
    return [one, two], [*paid, stranger]


def test_the_days_words_name_the_scope_figures_differences_and_heads() -> None:
    ops, payments = a_day()
    cash = [CashMovement("c-1", "s-1", CashMovementKind.SALE, 500, NOON)]
    report = build_day_report(
        DAY,
        ops,
        payments,
        tz=UTC,
        audit_head="lane-1 4:aaaa; lane-2 9:bbbb",
        movements=cash,
        shift_lanes={"s-1": "lane-2"},
    )
    text = render_day(report, "the whole store")
    assert text.splitlines()[0] == "End of day 2026-12-04: the whole store (lane-1, lane-2)"
    assert "$32.50" in text  # the card total
    assert "Differences (1):" in text
    assert "py_x" in text
    assert text.splitlines()[-1] == "Audit heads: lane-1 4:aaaa; lane-2 9:bbbb"
    assert "Cash by lane" in text


def test_the_days_json_is_plain_cents_and_sentences() -> None:
    ops, payments = a_day()
    report = build_day_report(DAY, ops, payments, lanes=("lane-2",), tz=UTC)
    data = json.loads(json.dumps(day_json(report)))
    assert data["day"] == "2026-12-04"
    assert data["lane_filter"] == ["lane-2"]
    assert data["total"]["totals"]["sales"] == {"count": 1, "cents": 2000}
    assert data["reconciled"] is False
    (difference,) = data["differences"]
    assert difference["kind"] == "missing_from_journal"
    assert difference["payment_id"] == "py_x"
    assert "another lane" in difference["description"]
    assert data["by_tender"] == []  # no cash read


def test_a_store_history_line_starts_with_its_lane() -> None:
    line = store_history_line(sale("lane-2", 725, 3))
    assert line.startswith("lane-2       ")
    assert "$7.25" in line
    assert "approved" in line
    assert line.endswith("Ann")
