"""The sandbox's event publisher: the right events, signed as JustiFi signs them.

A tiny HTTP receiver runs in a thread of the test process; the control API
points the publisher at it. The signature is hex HMAC-SHA256 keyed by the
publisher's secret over `<JUSTIFI-TIMESTAMP>.<raw body>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.support.sandbox import SUB_ACCOUNT, SandboxHandle, wait_until
from tests.support.schemas import schema_errors

SECRET = "whsec_test_ca1f0e"


@dataclass
class Delivery:
    """One POST the receiver took: its headers (lower-case names) and raw body."""

    headers: dict[str, str]
    body: bytes

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(self.body)
        return event

    @property
    def name(self) -> str:
        return str(self.event["event_name"])


@dataclass
class Receiver:
    """Collects what the sandbox posts."""

    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def snapshot(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)

    def wait_for(self, name: str, **data: Any) -> Delivery:
        """The first delivery of `name` whose data has these values (polls)."""

        def found() -> Delivery | None:
            for delivery in self.snapshot():
                event = delivery.event
                if event["event_name"] == name and all(
                    event["data"].get(k) == v for k, v in data.items()
                ):
                    return delivery
            return None

        delivery: Delivery = wait_until(found, timeout=10.0)
        return delivery


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    received: list[Delivery] = []
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            with lock:
                received.append(Delivery(headers, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            del format, args  # quiet

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield Receiver(f"http://{host}:{port}/justifi/events", received, lock)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def publish_to(sandbox: SandboxHandle, receiver: Receiver, **extra: Any) -> Any:
    return sandbox.control("POST", "events", {"url": receiver.url, "secret": SECRET, **extra})


def verifies(secret: str, delivery: Delivery) -> bool:
    """JustiFi's check, as a store server would do it."""
    timestamp = delivery.headers.get("justifi-timestamp", "")
    signature = delivery.headers.get("justifi-signature", "")
    message = timestamp.encode() + b"." + delivery.body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def finished(sandbox: SandboxHandle, intent_id: str) -> dict[str, Any] | None:
    intent = sandbox.get(f"/v1/payment_intents/{intent_id}")
    return intent if intent["status"] != "pending" else None


def test_payment_lifecycle_events_arrive_signed(sandbox: SandboxHandle, receiver: Receiver) -> None:
    configured = publish_to(sandbox, receiver)
    assert configured["publisher"]["url"] == receiver.url
    assert configured["publisher"]["names"] == []

    # 1. an approved sale, payment intent flow, on an auto terminal
    intent = sandbox.create_intent(1000)
    assert sandbox.pay("trm_side", intent_id=intent["id"]).status_code == 201
    succeeded = receiver.wait_for("payment_intent.succeeded", id=intent["id"])
    assert succeeded.event["data"]["status"] == "succeeded"
    payment_id = succeeded.event["data"]["successful_payment_id"]
    paid = receiver.wait_for("payment.succeeded", id=payment_id)
    assert paid.event["data"]["payment_intent_id"] == intent["id"]
    assert paid.event["data"]["amount"] == 1000

    # 2. a decline (.91 -> card_declined)
    declined_intent = sandbox.create_intent(1091)
    wait_until(lambda: sandbox.pay("trm_side", intent_id=declined_intent["id"]).status_code == 201)
    failed = receiver.wait_for("payment.failed", payment_intent_id=declined_intent["id"])
    assert failed.event["data"]["status"] == "failed"
    assert failed.event["data"]["error_code"] == "card_declined"

    # 3. a refund back to the card
    refund = sandbox.ok("POST", f"/v1/payments/{payment_id}/refunds", {"amount": 400})["data"]
    refunded = receiver.wait_for("payment.refunded", id=payment_id)
    assert refunded.event["data"]["amount_refunded"] == 400
    assert refunded.event["data"]["status"] == "partially_refunded"
    assert [r["id"] for r in refunded.event["data"]["refunds"]] == [refund["id"]]

    # 4. an approved sale, checkout flow
    checkout = sandbox.create_checkout(2500)
    wait_until(lambda: sandbox.pay("trm_side", checkout_id=checkout["id"]).status_code == 201)
    completion = receiver.wait_for("checkout.completion.succeeded", checkout_id=checkout["id"])
    assert completion.event["data"]["status"] == "succeeded"
    assert completion.event["data"]["checkout"]["status"] == "completed"
    checkout_payment = completion.event["data"]["payment_id"]
    receiver.wait_for("payment.succeeded", id=checkout_payment, checkout_id=checkout["id"])

    deliveries = receiver.snapshot()
    names = {d.name for d in deliveries}
    assert {
        "payment_intent.succeeded",
        "payment.succeeded",
        "payment.failed",
        "payment.refunded",
        "checkout.completion.succeeded",
    } <= names
    for delivery in deliveries:
        event = delivery.event
        assert event["id"].startswith("evt_")
        assert event["account_id"] == SUB_ACCOUNT, (delivery.name, event["account_id"])
        assert event["account_type"] == "test"
        assert isinstance(event["data"], dict)
        assert delivery.headers["content-type"].startswith("application/json")
        assert abs(int(delivery.headers["justifi-timestamp"]) - time.time()) < 300
        assert verifies(SECRET, delivery), delivery
        assert not verifies(SECRET + "x", delivery)
        assert not verifies("", delivery)
        tampered = Delivery(delivery.headers, delivery.body.replace(b"{", b"{ ", 1))
        assert not verifies(SECRET, tampered)
        shifted = Delivery(
            {**delivery.headers, "justifi-timestamp": str(int(time.time()) + 1000)},
            delivery.body,
        )
        assert not verifies(SECRET, shifted)
    assert len({d.event["id"] for d in deliveries}) == len(deliveries)

    # the control API's record of the deliveries agrees
    def all_recorded() -> Any:
        recorded = sandbox.control("GET", "events")["deliveries"]
        return recorded if len(recorded) >= len(deliveries) else None

    recorded = wait_until(all_recorded)
    assert all(r.get("status") == 200 for r in recorded), recorded
    assert {r["id"] for r in recorded} >= {d.event["id"] for d in deliveries}


