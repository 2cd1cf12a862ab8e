"""`pos-app history --store` and `pos-app report --day`: the store's history and end of day.

`history --store [--lane NAME] [--since DATE] [--limit N] [--person NAME] [--json]`
prints the operations of every lane of the store (or one), newest first, in
the lane's own history's columns with the lane in front; `--json` prints the
same objects as `pos-app history --json` (they carry `lane`).

`report --day YYYY-MM-DD [--lane NAME | --store] [--json | --csv FILE]` prints
the end of day. Alone, it is this lane's own day, from its journal, as the
window's end of day shows it (useful on a lane without a store too). With
`--store` it is the whole store's day and with `--lane NAME` one lane's, read
from the store and reconciled with JustiFi against every lane's operations, so
a payment another lane of the store took is never a difference. `--csv FILE`
writes the window's CSV export. Exit codes: 0 done, 3 bad input or no store
configured for `--store`/`--lane`, 2 the store (or JustiFi's storage) could not
be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import fields, is_dataclass
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

from pos_app.cli_follow import EXIT_BAD_INPUT, operation_json, parse_since
from pos_app.domain.errors import InvalidInputError
from pos_app.domain.money import Money
from pos_app.domain.texts import card_text

if TYPE_CHECKING:
    from pos_app.config import Settings
    from pos_app.domain.report import DayReport, Totals
    from pos_app.services.ports import Operation
    from pos_app.services.store_ports import StoreView
    from pos_app.wiring import Lane, ManagerServices

__all__ = [
    "NO_STORE_TEXT",
    "add_day_arguments",
    "day_json",
    "render_day",
    "run_history",
    "run_report_day",
]

NO_STORE_TEXT: Final = (
    "This lane is not in a store (no store_url is set), so {option} has nothing to read;"
    " set POS_STORE_URL or the store database in Settings, or leave {option} out."
)
BAD_DAY_TEXT: Final = "--day: {text!r} is not a date like 2026-12-04"
CSV_AND_JSON_TEXT: Final = "--csv and --json: choose one."
SCOPE_WITH_SHIFT_TEXT: Final = "--lane, --store and --csv go with --day, not with --shift."
SAVED_TEXT: Final = "Saved the end of day of {day} to {path}."
NO_SALES_TEXT: Final = "No sales in the store yet."
NO_SALES_ON_LANE_TEXT: Final = "No sales on lane {lane} in the store yet."
WHOLE_STORE: Final = "the whole store"
THIS_LANE: Final = "lane {lane} (from its journal)"
ONE_LANE: Final = "lane {lane}"


# -- the parser (report's options; history's are pos_app.cli's) ------------------------------


def add_day_arguments(report: argparse.ArgumentParser, which: Any) -> None:
    """`--day` (in `which`, the group `--shift` is in), `--lane`, `--store` and `--csv` on
    `pos-app report`."""
    which.add_argument(
        "--day",
        metavar="YYYY-MM-DD",
        help="the end of day of a date: this lane's alone, the store's with --store",
    )
    scope = report.add_mutually_exclusive_group()
    scope.add_argument("--lane", metavar="NAME", help="with --day: one lane of the store")
    scope.add_argument("--store", action="store_true", help="with --day: the whole store")
    report.add_argument("--csv", metavar="FILE", help="with --day: save the report as CSV")


# -- history --store --------------------------------------------------------------------------


def run_history(args: argparse.Namespace, out: TextIO) -> int:
    """`pos-app history --store [--lane NAME]`: every lane's operations from the store."""
    from pos_app.config import load_settings, log_dir
    from pos_app.logs import setup_logging

    settings = load_settings()
    setup_logging(log_dir())
    option = "--store" if getattr(args, "store", False) else "--lane"
    if not settings.store_url.strip():
        print(f"pos-app: {NO_STORE_TEXT.format(option=option)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return asyncio.run(_history(args, settings, out))


async def _history(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from pos_app.services.ports import HistoryQuery

    since = parse_since(args.since) if getattr(args, "since", None) else None
    person = (getattr(args, "person", None) or "").strip() or None
    lane = getattr(args, "lane", None)
    query = HistoryQuery(since=since, person=person, limit=getattr(args, "limit", 100))
    async with store_view_of(settings) as view:
        operations = await view.history(query, lane)
    for op in operations:
        print(json.dumps(operation_json(op)) if args.json else store_history_line(op), file=out)
    if not operations and not args.json:
        print(NO_SALES_ON_LANE_TEXT.format(lane=lane) if lane else NO_SALES_TEXT, file=out)
    return 0


def store_history_line(op: Operation) -> str:
    """One operation of the store: its lane, then the lane's own history's columns (when,
    what, how much, its state, the card, the sale, who served and approved it)."""
    when = op.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
    card = card_text(op.card_brand, op.card_last4) if op.card_last4 else ""
    who = op.served_by or ""
    if op.approved_by and op.approved_by != op.served_by:
        who = f"{who} (approved by {op.approved_by})".strip()
    return (
        f"{op.lane or '':<12} {when}  {op.kind.value:<7}{_money(op.amount_cents):>12}  "
        f"{op.status:<10} {card:<24} {op.sale_id or '':<32} {who}"
    ).rstrip()


@contextlib.asynccontextmanager
async def store_view_of(settings: Settings) -> AsyncIterator[StoreView]:
    """The store's view for the settings' store (its password from POS_STORE_PASSWORD or
    the keyring), closed at the end of the block."""
    from pos_app.secrets import read_store_password
    from pos_app.storage.store import store_address_of
    from pos_app.storage.store.reads import PgStoreView

    url = settings.store_url.strip()
    view = PgStoreView(store_address_of(url, read_store_password(url)))
    try:
        yield view
    finally:
        await view.close()


# -- report --day -----------------------------------------------------------------------------


def check_report_options(args: argparse.Namespace) -> None:
    """Refuse options that do not go together (before anything is read)."""
    if getattr(args, "csv", None) and args.json:
        raise InvalidInputError(CSV_AND_JSON_TEXT)
    if args.day is None and (args.lane or args.store or args.csv):
        raise InvalidInputError(SCOPE_WITH_SHIFT_TEXT)


def report_day(text: str) -> date:
    """The `--day` given."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInputError(BAD_DAY_TEXT.format(text=text[:40])) from None


async def run_report_day(
    args: argparse.Namespace, lane: Lane, services: ManagerServices, out: TextIO
) -> int:
    """`pos-app report --day`: this lane's day (alone), the store's (`--store`) or one lane's
    of the store (`--lane NAME`), printed, as JSON or saved as CSV."""
    check_report_options(args)
    day = report_day(args.day)
    settings = lane.settings
    if not (args.store or args.lane):
        report = await services.reports.day_report(day, settings.lane)
        scope = THIS_LANE.format(lane=settings.lane)
    else:
        option = "--store" if args.store else "--lane"
        if not settings.store_url.strip():
            raise InvalidInputError(NO_STORE_TEXT.format(option=option))
        report = await _store_day(args, lane, services, day)
        scope = WHOLE_STORE if args.store else ONE_LANE.format(lane=args.lane)
    if args.csv:
        path = save_csv(args.csv, report)
        _say(out, SAVED_TEXT.format(day=day.isoformat(), path=path))
    elif args.json:
        _say(out, json.dumps({"scope": "lane" if args.lane else "store", **day_json(report)}))
    else:
        _say(out, render_day(report, scope))
    return 0


async def _store_day(
    args: argparse.Namespace, lane: Lane, services: ManagerServices, day: date
) -> DayReport:
    from pos_app.services.reports import ReportSettings
    from pos_app.services.store_view import StoreViewService

    settings = lane.settings
    remote = services.reports.payments  # JustiFi's list of payments, as the lane's report has
    report_settings = ReportSettings(currency=settings.currency)
    wired: StoreView | None = getattr(lane, "store_view", None)
    if wired is not None:
        return await StoreViewService(wired, remote, report_settings).day_report(day, args.lane)
    async with store_view_of(settings) as view:
        return await StoreViewService(view, remote, report_settings).day_report(day, args.lane)


def save_csv(name: str, report: DayReport) -> Path:
    """Save the report's CSV (the window's export) at `name`; where it went."""
    from pos_app.domain.report import report_csv

    path = Path(name).expanduser()
    _write_atomically(path, report_csv(report))
    return path


def _write_atomically(path: Path, content: str) -> None:
    """Write the file whole or not at all (a temporary file beside it, then renamed)."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    except OSError as exc:
        raise InvalidInputError(f"--csv: {path} cannot be written ({exc.strerror}).") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(content)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise InvalidInputError(f"--csv: {path} cannot be written ({exc.strerror}).") from None


# -- output -----------------------------------------------------------------------------------


def render_day(report: DayReport, scope: str) -> str:
    """The end of day as text: the day by tender, cards by lane and brand, the cash per
    lane, the people, the sales' line, JustiFi's check and every difference, the audit
    heads."""
    from pos_app.domain.report import ALL_BRANDS, ALL_LANES

    lines = [f"End of day {report.day.isoformat()}: {scope}"]
    if report.lane_filter is None and report.lanes_seen:
        lines[0] += f" ({', '.join(report.lanes_seen)})"
    head = f"{'':<22}{'Sales':>16}{'Refunds':>16}{'Voids':>16}{'Net':>12}"
    if report.by_tender:
        lines += ["", "By tender" + head[9:]]
        lines += [_totals_row(t.tender.label, t.totals) for t in report.by_tender]
    lines += ["", "Cards by lane and brand" + head[23:]]
    for summary in report.lanes:
        for brand in summary.brands:
            lines.append(_totals_row(f"{summary.lane} {brand.brand}", brand.totals))
        lines.append(_totals_row(f"{summary.lane} {ALL_BRANDS}", summary.totals))
    lines.append(_totals_row(f"{ALL_LANES}", report.total.totals))
    if report.total.declined or report.total.unsettled:
        lines.append(
            f"  Declined or cancelled: {report.total.declined};"
            f" not settled: {report.total.unsettled}"
        )
    if report.cash_total is not None:
        lines += [
            "",
            f"{'Cash by lane':<22}{'Sales':>12}{'Back':>12}{'Paid in':>12}{'Paid out':>12}"
            f"{'Drawer':>12}",
        ]
        for cash in (*report.cash, report.cash_total):
            back = cash.refunds.cents + cash.returned.cents
            lines.append(
                f"  {cash.lane:<20}{_money(cash.sales.cents):>12}{_money(back):>12}"
                f"{_money(cash.paid_in.cents):>12}{_money(cash.paid_out.cents):>12}"
                f"{_money(cash.drawer_cents):>12}"
            )
        lines.append(
            f"  Discounts: {report.discounts.count} sale(s), {_money(report.discounts.cents)};"
            f" cancelled: {report.cancelled.count}, {_money(report.cancelled.cents)};"
            f" still open: {report.open_sales}"
        )
    if report.people:
        lines += ["", "By person" + head[9:]]
        lines += [_totals_row(p.person, p.totals) for p in report.people]
    lines.append("")
    if not report.justifi_checked:
        lines.append("JustiFi: not checked (its payments could not be read); nothing reconciled.")
    else:
        payments = report.justifi_payments
        lines.append(
            f"JustiFi: {payments.count} payment(s), {_money(payments.cents)};"
            + (" reconciled, no difference." if report.reconciled else "")
        )
    if report.differences:
        lines.append(f"Differences ({len(report.differences)}):")
        lines += [f"  {d.title}: {d.description}" for d in report.differences]
    if report.audit_head:
        # A lane's own report prints its head ("412:3f7a..."), the store's each lane's.
        label = "Audit heads" if " " in report.audit_head else "Audit head"
        lines.append(f"{label}: {report.audit_head}")
    return "\n".join(lines)


def _totals_row(label: str, totals: Totals) -> str:
    def tally(count: int, cents: int) -> str:
        return f"{count:>4} {_money(cents):>11}"

    return (
        f"  {label:<20}{tally(totals.sales.count, totals.sales.cents)}"
        f"{tally(totals.refunds.count, totals.refunds.cents)}"
        f"{tally(totals.voids.count, totals.voids.cents)}{_money(totals.net_cents):>12}"
    )


def day_json(report: DayReport) -> dict[str, Any]:
    """The end of day as one JSON object: every figure in cents, tallies as {"count",
    "cents"}, each difference with its title and sentence."""
    data: dict[str, Any] = _plain(report)
    data["reconciled"] = report.reconciled
    data["by_tender"] = _plain(report.by_tender)
    data["differences"] = [
        {**_plain(d), "title": d.title, "description": d.description} for d in report.differences
    ]
    return data


def _plain(value: Any) -> Any:
    """A report's figures (dataclasses, mappings, tuples, times) as JSON values."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Mapping):
        return {str(_plain(key)): _plain(item) for key, item in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _money(cents: int) -> str:
    return Money(cents).format()


def _say(out: TextIO, *lines: str) -> None:
    for line in lines:
        out.write(line + "\n")
    out.flush()
