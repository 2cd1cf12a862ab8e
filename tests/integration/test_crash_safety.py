"""Kill `pos-app charge` at random moments; recovery loses no sale and charges nothing twice.

Each run starts a charge on an auto terminal (the customer taps quickly) and
SIGKILLs it after a seeded random delay spread over the whole charge: before
the journal write, before and after the sale is created, while waiting and
after the outcome. After all runs on one shared journal, `pos-app recover`
settles everything, and the journal must agree with the sandbox exactly.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli_support import crash_loop
from tests.support.sandbox import SandboxHandle

pytestmark = pytest.mark.slow  # `-m 'not slow'` leaves it out of a quick local run

RUNS_PER_FLOW = 20  # enough kills that at least two land mid-charge on a slow machine


@pytest.mark.parametrize("flow", ["payment_intent", "checkout"])
def test_kill_anywhere_then_recover(sandbox: SandboxHandle, tmp_path: Path, flow: str) -> None:
    seed = 1 if flow == "payment_intent" else 2
    report = crash_loop(sandbox, tmp_path, runs=RUNS_PER_FLOW, flow=flow, seed=seed)
    print("\n".join(report.lines()))
    assert report.recover_exit in (0, 2)
    assert report.left_unfinished == []
    assert report.mismatches == []
    # the kills really landed in different phases, not all before start or after exit
    assert sum(report.phases[p] for p in ("preparing", "sending", "waiting")) >= 2, report.phases
