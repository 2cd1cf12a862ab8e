"""The simulated account's keys and sub accounts, and everything a start needs.

The demo credentials are public on purpose: they open nothing but this
sandbox. The till reads them (through `engine`) to point demo mode here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pos_app.sandbox.fleet import Scenario

DEMO_CLIENT_ID = "sandbox_client_id"
DEMO_CLIENT_SECRET = "sandbox_client_secret"
DEMO_SUB_ACCOUNT = "acc_sandbox_demo"
OTHER_SUB_ACCOUNT = "acc_sandbox_other"


@dataclass
class SandboxConfig:
    """Everything the sandbox needs to start."""

    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    sub_account: str = DEMO_SUB_ACCOUNT
    other_sub_accounts: tuple[str, ...] = (OTHER_SUB_ACCOUNT,)
    platform_account: str = "acc_sandbox_platform"
    token_ttl: float = 24 * 3600.0
    time_scale: float = 1.0
    scenario: Scenario = field(default_factory=Scenario)
    state_path: Path | None = None

    @property
    def sub_accounts(self) -> tuple[str, ...]:
        """Every sub account the credentials may act for."""
        return (self.sub_account, *self.other_sub_accounts)

    @property
    def start_scale(self) -> float:
        """The clock's speed at start and after a reset: the scenario's, else the option."""
        return self.scenario.time_scale or self.time_scale
