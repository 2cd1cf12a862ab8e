"""What the cashier reads around the cart: the table, its buttons, the totals,
the amount keypad and the quick-item grid."""

from __future__ import annotations

from typing import Final

# -- cart table ----------------------------------------------------------------
COLUMN_ITEM: Final = "Item"
COLUMN_QUANTITY: Final = "Qty"
COLUMN_UNIT_PRICE: Final = "Unit price"
COLUMN_LINE_TOTAL: Final = "Line total"
CART_VIEW_NAME: Final = "Cart"
CART_VIEW_DESCRIPTION: Final = (
    "Lines of the sale. Plus and minus change the quantity, Delete removes the line."
)
# Where the lines go, while the sale has none.
EMPTY_CART_HINT: Final = "No items yet.\nTap an item, scan a barcode or type an amount."
EMPTY_CART_NAME: Final = "Cart: no items yet"
# Read by a screen reader for the item cell: "2 times Latte, $7.00".
LINE_ACCESSIBLE: Final = "{quantity} times {name}, {total}"
QUANTITY_ACCESSIBLE: Final = "Quantity {quantity}"

# -- cart buttons --------------------------------------------------------------
INCREASE_BUTTON: Final = "+"
INCREASE_NAME: Final = "Add one"
INCREASE_TOOLTIP: Final = "Add one of the selected line (+)"
DECREASE_BUTTON: Final = "−"
DECREASE_NAME: Final = "Take one away"
DECREASE_TOOLTIP: Final = "Take one away from the selected line (−)"
REMOVE_LINE_BUTTON: Final = "Remove line"
REMOVE_LINE_NAME: Final = "Remove the selected line"
REMOVE_LINE_TOOLTIP: Final = "Remove the selected line (Delete)"
CLEAR_CART_BUTTON: Final = "Clear sale"
CLEAR_CART_NAME: Final = "Clear the whole sale"
CLEAR_CART_TOOLTIP: Final = "Remove every line from the sale"

# -- totals --------------------------------------------------------------------
SUBTOTAL_CAPTION: Final = "Subtotal"
TAX_CAPTION: Final = "Tax"
# {rate} is a percentage such as "8.25".
TAX_CAPTION_WITH_RATE: Final = "Tax ({rate} %)"
TOTAL_CAPTION: Final = "Total"
SUBTOTAL_NAME: Final = "Subtotal {amount}"
TAX_NAME: Final = "Tax {amount}"
TOTAL_NAME: Final = "Total {amount}"

# -- amount keypad -------------------------------------------------------------
AMOUNT_ENTRY_NAME: Final = "Amount keypad"
AMOUNT_DISPLAY_NAME: Final = "Typed amount {amount}"
KEYPAD_DIGIT_NAME: Final = "Digit {digit}"
KEYPAD_DOUBLE_ZERO: Final = "00"
KEYPAD_DOUBLE_ZERO_NAME: Final = "Two zeros"
KEYPAD_BACKSPACE: Final = "⌫"
KEYPAD_BACKSPACE_NAME: Final = "Delete the last digit"
KEYPAD_CLEAR: Final = "C"
KEYPAD_CLEAR_NAME: Final = "Clear the typed amount"
ADD_AMOUNT_BUTTON: Final = "Add to sale"
ADD_AMOUNT_NAME: Final = "Add the typed amount to the sale"
AMOUNT_HINT_NAME: Final = "Keypad message"
HINT_TOO_MANY_DIGITS: Final = "That is the most digits an amount can have."
# {maximum} is a formatted amount such as "$10,000.00".
HINT_ABOVE_MAXIMUM: Final = "The most one amount can be is {maximum}."

# -- quick items ---------------------------------------------------------------
QUICK_ITEMS_NAME: Final = "Quick items"
QUICK_ITEM_TEXT: Final = "{name}\n{price}"
QUICK_ITEM_NAME: Final = "Add {name}, {price}"
QUICK_ITEMS_EMPTY: Final = "No items in the catalog."

