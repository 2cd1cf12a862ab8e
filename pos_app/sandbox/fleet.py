"""Simulated terminals, test cards and the outcome-by-amount table.

A terminal's `behaviour` says who acts on it:

- `auto`: a simulated customer acts `tap_after` simulated seconds after the
  sale reaches the device, with the outcome the amount asks for (below);
- `manual`: nobody acts until the virtual-terminal window or the control API
  presents a card, declines or presses X; after 90 s the device gives up.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEVICE_TIMEOUT_SECONDS = 90.0
"""A real terminal gives up on a sale after 90 s of nobody acting."""

BEHAVIOURS = ("auto", "manual")


@dataclass(frozen=True)
class TestCard:
    """A card the simulated customer can tap."""

    __test__ = False  # not a pytest test class, whatever its name says

    key: str
    brand: str
    last4: str
    cardholder_name: str
    expiry: str


TEST_CARDS: tuple[TestCard, ...] = (
    TestCard("visa", "Visa", "4242", "Amanda Kessel", "05/42"),
    TestCard("mastercard", "Mastercard", "4444", "Hilary Knight", "11/41"),
    TestCard("amex", "American Express", "8431", "Kendall Coyne", "02/40"),
    TestCard("discover", "Discover", "1117", "Marie-Philip Poulin", "08/43"),
)


def find_card(key: str | None, amount: int = 0) -> TestCard | None:
    """A test card by key, brand or last four; None when unknown.

    Without a key the card depends on the amount, so the demo shows several brands
    while every run of the same amount gives the same card.
    """
    if not key:
        return TEST_CARDS[(amount // 100) % len(TEST_CARDS)]
    wanted = key.strip().lower()
    for card in TEST_CARDS:
        if wanted in (card.key, card.brand.lower(), card.last4):
            return card
    return None


@dataclass(frozen=True)
class AmountOutcome:
    """What an `auto` terminal's customer does for a given amount."""

    action: str  # approve | decline | cancel | walk_away
    code: str | None = None
    message: str | None = None


DECLINES: dict[str, str] = {
    "card_declined": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "expired_card": "Your card has expired.",
    "do_not_honor": "The card issuer declined this transaction.",
    "pin_required": "The card requires a PIN.",
    "incorrect_pin": "The PIN entered was incorrect.",
}

# How a session ends without a card: X pressed, or nobody acted for 90 s.
CANCELED_ON_TERMINAL = "canceled_on_terminal"
TERMINAL_TIMEOUT = "terminal_timeout"
ERROR_MESSAGES: dict[str, str] = {
    CANCELED_ON_TERMINAL: "The transaction was canceled on the terminal.",
    TERMINAL_TIMEOUT: "The terminal timed out waiting for a card.",
    **DECLINES,
}


def error_description(code: str | None) -> str | None:
    """The sentence JustiFi gives for a failed attempt's code; None without a code."""
    if not code:
        return None
    return ERROR_MESSAGES.get(code)


# The cents part of the amount picks the outcome, like Stripe's test amounts.
OUTCOME_BY_CENTS: dict[int, AmountOutcome] = {
    91: AmountOutcome("decline", "card_declined", DECLINES["card_declined"]),
    92: AmountOutcome("decline", "insufficient_funds", DECLINES["insufficient_funds"]),
    93: AmountOutcome("decline", "expired_card", DECLINES["expired_card"]),
    94: AmountOutcome("decline", "do_not_honor", DECLINES["do_not_honor"]),
    95: AmountOutcome("cancel"),
    96: AmountOutcome("walk_away"),
}


def outcome_for_amount(amount: int) -> AmountOutcome:
    """The outcome-by-amount table (documented in the README)."""
    return OUTCOME_BY_CENTS.get(amount % 100, AmountOutcome("approve"))


