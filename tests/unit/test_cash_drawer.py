"""The cash drawer on the receipt printer: the ESC/POS pulse, delivered as receipts are."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pos_app.config import load_settings
from pos_app.printing.escpos import (
    EscposDrawer,
    EscposTarget,
    PrinterError,
    drawer_pulse_bytes,
)
from pos_app.services.drawer import DRAWER_KINDS, CashDrawer, NoDrawer
from pos_app.wiring import drawer_for
from tests.support.memory_keyring import isolate_settings


def test_the_pulse_is_esc_p_0_25_250() -> None:
    assert drawer_pulse_bytes() == b"\x1bp\x00\x19\xfa"
    assert drawer_pulse_bytes(1) == b"\x1bp\x01\x19\xfa"
    with pytest.raises(ValueError, match="pin"):
        drawer_pulse_bytes(2)


async def test_a_network_printer_gets_the_pulse_over_tcp() -> None:
    received: list[bytes] = []
    done = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.read())
        writer.close()
        done.set()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        drawer: CashDrawer = EscposDrawer(EscposTarget("network", "127.0.0.1", port))
        assert drawer.kind == "printer"
        await drawer.open("sale")
        await asyncio.wait_for(done.wait(), 5)
    assert received == [b"\x1bp\x00\x19\xfa"]


class FakeDevice:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[object] = []

    def open(self) -> None:
        self.calls.append("open")
        if self.fail:
            raise OSError("no such device")

    def _raw(self, data: bytes) -> None:
        self.calls.append(data)

    def close(self) -> None:
        self.calls.append("close")


async def test_a_device_printer_gets_the_pulse_and_a_missing_one_is_a_printer_error() -> None:
    device = FakeDevice()
    drawer = EscposDrawer(EscposTarget("usb", "04b8:0202"), open_device=lambda _t: device)
    await drawer.open("no sale")
    assert device.calls == ["open", b"\x1bp\x00\x19\xfa", "close"]

    broken = FakeDevice(fail=True)
    drawer = EscposDrawer(EscposTarget("file", "/dev/usb/lp0"), open_device=lambda _t: broken)
    with pytest.raises(PrinterError, match="did not answer"):
        await drawer.open("sale")


async def test_a_network_printer_that_is_off_is_a_printer_error() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    drawer = EscposDrawer(EscposTarget("network", "127.0.0.1", port), timeout=2)
    with pytest.raises(PrinterError):
        await drawer.open("sale")


async def test_no_drawer_opens_by_hand() -> None:
    drawer: CashDrawer = NoDrawer()
    assert drawer.kind == "none"
    assert drawer.kind in DRAWER_KINDS
    await drawer.open("sale")  # nothing wired: nothing fails


def test_the_lane_s_drawer_is_on_its_receipt_printer_or_opened_by_hand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate_settings(monkeypatch, tmp_path / "config")
    assert drawer_for(load_settings()).kind == "none"
    monkeypatch.setenv("POS_RECEIPT_PRINTER", "network:10.0.0.5:9101")
    drawer = drawer_for(load_settings())
    assert isinstance(drawer, EscposDrawer)
    assert drawer.target == EscposTarget("network", "10.0.0.5", 9101)
