"""Strings of the virtual-terminal window (demo mode), ready for translation."""

from __future__ import annotations

WINDOW_TITLE = "Virtual terminals (demo)"
INTRO = (
    "What each simulated terminal's screen shows. Act as the customer: tap a test card, "
    "decline, or press X."
)

# Live status, from GET /v1/terminals/{id}/status.
LIVE_STATUS = {"CONNECTED": "Ready", "ACTIVE": "Busy", "DISCONNECTED": "Offline"}
LIVE_STATUS_UNKNOWN = "Unknown"

# The simulated device's screen.
SCREEN_READY = "Ready"
SCREEN_OFFLINE = "No connection"
SCREEN_PAYMENT_PROMPT = "Tap, insert or swipe card"
SCREEN_REFUND_PROMPT = "Tap card"
SCREEN_IDENTIFY_PROMPT = "This terminal"
SCREEN_ACCESSIBLE_NAME = "Terminal screen"

# Buttons and their accessible names.
DECLINE_BUTTON = "Decline"
DECLINE_CODE_LABEL = "Decline code"
CANCEL_BUTTON = "Press X"
UNPLUG_BUTTON = "Unplug"
PLUG_BUTTON = "Plug in"

DECLINE_CODES = (
    ("card_declined", "Card declined"),
    ("insufficient_funds", "Insufficient funds"),
    ("expired_card", "Expired card"),
    ("do_not_honor", "Do not honor"),
    ("pin_required", "PIN required"),
    ("incorrect_pin", "Incorrect PIN"),
)

# Status line at the bottom.
UNEXPECTED_PROBLEM = "Something went wrong in the virtual terminal window; see the log."


def terminal_title(nickname: str, terminal_id: str) -> str:
    """ "Front counter · trm_front"."""
    return f"{nickname} · {terminal_id}"


def behaviour_text(behaviour: str, tap_after: float) -> str:
    """How the simulated customer behaves on this terminal."""
    if behaviour == "manual":
        return "Customer waits for you"
    return f"Customer taps by itself after {tap_after:g} s"


def live_status_text(live_status: str) -> str:
    """ "Status: Ready"."""
    return f"Status: {LIVE_STATUS.get(live_status, LIVE_STATUS_UNKNOWN)}"


def refund_amount(amount: str) -> str:
    """ "Refund $5.00" on the device's screen."""
    return f"Refund {amount}"


def seconds_left(seconds: int) -> str:
    """How long until the device gives up on the customer."""
    return f"Gives up in {seconds} s"


def tap_button(brand: str, last4: str) -> str:
    """ "Tap Visa 4242"."""
    return f"Tap {brand} {last4}"


def tap_accessible(brand: str, last4: str, nickname: str) -> str:
    """A tap button's accessible name, naming the terminal too."""
    return f"Tap {brand} {last4} on {nickname}"


def for_terminal(what: str, nickname: str) -> str:
    """An accessible name: "Press X on Front counter"."""
    return f"{what} on {nickname}"


def done_tap(nickname: str, brand: str, last4: str) -> str:
    """Status line after a tap."""
    return f"{nickname}: the customer tapped {brand} {last4}."


def done_decline(nickname: str, code_label: str) -> str:
    """Status line after a decline."""
    return f"{nickname}: declined ({code_label})."


def done_cancel(nickname: str) -> str:
    """Status line after pressing X."""
    return f"{nickname}: the customer pressed X."


def done_unplug(nickname: str) -> str:
    """Status line after unplugging."""
    return f"{nickname} is unplugged."


def done_replug(nickname: str) -> str:
    """Status line after plugging in."""
    return f"{nickname} is plugged in again."


def failed(nickname: str, message: str) -> str:
    """Status line when the sandbox refused an action."""
    return f"{nickname}: {message}"
