"""The lane settings' rules, once: what a value may be, and the sentence when it may not.

Two places check settings and both ask here: `pos_app.config` (the environment
and settings.toml, when a lane starts or the file is saved) and
`pos_app.services.settings` (the manager's settings dialog, field by field as
it is typed). Pure: no I/O, no clock.

Rules worth knowing:

- A rule returns "" when the value is good, else one sentence that says what
  to type (the dialog shows it under the field; the CLI prints it).
- The API URL is https, or plain http only on this computer (a local sandbox).
- Only JustiFi's own host with a client id that is not a test one (test_...)
  is LIVE; every other URL is TEST, whatever the credentials.
- The idle sign-out time is whole minutes, 1 to 480 (a working day): the
  person signed in at the till is signed out after that long without activity.
- The discount limit is a whole percent, 0 to 100 (10 unless set): a sale whose
  discounts (its lines' and its own together) take off more than that share of
  its gross needs a manager's approval. 0 means every discount does; 100 means
  none does, since no discount can take off more than the sale.
- The receipt printer (which also opens the cash drawer) is empty for none, or
  `network:HOST[:PORT]`, `usb:VENDOR:PRODUCT` (hex ids), `serial:DEVICE` or
  `file:PATH`: the forms `pos_app.printing.escpos.EscposTarget.parse` reads.
  This rule is a little stricter than that parser (no spaces in a host, ids of
  1 to 4 hex digits, a port when a colon says one follows), so the dialog
  refuses what would only fail at the first receipt.
- Ids typed in the dialog must look like JustiFi's (acc_..., trm_..., no
  spaces). The settings file and the environment are not held to those
  formats: a kiosk's environment may name ids the dialog never sees.

Cheap to import (no dataclass, no decimal until a tax rate is parsed): the
till's first screen (`pos_app.first_look`) reads the badge rule before the
full settings load. The editable settings themselves are
`pos_app.domain.settings_values.SettingsValues`.
"""

from __future__ import annotations

import re
from typing import Final, Literal, get_args

__all__ = [
    "ANSWER_GRACE_SECONDS",
    "CURRENCIES",
    "DEFAULT_API_URL",
    "DEFAULT_DISCOUNT_APPROVAL_PERCENT",
    "DEFAULT_IDLE_SIGN_OUT_MINUTES",
    "DEFAULT_MAX_AMOUNT_CENTS",
    "DEFAULT_PAYMENT_FLOW",
    "DEVICE_TIMEOUT_SECONDS",
    "DISCOUNT_APPROVAL_MAX_PERCENT",
    "IDLE_SIGN_OUT_MAX_MINUTES",
    "IDLE_SIGN_OUT_MIN_MINUTES",
    "LANE_MAX_LENGTH",
    "LOCAL_HTTP_PREFIXES",
    "MAX_SECONDS",
    "MIN_MAX_AMOUNT_CENTS",
    "PAYMENT_FLOWS",
    "POLL_INTERVAL_MAX",
    "PRINTER_KINDS",
    "RECEIPT_HEADER_MAX_LINES",
    "RECEIPT_HEADER_MAX_WIDTH",
    "TAX_MAX_BPS",
    "Currency",
    "Environment",
    "PaymentFlowName",
    "bps_to_percent",
    "client_id_problem",
    "discount_limit_bps",
    "discount_percent_problem",
    "environment",
    "header_lines",
    "header_problem",
    "idle_minutes_problem",
    "is_justifi_host",
    "lane_problem",
    "normalise_header",
    "normalise_receipt_printer",
    "normalise_url",
    "parse_discount_percent",
    "parse_idle_minutes",
    "parse_tax_percent",
    "payment_flow_problem",
    "receipt_printer_problem",
    "secret_problem",
    "sub_account_problem",
    "terminal_problem",
    "url_problem",
]

PaymentFlowName = Literal["payment_intent", "checkout"]
Currency = Literal["usd", "cad"]
Environment = Literal["LIVE", "TEST"]

#: The JustiFi flows a lane can take payments with; the first is the default.
PAYMENT_FLOWS: Final[tuple[PaymentFlowName, ...]] = get_args(PaymentFlowName)
DEFAULT_PAYMENT_FLOW: Final[PaymentFlowName] = PAYMENT_FLOWS[0]
CURRENCIES: Final[tuple[Currency, ...]] = get_args(Currency)

