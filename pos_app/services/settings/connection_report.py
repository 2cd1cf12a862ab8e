"""What a JustiFi connection test found, in a sentence for the shop's IT person.

`pos_app.justifi.connection.check_connection` fills a `ConnectionReport`;
the settings dialog shows its message as it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

__all__ = [
    "CONNECTION_SENTENCES",
    "TLS_REASONS",
    "ConnectionProblem",
    "ConnectionReport",
    "TerminalSummary",
    "connection_sentence",
]


class ConnectionProblem(StrEnum):
    """What a connection test found wrong."""

    INCOMPLETE = "incomplete"  # the form lacks what a test needs
    NOT_TESTED = "not_tested"  # demo mode without a running sandbox
    BAD_URL = "bad_url"
    HOST_NOT_FOUND = "host_not_found"  # DNS
    REFUSED = "refused"  # nothing listens there
    TIMEOUT = "timeout"
    TLS = "tls"
    DROPPED = "dropped"  # connected, then closed without an answer
    CREDENTIALS = "credentials"  # 401: wrong client id or secret
    SUB_ACCOUNT = "sub_account"  # 403: the credentials may not use this sub account
    UNEXPECTED = "unexpected"  # an answer, but not JustiFi's
    SERVER_ERROR = "server_error"  # 5xx / 429

    @property
    def unreachable(self) -> bool:
        """The URL could not be reached at all."""
        return self in _UNREACHABLE


_UNREACHABLE: Final = frozenset(
    {
        ConnectionProblem.HOST_NOT_FOUND,
        ConnectionProblem.REFUSED,
        ConnectionProblem.TIMEOUT,
        ConnectionProblem.DROPPED,
    }
)

# -- sentences (the manager and the shop's IT person read these) ------------------------

CONNECTION_SENTENCES: Final[dict[ConnectionProblem, str]] = {
    ConnectionProblem.INCOMPLETE: (
        "Fill in the JustiFi URL, client id, client secret and sub account first."
    ),
    ConnectionProblem.NOT_TESTED: (
        "Demo mode uses the built-in sandbox, started with the app: there is nothing to test."
    ),
    ConnectionProblem.BAD_URL: (
        "{url} is not a web address this app can use. Check the JustiFi URL: it is"
        " normally https://api.justifi.ai."
    ),
    ConnectionProblem.HOST_NOT_FOUND: (
        "The address {host} could not be found. Check the JustiFi URL for typos, and that"
        " this computer can reach the internet (its DNS works)."
    ),
    ConnectionProblem.REFUSED: (
        "Nothing at {host} accepted the connection. Check the JustiFi URL (host and port),"
        " and that no firewall blocks this computer."
    ),
    ConnectionProblem.TIMEOUT: (
        "{host} did not answer within {seconds} seconds. Check this computer's internet"
        " connection, firewall and proxy, then test again."
    ),
    ConnectionProblem.TLS: "The secure connection to {host} failed: {why}",
    ConnectionProblem.DROPPED: (
        "{host} closed the connection without answering. Check the JustiFi URL, and any"
        " proxy between this computer and the internet."
    ),
    ConnectionProblem.CREDENTIALS: (
        "JustiFi did not accept the client id and secret. Check both in the JustiFi"
        " dashboard, and that they belong together (a test client id needs its test secret)."
    ),
    ConnectionProblem.SUB_ACCOUNT: (
        "JustiFi accepted the client id and secret, but they may not use the sub account"
        " {sub_account}. Check the sub account id (acc_...) in the JustiFi dashboard."
    ),
    ConnectionProblem.UNEXPECTED: (
        "{host} answered, but not the way the JustiFi API does. Check the URL: it is the"
        " API's address (normally https://api.justifi.ai), without a path."
    ),
    ConnectionProblem.SERVER_ERROR: (
        "JustiFi at {host} is having trouble right now (a server error). Wait a few minutes"
        " and test again; if it goes on, contact JustiFi support."
    ),
}
TLS_REASONS: Final[dict[str, str]] = {
    "untrusted": (
        "its certificate is not trusted by this computer. Check that the URL names JustiFi's"
        " host, and that no proxy or antivirus intercepts secure connections."
    ),
    "expired": (
        "its certificate has expired or is not valid yet. Check this computer's date and time."
    ),
    "hostname": "its certificate is for another host name. Check the host name in the URL.",
    "not_tls": (
        "the server does not speak https on that port. Check the URL: JustiFi's address"
        " starts with https://."
    ),
    "other": (
        "the two sides could not agree on a secure connection. Check that no proxy or"
        " antivirus intercepts secure connections, and that this computer's system is up"
        " to date."
    ),
}
CONNECTED: Final = "Connected to JustiFi at {host}. {terminals}"
CONNECTED_NO_TERMINALS: Final = (
    "No terminals are set up for this sub account yet; add them in the JustiFi dashboard."
)
CONNECTED_ONE_TERMINAL: Final = "1 terminal: {names}."
CONNECTED_TERMINALS: Final = "{count} terminals: {names}."
MORE_TERMINALS: Final = "and {count} more"
TERMINALS_NAMED: Final = 8


def connection_sentence(problem: ConnectionProblem, **details: object) -> str:
    """The sentence for a problem, with its details ({host}, {port}, ...) filled in."""
    return CONNECTION_SENTENCES[problem].format(**details)


@dataclass(frozen=True)
class TerminalSummary:
    """A terminal as a connection test lists it."""

    id: str
    name: str
    status: str | None = None


@dataclass(frozen=True)
class ConnectionReport:
    """What a connection test found, in a sentence for the shop's IT person."""

    ok: bool
    message: str
    problem: ConnectionProblem | None = None
    terminals: tuple[TerminalSummary, ...] = ()

    @classmethod
    def connected(cls, host: str, terminals: Sequence[TerminalSummary]) -> ConnectionReport:
        """Success, naming the terminals found."""
        names = [t.name for t in terminals[:TERMINALS_NAMED]]
        if len(terminals) > TERMINALS_NAMED:
            names.append(MORE_TERMINALS.format(count=len(terminals) - TERMINALS_NAMED))
        if not terminals:
            listed = CONNECTED_NO_TERMINALS
        elif len(terminals) == 1:
            listed = CONNECTED_ONE_TERMINAL.format(names=names[0])
        else:
            listed = CONNECTED_TERMINALS.format(count=len(terminals), names=", ".join(names))
        return cls(True, CONNECTED.format(host=host, terminals=listed), None, tuple(terminals))

    @classmethod
    def failed(cls, problem: ConnectionProblem, **details: object) -> ConnectionReport:
        """Failure, with the problem's sentence."""
        return cls(False, connection_sentence(problem, **details), problem)
