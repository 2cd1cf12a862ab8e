"""The sandbox's JustiFi: one simulated account, and the names other code imports.

Pure bookkeeping with no web stack: the HTTP side (`api` and `routes`) turns
requests into calls on the rule modules and `ApiError` into JustiFi's error
body. Each rule lives in a module of its own, all handed the account's books
(`ledger.Ledger`):

- `accounts`: the demo keys and sub accounts, `SandboxConfig`;
- `tokens`: bearer tokens and the Sub-Account header;
- `payment_intents`, `checkouts`, `payments`, `refunds`: JustiFi's objects;
- `terminals`: the simulated devices; `sessions`: sending a sale or a refund
  to one; `device`: the customer acting on it, and its 90 s deadline;
- `validation`: JustiFi-shaped 4xx for bad fields; `errors`: `ApiError`.

Behaviour JustiFi does not document follows the decisions in docs/sandbox.md.
Importing this module loads neither the web server nor an HTTP client, so the
till can read the demo credentials from it at start.
"""

from __future__ import annotations

from collections.abc import Iterable

from pos_app.sandbox import device, terminals
from pos_app.sandbox.accounts import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_SUB_ACCOUNT,
    OTHER_SUB_ACCOUNT,
    SandboxConfig,
)
from pos_app.sandbox.clock import SandboxClock
from pos_app.sandbox.errors import ApiError
from pos_app.sandbox.fleet import TERMINAL_TIMEOUT, TerminalSpec
from pos_app.sandbox.ledger import Event, Ledger
from pos_app.sandbox.tokens import Tokens

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_SUB_ACCOUNT",
    "OTHER_SUB_ACCOUNT",
    "ApiError",
    "Event",
    "Sandbox",
    "SandboxConfig",
]


class Sandbox(Ledger):
    """The simulated JustiFi account: its books, its tokens, its life cycle."""

    def __init__(self, config: SandboxConfig) -> None:
        super().__init__(config)
        self.tokens = Tokens(config)
        if self.store.is_empty():
            self._install_fleet(config.scenario.terminals)
        else:
            self._settle_interrupted_sessions()

    def reset(self) -> None:
        """Forget every object and token; the scenario's fleet again."""
        self.store.clear()
        self.tokens.clear()
        self.clock = SandboxClock(self.config.start_scale)
        self._install_fleet(self.config.scenario.terminals)

    def tick(self) -> None:
        """Let the devices act whose time has come (before every request)."""
        device.tick(self)

    def _install_fleet(self, specs: Iterable[TerminalSpec]) -> None:
        for spec in specs:
            terminals.add(self, spec)

    def _settle_interrupted_sessions(self) -> None:
        # A session running when the sandbox stopped never heard from its
        # device again; from the API's side the device gave up.
        for session in self.store.all("session"):
            if session["status"] == "created":
                device.finish_without_card(self, session, TERMINAL_TIMEOUT)
