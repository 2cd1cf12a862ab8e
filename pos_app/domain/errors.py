"""The errors a person may read: one family, one question for every client.

A `UserFacingError`'s `message` is written for the cashier, the manager or the
shop's IT person: what happened and, where there is something to do, what.
A client (the window, the CLI) shows that message with its own presenter.
Anything else that escapes a use case is a bug: it goes to the client's one
bug funnel (the log with its traceback, then the bug dialog in the window or
exit code 4 with the log's path in the CLI), never to a person as raw text.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """An error whose `message` a person may read as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInputError(UserFacingError, ValueError):
    """What was typed or asked for cannot be used (an amount, a PIN, a refund over what is
    left); nothing changed, and the person can correct it."""


class NotPermittedError(UserFacingError):
    """The action needs someone else: a manager's PIN was missing, wrong or locked out."""


class ConfigurationError(UserFacingError):
    """The lane's settings or credentials stop the work; a manager or the shop's IT person
    fixes them (the CLI exits 3)."""


class UnavailableError(UserFacingError):
    """Something outside the till (JustiFi, the store's database, the keyring, a printer)
    could not be reached or used just now; trying again later may work."""


def user_message(error: BaseException) -> str | None:
    """The sentence a person may read for `error`; None when it is a bug."""
    return error.message if isinstance(error, UserFacingError) else None
