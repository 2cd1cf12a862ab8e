"""The soak's PASS/FAIL: growth from the warm-up row to the end, against `soak.GOALS`."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pos_app.soak import GOALS, Row, verdict

WARM = Row(
    sales=100,
    seconds=45.0,
    rss_mb=133.5,
    objects=78_000,
    widgets=228,
    qobjects=367,
    fds=32,
    tasks=1,
    approve_ms=10.0,
    approve_p95_ms=25.0,
    none_refs=76_000,
    true_refs=8_100,
    false_refs=7_650,
    load=1.0,
)


def run_of(last: Row) -> list[Row]:
    """Warm-up, a row like it, then three rows like `last`: growth that stays."""
    return [WARM, replace(WARM, sales=1000), *(replace(last, sales=n) for n in (1800, 1900)), last]


def test_a_level_run_passes() -> None:
    last = replace(WARM, sales=2000, rss_mb=WARM.rss_mb + 4.6, approve_ms=9.4)

    assert verdict(run_of(last), []) == []


@pytest.mark.parametrize(
    ("change", "missed"),
    [
        ({"rss_mb": WARM.rss_mb + 10.5}, "memory grew 10.5 MB (goal: at most 10)"),
        ({"widgets": 229}, "widgets grew from 228 to 229 (goal: no growth)"),
        ({"fds": 40}, "fds grew from 32 to 40 (goal: no growth)"),
        ({"approve_ms": 11.5}, "approve-to-screen went from 10.0 ms to 11.5 ms"),
        ({"none_refs": WARM.none_refs - 300}, "sys.getrefcount(None) fell 300"),
        ({"true_refs": WARM.true_refs - 300}, "sys.getrefcount(True) fell 300"),
    ],
)
def test_each_goal_missed_is_named(change: dict[str, float], missed: str) -> None:
    last = replace(WARM, sales=2000, **change)

    [reason] = verdict(run_of(last), [])

    assert reason.startswith(missed)


def test_a_task_in_flight_at_the_last_row_is_not_growth() -> None:
    rows = [WARM, replace(WARM, sales=1900), replace(WARM, sales=2000, tasks=2)]

    assert verdict(rows, []) == []
    rows[1] = replace(rows[1], tasks=2)
    rows.insert(1, replace(WARM, sales=1800, tasks=2))
    assert verdict(rows, []) == ["tasks grew from 1 to 2 (goal: no growth)"]


def test_none_rising_is_not_a_drain_and_a_millisecond_is_noise() -> None:
    # PySide6 6.11.3 adds about one reference to None per QObject destroyed: harmless.
    last = replace(WARM, sales=2000, none_refs=821_402, approve_ms=1.0)
    fast = [replace(WARM, approve_ms=0.5), last]

    assert verdict(fast, []) == []
    assert GOALS.approve_slack_ms == 1.0


def test_errors_and_short_runs_fail() -> None:
    assert verdict([WARM], []) == ["too short: fewer than two rows of figures"]
    assert verdict(run_of(replace(WARM, sales=2000)), ["boom"]) == [
        "1 unhandled errors, the first: boom"
    ]
