"""What the manager screens say: the PIN dialog and the audit log, ready for translation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from pos_app.domain.pin import PIN_MAX_DIGITS, PIN_MESSAGES, PIN_MIN_DIGITS, PinProblem
from pos_app.services.audit_log import AuditAction, AuditBreak

# -- PIN dialog -----------------------------------------------------------------------

PIN_TITLE_SIGN_IN: Final = "Manager PIN"
PIN_TITLE_SET_UP: Final = "Set the manager PIN"
PIN_TITLE_CHANGE: Final = "Change the manager PIN"

PROMPT_SIGN_IN: Final = "A manager must approve this. Enter the manager PIN."
PROMPT_REAUTH: Final = (
    "Signed out after a while without activity. A manager or owner signs in to go on."
)
PROMPT_SET_UP: Final = (
    f"No manager PIN is set yet. Choose one of {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits."
)
PROMPT_CURRENT: Final = "Enter the current manager PIN."
PROMPT_NEW: Final = f"Enter the new PIN ({PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits)."
PROMPT_REPEAT: Final = "Enter the same new PIN again."

PIN_FIELD_NAME: Final = "Manager PIN"
PIN_FIELD_DESCRIPTION: Final = "The digits are hidden as they are typed."
PIN_PLACEHOLDER: Final = "PIN"
MESSAGE_NAME: Final = "PIN message"

WRONG_PIN: Final = "Wrong PIN, {left} tries left"
WRONG_PIN_LAST: Final = "Wrong PIN, 1 try left"
LOCKED: Final = "Locked until {time} after {tries} wrong tries"
UNLOCKED: Final = "You can enter the PIN again."
PIN_ALREADY_SET: Final = "A manager PIN was set on another till meanwhile. Sign in with that PIN."

#: The sentences `PinError` carries, so the dialog and the services say the same.
PIN_PROBLEMS: Final[Mapping[PinProblem, str]] = PIN_MESSAGES

SIGN_IN_BUTTON: Final = "Sign in"
NEXT_BUTTON: Final = "Next"
SET_PIN_BUTTON: Final = "Set PIN"
CANCEL_BUTTON: Final = "Cancel"
KEY_BACKSPACE: Final = "⌫"
KEY_BACKSPACE_NAME: Final = "Delete the last digit"
KEY_CLEAR: Final = "Clear"
KEY_CLEAR_NAME: Final = "Clear the PIN"
KEY_DIGIT_NAME: Final = "Digit {digit}"
KEYPAD_NAME: Final = "PIN keypad"

# -- audit log ------------------------------------------------------------------------

AUDIT_TITLE: Final = "Audit log"
AUDIT_INTRO: Final = (
    "Every refund, void, override, settings change, sign-in, staff change and failed PIN,"
    " newest first, with who did it. Entries cannot be changed; a check shows if someone"
    " changed the file."
)
AUDIT_TABLE_NAME: Final = "Audit entries"
SUBJECT_FILTER_LABEL: Final = "&Find"
SUBJECT_FILTER_NAME: Final = "Find by payment or operation id"
SUBJECT_FILTER_PLACEHOLDER: Final = "Payment or operation id"
ACTION_FILTER_LABEL: Final = "&Action"
ACTION_FILTER_NAME: Final = "Show only one kind of action"
ALL_ACTIONS: Final = "All actions"

COLUMN_SEQ: Final = "#"
COLUMN_WHEN: Final = "When"
COLUMN_WHO: Final = "Who"
COLUMN_LANE: Final = "Lane"
COLUMN_ACTION: Final = "Action"
COLUMN_SUBJECT: Final = "Payment / item"
COLUMN_OUTCOME: Final = "Outcome"
COLUMN_DETAIL: Final = "Details"
WHEN_FORMAT: Final = "%Y-%m-%d %H:%M:%S"
ROW_ACCESSIBLE: Final = "Entry {seq}, {when}, {who} on lane {lane}: {action}, {outcome}"

#: Who wrote an entry: a person's name since staff have names; roles in older entries.
ROLES: Final[dict[str, str]] = {"cashier": "Cashier", "manager": "Manager", "till": "Till"}
ACTIONS: Final[dict[str, str]] = {
    AuditAction.REFUND: "Refund",
    AuditAction.VOID: "Void",
    AuditAction.OVERRIDE: "Override",
    AuditAction.SETTINGS_CHANGE: "Settings change",
    AuditAction.PIN_FAILED: "Failed PIN",
    AuditAction.PIN_LOCKED: "PIN locked",
    AuditAction.PIN_SET: "PIN set",
    AuditAction.PIN_CHANGED: "PIN changed",
    AuditAction.SIGN_IN: "Signed in",
    AuditAction.SIGN_OUT: "Signed out",
    AuditAction.AUDIT_CHECK: "Log checked",
    AuditAction.AUDIT_EXPORT: "Log exported",
    AuditAction.STAFF_ADDED: "Person added",
    AuditAction.STAFF_DISABLED: "Person turned off",
    AuditAction.STAFF_ENABLED: "Person turned on",
    AuditAction.STAFF_UNLOCKED: "Person unlocked",
    AuditAction.OWNER_RECOVERED: "Owner PIN recovered",
    AuditAction.RECOVERY_CODE_SET: "Recovery code set",
    AuditAction.APPROVAL: "Approval",
    AuditAction.CHAIN_KEYED: "Log keyed",
    AuditAction.STAFF_MIGRATED: "Manager PIN moved to staff",
    AuditAction.SHIFT_OPENED: "Shift opened",
    AuditAction.SHIFT_CLOSED: "Shift closed",
    AuditAction.NO_SALE: "No sale",
    AuditAction.PAID_IN: "Paid in",
    AuditAction.PAID_OUT: "Paid out",
    AuditAction.CASH_REFUND: "Cash refund",
    AuditAction.SALE_CANCELLED: "Sale cancelled",
    AuditAction.DISCOUNT: "Discount",
    AuditAction.STAFF_SYNCED: "Person updated from the store",
}

CHECK_BUTTON: Final = "Check integrity"
CHECK_BUTTON_DESCRIPTION: Final = "Recompute every entry's hash to find changes made to the file"
EXPORT_BUTTON: Final = "Export CSV..."
EXPORT_BUTTON_NAME: Final = "Export the audit log as a CSV file"
CLOSE_BUTTON: Final = "Close"
STATUS_NAME: Final = "Audit log status"

CHECK_OK: Final = "Intact: all {count} entries check out (checked at {time})."
CHECK_BROKEN: Final = "Changed outside the app: {problem}"
BREAKS: Final[dict[AuditBreak, str]] = {
    AuditBreak.CONTENT_CHANGED: "entry {seq} was changed after it was written.",
    AuditBreak.CHAIN_BROKEN: (
        "entry {seq} does not follow entry {previous}: an entry was changed or replaced."
    ),
    AuditBreak.MISSING: "entry {seq} is missing: entries were deleted.",
    AuditBreak.TRUNCATED: "the newest entries, from entry {seq} on, were deleted.",
    AuditBreak.HEAD_MISMATCH: "entry {seq} was not written by this app.",
}
#: The breaks whose own message names the person and field (or the head) best.
BREAKS_BY_MESSAGE: Final = frozenset(
    {AuditBreak.STATE_CHANGED, AuditBreak.NOT_KEYED, AuditBreak.HEAD_NOT_FOUND}
)

HEAD_LINE: Final = (
    "Head of the log: {head} (the end-of-day report prints it: a paper copy lets a later"
    " check find a rewritten log)."
)
HEAD_NAME: Final = "Audit log head and key"

EXPORT_DIALOG_TITLE: Final = "Export the audit log"
EXPORT_FILTER: Final = "CSV files (*.csv)"
EXPORT_FILE_NAME: Final = "audit-log-{date}.csv"
EXPORTED: Final = "Exported {count} entries to {name}."
EXPORT_FAILED: Final = "Could not write {name}. Choose another folder and try again."
SIGN_IN_AGAIN: Final = "Sign in again to go on."
