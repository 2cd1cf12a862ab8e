"""The sandbox's JustiFi: objects, rules and the simulated terminals.

Pure bookkeeping with no web stack: `api.py` turns HTTP into calls on
`Sandbox` and `ApiError` into JustiFi's error body. Behaviour JustiFi does not
document follows the decisions in the project's API notes (README, "Sandbox").
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pos_app.sandbox.clock import SandboxClock, iso, parse_iso
from pos_app.sandbox.fleet import (
    DECLINES,
    DEVICE_TIMEOUT_SECONDS,
    Scenario,
    TerminalSpec,
    TestCard,
    find_card,
    outcome_for_amount,
)
from pos_app.sandbox.store import Record, Store

VOID_WINDOW_SECONDS = 25 * 60
MINIMUM_AMOUNT = 51  # JustiFi: amounts must exceed 50 cents
MAXIMUM_AMOUNT = 99_999_999
CURRENCIES = ("usd", "cad")
REFUND_REASONS = ("duplicate", "fraudulent", "customer_request")
CANCELED_ON_TERMINAL = "canceled_on_terminal"
TERMINAL_TIMEOUT = "terminal_timeout"
ERROR_MESSAGES = {
    CANCELED_ON_TERMINAL: "The transaction was canceled on the terminal.",
    TERMINAL_TIMEOUT: "The terminal timed out waiting for a card.",
    **DECLINES,
}

DEMO_CLIENT_ID = "sandbox_client_id"
DEMO_CLIENT_SECRET = "sandbox_client_secret"
DEMO_SUB_ACCOUNT = "acc_sandbox_demo"
OTHER_SUB_ACCOUNT = "acc_sandbox_other"


class ApiError(Exception):
    """A refusal in JustiFi's shape: HTTP status, code, message, param."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        param: str | None = None,
        decline_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.decline_code = decline_code

    def body(self) -> dict[str, Any]:
        """JustiFi's error body."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.param is not None:
            error["param"] = self.param
        if self.decline_code is not None:
            error["decline_code"] = self.decline_code
        return {"error": error}


def not_found(kind: str, object_id: str) -> ApiError:
    """404 for an id that does not exist in the caller's sub account."""
    return ApiError(404, "not_found", f"No {kind} with id {object_id!r}.", param="id")


@dataclass
class SandboxConfig:
    """Everything the sandbox needs to start."""

    client_id: str = DEMO_CLIENT_ID
    client_secret: str = DEMO_CLIENT_SECRET
    sub_account: str = DEMO_SUB_ACCOUNT
    other_sub_accounts: tuple[str, ...] = (OTHER_SUB_ACCOUNT,)
    platform_account: str = "acc_sandbox_platform"
    token_ttl: float = 24 * 3600.0
    time_scale: float = 1.0
    scenario: Scenario = field(default_factory=Scenario)
    state_path: Path | None = None

    @property
    def sub_accounts(self) -> tuple[str, ...]:
        """Every sub account the credentials may act for."""
        return (self.sub_account, *self.other_sub_accounts)


@dataclass
class Event:
    """An event waiting to be published."""

    id: str
    event_name: str
    account_id: str
    data: dict[str, Any]
    created_at: str

    def payload(self, platform_account: str) -> dict[str, Any]:
        """The body JustiFi posts to an event publisher."""
        return {
            "id": self.id,
            "event_name": self.event_name,
            "account_id": self.account_id,
            "account_type": "test",
            "platform_account_id": platform_account,
            "data": self.data,
            "created_at": self.created_at,
        }


def new_id(prefix: str) -> str:
    """A JustiFi-looking id: prefix, underscore, random."""
    return f"{prefix}_{secrets.token_hex(10)}"


