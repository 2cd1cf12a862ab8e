"""The lane's settings a manager edits, as one checked value: the one model of them.

The settings dialog edits these fields (`pos_app.services.settings`), and the
settings file store loads and saves the same ones (`pos_app.config.SettingsFileStore`
names `EDITABLE_FIELDS`). Their rules are `pos_app.domain.settings_rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

from pos_app.domain.settings_rules import DEFAULT_DISCOUNT_APPROVAL_PERCENT, discount_limit_bps

__all__ = ["EDITABLE_FIELDS", "SettingsValues"]


@dataclass(frozen=True)
class SettingsValues:
    """The lane's editable settings, checked, as the settings file keeps them: never a secret.

    The settings dialog edits these fields; the settings file store loads and
    saves the same ones (`EDITABLE_FIELDS`).
    """

    demo: bool
    api_url: str
    client_id: str | None
    sub_account: str | None
    payment_flow: str
    lane: str
    default_terminal: str | None
    tax_rate_bps: int
    receipt_header: str
    idle_sign_out_minutes: int
    discount_approval_percent: int = DEFAULT_DISCOUNT_APPROVAL_PERCENT
    receipt_printer: str = ""  # "" for none; else as `settings_rules.receipt_printer_problem`
    store_url: str = ""  # the store's database, never with a password; "" for none

    @property
    def discount_approval_bps(self) -> int:
        """The discount limit in basis points, as `Cart.needs_approval` takes it."""
        return discount_limit_bps(self.discount_approval_percent)

    def as_mapping(self) -> dict[str, object]:
        """Field name to value, as the settings store takes them."""
        return {name: getattr(self, name) for name in EDITABLE_FIELDS}


#: The settings the dialog edits, by their settings-file keys.
EDITABLE_FIELDS: Final = tuple(f.name for f in fields(SettingsValues))
