"""Strings of the settings dialog, ready for translation.

Validation sentences come from the settings rules (`pos_app.domain.settings_rules`),
connection-test sentences from the settings service (`pos_app.services.settings`),
and the keyring note from the keyring check: the CLI can say the same.
"""

from __future__ import annotations

from typing import Final

from pos_app.domain.settings_rules import RECEIPT_HEADER_MAX_LINES, RECEIPT_HEADER_MAX_WIDTH

TITLE: Final = "Settings"

# -- environment ------------------------------------------------------------------------
ENVIRONMENT_GROUP: Final = "Where payments go"
DEMO_RADIO: Final = "Demo: the built-in sandbox, no real money"
JUSTIFI_RADIO: Final = "JustiFi"
API_URL_LABEL: Final = "JustiFi URL"
API_URL_PLACEHOLDER: Final = "https://api.justifi.ai"

# -- credentials -------------------------------------------------------------------------
CREDENTIALS_GROUP: Final = "JustiFi account"
CLIENT_ID_LABEL: Final = "Client id"
CLIENT_SECRET_LABEL: Final = "Client secret"
SUB_ACCOUNT_LABEL: Final = "Sub account"
SUB_ACCOUNT_PLACEHOLDER: Final = "acc_..."
SECRET_PLACEHOLDER_NEW: Final = "Paste the client secret"
SECRET_PLACEHOLDER_STORED: Final = "Stored in the keyring (type to replace)"
SECRET_PLACEHOLDER_ENVIRONMENT: Final = "Set by JUSTIFI_CLIENT_SECRET"
SECRET_PLACEHOLDER_NO_KEYRING: Final = "Not kept on this computer"
SECRET_STORED: Final = "Stored in the keyring."
SECRET_WILL_BE_STORED: Final = "Will be stored in the keyring when you save."
SECRET_NOT_STORED: Final = "Not stored yet."
SECRET_FROM_ENVIRONMENT: Final = (
    "The client secret comes from JUSTIFI_CLIENT_SECRET in this lane's environment."
)

# -- payment flow ----------------------------------------------------------------------------
FLOW_GROUP: Final = "Payment flow"
FLOW_PAYMENT_INTENT: Final = "Payment intent (the default)"
FLOW_CHECKOUT: Final = "Checkout (JustiFi's newer flow)"
FLOW_DESCRIPTION: Final = "Use what your JustiFi account is set up for; ask JustiFi if unsure."

# -- lane ----------------------------------------------------------------------------------------
LANE_GROUP: Final = "This lane"
LANE_LABEL: Final = "Lane name"
TERMINAL_LABEL: Final = "Default terminal"
TERMINAL_NONE: Final = "None: the cashier picks one"
TERMINAL_ITEM: Final = "{name} ({id})"
TERMINAL_TIP: Final = "Test the connection to list this account's terminals."
TAX_LABEL: Final = "Tax rate"
TAX_NAME: Final = "Tax rate in percent"
TAX_SUFFIX: Final = "%"
IDLE_LABEL: Final = "Sign out after"
IDLE_NAME: Final = "Minutes idle before the till signs its person out"
IDLE_SUFFIX: Final = "minutes idle"
IDLE_HELP: Final = (
    "Whoever is signed in at the till is signed out after this long without a touch or a key."
)
DISCOUNT_LIMIT_LABEL: Final = "Discounts over"
DISCOUNT_LIMIT_NAME: Final = "Discount limit in percent of the sale"
DISCOUNT_LIMIT_SUFFIX: Final = "% of a sale need a manager"
DISCOUNT_LIMIT_HELP: Final = (
    "A sale whose discounts take off more than this share need a manager's approval;"
    " 0: every discount does."
)
HEADER_LABEL: Final = "Receipt header"
HEADER_PLACEHOLDER: Final = "Shop name\nStreet, town\nPhone"
HEADER_HELP: Final = (
    "Printed at the top of every receipt: up to"
    f" {RECEIPT_HEADER_MAX_LINES} lines of {RECEIPT_HEADER_MAX_WIDTH} characters."
)

