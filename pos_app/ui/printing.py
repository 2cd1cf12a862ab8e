"""Printing from the window: Qt's print dialog (no nested loop), PDF files, plain text pages.

The receipt preview and the end-of-day report print through these; the
receipt printer (ESC/POS) lives in `pos_app.printing`, free of Qt.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QFont, QFontDatabase, QPageLayout, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QWidget

from pos_app.ui.tasks import finished_result

__all__ = ["PRINT_POINT_SIZE", "monospace_font", "plain_document", "print_with_dialog", "write_pdf"]

PRINT_POINT_SIZE = 10


def monospace_font(point_size: int = PRINT_POINT_SIZE) -> QFont:
    """The system's fixed-width font (columns must line up)."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    font.setPointSize(point_size)
    return font


def plain_document(body: str, title: str) -> QTextDocument:
    """A document of monospaced plain text, for printing."""
    document = QTextDocument()
    document.setDefaultFont(monospace_font())
    document.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, title)
    document.setPlainText(body)
    return document


def write_pdf(document: QTextDocument, path: Path) -> None:
    """Print `document` into a PDF file at `path` (OSError when it cannot be written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Qt reports an unwritable file only by printing nothing: find out first.
    with path.open("wb"):
        pass
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setPageMargins(QMarginsF(12, 12, 12, 12), QPageLayout.Unit.Millimeter)
    printer.setDocName(document.metaInformation(QTextDocument.MetaInformation.DocumentTitle))
    document.print_(printer)


async def print_with_dialog(parent: QWidget, document: QTextDocument) -> bool:
    """Ask for a printer (Qt's print dialog, opened without a nested loop) and print."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(document.metaInformation(QTextDocument.MetaInformation.DocumentTitle))
    dialog = QPrintDialog(printer, parent)
    try:
        result = await finished_result(dialog)
    finally:
        dialog.deleteLater()
    if result != QDialog.DialogCode.Accepted.value:
        return False
    document.print_(printer)
    return True
