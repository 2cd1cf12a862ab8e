"""Faults the control API can arm for the next N matching requests.

Kinds, each a thing a shop's network or JustiFi really does:

- `error_500`, `error_503`: answered at once, nothing done;
- `rate_limit`: 429 with `Retry-After`, nothing done;
- `slow`: wait `delay` seconds, then act and answer;
- `drop`: the connection closes before anything is done;
- `lost_answer`: the request is carried out, then the connection closes
  before the answer is sent (the client cannot know it worked).
"""

from __future__ import annotations

import fnmatch
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("error_500", "error_503", "rate_limit", "slow", "drop", "lost_answer")
BEFORE_ACTING = ("error_500", "error_503", "rate_limit", "drop")
METHODS = ("*", "GET", "POST", "PATCH", "PUT", "DELETE")


@dataclass
class Fault:
    """One armed fault: which requests, what happens, how many more times."""

    kind: str
    method: str = "*"
    path: str = "*"
    count: int = 1
    delay: float = 2.0
    retry_after: int = 1

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is one of this fault's targets."""
        return (self.method in ("*", method.upper())) and fnmatch.fnmatchcase(path, self.path)

    def as_dict(self) -> dict[str, Any]:
        """For the control API's listing."""
        return asdict(self)


def fault_from_body(body: dict[str, Any]) -> Fault:
    """Validate a control-API request; ValueError with a message otherwise."""
    kind = body.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    method = body.get("method", "*")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    method = method.upper()
    path = body.get("path", "*")
    count = body.get("count", 1)
    delay = body.get("delay", 2.0)
    retry_after = body.get("retry_after", 1)
    if not isinstance(path, str) or not path:
        raise ValueError("path must be a non-empty pattern such as /v1/payment_intents*")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
        raise ValueError("count must be an integer from 1 to 10000")
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= 120:
        raise ValueError("delay must be between 0 and 120 seconds")
    if isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0:
        raise ValueError("retry_after must be a non-negative integer")
    return Fault(kind, method, path, count, float(delay), retry_after)


class FaultPlan:
    """The armed faults, consumed in the order they were armed."""

    def __init__(self) -> None:
        self.faults: list[Fault] = []

    def arm(self, fault: Fault) -> None:
        """Add a fault."""
        self.faults.append(fault)

    def clear(self) -> None:
        """Disarm everything."""
        self.faults.clear()

    def take(self, method: str, path: str) -> Fault | None:
        """The first fault matching this request, counted down once."""
        for fault in self.faults:
            if fault.matches(method, path):
                fault.count -= 1
                if fault.count <= 0:
                    self.faults.remove(fault)
                return fault
        return None
