"""Fuzzing the sandbox's JustiFi routes: never a 5xx, always JustiFi's error shape.

Hypothesis throws arbitrary bodies at every JSON route (nested objects and
lists, huge integers, floats, booleans, nulls, unicode, the wrong type for
every documented field, raw bytes that are not JSON, JSON that is not an
object) and arbitrary query strings at every list route. Whatever arrives, the
answer must be JSON; a refusal must be a 4xx with `{"error": {"code",
"message"}}`. Inputs found to cause 500s are pinned at the end of the file:
as plain regression tests once fixed, as strict xfails while still broken.
"""

from __future__ import annotations

import base64
import json
import string
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.sandbox import SUB_ACCOUNT, SandboxHandle

pytestmark = pytest.mark.slow  # `-m 'not slow'` leaves it out of a quick local run

# The sandbox answers in about 40 ms on Linux (see the report on TCP_NODELAY), so
# the example counts are sized to keep the whole file near 35 s.
FUZZ = settings(
    max_examples=35,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- strategies -------------------------------------------------------------------

HUGE_INTS = st.sampled_from(
    [2**31, 2**63, 2**64 + 1, -(2**63) - 1, 10**100, -(10**300), 10**4000, 99_999_999_999]
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    HUGE_INTS,
    st.floats(),  # NaN and Infinity too: json.dumps writes them, the sandbox must refuse
    st.text(max_size=40),
    st.text(max_size=400),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)

VALID_TERMINALS = ["trm_front", "trm_side", "trm_virtual", "trm_patio", "trm_backoffice"]


def plausible(values: list[Any]) -> st.SearchStrategy[Any]:
    """Right-looking values for a field, mixed with anything at all."""
    return st.one_of(st.sampled_from(values), JSON_VALUES)


def amounts() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(min_value=-10, max_value=200_000_000),
        st.sampled_from([0, 50, 51, 1000, 1091, 99_999_999, 100_000_000, "1000", 10.0, True]),
        JSON_VALUES,
    )


def metadata() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.dictionaries(st.text(max_size=50), SCALARS, max_size=8),
        st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=3),
        JSON_VALUES,
    )


def texts() -> st.SearchStrategy[Any]:
    return st.one_of(st.text(max_size=300), st.just("x" * 256), JSON_VALUES)


def encode(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only).encode()


def bodies(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[bytes]:
    """A request body: mostly objects with the route's fields, sometimes anything."""
    documented = st.fixed_dictionaries({}, optional=fields)
    with_extras = st.builds(
        lambda known, extra: {**extra, **known},
        documented,
        st.dictionaries(st.text(max_size=12), JSON_VALUES, max_size=3),
    )
    json_bodies = st.builds(encode, st.one_of(documented, with_extras, JSON_VALUES), st.booleans())
    raw = st.one_of(
        st.binary(max_size=300),
        st.text(max_size=200).map(str.encode),
        st.sampled_from(
            [b"", b"   ", b"{", b"null", b"[]", b'"x"', b"1e999999", b"\xff\xfe{}", b"{'a': 1}"]
        ),
    )
    return st.one_of(json_bodies, json_bodies, json_bodies, raw)


# -- the sandbox side ----------------------------------------------------------------


@dataclass
class World:
    """Real objects the fuzzed bodies may point at."""

    sandbox: SandboxHandle
    client: httpx.Client
    token: str
    open_intent: str
    paid_intent: str
    payment: str
    checkout: str
    paid_checkout: str

    def headers(self, *, key: bool = True) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}", "Sub-Account": SUB_ACCOUNT}
        if key:
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return headers

    def send(self, method: str, path: str, content: bytes) -> httpx.Response:
        headers = {**self.headers(), "Content-Type": "application/json"}
        return self.client.request(method, path, content=content, headers=headers)


