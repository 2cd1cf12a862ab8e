"""Strings of the store's quiet status in the till's status bar (a lane in a store)."""

from __future__ import annotations

CONNECTING = "Store: connecting..."
UP_TO_DATE = "Store: up to date"
TO_SEND = "Store: {count} to send"
UNREACHABLE = "Store unreachable \N{EM DASH} the till keeps selling; {count} to send"
UNREACHABLE_NOTHING = "Store unreachable \N{EM DASH} the till keeps selling"
REFUSED = "Store refused this lane: {message}"

ACCESSIBLE_NAME = "Store status"
TIP = (
    "This lane sends every sale, refund and audit entry to the store's database. The"
    " till never waits for it: what is not sent yet is kept on this computer."
)
TIP_LAST_SENT = "Last sent at {time}."
TIP_PROBLEM = "The store's database: {message}"
