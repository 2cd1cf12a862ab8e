"""Style sheets from `pos_app/resources/styles/`, and restyling by a widget's property.

A sheet is `styles/<name>.qss`, found through `pos_app.resources.resource_path`
so a frozen bundle finds it too. In a sheet `@touch` stands for the till's
smallest touch target (`controls.MIN_TOUCH`, a number of pixels: write
`min-height: @touchpx;`), so the 44 px live in one place. Sheets are read once
per process and cached: start-up reads each file at most once.

A widget whose look follows its state carries a dynamic property
(`QLabel#reportStatusLabel[reportState="ok"]` in the sheet); `set_style_state`
changes the property and re-polishes the widget, and only when it changed.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtWidgets import QWidget

from pos_app.resources import resource_path
from pos_app.ui.controls import MIN_TOUCH

__all__ = ["set_style_state", "style_sheet"]

TOUCH_PLACEHOLDER = "@touch"


@cache
def style_sheet(name: str) -> str:
    """The style sheet `styles/<name>.qss`, with `@touch` replaced by `MIN_TOUCH`.

    A missing sheet raises FileNotFoundError: it ships with the app, so that is a bug."""
    sheet = resource_path(f"styles/{name}.qss").read_text(encoding="utf-8")
    return sheet.replace(TOUCH_PLACEHOLDER, str(MIN_TOUCH))


def set_style_state(widget: QWidget, name: str, value: str) -> None:
    """Set the dynamic property `name` the style sheet selects on, and re-polish `widget`."""
    if widget.property(name) == value:
        return  # no re-polish on every poll
    widget.setProperty(name, value)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
