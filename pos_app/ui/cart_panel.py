"""The cart panel: the sale's lines, buttons to change them, and the totals.

A discounted line takes two text lines (its name, then what its discount takes
off); the totals gain a Discount row while the sale has a discount of its own.

While the sale has no lines a hint stands where they go ("No items yet..."). The
table is built on the first turn of Qt's loop after the panel shows, or by the
first line if that comes sooner: the till's first screen does not wait for it
(the item views' classes load with it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QFont, QKeyEvent, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.cart import Cart
from pos_app.domain.money import Money
from pos_app.ui.cart_model import CartColumn, CartModel
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.text import cart as text

if TYPE_CHECKING:
    from PySide6.QtCore import QItemSelection, QModelIndex
    from PySide6.QtWidgets import QTableView

__all__ = ["CartPanel", "tax_rate_text"]

_ROW_HEIGHT_PX = MIN_TOUCH  # a line is a touch target: it selects the line
_CELL_PADDING_PX = 16  # a cell's margins and grid line around its text
_WIDTHS_KEPT = 2_000
_TOTAL_FONT_PX = 26
_TOTALS_FONT_PX = 16

_INCREASE_KEYS = frozenset({Qt.Key.Key_Plus})
_DECREASE_KEYS = frozenset({Qt.Key.Key_Minus})
_REMOVE_KEYS = frozenset({Qt.Key.Key_Delete})


def tax_rate_text(bps: int) -> str:
    """A tax rate in basis points as a percentage without trailing zeros: 825 -> "8.25"."""
    whole, fraction = divmod(bps, 100)
    if fraction == 0:
        return str(whole)
    return f"{whole}.{fraction:02d}".rstrip("0")


def _touch_button(label: str, object_name: str, accessible: str, tooltip: str) -> QPushButton:
    button = QPushButton(label)
    button.setObjectName(object_name)
    button.setAccessibleName(accessible)
    button.setToolTip(tooltip)
    button.setMinimumSize(MIN_TOUCH, MIN_TOUCH)
    button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
    return button


def _pixel_font(base: QFont, pixels: int, *, bold: bool = False) -> QFont:
    font = QFont(base)
    font.setPixelSize(pixels)
    font.setBold(bold)
    return font


class CartPanel(QWidget):
    """Shows a CartModel as a table with +, minus, remove and clear buttons and the totals.

    With the table focused, + and - change the selected line's quantity and
    Delete removes it. The selection follows the line last added or changed.
    """

    def __init__(self, model: CartModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cartPanel")
        self._model = model
        self._widths: dict[str, int] = {}  # cell text -> width in the table's font
        self._view: QTableView | None = None  # see `cart_view`

        self.empty_hint = self._make_empty_hint()
        self.increase_button = _touch_button(
            text.INCREASE_BUTTON, "increaseButton", text.INCREASE_NAME, text.INCREASE_TOOLTIP
        )
        self.decrease_button = _touch_button(
            text.DECREASE_BUTTON, "decreaseButton", text.DECREASE_NAME, text.DECREASE_TOOLTIP
        )
        self.remove_line_button = _touch_button(
            text.REMOVE_LINE_BUTTON,
            "removeLineButton",
            text.REMOVE_LINE_NAME,
            text.REMOVE_LINE_TOOLTIP,
        )
        self.clear_cart_button = _touch_button(
            text.CLEAR_CART_BUTTON, "clearCartButton", text.CLEAR_CART_NAME, text.CLEAR_CART_TOOLTIP
        )
        big = _pixel_font(self.font(), 22, bold=True)
        for button in (self.increase_button, self.decrease_button):
            button.setFont(big)
            button.setMinimumWidth(64)

        self.subtotal_caption = self._caption(text.SUBTOTAL_CAPTION, "subtotalCaption")
        self.discount_caption = self._caption(text.DISCOUNT_CAPTION, "discountCaption")
        self.tax_caption = self._caption(text.TAX_CAPTION, "taxCaption")
        self.total_caption = self._caption(text.TOTAL_CAPTION, "totalCaption")
        self.subtotal_label = self._amount_label("subtotalLabel")
        self.discount_label = self._amount_label("discountLabel")
        self.tax_label = self._amount_label("taxLabel")
        self.total_label = self._amount_label("totalLabel")
        total_font = _pixel_font(self.font(), _TOTAL_FONT_PX, bold=True)
        self.total_caption.setFont(total_font)
        self.total_label.setFont(total_font)

        self._lay_out()
        self._connect()
        self._show_cart(model.cart)
        self._show_lines()
        self._update_buttons()

    # -- public --------------------------------------------------------------------

    @property
    def cart_view(self) -> QTableView:
        """The table of the sale's lines, built now if it was not yet."""
        return self._table()

    @property
    def model(self) -> CartModel:
        """The model this panel shows."""
        return self._model

    def selected_row(self) -> int | None:
        """The selected line's row, or None."""
        if self._view is None:
            return None  # no table yet: no line was ever shown to select
        selection = self._view.selectionModel()
        rows = selection.selectedRows() if selection is not None else []
        return rows[0].row() if rows else None

    def selected_line_id(self) -> int | None:
        """The selected line's id (as the cart knows it), or None."""
        row = self.selected_row()
        return self._model.line_at(row).line_id if row is not None else None

    def add_tool_button(self, button: QPushButton) -> None:
        """Put another button (the discount's) in the row under the lines, before the
        stretch; it is disabled with the panel, like the panel's own."""
        button.setParent(self)
        button.setMinimumHeight(MIN_TOUCH)
        self._buttons.insertWidget(self._buttons.count() - 2, button)

    def select_row(self, row: int) -> None:
        """Select the line in `row` (and make it the current one for the keyboard)."""
        index = self._model.index(row, CartColumn.ITEM)
        self.cart_view.setCurrentIndex(index)
        self.cart_view.scrollTo(index)

    # -- building ------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._view is None:  # after the first paint, before a line needs it
            QTimer.singleShot(0, self, self._table)

    def _make_empty_hint(self) -> QLabel:
        hint = QLabel(text.EMPTY_CART_HINT)
        hint.setObjectName("cartEmptyHint")
        hint.setAccessibleName(text.EMPTY_CART_NAME)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setWordWrap(True)
        # Framed and filled like the table it stands in for; the hint in the platform's
        # placeholder colour (light or dark).
        hint.setFrameShape(QFrame.Shape.StyledPanel)
        hint.setAutoFillBackground(True)
        hint.setBackgroundRole(QPalette.ColorRole.Base)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        hint.setFont(_pixel_font(self.font(), _TOTALS_FONT_PX))
        return hint

    def _table(self) -> QTableView:
        """The table, built once, in the hint's place: in the layout, in the focus chain
        before the line buttons, connected, its columns and rows fitted."""
        if self._view is not None:
            return self._view
        from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

        model = self._model
        view = QTableView()
        view.setObjectName("cartView")
        view.setAccessibleName(text.CART_VIEW_NAME)
        view.setAccessibleDescription(text.CART_VIEW_DESCRIPTION)
        view.setModel(model)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # Tab leaves the table (arrows move inside it), so the keyboard reaches every control.
        view.setTabKeyNavigation(False)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.setFont(_pixel_font(self.font(), _TOTALS_FONT_PX))
        rows = view.verticalHeader()
        rows.setVisible(False)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setMinimumSectionSize(_ROW_HEIGHT_PX)
        rows.setDefaultSectionSize(_ROW_HEIGHT_PX)
        columns = view.horizontalHeader()
        # Fixed widths fitted to the figures by `_fit_columns` on each change: Qt's
        # ResizeToContents asks every cell of every row again on each change (about 25 ms
        # for a 100-line cart, over a frame).
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        columns.setSectionResizeMode(CartColumn.ITEM, QHeaderView.ResizeMode.Stretch)
        columns.setHighlightSections(False)
        view.installEventFilter(self)
        self._lines_box.insertWidget(0, view, 1)
        self._tab_before_buttons(view)
        view.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self._view = view
        self._fit_columns()
        self._fit_rows(0, model.rowCount() - 1)
        self._show_lines()
        return view

    def _tab_before_buttons(self, view: QTableView) -> None:
        """Put the table where it was in the focus chain when it was built with the panel:
        after the nearest focusable widget before the + button, so Tab goes from it to the
        table and from the table to +. (Qt moves a widget only after a focusable one.)"""
        before = self.increase_button.previousInFocusChain()
        while before is not None and before.focusPolicy() == Qt.FocusPolicy.NoFocus:
            before = before.previousInFocusChain()
        if before is not None and before is not view:
            QWidget.setTabOrder(before, view)

    def _caption(self, label: str, object_name: str) -> QLabel:
        caption = QLabel(label)
        caption.setObjectName(object_name)
        caption.setFont(_pixel_font(self.font(), _TOTALS_FONT_PX))
        return caption

    def _amount_label(self, object_name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(object_name)
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        label.setFont(_pixel_font(self.font(), _TOTALS_FONT_PX))
        label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        return label

    def _lay_out(self) -> None:
        buttons = QHBoxLayout()
        buttons.addWidget(self.increase_button)
        buttons.addWidget(self.decrease_button)
        buttons.addWidget(self.remove_line_button)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_cart_button)
        self._buttons = buttons

        totals = QGridLayout()
        totals.setColumnStretch(0, 1)
        for row, (caption, amount) in enumerate(
            (
                (self.subtotal_caption, self.subtotal_label),
                (self.discount_caption, self.discount_label),
                (self.tax_caption, self.tax_label),
                (self.total_caption, self.total_label),
            )
        ):
            totals.addWidget(caption, row, 0)
            totals.addWidget(amount, row, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.empty_hint, 1)  # the table goes before it (`_table`)
        layout.addLayout(buttons)
        layout.addLayout(totals)
        self._lines_box = layout

    def _connect(self) -> None:
        self.increase_button.clicked.connect(self._on_increase_button_clicked)
        self.decrease_button.clicked.connect(self._on_decrease_button_clicked)
        self.remove_line_button.clicked.connect(self._on_remove_line_button_clicked)
        self.clear_cart_button.clicked.connect(self._on_clear_cart_button_clicked)
        self._model.cart_changed.connect(self._on_model_cart_changed)
        self._model.rowsInserted.connect(self._on_model_rows_inserted)
        self._model.rowsRemoved.connect(self._on_model_rows_removed)
        self._model.dataChanged.connect(self._on_model_data_changed)
        self._model.modelReset.connect(self._on_model_model_reset)

    # -- keys ----------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._view and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if self._handle_view_key(event):
                event.accept()
                return True
        return super().eventFilter(watched, event)

    def _handle_view_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in _INCREASE_KEYS:
            self._on_increase_button_clicked()
        elif key in _DECREASE_KEYS:
            self._on_decrease_button_clicked()
        elif key in _REMOVE_KEYS:
            self._on_remove_line_button_clicked()
        else:
            return False
        return True

    # -- slots ---------------------------------------------------------------------

    def _on_increase_button_clicked(self) -> None:
        row = self.selected_row()
        if row is not None:
            self._model.increment(row)

    def _on_decrease_button_clicked(self) -> None:
        row = self.selected_row()
        if row is not None:
            self._model.decrement(row)

    def _on_remove_line_button_clicked(self) -> None:
        row = self.selected_row()
        if row is not None:
            self._model.remove(row)

    def _on_clear_cart_button_clicked(self) -> None:
        self._model.clear()

    def _on_model_cart_changed(self, cart: Cart) -> None:
        self._show_cart(cart)
        self._show_lines()
        self._fit_columns()
        self._update_buttons()

    def _on_model_rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        self._fit_rows(first, last)
        self.select_row(last)

    def _on_model_model_reset(self) -> None:
        self._fit_rows(0, self._model.rowCount() - 1)

    def _on_model_rows_removed(self, _parent: QModelIndex, first: int, _last: int) -> None:
        # The selected line went away: select its neighbour so + and - keep working.
        count = self._model.rowCount()
        if self.selected_row() is None and count:
            self.select_row(min(first, count - 1))

    def _on_model_data_changed(
        self, top_left: QModelIndex, bottom_right: QModelIndex, _roles: object = None
    ) -> None:
        self._fit_rows(top_left.row(), bottom_right.row())
        if top_left.row() == bottom_right.row():
            self.select_row(top_left.row())

    def _on_selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_buttons()

    # -- showing -------------------------------------------------------------------

    def _show_lines(self) -> None:
        """The table while the sale has lines (built now if need be), else the hint."""
        has_lines = self._model.rowCount() > 0
        view = self.cart_view if has_lines else self._view
        if view is not None:
            view.setVisible(has_lines)
        self.empty_hint.setVisible(not has_lines)

    def _fit_columns(self) -> None:
        """Each figure column as wide as its widest text (its header's included)."""
        if self._view is None:
            return  # fitted when built
        header = self._view.horizontalHeader()
        model = self._model
        lines = model.cart.lines
        texts = {
            CartColumn.QUANTITY: {str(line.quantity) for line in lines},
            CartColumn.UNIT_PRICE: {line.unit_price.format() for line in lines},
            CartColumn.LINE_TOTAL: {Money(line.net_cents).format() for line in lines},
        }
        for column, shown in texts.items():
            caption = str(model.headerData(column, Qt.Orientation.Horizontal))
            widest = max((self._text_width(text) for text in shown), default=0)
            width = max(header.fontMetrics().horizontalAdvance(caption), widest)
            width += _CELL_PADDING_PX
            if header.sectionSize(column) != width:
                header.resizeSection(column, width)

    def _text_width(self, shown: str) -> int:
        """A cell text's width in the table's font, remembered (figures repeat)."""
        width = self._widths.get(shown)
        if width is None:
            if len(self._widths) > _WIDTHS_KEPT:
                self._widths.clear()  # a day of sales: start again rather than grow
            width = self._widths[shown] = self.cart_view.fontMetrics().horizontalAdvance(shown)
        return width

    def _fit_rows(self, first: int, last: int) -> None:
        """A discounted line is two text lines high (its name, then its discount)."""
        if self._view is None:
            return  # fitted when built
        header = self._view.verticalHeader()
        extra = self.cart_view.fontMetrics().lineSpacing()
        for row in range(max(first, 0), min(last, self._model.rowCount() - 1) + 1):
            discounted = self._model.line_at(row).discount is not None
            height = _ROW_HEIGHT_PX + extra if discounted else _ROW_HEIGHT_PX
            if header.sectionSize(row) != height:
                header.resizeSection(row, height)

    def _show_cart(self, cart: Cart) -> None:
        sale_discount = Money(-cart.sale_discount.cents)
        for label, amount, template in (
            (self.subtotal_label, cart.subtotal, text.SUBTOTAL_NAME),
            (self.discount_label, sale_discount, text.DISCOUNT_NAME),
            (self.tax_label, cart.tax, text.TAX_NAME),
            (self.total_label, cart.total, text.TOTAL_NAME),
        ):
            label.setText(amount.format())
            label.setAccessibleName(template.format(amount=amount.format()))
        # The Discount row is the sale's own discount; a line's shows on its line.
        has_discount = cart.discount is not None and bool(cart.sale_discount.cents)
        if cart.discount is not None:
            describe = cart.discount.describe()
            self.discount_caption.setText(text.DISCOUNT_CAPTION_WITH_WHAT.format(describe=describe))
        self.discount_caption.setVisible(has_discount)
        self.discount_label.setVisible(has_discount)
        if cart.tax_rate_bps:
            caption = text.TAX_CAPTION_WITH_RATE.format(rate=tax_rate_text(cart.tax_rate_bps))
        else:
            caption = text.TAX_CAPTION
        self.tax_caption.setText(caption)

    def _update_buttons(self) -> None:
        has_line = self.selected_row() is not None
        self.increase_button.setEnabled(has_line)
        self.decrease_button.setEnabled(has_line)
        self.remove_line_button.setEnabled(has_line)
        self.clear_cart_button.setEnabled(not self._model.cart.is_empty)