@dataclass(frozen=True)
class TerminalSpec:
    """One simulated terminal as a fleet or scenario describes it."""

    id: str
    nickname: str
    behaviour: str = "auto"
    tap_after: float = 3.0
    connected: bool = True
    model_name: str = "e285"
    sub_account: str | None = None  # None: the sandbox's main sub account

    def __post_init__(self) -> None:
        for name in ("id", "nickname", "behaviour", "model_name"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"terminal {name} must be a string")
        if self.sub_account is not None and not isinstance(self.sub_account, str):
            raise TypeError("terminal sub_account must be a string")
        if not isinstance(self.connected, bool):
            raise TypeError(f"terminal {self.id}: connected must be true or false")
        if not self.id.startswith("trm_"):
            raise ValueError(f"terminal id {self.id!r} must start with trm_")
        if self.behaviour not in BEHAVIOURS:
            raise ValueError(f"terminal {self.id}: behaviour must be one of {BEHAVIOURS}")
        if not 0 <= self.tap_after <= DEVICE_TIMEOUT_SECONDS:
            raise ValueError(f"terminal {self.id}: tap_after must be between 0 and 90 seconds")


DEFAULT_FLEET: tuple[TerminalSpec, ...] = (
    TerminalSpec("trm_front", "Front counter", "auto", tap_after=3.0),
    TerminalSpec("trm_side", "Side counter", "auto", tap_after=2.0, model_name="P400"),
    TerminalSpec("trm_virtual", "Virtual terminal", "manual"),
    TerminalSpec("trm_patio", "Patio (slow customer)", "auto", tap_after=30.0),
    TerminalSpec("trm_backoffice", "Back office", "auto", connected=False, model_name="P400"),
)


@dataclass
class Scenario:
    """Everything a scenario file may set; unset values keep the defaults."""

    terminals: tuple[TerminalSpec, ...] = DEFAULT_FLEET
    time_scale: float | None = None
    event_url: str | None = None
    event_secret: str | None = None
    event_names: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def load_scenario(path: Path) -> Scenario:
    """Read a TOML scenario; ValueError with the file's name on any mistake."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read scenario {path}: {exc}") from exc
    try:
        return scenario_from_dict(doc)
    except (TypeError, ValueError, KeyError) as exc:
        raise ValueError(f"scenario {path}: {exc}") from exc


def scenario_from_dict(doc: dict[str, Any]) -> Scenario:
    """Build a scenario from parsed TOML."""
    scenario = Scenario()
    terminals = doc.get("terminal")
    if terminals is not None:
        if not isinstance(terminals, list) or not terminals:
            raise ValueError("[[terminal]] must list at least one terminal")
        specs = tuple(TerminalSpec(**_terminal_fields(t)) for t in terminals)
        ids = [spec.id for spec in specs]
        if len(set(ids)) != len(ids):
            raise ValueError("terminal ids must be unique")
        scenario.terminals = specs
    sandbox = doc.get("sandbox", {})
    if "time_scale" in sandbox:
        scale = sandbox["time_scale"]
        if isinstance(scale, bool) or not isinstance(scale, int | float):
            raise TypeError("[sandbox] time_scale must be a number")
        if not (math.isfinite(scale) and 0 < scale <= 10_000):
            raise ValueError("[sandbox] time_scale must be a positive number up to 10000")
        scenario.time_scale = float(scale)
    events = doc.get("events", {})
    if events:
        scenario.event_url = str(events["url"])
        scenario.event_secret = str(events["secret"])
        scenario.event_names = tuple(str(name) for name in events.get("names", ()))
    return scenario


def _terminal_fields(table: Any) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise TypeError("each [[terminal]] must be a table")
    allowed = {
        "id",
        "nickname",
        "behaviour",
        "tap_after",
        "connected",
        "model_name",
        "sub_account",
    }
    unknown = set(table) - allowed
    if unknown:
        raise ValueError(f"unknown terminal keys: {', '.join(sorted(unknown))}")
    fields = dict(table)
    if "tap_after" in fields:
        tap_after = fields["tap_after"]
        if isinstance(tap_after, bool) or not isinstance(tap_after, int | float):
            raise TypeError("terminal tap_after must be a number of seconds")
        fields["tap_after"] = float(tap_after)
    return fields
