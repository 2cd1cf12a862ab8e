"""A receipt printer's trouble is a UserFacingError: a sentence for a person, not a bug."""

from __future__ import annotations

from pos_app.domain.errors import UnavailableError, user_message
from pos_app.printing.escpos import PrinterError


def test_a_printer_error_is_unavailable_and_readable() -> None:
    error = PrinterError("The printer at 10.0.0.9:9100 did not answer.")
    assert isinstance(error, UnavailableError)
    assert user_message(error) == "The printer at 10.0.0.9:9100 did not answer."
