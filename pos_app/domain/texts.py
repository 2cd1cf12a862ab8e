"""Sentences a cashier reads about a payment's progress, in one place.

The CLI prints them and the window shows them, so both say the same thing.
"""

from __future__ import annotations

from pos_app.domain.money import Money
from pos_app.domain.payment_flow import PaymentKind, PaymentState, StateName

_WHAT = {PaymentKind.CHARGE: "payment", PaymentKind.REFUND: "refund", PaymentKind.VOID: "void"}


def card_text(brand: str | None, last4: str | None) -> str:
    """ "Visa ending 4242", or what is known of it."""
    if brand and last4:
        return f"{brand} ending {last4}"
    if last4:
        return f"card ending {last4}"
    return brand or "card"


def status_line(state: PaymentState, terminal_name: str | None = None) -> str:
    """One line for the waiting screen or the console."""
    amount = Money(state.amount_cents).format()
    what = _WHAT.get(state.kind, "payment")
    terminal = terminal_name or state.terminal_id or "the terminal"
    match state.name:
        case StateName.PREPARING:
            return f"Preparing the {what} of {amount}..."
        case StateName.SENDING:
            return f"Sending {amount} to {terminal}..."
        case StateName.WAITING:
            if state.terminal_id is None:
                return f"Asking JustiFi for the {what} of {amount}..."
            return f"Waiting for the customer on {terminal}: {amount}. Tap or insert the card."
        case StateName.RETRYING:
            reason = f": {state.trouble}" if state.trouble else ""
            return f"Connection trouble{reason}. Retrying; do not start another payment."
        case StateName.CANCEL_REQUESTED:
            return (
                f"JustiFi cannot cancel from here. Press X on {terminal} to cancel;"
                " if the customer pays first, the payment stands."
            )
        case StateName.APPROVED:
            card = card_text(state.card_brand, state.card_last4)
            return f"Approved: {amount} on {card}."
        case StateName.DECLINED:
            return f"Declined: {state.decline_message or 'the card was declined.'}"
        case StateName.CANCELLED:
            return f"Cancelled: {state.decline_message or 'nothing was charged.'}"
        case StateName.TIMED_OUT:
            return "Timed out: the terminal stopped waiting for the card. Nothing was charged."
        case StateName.UNRESOLVED:
            return (
                f"Unresolved: no answer from JustiFi about this {what}. It may have gone"
                " through. Check again before trying another card."
            )
    return str(state.name)
