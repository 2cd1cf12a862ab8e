"""What the staff screens say: sign-in, owner set-up, staff management and approvals,
ready for translation."""

from __future__ import annotations

from typing import Final

from pos_app.domain.staff import StaffRole

# -- who is working (sign-in) -----------------------------------------------------------

SIGN_IN_TITLE: Final = "Who is working?"
SIGN_IN_PROMPT: Final = "Tap your name, then enter your PIN. Or just enter your PIN."
SIGN_IN_PROMPT_NAMED: Final = "{name}: enter your PIN."
SIGN_IN_AGAIN_PROMPT: Final = "Signed out after {minutes} minutes without activity. Who is working?"
SIGN_IN_BUTTON: Final = "Sign in"
PEOPLE_NAME: Final = "People working at this till"
PERSON_BUTTON_NAME: Final = "{name}, {role}"
PERSON_LOCKED_BUTTON_NAME: Final = "{name}, {role}, locked"

MANAGER_TITLE: Final = "Manager sign-in"
MANAGER_PROMPT: Final = "Only a manager or owner can open this. Tap your name, then your PIN."
MANAGER_PROMPT_NAMED: Final = "{name}: enter your PIN to open this."
APPROVE_TITLE: Final = "Manager approval"
APPROVE_PROMPT: Final = "{what} needs a manager or owner. Tap your name, then your PIN."
APPROVE_PROMPT_NAMED: Final = "{name}: enter your PIN to approve. {what}."
APPROVE_BUTTON: Final = "Approve"
APPROVED_BY: Final = "Approved by {name}"

#: What is being approved, as the approval dialog names it.
APPROVALS: Final[dict[str, str]] = {
    "refund": "A refund or void",
    "override": "Charging above the limit",
    "settings": "Changing the settings",
}

# What one PIN entry came to (SignInStatus), in the dialog's words.
WRONG_PIN: Final = "Wrong PIN, {left} tries left."
WRONG_PIN_LAST: Final = "Wrong PIN, 1 try left."
WRONG_PIN_NAMED: Final = "Wrong PIN for {name}, {left} tries left."
WRONG_PIN_NAMED_LAST: Final = "Wrong PIN for {name}, 1 try left."
LOCKED: Final = "Locked until {time} after {tries} wrong tries. An owner can unlock sooner."
LOCKED_NAMED: Final = (
    "{name} is locked until {time} after {tries} wrong tries. An owner can unlock sooner."
)
UNLOCKED: Final = "You can enter the PIN again."
CHECKING: Final = "Checking the PIN..."
UNKNOWN_PIN: Final = "Nobody here has that PIN. Tap your name, then enter your PIN."
UNKNOWN_NAME: Final = "{name} is not on this till's staff list."
DISABLED: Final = "{name} is turned off on this till. A manager can turn them on again."
AMBIGUOUS: Final = "Tap your name first, then enter your PIN."
NO_STAFF: Final = "Nobody is set up on this till yet: the owner sets it up first."
NOT_APPROVER: Final = "{name} cannot approve this: a manager or owner enters their PIN."
NOT_MANAGER: Final = "{name} is signed in, but only a manager or owner can open this."

# -- the main window ---------------------------------------------------------------------

PERSON_LABEL: Final = "{name} ({role})"
PERSON_NOBODY: Final = "Nobody signed in"
PERSON_LABEL_NAME: Final = "Signed in: {name}, {role}"
SWITCH_PERSON: Final = "Switch person"
SWITCH_PERSON_NAME: Final = "Switch person: sign out and let someone else sign in"
SIGNED_OUT_IDLE: Final = "{name} was signed out after {minutes} minutes without activity."
STAFF_BUTTON: Final = "Staff..."
VISIT_ENDED: Final = "{name} was signed out with the manager's screens closed. Who is working?"

ROLES: Final[dict[StaffRole, str]] = {
    StaffRole.CASHIER: "Cashier",
    StaffRole.MANAGER: "Manager",
    StaffRole.OWNER: "Owner",
}

# -- owner set-up --------------------------------------------------------------------------

