"""Render the cashier's main screens to PNG against a real sandbox.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/render_screens.py docs/screenshots

Empty cart, cart with items, waiting, approved, declined, unresolved, refund,
and the virtual-terminal window. Dialogs are painted over the window the way
the cashier sees them.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import qasync
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from tests.support.gui import wait_until
from tests.support.sandbox import SandboxHandle, sandbox_process


def composite(window: QWidget, dialog: QWidget | None) -> QPixmap:
    """The window with a dialog painted over its middle, dimmed behind."""
    shot = window.grab()
    if dialog is None:
        return shot
    painter = QPainter(shot)
    painter.fillRect(shot.rect(), QColor(0, 0, 0, 90))
    over = dialog.grab()
    at = QPoint((shot.width() - over.width()) // 2, (shot.height() - over.height()) // 2)
    painter.drawPixmap(at, over)
    painter.end()
    return shot


async def render(out: Path, url: str) -> list[Path]:
    from pos_app.domain.cart import Catalog
    from pos_app.resources import load_catalog
    from pos_app.sandbox.remote import SandboxControl
    from pos_app.ui.main_window import MainWindow
    from pos_app.ui.virtual_terminal import VirtualTerminalWindow
    from tests.support.lanes import lane

    sandbox = SandboxHandle(url)
    sandbox.reset()
    written: list[Path] = []

    def save(name: str, pixmap: QPixmap) -> None:
        path = out / f"{name}.png"
        pixmap.save(str(path))
        written.append(path)

    with tempfile.TemporaryDirectory() as tmp:
        catalog: Catalog = load_catalog(Path(tmp))
        async with lane(url, Path(tmp) / "journal.sqlite3") as test_lane:
            control = SandboxControl(url)
            virtual = VirtualTerminalWindow(control)
            window = MainWindow(
                test_lane.service,
                environment="DEMO",
                lane="Front till",
                catalog=catalog,
                tax_rate_bps=825,
                remembered_terminal="trm_virtual",
                terminal_refresh_ms=300,
                spinner_delay_ms=0,
                virtual_terminal=virtual,
            )
            window.resize(1180, 760)
            window.show()
            await window.start()
            await wait_until(lambda: window.picker.current() is not None)
            await asyncio.sleep(0.2)
            save("01-empty-cart", window.grab())

            items = list(catalog.items)[:3]
            for item in items:
                window.cart_model.add_item(item)
            window.cart_model.add_item(items[0])
            await asyncio.sleep(0.1)
            save("02-cart-with-items", window.grab())

            def dialog_state() -> str | None:
                dialog = window.flow.dialog
                return str(dialog.property("state")) if dialog is not None else None

            await wait_until(window.charge_button.isEnabled)
            window.charge()
            await wait_until(lambda: dialog_state() == "waiting")
            await asyncio.sleep(1.2)  # the spinner and the elapsed time show
            save("03-waiting", composite(window, window.flow.dialog))
            virtual.resize(900, 620)
            virtual.show()
            await virtual.refresh()
            await asyncio.sleep(0.2)
            save("08-virtual-terminal", virtual.grab())
            virtual.hide()
            sandbox.present("trm_virtual", card="visa")
            await wait_until(lambda: dialog_state() == "approved")
            save("04-approved", composite(window, window.flow.dialog))
            window.flow.dialog.findChild(QWidget, "newSaleButton").click()
            await window.flow.slot.task

            window.cart_model.add_item(items[1])
            await wait_until(window.charge_button.isEnabled)
            window.charge()
            await wait_until(lambda: dialog_state() == "waiting")
            sandbox.present("trm_virtual", decline_code="insufficient_funds")
            await wait_until(lambda: dialog_state() == "declined")
            save("05-declined", composite(window, window.flow.dialog))
            window.flow.dialog.findChild(QWidget, "backToSaleButton").click()
            await window.flow.slot.task

            # No answer from JustiFi past the deadline: unresolved, never a decline.
            await wait_until(window.charge_button.isEnabled)
            window.charge()
            await wait_until(lambda: dialog_state() == "waiting")
            sandbox.fault("drop", "/v1/*", method="GET", count=10_000)
            await wait_until(lambda: dialog_state() == "unresolved", within=30)
            save("06-unresolved", composite(window, window.flow.dialog))
            sandbox.control("DELETE", "faults")
            window.flow.dialog.findChild(QWidget, "keepOpenButton").click()
            await window.flow.slot.task
            await asyncio.sleep(0.1)
            save("06b-unresolved-banner", window.grab())

            window.refund_button.click()
            await wait_until(lambda: window.findChild(QWidget, "refundDialog") is not None)
            refund = window.findChild(QWidget, "refundDialog")
            await asyncio.sleep(0.2)
            save("07-refund", composite(window, refund))
            refund.reject()
            await window.flow.slot.task
            window.close()
            await control.aclose()
    return written


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication([])
    QApplication.setQuitOnLastWindowClosed(False)  # the loop ends with render(), not a window
    with (
        sandbox_process("--time-scale", "20") as url,
        asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(app)) as runner,
    ):
        written = runner.run(render(out, url))
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