class Sandbox:
    """State and rules of the simulated JustiFi account."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.clock = SandboxClock(config.scenario.time_scale or config.time_scale)
        self.store = Store(config.state_path)
        self.tokens: dict[str, float] = {}
        self.outbox: list[Event] = []
        self.on_event: Callable[[Event], None] | None = None
        if self.store.is_empty():
            self._install_fleet(config.scenario.terminals)
        else:
            self._settle_interrupted_sessions()

    # -- life cycle -------------------------------------------------------

    def reset(self) -> None:
        """Forget every object and token; the scenario's fleet again."""
        self.store.clear()
        self.tokens.clear()
        self.outbox.clear()
        self.clock = SandboxClock(self.config.scenario.time_scale or self.config.time_scale)
        self._install_fleet(self.config.scenario.terminals)

    def _install_fleet(self, specs: Iterable[TerminalSpec]) -> None:
        for spec in specs:
            self.add_terminal(spec)

    def _settle_interrupted_sessions(self) -> None:
        # A session running when the sandbox stopped never heard from its
        # device again; from the API's side the device gave up.
        for session in self.store.all("session"):
            if session["status"] == "created":
                self._finish_without_card(session, TERMINAL_TIMEOUT)

    def now(self) -> str:
        """The simulated time in JustiFi's format."""
        return iso(self.clock.now())

    # -- tokens -----------------------------------------------------------

    def issue_token(self, client_id: Any, client_secret: Any) -> str:
        """A bearer token for the right credentials; 401 otherwise."""
        if not isinstance(client_id, str) or not isinstance(client_secret, str):
            raise ApiError(
                400, "invalid_parameter", "client_id and client_secret are required strings."
            )
        id_ok = secrets.compare_digest(client_id.encode(), self.config.client_id.encode())
        secret_ok = secrets.compare_digest(
            client_secret.encode(), self.config.client_secret.encode()
        )
        if not (id_ok and secret_ok):
            raise ApiError(401, "invalid_client", "Invalid client_id or client_secret.")
        token = "sbx_" + secrets.token_urlsafe(24)
        self.tokens[token] = self.clock.now() + self.config.token_ttl
        return token

    def check_token(self, authorization: str | None) -> None:
        """401 unless the header carries a live token."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "unauthorized", "Missing bearer token in Authorization header.")
        expires = self.tokens.get(token.strip())
        if expires is None:
            raise ApiError(401, "unauthorized", "The access token is not valid.")
        if self.clock.now() >= expires:
            raise ApiError(401, "token_expired", "The access token has expired.")

    def expire_tokens(self) -> int:
        """Make every issued token expired now (control API); how many."""
        now = self.clock.now()
        for token in self.tokens:
            self.tokens[token] = now
        return len(self.tokens)

    def check_sub_account(self, sub_account: str | None, *, required: bool) -> str | None:
        """The sub account a request acts for, after checking it."""
        if not sub_account:
            if required:
                raise ApiError(
                    400,
                    "sub_account_header_required",
                    "Missing required header: Sub-Account",
                    param="base",
                )
            return None
        if sub_account not in self.config.sub_accounts:
            raise ApiError(
                403, "forbidden", f"Sub account {sub_account!r} is not available to these keys."
            )
        return sub_account

    # -- lookups ----------------------------------------------------------

    def find(self, kind: str, object_id: str, sub_account: str | None) -> Record:
        """The record if it exists and belongs to the caller's sub account."""
        record = self.store.get(kind, object_id)
        if record is None or (sub_account and record.get("account_id") != sub_account):
            raise not_found(kind.replace("_", " "), object_id)
        return record

    def visible(self, kind: str, sub_account: str | None) -> list[Record]:
        """Every record the caller may list, newest first."""
        records = [
            r for r in self.store.all(kind) if not sub_account or r["account_id"] == sub_account
        ]
        records.reverse()
        return records

    def _touch(self, kind: str, record: Record) -> Record:
        record["updated_at"] = self.now()
        return self.store.put(kind, record)

    # -- payment intents --------------------------------------------------

    def create_payment_intent(self, body: dict[str, Any], sub_account: str) -> Record:
        """POST /v1/payment_intents."""
        now = self.now()
        intent = {
            "id": new_id("pi"),
            "account_id": sub_account,
            "amount": valid_amount(body.get("amount")),
            "currency": valid_currency(body.get("currency")),
            "description": valid_text(body.get("description"), "description"),
            "metadata": valid_metadata(body.get("metadata")),
            "payment_method": None,
            "status": "requires_payment_method",
            "successful_payment_id": None,
            "last_error": None,
            "created_at": now,
            "updated_at": now,
        }
        return self.store.put("payment_intent", intent)

    def update_payment_intent(self, intent: Record, body: dict[str, Any]) -> Record:
        """PATCH /v1/payment_intents/{id}: description and metadata only."""
        if "description" in body:
            intent["description"] = valid_text(body["description"], "description")
        if "metadata" in body:
            intent["metadata"] = valid_metadata(body["metadata"])
        return self._touch("payment_intent", intent)

    # -- checkouts --------------------------------------------------------

    def create_checkout(self, body: dict[str, Any], sub_account: str) -> Record:
        """POST /v1/checkouts."""
        now = self.now()
        amount = valid_amount(body.get("amount"))
        currency = valid_currency(body.get("currency"))
        description = valid_text(body.get("description"), "description")
        checkout: Record = {
            "id": new_id("cho"),
            "account_id": sub_account,
            "platform_account_id": self.config.platform_account,
            "payment_intent_id": None,
            "payment_amount": amount,
            "payment_currency": currency.upper(),
            "payment_description": description,
            "payment_methods": [],  # saved methods: none for a customer at the counter
            "payment_method_group_id": None,
            "amount": amount,
            "currency": currency,
            "description": description,
            "metadata": valid_metadata(body.get("metadata")),
            "status": "created",
            "mode": "test",
            "successful_payment_id": None,
            "statement_descriptor": None,
            "application_fees": None,  # no platform fee on a counter sale
            "payment_settings": {
                "credit_card_payments": True,
                "ach_payments": False,
                "bnpl_payments": False,
                "saved_payment_methods": False,
            },
            "payment": None,
            "completions": [],
            "created_at": now,
            "updated_at": now,
        }
        return self.store.put("checkout", checkout)

    def refund_checkout(self, checkout: Record, body: dict[str, Any]) -> Record:
        """POST /v1/checkouts/{id}/refunds: a card refund of its payment."""
        payment_id = checkout.get("successful_payment_id")
        if not payment_id:
            raise ApiError(
                422,
                "checkout_not_refundable",
                "The checkout has no successful payment.",
                param="id",
            )
        payment = self.find("payment", payment_id, None)
        return self.refund_payment(payment, body)

    # -- terminals --------------------------------------------------------

    def add_terminal(self, spec: TerminalSpec) -> Record:
        """A new simulated terminal (fleet, scenario or control API)."""
        if self.store.get("terminal", spec.id) is not None:
            raise ApiError(422, "invalid_parameter", f"Terminal {spec.id} exists.", param="id")
        now = self.now()
        serial = f"SIM{self.store.count('terminal') + 1:06d}"
        terminal = {
            "id": spec.id,
            "account_id": spec.sub_account or self.config.sub_account,
            "nickname": spec.nickname,
            "provider": "verifone_simulator",
            "provider_id": f"{serial}-{spec.model_name.upper()}",
            "provider_serial_number": serial,
            "model_name": spec.model_name,
            "status": "connected" if spec.connected else "disconnected",
            "platform_account_id": self.config.platform_account,
            "verified_at": now,
            "terminal_order_created_at": None,  # not ordered through JustiFi
            "status_last_requested_at": None,
            "created_at": now,
            "updated_at": now,
            "_behaviour": spec.behaviour,
            "_tap_after": spec.tap_after,
            "_connected": spec.connected,
            "_session": None,
            "_last_connected": now if spec.connected else None,
            "_last_active": None,
            "_identify_until": None,
        }
        return self.store.put("terminal", terminal)

    def terminal_live_status(self, terminal: Record) -> str:
        """What GET /v1/terminals/{id}/status reports from the device."""
        if not terminal["_connected"]:
            return "DISCONNECTED"
        return "ACTIVE" if terminal["_session"] else "CONNECTED"

    def terminal_status(self, terminal: Record) -> dict[str, Any]:
        """GET /v1/terminals/{id}/status (reaches the device)."""
        terminal["status_last_requested_at"] = self.now()
        if terminal["_connected"]:
            terminal["_last_connected"] = self.now()
        self.store.put("terminal", terminal)
        return {
            "id": terminal["id"],
            "status": self.terminal_live_status(terminal),
            "last_date_time_connected": terminal["_last_connected"],
            "last_date_time_active": terminal["_last_active"],
        }

    def update_terminal(self, terminal: Record, body: dict[str, Any]) -> Record:
        """PATCH /v1/terminals/{id}: the nickname."""
        nickname = body.get("nickname")
        if not isinstance(nickname, str) or not nickname.strip() or len(nickname) > 100:
            raise ApiError(
                422,
                "invalid_parameter",
                "nickname must be 1 to 100 characters.",
                param="nickname",
            )
        terminal["nickname"] = nickname.strip()
        return self._touch("terminal", terminal)

    def identify_terminal(self, terminal: Record) -> None:
        """POST /v1/terminals/{id}/identify: the device shows its name for 20 s."""
        self._require_connected(terminal)
        terminal["_identify_until"] = iso(self.clock.now() + 20)
        self.store.put("terminal", terminal)

    def set_connected(self, terminal: Record, connected: bool) -> Record:
        """Unplug or replug a terminal (control API)."""
        terminal["_connected"] = connected
        terminal["status"] = "connected" if connected else "disconnected"
        if connected:
            terminal["_last_connected"] = self.now()
        session_id = terminal["_session"]
        if not connected and session_id:
            # The customer can no longer act through the dead link; the
            # device will give up at its own deadline.
            session = self.store.get("session", session_id)
            if session is not None:
                session["_action"] = None
                self.store.put("session", session)
        return self._touch("terminal", terminal)

    def _require_connected(self, terminal: Record) -> None:
        if not terminal["_connected"]:
            raise ApiError(
                409,
                "terminal_not_connected",
                f"Terminal {terminal['id']} is not connected.",
                param="terminal_id",
            )

    def _require_idle(self, terminal: Record) -> None:
        self._require_connected(terminal)
        if terminal["_session"]:
            raise ApiError(
                409,
                "terminal_busy",
                f"Terminal {terminal['id']} is busy with another transaction.",
                param="terminal_id",
            )

    # -- sending to a terminal --------------------------------------------

    def terminal_pay(
        self, body: dict[str, Any], sub_account: str | None, device: Record | None = None
    ) -> Record:
        """POST /v1/terminals/pay in either form; returns the new session.

        `device` is a terminal-behaviour fault (`late_approval`, `never_resolves`).
        """
        terminal_id = valid_id(body.get("terminal_id"), "terminal_id")
        intent_id = body.get("payment_intent_id")
        checkout_id = body.get("checkout_id")
        if (intent_id is None) == (checkout_id is None):
            raise ApiError(
                422,
                "invalid_parameter",
                "Send exactly one of payment_intent_id or checkout_id.",
                param="payment_intent_id",
            )
        terminal = self.find("terminal", terminal_id, sub_account)
        if intent_id is not None:
            intent = self.find(
                "payment_intent", valid_id(intent_id, "payment_intent_id"), sub_account
            )
            self._require_idle(terminal)
            if intent["status"] != "requires_payment_method":
                raise ApiError(
                    422,
                    "payment_intent_not_payable",
                    f"Payment intent {intent['id']} is {intent['status']} and cannot be paid.",
                    param="payment_intent_id",
                )
            intent["status"] = "pending"
            intent["last_error"] = None
            self._touch("payment_intent", intent)
            return self._start_session(
                terminal, "payment", intent["amount"], payment_intent_id=intent["id"], device=device
            )
        checkout = self.find("checkout", valid_id(checkout_id, "checkout_id"), sub_account)
        self._require_idle(terminal)
        if checkout["status"] not in ("created", "attempted"):
            raise ApiError(
                422,
                "checkout_not_payable",
                f"Checkout {checkout['id']} is {checkout['status']} and cannot be paid.",
                param="checkout_id",
            )
        return self._start_session(
            terminal, "payment", checkout["amount"], checkout_id=checkout["id"], device=device
        )

    def terminal_refund(
        self, body: dict[str, Any], sub_account: str | None, device: Record | None = None
    ) -> Record:
        """POST /v1/terminals/refund: the customer taps to take money back."""
        terminal_id = valid_id(body.get("terminal_id"), "terminal_id")
        intent_id = valid_id(body.get("payment_intent_id"), "payment_intent_id")
        terminal = self.find("terminal", terminal_id, sub_account)
        intent = self.find("payment_intent", intent_id, sub_account)
        if intent["status"] != "succeeded" or not intent["successful_payment_id"]:
            raise ApiError(
                422,
                "payment_intent_not_refundable",
                f"Payment intent {intent_id} has not succeeded.",
                param="payment_intent_id",
            )
        payment = self.find("payment", intent["successful_payment_id"], None)
        amount = self._valid_refund_amount(payment, body.get("amount"))
        self._require_idle(terminal)
        return self._start_session(
            terminal,
            "refund",
            amount,
            payment_intent_id=intent_id,
            refund_payment_id=payment["id"],
            device=device,
        )

    def _start_session(
        self,
        terminal: Record,
        session_type: str,
        amount: int,
        *,
        payment_intent_id: str | None = None,
        checkout_id: str | None = None,
        refund_payment_id: str | None = None,
        device: Record | None = None,
    ) -> Record:
        started = self.clock.now()
        action: dict[str, Any] | None = None
        deadline: float | None = started + DEVICE_TIMEOUT_SECONDS
        if device is not None and device["kind"] == "never_resolves":
            deadline = None  # the device never reports: the session stays open
        elif device is not None:  # late_approval: JustiFi hears an approval after 90 s
            approve_at = float(device["approve_at"])
            action = {
                "at": started + approve_at,
                "action": "approve",
                "code": None,
                "message": None,
                "card": None,
            }
            deadline = started + max(DEVICE_TIMEOUT_SECONDS, approve_at + 1.0)
        elif terminal["_behaviour"] == "auto":
            outcome = outcome_for_amount(amount)
            if outcome.action != "walk_away":
                action = {
                    "at": started + terminal["_tap_after"],
                    "action": outcome.action,
                    "code": outcome.code,
                    "message": outcome.message,
                    "card": None,
                }
        session = {
            "id": new_id("tses" if checkout_id else "tmses"),
            "type": "terminal_sessions" if checkout_id else "terminal_payment_intent",
            "session_type": session_type,
            "status": "created",
            "amount": amount,
            "payment_id": None,
            "payment_intent_id": payment_intent_id,
            "checkout_id": checkout_id,
            "terminal_id": terminal["id"],
            "account_id": terminal["account_id"],
            "platform_account_id": self.config.platform_account,
            "created_at": iso(started),
            "updated_at": iso(started),
            "_deadline": deadline,
            "_device": device["kind"] if device else None,
            "_action": action,
            "_refund_payment_id": refund_payment_id,
            "_refund_id": None,
        }
        terminal["_session"] = session["id"]
        terminal["_last_active"] = iso(started)
        self._touch("terminal", terminal)
        return self.store.put("session", session)

    def active_session(self, terminal: Record) -> Record:
        """The session a terminal's screen shows; 409 when it shows none."""
        session_id = terminal["_session"]
        session = self.store.get("session", session_id) if session_id else None
        if session is None:
            raise ApiError(409, "no_active_session", f"Terminal {terminal['id']} is idle.")
        return session

    # -- the device acting ---------------------------------------------------

    def tick(self) -> None:
        """Let every running session act whose time has come."""
        now = self.clock.now()
        for session in self.store.all("session"):
            if session["status"] != "created":
                continue
            action = session["_action"]
            if action is not None and now >= action["at"]:
                self.act(session, action["action"], action.get("code"), action.get("card"))
            elif session["_deadline"] is not None and now >= session["_deadline"]:
                self._finish_without_card(session, TERMINAL_TIMEOUT)

    def act(
        self, session: Record, action: str, code: str | None = None, card_key: str | None = None
    ) -> Record:
        """The customer (or cashier) acts on a running session."""
        if session["status"] != "created":
            raise ApiError(409, "session_finished", f"Session {session['id']} has ended.")
        if action == "approve":
            card = find_card(card_key, session["amount"])
            if card is None:
                raise ApiError(
                    422, "invalid_parameter", f"Unknown test card {card_key!r}.", param="card"
                )
            if session["session_type"] == "refund":
                self._approve_refund(session, card.brand, card.last4)
            else:
                self._approve_payment(session, card.key)
        elif action == "decline":
            decline = code or "card_declined"
            if session["session_type"] == "refund":
                self._fail_refund(session, decline)
            else:
                self._decline_payment(session, decline, card_key)
        elif action == "cancel":
            self._finish_without_card(session, CANCELED_ON_TERMINAL)
        else:
            raise ApiError(422, "invalid_parameter", f"Unknown action {action!r}.", param="action")
        return session

    def _end_session(self, session: Record, status: str) -> None:
        session["status"] = status
        session["_action"] = None
        session["updated_at"] = self.now()
        self.store.put("session", session)
        terminal = self.store.get("terminal", session["terminal_id"])
        if terminal is not None and terminal["_session"] == session["id"]:
            terminal["_session"] = None
            self._touch("terminal", terminal)

    def _approve_payment(self, session: Record, card_key: str) -> None:
        card = find_card(card_key, session["amount"])
        assert card is not None  # checked by act()
        payment = self._new_payment(session, "succeeded", card_key)
        session["payment_id"] = payment["id"]
        self._end_session(session, "completed")
        card_method = self._card_method(card, session["account_id"])
        if session["payment_intent_id"]:
            intent = self.find("payment_intent", session["payment_intent_id"], None)
            intent.update(
                status="succeeded",
                successful_payment_id=payment["id"],
                payment_method=card_method,
                last_error=None,
            )
            self._touch("payment_intent", intent)
            self._emit("payment_intent.succeeded", intent)
        else:
            self._add_completion(session, payment, "succeeded", None)
        self._emit("payment.succeeded", self.render_payment(payment))

    def _card_method(self, card: TestCard, account_id: str) -> dict[str, Any]:
        """A payment method as JustiFi shows it on an intent (the seed's shape)."""
        now = self.now()
        month, year = card.expiry.split("/")
        method_id = new_id("pm")
        return {
            "card": {
                "id": method_id,
                "acct_last_four": card.last4,
                "brand": card.brand,
                "name": card.cardholder_name,
                "token": method_id,
                "month": str(int(month)),
                "year": f"20{year}",
                "metadata": {},
                "created_at": now,
                "updated_at": now,
                "address_line1_check": "unchecked",
                "address_postal_code_check": "unchecked",
            },
            "customer_id": None,
            "signature": secrets.token_urlsafe(16),
            "account_id": account_id,
        }

    def _decline_payment(self, session: Record, code: str, card_key: str | None) -> None:
        payment = self._new_payment(session, "failed", card_key, code)
        session["payment_id"] = payment["id"]
        self._end_session(session, "failed")
        if session["payment_intent_id"]:
            self._intent_attempt_failed(session, code, payment["id"])
        else:
            self._add_completion(session, payment, "failed", code)
        self._emit("payment.failed", self.render_payment(payment))

    def _finish_without_card(self, session: Record, code: str) -> None:
        status = "canceled" if code == CANCELED_ON_TERMINAL else "timed_out"
        self._end_session(session, status)
        if session["session_type"] == "refund":
            self._fail_refund(session, code, end=False)
        elif session["payment_intent_id"]:
            self._intent_attempt_failed(session, code, None)
        else:
            self._add_completion(session, None, "failed", code)

    def _intent_attempt_failed(self, session: Record, code: str, payment_id: str | None) -> None:
        intent = self.find("payment_intent", session["payment_intent_id"], None)
        if session["session_type"] == "payment":
            intent["status"] = "requires_payment_method"
        intent["last_error"] = {
            "code": code,
            "message": ERROR_MESSAGES.get(code, "The transaction failed."),
            "payment_id": payment_id,
            "terminal_id": session["terminal_id"],
            "terminal_session_id": session["id"],
            "session_type": session["session_type"],
        }
        self._touch("payment_intent", intent)

    def _new_payment(
        self, session: Record, status: str, card_key: str | None, code: str | None = None
    ) -> Record:
        card = find_card(card_key, session["amount"]) or find_card(None, session["amount"])
        assert card is not None
        now = self.now()
        succeeded = status == "succeeded"
        currency = self._currency_of(session)
        fee = processing_fee(session["amount"]) if succeeded else 0
        payment = {
            "id": new_id("py"),
            "account_id": session["account_id"],
            "amount": session["amount"],
            "amount_disputed": 0,
            "amount_refunded": 0,
            "amount_refundable": session["amount"] if succeeded else 0,
            "balance": 0,  # computed when shown
            "fee_amount": fee,
            "financial_transaction_id": new_id("ft") if succeeded else None,
            "captured": succeeded,
            "capture_strategy": "automatic",
            "currency": currency,
            "description": self._description_of(session),
            "disputed": False,
            "disputes": [],
            "error_code": code,
            "error_description": ERROR_MESSAGES.get(code) if code else None,
            "is_test": True,
            "metadata": {},
            "payment_intent_id": session["payment_intent_id"],
            "checkout_id": session["checkout_id"],
            "payment_method": {
                "status": "valid",
                "invalid_reason": None,
                "created_at": now,
                "updated_at": now,
                "card_present": {
                    "brand": card.brand,
                    "last4": card.last4,
                    "cardholder_name": card.cardholder_name,
                    "expiry": card.expiry,
                },
                "customer_id": None,
                "signature": None,
                "account_id": session["account_id"],
            },
            "application_fee": None,  # a card-present sale carries no platform fee
            "application_fee_rate_id": None,
            "fees": [fee_record(fee, currency, now)] if fee else [],
            "refunded": False,
            "status": status,
            "payment_mode": "card_present",
            "terminal_id": session["terminal_id"],
            "transaction_hold": None,
            "expedited": None,
            "refunds": [],
            "created_at": now,
            "updated_at": now,
        }
        return self.store.put("payment", payment)

    def _currency_of(self, session: Record) -> str:
        source = self._source_of(session)
        return str(source.get("currency") or "usd")

    def _description_of(self, session: Record) -> str | None:
        return self._source_of(session).get("description")

    def _source_of(self, session: Record) -> Record:
        if session["payment_intent_id"]:
            return self.find("payment_intent", session["payment_intent_id"], None)
        return self.find("checkout", session["checkout_id"], None)

    def _add_completion(
        self, session: Record, payment: Record | None, status: str, code: str | None
    ) -> None:
        checkout = self.find("checkout", session["checkout_id"], None)
        now = self.now()
        completion = {
            "id": new_id("chc"),
            "payment_mode": "card_present",
            "payment_token": None,  # a tapped card is not tokenised for the platform
            "status": status,
            "payment_status": payment["status"] if payment else None,
            "payment_error_code": code,
            "payment_error_description": ERROR_MESSAGES.get(code) if code else None,
            "payment_response": (
                {"id": payment["id"], "status": payment["status"], "amount": payment["amount"]}
                if payment
                else None
            ),
            "checkout_id": checkout["id"],
            "additional_transactions": [],
            "checkout": None,  # the enclosing checkout; events carry it whole
            "payment_id": payment["id"] if payment else None,
            "payment_method_id": None,
            "terminal_id": session["terminal_id"],
            "terminal_session_id": session["id"],
            "created_at": now,
            "updated_at": now,
        }
        checkout["completions"].append(completion)
        if status == "succeeded" and payment is not None:
            checkout["status"] = "completed"
            checkout["successful_payment_id"] = payment["id"]
            checkout["payment"] = {
                "id": payment["id"],
                "amount": payment["amount"],
                "currency": payment["currency"],
                "status": payment["status"],
                "payment_mode": payment["payment_mode"],
            }
        else:
            checkout["status"] = "attempted"
        self._touch("checkout", checkout)
        self._emit(
            f"checkout.completion.{status}",
            {**completion, "account_id": checkout["account_id"], "checkout": public(checkout)},
        )

    # -- refunds and voids ----------------------------------------------------

    def _valid_refund_amount(self, payment: Record, raw: Any) -> int:
        refundable = payment["amount_refundable"]
        if payment["status"] in ("fully_refunded",) or (
            payment["status"] == "succeeded" and refundable == 0
        ):
            raise ApiError(
                422,
                "payment_fully_refunded",
                f"Payment {payment['id']} is fully refunded.",
                param="amount",
            )
        if payment["status"] not in ("succeeded", "partially_refunded"):
            raise ApiError(
                422,
                "payment_not_refundable",
                f"Payment {payment['id']} is {payment['status']}.",
                param="id",
            )
        if raw is None:
            return int(refundable)
        amount = valid_positive_int(raw, "amount")
        if amount > refundable:
            raise ApiError(
                422,
                "refund_exceeds_amount_available",
                f"Refund of {amount} exceeds the {refundable} available to refund.",
                param="amount",
            )
        return amount

    def refund_payment(self, payment: Record, body: dict[str, Any]) -> Record:
        """POST /v1/payments/{id}/refunds: back to the original card."""
        amount = self._valid_refund_amount(payment, body.get("amount"))
        reason = body.get("reason")
        if reason is not None and reason not in REFUND_REASONS:
            raise ApiError(
                422,
                "invalid_parameter",
                f"reason must be one of {', '.join(REFUND_REASONS)}.",
                param="reason",
            )
        return self._record_refund(
            payment,
            amount,
            reason=reason,
            description=valid_text(body.get("description"), "description"),
            metadata=valid_metadata(body.get("metadata")),
        )

    def _record_refund(
        self,
        payment: Record,
        amount: int,
        *,
        reason: str | None = None,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        session: Record | None = None,
    ) -> Record:
        now = self.now()
        refund = {
            "id": new_id("re"),
            "account_id": payment["account_id"],
            "payment_id": payment["id"],
            "amount": amount,
            "currency": payment["currency"],
            "reason": reason,
            "description": description,
            "metadata": metadata or {},
            "status": "succeeded",
            "returned_fees": [],  # processing fees are not returned on a refund
            "terminal_id": session["terminal_id"] if session else None,
            "terminal_session_id": session["id"] if session else None,
            "created_at": now,
            "updated_at": now,
        }
        self.store.put("refund", refund)
        payment["amount_refunded"] += amount
        payment["amount_refundable"] -= amount
        payment["status"] = (
            "fully_refunded" if payment["amount_refundable"] == 0 else "partially_refunded"
        )
        payment["refunds"].append(refund["id"])
        self._touch("payment", payment)
        self._emit("payment.refunded", self.render_payment(payment))
        return refund

    def _approve_refund(self, session: Record, brand: str, last4: str) -> None:
        payment = self.find("payment", session["_refund_payment_id"], None)
        if session["amount"] > payment["amount_refundable"]:
            # Another refund took the money while the customer was tapping.
            self._fail_refund(session, "refund_exceeds_amount_available")
            return
        refund = self._record_refund(payment, session["amount"], session=session)
        session["_refund_id"] = refund["id"]
        session["payment_id"] = payment["id"]
        self._end_session(session, "completed")
        del brand, last4  # the refund goes to the card that paid, whichever was tapped

    def _fail_refund(self, session: Record, code: str, *, end: bool = True) -> None:
        if end:
            self._end_session(session, "failed")
        self._intent_attempt_failed(session, code, None)

    def void_payment(self, payment: Record) -> Record:
        """POST /v1/payments/{id}/void: only within 25 minutes, only untouched."""
        if payment["status"] != "succeeded" or payment["amount_refunded"]:
            raise ApiError(
                422,
                "payment_not_voidable",
                f"Payment {payment['id']} is {payment['status']} and cannot be voided.",
                param="id",
            )
        age = self.clock.now() - parse_iso(payment["created_at"])
        if age > VOID_WINDOW_SECONDS:
            raise ApiError(
                422,
                "payment_outside_void_window",
                "Payments can only be voided within 25 minutes.",
                param="id",
            )
        payment["status"] = "canceled"
        payment["amount_refundable"] = 0
        return self._touch("payment", payment)

    def render_payment(self, payment: Record) -> Record:
        """A payment with its refunds expanded, as the API shows it."""
        rendered = dict(payment)
        settled = payment["status"] in ("succeeded", "partially_refunded", "fully_refunded")
        fee = int(payment.get("fee_amount") or 0)
        rendered["balance"] = payment["amount"] - fee - payment["amount_refunded"] if settled else 0
        rendered["refunded"] = payment["amount_refunded"] > 0
        rendered["refunds"] = [
            public(r) for r in (self.store.get("refund", rid) for rid in payment["refunds"]) if r
        ]
        return public(rendered)

    # -- events ---------------------------------------------------------------

    def _emit(self, name: str, data: Record) -> None:
        event = Event(new_id("evt"), name, str(data.get("account_id")), public(data), self.now())
        if self.on_event is not None:
            self.on_event(event)


