"""The fault plan: the armed faults, which request each strikes, what they hit.

`take` picks the first armed fault that matches a request (its kind can act
on it, its method, path pattern, terminal and sub account fit, and its
probability says yes), counting it down; `read_lag` objects answer 404 for
their next reads; `stats` is what `/_sandbox/stats` shows.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pos_app.sandbox.faults import Fault, FaultRequest


@dataclass
class LaggingRead:
    """An object created under `read_lag`: its next reads are 404."""

    fault: Fault
    left: int


class FaultPlan:
    """The armed faults, tried in the order they were armed, and what they hit."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.lagging: dict[str, LaggingRead] = {}
        self.hits_by_kind: Counter[str] = Counter()
        self.hits_by_fault: Counter[str] = Counter()
        self.refusing_until = 0.0
        self._ids = itertools.count(1)

    def arm(self, fault: Fault) -> Fault:
        """Add a fault; it gets an id for the listing and the stats."""
        fault.id = f"flt_{next(self._ids)}"
        self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm everything (the hit counts stay until `reset`)."""
        self.faults.clear()
        self.lagging.clear()

    def reset(self) -> None:
        """Disarm everything and forget the counts."""
        self.clear()
        self.hits_by_kind.clear()
        self.hits_by_fault.clear()
        self._ids = itertools.count(1)

    def hit(self, fault: Fault) -> None:
        """Count one request this fault acted on."""
        fault.hits += 1
        self.hits_by_kind[fault.kind] += 1
        self.hits_by_fault[fault.id] += 1

    def take(self, request: FaultRequest) -> Fault | None:
        """The first armed fault that matches and strikes this request, counted."""
        for fault in list(self.faults):
            if not fault.matches(request):
                continue
            if fault.probability < 1.0 and fault.rng.random() >= fault.probability:
                continue
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
            self.hit(fault)
            return fault
        return None

    def lag_reads(self, fault: Fault, object_id: str) -> None:
        """Make the next reads of a just-created object 404."""
        self.lagging[object_id] = LaggingRead(fault, int(fault.param("reads")))

    def lagging_read(self, method: str, path: str) -> str | None:
        """The lagging object id a GET names, consuming one of its 404s."""
        if method != "GET" or not self.lagging:
            return None
        for segment in path.split("/"):
            entry = self.lagging.get(segment)
            if entry is not None:
                entry.left -= 1
                if entry.left <= 0:
                    del self.lagging[segment]
                self.hit(entry.fault)
                return segment
        return None

    def refusing(self) -> bool:
        """Whether a `refuse_connections` window is open."""
        return time.monotonic() < self.refusing_until

    def stats(self) -> dict[str, Any]:
        """How many requests the faults hit, in total, by kind and by fault id."""
        return {
            "hits": sum(self.hits_by_kind.values()),
            "by_kind": dict(self.hits_by_kind),
            "by_fault": dict(self.hits_by_fault),
        }
