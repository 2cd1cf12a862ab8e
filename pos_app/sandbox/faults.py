"""Faults the control API arms: the things a shop's network or JustiFi really does.

A fault names which requests it hits (method, an fnmatch path pattern, and
optionally one terminal or one sub account), how often (the next `count`
matching requests, or each one with `probability`, reproducible with `seed`)
and what happens. Kinds, by when they strike:

Before anything is done (the request is not carried out):

- `error_500`, `error_503`: JSON `server_error`;
- `error_page`: a load balancer's HTML page or a plain-text body, 500-504;
- `rate_limit`: 429 with `Retry-After` in seconds or as an HTTP date;
- `unauthorized`: a stray 401 although the token is fine;
- `forbidden`: 403 in JustiFi's error shape;
- `drop`: the connection closes before anything is done.

After the work is done (the request is carried out, the answer is wrong):

- `lost_answer`: the connection closes before the answer is sent;
- `error_after_acting`: 500/502/503/504 with a JSON, HTML or text body;
- `delayed_answer`: the answer waits `delay` seconds after the work;
- `malformed`: a 200 whose body is truncated, an array, lacks `data`, or has
  a field of the wrong type;
- `unknown_status`: the object's `status` is a value JustiFi never documented;
- `read_lag`: a create succeeds, then the next `reads` GETs of the new
  object's id answer 404 `not_found`.

Others:

- `slow`: wait `delay` seconds, then act and answer;
- `stale_list`: list reads leave out objects created in the last `lag`
  simulated seconds;
- `late_approval`: a session sent to a terminal is approved at `approve_at`
  simulated seconds, after the device's 90 s would have given up;
- `never_resolves`: a session sent to a terminal never ends;
- `refuse_connections`: the sandbox stops accepting connections for
  `seconds` (acted on at once by the control API, see `routes/control.py`).
"""

from __future__ import annotations

import fnmatch
import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

BEFORE_ACTING = (
    "error_500",
    "error_503",
    "error_page",
    "rate_limit",
    "unauthorized",
    "forbidden",
    "drop",
)
AFTER_ACTING = (
    "lost_answer",
    "error_after_acting",
    "delayed_answer",
    "malformed",
    "unknown_status",
    "read_lag",
)
SESSION_KINDS = ("late_approval", "never_resolves")
OTHER_KINDS = ("slow", "stale_list", "refuse_connections")
KINDS = (*BEFORE_ACTING, *AFTER_ACTING, *SESSION_KINDS, *OTHER_KINDS)

METHODS = ("*", "GET", "POST", "PATCH", "PUT", "DELETE")
ERROR_STATUSES = (500, 502, 503, 504)
BODIES = ("json", "html", "text")
SHAPES = ("truncated", "array", "no_data", "wrong_type")
RETRY_AFTER_FORMATS = ("seconds", "http_date")
MAX_COUNT = 10_000

LIST_PATHS = (
    "/v1/payment_intents",
    "/v1/checkouts",
    "/v1/payments",
    "/v1/refunds",
    "/v1/payment_intents/*/payments",
)
SESSION_PATHS = ("/v1/terminals/pay", "/v1/terminals/refund")
TOKEN_PATH = "/oauth/token"
TOKEN_KINDS = ("unauthorized", "forbidden")  # about a token's rights: never on TOKEN_PATH
DOCUMENTED_STATUSES = frozenset(
    {
        "requires_payment_method",
        "pending",
        "requires_capture",
        "canceled",
        "succeeded",
        "authorized",
        "failed",
        "partially_refunded",
        "fully_refunded",
        "disputed",
        "created",
        "completed",
        "attempted",
        "expired",
        "processing",
    }
)

# Fields every kind takes, then each kind's own (name: default).
COMMON = ("kind", "method", "path", "count", "probability", "seed", "terminal", "sub_account")
LEGACY = {"delay": 2.0, "retry_after": 1}  # accepted on every kind, as before
OWN: dict[str, dict[str, Any]] = {
    "rate_limit": {"retry_after_format": "seconds"},
    "error_page": {"status": 502, "body": "html"},
    "error_after_acting": {"status": 502, "body": "json"},
    "malformed": {"shape": "truncated"},
    "unknown_status": {"value": "under_review"},
    "read_lag": {"reads": 2},
    "stale_list": {"lag": 10.0},
    "late_approval": {"approve_at": 95.0},
    "refuse_connections": {"seconds": 2.0},
}
ALL_OWN = {name for fields in OWN.values() for name in fields}


