"""What the receipt preview and the end-of-day report say, in one place, ready for translation.

The words printed on the receipt itself live with its renderer in
`pos_app.domain.receipt` (the thermal printer prints the same text), and the
report's difference sentences and its "All lanes"/"All brands" rows in
`pos_app.domain.report` (the CSV holds them; the report window shows the same).
"""

from __future__ import annotations

from typing import Final

from pos_app.domain.report import ALL_BRANDS, ALL_LANES

# -- receipt preview -------------------------------------------------------------------

RECEIPT_TITLE: Final = "Receipt"
CUSTOMER_COPY_BUTTON: Final = "Customer copy"
MERCHANT_COPY_BUTTON: Final = "Merchant copy"
COPY_GROUP_NAME: Final = "Receipt copy"
RECEIPT_TEXT_NAME: Final = "Receipt text"
PRINT_BUTTON: Final = "Print..."
PRINT_BUTTON_DESCRIPTION: Final = "Print this copy on a printer of this computer."
SAVE_PDF_BUTTON: Final = "Save PDF..."
SAVE_PDF_DESCRIPTION: Final = "Save this copy as a PDF file."
THERMAL_BUTTON: Final = "Receipt printer"
THERMAL_BUTTON_DESCRIPTION: Final = "Print this copy on the counter's receipt printer."
THERMAL_NOT_INSTALLED: Final = "Receipt printer: not installed"
THERMAL_NOT_INSTALLED_HINT: Final = (
    "Printing on an ESC/POS receipt printer needs python-escpos. Install it with: {command}"
)
THERMAL_NOT_SET_UP: Final = "Receipt printer: none set up"
THERMAL_NOT_SET_UP_HINT: Final = "No receipt printer is set up for this lane."
CLOSE_BUTTON: Final = "Close"

SAVE_PDF_TITLE: Final = "Save the receipt as PDF"
PDF_FILTER: Final = "PDF files (*.pdf)"
RECEIPT_FILE_NAME: Final = "receipt-{kind}-{copy}-{when}.pdf"

PRINTING: Final = "Printing..."
PRINTED: Final = "Sent to the printer."
PRINT_CANCELLED: Final = ""
SAVED_PDF: Final = "Saved {name}."
SAVE_FAILED: Final = "Could not save {name}. Choose another folder and try again."
THERMAL_PRINTED: Final = "Printed on the receipt printer."
THERMAL_FAILED: Final = (
    "The receipt printer did not print. Check that it is on, has paper and is connected,"
    " then try again."
)

# -- end-of-day report -----------------------------------------------------------------

REPORT_TITLE: Final = "End of day"
DAY_LABEL: Final = "Day"
LANE_LABEL: Final = "Lane"
ALL_LANES_ITEM: Final = ALL_LANES
REFRESH_BUTTON: Final = "Refresh"
LOADING: Final = "Reading the journal and JustiFi's payments..."
REPORT_FAILED: Final = "The report could not be made. Try again; if it keeps failing, see the log."

SUMMARY_CAPTION: Final = "Summary"
SUMMARY_NAME: Final = "Summary by lane and card brand"
SUMMARY_COLUMNS: Final = (
    "Lane",
    "Card brand",
    "Sales",
    "Sales amount",
    "Refunds",
    "Refunds amount",
    "Voids",
    "Voids amount",
    "Net",
)
ALL_BRANDS_ITEM: Final = ALL_BRANDS
PEOPLE_CAPTION: Final = "By person"
PEOPLE_NAME: Final = "Totals by person"
PEOPLE_COLUMNS: Final = (
    "Person",
    "Sales",
    "Sales amount",
    "Refunds",
    "Refunds amount",
    "Voids",
    "Voids amount",
    "Net",
    "Approved",
    "Approved amount",
)
NO_PEOPLE: Final = "No operations this day."
TENDER_CAPTION: Final = "By tender"
TENDER_TAB: Final = "By tender and cash"
SUMMARY_TAB: Final = "Cards by lane and brand"
TENDER_NAME: Final = "Sales by tender"
TENDER_COLUMNS: Final = (
    "Tender",
    "Sales",
    "Sales amount",
    "Refunds",
    "Refunds amount",
    "Voids / returned",
    "Voids / returned amount",
    "Net",
)
TENDER_HINT: Final = (
    "Counts are tender parts: a sale paid partly in cash and partly by card counts once"
    " under each. Cash returned when a partly paid sale was cancelled counts with the"
    " voids, as the card parts voided then do."
)
CASH_CAPTION: Final = "Cash drawer"
CASH_NAME: Final = "Cash by lane"
CASH_COLUMNS: Final = (
    "Lane",
    "Cash sales",
    "Cash sales amount",
    "Cash refunds",
    "Cash returned",
    "Paid in",
    "Paid out",
    "No sales",
    "Net cash sales",
    "Drawer change",
)
CASH_HINT: Final = (
    "Drawer change: net cash sales, plus paid in, less paid out. The float and the"
    " counted drawer are on each shift's Z report."
)
NO_CASH: Final = "No cash moved this day."
SALES_LINE: Final = (
    "Sales with a discount: {discounted} ({discounts} off). Sales cancelled: {cancelled}"
    " ({cancelled_amount}). Sales still open: {open}."
)
AUDIT_HEAD_LINE: Final = "Audit head: {head}"
AUDIT_HEAD_HINT: Final = (
    "Keep this line with the paper copy: a later check of the audit log against it"
    " shows whether anything recorded up to now was changed."
)
DIFFERENCES_CAPTION: Final = "Differences with JustiFi ({count})"
DIFFERENCES_NAME: Final = "Differences with JustiFi"
NO_DIFFERENCES: Final = "The journal and JustiFi agree: no differences."
NOT_CHECKED: Final = (
    "JustiFi could not be reached: the totals come from the journal alone and were not"
    " checked. Refresh to try again."
)
RECONCILED: Final = "Checked with JustiFi (payments: {count}, {amount}): no differences."
NOT_RECONCILED: Final = (
    "Checked with JustiFi (payments: {count}, {amount}): differences to look into: {differences}."
)
DIFFERENCE_ITEM: Final = "{title}: {description}"
EXTRA_COUNTS: Final = "Declined or cancelled sales: {declined}. Not settled: {unsettled}."

SAVE_CSV_BUTTON: Final = "Save CSV..."
SAVE_CSV_DESCRIPTION: Final = (
    "Save the summary, the totals by person and the differences for a spreadsheet."
)
SAVE_CSV_TITLE: Final = "Save the report as CSV"
CSV_FILTER: Final = "CSV files (*.csv)"
REPORT_FILE_NAME: Final = "end-of-day-{day}{lane}.{ext}"
REPORT_PRINT_TITLE: Final = "End of day {day}"
REPORT_PRINT_LANES: Final = "Lanes: {lanes}"
