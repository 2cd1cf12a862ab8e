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
