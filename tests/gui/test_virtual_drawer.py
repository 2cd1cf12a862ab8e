"""The demo's cash drawer in the virtual-terminal window."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from pos_app.services.drawer import CashDrawer
from pos_app.ui.virtual_drawer import VirtualDrawer
from pos_app.ui.virtual_terminal import VirtualTerminalWindow


class NoControl:
    """The window's sandbox client, never asked here."""

    async def state(self) -> dict[str, Any]:
        return {"terminals": []}


async def test_the_drawer_shows_open_with_its_reason_until_closed(qtbot: Any) -> None:
    drawer: CashDrawer = VirtualDrawer()
    assert isinstance(drawer, VirtualDrawer)
    qtbot.addWidget(drawer)
    assert drawer.kind == "virtual"
    assert not drawer.is_open
    assert not drawer.close_button.isEnabled()
    await drawer.open("sale")
    assert drawer.is_open
    assert drawer.state_label.text() == "OPEN"
    assert drawer.reason_label.text() == "Opened for: sale"
    qtbot.mouseClick(drawer.close_button, Qt.MouseButton.LeftButton)
    assert not drawer.is_open
    assert drawer.state_label.text() == "Shut"
    await drawer.open("no sale")
    assert drawer.times_opened == 2
    assert drawer.reason_label.text() == "Opened for: no sale"


def test_the_virtual_terminal_window_holds_the_drawer(qtbot: Any) -> None:
    window = VirtualTerminalWindow(NoControl())  # type: ignore[arg-type]
    qtbot.addWidget(window)
    assert window.findChild(VirtualDrawer, "virtualDrawer") is window.drawer