def test_checkout_decline_events(sandbox: SandboxHandle, receiver: Receiver) -> None:
    publish_to(sandbox, receiver)
    checkout = sandbox.create_checkout(1092)  # .92 -> insufficient_funds
    assert sandbox.pay("trm_side", checkout_id=checkout["id"]).status_code == 201
    completion = receiver.wait_for("checkout.completion.failed", checkout_id=checkout["id"])
    assert completion.event["data"]["payment_error_code"] == "insufficient_funds"
    assert completion.event["data"]["checkout"]["status"] == "attempted"
    failed = receiver.wait_for("payment.failed", checkout_id=checkout["id"])
    assert failed.event["data"]["error_code"] == "insufficient_funds"
    assert all(verifies(SECRET, d) for d in receiver.snapshot())


@pytest.mark.parametrize("amount", [2500, 2591])
def test_checkout_completion_events_name_the_sub_account(
    sandbox: SandboxHandle, receiver: Receiver, amount: int
) -> None:
    publish_to(
        sandbox, receiver, names=["checkout.completion.succeeded", "checkout.completion.failed"]
    )
    checkout = sandbox.create_checkout(amount)
    assert sandbox.pay("trm_side", checkout_id=checkout["id"]).status_code == 201
    wait_until(receiver.snapshot)
    event = receiver.snapshot()[0].event
    assert event["data"]["checkout_id"] == checkout["id"]
    assert event["account_id"] == SUB_ACCOUNT


def test_publisher_sends_only_the_names_asked_for(
    sandbox: SandboxHandle, receiver: Receiver
) -> None:
    publish_to(sandbox, receiver, names=["payment.refunded"])
    paid = sandbox.paid_intent(1200)  # manual terminal: payment_intent/payment.succeeded
    payment_id = paid["successful_payment_id"]
    sandbox.ok("POST", f"/v1/payments/{payment_id}/refunds", {})
    delivery = receiver.wait_for("payment.refunded", id=payment_id)
    assert delivery.event["data"]["status"] == "fully_refunded"
    assert verifies(SECRET, delivery)
    # One sender posts events in order, so anything emitted earlier came first.
    assert [d.name for d in receiver.snapshot()] == ["payment.refunded"]


def test_reset_and_empty_url_turn_the_publisher_off(
    sandbox: SandboxHandle, receiver: Receiver
) -> None:
    publish_to(sandbox, receiver)
    sandbox.reset()
    assert sandbox.control("GET", "events")["publisher"] is None
    publish_to(sandbox, receiver)
    assert sandbox.control("POST", "events", {"url": ""}) == {"publisher": None}
    paid = sandbox.paid_intent(1300)
    assert paid["status"] == "succeeded"
    # Turned off: a publisher set now receives only what happens from now on.
    publish_to(sandbox, receiver)
    sandbox.ok("POST", f"/v1/payments/{paid['successful_payment_id']}/refunds", {})
    receiver.wait_for("payment.refunded", id=paid["successful_payment_id"])
    assert [d.name for d in receiver.snapshot()] == ["payment.refunded"]


@pytest.mark.parametrize(
    "body",
    [
        {"url": "http://127.0.0.1:9/x"},
        {"url": "http://127.0.0.1:9/x", "secret": ""},
        {"url": "http://127.0.0.1:9/x", "secret": 5},
        {"url": 5, "secret": "s"},
    ],
)
def test_publisher_needs_url_and_secret(sandbox: SandboxHandle, body: dict[str, Any]) -> None:
    response = sandbox.client.post("/_sandbox/events", json=body)
    assert response.status_code == 422
    assert isinstance(response.json()["error"]["code"], str)


def test_published_objects_have_every_documented_field(
    sandbox: SandboxHandle, receiver: Receiver
) -> None:
    """Events carry the same objects as the API, and a completion's whole checkout."""
    publish_to(sandbox, receiver)
    checkout = sandbox.create_checkout(1092)  # declined first
    assert sandbox.pay("trm_side", checkout_id=checkout["id"]).status_code == 201
    failed = receiver.wait_for("checkout.completion.failed", checkout_id=checkout["id"])
    assert sandbox.pay("trm_virtual", checkout_id=checkout["id"]).status_code == 201
    sandbox.present("trm_virtual")
    succeeded = receiver.wait_for("checkout.completion.succeeded", checkout_id=checkout["id"])
    payment = receiver.wait_for("payment.succeeded", checkout_id=checkout["id"])
    errors: list[str] = []
    for delivery in (failed, succeeded):
        data = delivery.event["data"]
        errors += schema_errors("CheckoutCompletion", data, delivery.name)
        assert data["checkout"]["id"] == checkout["id"]  # the nested checkout was checked too
    errors += schema_errors("Payment", payment.event["data"], payment.name)
    assert not errors, "\n".join(errors)
    shown = sandbox.get(f"/v1/payments/{payment.event['data']['id']}")
    assert payment.event["data"]["balance"] == shown["balance"] > 0