DEFAULT_API_URL: Final = "https://api.justifi.ai"
#: Plain http is allowed only to this computer (the demo sandbox, a test server).
LOCAL_HTTP_PREFIXES: Final = ("http://127.0.0.1", "http://localhost", "http://[::1]")
#: JustiFi's test client ids start with this; they never charge real cards.
TEST_CLIENT_PREFIX: Final = "test_"
SUB_ACCOUNT_PREFIX: Final = "acc_"
TERMINAL_PREFIX: Final = "trm_"

LANE_MAX_LENGTH: Final = 64
#: A receipt header is printed as is on every receipt: a few short lines.
RECEIPT_HEADER_MAX_LINES: Final = 8
RECEIPT_HEADER_MAX_WIDTH: Final = 48
#: 100 % in basis points.
TAX_MAX_BPS: Final = 10_000
#: The largest sale a lane takes unless set otherwise ($10,000.00).
DEFAULT_MAX_AMOUNT_CENTS: Final = 1_000_000
#: JustiFi's smallest card charge is 50 cents; a ceiling must allow more than that.
MIN_MAX_AMOUNT_CENTS: Final = 51
POLL_INTERVAL_MAX: Final = 10.0
#: A JustiFi terminal gives up on a sale after this many seconds.
DEVICE_TIMEOUT_SECONDS: Final = 90.0
#: After the device's time, how long an answer is still waited for.
ANSWER_GRACE_SECONDS: Final = 30.0
#: The longest either deadline may be set to.
MAX_SECONDS: Final = 600.0
#: The person signed in at the till is signed out after this many idle minutes.
DEFAULT_IDLE_SIGN_OUT_MINUTES: Final = 15
IDLE_SIGN_OUT_MIN_MINUTES: Final = 1
#: A working day: longer, and a till left alone keeps someone signed in overnight.
IDLE_SIGN_OUT_MAX_MINUTES: Final = 480
#: A discount over this share of a sale's gross needs a manager, unless set otherwise.
DEFAULT_DISCOUNT_APPROVAL_PERCENT: Final = 10
DISCOUNT_APPROVAL_MAX_PERCENT: Final = 100
#: How a receipt printer (and the cash drawer on it) is reached; see `receipt_printer_problem`.
PRINTER_KINDS: Final = ("network", "usb", "serial", "file")
_USB_ID: Final = re.compile(r"[0-9A-Fa-f]{1,4}")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]")

_WHITESPACE: Final = re.compile(r"\s")

# -- sentences (the manager and the shop's IT person read these) ------------------------

