"""`pos-app --self-test` and the window-shown hook, run from source (no bundle build).

The same checks run frozen in test_bundle.py; here they cover the logic on every
run of the suite, in a subprocess as a shop would run it.
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

from pos_app.ui.shown import EXIT_WHEN_SHOWN_ENV, SHOWN_MARKER
from tests.packaging.support import (
    CHECKS,
    ROOT,
    check_lines,
    fenced_env,
    files_under,
    run,
    run_self_test,
)

SOURCE = [sys.executable, "-m", "pos_app"]


def test_self_test_passes_and_leaves_no_file_behind(tmp_path: Path) -> None:
    env = fenced_env(tmp_path)

    result = run_self_test(SOURCE, env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert check_lines(result.stdout) == dict.fromkeys(CHECKS, "OK"), result.stdout
    assert "FAILED" not in result.stdout
    assert result.stdout.splitlines()[-1] == f"self-test passed: {len(CHECKS)} checks OK"
    assert "`python -m pos_app sandbox` child process at http://127.0.0.1:" in result.stdout
    # Its journal, settings, logs and Qt settings lived in a temporary folder, now gone.
    assert files_under(tmp_path) == []


def test_self_test_reports_every_check_and_exits_1_when_one_fails(tmp_path: Path) -> None:
    # A setting no lane accepts: the settings check fails, and what needs it cannot run.
    env = fenced_env(tmp_path, POS_MAX_AMOUNT_CENTS="1")

    result = run_self_test(SOURCE, env)

    assert result.returncode == 1, result.stdout + result.stderr
    verdicts = check_lines(result.stdout)
    assert set(verdicts) == set(CHECKS), result.stdout
    assert verdicts["resources"] == "OK"
    assert verdicts["settings"] == "FAILED"
    assert verdicts["sandbox started"] == "FAILED"
    assert verdicts["charge"] == "FAILED"
    assert "FAILED  charge: not run (the sandbox did not start)" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("self-test FAILED: ")


def test_window_shown_hook_prints_the_marker_and_closes_the_app(tmp_path: Path) -> None:
    # The start-up benchmark's hook (tests/bench/bench_bundle.py): demo mode, so the
    # window also starts the sandbox child process and stops it on the way out.
    env = fenced_env(
        tmp_path,
        **{
            EXIT_WHEN_SHOWN_ENV: "1",
            "POS_DATA_DIR": str(tmp_path / "data"),
            "POS_CONFIG_DIR": str(tmp_path / "config"),
            "POS_LOG_DIR": str(tmp_path / "logs"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        },
    )

    result = run(SOURCE, env, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [SHOWN_MARKER]


def test_window_shown_hook_is_off_by_default() -> None:
    from pos_app.ui.shown import exit_when_shown

    class Window:
        closed = False

        def repaint(self) -> None:
            raise AssertionError("painted without the hook's variable")

        def close(self) -> None:
            self.closed = True

    window = Window()
    exit_when_shown(window)  # type: ignore[arg-type]
    assert not window.closed


def test_committed_icons_are_well_formed() -> None:
    icons = ROOT / "packaging" / "icons"
    png = (icons / "pos-app.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (256, 256)

    ico = (icons / "pos-app.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1)
    sides = []
    for index in range(count):
        side, _, _, _, _, _, size, offset = struct.unpack(
            "<BBBBHHII", ico[6 + 16 * index : 22 + 16 * index]
        )
        assert ico[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"
        assert offset + size <= len(ico)
        sides.append(side or 256)
    assert {16, 32, 48, 256} <= set(sides)

    icns = (icons / "pos-app.icns").read_bytes()
    assert icns[:4] == b"icns"
    assert struct.unpack(">I", icns[4:8])[0] == len(icns)
    kinds, at = set(), 8
    while at < len(icns):
        kinds.add(icns[at : at + 4])
        length = struct.unpack(">I", icns[at + 4 : at + 8])[0]
        assert icns[at + 8 : at + 16] == b"\x89PNG\r\n\x1a\n"
        at += length
    assert at == len(icns)
    assert {b"ic07", b"ic08", b"ic09", b"ic10"} <= kinds


def test_soak_rings_up_sales_through_the_window(tmp_path: Path) -> None:
    # The developer's soak (pos_app/soak.py) behind the self-test flag: a dozen sales,
    # one declined (sale 7 ends .91), one in cash (sale 8), one refunded (the tenth card
    # approved), rows every 6; the shift closes with the drawer even.
    result = run(
        [*SOURCE, "--self-test", "--soak", "12", "--every", "6"], fenced_env(tmp_path), 120
    )

    assert "stopped:" not in result.stdout, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    tally = "sales: 10 approved, 1 declined, 0 cancelled on the device, 1 refunded, 1 in cash"
    assert tally in lines
    header = lines.index(next(line for line in lines if line.split()[:2] == ["sales", "time"]))
    assert [line.split()[0] for line in lines[header + 1 : header + 3]] == ["6", "12"]
    assert any(line.startswith("shift closed: 1 cash sales") for line in lines), lines
    assert lines[-1] in ("soak PASSED", "soak FAILED")
    assert result.returncode == (0 if lines[-1] == "soak PASSED" else 1)
    assert files_under(tmp_path) == []
