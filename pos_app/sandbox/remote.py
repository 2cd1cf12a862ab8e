"""Start the sandbox as a child process (demo mode, tests): never a thread.

A server thread inside the GUI process is a crash hazard (Python's garbage
collector freeing Qt objects off the GUI thread), so the demo runs the same
executable with the `sandbox` subcommand and reads its URL from the first line of
its output, which goes to a file the loop can look at without blocking (no thread).
`SandboxControl` then drives that child's control API (`/_sandbox/`) over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


def sandbox_command() -> list[str]:
    """How to run `pos-app sandbox` from here, also when frozen."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "sandbox"]
    return [sys.executable, "-m", "pos_app", "sandbox"]


#: How often `wait_url` looks at the child's output file: far under a frame.
URL_POLL_SECONDS = 0.01
URL_WAIT_SECONDS = 60.0  # a cold frozen start on a slow till may take a while


@dataclass
class SandboxProcess:
    """A sandbox child process writing its output to `output` (a file, not a pipe, so
    the GUI loop can look at it without blocking); its first line is the URL."""

    process: subprocess.Popen[bytes]
    output: Path
    _url: str | None = None

    @property
    def url(self) -> str:
        """The sandbox's URL, waiting for it (blocking; for tests and scripts);
        RuntimeError when it does not come up."""
        deadline = time.monotonic() + URL_WAIT_SECONDS
        while self._url is None:
            if self._poll_url() is None:
                if time.monotonic() > deadline:
                    return self._failed()
                time.sleep(URL_POLL_SECONDS)
        return self._url

    async def wait_url(self) -> str:
        """The sandbox's URL, waiting for it without blocking the loop (each look is one
        small file read); RuntimeError when it does not come up."""
        deadline = time.monotonic() + URL_WAIT_SECONDS
        while self._url is None:
            if self._poll_url() is None:
                if time.monotonic() > deadline:
                    return self._failed()
                await asyncio.sleep(URL_POLL_SECONDS)
        return self._url

    def _poll_url(self) -> str | None:
        """The URL once its line is complete; RuntimeError when the child ended without one."""
        exited = self.process.poll() is not None  # before reading: its last words are in
        try:
            first, newline, _ = self.output.read_bytes().partition(b"\n")
        except OSError:
            first, newline = b"", b""
        if newline:
            line = first.decode("utf-8", "replace").strip()
            if not line.startswith("http"):
                self._failed()
            self._url = line
        elif exited:
            self._failed()
        return self._url

    def _failed(self) -> str:
        self.stop()
        raise RuntimeError("the built-in sandbox did not start")

    def stop(self) -> None:
        """Stop it, wait, and remove its output file."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        with contextlib.suppress(OSError):
            self.output.unlink()


def launch_sandbox(
    state: Path | None = None, time_scale: float = 1.0, extra: tuple[str, ...] = ()
) -> SandboxProcess:
    """Start `pos-app sandbox --port 0` without waiting for it (the till starts it first
    thing, so it comes up while the window is built)."""
    args = [*sandbox_command(), "--port", "0", "--time-scale", f"{time_scale:g}", *extra]
    if state is not None:
        state.parent.mkdir(parents=True, exist_ok=True)
        args += ["--state", str(state)]
    handle, name = tempfile.mkstemp(prefix="pos-app-sandbox-", suffix=".out")
    try:
        process = subprocess.Popen(
            args, stdout=handle, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL
        )
    except BaseException:
        os.unlink(name)
        raise
    finally:
        os.close(handle)  # the child has its own copy
    return SandboxProcess(process, Path(name))


def start_sandbox(
    state: Path | None = None, time_scale: float = 1.0, extra: tuple[str, ...] = ()
) -> SandboxProcess:
    """Start `pos-app sandbox --port 0` and wait for its URL; RuntimeError if it fails."""
    sandbox = launch_sandbox(state, time_scale, extra)
    _ = sandbox.url
    return sandbox


# Short sentences for the person at the virtual-terminal window, by error code.
_CONTROL_MESSAGES = {
    "no_active_session": "Nothing is waiting on this terminal.",
    "session_finished": "That sale has already finished on the terminal.",
    "not_found": "The sandbox does not know this terminal.",
}
_UNREACHABLE = "Cannot reach the demo sandbox. Is it still running?"
_TOO_SLOW = "The demo sandbox did not answer in time."
_REFUSED = "The demo sandbox refused that."


class SandboxControlError(Exception):
    """The control API refused a request or could not be reached.

    `message` is a short sentence for the person at the window; `code` is the
    sandbox's error code when it answered (None for transport trouble).
    """

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class SandboxControl:
    """An async client for a running sandbox's control API (`/_sandbox/`)."""

    def __init__(self, url: str) -> None:
        self._client = httpx.AsyncClient(base_url=url, timeout=5)

    async def state(self) -> dict[str, Any]:
        """Time scale, simulated `now`, every terminal with its session, test cards."""
        return await self._call("GET", "/_sandbox/state")

    async def present(self, terminal_id: str, card: str | None = None) -> dict[str, Any]:
        """The customer taps `card` (a key, brand or last four; None: the amount's card)."""
        body = {} if card is None else {"card": card}
        return await self._call("POST", f"/_sandbox/terminals/{terminal_id}/present", body)

    async def decline(self, terminal_id: str, code: str) -> dict[str, Any]:
        """The customer's card is declined with `code` (e.g. `insufficient_funds`)."""
        body = {"decline_code": code}
        return await self._call("POST", f"/_sandbox/terminals/{terminal_id}/present", body)

    async def press_x(self, terminal_id: str) -> dict[str, Any]:
        """The customer presses X on the device."""
        return await self._call("POST", f"/_sandbox/terminals/{terminal_id}/cancel", {})

    async def unplug(self, terminal_id: str) -> dict[str, Any]:
        """The terminal goes offline."""
        return await self._call("POST", f"/_sandbox/terminals/{terminal_id}/unplug")

    async def replug(self, terminal_id: str) -> dict[str, Any]:
        """The terminal comes back online."""
        return await self._call("POST", f"/_sandbox/terminals/{terminal_id}/replug")

    async def aclose(self) -> None:
        """Close the HTTP connection pool."""
        await self._client.aclose()

    async def _call(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        try:
            response = await self._client.request(method, path, json=body)
        except httpx.TimeoutException as exc:
            raise SandboxControlError(_TOO_SLOW) from exc
        except httpx.HTTPError as exc:
            raise SandboxControlError(_UNREACHABLE) from exc
        if response.status_code != 200:
            code, detail = _error_of(response)
            if code in _CONTROL_MESSAGES:
                raise SandboxControlError(_CONTROL_MESSAGES[code], code)
            # A bad value (unknown card, ...): the sandbox's own sentence names it.
            message = detail if code == "invalid_parameter" and detail else _REFUSED
            raise SandboxControlError(message, code)
        try:
            answer = response.json()
        except ValueError as exc:
            raise SandboxControlError(_REFUSED) from exc
        if not isinstance(answer, dict):
            raise SandboxControlError(_REFUSED)
        return answer


def _error_of(response: httpx.Response) -> tuple[str | None, str | None]:
    """`error.code` and `error.message` of a JustiFi-shaped error body, if any."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None, None
    if not isinstance(error, dict):
        return None, None
    code, message = error.get("code"), error.get("message")
    return (
        code if isinstance(code, str) else None,
        message if isinstance(message, str) else None,
    )
