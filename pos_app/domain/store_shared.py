"""What every lane of a store shares, and where a lane keeps its copy.

A lane in a store (`store_url`) takes the store's staff, catalog and shared
settings on every pull (`pos_app.services.store_shared`). The catalog and the
settings are kept beside the journal as files the lane reads without the store,
so a lane whose store is away starts and sells with the last ones it took.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "STORE_CATALOG_FILE",
    "STORE_SETTINGS_FILE",
    "STORE_SETTINGS_HEADER",
    "STORE_SETTINGS_KEYS",
    "is_store_setting",
]

#: The settings the store sets for every lane; everything else stays the lane's own.
STORE_SETTINGS_KEYS: Final = (
    "receipt_header",
    "tax_rate_bps",
    "max_amount_cents",
    "discount_approval_percent",
    "idle_sign_out_minutes",
    "currency",
)
#: The lane's copy of the store's shared settings (in the data dir).
STORE_SETTINGS_FILE: Final = "store-settings.toml"
#: The lane's copy of the store's catalog (in the data dir), preferred over catalog.toml.
STORE_CATALOG_FILE: Final = "store-catalog.toml"

STORE_SETTINGS_HEADER: Final = (
    "# The settings every lane of the store shares, as this lane last took them from the\n"
    "# store. Rewritten on every change: change them with `pos-app store settings set`.\n"
)


def is_store_setting(key: str) -> bool:
    """Whether the store sets `key` for every lane."""
    return key in STORE_SETTINGS_KEYS