URL_MISSING: Final = "Enter the JustiFi URL, such as https://api.justifi.ai."
URL_NOT_HTTPS: Final = (
    "The URL must start with https:// (plain http:// only for a server on this computer)."
)
URL_INVALID: Final = "This is not a web address: no spaces, and a host name after https://."
CLIENT_ID_MISSING: Final = "Enter the client id from the JustiFi dashboard."
CLIENT_ID_SPACES: Final = "A client id has no spaces; copy it again from the JustiFi dashboard."
SECRET_MISSING: Final = "Enter the client secret that belongs to this client id."
SECRET_SPACES: Final = (
    "The client secret starts or ends with a space; copy it again from the JustiFi dashboard."
)
SUB_ACCOUNT_MISSING: Final = "Enter the sub account (acc_...) this lane takes payments for."
SUB_ACCOUNT_FORMAT: Final = "A sub account id starts with acc_ and has no spaces."
PAYMENT_FLOW_INVALID: Final = "Choose payment intent or checkout."
LANE_MISSING: Final = "Give this lane a name, such as Front counter."
LANE_TOO_LONG: Final = f"A lane name has at most {LANE_MAX_LENGTH} characters."
TERMINAL_FORMAT: Final = "A terminal id starts with trm_ and has no spaces; or leave it empty."
TAX_NOT_A_NUMBER: Final = "Enter the tax rate in percent, such as 8.25 (0 for none)."
TAX_OUT_OF_RANGE: Final = "The tax rate is a percentage from 0 to 100."
TAX_TOO_PRECISE: Final = "Use at most two decimals, such as 8.25."
IDLE_NOT_A_NUMBER: Final = "Enter whole minutes, such as 15."
IDLE_OUT_OF_RANGE: Final = (
    f"The idle sign-out time is {IDLE_SIGN_OUT_MIN_MINUTES} to {IDLE_SIGN_OUT_MAX_MINUTES}"
    f" minutes ({IDLE_SIGN_OUT_MAX_MINUTES // 60} hours at most)."
)
DISCOUNT_LIMIT_NOT_A_NUMBER: Final = "Enter a whole percent, such as 10."
DISCOUNT_LIMIT_OUT_OF_RANGE: Final = (
    f"The discount limit is a whole percent from 0 to {DISCOUNT_APPROVAL_MAX_PERCENT}"
    " (0: every discount needs a manager)."
)
PRINTER_KIND_UNKNOWN: Final = (
    "Start with network:, usb:, serial: or file:, such as network:192.168.1.50;"
    " or leave it empty for no printer."
)
PRINTER_ADDRESS_MISSING: Final = (
    "Say where the printer is after the colon, such as network:192.168.1.50."
)
PRINTER_HOST_SPACES: Final = "A network printer's address has no spaces, such as 192.168.1.50."
PRINTER_PORT: Final = "The port after the address is a number from 1 to 65535, such as :9100."
PRINTER_USB_IDS: Final = (
    "A USB printer is usb: and its vendor and product ids in hex, such as usb:04b8:0202."
)
PRINTER_CONTROL_CHARACTERS: Final = "The printer's device path has a character it cannot have."
HEADER_TOO_MANY_LINES: Final = f"The receipt header has at most {RECEIPT_HEADER_MAX_LINES} lines."
HEADER_LINE_TOO_LONG: Final = (
    f"Line {{line}} of the receipt header is longer than {RECEIPT_HEADER_MAX_WIDTH} characters."
)


# -- the URL and the environment ------------------------------------------------------------


def normalise_url(url: str) -> str:
    """The URL as kept: no surrounding spaces, no trailing slash."""
    return url.strip().rstrip("/")


def url_problem(url: str) -> str:
    """What is wrong with a (normalised) JustiFi API URL, or ""."""
    if not url:
        return URL_MISSING
    if not url.startswith(("https://", *LOCAL_HTTP_PREFIXES)):
        return URL_NOT_HTTPS
    host = url.split("://", 1)[1].split("/", 1)[0]
    if _WHITESPACE.search(url) or not host or host.startswith(":"):
        return URL_INVALID
    return ""


def is_justifi_host(api_url: str) -> bool:
    """Whether the API URL is JustiFi's own host (only there can real cards be charged)."""
    return api_url.rstrip("/").lower() == DEFAULT_API_URL


def environment(api_url: str, client_id: str | None) -> Environment:
    """LIVE only for JustiFi's own host with a client id that is not a test one; else TEST."""
    if not is_justifi_host(api_url):
        return "TEST"
    return "TEST" if (client_id or "").startswith(TEST_CLIENT_PREFIX) else "LIVE"


# -- the store database (PostgreSQL) ----------------------------------------------------------

STORE_URL_SCHEMES: Final = ("postgresql://", "postgres://")
STORE_URL_SCHEME: Final = "The store database's address starts with postgresql://."
STORE_URL_INVALID: Final = (
    "The store database's address needs a host and a database name,"
    " as in postgresql://pos@store-server/pos_store."
)
STORE_URL_PASSWORD: Final = (
    "The store database's password is not kept in the settings file: leave it out of the"
    " address and keep it in the OS keyring (the Settings dialog does) or in"
    " POS_STORE_PASSWORD."
)


def store_url_problem(url: str) -> str:
    """What is wrong with a (stripped) store database URL, or "" (empty: no store)."""
    if not url:
        return ""
    if not url.startswith(STORE_URL_SCHEMES) or _WHITESPACE.search(url):
        return STORE_URL_SCHEME if not url.startswith(STORE_URL_SCHEMES) else STORE_URL_INVALID
    rest = url.split("://", 1)[1]
    authority, _, path = rest.partition("/")
    host = authority.rpartition("@")[2]
    database = path.split("?", 1)[0]
    if not host or host.startswith(":") or not database:
        return STORE_URL_INVALID
    return ""