def processing_fee(amount: int) -> int:
    """The sandbox's card-present processing fee: 2.6% + 15 cents, in cents."""
    return round(amount * 0.026) + 15


def fee_record(amount: int, currency: str, now: str) -> Record:
    """One fee item of a payment's `fees`."""
    return {
        "id": new_id("fee"),
        "amount": amount,
        "currency": currency,
        "type": "processing_fee",
        "created_at": now,
        "updated_at": now,
    }


def public(record: Record) -> Record:
    """The record without the simulator's own underscore keys."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


# -- validation: JustiFi-shaped 4xx for every bad field -------------------------


def valid_amount(raw: Any) -> int:
    """An amount in cents above JustiFi's 50-cent minimum."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ApiError(
            422, "invalid_parameter", "amount must be an integer number of cents.", param="amount"
        )
    if raw < MINIMUM_AMOUNT:
        raise ApiError(
            422, "amount_below_minimum", "amount must be greater than 50 cents.", param="amount"
        )
    if raw > MAXIMUM_AMOUNT:
        raise ApiError(
            422, "invalid_parameter", f"amount must be at most {MAXIMUM_AMOUNT}.", param="amount"
        )
    return raw


def valid_positive_int(raw: Any, param: str) -> int:
    """A positive integer (refund amounts)."""
    if isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0 or raw > MAXIMUM_AMOUNT:
        raise ApiError(
            422, "invalid_parameter", f"{param} must be a positive integer of cents.", param=param
        )
    return raw