# -- receipt printer and cash drawer ------------------------------------------------------
PRINTER_GROUP: Final = "Receipt printer and cash drawer"
PRINTER_LABEL: Final = "Receipt printer"
PRINTER_PLACEHOLDER: Final = "None (for example network:192.168.1.50)"
PRINTER_HELP: Final = (
    "ESC/POS: network:HOST[:PORT], usb:VENDOR:PRODUCT, serial:DEVICE or file:PATH."
    " Its cash drawer opens for cash; empty: none (open the drawer with its key)."
)

# -- connection --------------------------------------------------------------------------------
CONNECTION_GROUP: Final = "Connection"
TEST_BUTTON: Final = "Test connection"
TEST_BUTTON_DESCRIPTION: Final = (
    "Fetches a token from JustiFi with these settings and lists the terminals."
)
TESTING: Final = "Testing the connection..."
TEST_PROMPT: Final = "Test the connection before saving new account details."
TEST_BROKE: Final = "The test itself failed in this app; the details are in the log."
STATUS_NAME: Final = "Connection test result"

# -- buttons and notes -------------------------------------------------------------------------
CHANGE_PIN_BUTTON: Final = "Change my PIN…"  # the signed-in person's own
CANCEL_BUTTON: Final = "Cancel"
SAVE_BUTTON: Final = "Save"
SAVE_DISABLED_WHY: Final = "Fix the fields marked in red to save."
LOCKED_TIP: Final = "Set by an environment variable on this computer; change it there."
STORE_LOCKED_TIP: Final = (
    "Set for the whole store; change it on any lane with 'pos-app store settings set'."
)
STORE_LOCKED_NOTE: Final = "Set for the whole store."

# -- the store database ------------------------------------------------------------------------
STORE_GROUP: Final = "Store database"
STORE_URL_LABEL: Final = "Address"
STORE_URL_NAME: Final = "Store database address"
STORE_URL_PLACEHOLDER: Final = "Empty: this lane on its own (postgresql://pos@server/pos_store)"
STORE_URL_HELP: Final = (
    "The shared database of every lane in the shop. Joining or leaving a store takes effect"
    " when the till starts again."
)
STORE_JOIN_NOTE: Final = "After Save, this lane joins the store when the till starts again."
STORE_LEAVE_NOTE: Final = (
    "After Save, this lane leaves the store when the till starts again; it keeps its own records."
)
STORE_MOVE_NOTE: Final = (
    "After Save, this lane sends to the new address when the till starts again."
)
STORE_PASSWORD_LABEL: Final = "Password"
STORE_PASSWORD_NAME: Final = "Store database password"
STORE_PASSWORD_PLACEHOLDER_NEW: Final = "The database user's password, if it has one"
STORE_PASSWORD_PLACEHOLDER_STORED: Final = "Stored in the keyring (type to replace)"
STORE_PASSWORD_PLACEHOLDER_ENVIRONMENT: Final = "Set in this lane's environment"
STORE_PASSWORD_PLACEHOLDER_NO_KEYRING: Final = "Not kept on this computer"
STORE_PASSWORD_STORED: Final = "Stored in the keyring."
STORE_PASSWORD_WILL_BE_STORED: Final = "Will be stored in the keyring when you save."
STORE_PASSWORD_NOT_STORED: Final = "No password stored."
STORE_PASSWORD_FROM_ENVIRONMENT: Final = (
    "The password comes from POS_STORE_PASSWORD (or POS_STORE_URL) in this lane's environment."
)
STORE_NO_KEYRING: Final = (
    "This computer has no keyring; set POS_STORE_PASSWORD in the lane's environment instead."
)
STORE_TEST_BUTTON: Final = "Test store connection"
STORE_TEST_DESCRIPTION: Final = (
    "Connects to the store's database with this address and password and reads its schema."
)
STORE_TESTING: Final = "Connecting to the store's database..."
STORE_TEST_PROMPT: Final = "Test the store's database before saving a new address or password."
STORE_STATUS_NAME: Final = "Store database test result"
