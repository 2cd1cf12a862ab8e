"""Pydantic models of the JustiFi API bodies the POS reads.

Lenient on purpose: unknown fields are ignored, every field that is not needed to
identify an object is optional, and the oddities of JustiFi's published examples
(numeric envelope ids, ``page_info`` as a placeholder string, ``acct_last_four`` as
a number) parse. Card data is reduced to brand, last four and cardholder name:
tokens, signatures, expiry and the like are never modelled, so never kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

__all__ = [
    "CardDetails",
    "CardPresentDetails",
    "Checkout",
    "CheckoutCompletion",
    "Envelope",
    "ErrorBody",
    "ErrorDetail",
    "LastError",
    "Page",
    "PageInfo",
    "Payment",
    "PaymentIntent",
    "PaymentMethod",
    "Refund",
    "Terminal",
    "TerminalPaySession",
    "TerminalState",
    "TerminalStatus",
    "TokenResponse",
    "unwrap",
]

M = TypeVar("M", bound=BaseModel)


class _Model(BaseModel):
    """Base of every API model: extra fields ignored, instances immutable."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def _assume_utc(value: datetime) -> datetime:
    # JustiFi sends "...Z"; a timestamp without an offset is taken as UTC, never local time.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


Timestamp = Annotated[datetime, AfterValidator(_assume_utc)]
"""An aware datetime; ISO 8601 with ``Z`` or an offset; naive values are taken as UTC."""


def _none_to_empty_dict(value: object) -> object:
    return {} if value is None else value


def _none_to_empty_list(value: object) -> object:
    return [] if value is None else value


# --- envelope, paging, errors -------------------------------------------------------------


class PageInfo(_Model):
    """Cursor paging state of a list response."""

    has_previous: bool = False
    has_next: bool = False
    start_cursor: str | None = None
    end_cursor: str | None = None


def _page_info_or_none(value: object) -> object:
    # JustiFi's single-object examples show "page_info": "string"; only a dict means anything.
    return value if isinstance(value, Mapping) else None


class Envelope(_Model):
    """The wrapper around every single-object response: ``{id, type, data, page_info}``."""

    id: str | int | None = None
    type: str | None = None
    data: Any = None
    page_info: PageInfo | None = None

    _page_info = field_validator("page_info", mode="before")(_page_info_or_none)


def unwrap(body: Mapping[str, Any], model: type[M]) -> M:
    """Validate the ``data`` of a single-object envelope as ``model``.

    A body without ``data`` that carries an ``id`` is taken as the bare object (a
    reasonable variant of the documented shape), unless it is an envelope that
    lost its ``data`` (it has the envelope's ``type`` or ``page_info``): read as
    an object, that would be a sale with no status, quietly "still pending".
    """
    envelope = Envelope.model_validate(body)
    if envelope.data is None and "data" not in body and "id" in body:
        if "type" in body or "page_info" in body:
            # Raised as pydantic's error so every caller reports it as malformed.
            model.model_validate(None)
        return model.model_validate(body)
    return model.model_validate(envelope.data)


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list response: the items plus the cursors to fetch the next one."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    items: list[T] = Field(default_factory=list)
    page_info: PageInfo = Field(default_factory=PageInfo)

    @property
    def has_next(self) -> bool:
        """True when another page follows this one."""
        return self.page_info.has_next

    @property
    def next_cursor(self) -> str | None:
        """The ``after_cursor`` to pass for the next page, or None."""
        return self.page_info.end_cursor if self.page_info.has_next else None

    @classmethod
    def from_body(cls, body: Mapping[str, Any], model: type[M]) -> Page[M]:
        """Parse a list envelope ``{id, type: "array", data: [...], page_info}``."""
        raw_items = body.get("data")
        if raw_items is None:
            raw_items = []
        if not isinstance(raw_items, list):
            raise TypeError("list response 'data' is not an array")
        page_info_raw = _page_info_or_none(body.get("page_info"))
        page_info = PageInfo.model_validate(page_info_raw) if page_info_raw else PageInfo()
        items = [model.model_validate(item) for item in raw_items]
        return Page(items=items, page_info=page_info)


class ErrorDetail(_Model):
    """The inside of an error body. Every field may be missing."""

    code: str | None = None
    message: str | None = None
    param: str | None = None
    decline_code: str | None = None


