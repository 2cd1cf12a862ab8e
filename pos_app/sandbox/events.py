"""Event publishing: JustiFi-signed POSTs to a configured URL.

Signature as JustiFi documents it: hex HMAC-SHA256 keyed by the publisher's
secret over `<timestamp>.<raw body>`, sent in `JUSTIFI-SIGNATURE` beside
`JUSTIFI-TIMESTAMP`.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger("pos_app.sandbox.events")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """JustiFi's event signature."""
    message = timestamp.encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass
class Publisher:
    """Where events go, which ones, and what happened to the last ones."""

    url: str
    secret: str
    names: tuple[str, ...] = ()
    deliveries: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=200))

    def wants(self, event_name: str) -> bool:
        """Empty `names` means every event."""
        return not self.names or event_name in self.names


class EventSender:
    """Posts events one at a time in the background, never blocking the API."""

    def __init__(self) -> None:
        self.publisher: Publisher | None = None
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def configure(self, publisher: Publisher | None) -> None:
        """Set or remove the publisher."""
        self.publisher = publisher

    def submit(self, payload: dict[str, Any]) -> None:
        """Queue an event for the publisher, if one wants it."""
        if self.publisher is not None and self.publisher.wants(payload["event_name"]):
            self._queue.put_nowait(payload)
            if self._task is None or self._task.done():
                self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=5.0) as client:
            while not self._queue.empty():
                payload = self._queue.get_nowait()
                publisher = self.publisher
                if publisher is None:
                    continue
                body = json.dumps(payload, separators=(",", ":")).encode()
                timestamp = str(int(time.time()))
                headers = {
                    "Content-Type": "application/json",
                    "JUSTIFI-TIMESTAMP": timestamp,
                    "JUSTIFI-SIGNATURE": sign(publisher.secret, timestamp, body),
                }
                record: dict[str, Any] = {"id": payload["id"], "event_name": payload["event_name"]}
                try:
                    response = await client.post(publisher.url, content=body, headers=headers)
                    record["status"] = response.status_code
                except httpx.HTTPError as exc:
                    record["error"] = type(exc).__name__
                    log.warning("event %s not delivered: %s", payload["id"], type(exc).__name__)
                publisher.deliveries.append(record)

    async def aclose(self) -> None:
        """Stop sending."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
