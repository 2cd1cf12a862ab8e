"""A Qt table model over the immutable domain Cart.

Each edit replaces the cart with the new value the domain returns, and tells
the views exactly what changed (rows inserted, rows removed, cells changed),
so a view keeps its selection and scroll position instead of being reset.

Discounts: a discounted line shows what its discount takes off under its name
("-$1.25 10% off (Damaged)") and its line total after the discount, so the
line totals add up to the cart's subtotal. The model also keeps who approved
the cart's discounts (`discount_approved_by`): that approval stands while the
discounts take no larger share of the gross than when it was given (a cent of
rounding aside), and is dropped (None) by any change that raises the share (a
bigger discount, another of a discounted line, a line without a discount
removed) and with the last discount.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from pos_app.domain.cart import Cart, CartLine, CatalogItem
from pos_app.domain.discount import Discount, DiscountKind
from pos_app.domain.money import Money
from pos_app.ui.text import cart as text

__all__ = ["LINE_ROLE", "CartColumn", "CartModel", "line_discount_text"]

# Data role returning the row's CartLine (for views and tests that need the value).
LINE_ROLE = int(Qt.ItemDataRole.UserRole) + 1

_AnyIndex = QModelIndex | QPersistentModelIndex

_MONEY_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_QUANTITY_ALIGNMENT = Qt.AlignmentFlag.AlignCenter
_TEXT_ALIGNMENT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


class CartColumn(IntEnum):
    """The columns of the cart table, in order."""

    ITEM = 0
    QUANTITY = 1
    UNIT_PRICE = 2
    LINE_TOTAL = 3


_HEADERS = {
    CartColumn.ITEM: text.COLUMN_ITEM,
    CartColumn.QUANTITY: text.COLUMN_QUANTITY,
    CartColumn.UNIT_PRICE: text.COLUMN_UNIT_PRICE,
    CartColumn.LINE_TOTAL: text.COLUMN_LINE_TOTAL,
}
_ALIGNMENTS = {
    CartColumn.ITEM: _TEXT_ALIGNMENT,
    CartColumn.QUANTITY: _QUANTITY_ALIGNMENT,
    CartColumn.UNIT_PRICE: _MONEY_ALIGNMENT,
    CartColumn.LINE_TOTAL: _MONEY_ALIGNMENT,
}


class CartModel(QAbstractTableModel):
    """The sale as a table: one row per cart line (Item, Qty, Unit price, Line total).

    Edits go through the methods below; each replaces the immutable cart and
    emits `cart_changed` with the new Cart. Rows are addressed by row number;
    an unknown row raises IndexError.
    """

    cart_changed = Signal(object)

    def __init__(self, parent: QObject | None = None, *, cart: Cart | None = None) -> None:
        super().__init__(parent)
        self._cart = cart if cart is not None else Cart()
        # What the views currently see; differs from _cart only inside _apply.
        self._lines: list[CartLine] = list(self._cart.lines)
        self._discount_approved_by: str | None = None

    # -- the cart ------------------------------------------------------------------

    @property
    def cart(self) -> Cart:
        """The current cart (an immutable value)."""
        return self._cart

    def line_at(self, row: int) -> CartLine:
        """The cart line shown in `row`; IndexError if there is none."""
        if not 0 <= row < len(self._lines):
            raise IndexError(f"no cart line in row {row}")
        return self._lines[row]

    def set_tax_rate(self, bps: int) -> None:
        """Set the tax rate in basis points (825 is 8.25 %)."""
        self._apply(self._cart.with_tax_rate(bps))

    def set_cart(self, cart: Cart, *, discount_approved_by: str | None = None) -> None:
        """Replace the whole cart (for example to restore a parked sale), with who approved
        its discounts (None: nobody yet)."""
        self._apply(cart)
        self._discount_approved_by = discount_approved_by if cart.discount_total.cents else None

    @property
    def discount_approved_by(self) -> str | None:
        """Who approved the cart's discounts (a manager's or owner's name), or None."""
        return self._discount_approved_by

    @discount_approved_by.setter
    def discount_approved_by(self, name: str | None) -> None:
        self._discount_approved_by = name if self._cart.discount_total.cents else None

    def set_line_discount(self, line_id: int, discount: Discount | None) -> None:
        """Give the line `line_id` a discount (None removes it). KeyError for an unknown
        line; DiscountError (a sentence) for an amount larger than the line."""
        self._apply(self._cart.with_line_discount(line_id, discount))

    def set_sale_discount(self, discount: Discount | None) -> None:
        """Give the whole sale a discount on its subtotal (None removes it); DiscountError
        (a sentence) for an amount larger than the subtotal."""
        self._apply(self._cart.with_discount(discount))

    def add_item(self, item: CatalogItem) -> None:
        """Add one of a catalog item, merging with its line if it is already in the cart."""
        self._apply(self._cart.add_item(item))

    def add_amount(self, cents: int) -> None:
        """Add a typed amount as its own line."""
        if cents <= 0:
            raise ValueError(f"an amount line must be positive: {cents}")
        self._apply(self._cart.add_amount(cents))

    def increment(self, row: int) -> None:
        """Add one to the quantity of the line in `row`."""
        self._apply(self._cart.increment(self.line_at(row).line_id))

    def decrement(self, row: int) -> None:
        """Take one from the quantity of the line in `row`, removing the line at 0."""
        self._apply(self._cart.decrement(self.line_at(row).line_id))

    def remove(self, row: int) -> None:
        """Remove the line in `row`."""
        self._apply(self._cart.remove(self.line_at(row).line_id))

    def clear(self) -> None:
        """Remove every line and the sale's discount, keeping the tax rate."""
        self._apply(self._cart.clear())

    # -- QAbstractTableModel -------------------------------------------------------

    def rowCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: _AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(CartColumn)

    def flags(self, index: _AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or section not in range(len(CartColumn)):
            return None
        column = CartColumn(section)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return _HEADERS[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _ALIGNMENTS[column]
        return None

    def data(self, index: _AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._lines):
            return None
        if index.column() not in range(len(CartColumn)):
            return None
        line = self._lines[index.row()]
        column = CartColumn(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(line, column)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return _accessible(line, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _ALIGNMENTS[column]
        if role == LINE_ROLE:
            return line
        return None

    # -- applying a new cart -------------------------------------------------------

    def _apply(self, new: Cart) -> None:
        """Make `new` the cart, telling views which rows came, went or changed."""
        if new == self._cart:
            return
        if _share_rose(self._cart, new):
            self._discount_approved_by = None
        old_ids = [line.line_id for line in self._lines]
        new_ids = [line.line_id for line in new.lines]
        surviving = set(new_ids)
        kept = [line_id for line_id in old_ids if line_id in surviving]
        if kept != new_ids[: len(kept)]:
            # Lines were reordered: not something the cart does today, so reset.
            self.beginResetModel()
            self._cart, self._lines = new, list(new.lines)
            self.endResetModel()
            self.cart_changed.emit(new)
            return
        self._remove_missing_rows(surviving)
        self._append_rows(new.lines[len(kept) :])
        self._update_changed_rows(new.lines)
        self._cart = new
        self.cart_changed.emit(new)

    def _remove_missing_rows(self, surviving: set[int]) -> None:
        # Bottom up, in contiguous runs, so each signal's row numbers are still valid.
        row = len(self._lines) - 1
        while row >= 0:
            if self._lines[row].line_id in surviving:
                row -= 1
                continue
            last = row
            while row > 0 and self._lines[row - 1].line_id not in surviving:
                row -= 1
            self.beginRemoveRows(QModelIndex(), row, last)
            del self._lines[row : last + 1]
            self.endRemoveRows()
            row -= 1

    def _append_rows(self, added: tuple[CartLine, ...]) -> None:
        if not added:
            return
        first = len(self._lines)
        self.beginInsertRows(QModelIndex(), first, first + len(added) - 1)
        self._lines.extend(added)
        self.endInsertRows()

    def _update_changed_rows(self, lines: tuple[CartLine, ...]) -> None:
        for row, line in enumerate(lines):
            if self._lines[row] != line:
                self._lines[row] = line
                self.dataChanged.emit(
                    self.index(row, 0),
                    self.index(row, len(CartColumn) - 1),
                    [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole, LINE_ROLE],
                )


def _share_rose(old: Cart, new: Cart) -> bool:
    """Whether `new`'s discounts take a larger share of its gross than `old`'s, or it has
    none left (an approval then has nothing to stand for).

    Compared exactly, less a cent for each percent discount: a percent rounds half up to
    the cent, so 10 % off a larger sale may take a hair more than 10 % of it, and that
    is the discount approved, not a larger one."""
    if not new.discount_total.cents:
        return True
    discounts = [line.discount for line in new.lines] + [new.discount]
    rounding = sum(1 for d in discounts if d is not None and d.kind is DiscountKind.PERCENT)
    raised = new.discount_total.cents - rounding
    return raised * old.gross.cents > old.discount_total.cents * new.gross.cents


def line_discount_text(line: CartLine) -> str:
    """What a line's discount takes off, as its line shows it: "-$1.25 10% off (Damaged)";
    "" without one."""
    if line.discount is None:
        return ""
    return text.LINE_DISCOUNT.format(
        amount=Money(-line.discount_cents).format(), describe=line.discount.describe()
    )


def _net(line: CartLine) -> str:
    return Money(line.net_cents).format()


def _display(line: CartLine, column: CartColumn) -> str:
    match column:
        case CartColumn.ITEM:
            if line.discount is None:
                return line.name
            return f"{line.name}\n{line_discount_text(line)}"
        case CartColumn.QUANTITY:
            return str(line.quantity)
        case CartColumn.UNIT_PRICE:
            return line.unit_price.format()
        case CartColumn.LINE_TOTAL:
            return _net(line)


def _accessible(line: CartLine, column: CartColumn) -> str:
    match column:
        case CartColumn.ITEM:
            if line.discount is not None:
                return text.LINE_DISCOUNT_ACCESSIBLE.format(
                    quantity=line.quantity,
                    name=line.name,
                    gross=line.total.format(),
                    discount=line_discount_text(line),
                    net=_net(line),
                )
            return text.LINE_ACCESSIBLE.format(
                quantity=line.quantity, name=line.name, total=line.total.format()
            )
        case CartColumn.QUANTITY:
            return text.QUANTITY_ACCESSIBLE.format(quantity=line.quantity)
        case CartColumn.UNIT_PRICE:
            return line.unit_price.format()
        case CartColumn.LINE_TOTAL:
            return _net(line)
