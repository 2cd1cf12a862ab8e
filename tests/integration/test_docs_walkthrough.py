"""The curl walkthrough in docs/sandbox.md runs, as written, against a real sandbox.

Every ```bash block under the walkthrough heading is pasted, in order, into one
bash script with `set -euo pipefail`; only the base URL is changed, to a
sandbox of the test's own (a child process at the default time scale, so the
simulated customer's 3 s tap really happens).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.sandbox import sandbox_process

DOC = Path(__file__).resolve().parents[2] / "docs" / "sandbox.md"
HEADING = "## Walk through the seed's flow with curl"
DOC_URL_LINE = "B=http://127.0.0.1:8765"


def walkthrough_blocks() -> list[str]:
    """The ```bash blocks of the walkthrough section (up to the next `## ` heading)."""
    text = DOC.read_text(encoding="utf-8")
    assert HEADING in text, f"{DOC} lost its heading {HEADING!r}"
    section = text.split(HEADING, 1)[1]
    following = re.search(r"^## ", section, flags=re.MULTILINE)
    if following:
        section = section[: following.start()]
    return re.findall(r"^```bash\n(.*?)^```$", section, flags=re.MULTILINE | re.DOTALL)


def script_for(url: str) -> str:
    blocks = walkthrough_blocks()
    assert len(blocks) >= 8, f"expected the whole walkthrough, found {len(blocks)} blocks"
    script = "\n".join(blocks)
    lines = script.splitlines()
    assert lines.count(DOC_URL_LINE) == 1, f"the walkthrough must set {DOC_URL_LINE} once"
    return "set -euo pipefail\n" + "\n".join(
        f"B={url}" if line == DOC_URL_LINE else line for line in lines
    )


def test_walkthrough_blocks_are_well_formed() -> None:
    section = DOC.read_text(encoding="utf-8").split(HEADING, 1)[1]
    assert ".venv/bin/pos-app sandbox --port 8765" in section, "say how to start the sandbox"
    for block in walkthrough_blocks():
        assert "jq" not in block.split(), "the walkthrough must not need jq"
        assert not block.lstrip().startswith("$ "), "bash blocks hold commands, not prompts"


def test_curl_walkthrough_runs_as_written(tmp_path: Path) -> None:
    with sandbox_process() as url:
        script = tmp_path / "walkthrough.sh"
        script.write_text(script_for(url), encoding="utf-8")
        try:
            done = subprocess.run(
                ["bash", str(script)],
                capture_output=True,
                text=True,
                timeout=60,
                cwd=tmp_path,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"walkthrough took over 60 s; output so far: {exc.stdout!r}")
    output = done.stdout
    assert done.returncode == 0, (
        f"exit {done.returncode}\nstdout:\n{output}\nstderr:\n{done.stderr}"
    )
    lines = output.splitlines()
    assert lines[0].startswith("token: sbx_")
    assert "CONNECTED" in lines
    assert re.search(r"^payment intent: pi_\w+$", output, flags=re.MULTILINE)
    assert "intent: succeeded" in lines
    assert re.search(r"^payment: py_\w+$", output, flags=re.MULTILINE)
    assert re.search(r"^succeeded 1000 \S", output, flags=re.MULTILINE)
    # The refund went through on the terminal and shows on the payment.
    assert "payment: partially_refunded 500" in lines
    # The checkout variant completed too, and its payment is shown last.
    assert "checkout: completed" in lines
    assert lines[-1].startswith("py_")


# -- the scenario example ------------------------------------------------------------------


def scenario_example(tmp_path: Path) -> Path:
    blocks = re.findall(
        r"^```toml\n(.*?)^```$", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL
    )
    assert len(blocks) == 1, "docs/sandbox.md should have one TOML scenario example"
    path = tmp_path / "lanes.toml"
    path.write_text(blocks[0], encoding="utf-8")
    return path


def test_scenario_example_starts_the_fleet_it_describes(tmp_path: Path) -> None:
    with sandbox_process("--scenario", str(scenario_example(tmp_path))) as url:
        state = httpx.get(f"{url}/_sandbox/state", timeout=10).json()
        events = httpx.get(f"{url}/_sandbox/events", timeout=10).json()
    assert state["time_scale"] == 5
    terminals = {t["id"]: t for t in state["terminals"]}
    assert set(terminals) == {"trm_lane1", "trm_other_shop"}
    lane = terminals["trm_lane1"]
    assert (lane["behaviour"], lane["tap_after"], lane["model_name"]) == ("auto", 1.5, "P400")
    other = terminals["trm_other_shop"]
    assert (other["behaviour"], other["status"]) == ("manual", "disconnected")
    assert other["account_id"] == "acc_sandbox_other"
    assert events["publisher"]["names"] == ["payment.succeeded", "payment.failed"]


def test_banner_shows_the_time_scale_in_effect(tmp_path: Path) -> None:
    scenario = str(scenario_example(tmp_path))
    proc = subprocess.Popen(
        [sys.executable, "-m", "pos_app", "sandbox", "--port", "0", "--scenario", scenario],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        banner = [proc.stdout.readline().strip() for _ in range(5)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert banner[0].startswith("http://")
    assert "time scale:    5" in banner
