"""A grid of big buttons, one per catalog item, for the things sold most."""

from __future__ import annotations

import itertools
import textwrap
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QSizePolicy, QWidget

from pos_app.domain.cart import Catalog, CatalogItem
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.text import cart as text

__all__ = ["QuickItems"]

_BUTTON_WIDTH_PX: Final = 120
_BUTTON_HEIGHT_PX: Final = 64
_BUTTON_FONT_PX: Final = 15
_DEFAULT_COLUMNS: Final = 4
# QPushButton does not wrap: long names are broken into at most two lines by hand.
_NAME_LINE_CHARS: Final = 14
_NAME_MAX_LINES: Final = 2
_BUTTON_PADDING_PX: Final = 16


class QuickItems(QWidget):
    """Buttons for the catalog's items (name over price); a click emits `item_chosen`."""

    item_chosen = Signal(object)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        catalog: Catalog | None = None,
        columns: int = _DEFAULT_COLUMNS,
    ) -> None:
        super().__init__(parent)
        if columns < 1:
            raise ValueError(f"columns must be at least 1: {columns}")
        self.setObjectName("quickItems")
        self.setAccessibleName(text.QUICK_ITEMS_NAME)
        self._columns = columns
        self._catalog = Catalog()
        self._buttons: dict[str, QPushButton] = {}
        self._grid = QGridLayout(self)
        self._grid.setSpacing(6)
        self._empty_label = QLabel(text.QUICK_ITEMS_EMPTY)
        self._empty_label.setObjectName("quickItemsEmpty")
        self._empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.set_catalog(catalog if catalog is not None else Catalog())

    @property
    def catalog(self) -> Catalog:
        """The catalog the buttons show."""
        return self._catalog

    def button(self, code: str) -> QPushButton | None:
        """The button for the item with `code`, or None."""
        return self._buttons.get(code)

    def set_catalog(self, catalog: Catalog) -> None:
        """Show one button per item of `catalog`, in file order."""
        self._catalog = catalog
        for button in self._buttons.values():
            self._grid.removeWidget(button)
            button.deleteLater()
        self._buttons = {}
        self._grid.removeWidget(self._empty_label)
        self._empty_label.setVisible(not len(catalog))
        if not len(catalog):
            self._grid.addWidget(self._empty_label, 0, 0)
            return
        for number, item in enumerate(catalog):
            button = self._make_button(item)
            self._buttons[item.code] = button
            self._grid.addWidget(button, number // self._columns, number % self._columns)
        for column in range(self._columns):
            self._grid.setColumnStretch(column, 1)
        # Equal columns: each as wide as the widest label needs, so none is clipped.
        widest = max(button.sizeHint().width() for button in self._buttons.values())
        for button in self._buttons.values():
            button.setMinimumWidth(max(widest, _BUTTON_WIDTH_PX, MIN_TOUCH))
        # Keep the keyboard order the same as the grid's reading order.
        buttons = list(self._buttons.values())
        for first, second in itertools.pairwise(buttons):
            QWidget.setTabOrder(first, second)

    def _make_button(self, item: CatalogItem) -> QPushButton:
        price = item.price.format()
        name = "\n".join(
            textwrap.wrap(item.name, _NAME_LINE_CHARS, max_lines=_NAME_MAX_LINES, placeholder="…")
        )
        button = QPushButton(text.QUICK_ITEM_TEXT.format(name=name, price=price))
        button.setObjectName(f"quickItem_{item.code}")
        button.setAccessibleName(text.QUICK_ITEM_NAME.format(name=item.name, price=price))
        button.setToolTip(item.name)
        font = QFont(self.font())
        font.setPixelSize(_BUTTON_FONT_PX)
        button.setFont(font)
        # Room for a two-line name and the price, the same for every button.
        lines_px = QFontMetrics(font).lineSpacing() * (_NAME_MAX_LINES + 1)
        height = max(_BUTTON_HEIGHT_PX, lines_px + _BUTTON_PADDING_PX, MIN_TOUCH)
        button.setMinimumSize(max(_BUTTON_WIDTH_PX, MIN_TOUCH), height)
        button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        button.clicked.connect(lambda: self.item_chosen.emit(item))
        return button
