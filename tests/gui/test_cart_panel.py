"""The cart model and panel: lines, quantities, totals with tax, keys and buttons."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pos_app.domain.cart import Cart, Catalog, CatalogItem
from pos_app.ui.cart_model import LINE_ROLE, CartColumn, CartModel
from pos_app.ui.cart_panel import CartPanel, tax_rate_text
from pos_app.ui.quick_items import QuickItems

LATTE = CatalogItem("latte", "Latte", 425, "2000000000039")
MUFFIN = CatalogItem("muffin", "Muffin", 295)
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class Recorder:
    """Records the model's signals in order, as (name, details)."""

    def __init__(self, model: CartModel) -> None:
        self.events: list[tuple[str, Any]] = []
        model.rowsInserted.connect(lambda _p, a, b: self.events.append(("inserted", (a, b))))
        model.rowsRemoved.connect(lambda _p, a, b: self.events.append(("removed", (a, b))))
        model.dataChanged.connect(
            lambda tl, br, _r=None: self.events.append(("changed", (tl.row(), br.row())))
        )
        model.modelReset.connect(lambda: self.events.append(("reset", None)))
        model.cart_changed.connect(lambda cart: self.events.append(("cart", cart)))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]


def make_panel(qtbot: Any, tax_bps: int = 825) -> tuple[CartModel, CartPanel]:
    model = CartModel()
    model.set_tax_rate(tax_bps)
    panel = CartPanel(model)
    qtbot.addWidget(panel)
    panel.resize(520, 480)
    panel.show()
    return model, panel


def cell(model: CartModel, row: int, column: CartColumn, role: int = 0) -> Any:
    return model.data(model.index(row, column), role)


def label(panel: CartPanel, name: str) -> str:
    found = panel.findChild(QLabel, name)
    assert found is not None, name
    return found.text()


def button(panel: CartPanel, name: str) -> QPushButton:
    found = panel.findChild(QPushButton, name)
    assert found is not None, name
    return found


# -- the model -----------------------------------------------------------------------


def test_model_columns_and_cells_show_lines_with_money_right_aligned(qtbot: Any) -> None:
    model = CartModel()
    model.add_item(LATTE)
    model.add_item(LATTE)
    model.add_amount(1234)

    assert (model.rowCount(), model.columnCount()) == (2, 4)
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)]
    assert headers == ["Item", "Qty", "Unit price", "Line total"]
    assert [cell(model, 0, c) for c in CartColumn] == ["Latte", "2", "$4.25", "$8.50"]
    assert [cell(model, 1, c) for c in CartColumn] == ["Amount", "1", "$12.34", "$12.34"]
    for column in (CartColumn.UNIT_PRICE, CartColumn.LINE_TOTAL):
        assert cell(model, 0, column, Qt.ItemDataRole.TextAlignmentRole) == RIGHT
        assert cell(model, 0, column, Qt.ItemDataRole.AccessibleTextRole) == cell(model, 0, column)
    assert cell(model, 0, CartColumn.ITEM, Qt.ItemDataRole.AccessibleTextRole) == (
        "2 times Latte, $8.50"
    )
    assert cell(model, 1, CartColumn.ITEM, LINE_ROLE).unit_price_cents == 1234
    assert model.data(model.index(2, 0)) is None
    assert not model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEditable


def test_model_signals_say_which_rows_came_went_or_changed(qtbot: Any) -> None:
    model = CartModel()
    record = Recorder(model)

    model.add_item(LATTE)
    model.add_item(MUFFIN)
    model.add_item(LATTE)  # merges into row 0
    model.increment(1)
    model.decrement(1)
    model.decrement(1)  # quantity 0: the muffin line goes
    model.add_amount(500)
    model.remove(0)
    model.add_amount(700)
    model.clear()

    assert record.names() == [
        *("inserted", "cart"),
        *("inserted", "cart"),
        *("changed", "cart"),
        *("changed", "cart"),
        *("changed", "cart"),
        *("removed", "cart"),
        *("inserted", "cart"),
        *("removed", "cart"),
        *("inserted", "cart"),
        *("removed", "cart"),
    ]
    rows = [details for name, details in record.events if name != "cart"]
    assert rows == [(0, 0), (1, 1), (0, 0), (1, 1), (1, 1), (1, 1), (1, 1), (0, 0), (1, 1), (0, 1)]
    assert "reset" not in record.names()
    # Each cart_changed carries the model's cart at that moment.
    final = record.events[-1][1]
    assert isinstance(final, Cart)
    assert final is model.cart
    assert final.is_empty
    assert model.rowCount() == 0


def test_model_rows_are_checked_and_a_no_op_emits_nothing(qtbot: Any) -> None:
    model = CartModel()
    record = Recorder(model)
    with pytest.raises(IndexError):
        model.increment(0)
    with pytest.raises(ValueError, match="positive"):
        model.add_amount(0)
    model.clear()  # already empty
    assert record.events == []
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.rowCount(QModelIndex()) == 0


