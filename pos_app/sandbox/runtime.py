"""What a serving sandbox keeps beside the account: faults, keys, events, counts.

One `Runtime` per app (`api.create_app`), reached by every route through the
app's state. The account (`engine.Sandbox`) holds JustiFi's objects; this
holds what belongs to the process serving them.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.requests import Request

from pos_app.sandbox.accounts import SandboxConfig
from pos_app.sandbox.engine import Sandbox
from pos_app.sandbox.events import EventSender, Publisher
from pos_app.sandbox.fault_plan import FaultPlan
from pos_app.sandbox.idempotency import IdempotencyKeys

Refuser = Callable[[float], Awaitable[None]]


def scenario_publisher(config: SandboxConfig) -> Publisher | None:
    """The event publisher a scenario file names, if any."""
    scenario = config.scenario
    if scenario.event_url and scenario.event_secret:
        return Publisher(scenario.event_url, scenario.event_secret, scenario.event_names)
    return None


@dataclass
class Runtime:
    """Per-process state next to the sandbox's objects."""

    sandbox: Sandbox
    faults: FaultPlan = field(default_factory=FaultPlan)
    events: EventSender = field(default_factory=EventSender)
    keys: IdempotencyKeys = field(init=False)
    requests: Counter[str] = field(default_factory=Counter)
    refuse: Refuser | None = None  # set by the server: stop accepting for a while
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.keys = IdempotencyKeys(self.sandbox.store)
        self.events.configure(scenario_publisher(self.sandbox.config))

    def reset(self) -> None:
        """Everything back to a fresh start (control API)."""
        self.sandbox.reset()
        self.faults.reset()
        self.keys.clear()
        self.requests.clear()
        self.events.configure(scenario_publisher(self.sandbox.config))


def runtime_of(request: Request) -> Runtime:
    """The runtime of the app serving `request`."""
    runtime: Runtime = request.app.state.runtime
    return runtime