class ErrorBody(_Model):
    """``{"error": {"code", "message", "param"?, "decline_code"?}}`` or ``{"error": "text"}``."""

    error: ErrorDetail = Field(default_factory=ErrorDetail)

    @field_validator("error", mode="before")
    @classmethod
    def _bare_string(cls, value: object) -> object:
        if isinstance(value, str):
            return {"message": value}
        if value is None:
            return {}
        return value


class TokenResponse(_Model):
    """Body of ``POST /oauth/token``. The token is a SecretStr so it never shows in a repr."""

    access_token: SecretStr


# --- cards ----------------------------------------------------------------------------------


def _last_four(value: object) -> str | None:
    """Normalise a last-four value (number or string) to exactly four characters."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("last four cannot be a boolean")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("last four cannot be negative")
        # A number loses leading zeros: 42 stands for "0042".
        return str(value).zfill(4)[-4:]
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        # Keep only the last four, whatever arrived: never hold more of the number.
        return text.zfill(4)[-4:]
    raise TypeError("last four must be a number or a string")


class CardDetails(_Model):
    """``payment_method.card``: only brand, last four and cardholder name are kept."""

    brand: str | None = None
    acct_last_four: str | None = None
    name: str | None = None

    _normalise_last_four = field_validator("acct_last_four", mode="before")(_last_four)


class CardPresentDetails(_Model):
    """``payment_method.card_present``: only brand, last four and cardholder name are kept."""

    brand: str | None = None
    last4: str | None = None
    cardholder_name: str | None = None

    _normalise_last_four = field_validator("last4", mode="before")(_last_four)


class PaymentMethod(_Model):
    """A payment method holding either ``card`` or ``card_present`` details."""

    card: CardDetails | None = None
    card_present: CardPresentDetails | None = None

    def brand_last4(self) -> tuple[str | None, str | None]:
        """(brand, last four) from whichever of ``card_present`` / ``card`` is present."""
        if self.card_present is not None:
            return self.card_present.brand, self.card_present.last4
        if self.card is not None:
            return self.card.brand, self.card.acct_last_four
        return None, None

    @property
    def cardholder_name(self) -> str | None:
        """The name on the card, when the card reported one."""
        if self.card_present is not None and self.card_present.cardholder_name:
            return self.card_present.cardholder_name
        if self.card is not None:
            return self.card.name
        return None


# --- payment intents, payments, refunds --------------------------------------------------------


class LastError(_Model):
    """Why the last terminal attempt on an intent ended without success.

    ``code`` is ``canceled_on_terminal``, ``terminal_timeout`` or a decline code.
    """

    code: str | None = None
    message: str | None = None
    payment_id: str | None = None
    terminal_id: str | None = None
    terminal_session_id: str | None = None
    session_type: str | None = None


class PaymentIntent(_Model):
    """A payment intent (``pi_...``)."""

    id: str
    account_id: str | None = None
    amount: int | None = None
    currency: str | None = None
    description: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    payment_method: PaymentMethod | None = None
    status: str | None = None
    successful_payment_id: str | None = None
    last_error: LastError | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None

    _metadata = field_validator("metadata", mode="before")(_none_to_empty_dict)

    @field_validator("last_error", mode="before")
    @classmethod
    def _bare_last_error(cls, value: object) -> object:
        if isinstance(value, str):
            return {"code": value}
        return value


class Refund(_Model):
    """A refund (``re_...``); ``status`` is ``pending``, ``succeeded`` or ``failed``."""

    id: str
    payment_id: str | None = None
    amount: int | None = None
    status: str | None = None
    reason: str | None = None
    description: str | None = None
    terminal_id: str | None = None
    terminal_session_id: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None


class Payment(_Model):
    """A payment (``py_...``): one attempt to charge a card."""

    id: str
    account_id: str | None = None
    amount: int | None = None
    amount_refunded: int | None = None
    amount_refundable: int | None = None
    currency: str | None = None
    status: str | None = None
    payment_mode: str | None = None
    terminal_id: str | None = None
    payment_intent_id: str | None = None
    checkout_id: str | None = None
    error_code: str | None = None
    error_description: str | None = None
    payment_method: PaymentMethod | None = None
    refunds: list[Refund] = Field(default_factory=list)
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None

    _refunds = field_validator("refunds", mode="before")(_none_to_empty_list)

    def brand_last4(self) -> tuple[str | None, str | None]:
        """(brand, last four) of the card used, or (None, None)."""
        if self.payment_method is None:
            return None, None
        return self.payment_method.brand_last4()


# --- checkouts ---------------------------------------------------------------------------------


class CheckoutCompletion(_Model):
    """One attempt on a checkout (``chc_...``)."""

    id: str
    payment_mode: str | None = None
    status: str | None = None
    payment_status: str | None = None
    payment_id: str | None = None
    payment_error_code: str | None = None
    payment_error_description: str | None = None
    terminal_id: str | None = None
    terminal_session_id: str | None = None
    created_at: Timestamp | None = None


class Checkout(_Model):
    """A checkout (``cho_...``): ``created``, ``attempted``, ``completed`` or ``expired``."""

    id: str
    account_id: str | None = None
    amount: int | None = None
    currency: str | None = None
    description: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    status: str | None = None
    successful_payment_id: str | None = None
    completions: list[CheckoutCompletion] = Field(default_factory=list)
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None

    _metadata = field_validator("metadata", mode="before")(_none_to_empty_dict)
    _completions = field_validator("completions", mode="before")(_none_to_empty_list)

    @model_validator(mode="before")
    @classmethod
    def _documented_payment_fields(cls, value: object) -> object:
        # SCHEMAS.md names them payment_amount, payment_currency (upper case) and
        # payment_description; the seed's examples say amount, currency, description.
        if not isinstance(value, Mapping):
            return value
        flat = dict(value)
        for short, documented in (
            ("amount", "payment_amount"),
            ("currency", "payment_currency"),
            ("description", "payment_description"),
        ):
            if flat.get(short) is None and flat.get(documented) is not None:
                flat[short] = flat[documented]
        if isinstance(flat.get("currency"), str):
            flat["currency"] = flat["currency"].lower()
        return flat


# --- terminals ---------------------------------------------------------------------------------


class TerminalState(StrEnum):
    """The last known state JustiFi records on a terminal (``Terminal.status``)."""

    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    UNKNOWN = "unknown"
    PENDING_CONFIGURATION = "pending_configuration"
    ARCHIVED = "archived"


class Terminal(_Model):
    """A terminal (``trm_...``) as listed. ``status`` is lower case; unknown values are kept."""

    id: str
    account_id: str | None = None
    nickname: str | None = None
    provider: str | None = None
    provider_id: str | None = None
    provider_serial_number: str | None = None
    model_name: str | None = None
    status: str | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _lower_status(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @property
    def state(self) -> TerminalState | None:
        """``status`` as a known TerminalState, or None when missing or not known."""
        if self.status is None:
            return None
        try:
            return TerminalState(self.status)
        except ValueError:
            return None

    @property
    def display_name(self) -> str:
        """Nickname when set, else the id."""
        return self.nickname or self.id


class TerminalStatus(_Model):
    """Live status from ``GET /v1/terminals/{id}/status`` (upper case, e.g. ``CONNECTED``)."""

    id: str
    status: str | None = None
    last_date_time_connected: Timestamp | None = None
    last_date_time_active: Timestamp | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _upper_status(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @property
    def is_ready(self) -> bool:
        """True only when the device is ``CONNECTED`` (``ACTIVE`` means busy)."""
        return self.status == "CONNECTED"


class TerminalPaySession(_Model):
    """What ``POST /v1/terminals/pay`` (or ``/refund``) answers, in either shape.

    Validate it from the whole response body (the envelope): the
    ``terminal_payment_intent`` shape carries ``data.payment_intent`` and
    ``data.terminal.id`` with the session id on the envelope; the
    ``terminal_sessions`` shape carries the session fields in ``data``.
    """

    id: str | None = None
    envelope_type: str | None = None
    session_type: str | None = None
    status: str | None = None
    terminal_id: str | None = None
    account_id: str | None = None
    checkout_id: str | None = None
    payment_id: str | None = None
    payment_intent_id: str | None = None
    payment_intent: PaymentIntent | None = None

    @model_validator(mode="before")
    @classmethod
    def _flatten_envelope(cls, value: object) -> object:
        if not isinstance(value, Mapping) or not isinstance(value.get("data"), Mapping):
            return value
        data: Mapping[str, Any] = value["data"]
        flat: dict[str, Any] = dict(data)
        session_id = data.get("id", value.get("id"))
        flat["id"] = str(session_id) if isinstance(session_id, int) else session_id
        flat["envelope_type"] = value.get("type")
        intent = data.get("payment_intent")
        if isinstance(intent, Mapping) and not flat.get("payment_intent_id"):
            flat["payment_intent_id"] = intent.get("id")
        terminal = data.get("terminal")
        if isinstance(terminal, Mapping) and not flat.get("terminal_id"):
            flat["terminal_id"] = terminal.get("id")
        return flat
