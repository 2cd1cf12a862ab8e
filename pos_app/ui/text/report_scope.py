"""Strings of the end-of-day report's scope on a lane in a store, ready for translation."""

from __future__ import annotations

from typing import Final

SCOPE_LABEL: Final = "Report for"
THIS_LANE_ITEM: Final = "This lane ({lane})"
WHOLE_STORE_ITEM: Final = "Whole store"
LANE_ITEM: Final = "Lane {lane}"
STORE_LOADING: Final = "Reading the store's day and JustiFi's payments..."
STORE_UNREACHABLE: Final = (
    "The store's database cannot be reached, so the store's figures cannot be shown now;"
    " this lane's own report, from its journal, can."
)
STORE_REFUSED: Final = "{why} This lane's own report, from its journal, can be shown."
OWN_RECORDS_BUTTON: Final = "Show this lane's own report"
OWN_RECORDS_DESCRIPTION: Final = (
    "The report from this lane's journal alone, as on a lane without a store."
)
OWN_RECORDS_NOTE: Final = (
    "This lane's own report, from its journal: the store could not be reached. Card payments"
    " other lanes took may show as differences with JustiFi. Refresh to try the store again."
)
AUDIT_HEADS_LINE: Final = "Audit heads: {heads}"
AUDIT_HEADS_SEPARATOR: Final = "  ·  "
STORE_FILE_PART: Final = "-store"