@pytest.fixture
def world(sandbox: SandboxHandle) -> Iterator[World]:
    paid = sandbox.paid_intent(1000)
    assert paid["status"] == "succeeded"
    checkout = sandbox.create_checkout(2000)
    paid_checkout = sandbox.create_checkout(3000)
    assert sandbox.pay("trm_virtual", checkout_id=paid_checkout["id"]).status_code == 201
    sandbox.present("trm_virtual", card="visa")
    assert sandbox.get(f"/v1/checkouts/{paid_checkout['id']}")["status"] == "completed"
    with httpx.Client(base_url=sandbox.url, timeout=10.0) as client:
        yield World(
            sandbox=sandbox,
            client=client,
            token=sandbox.token(),
            open_intent=sandbox.create_intent(1500)["id"],
            paid_intent=paid["id"],
            payment=paid["successful_payment_id"],
            checkout=checkout["id"],
            paid_checkout=paid_checkout["id"],
        )


def check(response: httpx.Response) -> None:
    """Never a 5xx; JSON always; JustiFi's error shape on every 4xx."""
    where = f"{response.request.method} {response.request.url}"
    assert response.status_code < 500, f"{where} -> {response.status_code} {response.text[:300]}"
    assert response.headers.get("content-type", "").startswith("application/json"), (
        f"{where} -> {response.status_code} {response.headers.get('content-type')}"
    )
    payload = response.json()
    if response.status_code >= 400:
        assert isinstance(payload, dict), payload
        error = payload.get("error")
        assert isinstance(error, dict), payload
        assert isinstance(error.get("code"), str), payload
        assert error["code"], payload
        assert isinstance(error.get("message"), str), payload
    else:
        assert isinstance(payload, dict), payload


# Ids a body may name: sometimes the real ones, usually anything.
def ids(world_attr: str, prefix: str) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.just(world_attr),  # replaced by the real id at draw time (see resolve)
        st.text(max_size=20).map(lambda s: f"{prefix}_{s}"),
        JSON_VALUES,
    )


def resolve(world: World, body: bytes) -> bytes:
    """Swap the placeholders `@open_intent` etc. for the world's real ids."""
    for name in ("open_intent", "paid_intent", "payment", "checkout", "paid_checkout"):
        body = body.replace(f"@{name}".encode(), getattr(world, name).encode())
    return body


INTENT_IDS = ids("@open_intent", "pi") | st.just("@paid_intent")
CHECKOUT_IDS = ids("@checkout", "cho") | st.just("@paid_checkout")
TERMINAL_IDS = plausible(VALID_TERMINALS)

# route -> (method, path template, body strategy)
ROUTES: dict[str, tuple[str, str, st.SearchStrategy[bytes]]] = {
    "oauth_token": (
        "POST",
        "/oauth/token",
        bodies(
            {
                "client_id": plausible(["sandbox_client_id", ""]),
                "client_secret": plausible(["sandbox_client_secret", ""]),
            }
        ),
    ),
    "create_intent": (
        "POST",
        "/v1/payment_intents",
        bodies(
            {
                "amount": amounts(),
                "currency": plausible(["usd", "USD", "cad", "eur", ""]),
                "description": texts(),
                "metadata": metadata(),
            }
        ),
    ),
    "patch_intent": (
        "PATCH",
        "/v1/payment_intents/{open_intent}",
        bodies({"description": texts(), "metadata": metadata()}),
    ),
    "create_checkout": (
        "POST",
        "/v1/checkouts",
        bodies(
            {
                "amount": amounts(),
                "currency": plausible(["usd", "cad", "xyz"]),
                "description": texts(),
                "metadata": metadata(),
            }
        ),
    ),
    "refund_checkout": (
        "POST",
        "/v1/checkouts/{paid_checkout}/refunds",
        bodies({"amount": amounts(), "reason": plausible(["duplicate", "other"])}),
    ),
    "terminal_pay": (
        "POST",
        "/v1/terminals/pay",
        bodies(
            {
                "terminal_id": TERMINAL_IDS,
                "payment_intent_id": INTENT_IDS,
                "checkout_id": CHECKOUT_IDS,
            }
        ),
    ),
    "terminal_refund": (
        "POST",
        "/v1/terminals/refund",
        bodies({"terminal_id": TERMINAL_IDS, "payment_intent_id": INTENT_IDS, "amount": amounts()}),
    ),
    "patch_terminal": (
        "PATCH",
        "/v1/terminals/trm_front",
        bodies({"nickname": st.one_of(texts(), st.just("   "), st.just("n" * 101))}),
    ),
    "refund_payment": (
        "POST",
        "/v1/payments/{payment}/refunds",
        bodies(
            {
                "amount": amounts(),
                "reason": plausible(["duplicate", "fraudulent", "customer_request", "bored"]),
                "description": texts(),
                "metadata": metadata(),
            }
        ),
    ),
    "void_payment": (
        "POST",
        "/v1/payments/{payment}/void",
        bodies({"reason": JSON_VALUES, "amount": amounts()}),
    ),
}


