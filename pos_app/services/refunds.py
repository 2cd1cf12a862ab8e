"""A manager's refund or void: what was asked for, as the window and the CLI both send it.

`ManagerService.record_refund` writes its two audit entries (when it is sent,
and with its outcome) from a `RefundRequest`, so both clients audit the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pos_app.services.audit_log import AuditAction, DetailValue

__all__ = ["RefundMode", "RefundRequest"]


class RefundMode(StrEnum):
    """How the money goes back."""

    TERMINAL = "terminal"
    CARD = "card"
    VOID = "void"


@dataclass(frozen=True)
class RefundRequest:
    """What the manager asked for; `terminal_id` only for TERMINAL."""

    mode: RefundMode
    amount_cents: int
    terminal_id: str | None
    reason: str | None
    description: str | None = None  # the items going back, for a refund item by item

    @property
    def action(self) -> AuditAction:
        """The audit log's name for it: a void or a refund."""
        return AuditAction.VOID if self.mode is RefundMode.VOID else AuditAction.REFUND

    def audit_detail(self) -> dict[str, DetailValue]:
        """What the audit log keeps of it (amount, mode, terminal, reason, the items)."""
        detail: dict[str, DetailValue] = {
            "amount_cents": self.amount_cents,
            "mode": self.mode.value,
            "terminal_id": self.terminal_id,
            "reason": self.reason,
        }
        if self.description is not None:
            detail["items"] = self.description
        return detail
