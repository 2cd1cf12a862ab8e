"""A sandbox in a child process, and a handle to drive it over HTTP.

Every test talks to the sandbox over real HTTP on 127.0.0.1. One child
process serves the whole session (starting it costs about half a second);
each test resets its state through the control API first.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

CLIENT_ID = "sandbox_client_id"
CLIENT_SECRET = "sandbox_client_secret"
SUB_ACCOUNT = "acc_sandbox_demo"
OTHER_SUB_ACCOUNT = "acc_sandbox_other"


@contextmanager
def sandbox_process(*args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start `pos-app sandbox --port 0 ARGS` and yield its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pos_app", "sandbox", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http://"):
            _, err = proc.communicate(timeout=10)
            raise RuntimeError(f"sandbox did not start: {url!r} {err}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll a condition until it returns something truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


@dataclass
class SandboxHandle:
    """A sandbox's URL with helpers for the JustiFi API and the control API."""

    url: str
    client: httpx.Client = field(init=False)
    _token: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=10.0)

    # control API
    def control(self, method: str, path: str, body: Any = None) -> Any:
        response = self.client.request(method, f"/_sandbox/{path}", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    def reset(self) -> None:
        self.control("POST", "reset")
        self._token = None

    def set_time(self, *, scale: float | None = None, advance: float | None = None) -> None:
        body: dict[str, Any] = {}
        if scale is not None:
            body["scale"] = scale
        if advance is not None:
            body["advance_seconds"] = advance
        self.control("POST", "time", body)

    def fault(
        self, kind: str, path: str = "*", method: str = "*", count: int | None = None, **extra: Any
    ) -> dict[str, Any]:
        """Arm a fault (without `count`: once, or unlimited with a `probability`); its listing."""
        body = {"kind": kind, "path": path, "method": method, **extra}
        if count is not None:
            body["count"] = count
        armed: list[dict[str, Any]] = self.control("POST", "faults", body)
        return armed[-1] if armed else {}

    def present(
        self, terminal_id: str, card: str | None = None, decline_code: str | None = None
    ) -> Any:
        body: dict[str, Any] = {}
        if card:
            body["card"] = card
        if decline_code:
            body["decline_code"] = decline_code
        return self.control("POST", f"terminals/{terminal_id}/present", body)

    def press_x(self, terminal_id: str) -> Any:
        return self.control("POST", f"terminals/{terminal_id}/cancel", {})

    def stats(self) -> Any:
        return self.control("GET", "stats")

    # JustiFi API
    def token(self) -> str:
        if self._token is None:
            response = self.client.post(
                "/oauth/token", json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
            )
            assert response.status_code == 200, response.text
            self._token = response.json()["access_token"]
        return self._token

    def headers(
        self,
        sub_account: str | None = SUB_ACCOUNT,
        key: str | None = None,
    ) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token()}"}
        if sub_account:
            headers["Sub-Account"] = sub_account
        if key:
            headers["Idempotency-Key"] = key
        return headers

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = None,
        sub_account: str | None = SUB_ACCOUNT,
        **kwargs: Any,
    ) -> httpx.Response:
        if method == "POST" and key is None:
            key = os.urandom(8).hex()
        return self.client.request(
            method, path, json=body, headers=self.headers(sub_account, key), **kwargs
        )

    def ok(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        response = self.call(method, path, body, **kwargs)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def create_intent(self, amount: int = 1000, **extra: Any) -> dict[str, Any]:
        body = {"amount": amount, "currency": "usd", "description": "test sale", **extra}
        return self.ok("POST", "/v1/payment_intents", body)["data"]

    def create_checkout(self, amount: int = 1000) -> dict[str, Any]:
        return self.ok("POST", "/v1/checkouts", {"amount": amount, "description": "test"})["data"]

    def get(self, path: str) -> dict[str, Any]:
        return self.ok("GET", path)["data"]

    def pay(
        self, terminal_id: str, *, intent_id: str | None = None, checkout_id: str | None = None
    ) -> httpx.Response:
        body: dict[str, Any] = {"terminal_id": terminal_id}
        if intent_id:
            body["payment_intent_id"] = intent_id
        if checkout_id:
            body["checkout_id"] = checkout_id
        return self.call("POST", "/v1/terminals/pay", body)

    def paid_intent(
        self, amount: int = 1000, terminal_id: str = "trm_virtual", card: str = "visa"
    ) -> dict[str, Any]:
        """An intent paid on the manual terminal with a chosen card."""
        intent = self.create_intent(amount)
        assert self.pay(terminal_id, intent_id=intent["id"]).status_code == 201
        self.present(terminal_id, card=card)
        return self.get(f"/v1/payment_intents/{intent['id']}")


CONTRACT_DIR = Path(
    os.environ.get(
        "POS_CONTRACT_DIR",
        Path(__file__).resolve().parents[2].parent / "shared" / "justifi" / "contract",
    )
)
