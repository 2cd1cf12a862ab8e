"""Strings of the history window and its detail pane."""

from __future__ import annotations

from typing import Final

TITLE: Final = "Sales history"
COLUMNS: Final = (
    "Time",
    "Kind",
    "Amount",
    "Status",
    "Person",
    "Card",
    "Terminal",
    "Lane",
    "Description",
)
#: The Person column when someone else approved: "Ann (approved by Bea)".
PERSON_APPROVED: Final = "{served} (approved by {approver})"
APPROVED_ONLY: Final = "approved by {approver}"
KINDS: Final = {
    "charge": "Sale",
    "refund": "Refund",
    "void": "Void",
    "cash_sale": "Cash sale",
    "cash_refund": "Cash refund",
    "cash_returned": "Cash returned",
}
STATUSES: Final = {
    "approved": "Approved",
    "declined": "Declined",
    "cancelled": "Cancelled",
    "timed_out": "Timed out",
    "unresolved": "Unresolved",
    "preparing": "In progress",
    "sending": "In progress",
    "waiting": "In progress",
    "retrying": "In progress",
    "cancel_requested": "In progress",
    "pending": "Pending",
    "voided": "Voided",
    "refunded": "Refunded",
    "disputed": "Disputed",
}
OTHER_LANE: Final = "other (JustiFi)"
# The journal's steps of one operation, as the detail pane lists them.
STEPS: Final = {
    "preparing": "Recorded, preparing",
    "sending": "Sending to the terminal",
    "waiting": "Waiting for the customer",
    "retrying": "Connection trouble, retrying",
    "cancel_requested": "Cancel asked for (press X on the terminal)",
}
REMOTE_TIP: Final = "Found at JustiFi, not in this lane's journal: rung on another lane or tool."

SEARCH_LABEL: Final = "&Search"
SEARCH_PLACEHOLDER: Final = "Description or a JustiFi id (pi_..., py_..., re_...)"
AMOUNT_LABEL: Final = "&Amount"
AMOUNT_PLACEHOLDER: Final = "12.50"
LAST4_LABEL: Final = "&Last four"
LAST4_PLACEHOLDER: Final = "4242"
FROM_LABEL: Final = "&From"
TO_LABEL: Final = "&To"
STATUS_LABEL: Final = "S&tatus"
STATUS_ALL: Final = "Any status"
KIND_LABEL: Final = "&Kind"
KIND_ALL: Final = "Every kind (card and cash)"
PERSON_LABEL: Final = "&Person"
PERSON_ALL: Final = "Anyone"
#: The statuses the filter offers, in the words the table shows them in.
STATUS_CHOICES: Final = tuple(
    (status, STATUSES[status])
    for status in ("approved", "declined", "cancelled", "timed_out", "unresolved")
)
KIND_CHOICES: Final = (
    ("charge", "Sales"),
    ("refund", "Refunds"),
    ("void", "Voids"),
    ("cash_sale", "Cash sales"),
    ("cash_refund", "Cash refunds"),
)

BAD_AMOUNT: Final = "Amount: {error}"
BAD_LAST4: Final = "Last four: type the card's last four digits."
BAD_RANGE: Final = "The From date is after the To date."

COUNT_LOCAL: Final = "{count} shown from this lane's journal"
COUNT_MORE: Final = " (scroll for more)"
REMOTE_LOADING: Final = "; asking JustiFi for sales from other lanes..."
REMOTE_FOUND: Final = "; {count} more found at JustiFi (other lanes)"
REMOTE_NONE: Final = "; JustiFi has no other sales in these dates"
REMOTE_FAILED: Final = "; JustiFi could not be asked ({error}), only this lane is shown"

REFUND: Final = "&Refund..."
REPRINT: Final = "Re&print receipt..."
REFRESH: Final = "Re&fresh"
CLOSE: Final = "Close"