def store_url_has_password(url: str) -> bool:
    """Whether the URL carries a password (`user:password@host`)."""
    if "://" not in url:
        return False
    authority = url.split("://", 1)[1].split("/", 1)[0]
    userinfo, at, _ = authority.rpartition("@")
    return bool(at) and ":" in userinfo


# -- the account (the dialog's formats) -------------------------------------------------------


def client_id_problem(client_id: str) -> str:
    """What is wrong with a typed (stripped) client id, or ""."""
    if not client_id:
        return CLIENT_ID_MISSING
    return CLIENT_ID_SPACES if _WHITESPACE.search(client_id) else ""


def secret_problem(secret: str) -> str:
    """What is wrong with a typed client secret, or "" (an empty one keeps the stored one)."""
    return SECRET_SPACES if secret != secret.strip() else ""


def sub_account_problem(sub_account: str) -> str:
    """What is wrong with a typed (stripped) sub account id, or ""."""
    if not sub_account:
        return SUB_ACCOUNT_MISSING
    if not sub_account.startswith(SUB_ACCOUNT_PREFIX) or _WHITESPACE.search(sub_account):
        return SUB_ACCOUNT_FORMAT
    return ""


def terminal_problem(terminal: str) -> str:
    """What is wrong with a typed (stripped) default terminal id, or "" (empty is fine)."""
    if terminal and (not terminal.startswith(TERMINAL_PREFIX) or _WHITESPACE.search(terminal)):
        return TERMINAL_FORMAT
    return ""


# -- the lane -----------------------------------------------------------------------------------


def payment_flow_problem(flow: str) -> str:
    """What is wrong with a payment flow's name, or ""."""
    return "" if flow in PAYMENT_FLOWS else PAYMENT_FLOW_INVALID


def lane_problem(lane: str) -> str:
    """What is wrong with a (stripped) lane name, or ""."""
    if not lane:
        return LANE_MISSING
    return LANE_TOO_LONG if len(lane) > LANE_MAX_LENGTH else ""


def bps_to_percent(bps: int) -> str:
    """825 -> "8.25", 800 -> "8", 850 -> "8.5"."""
    whole, cents = divmod(bps, 100)
    return f"{whole}.{cents:02d}".rstrip("0").rstrip(".")


def parse_tax_percent(text: str) -> tuple[int | None, str]:
    """A tax rate typed in percent ("8.25", "8,25 %") as basis points, or None and why."""
    # Imported here: the till's first screen reads these rules before anything is typed.
    from decimal import Decimal, InvalidOperation

    cleaned = text.strip().removesuffix("%").strip().replace(",", ".")
    if not cleaned:
        return None, TAX_NOT_A_NUMBER
    try:
        percent = Decimal(cleaned)
    except InvalidOperation:
        return None, TAX_NOT_A_NUMBER
    if not percent.is_finite():
        return None, TAX_NOT_A_NUMBER
    bps = percent * 100
    if bps != bps.to_integral_value():
        return None, TAX_TOO_PRECISE
    if not 0 <= bps <= TAX_MAX_BPS:
        return None, TAX_OUT_OF_RANGE
    return int(bps), ""


# -- the idle sign-out ----------------------------------------------------------------------


def idle_minutes_problem(minutes: int) -> str:
    """What is wrong with an idle sign-out time in whole minutes, or ""."""
    if not IDLE_SIGN_OUT_MIN_MINUTES <= minutes <= IDLE_SIGN_OUT_MAX_MINUTES:
        return IDLE_OUT_OF_RANGE
    return ""


def parse_idle_minutes(text: str) -> tuple[int | None, str]:
    """An idle sign-out time typed in minutes ("15", " 30 ") as an int, or None and why."""
    cleaned = text.strip()
    if not cleaned.isascii() or not cleaned.isdigit():
        return None, IDLE_NOT_A_NUMBER
    if len(cleaned.lstrip("0")) > len(str(IDLE_SIGN_OUT_MAX_MINUTES)):
        return None, IDLE_OUT_OF_RANGE  # no int() of a pasted page of digits
    minutes = int(cleaned)
    problem = idle_minutes_problem(minutes)
    return (None, problem) if problem else (minutes, "")


