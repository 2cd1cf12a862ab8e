"""What the shift screens say: the Shift menu, opening and closing a shift, cash in and out,
and the X and Z reports; in one place, ready for translation.

The printed X/Z report's own words live with its renderer in
`pos_app.domain.report.shift` (the printout and the CLI say the same).
"""

from __future__ import annotations

from typing import Final

# -- the Shift menu on the top bar ------------------------------------------------------

SHIFT_BUTTON_OPEN: Final = "Shift: open"
SHIFT_BUTTON_CLOSED: Final = "Shift: closed"
SHIFT_BUTTON_DESCRIPTION: Final = (
    "Open or close the shift, see the X report, and put cash in or take it out of the drawer."
)
OPEN_SHIFT: Final = "Open shift..."
X_REPORT: Final = "X report"
CLOSE_SHIFT: Final = "Close shift..."
LAST_Z_REPORT: Final = "Last Z report"
NO_SALE: Final = "No sale..."
PAID_IN: Final = "Paid in..."
PAID_OUT: Final = "Paid out..."

# What `ui.approval` says a manager or owner approves (a cashier's till asks for one).
APPROVE_CLOSE: Final = "Closing the shift"
APPROVE_PAID_OUT: Final = "Taking cash out of the drawer"
APPROVAL_REFUSED: Final = "Nobody approved it: nothing was done."

# Lines for the till's status bar.
SHIFT_OPENED: Final = "Shift open. Float: {amount}."
SHIFT_CLOSED: Final = "Shift closed. {over_short}"
PAID_IN_DONE: Final = "Paid in {amount}: {reason}."
PAID_OUT_DONE: Final = "Paid out {amount}: {reason}."
NO_SALE_DONE: Final = "No sale: the drawer opened ({reason})."
NO_OPEN_SHIFT: Final = "No shift is open. Open a shift first."
SHIFT_ALREADY_OPEN: Final = "A shift is already open on this till."
LAST_Z_WHILE_OPEN: Final = "A shift is open: its X report shows it so far."

# -- shared by the dialogs ----------------------------------------------------------------

CANCEL_BUTTON: Final = "Cancel"
WORKING: Final = "Saving..."
AMOUNT_LABEL: Final = "Amount"
AMOUNT_PLACEHOLDER: Final = "0.00"
ZERO_AMOUNT: Final = "Enter an amount above zero."

# Counting a drawer: by note and coin, or a total.
BY_TOTAL_RADIO: Final = "Type the total"
BY_DENOMINATION_RADIO: Final = "Count notes and coins"
HOW_TO_COUNT_NAME: Final = "How the cash is counted"
NOTES_HEADING: Final = "Notes"
COINS_HEADING: Final = "Coins"
HOW_MANY_HEADING: Final = "How many"
TOTAL_HEADING: Final = "Total"
LINE_TOTAL_NAME: Final = "Total in {label}"
COUNT_TABLE_NAME: Final = "Count by note and coin"
COUNT_ROW_NAME: Final = "How many {label}"
LESS_BUTTON: Final = "\u2212"
LESS_NAME: Final = "One {label} less"
MORE_BUTTON: Final = "+"
MORE_NAME: Final = "One {label} more"
COUNT_TOTAL: Final = "Counted: {amount}"
COUNTED_TOTAL_LABEL: Final = "Counted cash"

# -- opening a shift ----------------------------------------------------------------------

OPEN_TITLE: Final = "Open a shift"
OPEN_INTRO: Final = "Count the float: the cash the drawer starts the shift with, for change."
FLOAT_LABEL: Final = "Float"
OPEN_BUTTON: Final = "Open shift"

# -- closing a shift ----------------------------------------------------------------------

CLOSE_TITLE: Final = "Close the shift"
CLOSE_INTRO: Final = (
    "Count the cash in the drawer. The till shows what it expected once the count is in."
)
CLOSE_OPENED: Final = "Shift opened {when} by {person}, float {amount}."
CLOSE_OPENED_NOBODY: Final = "Shift opened {when}, float {amount}."
CLOSE_BUTTON: Final = "Close shift"
COUNT_NEEDED: Final = "Enter the count first: how many of each, or the total."

# -- cash in and out, and a no-sale --------------------------------------------------------