@pytest.mark.parametrize("route", sorted(ROUTES))
@FUZZ
@given(data=st.data())
def test_json_routes_survive_any_body(world: World, route: str, data: st.DataObject) -> None:
    method, template, strategy = ROUTES[route]
    path = template.format(
        open_intent=world.open_intent, payment=world.payment, paid_checkout=world.paid_checkout
    )
    body = resolve(world, data.draw(strategy, label="body"))
    check(world.send(method, path, body))


HEADER_TEXT = st.text(alphabet=string.printable.strip() + " ", max_size=120).map(str.strip)


@FUZZ
@given(
    authorization=st.one_of(
        st.none(),
        st.just("Bearer @token"),
        st.just("bearer   @token"),
        HEADER_TEXT,
        HEADER_TEXT.map(lambda t: f"Bearer {t}"),
    ),
    sub_account=st.one_of(
        st.none(), st.sampled_from([SUB_ACCOUNT, "acc_sandbox_other"]), HEADER_TEXT
    ),
    key=st.one_of(st.none(), HEADER_TEXT, st.just("k" * 101)),
)
def test_headers_any_value(
    world: World, authorization: str | None, sub_account: str | None, key: str | None
) -> None:
    headers = {"Content-Type": "application/json"}
    for name, value in (
        ("Authorization", authorization),
        ("Sub-Account", sub_account),
        ("Idempotency-Key", key),
    ):
        if value is not None:
            # h11 refuses surrounding whitespace; "@token" stands for a live token.
            headers[name] = value.replace("@token", world.token).strip()
    body = json.dumps({"amount": 1000, "currency": "usd"}).encode()
    check(world.client.post("/v1/payment_intents", content=body, headers=headers))


# -- list routes ---------------------------------------------------------------------

QUERY_NAMES = [
    "limit",
    "after_cursor",
    "before_cursor",
    "created_after",
    "created_before",
    "payment_status",
    "status",
    "terminal_id",
    "provider_id",
    "payment_id",
]


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


QUERY_VALUES = st.one_of(
    st.text(max_size=60),
    st.integers().map(str),
    st.sampled_from(["0", "1", "100", "101", "-1", "25", " 5 ", "1_0", "1e2", "", "null"]),
    st.builds(lambda v: b64(json.dumps(v).encode()), JSON_VALUES),  # cursors of any shape
    st.binary(max_size=40).map(b64),
    st.datetimes(timezones=st.timezones() | st.none()).map(lambda d: d.isoformat()),
    st.sampled_from(["2024-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+23:59"]),
    st.sampled_from(["succeeded", "failed", "connected", "CONNECTED", "pending"]),
)
LIST_PATHS = [
    "/v1/payment_intents",
    "/v1/payment_intents/{open_intent}/payments",
    "/v1/checkouts",
    "/v1/terminals",
    "/v1/payments",
    "/v1/refunds",
]


@FUZZ
@given(
    path=st.sampled_from(LIST_PATHS),
    params=st.lists(st.tuples(st.sampled_from(QUERY_NAMES), QUERY_VALUES), max_size=5),
)
def test_list_routes_survive_any_query(
    world: World, path: str, params: list[tuple[str, str]]
) -> None:
    url = path.format(open_intent=world.paid_intent)
    check(world.client.get(url, params=params, headers=world.headers(key=False)))


RAW_QUERY = st.text(
    alphabet=string.ascii_letters + string.digits + "%&=+;,/?_-.~:[]!$'()*@", max_size=120
)