DETAIL_EMPTY: Final = "Choose a sale to see its details."
DETAIL_LOADING: Final = "Asking JustiFi about this sale..."
DETAIL_TITLE: Final = "{kind} of {amount}, {status}"
DETAIL_FIELDS: Final = {
    "time": "Time",
    "lane": "Lane",
    "terminal": "Terminal",
    "served_by": "Served by",
    "approved_by": "Approved by",
    "card": "Card",
    "description": "Description",
    "operation": "Operation id",
    "sale": "Payment intent / checkout",
    "payment": "Payment id",
    "refund": "Refund id",
    "refunded": "Refunded so far",
    "refundable": "Can be refunded",
    "ticket": "Sale id",
    "movement": "Drawer movement id",
}
DETAIL_PAYMENT_ERROR: Final = "JustiFi could not be asked: {error}"
DETAIL_REFUNDS: Final = "Refunds and voids from this lane"
DETAIL_STEPS: Final = "What happened"
DETAIL_AUDIT: Final = "Audit entries"
DETAIL_NONE: Final = "none"
DETAIL_SALE: Final = "The sale: {total}, {status}"
SALE_STATUSES: Final = {"open": "not fully paid", "complete": "paid", "cancelled": "cancelled"}
DETAIL_SALE_LINE: Final = "{quantity} x {name}: {amount}"
DETAIL_SALE_LINE_DISCOUNT: Final = "{quantity} x {name}: {amount} ({discount} off{reason})"
DETAIL_SALE_DISCOUNT: Final = "Discount on the sale: {amount}{reason}"
DETAIL_SALE_TAX: Final = "Tax: {amount}"
DETAIL_TENDERS: Final = "Paid by"
DETAIL_TENDER: Final = "{label}: {amount}"
DETAIL_TENDER_CASH: Final = "Cash: {amount} ({tendered} handed over, {change} change)"
DETAIL_TENDER_BACK: Final = "{line}; {refunded} given back, {left} left"
DETAIL_GIVEN_BACK: Final = "Given back by tender"
DETAIL_BACK_CASH: Final = "{at} {kind} {amount} by {who}"
DETAIL_BACK_CARD: Final = "{at} {kind} {amount} to {card}, {status}"
AUDIT_LINE: Final = "{at} {who} on {lane}: {action}, {outcome}"

# -- the store: every lane's history ------------------------------------------------------
SCOPE_LABEL: Final = "La&nes"
SCOPE_THIS_LANE: Final = "This lane"
SCOPE_ALL_LANES: Final = "All lanes"
SCOPE_ONE_LANE: Final = "Lane {lane}"
COUNT_STORE: Final = "{count} shown from the store ({scope})"
STORE_LOADING: Final = "Asking the store..."
STORE_FAILED: Final = (
    "The store cannot be reached ({error}); 'This lane' still shows this lane's sales."
)
OTHER_LANE_REFUND_TIP: Final = "A sale of lane {lane}: refunded here, to its card."

# -- refunding items ----------------------------------------------------------------------
REFUND_ITEMS: Final = "Refund &items..."
ITEMS_TITLE: Final = "Refund items"
ITEMS_SALE: Final = "Sale of {total} on {lane}, {when}"
ITEMS_CHOOSE: Final = "Choose how many of each item come back."
ITEMS_COLUMNS: Final = ("Item", "Sold", "Back already", "", "Refund", "", "Gives back")
ITEMS_REFUND: Final = "Refund"
ITEMS_ALL: Final = "&All items"
ITEMS_NONE: Final = "&None"
ITEMS_AMOUNT: Final = "Refund: {amount}"
ITEMS_CAPPED: Final = (
    "The items are worth {worth}, but the sale can give back only {left}: {amount} is refunded."
)
ITEMS_NOTHING_LEFT: Final = "Every item of this sale has been refunded."
ITEMS_ZERO: Final = "These items give back nothing (they were free or fully discounted)."
ITEMS_CONFIRM: Final = "Continue with {amount}"
ITEMS_CANCEL: Final = "Cancel"
ITEMS_PART_ABOVE: Final = "This payment can give back at most {left}; the items are worth {amount}."
ITEMS_CASH_ELSEWHERE: Final = (
    "The cash of a sale of another lane goes back from that lane's drawer."
)
REFUND_ITEMS_LINE: Final = "Items coming back: {items}"
ITEMS_STEP: Final = {"Less": "One less", "More": "One more"}
DETAIL_STORE_LOADING: Final = "Asking the store about this sale..."
STORE_FAILED_DETAIL: Final = (
    "The store cannot be reached ({error}): what this lane knows of the sale is shown."
)
