"""The cash drawer: what opens it, as the till's services see it.

A drawer is opened by a pulse the receipt printer sends to it (ESC/POS,
`pos_app.printing.escpos.EscposDrawer`), by the demo's virtual drawer, or
by hand with its key (`NoDrawer`: nothing is wired to it). Opening is
a request that can fail (the printer is off, its cable is out): the caller
decides what the cashier reads then, and the money has already moved in the
journal either way; a drawer that stays shut never undoes a sale.
"""

from __future__ import annotations

from typing import Final, Protocol

__all__ = ["DRAWER_KINDS", "CashDrawer", "NoDrawer"]

#: What `CashDrawer.kind` says: the receipt printer's pulse, the demo's window, or none.
DRAWER_KINDS: Final = ("printer", "virtual", "none")


class CashDrawer(Protocol):
    """Something that opens the cash drawer."""

    @property
    def kind(self) -> str:
        """What opens it: "printer", "virtual" or "none" (one of `DRAWER_KINDS`)."""
        ...

    async def open(self, reason: str) -> None:
        """Open the drawer; `UnavailableError` (with a sentence) when it could not.

        `reason` says why ("sale", "no sale", "paid out", ...), for a drawer that shows it.
        """
        ...


class NoDrawer:
    """No drawer is wired to the till: the cashier opens it with its key."""

    @property
    def kind(self) -> str:
        """Always "none"."""
        return "none"

    async def open(self, reason: str) -> None:
        """Nothing to do: the drawer is opened by hand."""
