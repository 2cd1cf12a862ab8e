"""Draw the app icon with QPainter and write pos-app.png, pos-app.ico and pos-app.icns.

Run from the repository root when the drawing changes (the files are committed):

    .venv/bin/python packaging/icons/make_icons.py

Shapes only, no text: the same pixels on every machine, whatever its fonts.
The .ico and .icns containers are written here by hand with PNG entries (Windows
Vista and later, macOS 10.7 and later read those), so Linux can make both.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen

HERE = Path(__file__).resolve().parent
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# icns entry types holding PNG data, by pixel size (the @2x types repeat sizes).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)


def draw(size: int) -> QImage:
    """The icon at `size` pixels: a card on a blue tile, with a green tick."""
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    s = size / 64.0  # drawn on a 64-unit grid
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#1d4ed8"))
    painter.drawRoundedRect(QRectF(2 * s, 2 * s, 60 * s, 60 * s), 12 * s, 12 * s)
    painter.setBrush(QColor("#ffffff"))
    painter.drawRoundedRect(QRectF(9 * s, 17 * s, 42 * s, 28 * s), 4 * s, 4 * s)
    painter.setBrush(QColor("#1e293b"))
    painter.drawRect(QRectF(9 * s, 23 * s, 42 * s, 6 * s))
    painter.setBrush(QColor("#94a3b8"))
    painter.drawRoundedRect(QRectF(14 * s, 35 * s, 14 * s, 4 * s), 1.5 * s, 1.5 * s)
    painter.setBrush(QColor("#16a34a"))
    painter.drawEllipse(QPointF(46 * s, 44 * s), 12 * s, 12 * s)
    tick = QPainterPath(QPointF(40 * s, 44.5 * s))
    tick.lineTo(44.5 * s, 49 * s)
    tick.lineTo(52.5 * s, 39.5 * s)
    pen = QPen(QColor("#ffffff"), 3.2 * s)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(tick)
    painter.end()
    return image


def png_bytes(size: int) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not draw(size).save(buffer, "PNG"):  # type: ignore[call-overload]  # stubs say bytes
        raise RuntimeError("Qt could not write a PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO file holding one PNG per size (ICONDIR, ICONDIRENTRYs, images)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, images = b"", b""
    for size in sizes:
        png = pngs[size]
        side = size if size < 256 else 0  # 0 means 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset)
        images += png
        offset += len(png)
    return header + entries + images


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICNS file: 'icns', total length, then (type, length, PNG) entries."""
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    sizes = {*ICO_SIZES, *(size for _, size in ICNS_TYPES)}
    pngs = {size: png_bytes(size) for size in sorted(sizes)}
    (HERE / "pos-app.png").write_bytes(pngs[256])
    (HERE / "pos-app.ico").write_bytes(ico_bytes({size: pngs[size] for size in ICO_SIZES}))
    (HERE / "pos-app.icns").write_bytes(icns_bytes(pngs))
    for name in ("pos-app.png", "pos-app.ico", "pos-app.icns"):
        sys.stdout.write(f"{name}: {(HERE / name).stat().st_size} bytes\n")
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