def valid_currency(raw: Any) -> str:
    """usd (the default) or cad."""
    if raw is None:
        return "usd"
    if not isinstance(raw, str) or raw.lower() not in CURRENCIES:
        raise ApiError(422, "invalid_parameter", "currency must be usd or cad.", param="currency")
    return raw.lower()


def valid_text(raw: Any, param: str, limit: int = 255) -> str | None:
    """An optional string of at most `limit` characters."""
    if raw is None:
        return None
    if not isinstance(raw, str) or len(raw) > limit:
        raise ApiError(
            422,
            "invalid_parameter",
            f"{param} must be a string of at most {limit} characters.",
            param=param,
        )
    return raw


def valid_metadata(raw: Any) -> dict[str, Any]:
    """An optional flat object of string keys and scalar values."""
    if raw is None:
        return {}
    if (
        not isinstance(raw, dict)
        or len(raw) > 50
        or not all(
            isinstance(k, str)
            and len(k) <= 40
            and (v is None or isinstance(v, str | int | float))
            and len(str(v)) <= 500
            for k, v in raw.items()
        )
    ):
        raise ApiError(
            422,
            "invalid_parameter",
            "metadata must be an object of at most 50 keys with scalar values.",
            param="metadata",
        )
    return dict(raw)


def valid_id(raw: Any, param: str) -> str:
    """A required id string."""
    if not isinstance(raw, str) or not raw or len(raw) > 100:
        raise ApiError(422, "invalid_parameter", f"{param} is required.", param=param)
    return raw
