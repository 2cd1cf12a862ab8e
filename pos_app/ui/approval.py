"""Approval at the till: refunds, voids and overrides need a manager or an owner.

When the person signed in may approve, they are the approver. Otherwise a
manager or owner approves this one action at the cashier's till: they tap
their name and enter their PIN (`PinDialog` in APPROVE mode, which calls
`ManagerService.approve` and so writes an APPROVAL entry), and the cashier
stays signed in. The caller records the approver's name with the action
("approved by").
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from pos_app.domain.staff import Person
from pos_app.services.manager import ManagerService
from pos_app.ui.pin_dialog import PinDialog, PinMode

__all__ = ["ask_approval"]


async def ask_approval(service: ManagerService, parent: QWidget | None, what: str) -> Person | None:
    """The manager or owner approving `what` ("refund", "override"; a key of
    `text.staff.APPROVALS`) at this till, or None if nobody did."""
    current = service.current()
    if current is not None and current.can_approve:
        service.touch()
        return current
    if not service.has_staff():
        from pos_app.ui.owner_setup import set_up_owner

        return await set_up_owner(service, parent)
    dialog = PinDialog(service, parent, mode=PinMode.APPROVE, what=what)
    try:
        return dialog.person if await dialog.ask() else None
    finally:
        dialog.deleteLater()