# -- discounts ---------------------------------------------------------------------------------


def discount_percent_problem(percent: int) -> str:
    """What is wrong with a discount limit in whole percent, or ""."""
    if not 0 <= percent <= DISCOUNT_APPROVAL_MAX_PERCENT:
        return DISCOUNT_LIMIT_OUT_OF_RANGE
    return ""


def parse_discount_percent(text: str) -> tuple[int | None, str]:
    """A discount limit typed in whole percent ("10", " 15 %") as an int, or None and why."""
    cleaned = text.strip().removesuffix("%").strip()
    if cleaned.startswith("-") and cleaned[1:].isascii() and cleaned[1:].isdigit():
        return None, DISCOUNT_LIMIT_OUT_OF_RANGE
    if not cleaned.isascii() or not cleaned.isdigit():
        return None, DISCOUNT_LIMIT_NOT_A_NUMBER
    if len(cleaned.lstrip("0")) > len(str(DISCOUNT_APPROVAL_MAX_PERCENT)):
        return None, DISCOUNT_LIMIT_OUT_OF_RANGE  # no int() of a pasted page of digits
    percent = int(cleaned)
    problem = discount_percent_problem(percent)
    return (None, problem) if problem else (percent, "")


def discount_limit_bps(percent: int) -> int:
    """The discount limit in basis points, as `Cart.needs_approval` takes it (10 -> 1000)."""
    return percent * 100


# -- the receipt printer ---------------------------------------------------------------------


def normalise_receipt_printer(spec: str) -> str:
    """The printer as kept: its kind in lower case, no spaces around the kind or what
    follows it ("" for none): " Network: 10.0.0.5 " -> "network:10.0.0.5"."""
    spec = spec.strip()
    kind, colon, rest = spec.partition(":")
    return f"{kind.strip().lower()}:{rest.strip()}" if colon else spec


def receipt_printer_problem(spec: str) -> str:
    """What is wrong with a (normalised) receipt printer, or "" (empty: no printer).

    The forms are `EscposTarget.parse`'s (see the module's rules); what passes here
    that parser reads as the same printer.
    """
    if not spec:
        return ""
    kind, colon, rest = spec.partition(":")
    if not colon or kind not in PRINTER_KINDS:
        return PRINTER_KIND_UNKNOWN
    if not rest.strip():
        return PRINTER_ADDRESS_MISSING
    if kind == "network":
        return _network_problem(rest)
    if kind == "usb":
        vendor, _, product = rest.partition(":")
        ids_ok = _USB_ID.fullmatch(vendor) and _USB_ID.fullmatch(product)
        return "" if ids_ok else PRINTER_USB_IDS
    # serial and file: a device path (spaces allowed: a Windows path may have them).
    return PRINTER_CONTROL_CHARACTERS if _CONTROL.search(rest) else ""


def _network_problem(rest: str) -> str:
    # As EscposTarget.parse: one colon splits host and port; more (an IPv6 address) do not.
    host, port = rest.rsplit(":", 1) if rest.count(":") == 1 else (rest, None)
    if not host:
        return PRINTER_ADDRESS_MISSING
    if _WHITESPACE.search(host):
        return PRINTER_HOST_SPACES
    if port is not None and not (
        port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) < 65536
    ):
        return PRINTER_PORT
    return ""


# -- the receipt header ---------------------------------------------------------------------


def header_lines(text: str) -> list[str]:
    """The header's lines as printed: trailing spaces and trailing empty lines dropped."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def header_problem(lines: list[str]) -> str:
    """What is wrong with the header's lines (see `header_lines`), or ""."""
    if len(lines) > RECEIPT_HEADER_MAX_LINES:
        return HEADER_TOO_MANY_LINES
    for number, line in enumerate(lines, start=1):
        if len(line) > RECEIPT_HEADER_MAX_WIDTH:
            return HEADER_LINE_TOO_LONG.format(line=number)
    return ""


def normalise_header(text: str) -> str:
    """The header as kept: its printed lines joined."""
    return "\n".join(header_lines(text))
