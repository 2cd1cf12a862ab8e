"""Style sheets live in pos_app/resources/styles, ship with the package, and apply."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path
from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QVBoxLayout

from pos_app.resources import resource_path
from pos_app.ui.controls import MIN_TOUCH
from pos_app.ui.style import set_style_state, style_sheet

ROOT = Path(__file__).resolve().parents[2]
SHEETS = sorted(resource_path("styles").glob("*.qss"))


def test_every_sheet_loads_with_the_touch_size_filled_in() -> None:
    assert SHEETS, "no style sheets found"
    for path in SHEETS:
        sheet = style_sheet(path.stem)
        assert "@" not in sheet, path.name
        assert "44" not in path.read_text(encoding="utf-8"), f"{path.name}: use @touch"
    assert f"min-height: {MIN_TOUCH}px;" in style_sheet("receipt_view")


def test_a_sheet_is_read_once() -> None:
    assert style_sheet("pin_dialog") is style_sheet("pin_dialog")


def test_the_sheets_ship_with_the_package() -> None:
    # pip install (package-data) and the bundle (the spec collects resources/ whole).
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["pos_app"]
    for path in SHEETS:
        relative = path.relative_to(ROOT / "pos_app").as_posix()
        assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative


def test_buttons_under_a_sheet_are_touch_high(qtbot: Any) -> None:
    dialog = QDialog()
    dialog.setObjectName("receiptPreview")
    dialog.setStyleSheet(style_sheet("receipt_view"))
    qtbot.addWidget(dialog)
    button = QPushButton("Print", dialog)
    plain = QPushButton("Print")
    qtbot.addWidget(plain)
    assert plain.sizeHint().height() < MIN_TOUCH  # so the sheet is what makes it taller
    button.ensurePolished()
    assert button.sizeHint().height() >= MIN_TOUCH


def _pixel(label: QLabel) -> QColor:
    return label.grab().toImage().pixelColor(2, 2)


def test_a_state_property_switches_the_colours(qtbot: Any) -> None:
    dialog = QDialog()
    dialog.setObjectName("endOfDayDialog")
    dialog.setStyleSheet(style_sheet("report_view"))
    qtbot.addWidget(dialog)
    label = QLabel("Matches JustiFi", dialog)
    label.setObjectName("reportStatusLabel")
    QVBoxLayout(dialog).addWidget(label)
    dialog.show()
    set_style_state(label, "reportState", "ok")
    assert _pixel(label) == QColor("#e7f6ec")
    set_style_state(label, "reportState", "unchecked")
    assert _pixel(label) == QColor("#fef3c7")
