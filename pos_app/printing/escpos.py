"""Receipts on ESC/POS thermal printers, through python-escpos (an optional extra).

The receipt's plain text (`pos_app.domain.receipt.render_text`, at the
printer's width) is turned into ESC/POS bytes by python-escpos's in-memory
`Dummy` printer (code pages, cut), then delivered:

- network printers (raw TCP, port 9100) over asyncio, so the window never waits;
- USB, serial and device-file printers through python-escpos's own classes. Those
  writes are short (a receipt is about a kilobyte) and run on the loop: the app
  keeps no I/O threads (see ARCHITECTURE.md).

python-escpos is imported only when a receipt is printed, so the app runs
without it; `escpos_installed()` says whether it is there and
`INSTALL_COMMAND` how to add it.

The cash drawer hangs on the receipt printer: `EscposDrawer` opens it with the
ESC/POS pulse (`drawer_pulse_bytes`), delivered exactly as a receipt is. The
pulse is raw bytes, so opening the drawer does not need python-escpos on a
network printer.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Final, Protocol

from pos_app.domain.errors import UnavailableError

__all__ = [
    "INSTALL_COMMAND",
    "EscposDrawer",
    "EscposPrinter",
    "EscposTarget",
    "PrinterError",
    "ThermalPrinter",
    "drawer_pulse_bytes",
    "escpos_bytes",
    "escpos_installed",
]

log = logging.getLogger("pos_app.printing.escpos")

INSTALL_COMMAND: Final = 'pip install "pos-app[escpos]"'
TARGET_KINDS: Final = ("network", "usb", "serial", "file")
DEFAULT_PORT: Final = 9100
# ESC p m t1 t2: pulse drawer pin m (0: connector pin 2) on for t1 x 2 ms, off for t2 x 2 ms.
_DRAWER_PULSE: Final = (0x1B, ord("p"))
_PULSE_ON: Final = 25  # 50 ms: long enough for every drawer solenoid we know of
_PULSE_OFF: Final = 250  # 500 ms before the printer takes the next command


class PrinterError(UnavailableError):
    """The receipt did not reach the printer (not installed, not found, no answer).

    Its message is for the person setting the printer up; the receipt preview
    shows the cashier its own short sentence and logs this one."""


class ThermalPrinter(Protocol):
    """A receipt printer that takes plain text in a fixed number of columns."""

    @property
    def columns(self) -> int:
        """Characters per line in the default font (32, 42 or 48 usually)."""
        ...

    async def print_text(self, text: str) -> None:
        """Print the text and cut the paper; PrinterError when it could not."""
        ...


def escpos_installed() -> bool:
    """Whether python-escpos can be imported."""
    return importlib.util.find_spec("escpos") is not None


def _module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise PrinterError(f"The receipt printer needs python-escpos: {INSTALL_COMMAND}") from exc


@dataclass(frozen=True)
class EscposTarget:
    """Where the printer is: `kind` is network, usb, serial or file.

    `address` is a host name or IP (network), "vendor:product" in hex (usb) or
    a device path (serial, file).
    """

    kind: str
    address: str
    port: int = DEFAULT_PORT

    def __post_init__(self) -> None:
        if self.kind not in TARGET_KINDS:
            raise ValueError(f"printer kind must be one of {', '.join(TARGET_KINDS)}")
        if not self.address.strip():
            raise ValueError("the printer's address is missing")

    @classmethod
    def parse(cls, spec: str) -> EscposTarget:
        """Read "network:192.168.1.50[:9100]", "usb:04b8:0202", "serial:/dev/ttyUSB0"
        or "file:/dev/usb/lp0" (as a setting would hold it)."""
        kind, _, rest = spec.strip().partition(":")
        kind = kind.lower()
        if kind == "network":
            host, _, port = rest.rpartition(":") if rest.count(":") == 1 else (rest, "", "")
            if not port:
                return cls(kind, rest)
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError(f"not a port number: {port!r}")
            return cls(kind, host, int(port))
        if kind == "usb":
            _usb_ids(rest)
        return cls(kind, rest)

    def describe(self) -> str:
        """Where the printer is, for a message."""
        if self.kind == "network":
            return f"{self.address}:{self.port}"
        return f"{self.kind} {self.address}"


def _usb_ids(address: str) -> tuple[int, int]:
    vendor, _, product = address.partition(":")
    try:
        return int(vendor, 16), int(product, 16)
    except ValueError:
        raise ValueError(
            f"a USB printer is vendor:product in hex, like 04b8:0202: {address!r}"
        ) from None


def escpos_bytes(text: str, *, cut: bool = True, profile: str | None = None) -> bytes:
    """The ESC/POS commands that print `text` (and cut), made in memory by python-escpos."""
    printer_module = _module("escpos.printer")
    dummy = printer_module.Dummy(profile=profile) if profile else printer_module.Dummy()
    dummy.text(text.rstrip("\n") + "\n")
    if cut:
        dummy.cut()
    return bytes(dummy.output)


class EscposPrinter:
    """A `ThermalPrinter` on an ESC/POS printer.

    `encode` turns the text into printer bytes (python-escpos by default; tests
    pass their own), `open_device` makes a python-escpos printer for USB,
    serial and file targets (the default uses python-escpos's classes).
    """

    def __init__(
        self,
        target: EscposTarget,
        *,
        columns: int = 42,
        cut: bool = True,
        profile: str | None = None,
        timeout: float = 10.0,
        encode: Callable[[str], bytes] | None = None,
        open_device: Callable[[EscposTarget], Any] | None = None,
    ) -> None:
        self.target = target
        self._columns = columns
        self.cut = cut
        self.profile = profile
        self.timeout = timeout
        self._encode = encode or self._escpos_encode
        self._open_device = open_device or _open_device

    @property
    def columns(self) -> int:
        """Characters per line."""
        return self._columns

    def _escpos_encode(self, text: str) -> bytes:
        return escpos_bytes(text, cut=self.cut, profile=self.profile)

    async def print_text(self, text: str) -> None:
        """Print the text and cut; PrinterError when the printer cannot be reached."""
        await self.send_bytes(self._encode(text))

    async def send_bytes(self, data: bytes) -> None:
        """Deliver ESC/POS bytes as they are (a receipt, a drawer pulse); PrinterError when
        the printer cannot be reached."""
        try:
            if self.target.kind == "network":
                await self._send_network(data)
            else:
                self._send_device(data)
        except PrinterError:
            raise
        except (OSError, TimeoutError) as exc:
            log.warning("printer %s failed: %s", self.target.describe(), exc)
            raise PrinterError(f"The printer at {self.target.describe()} did not answer.") from exc

    async def _send_network(self, data: bytes) -> None:
        async with asyncio.timeout(self.timeout):
            _, writer = await asyncio.open_connection(self.target.address, self.target.port)
            try:
                writer.write(data)
                await writer.drain()
            finally:
                writer.close()
                await writer.wait_closed()

    def _send_device(self, data: bytes) -> None:
        device = self._open_device(self.target)
        try:
            device.open()
            device._raw(data)
        except Exception as exc:
            # python-escpos raises its own errors (and pyusb's); all mean "not printed".
            log.warning("printer %s failed: %s", self.target.describe(), exc)
            raise PrinterError(f"The printer at {self.target.describe()} did not answer.") from exc
        finally:
            try:
                device.close()
            except Exception:  # closing a device that never opened
                log.debug("closing printer %s failed", self.target.describe(), exc_info=True)


def drawer_pulse_bytes(pin: int = 0) -> bytes:
    """ESC p 0 25 250: the pulse that opens the drawer on the printer's drawer port
    (`pin` 0 is connector pin 2, the usual one; 1 is pin 5)."""
    if pin not in (0, 1):
        raise ValueError("the drawer pin is 0 (connector pin 2) or 1 (pin 5)")
    return bytes((*_DRAWER_PULSE, pin, _PULSE_ON, _PULSE_OFF))


class EscposDrawer:
    """A cash drawer (`services.drawer.CashDrawer`) on the receipt printer's drawer port.

    The pulse goes the way the printer's receipts go (`EscposPrinter.send_bytes`), so
    a printer that prints opens the drawer. `open` raises `PrinterError` when the
    printer could not be reached; the caller tells the cashier to use the key.
    """

    def __init__(
        self,
        target: EscposTarget,
        *,
        pin: int = 0,
        timeout: float = 5.0,
        open_device: Callable[[EscposTarget], Any] | None = None,
    ) -> None:
        self.target = target
        self._pulse = drawer_pulse_bytes(pin)
        self._printer = EscposPrinter(target, timeout=timeout, open_device=open_device)

    @property
    def kind(self) -> str:
        """Always "printer"."""
        return "printer"

    async def open(self, reason: str) -> None:
        """Send the pulse; `PrinterError` when the printer could not be reached."""
        log.info("opening the cash drawer (%s)", reason)
        await self._printer.send_bytes(self._pulse)


def _open_device(target: EscposTarget) -> Any:
    printer_module = _module("escpos.printer")
    if target.kind == "usb":
        vendor, product = _usb_ids(target.address)
        return printer_module.Usb(vendor, product)
    if target.kind == "serial":
        return printer_module.Serial(target.address)
    return printer_module.File(target.address)
