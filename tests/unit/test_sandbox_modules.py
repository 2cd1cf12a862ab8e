"""The sandbox's layout: its rules load without the web stack, and stand alone.

The till reads the demo credentials from `pos_app.sandbox.engine` while it
starts, so importing the engine (and with it every rule module) must not load
the web server or an HTTP client; and the sandbox stands for a foreign
system, so none of its modules may import the rest of `pos_app`.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pos_app.sandbox

SANDBOX = Path(pos_app.sandbox.__file__).parent
WEB_STACK = ("starlette", "uvicorn", "httpx", "anyio", "h11")


def _loaded_after(statement: str) -> list[str]:
    code = f"import sys, json; {statement}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return list(json.loads(out.stdout))


RULES = (
    "engine",
    "accounts",
    "ledger",
    "tokens",
    "payment_intents",
    "checkouts",
    "payments",
    "refunds",
    "terminals",
    "sessions",
    "device",
    "validation",
    "errors",
)


def test_the_engine_and_its_rules_load_no_web_stack() -> None:
    imports = "; ".join(f"import pos_app.sandbox.{name}" for name in RULES)
    loaded = _loaded_after(imports)
    assert [m for m in loaded if m.split(".")[0] in WEB_STACK] == []
    # The check itself sees the web stack when it is there.
    assert "starlette" in _loaded_after("import pos_app.sandbox.api")


def test_no_sandbox_module_imports_the_rest_of_the_app() -> None:
    offenders = []
    for path in sorted(SANDBOX.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(SANDBOX)}: {name}"
                for name in names
                if name.startswith("pos_app")
                and not name.startswith("pos_app.sandbox")
                and name != "pos_app.sandbox"
            ]
    assert offenders == []
