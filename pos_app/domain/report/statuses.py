"""The statuses the end-of-day report reads: JustiFi's (API.md) and the journal's."""

from __future__ import annotations

from typing import Final

__all__ = [
    "APPROVED",
    "CANCELED",
    "FAILED",
    "FINAL_STATUSES",
    "MONEY_STATUSES",
    "NOT_CHARGED",
    "SETTLED_STATUSES",
]

# JustiFi payment statuses (API.md).
FAILED: Final = "failed"
CANCELED: Final = "canceled"  # what a void leaves
SETTLED_STATUSES: Final = frozenset({"succeeded", "partially_refunded", "fully_refunded"})
# Statuses where money moved or may still move: a journal that says "not charged" is wrong.
MONEY_STATUSES: Final = SETTLED_STATUSES | {"pending", "authorized", "disputed"}

# Journal statuses (payment_flow.StateName values).
APPROVED: Final = "approved"
NOT_CHARGED: Final = frozenset({"declined", "cancelled", "timed_out"})
FINAL_STATUSES: Final = NOT_CHARGED | {APPROVED}
