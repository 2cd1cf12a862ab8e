"""Strings of the main window, the terminal picker and the banners."""

from __future__ import annotations

WINDOW_TITLE = "Counter POS"
LANE = "Lane {lane}"

BADGE_DEMO = "DEMO"
BADGE_TEST = "TEST"
BADGE_LIVE = "LIVE"
BADGE_TIPS = {
    BADGE_DEMO: "Demo mode: payments go to the built-in sandbox. No real money moves.",
    BADGE_TEST: "JustiFi test account: no real money moves.",
    BADGE_LIVE: "JustiFi live account: real cards are charged.",
}

PICKER_LABEL = "&Terminal (F2)"
PICKER_LOADING = "Looking for terminals..."
PICKER_NONE = "No terminals on this account"
PICKER_UNREACHABLE = "Cannot reach JustiFi to list terminals. Retrying..."
PICKER_CREDENTIALS_REFUSED = (
    "JustiFi refused this lane's credentials. Ask a manager to check Settings"
    " (client id, secret and sub account)."
)
PICKER_REFUSED = "JustiFi refused to list the terminals. Retrying; ask a manager if it goes on."
PICKER_ITEM = "{name}  ({status})"
READINESS = {
    "connected": "connected",
    "busy": "busy",
    "offline": "offline",
    "unknown": "status unknown",
}
IDENTIFY = "Identify"
IDENTIFY_TIP = "Make the chosen terminal show its name on its screen"
IDENTIFY_FAILED = "Could not reach the terminal to identify it."
REFRESH_TERMINALS = "Refresh"
REFRESH_TERMINALS_TIP = "List the terminals again and ask the chosen one how it is (F5)"
CHECK_FAILED = "Could not reach the terminal to ask how it is."

CHARGE = "Charge {amount}"
CHARGE_EMPTY = "Charge"
REASON_EMPTY_SALE = "Add items or type an amount to charge."
REASON_NO_TERMINAL = "Choose a terminal (F2)."
REASON_TERMINAL_NOT_READY = "{name} is {status}: choose a connected terminal."
REASON_RECOVERING = "Checking unfinished payments with JustiFi..."
REASON_CONNECTING = "Connecting to JustiFi..."
REASON_BELOW_MINIMUM = "Card payments must be more than $0.50."
REASON_ABOVE_MAXIMUM = "The total is above this lane's limit of {limit}; a manager can allow it."
OVERRIDE = "Allow this amount (manager)..."
READY_TO_CHARGE = "Press Enter or Charge to send {amount} to {name}."

REFUND_LAST = "Refund last sale..."
RECEIPT = "Recei&pt..."
RECEIPT_TIP = "The last approved sale's or refund's receipt (F9)"
NEW_SALE_RECEIPT = "New sale. The customer's receipt: Receipt (F9)."
END_OF_DAY = "&End of day..."
HISTORY = "&History..."
AUDIT_LOG = "&Audit log..."
SETTINGS = "&Settings..."
SETTINGS_SAVED = "Settings saved."
SETTINGS_RESTART = "Settings saved. Close and start the till again to use the new connection."
REFUND_NONE = "No approved sale to refund yet."
VIRTUAL_TERMINALS = "Virtual terminals"
NEW_SALE = "New sale"

UNRESOLVED_BANNER = {
    1: (
        "1 payment could not be confirmed with JustiFi. It may have gone through:"
        " check before charging the customer again."
    ),
    2: (
        "{count} payments could not be confirmed with JustiFi. They may have gone through:"
        " check before charging the customer again."
    ),
}
CHECK_AGAIN = "Check again"
CHECKING = "Checking with JustiFi..."

UNKNOWN_BARCODE = "No item with barcode {code}."
SCANNED = "Added {name}."

CLOSE_REFUSED = "A payment is still in progress. Wait for its outcome before closing the till."
BUG_APOLOGY = "Something went wrong inside the app. Details were written to {path}."
BUG_TITLE = "Something went wrong"
BUG_MESSAGE = (
    "Something went wrong inside the app that should not have. The till keeps working:"
    " if a screen looks stuck, close it and open it again. A card payment already sent is"
    " still followed to JustiFi's answer. The details were written to {path} for whoever"
    " looks after this till."
)
BUG_REPEATED = "This happened {count} times."
BUG_NO_LOG = "the log"
BUG_OK = "OK"
REFUND_TITLE = "Refund"
CHARGE_TITLE = "Card payment"