def test_model_tax_rate_changes_totals_and_emits(qtbot: Any) -> None:
    model = CartModel()
    model.add_amount(10_000)
    carts: list[Cart] = []
    model.cart_changed.connect(carts.append)
    model.set_tax_rate(825)
    assert [cart.tax.cents for cart in carts] == [825]
    assert model.cart.total.cents == 10_825


# -- the panel -----------------------------------------------------------------------


def test_panel_totals_show_subtotal_tax_and_total_on_every_change(qtbot: Any) -> None:
    model, panel = make_panel(qtbot)
    assert (label(panel, "subtotalLabel"), label(panel, "totalLabel")) == ("$0.00", "$0.00")
    assert label(panel, "taxCaption") == "Tax (8.25 %)"

    model.add_item(LATTE)  # 4.25
    model.add_amount(1000)  # 10.00
    # 14.25 * 8.25 % = 1.1756... -> $1.18
    assert label(panel, "subtotalLabel") == "$14.25"
    assert label(panel, "taxLabel") == "$1.18"
    assert label(panel, "totalLabel") == "$15.43"
    total = panel.findChild(QLabel, "totalLabel")
    assert total is not None
    assert total.font().bold()
    assert total.font().pixelSize() > label_font_px(panel, "subtotalLabel")
    assert total.accessibleName() == "Total $15.43"

    model.clear()
    assert label(panel, "totalLabel") == "$0.00"


def label_font_px(panel: CartPanel, name: str) -> int:
    found = panel.findChild(QLabel, name)
    assert found is not None
    return found.font().pixelSize()


def test_panel_buttons_change_the_selected_line(qtbot: Any) -> None:
    model, panel = make_panel(qtbot)
    assert not button(panel, "increaseButton").isEnabled()
    assert not button(panel, "clearCartButton").isEnabled()

    model.add_item(LATTE)
    model.add_item(MUFFIN)
    assert panel.selected_row() == 1  # the line just added

    panel.select_row(0)
    qtbot.mouseClick(button(panel, "increaseButton"), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(button(panel, "increaseButton"), Qt.MouseButton.LeftButton)
    assert cell(model, 0, CartColumn.QUANTITY) == "3"
    qtbot.mouseClick(button(panel, "decreaseButton"), Qt.MouseButton.LeftButton)
    assert cell(model, 0, CartColumn.QUANTITY) == "2"
    assert label(panel, "subtotalLabel") == "$11.45"

    qtbot.mouseClick(button(panel, "removeLineButton"), Qt.MouseButton.LeftButton)
    assert [line.name for line in model.cart.lines] == ["Muffin"]
    assert panel.selected_row() == 0  # the neighbour, so the buttons keep working

    qtbot.mouseClick(button(panel, "decreaseButton"), Qt.MouseButton.LeftButton)
    assert model.cart.is_empty
    assert not button(panel, "removeLineButton").isEnabled()

    model.add_amount(250)
    model.add_amount(300)
    qtbot.mouseClick(button(panel, "clearCartButton"), Qt.MouseButton.LeftButton)
    assert model.rowCount() == 0
    assert label(panel, "totalLabel") == "$0.00"


def test_panel_keys_plus_minus_and_delete_act_on_the_selected_line(qtbot: Any) -> None:
    model, panel = make_panel(qtbot)
    model.add_item(LATTE)
    model.add_item(MUFFIN)
    view = panel.cart_view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Up)  # arrows move the selection
    assert panel.selected_row() == 0

    qtbot.keyClick(view, Qt.Key.Key_Plus)
    qtbot.keyClick(view, Qt.Key.Key_Plus, Qt.KeyboardModifier.KeypadModifier)
    assert model.cart.lines[0].quantity == 3
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert model.cart.lines[0].quantity == 2
    assert label(panel, "totalLabel") == model.cart.total.format() == "$12.39"

    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert [line.name for line in model.cart.lines] == ["Muffin"]
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert model.cart.is_empty


def test_panel_meets_touch_and_accessibility_rules(qtbot: Any) -> None:
    model, panel = make_panel(qtbot)
    model.add_item(LATTE)
    assert panel.cart_view.objectName() == "cartView"
    assert panel.cart_view.rowHeight(0) >= 44
    assert panel.cart_view.accessibleName()
    for name in ("increaseButton", "decreaseButton", "removeLineButton", "clearCartButton"):
        found = button(panel, name)
        assert found.width() >= 44
        assert found.height() >= 44
        assert found.accessibleName()


