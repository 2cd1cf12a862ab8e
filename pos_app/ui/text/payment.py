"""What the payment and refund dialogs say, in one place, ready for translation.

Progress sentences come from `pos_app.domain.texts.status_line` (the CLI says
the same); this module holds the dialogs' own labels, buttons and notes.
"""

from __future__ import annotations

from typing import Final

from pos_app.domain.payment_flow import PaymentKind

# -- payment dialog -------------------------------------------------------------------

PAYMENT_TITLES: Final[dict[PaymentKind, str]] = {
    PaymentKind.CHARGE: "Card payment",
    PaymentKind.REFUND: "Refund",
    PaymentKind.VOID: "Void",
}
AMOUNT_LABEL_NAME: Final = "Amount"
TERMINAL_CAPTION: Final = "Terminal: {name}"
NO_TERMINAL_CAPTION: Final = "No terminal needed"
ELAPSED_CAPTION: Final = "Elapsed"
ELAPSED_NAME: Final = "Elapsed time"
STATUS_NAME: Final = "Payment status"
SPINNER_NAME: Final = "Working"

CANCEL_BUTTON: Final = "Cancel"
CANCEL_BUTTON_DESCRIPTION: Final = (
    "Asks to stop the payment. JustiFi cannot cancel remotely: press X on the terminal."
)
NEW_SALE_BUTTON: Final = "New sale"
DONE_BUTTON: Final = "Done"  # the same button after a refund or void
CONTINUE_BUTTON: Final = "Continue"  # the same button after a card part, the sale still owing
PART_PAID_LEFT: Final = "Part paid: {left} left"
TRY_AGAIN_BUTTON: Final = "Try again"
BACK_TO_SALE_BUTTON: Final = "Back to the sale"
BACK_BUTTON: Final = "Back"  # after a refund or void
CHECK_AGAIN_BUTTON: Final = "Check again"
KEEP_OPEN_BUTTON: Final = "Keep the sale open"
KEEP_OPEN_REFUND_BUTTON: Final = "Check later"
RETRY_TERMINAL_LABEL: Final = "On terminal"

TERMINAL_READINESS: Final[dict[str, str]] = {
    "connected": "{name}",
    "busy": "{name} (busy)",
    "offline": "{name} (offline)",
    "unknown": "{name} (not checked)",
}

# Shown under the status line; the status line itself never changes for these.
STILL_IN_PROGRESS: Final = (
    "The payment is still in progress and cannot be closed. Press Cancel, then X on the"
    " terminal, or wait for the outcome."
)
CANCEL_ALREADY_REQUESTED: Final = (
    "Cancel was already requested. Press X on the terminal; the window closes when the"
    " outcome arrives."
)
# Between the Cancel press and the engine journaling the request (a moment).
ASKING_TO_CANCEL: Final = "Asking to cancel..."
CANCEL_NOT_POSSIBLE: Final = (
    "This cannot be cancelled from here. Wait a moment for JustiFi's answer."
)
CHECKING_AGAIN: Final = "Asking JustiFi about this payment..."
STILL_NO_ANSWER: Final = (
    "Still no answer from JustiFi. Check again in a moment; do not charge the customer again."
)
CHECK_FAILED: Final = (
    "Could not reach JustiFi just now. Check the internet connection, then check again."
)
NO_READY_TERMINAL: Final = "No terminal is ready. Check the terminals, then try again."
UNEXPECTED_PROBLEM: Final = (
    "Something went wrong in this app while following the payment; the details are in"
    " the log. The payment may have gone through: check again before charging again."
)

# -- refund dialog --------------------------------------------------------------------

REFUND_TITLE: Final = "Refund a sale"
REFUND_PAID: Final = "Paid {amount} on {card}"
REFUND_PAID_AT: Final = "Paid {amount} on {card}, {when}"
REFUND_REFUNDABLE: Final = "Can be refunded: {amount}"
REFUND_NOTHING_LEFT: Final = "Nothing is left to refund on this payment."
REFUND_AMOUNT_LABEL: Final = "Refund amount"
REFUND_ABOVE_REFUNDABLE: Final = "At most {amount} can be refunded on this payment."
REFUND_MODE_LABEL: Final = "How"
REFUND_ON_TERMINAL: Final = "On a terminal (the customer taps the card)"
REFUND_TO_CARD: Final = "To the card, no terminal"
REFUND_VOID: Final = "Void the whole payment"
REFUND_VOID_WHY_NOT: Final = (
    "Void is only for an approved payment less than 25 minutes old with no refunds."
)
REFUND_TERMINAL_NOT_AVAILABLE: Final = (
    "Refunds on a terminal are not available with this setup. Refund to the card."
)
REFUND_TERMINAL_LABEL: Final = "Terminal"
REFUND_NO_READY_TERMINAL: Final = (
    "No terminal is ready. Refund to the card, or check the terminals."
)
REFUND_REASON_LABEL: Final = "Reason"
REFUND_REASONS: Final[dict[str, str]] = {
    "customer_request": "Customer request",
    "duplicate": "Duplicate payment",
    "fraudulent": "Fraudulent payment",
}
CONFIRM_REFUND_BUTTON: Final = "Refund {amount}"
CONFIRM_VOID_BUTTON: Final = "Void {amount}"
CANCEL_REFUND_BUTTON: Final = "Cancel"

# -- refund by tender (a sale paid in cash, or in parts) --------------------------------
TENDER_REFUND_TITLE: Final = "Refund a sale by tender"
TENDER_REFUND_SALE: Final = "Sale of {total}, {when}"
TENDER_REFUND_CHOOSE: Final = "Choose what goes back: each way it was paid gives back its own."
TENDER_REFUND_PART: Final = "{label}: paid {paid}, can give back {left}"
TENDER_REFUND_PART_DONE: Final = "{label}: paid {paid}, nothing left to give back"
TENDER_REFUND_CASH_AMOUNT: Final = "Cash to give back"
TENDER_REFUND_ABOVE: Final = "At most {amount} in cash can go back on this sale."
TENDER_REFUND_NO_SHIFT: Final = "Open a shift to refund cash from the drawer."
TENDER_REFUND_PICK: Final = "Choose a way it was paid."
CONFIRM_CASH_REFUND_BUTTON: Final = "Give back {amount} in cash"
CONFIRM_CARD_PART_BUTTON: Final = "Refund the card part..."
CASH_REFUNDED: Final = "{amount} in cash given back from the drawer."
CASH_REFUNDED_RECEIPT: Final = (
    "{amount} in cash given back from the drawer. Its receipt: Receipt (F9)."
)