SETUP_TITLE: Final = "Set up this till"
SETUP_NAME_PROMPT: Final = (
    "Nobody is set up on this till yet. The owner goes first: enter your name as receipts"
    " and reports should print it."
)
SETUP_NAME_LABEL: Final = "Your &name"
SETUP_NAME_PLACEHOLDER: Final = "For example: Ann Lee"
SETUP_NEXT: Final = "Next"
SETUP_PIN_PROMPT: Final = "{name}, choose your PIN: {digits} to 8 digits."
SETUP_REPEAT_PROMPT: Final = "Enter the same PIN again."
SETUP_SAVE: Final = "Set up"
SETUP_BACK: Final = "Back"
SETUP_CODE_PROMPT: Final = (
    "Your recovery code. Write it down now and keep it away from the till: it resets the"
    " owner's PIN if it is forgotten, and it is shown only this once."
)
SETUP_CODE_NAME: Final = "Recovery code {code}"
SETUP_WRITTEN: Final = "I have written it down"
RECOVER_TITLE: Final = "Reset the owner's PIN"
RECOVER_BUTTON: Final = "Owner's PIN forgotten?"
RECOVER_BUTTON_NAME: Final = "Owner's PIN forgotten: reset it with the recovery code"
RECOVER_PROMPT: Final = (
    "Enter the recovery code written down when this till was set up. It sets a new PIN"
    " for the owner."
)
RECOVER_CODE_LABEL: Final = "Recovery &code"
RECOVER_CODE_PLACEHOLDER: Final = "7KQ2-M9XD-3FHT-R8WC"
RECOVER_CODE_SHAPE: Final = (
    "A recovery code has 16 letters and digits in 4 groups, like 7KQ2-M9XD-3FHT-R8WC."
)
RECOVERED: Final = "The owner's PIN is reset: the owner signs in with the new PIN."
RECOVER_PIN_PROMPT: Final = "The owner's new PIN: {digits} to 8 digits."
RECOVER_SAVE: Final = "Set the new PIN"
RECOVER_NEW_CODE_PROMPT: Final = (
    "The owner's new recovery code: the old one no longer works. Write it down now and"
    " keep it away from the till; it is shown only this once."
)
SETUP_ALREADY: Final = "Someone set up this till on another lane meanwhile. Sign in instead."

# -- a new recovery code (Staff..., or offered after an owner's sign-in) ---------------------

NEW_CODE_TITLE: Final = "New recovery code"
NEW_CODE_CONFIRM: Final = (
    "Make a new recovery code? The code written down now stops working: only the new one"
    " will reset the owner's PIN. Have paper ready: it is shown only once."
)
NEW_CODE_CONFIRM_FIRST: Final = (
    "This till has no recovery code yet, so a forgotten owner's PIN cannot be reset. Make"
    " one now and have paper ready: it is shown only once."
)
NEW_CODE_MAKE: Final = "Make the code"
NEW_CODE_PROMPT: Final = (
    "The new recovery code: the old one no longer works. Write it down now and keep it"
    " away from the till; it is shown only this once."
)
OFFER_PROMPT: Final = (
    "{name}, this till has no recovery code yet: if your PIN is forgotten, nothing can"
    " reset it. Make one now (have paper ready), or later from Staff..."
)
OFFER_LATER: Final = "Not now"

# -- staff management ------------------------------------------------------------------

STAFF_TITLE: Final = "Staff"
STAFF_INTRO: Final = "Who may work this till. Only an owner unlocks a person or adds a manager."
STAFF_TABLE_NAME: Final = "Staff list"
COLUMN_NAME: Final = "Name"
COLUMN_ROLE: Final = "Role"
COLUMN_ACTIVE: Final = "Active"
COLUMN_LOCKED: Final = "Locked"
ACTIVE_YES: Final = "Yes"
ACTIVE_NO: Final = "Turned off"
LOCKED_NO: Final = ""
LOCKED_UNTIL: Final = "Until {time}"

ADD_BUTTON: Final = "Add person..."
DISABLE_BUTTON: Final = "Turn off"
ENABLE_BUTTON: Final = "Turn on"
RESET_PIN_BUTTON: Final = "Reset PIN..."
OWN_PIN_BUTTON: Final = "Change my PIN..."
UNLOCK_BUTTON: Final = "Unlock"
NEW_CODE_BUTTON: Final = "New recovery code..."
NEW_CODE_BUTTON_NAME: Final = "New recovery code: replaces the code that resets the owner's PIN"
NO_CODE_YET: Final = (
    "No recovery code yet: a forgotten owner's PIN cannot be reset. Make one and write it down."
)
NEW_CODE_DONE: Final = "A new recovery code was made: only the one written down just now works."
CLOSE_BUTTON: Final = "Close"

ADD_TITLE: Final = "Add a person"
ADD_NAME_LABEL: Final = "&Name"
ADD_ROLE_LABEL: Final = "&Role"
ADD_NEXT: Final = "Next: their PIN"
CANCEL: Final = "Cancel"
NEW_PIN_TITLE: Final = "PIN for {name}"
NEW_PIN_PROMPT: Final = "{name}'s new PIN: {digits} to 8 digits."
NEW_PIN_REPEAT: Final = "Enter the same PIN again."
SAVE_PIN: Final = "Save PIN"

ADDED: Final = "{name} was added as {role}."
DISABLED_DONE: Final = "{name} is turned off: they can no longer sign in."
ENABLED_DONE: Final = "{name} is turned on again."
PIN_RESET_DONE: Final = "{name}'s PIN was changed."
UNLOCKED_DONE: Final = "{name} is unlocked."
CHOOSE_SOMEONE: Final = "Choose a person in the list first."


def sentence(message: str) -> str:
    """A service's sentence as a screen shows it: a capital first letter, a full stop.
    (The services write them to follow "pos-app: " on the command line.)"""
    if not message:
        return message
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."
