"""Render the cashier's main screens to PNG against a real sandbox.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/render_screens.py docs/screenshots

Empty cart, cart with items, waiting, approved, declined, unresolved, refund,
and the virtual-terminal window; then the staff and the manager's screens:
the owner's set-up and recovery code, the sign-in, the till with who is signed
in, a manager's approval at a cashier's till, a manager's sign-in, history,
refund from the history, receipt, end of day, audit log, settings and staff,
and the owner's PIN recovery; last, a lane migrated from the old manager PIN:
staff without a recovery code, and the offer after the owner's sign-in; then the
till's cash: a discount, the cart with discounts, the tender dialog, a split sale in
progress, the shift's close count, its Z report and the end of day with cash.
Dialogs are painted over the window the way the cashier sees them.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
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
            sandbox.fault("error_page", "/v1/*", method="GET", count=10_000, status=502)
            await wait_until(lambda: dialog_state() == "retrying")
            await asyncio.sleep(0.2)
            save("06a-retrying", composite(window, window.flow.dialog))
            await wait_until(lambda: dialog_state() == "unresolved", within=30)
            save("06-unresolved", composite(window, window.flow.dialog))
            sandbox.control("DELETE", "faults")
            window.flow.dialog.findChild(QWidget, "keepOpenButton").click()
            await window.flow.slot.task
            # The picker's next refresh finds JustiFi again.
            await wait_until(lambda: "Cannot reach" not in window.picker.status_label.text())
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


async def render_manager(out: Path, url: str) -> list[Path]:
    from pos_app.app import attach_manager_tools
    from pos_app.config import load_settings
    from pos_app.domain.staff import StaffRole
    from pos_app.justifi.client import JustifiClient
    from pos_app.resources import load_catalog
    from pos_app.services.reports import ReceiptService
    from pos_app.ui.main_window import MainWindow
    from tests.support.lanes import TEST_ENGINE, collect, lane

    sandbox = SandboxHandle(url)
    sandbox.reset()
    written: list[Path] = []

    def save(name: str, pixmap: QPixmap) -> None:
        path = out / f"{name}.png"
        pixmap.save(str(path))
        written.append(path)

    def find(name: str) -> QWidget | None:
        for top in QApplication.topLevelWidgets():
            if top.isVisible() and top.objectName() == name:
                return top
        return None

    with tempfile.TemporaryDirectory() as tmp:
        engine = dataclasses.replace(TEST_ENGINE, lane="Front till")
        async with lane(url, Path(tmp) / "journal.sqlite3", engine=engine) as test_lane:
            header = ["Corner Coffee", "12 Main Street, Springfield", "(555) 010-0199"]
            window = MainWindow(
                test_lane.service,
                environment="DEMO",
                lane="Front till",
                catalog=load_catalog(Path(tmp)),
                remembered_terminal="trm_side",
                terminal_refresh_ms=300,
                receipts=ReceiptService(test_lane.journal, header),
            )
            manager = attach_manager_tools(
                window,
                test_lane.journal,
                test_lane.service,
                JustifiClient(test_lane.http),
                load_settings(lane="Front till"),
                Path(tmp) / "audit.sqlite3",
            )
            window.resize(1180, 760)
            window.show()
            await window.start()
            for amount in (1325, 480, 2260, 915):
                run = await test_lane.service.charge(
                    amount, "trm_side", "Latte, croissant", served_by="Bob Marsh"
                )
                await collect(run)
            sandbox.paid_intent(3150, card="mastercard")  # another lane's sale
            tools = window.tools
            assert tools is not None

            # A lane with nobody: the owner's set-up, then the recovery code shown once.
            tools.session.start()
            setup = await wait_until(lambda: find("ownerSetupDialog"))
            await asyncio.sleep(0.2)
            save("16-owner-setup", composite(window, setup))
            setup.name_edit.setText("Ann Lee")
            setup.submit()
            for _ in range(2):  # the PIN, then again
                for digit in "735190":
                    setup.pad.type_digit(digit)
                setup.submit()
            await asyncio.sleep(0.1)
            save("17-owner-recovery-code", composite(window, setup))
            setup.submit()
            await wait_until(lambda: tools.session.dialog is None)
            owner = manager.current()
            assert owner is not None
            manager.add_person("Carla Diaz", StaffRole.MANAGER, "864209", by=owner)
            manager.add_person("Bob Marsh", StaffRole.CASHIER, "2580", by=owner)
            manager.add_person("Dee Park", StaffRole.CASHIER, "1397", by=owner)

            # Switch person: the sign-in, a name tapped; then the till with Bob on it.
            tools.session.switch_person()
            sign_in = await wait_until(lambda: find("signInDialog"))
            sign_in.choose("Bob Marsh")
            await asyncio.sleep(0.2)
            save("18-sign-in", composite(window, sign_in))
            sign_in.recover_button.click()  # the owner's way back from a forgotten PIN
            recovery = await wait_until(lambda: find("ownerRecoveryDialog"))
            await asyncio.sleep(0.2)
            save("22-owner-recovery", composite(window, recovery))
            recovery.reject()
            await wait_until(lambda: find("ownerRecoveryDialog") is None)
            for digit in "2580":
                sign_in.pad.type_digit(digit)
            sign_in.submit()
            await wait_until(lambda: tools.session.dialog is None)
            await wait_until(lambda: window.person_label and "Bob" in window.person_label.text())
            window.cart_model.add_amount(675)
            await asyncio.sleep(0.3)
            save("21-till-signed-in", window.grab())
            window.cart_model.clear()

            # Refund last sale at Bob's till: a manager or owner approves it there.
            last = window.flow.last_sale()
            assert last is not None
            tools.refund(last.payment_id or "")
            approval = await wait_until(lambda: find("pinDialog"))
            await asyncio.sleep(0.2)
            save("19-approval", composite(window, approval))
            approval.reject()
            await wait_until(lambda: not tools.slot.running)

            # History needs a manager or owner signed in.
            tools.slot.start(tools.open_history())
            await wait_until(lambda: find("pinDialog"))
            await asyncio.sleep(0.2)
            save("09-manager-pin", composite(window, find("pinDialog")))
            manager.sign_in("735190", "Ann Lee")
            pin = find("pinDialog")
            assert pin is not None
            pin.reject()
            await tools.slot.task
            tools.slot.start(tools.open_history())
            history = await wait_until(lambda: find("historyWindow"))
            await wait_until(lambda: history.model.remote_count == 1)
            history.select_row(1)
            await wait_until(history.refund_button.isEnabled)
            save("10-history", history.grab())

            history.refund_button.click()
            refund = await wait_until(lambda: history.findChild(QWidget, "refundDialog"))
            await asyncio.sleep(0.2)
            save("11-history-refund", composite(history, refund))
            refund.reject()
            await wait_until(lambda: not tools.slot.running)

            history.reprint_button.click()
            preview = await wait_until(lambda: history.findChild(QWidget, "receiptPreview"))
            await asyncio.sleep(0.1)
            save("12-receipt", preview.grab())
            preview.reject()
            history.reject()

            tools.slot.start(tools.open_end_of_day())
            report = await wait_until(lambda: find("endOfDayDialog"))
            await asyncio.sleep(1.5)
            save("13-end-of-day", report.grab())
            report.reject()

            tools.slot.start(tools.open_audit_log())
            audit = await wait_until(lambda: find("auditLogDialog"))
            await asyncio.sleep(0.3)
            save("14-audit-log", audit.grab())
            audit.reject()

            os.environ["POS_CONFIG_DIR"] = str(Path(tmp) / "config")  # never the real one
            tools.slot.start(tools.open_settings())
            settings = await wait_until(lambda: find("settingsDialog"))
            await asyncio.sleep(0.3)
            save("15-settings", settings.grab())
            settings.reject()
            await tools.slot.task

            tools.slot.start(tools.open_staff())
            staff = await wait_until(lambda: find("staffDialog"))
            staff.select("Dee Park")
            await asyncio.sleep(0.3)
            save("20-staff", staff.grab())
            staff.reject()
            await tools.slot.task
            window.close()
    return written


async def render_migrated(out: Path) -> list[Path]:
    """A lane migrated from the old single manager PIN (no JustiFi needed): Staff... says
    it has no recovery code, and the offer the owner gets after signing in."""
    from pos_app.domain.staff import StaffRole
    from pos_app.storage.audit import SqliteAuditLog
    from pos_app.ui.owner_setup import OwnerSetupDialog
    from pos_app.ui.staff_dialog import StaffDialog
    from tests.support.manager import Clock
    from tests.support.migrated_lane import MIGRATED_OWNER, OLD_PIN, v1_audit_file
    from tests.support.staff_screens import staff_service

    written: list[Path] = []
    with (
        tempfile.TemporaryDirectory() as tmp,
        SqliteAuditLog(v1_audit_file(Path(tmp) / "audit.sqlite3")) as audit,
    ):
        service = staff_service(audit, Clock())
        assert service.sign_in(OLD_PIN, MIGRATED_OWNER).ok
        owner = service.current()
        assert owner is not None
        service.add_person("Bob Marsh", StaffRole.CASHIER, "2580", by=owner)
        staff = StaffDialog(service)
        staff.show()
        await wait_until(staff.isVisible)
        await asyncio.sleep(0.3)
        written.append(out / "23-staff-no-recovery-code.png")
        staff.grab().save(str(written[-1]))
        staff.reject()
        offer = OwnerSetupDialog(service, new_code_by=owner, offer=True)
        offer.show()
        await wait_until(offer.isVisible)
        await asyncio.sleep(0.2)
        written.append(out / "24-recovery-code-offer.png")
        offer.grab().save(str(written[-1]))
        offer.force_close()
    return written


async def render_till(out: Path, url: str) -> list[Path]:
    """Discounts, cash, a split sale in progress, the shift's close and its Z report, and
    the end of day with cash, at a till wired as the app wires it."""
    from pos_app.domain.discount import Discount, DiscountKind
    from tests.support.till import find, open_shift, open_till

    SandboxHandle(url).reset()
    written: list[Path] = []

    def save(name: str, pixmap: QPixmap) -> None:
        path = out / f"{name}.png"
        pixmap.save(str(path))
        written.append(path)

    with tempfile.TemporaryDirectory() as tmp:
        header = ("Corner Coffee", "12 Main Street, Springfield")
        async with open_till(url, Path(tmp), lane_name="Front till", header=header) as till:
            window, sandbox = till.window, SandboxHandle(url)
            window.resize(1180, 760)
            tools = till.shift_tools
            await open_shift(None, till, "150.00")
            catalog = window.catalog.items
            for item in catalog[:3]:
                window.cart_model.add_item(item)
            window.cart_model.add_item(catalog[0])
            first = window.cart_model.cart.lines[0].line_id
            window.cart_model.set_line_discount(
                first, Discount(DiscountKind.PERCENT, 1000, "Damaged")
            )
            window.cart_panel.select_row(0)
            assert window.discounts is not None
            window.discounts.open()
            dialog = await wait_until(lambda: find("discountDialog"))
            await asyncio.sleep(0.3)
            save("25-discount", composite(window, dialog))
            dialog.reject()
            await wait_until(lambda: find("discountDialog") is None)
            window.cart_model.set_sale_discount(Discount(DiscountKind.AMOUNT, 100, "Loyalty"))
            await asyncio.sleep(0.2)
            save("26-cart-discounts", window.grab())

            # Cash: $20 handed over on a larger sale is a part; the change shows for $50.
            window.cash_button.click()
            tender = await wait_until(lambda: find("tenderDialog"))
            tender.findChild(QWidget, "quickNote5000").click()
            await asyncio.sleep(0.3)
            save("27-tender-dialog", composite(window, tender))
            tender.findChild(QWidget, "quickNote500").click()
            tender.findChild(QWidget, "takeCashButton").click()
            await till.finish_flow()

            # A card part declined: the panel keeps the cash part and shows the balance.
            window.charge_button.click()
            await till.wait_dialog_state("waiting")
            sandbox.present("trm_virtual", decline_code="card_declined")
            await till.wait_dialog_state("declined")
            find("backToSaleButton").click()
            await till.finish_flow()
            await asyncio.sleep(0.3)
            save("28-split-in-progress", window.grab())
            window.charge_button.click()
            await till.wait_dialog_state("waiting")
            sandbox.present("trm_virtual", card="visa")
            await till.wait_dialog_state("approved")
            find("newSaleButton").click()
            await till.finish_flow()

            # The close: a blind count by note and coin, then the Z report ($1.35 short).
            task = tools.slot.start_if_idle(tools.close_shift())
            close = await wait_until(lambda: find("shiftCloseDialog"))
            expected = tools.shifts.expected_cash()
            counted = expected - 135
            for cents in (10000, 5000, 2000, 1000, 500, 100, 25, 10, 5, 1):
                close.count.set_count(cents, counted // cents)
                counted %= cents
            await asyncio.sleep(0.3)
            save("29-shift-close", composite(window, close))
            close.findChild(QWidget, "closeShiftButton").click()
            view = await wait_until(lambda: tools.report_view)
            await asyncio.sleep(0.3)
            save("30-z-report", view.grab())
            view.reject()
            assert task is not None
            await task

            manager_tools = window.tools
            assert manager_tools is not None
            manager_tools.slot.start(manager_tools.open_end_of_day())
            report = await wait_until(lambda: find("endOfDayDialog"))
            await asyncio.sleep(1.5)
            save("31-end-of-day-cash", report.grab())
            report.reject()
            await manager_tools.slot.task
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
        written += runner.run(render_manager(out, url))
        written += runner.run(render_migrated(out))
        written += runner.run(render_till(out, url))
        # The screens' leftovers go while Qt's loop still runs: collected after it closed,
        # their deletion starts timers without a dispatcher and can crash the exit.
        gc.collect()
        runner.run(asyncio.sleep(0.1))
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
