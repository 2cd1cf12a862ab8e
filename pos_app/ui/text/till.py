"""What the cashier reads while a sale is paid: Cash, the tender dialog, a sale paid in
parts (split tender), cancelling a partly paid sale, and the demo's virtual drawer."""

from __future__ import annotations

from typing import Final

# -- the main window's tender buttons ----------------------------------------------
CASH: Final = "Cash {amount}"
CASH_EMPTY: Final = "Cash"
CASH_NAME: Final = "Take cash"
SPLIT: Final = "Split..."
SPLIT_NAME: Final = "Pay part of the sale"
SPLIT_TIP: Final = "Take part of the sale now, by card or cash; the rest stays to pay"
REASON_NO_SHIFT: Final = "Open a shift to take cash."
REASON_CASH_EMPTY: Final = "Add items or type an amount to take cash."
READY_FOR_CASH: Final = "Cash takes {amount}."
CHARGE_BALANCE: Final = "Charge {amount} left"
CART_LOCKED: Final = (
    "Part of this sale is paid: the sale can no longer change. Take the rest, or cancel the sale."
)
SALE_STARTING: Final = "Starting the sale..."

# -- the tender dialog ---------------------------------------------------------------
TENDER_TITLE: Final = "Cash"
DUE_CAPTION: Final = "Due"
TENDERED_CAPTION: Final = "Handed over"
TENDERED_NAME: Final = "Cash handed over {amount}"
QUICK_NOTE: Final = "{amount}"
QUICK_NOTE_NAME: Final = "The customer hands over {amount}"
EXACT: Final = "Exact"
EXACT_NAME: Final = "The customer hands over the exact amount"
CHANGE_DUE: Final = "Change {amount}"
NO_CHANGE: Final = "No change"
LEFT_AFTER: Final = "{amount} left to pay"
TAKE: Final = "Take {amount}"
TAKE_PART: Final = "Take {amount} - {left} left to pay"
TAKE_EMPTY: Final = "Take cash"
TENDER_CANCEL: Final = "Back"
TENDER_HINT: Final = "Type what the customer hands over, or press a note. Enter takes it."

# -- after cash is taken --------------------------------------------------------------
CASH_TAKEN_CHANGE: Final = "Cash taken. Give {change} change."
CASH_TAKEN: Final = "Cash taken."
CASH_PART_TAKEN: Final = "Cash {amount} taken. {left} left to pay."

# -- the split dialog: the next part's amount ------------------------------------------
SPLIT_TITLE: Final = "Split the sale"
SPLIT_PROMPT: Final = "How much of the {balance} left is paid now?"
SPLIT_BY_CARD: Final = "By card"
SPLIT_BY_CASH: Final = "In cash"
SPLIT_CANCEL: Final = "Back"

# -- the tender panel: a sale partly paid -----------------------------------------------
PANEL_TITLE: Final = "Paid so far"
PART_LINE: Final = "{label} {amount}"
PART_CHANGE: Final = "{label} {amount} (handed {tendered}, change {change})"
DECLINED_LINE: Final = "Declined: {label} {amount}"
BALANCE_DUE: Final = "Left to pay {amount}"
BALANCE_DUE_NAME: Final = "Left to pay: {amount}"
CANCEL_SALE: Final = "Cancel sale..."
CANCEL_SALE_NAME: Final = "Cancel this sale and give back what was paid"
# What the manager's PIN dialog says it approves.
APPROVE_CANCEL: Final = "Cancelling a partly paid sale"
CANCEL_NEEDS_MANAGER: Final = "Cancelling a partly paid sale needs a manager's approval."
CANCELLED: Final = "Sale cancelled. {cash} cash to give back."
CANCELLED_NO_CASH: Final = "Sale cancelled."
CANCEL_PENDING: Final = "Not everything went back yet: the sale stays open. Try Cancel sale again."
RESUMED: Final = "A sale was partly paid before the till closed: {balance} left to pay."
SALE_DONE: Final = "Sale paid."

# -- the drawer ----------------------------------------------------------------------------
DRAWER_TROUBLE_DEFAULT: Final = "The drawer did not open: open it with its key."

# -- the demo's virtual drawer -------------------------------------------------------------
DRAWER_TITLE: Final = "Cash drawer"
DRAWER_SHUT: Final = "Shut"
DRAWER_OPEN: Final = "OPEN"
DRAWER_OPENED_FOR: Final = "Opened for: {reason}"
DRAWER_CLOSE: Final = "Close drawer"
DRAWER_NAME: Final = "Virtual cash drawer"