@dataclass
class Fault:
    """One armed fault: which requests, what happens, how many more times."""

    kind: str
    method: str = "*"
    path: str = "*"
    count: int | None = 1  # None: unlimited
    delay: float = 2.0
    retry_after: int = 1
    probability: float = 1.0
    seed: int | None = None
    terminal: str | None = None
    sub_account: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    hits: int = 0
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def applies_to(self, method: str, path: str) -> bool:
        """Whether this kind can act on such a request at all, whatever it was armed for."""
        if self.kind == "read_lag":
            return method == "POST"
        if self.kind == "stale_list":
            return method == "GET" and any(fnmatch.fnmatchcase(path, p) for p in LIST_PATHS)
        if self.kind in SESSION_KINDS:
            return method == "POST" and path in SESSION_PATHS
        if self.kind in TOKEN_KINDS:
            # A 401/403 from /oauth/token means the credentials are wrong: not a glitch.
            return path != TOKEN_PATH
        return self.kind != "refuse_connections"

    def matches(self, request: FaultRequest) -> bool:
        """Whether a request is one of this fault's targets."""
        if not self.applies_to(request.method, request.path):
            return False
        if self.method not in ("*", request.method) or not fnmatch.fnmatchcase(
            request.path, self.path
        ):
            return False
        if self.sub_account is not None and request.sub_account != self.sub_account:
            return False
        return self.terminal is None or self.terminal in request.terminals()

    def param(self, name: str) -> Any:
        """A kind-specific setting."""
        return self.params[name]

    def as_dict(self) -> dict[str, Any]:
        """For the control API's listing."""
        return {
            "id": self.id,
            "kind": self.kind,
            "method": self.method,
            "path": self.path,
            "count": self.count,
            "probability": self.probability,
            "seed": self.seed,
            "terminal": self.terminal,
            "sub_account": self.sub_account,
            "delay": self.delay,
            "retry_after": self.retry_after,
            **self.params,
            "hits": self.hits,
        }


@dataclass
class FaultRequest:
    """What a fault may look at in a request."""

    method: str
    path: str
    sub_account: str | None = None
    terminals: Callable[[], set[str]] = set


# -- validation ----------------------------------------------------------------


def _number(body: dict[str, Any], name: str, default: float, low: float, high: float) -> float:
    value = body.get(name, default)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not low <= value <= high:
        raise ValueError(f"{name} must be a number from {low:g} to {high:g} (got {value!r})")
    return float(value)


def _positive(body: dict[str, Any], name: str, default: float, high: float) -> float:
    value = _number(body, name, default, 0.0, high)
    if value <= 0:
        raise ValueError(f"{name} must be more than 0 (got {value!r})")
    return value


def _integer(body: dict[str, Any], name: str, default: int, low: int, high: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high} (got {value!r})")
    return value


def _choice(body: dict[str, Any], name: str, default: Any, choices: Iterable[Any]) -> Any:
    value = body.get(name, default)
    options = tuple(choices)
    if isinstance(value, bool) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(str, options))} (got {value!r})")
    return value


def _optional_id(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 100:
        raise ValueError(f"{name} must be an id string of 1 to 100 characters (got {value!r})")
    return value


def _own_params(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    defaults = OWN.get(kind, {})
    params: dict[str, Any] = {}
    if kind == "rate_limit":
        params["retry_after_format"] = _choice(
            body, "retry_after_format", "seconds", RETRY_AFTER_FORMATS
        )
    elif kind in ("error_page", "error_after_acting"):
        params["status"] = _choice(body, "status", defaults["status"], ERROR_STATUSES)
        bodies = BODIES if kind == "error_after_acting" else ("html", "text")
        params["body"] = _choice(body, "body", defaults["body"], bodies)
    elif kind == "malformed":
        params["shape"] = _choice(body, "shape", "truncated", SHAPES)
    elif kind == "unknown_status":
        value = body.get("value", defaults["value"])
        if not isinstance(value, str) or not value or len(value) > 50:
            raise ValueError(f"value must be a status string of 1 to 50 characters ({value!r})")
        if value in DOCUMENTED_STATUSES:
            raise ValueError(f"value must be a status JustiFi never documented, not {value!r}")
        params["value"] = value
    elif kind == "read_lag":
        params["reads"] = _integer(body, "reads", 2, 1, 1000)
    elif kind == "stale_list":
        params["lag"] = _positive(body, "lag", 10.0, 86_400.0)
    elif kind == "late_approval":
        params["approve_at"] = _positive(body, "approve_at", 95.0, 3600.0)
    elif kind == "refuse_connections":
        params["seconds"] = _positive(body, "seconds", 2.0, 60.0)
    return params


def fault_from_body(body: dict[str, Any]) -> Fault:
    """Validate a control-API request; ValueError with a message otherwise."""
    kind = body.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
    own = OWN.get(kind, {})
    for name in body:
        if name in COMMON or name in LEGACY or name in own:
            continue
        if name in ALL_OWN:
            raise ValueError(f"{name} does not apply to kind {kind}")
        raise ValueError(f"unknown field {name!r}")
    method = body.get("method", "*")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)} (got {method!r})")
    path = body.get("path", "*")
    if not isinstance(path, str) or not path:
        raise ValueError("path must be a non-empty pattern such as /v1/payment_intents*")
    probability = _number(body, "probability", 1.0, 0.0, 1.0)
    if probability <= 0:
        raise ValueError("probability must be more than 0 and at most 1")
    count: int | None
    if body.get("count") is None and "probability" in body:
        count = None  # a fault with a probability is unlimited unless counted
    else:
        count = _integer(body, "count", 1, 1, MAX_COUNT)
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValueError(f"seed must be an integer (got {seed!r})")
    delay = _number(body, "delay", 2.0, 0.0, 120.0)
    retry_after = _integer(body, "retry_after", 1, 0, 86_400)
    terminal = _optional_id(body, "terminal")
    sub_account = _optional_id(body, "sub_account")
    params = _own_params(kind, body)
    if kind == "refuse_connections" and (
        set(body) - {"kind", "seconds", "method", "path"} or (method, path) != ("*", "*")
    ):
        raise ValueError("refuse_connections takes only seconds: it refuses every connection")
    return Fault(
        kind,
        method.upper(),
        path,
        count,
        delay,
        retry_after,
        probability,
        seed,
        terminal,
        sub_account,
        params,
        rng=random.Random(seed),
    )
