"""Simulated terminals: the fleet's devices, their status, name and plug.

A terminal record carries JustiFi's fields and the simulator's own
(underscore keys): its behaviour, whether it is plugged in, the session its
screen shows, when it was last connected and active.
"""

from __future__ import annotations

from typing import Any

from pos_app.sandbox.clock import iso, parse_iso
from pos_app.sandbox.errors import ApiError
from pos_app.sandbox.fleet import TerminalSpec
from pos_app.sandbox.ledger import Ledger
from pos_app.sandbox.store import Record

IDENTIFY_SECONDS = 20


def add(books: Ledger, spec: TerminalSpec) -> Record:
    """A new simulated terminal (fleet, scenario or control API)."""
    if books.store.get("terminal", spec.id) is not None:
        raise ApiError(422, "invalid_parameter", f"Terminal {spec.id} exists.", param="id")
    now = books.now()
    serial = f"SIM{books.store.count('terminal') + 1:06d}"
    terminal = {
        "id": spec.id,
        "account_id": spec.sub_account or books.config.sub_account,
        "nickname": spec.nickname,
        "provider": "verifone_simulator",
        "provider_id": f"{serial}-{spec.model_name.upper()}",
        "provider_serial_number": serial,
        "model_name": spec.model_name,
        "status": "connected" if spec.connected else "disconnected",
        "platform_account_id": books.config.platform_account,
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
    return books.store.put("terminal", terminal)


def live_status(terminal: Record) -> str:
    """What GET /v1/terminals/{id}/status reports from the device."""
    if not terminal["_connected"]:
        return "DISCONNECTED"
    return "ACTIVE" if terminal["_session"] else "CONNECTED"


def status(books: Ledger, terminal: Record) -> dict[str, Any]:
    """GET /v1/terminals/{id}/status (reaches the device)."""
    terminal["status_last_requested_at"] = books.now()
    if terminal["_connected"]:
        terminal["_last_connected"] = books.now()
    books.store.put("terminal", terminal)
    return {
        "id": terminal["id"],
        "status": live_status(terminal),
        "last_date_time_connected": terminal["_last_connected"],
        "last_date_time_active": terminal["_last_active"],
    }


def update(books: Ledger, terminal: Record, body: dict[str, Any]) -> Record:
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
    return books.touch("terminal", terminal)


def identify(books: Ledger, terminal: Record) -> None:
    """POST /v1/terminals/{id}/identify: the device shows its name for 20 s."""
    require_connected(terminal)
    terminal["_identify_until"] = iso(books.clock.now() + IDENTIFY_SECONDS)
    books.store.put("terminal", terminal)


def identifying(books: Ledger, terminal: Record) -> bool:
    """Whether the device is showing its name now."""
    until = terminal["_identify_until"]
    return bool(until and parse_iso(until) > books.clock.now())


def set_connected(books: Ledger, terminal: Record, connected: bool) -> Record:
    """Unplug or replug a terminal (control API)."""
    terminal["_connected"] = connected
    terminal["status"] = "connected" if connected else "disconnected"
    if connected:
        terminal["_last_connected"] = books.now()
    session_id = terminal["_session"]
    if not connected and session_id:
        # The customer can no longer act through the dead link; the
        # device will give up at its own deadline.
        session = books.store.get("session", session_id)
        if session is not None:
            session["_action"] = None
            books.store.put("session", session)
    return books.touch("terminal", terminal)


def require_connected(terminal: Record) -> None:
    """409 unless the terminal is plugged in."""
    if not terminal["_connected"]:
        raise ApiError(
            409,
            "terminal_not_connected",
            f"Terminal {terminal['id']} is not connected.",
            param="terminal_id",
        )


def require_idle(terminal: Record) -> None:
    """409 unless the terminal is plugged in and shows no other sale."""
    require_connected(terminal)
    if terminal["_session"]:
        raise ApiError(
            409,
            "terminal_busy",
            f"Terminal {terminal['id']} is busy with another transaction.",
            param="terminal_id",
        )