def test_quick_items_buttons_emit_the_item_and_feed_the_cart(qtbot: Any) -> None:
    model, panel = make_panel(qtbot)
    quick = QuickItems(catalog=Catalog([LATTE, MUFFIN]))
    qtbot.addWidget(quick)
    quick.show()
    quick.item_chosen.connect(model.add_item)
    latte = quick.findChild(QPushButton, "quickItem_latte")
    assert latte is not None
    assert latte.text() == "Latte\n$4.25"
    assert latte.height() >= 44
    assert latte.accessibleName() == "Add Latte, $4.25"
    qtbot.mouseClick(latte, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(latte, Qt.MouseButton.LeftButton)
    assert [(line.name, line.quantity) for line in model.cart.lines] == [("Latte", 2)]
    assert label(panel, "subtotalLabel") == "$8.50"

    quick.set_catalog(Catalog([MUFFIN]))
    assert quick.findChild(QPushButton, "quickItem_muffin") is not None
    assert quick.button("latte") is None


@pytest.mark.parametrize(("bps", "shown"), [(825, "8.25"), (700, "7"), (750, "7.5"), (5, "0.05")])
def test_tax_rate_text(bps: int, shown: str) -> None:
    assert tax_rate_text(bps) == shown


def test_quick_items_fit_long_names_from_the_sample_catalog(qtbot: Any, tmp_path: Any) -> None:
    from pos_app.resources import load_catalog

    catalog = load_catalog(tmp_path)  # the sample
    quick = QuickItems(catalog=catalog)
    qtbot.addWidget(quick)
    quick.show()
    for item in catalog:
        found = quick.button(item.code)
        assert found is not None
        assert found.objectName() == f"quickItem_{item.code}"
        assert found.width() >= found.sizeHint().width(), item.name  # not clipped
        assert found.height() >= 44


def test_the_figure_columns_fit_their_widest_figure_as_the_cart_changes(qtbot: Any) -> None:
    model, panel = make_panel(qtbot)
    header = panel.cart_view.horizontalHeader()
    metrics = panel.cart_view.fontMetrics()
    narrow = header.sectionSize(CartColumn.LINE_TOTAL)
    assert narrow >= header.fontMetrics().horizontalAdvance("Line total")  # the caption fits

    model.add_amount(9_876_543)  # $98,765.43: wider than its caption
    wide = header.sectionSize(CartColumn.LINE_TOTAL)
    assert wide > narrow
    assert wide >= metrics.horizontalAdvance("$98,765.43")
    assert header.sectionSize(CartColumn.UNIT_PRICE) == wide
    model.add_item(LATTE)
    assert header.sectionSize(CartColumn.LINE_TOTAL) == wide

    model.remove(0)
    assert header.sectionSize(CartColumn.LINE_TOTAL) == narrow  # and back


# -- the empty sale --------------------------------------------------------------------


def _table_built(panel: CartPanel) -> bool:
    return panel.findChild(QTableView, "cartView") is not None


def test_an_empty_sale_shows_a_hint_where_the_lines_go_and_the_table_with_its_first_line(
    qtbot: Any,
) -> None:
    model = CartModel()
    window = QWidget()  # focusable widgets around the panel, as in the till's window
    qtbot.addWidget(window)
    column = QVBoxLayout(window)
    column.addWidget(QPushButton("before"))
    panel = CartPanel(model)
    column.addWidget(panel)
    column.addWidget(QPushButton("after"))
    hint = panel.findChild(QLabel, "cartEmptyHint")
    assert hint is not None
    assert not _table_built(panel)  # the first screen does not wait for the table
    window.resize(520, 600)
    window.show()
    assert hint.isVisible()
    assert hint.text().startswith("No items yet")
    assert hint.accessibleName()

    model.add_item(LATTE)  # the first line builds the table if the loop has not yet
    assert panel.cart_view.isVisible()
    assert not hint.isVisible()
    assert panel.selected_row() == 0
    with qtbot.waitActive(window):
        window.activateWindow()
    panel.cart_view.setFocus()
    qtbot.keyClick(panel.cart_view, Qt.Key.Key_Tab)  # built late, still before the buttons
    assert QApplication.focusWidget() is panel.increase_button

    model.clear()
    assert hint.isVisible()
    assert not panel.cart_view.isVisible()
    model.add_amount(250)
    assert panel.cart_view.isVisible()
    assert not hint.isVisible()


def test_the_table_is_built_on_the_loops_first_turn_after_the_panel_shows(qtbot: Any) -> None:
    model, panel = make_panel(qtbot)
    assert not _table_built(panel)
    qtbot.waitUntil(lambda: _table_built(panel))  # one turn of Qt's loop, no line needed
    assert not panel.cart_view.isVisible()  # built, and hidden while the sale is empty
    model.add_item(MUFFIN)
    assert panel.cart_view.isVisible()
    assert panel.cart_view.rowHeight(0) >= 44