PAID_IN_TITLE: Final = "Paid in"
PAID_OUT_TITLE: Final = "Paid out"
NO_SALE_TITLE: Final = "No sale"
PAID_IN_INTRO: Final = "Cash put into the drawer (change from the bank, for example)."
PAID_OUT_INTRO: Final = "Cash taken from the drawer (a delivery paid from the till, for example)."
NO_SALE_INTRO: Final = "Open the drawer without a sale. Every opening is on the shift's report."
REASON_LABEL: Final = "Reason"
REASON_PLACEHOLDER: Final = "Why (required)"
REASON_NEEDED: Final = "Say why: the reason goes on the shift's report."
PAID_IN_BUTTON: Final = "Put in"
PAID_OUT_BUTTON: Final = "Take out"
NO_SALE_BUTTON: Final = "Open drawer"

# -- the X and Z reports ------------------------------------------------------------------

X_TITLE: Final = "X report: the shift so far"
Z_TITLE: Final = "Z report: the shift closed"
REPORT_SHIFT_OPEN: Final = "Lane {lane}. Opened {opened} by {person}. Made {made}."
REPORT_SHIFT_CLOSED: Final = (
    "Lane {lane}. Opened {opened} by {person}, closed {closed} by {closer}. Made {made}."
)
NOBODY: Final = "nobody named"
REPORT_TABLE_NAME: Final = "The shift's figures"
REPORT_COLUMNS: Final = ("", "Count", "Amount")
SECTION_SALES: Final = "Sales by tender"
SECTION_BRANDS: Final = "Card sales by brand"
SECTION_REFUNDS: Final = "Refunds and voids"
SECTION_OTHER: Final = "Discounts and cancelled sales"
SECTION_PEOPLE: Final = "Sales by person"
SECTION_CASH: Final = "Cash in the drawer"
ROW_CASH: Final = "Cash"
ROW_CARD: Final = "Card"
ROW_TICKETS: Final = "Sales completed"
ROW_DECLINED: Final = "Cards declined"
ROW_UNSETTLED: Final = "Card payments not settled yet"
ROW_CASH_REFUNDS: Final = "Cash refunds"
ROW_CASH_RETURNED: Final = "  of which for cancelled sales"
ROW_CARD_REFUNDS: Final = "Card refunds"
ROW_VOIDS: Final = "Card voids"
ROW_DISCOUNTS: Final = "Sales with a discount"
ROW_CANCELLED: Final = "Sales cancelled"
ROW_FLOAT: Final = "Float"
ROW_CASH_SALES: Final = "Cash sales (kept, change given)"
ROW_CASH_OUT_REFUNDS: Final = "Cash given back"
ROW_PAID_IN: Final = "Paid in"
ROW_PAID_OUT: Final = "Paid out"
ROW_NO_SALES: Final = "No-sale openings"
ROW_EXPECTED: Final = "Expected in the drawer"
ROW_COUNTED: Final = "Counted"
ROW_SHORT: Final = "Short"
ROW_OVER: Final = "Over"
ROW_EVEN: Final = "Even"
NO_PERSON: Final = "No name"
MOVEMENTS_CAPTION: Final = "No-sales and cash in and out, with their reasons"
MOVEMENTS_NAME: Final = "Drawer openings and cash in and out"
MOVEMENT_ITEM: Final = "{time}  {kind}  {amount}  {reason}{person}"
MOVEMENT_PERSON: Final = " ({person})"
MOVEMENT_KINDS: Final = {"no_sale": "No sale", "paid_in": "Paid in", "paid_out": "Paid out"}
NO_MOVEMENTS: Final = "No no-sale openings, no cash paid in or out."

# Over/short: said in words, the colour only repeats it.
OVER_SHORT_SHORT: Final = "Short by {amount}: the drawer holds less than expected."
OVER_SHORT_OVER: Final = "Over by {amount}: the drawer holds more than expected."
OVER_SHORT_EVEN: Final = "Even: the drawer holds what was expected."
OVER_SHORT_NOT_COUNTED: Final = "Not counted yet: below is what the drawer should hold."

PRINT_BUTTON: Final = "Print..."
SAVE_PDF_BUTTON: Final = "Save PDF..."
CLOSE_REPORT_BUTTON: Final = "Close"
SAVE_PDF_TITLE: Final = "Save the shift report as PDF"
PDF_FILTER: Final = "PDF files (*.pdf)"
REPORT_FILE_NAME: Final = "shift-{kind}-{lane}-{when}.pdf"
SAVED: Final = "Saved {name}."
SAVE_FAILED: Final = "Could not save {name}. Choose another folder."
PRINTED: Final = "Sent to the printer."
