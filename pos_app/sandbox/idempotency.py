"""Idempotency keys as JustiFi applies them to POSTs.

A key is scoped to the sub account. Its first use is `in_flight` until the
answer is known; a replay with the same method, path and body gets the
stored answer (`Idempotent-Replayed: true`); different parameters get 422; a
key still in flight, or one whose request failed less than a second ago,
gets 409 (safe to retry later). With a state file, finished keys outlive a
restart as they do at JustiFi.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from typing import Any

from pos_app.sandbox.errors import ApiError
from pos_app.sandbox.store import Store

IDEMPOTENCY_KEY_MAX = 100
FAILED_KEY_HOLD_SECONDS = 1.0  # "after it failed: 409, safe to retry later"

Key = tuple[str, str]  # (sub account or "", the header's value)


@dataclass
class IdempotencyEntry:
    """What a key has been used for, and how it went."""

    fingerprint: str
    state: str  # in_flight | done | failed
    status: int = 0
    payload: Any = None
    failed_at: float = 0.0


def fingerprint(method: str, path: str, sub_account: str | None, body: dict[str, Any]) -> str:
    """What a request asked for, so a replay can be told from a different request."""
    canonical = json.dumps([method, path, sub_account, body], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyKeys:
    """The keys seen so far, mirrored to the store when their answer is known."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._entries: dict[Key, IdempotencyEntry] = {}
        for record in store.all("idempotency"):
            account, _, key = record["id"].partition("|")
            self._entries[(account, key)] = IdempotencyEntry(
                record["fingerprint"], "done", record["status"], record["payload"]
            )

    def claim(
        self,
        header: str | None,
        request: tuple[str, str],
        account: str | None,
        body: dict[str, Any],
        *,
        required: bool,
    ) -> tuple[Key | None, IdempotencyEntry | None]:
        """Take a key for a request (method, path): (the key, None), or (None, a replay).

        (None, None) when the request carries no key and needs none.
        """
        if header is None:
            if required:
                raise ApiError(
                    400,
                    "idempotency_key_required",
                    "Missing required header: Idempotency-Key",
                    param="base",
                )
            return None, None
        if not header or len(header) > IDEMPOTENCY_KEY_MAX:
            raise ApiError(
                422,
                "invalid_idempotency_key",
                f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} characters.",
                param="Idempotency-Key",
            )
        key = (account or "", header)
        request_fingerprint = fingerprint(*request, account, body)
        entry = self._entries.get(key)
        if entry is not None:
            if entry.fingerprint != request_fingerprint:
                raise ApiError(
                    422,
                    "idempotency_params_mismatch",
                    "This Idempotency-Key was used with different parameters.",
                    param="Idempotency-Key",
                )
            if entry.state == "done":
                return None, entry
            held = (
                entry.state == "failed"
                and time.monotonic() - entry.failed_at < FAILED_KEY_HOLD_SECONDS
            )
            if entry.state == "in_flight" or held:
                raise ApiError(
                    409,
                    "idempotency_request_in_progress",
                    "A request with this Idempotency-Key is in progress or just failed;"
                    " retry later.",
                    param="Idempotency-Key",
                )
        self._entries[key] = IdempotencyEntry(request_fingerprint, "in_flight")
        return key, None

    def failed(self, key: Key | None) -> None:
        """The request under `key` failed: the key is held a moment, then free again."""
        entry = self._entries.get(key) if key is not None else None
        if entry is not None:
            entry.state = "failed"
            entry.failed_at = time.monotonic()

    def done(self, key: Key, status: int, payload: Any) -> None:
        """Keep a finished request's answer for replays."""
        entry = IdempotencyEntry(self._entries[key].fingerprint, "done", status, payload)
        self._entries[key] = entry
        self._store.put(
            "idempotency",
            {
                "id": f"{key[0]}|{key[1]}",
                "fingerprint": entry.fingerprint,
                "status": entry.status,
                "payload": entry.payload,
            },
        )

    def clear(self) -> None:
        """Forget every key (reset; the store is cleared by the sandbox)."""
        self._entries.clear()
