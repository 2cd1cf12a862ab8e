"""What every paying command shares: following a payment run to its outcome on the
terminal, the operation's JSON, amounts from the command line, Ctrl+C as a cancel
request, and the exit codes.

Exit codes of a payment: 0 approved, 1 declined / cancelled / timed out, 2
unresolved (or JustiFi or the lane's storage could not be reached: check, then
try again), 3 bad input, configuration or a PIN refused (nothing was sent), 4 a
bug. `pos_app.cli` (charge, refund, void) and `pos_app.cli_sale` (cash and split
sales) both follow their runs here.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, TextIO

from pos_app.domain.errors import InvalidInputError
from pos_app.domain.money import AmountError, parse_amount
from pos_app.domain.payment_flow import PaymentState, StateName, is_final, is_in_progress
from pos_app.domain.texts import status_line
from pos_app.services.payments import AUTH_FAILED

if TYPE_CHECKING:
    from pos_app.config import Settings
    from pos_app.services.payments import PaymentRun
    from pos_app.services.ports import Operation
    from pos_app.wiring import Lane

log = logging.getLogger("pos_app.cli")

EXIT_APPROVED, EXIT_NOT_PAID, EXIT_UNRESOLVED, EXIT_BAD_INPUT, EXIT_BUG = 0, 1, 2, 3, 4
EXIT_USAGE = 2  # argparse's own code for a command line it cannot use
EXIT_BY_STATE = {
    StateName.APPROVED: EXIT_APPROVED,
    StateName.DECLINED: EXIT_NOT_PAID,
    StateName.CANCELLED: EXIT_NOT_PAID,
    StateName.TIMED_OUT: EXIT_NOT_PAID,
    StateName.UNRESOLVED: EXIT_UNRESOLVED,
}
TERMINAL_NOT_FOUND = "terminal_not_found"
AUTH_REFUSED_TEXT = "JustiFi refused the client id or secret; check the credentials."
UNREACHABLE_TEXT = "JustiFi could not be reached; check the connection and try again."


def operation_json(op: Operation) -> dict[str, Any]:
    """The JSON object for one operation (charge/refund/void output, history lines)."""
    sale_key = "checkout_id" if op.flow == "checkout" else "payment_intent_id"
    return {
        "kind": op.kind.value,
        "operation_id": op.id,
        "amount": op.amount_cents,
        "status": op.status,
        "terminal_id": op.terminal_id,
        sale_key: op.sale_id,
        "payment_id": op.payment_id,
        "refund_id": op.refund_id,
        "refund_mode": op.refund_mode,
        "card_brand": op.card_brand,
        "card_last4": op.card_last4,
        "decline_code": op.decline_code,
        "message": op.decline_message,
        "description": op.description,
        "lane": op.lane,
        "served_by": op.served_by,
        "approved_by": op.approved_by,
        "created_at": op.created_at.astimezone(UTC).isoformat(),
        "updated_at": op.updated_at.astimezone(UTC).isoformat(),
    }


async def follow(run: PaymentRun, lane: Lane, *, as_json: bool, out: TextIO) -> int:
    """Print progress until the final state; the exit code of the outcome.

    Progress goes to stdout (stderr with --json). Connection trouble is said on
    stderr as it starts ("retrying", with the reason) and when it clears.
    """
    progress = sys.stderr if as_json else out
    last_line = ""
    trouble: str | None = None
    final = run.state
    async for state in run:
        final = state
        if state.name is StateName.RETRYING:
            if state.trouble != trouble:
                trouble = state.trouble or "no answer from JustiFi"
                print(f"Connection trouble, retrying: {trouble}.", file=sys.stderr, flush=True)
                last_line = ""
            continue
        if trouble is not None and is_in_progress(state):
            print("Connection back; waiting for JustiFi's answer.", file=sys.stderr, flush=True)
        trouble = None
        refusal = bad_input_message(state)
        if refusal is not None:
            print(f"pos-app: {refusal}", file=sys.stderr, flush=True)
            return EXIT_BAD_INPUT
        line = status_line(state)
        if line != last_line:
            print(line, file=progress, flush=True)
            last_line = line
    if not is_final(final):  # the engine promises a final state; say so if it broke that
        log.error("the payment stream of %s ended at %s", run.operation.id, final.name.value)
        final = run.state
    if as_json:
        op = lane.journal.get(run.operation.id) or run.operation
        print(json.dumps(operation_json(op)), file=out, flush=True)
    return EXIT_BY_STATE.get(final.name, EXIT_UNRESOLVED)


def bad_input_message(state: PaymentState) -> str | None:
    """The one line for an outcome that is bad input or configuration (exit 3), if it is one.

    Both end the run before anything was sent: the credentials were refused, or
    the terminal id is not on the account.
    """
    if state.name is not StateName.CANCELLED:
        return None
    if state.decline_code == AUTH_FAILED:
        return AUTH_REFUSED_TEXT
    if state.decline_code == TERMINAL_NOT_FOUND:
        return (
            f"terminal {state.terminal_id} is not on this JustiFi account;"
            " `pos-app terminals` lists the ones that are. Nothing was charged."
        )
    return None


def parse_since(text: str) -> datetime:
    """A `--since` value: a date (its local midnight) or a time (local unless it says
    otherwise); InvalidInputError in one sentence otherwise."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise InvalidInputError(f"--since: {text!r} is not a date like 2026-11-23") from exc
        return moment if moment.tzinfo else moment.astimezone()
    return datetime.combine(day, time.min).astimezone()


def amount_cents(text: str, settings: Settings, *, minimum_cents: int | None = None) -> int:
    """Cents from the command line; JustiFi's charge minimum unless `minimum_cents` says less."""
    try:
        if minimum_cents is None:
            return parse_amount(text, maximum_cents=settings.max_amount_cents).cents
        return parse_amount(
            text, minimum_cents=minimum_cents, maximum_cents=settings.max_amount_cents
        ).cents
    except AmountError as exc:
        raise InvalidInputError(exc.message) from exc


def on_interrupt(callback: Callable[[], None]) -> None:
    """Ctrl+C asks to cancel (`callback`); the terminal decides, and the command keeps
    waiting."""
    # Ctrl+C asks to cancel; the terminal decides, and the command keeps waiting.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGINT, callback)