@FUZZ
@given(path=st.sampled_from(LIST_PATHS), query=RAW_QUERY)
def test_list_routes_survive_raw_query_strings(world: World, path: str, query: str) -> None:
    url = httpx.URL(world.sandbox.url + path.format(open_intent=world.paid_intent)).copy_with(
        query=query.encode()
    )
    check(world.client.get(url, headers=world.headers(key=False)))


def test_real_cursors_walk_the_whole_list(world: World) -> None:
    """Sanity for the fuzzers' baseline: cursors the sandbox hands out work both ways."""
    for _ in range(5):
        world.sandbox.create_intent(2000)
    seen: list[str] = []
    params: dict[str, str] = {"limit": "2"}
    while True:
        response = world.client.get("/v1/payment_intents", params=params, headers=world.headers())
        check(response)
        page = response.json()
        seen += [item["id"] for item in page["data"]]
        if not page["page_info"]["has_next"]:
            break
        params = {"limit": "2", "after_cursor": page["page_info"]["end_cursor"]}
    assert len(seen) == len(set(seen)) == 7  # 5 + the open one + the paid one
    back = world.client.get(
        "/v1/payment_intents",
        params={"limit": "2", "before_cursor": page["page_info"]["start_cursor"]},
        headers=world.headers(),
    )
    check(back)
    assert [item["id"] for item in back.json()["data"]] == seen[-3:-1]


# -- inputs that broke the sandbox (500s) when these tests were written ------------------


def fresh_send(sandbox: SandboxHandle, method: str, path: str, content: bytes) -> httpx.Response:
    """A request on its own connection: after a 500 the sandbox resets the old one."""
    with httpx.Client(base_url=sandbox.url, timeout=10.0) as client:
        headers = {
            **sandbox.headers(key=uuid.uuid4().hex),
            "Content-Type": "application/json",
        }
        return client.request(method, path, content=content, headers=headers)


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999"])
@pytest.mark.parametrize("route", ["create_intent", "patch_intent", "refund_payment"])
def test_non_finite_numbers_are_refused(sandbox: SandboxHandle, route: str, token: str) -> None:
    method = ROUTES[route][0]
    path = "/v1/payment_intents"
    if route == "patch_intent":
        path = f"/v1/payment_intents/{sandbox.create_intent()['id']}"
    elif route == "refund_payment":
        path = f"/v1/payments/{sandbox.paid_intent()['successful_payment_id']}/refunds"
    body = f'{{"amount": 1000, "metadata": {{"tip": {token}}}}}'.encode()
    check(fresh_send(sandbox, method, path, body))
    check(fresh_send(sandbox, "GET", "/v1/payment_intents", b""))
    check(fresh_send(sandbox, "GET", "/v1/refunds", b""))


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("create_intent", b'{"amount": 1000, "description": "\\ud800"}'),
        ("create_intent", b'{"amount": 1000, "metadata": {"k": "\\udfff"}}'),
        ("patch_terminal", b'{"nickname": "caf\\ud83d"}'),
        ("create_checkout", b'{"amount": 1000, "description": "\\udc00x"}'),
    ],
)
def test_lone_surrogates_are_refused(sandbox: SandboxHandle, route: str, body: bytes) -> None:
    method, template, _ = ROUTES[route]
    check(fresh_send(sandbox, method, template, body))


@pytest.mark.parametrize("path", ["/oauth/token", "/v1/payment_intents", "/v1/checkouts"])
def test_deeply_nested_body_is_refused(sandbox: SandboxHandle, path: str) -> None:
    check(fresh_send(sandbox, "POST", path, b"[" * 5000 + b"]" * 5000))


@pytest.mark.parametrize("param", ["after_cursor", "before_cursor"])
def test_deeply_nested_cursor_is_refused(sandbox: SandboxHandle, param: str) -> None:
    cursor = b64(b"[" * 3000)
    with httpx.Client(base_url=sandbox.url, timeout=10.0) as client:
        check(client.get("/v1/payments", params={param: cursor}, headers=sandbox.headers()))
