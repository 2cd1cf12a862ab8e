"""The end-of-day report's scope on a lane in a store: this lane, the whole store, a lane.

On a lane in a store the end-of-day dialog reads the store's day
(`StoreReports`, the `StoreViewService` of the lane's services), so the other
lanes' card payments are matched rather than listed as differences, and the
audit heads of the lanes covered are printed. `StoreScope` holds the choice
and its combo box; the lane names come from the store when the dialog first
shows, or the next time it shows (a store that cannot be reached leaves
"This lane" and "Whole store" until then).
When the store cannot be reached, the dialog says so in one sentence and
offers this lane's own report, from its journal (`own_records`): the lane
keeps it until the manager picks another scope or refreshes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, tzinfo
from typing import Protocol

from PySide6.QtWidgets import QComboBox, QWidget

from pos_app.domain.errors import UserFacingError
from pos_app.domain.report import DayReport
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.text import report_scope as text

__all__ = ["StoreReports", "StoreScope"]

log = logging.getLogger("pos_app.ui.report_scope")


class StoreReports(Protocol):
    """The store's end of day as the dialog needs it (`StoreViewService`)."""

    async def day_report(
        self, day: date, lane: str | None = None, tz: tzinfo | None = None
    ) -> DayReport:
        """The day of the whole store (`lane` None) or of one lane, reconciled with JustiFi
        against every lane's operations; StoreUnavailableError when it cannot be read."""
        ...

    async def lanes(self) -> list[str]:
        """Every lane the store has seen, by name."""
        ...


class StoreScope:
    """What the end-of-day report covers on a lane in a store, and its combo box.

    Args:
        parent: the dialog (owns the combo box).
        store: the store's end of day.
        own_lane: this lane's name (its first item, "This lane").
    """

    def __init__(self, parent: QWidget, store: StoreReports, own_lane: str) -> None:
        self.store = store
        self.own_lane = own_lane
        self.own_records = False  # showing this lane's journal: the store could not be read
        self.lanes_listed = False  # the store's lanes are in the combo
        combo = self.combo = QComboBox(parent)
        combo.setObjectName("reportScopeCombo")
        combo.setAccessibleName(text.SCOPE_LABEL)
        combo.setMinimumWidth(200)
        combo.setMinimumHeight(MIN_TOUCH)
        combo.addItem(text.WHOLE_STORE_ITEM, None)
        combo.addItem(text.THIS_LANE_ITEM.format(lane=own_lane), own_lane)
        combo.setCurrentIndex(0)  # the store's day: what end of day means in a store

    @property
    def lane(self) -> str | None:
        """The lane picked; None for the whole store."""
        data = self.combo.currentData()
        return data if isinstance(data, str) else None

    def set_lane(self, lane: str | None) -> None:
        """Pick a lane (listed if it is not yet), or None for the whole store."""
        if lane is not None and self.combo.findData(lane) < 0:
            self.combo.addItem(text.LANE_ITEM.format(lane=lane), lane)
        self.combo.setCurrentIndex(self.combo.findData(lane) if lane is not None else 0)

    def show_own_records(self) -> None:
        """Show this lane's own report (the store cannot be read): "This lane" is picked,
        without a new request; the store is tried again at the next refresh or choice."""
        self.own_records = True
        self.combo.blockSignals(True)
        self.combo.setCurrentIndex(max(self.combo.findData(self.own_lane), 0))
        self.combo.blockSignals(False)

    def set_lanes(self, names: Sequence[str]) -> None:
        """List the store's other lanes after "This lane", keeping the choice."""
        combo = self.combo
        chosen = self.lane
        combo.blockSignals(True)
        try:
            while combo.count() > 2:
                combo.removeItem(2)
            for name in sorted({n for n in names if n and n != self.own_lane}, key=str.casefold):
                combo.addItem(text.LANE_ITEM.format(lane=name), name)
            index = combo.findData(chosen) if chosen is not None else 0
            combo.setCurrentIndex(max(index, 0))
        finally:
            combo.blockSignals(False)

    async def load_lanes(self) -> list[str]:
        """The store's lanes, listed; none (and a line in the log) when it cannot be read."""
        try:
            names = await self.store.lanes()
        except (UserFacingError, OSError) as exc:
            log.info("end of day: the store's lanes cannot be listed: %s", exc)
            return []
        self.set_lanes(names)
        self.lanes_listed = True
        return names