# -- discounts on the cart ------------------------------------------------------
# A discounted line's second line in the Item cell: "-$1.25 10% off (Damaged)".
LINE_DISCOUNT: Final = "{amount} {describe}"
LINE_DISCOUNT_ACCESSIBLE: Final = "{quantity} times {name}, {gross}, {discount}, now {net}"
DISCOUNT_CAPTION: Final = "Discount"
# {describe} is the sale discount as a receipt names it: "10% off (Loyalty)".
DISCOUNT_CAPTION_WITH_WHAT: Final = "Discount: {describe}"
DISCOUNT_NAME: Final = "Sale discount {amount}"

# -- the discount button and dialog ---------------------------------------------
DISCOUNT_BUTTON: Final = "Discount…"
DISCOUNT_BUTTON_NAME: Final = "Discount the selected line or the whole sale"
DISCOUNT_BUTTON_TOOLTIP: Final = "A discount on the selected line, or on the whole sale"
DISCOUNT_TITLE: Final = "Discount"
DISCOUNT_ON: Final = "On"
DISCOUNT_ON_LINE: Final = "{name}"
DISCOUNT_ON_SALE: Final = "Whole sale"
DISCOUNT_ON_LINE_NAME: Final = "Discount the line {name}, {amount}"
DISCOUNT_ON_SALE_NAME: Final = "Discount the whole sale, {amount}"
DISCOUNT_PERCENT: Final = "Percent"
DISCOUNT_AMOUNT: Final = "Amount"
DISCOUNT_VALUE: Final = "Discount"
DISCOUNT_VALUE_PERCENT_NAME: Final = "Discount in percent"
DISCOUNT_VALUE_AMOUNT_NAME: Final = "Discount in dollars"
DISCOUNT_PERCENT_SUFFIX: Final = "%"
DISCOUNT_AMOUNT_PREFIX: Final = "$"
DISCOUNT_PERCENT_PLACEHOLDER: Final = "10"
DISCOUNT_AMOUNT_PLACEHOLDER: Final = "2.00"
QUICK_PERCENT_NAME: Final = "{percent}% off"
DISCOUNT_REASON: Final = "Reason"
DISCOUNT_REASON_PLACEHOLDER: Final = "Why the discount is given"
#: The quick reasons, as a cashier taps them (the reason is kept as written here).
QUICK_REASONS: Final = ("Damaged", "Loyalty", "Price match", "Staff")
QUICK_REASON_NAME: Final = "Reason: {reason}"
# What the discount takes off, shown as it is typed.
DISCOUNT_OFF: Final = "Takes off {amount}"
DISCOUNT_OFF_NONE: Final = "Type the discount and its reason."
DISCOUNT_NEW_LINE_TOTAL: Final = "{name} becomes {amount}; the sale {total} with tax."
DISCOUNT_NEW_SALE_TOTAL: Final = "The sale becomes {total} with tax."
DISCOUNT_NEEDS_MANAGER: Final = (
    "Over the {limit}% limit for discounts: a manager or owner approves it."
)
DISCOUNT_NOT_A_PERCENT: Final = "Enter the percent off, such as 10 or 12.5."
DISCOUNT_PERCENT_TOO_PRECISE: Final = "Use at most two decimals, such as 12.5."
DISCOUNT_REASON_MISSING: Final = "Say why: tap a reason or type one."
APPLY_DISCOUNT: Final = "Apply discount"
REMOVE_DISCOUNT: Final = "Remove discount"
CANCEL_DISCOUNT: Final = "Back to the sale"

# -- the discount flow's sentences on the status line ----------------------------
DISCOUNT_APPROVAL_WHAT: Final = "A discount over the limit"
DISCOUNT_GIVEN: Final = "Discount given: {describe}."
DISCOUNT_APPROVED: Final = "Discount given: {describe}, approved by {name}."
DISCOUNT_REMOVED: Final = "Discount removed."
DISCOUNT_REFUSED: Final = "No manager approved the discount: it was taken back."
DISCOUNT_CHANGE_REFUSED: Final = (
    "The sale's discounts need a manager again and none approved: the change was taken back."
)
