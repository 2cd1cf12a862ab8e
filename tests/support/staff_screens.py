"""A lane's staff for the screens' tests: an owner, a manager and a cashier on a real
ManagerService over an in-memory audit log, with a hand-moved clock."""

from __future__ import annotations

from pos_app.domain.staff import StaffRole
from pos_app.services.manager import ManagerService
from pos_app.storage.audit import SqliteAuditLog
from tests.support.manager import FAST_SCRYPT, Clock

OWNER, OWNER_PIN = "Ann Lee", "735190"
MANAGER, MANAGER_PIN = "Carla Diaz", "864209"
CASHIER, CASHIER_PIN = "Bob Marsh", "2580"
WRONG = "246813"


def staff_service(log: SqliteAuditLog, clock: Clock) -> ManagerService:
    """A service with nobody on its staff yet."""
    return ManagerService(log, log, lane="1", clock=clock, scrypt=FAST_SCRYPT)


def add_staff(service: ManagerService) -> str:
    """Ann (owner), Carla (manager) and Bob (cashier); nobody signed in. The recovery
    code."""
    code = service.create_owner(OWNER, OWNER_PIN)
    owner = service.current()
    assert owner is not None
    service.add_person(MANAGER, StaffRole.MANAGER, MANAGER_PIN, by=owner)
    service.add_person(CASHIER, StaffRole.CASHIER, CASHIER_PIN, by=owner)
    service.sign_out()
    return code
