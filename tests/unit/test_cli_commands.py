"""`pos-app staff` and `pos-app audit` without a process: the parser, the PINs read from
standard input or a terminal, and what is printed, on a fake staff service.

The subprocess tests (tests/integration/test_cli_staff.py, test_cli_audit.py) run the
same commands on a real lane; these pin down the order PINs are read in and the text.
"""

from __future__ import annotations

import argparse
import io
import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pos_app import cli, cli_audit, cli_staff
from pos_app.cli_staff import PinReader
from pos_app.domain.errors import InvalidInputError, NotPermittedError
from pos_app.domain.staff import Person, StaffRole
from pos_app.services.audit_log import (
    KEY_STATUS_TEXT,
    AuditBreak,
    AuditCheck,
    AuditHead,
    KeyStatus,
)

NOW = datetime.now(UTC)
OLGA = Person(1, "Olga", StaffRole.OWNER, True, 0, None)
ANN = Person(2, "Ann", StaffRole.CASHIER, True, 0, None)
CODE = "7KQ2-M9XD-3FHT-R8WC"


@dataclass
class FakeStaff:
    """The staff service's surface the CLI uses; records every call (PINs included,
    to check the order they were read in)."""

    staff: list[Person] = field(default_factory=list)
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    check: AuditCheck | None = None
    recovery_code: bool = True
    signed_in: Person | None = None

    def has_staff(self) -> bool:
        return bool(self.staff)

    def people(self, include_disabled: bool = True) -> list[Person]:
        return sorted(self.staff, key=lambda p: p.name)

    def create_owner(self, name: str, pin: str) -> str:
        self.calls.append(("create_owner", name, pin))
        self.staff.append(Person(1, name.strip(), StaffRole.OWNER, True, 0, None))
        return CODE

    def sign_out(self) -> None:
        self.calls.append(("sign_out",))

    def current(self) -> Person | None:
        return self.signed_in

    def has_recovery_code(self) -> bool:
        return self.recovery_code

    def reset_recovery_code(self, *, by: Person) -> str:
        self.calls.append(("reset_recovery_code", by.name))
        self.recovery_code = True
        return "NEWC-ODE0-0000-0002"

    def authorize(self, name: str, pin: str, *, need_approver: bool = True) -> Person:
        self.calls.append(("authorize", name, pin, need_approver))
        return self._person(name)

    def add_person(self, name: str, role: StaffRole, pin: str, *, by: Person) -> Person:
        self.calls.append(("add_person", name, role, pin, by.name))
        person = Person(len(self.staff) + 1, name, role, True, 0, None)
        self.staff.append(person)
        return person

    def disable(self, name: str, *, by: Person) -> Person:
        self.calls.append(("disable", name, by.name))
        return replace(self._person(name), active=False)

    def enable(self, name: str, *, by: Person) -> Person:
        self.calls.append(("enable", name, by.name))
        return self._person(name)

    def unlock(self, name: str, *, by: Person) -> Person:
        self.calls.append(("unlock", name, by.name))
        return self._person(name)

    def set_pin(
        self, name: str, new: str, *, old: str | None = None, by: Person | None = None
    ) -> None:
        self.calls.append(("set_pin", name, new, old, by.name if by else None))

    def recover_owner(self, code: str, new_pin: str) -> str:
        self.calls.append(("recover_owner", code, new_pin))
        return "NEWC-ODE0-0000-0001"

    def check_audit(self, head: str | None = None) -> AuditCheck:
        self.calls.append(("check_audit", head))
        assert self.check is not None
        return self.check

    def export_audit(self, target: Path, *, fmt: str = "csv") -> int:
        self.calls.append(("export_audit", target, fmt))
        return 12

    def _person(self, name: str) -> Person:
        return next(p for p in self.staff if p.name.casefold() == name.casefold())


def parse(*argv: str) -> argparse.Namespace:
    return cli.build_parser().parse_args(list(argv))


def staff_command(
    fake: FakeStaff, argv: list[str], stdin: str = "", reader: PinReader | None = None
) -> str:
    args = parse("staff", *argv)
    out = io.StringIO()
    reader = reader or PinReader(io.StringIO(stdin))
    assert cli_staff.COMMANDS[args.staff_command](args, fake, reader, out) == 0  # type: ignore[arg-type]
    return out.getvalue()


class Tty(io.StringIO):
    """Standard input that is a terminal: the reader must ask, not read lines."""

    def isatty(self) -> bool:
        return True


def asking(*answers: str) -> tuple[PinReader, list[str]]:
    """A reader at a terminal that types `answers` in turn; the prompts it saw."""
    prompts: list[str] = []
    typed = iter(answers)

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return next(typed)

    return PinReader(Tty(), ask), prompts


# -- reading PINs ------------------------------------------------------------------------------


def test_pins_from_standard_input_are_read_one_a_line_in_order() -> None:
    reader = PinReader(io.StringIO("246810\n 1357 \r\n"))
    assert not reader.at_terminal
    assert reader.pin_of("Olga") == "246810"
    assert reader.new_pin("Ann") == "1357"  # once: a script does not repeat it


def test_input_that_ends_early_names_what_was_missing_and_the_order() -> None:
    reader = PinReader(io.StringIO("246810\n"))
    reader.pin_of("Olga")
    with pytest.raises(InvalidInputError) as raised:
        reader.new_pin("Ann")
    assert "the new PIN for Ann" in raised.value.message
    assert "the --as person's PIN, then the new PIN" in raised.value.message


def test_at_a_terminal_a_new_pin_is_asked_twice() -> None:
    reader, prompts = asking("135790", "135790")
    assert reader.at_terminal
    assert reader.new_pin("Ann") == "135790"
    assert prompts == ["New PIN for Ann: ", "The new PIN for Ann again: "]


def test_at_a_terminal_two_different_new_pins_change_nothing() -> None:
    fake = FakeStaff([OLGA])
    reader, _ = asking("246810", "135790", "135799")
    with pytest.raises(InvalidInputError, match="two PINs are different"):
        staff_command(fake, ["add", "Ann", "--role", "cashier", "--as", "Olga"], reader=reader)
    assert [c[0] for c in fake.calls] == ["authorize"]


# -- staff commands ----------------------------------------------------------------------------


def test_the_first_owner_needs_no_as_and_prints_the_recovery_code_once() -> None:
    fake = FakeStaff()
    out = staff_command(fake, ["add", " Olga ", "--role", "owner"], "246810\n")
    assert fake.calls == [("create_owner", " Olga ", "246810")]
    assert out.count(CODE) == 1
    assert "Added Olga, the owner of this lane." in out
    assert "Write this recovery code down" in out


@pytest.mark.parametrize(
    "argv",
    [["add", "Ann", "--role", "cashier"], ["add", "Olga", "--role", "owner", "--as", "Olga"]],
)
def test_the_first_person_must_be_an_owner_without_as(argv: list[str]) -> None:
    fake = FakeStaff()
    with pytest.raises(InvalidInputError, match="the first person on a lane is its owner"):
        staff_command(fake, argv, "246810\n246810\n")
    assert fake.calls == []


def test_adding_reads_the_as_pin_first_then_the_new_persons() -> None:
    fake = FakeStaff([OLGA])
    out = staff_command(fake, ["add", "Ann", "--role", "cashier", "--as", "olga"], "246810\n1357\n")
    assert fake.calls == [
        ("authorize", "olga", "246810", True),
        ("add_person", "Ann", StaffRole.CASHIER, "1357", "Olga"),
    ]
    assert out == "Added Ann (cashier).\n"


@pytest.mark.parametrize(
    "argv",
    [["add", "Ann", "--role", "cashier"], ["set-pin", "Olga", "--as", " "]],
)
def test_without_as_on_a_lane_with_staff_nothing_is_read_or_changed(argv: list[str]) -> None:
    fake = FakeStaff([OLGA])
    with pytest.raises(NotPermittedError, match="--as NAME"):
        staff_command(fake, argv, "246810\n1357\n")
    assert fake.calls == []


def test_a_lane_with_no_staff_says_how_to_add_the_owner() -> None:
    fake = FakeStaff()
    for argv in (["disable", "Ann", "--as", "Olga"], ["set-pin", "Ann"], ["recover-owner"]):
        with pytest.raises(NotPermittedError) as raised:
            staff_command(fake, argv, "246810\n")
        assert "pos-app staff add NAME --role owner" in raised.value.message
    assert fake.calls == []


def test_your_own_pin_change_reads_the_old_pin_then_the_new() -> None:
    fake = FakeStaff([OLGA, ANN])
    out = staff_command(fake, ["set-pin", "ann"], "1357\n2468\n")
    assert fake.calls == [("set_pin", "ann", "2468", "1357", None)]
    assert out == "The PIN of Ann is changed.\n"
    fake.calls.clear()
    staff_command(fake, ["set-pin", "Ann", "--as", "ANN"], "1357\n2468\n")  # --as yourself
    assert fake.calls == [("set_pin", "Ann", "2468", "1357", None)]


def test_someone_elses_pin_reads_the_as_pin_then_the_new() -> None:
    fake = FakeStaff([OLGA, ANN])
    staff_command(fake, ["set-pin", "Ann", "--as", "Olga"], "246810\n2468\n")
    assert fake.calls == [
        ("authorize", "Olga", "246810", True),
        ("set_pin", "Ann", "2468", None, "Olga"),
    ]


@pytest.mark.parametrize(
    ("command", "said"),
    [
        ("disable", "Ann is disabled: their PIN no longer works on any lane.\n"),
        ("enable", "Ann is enabled again.\n"),
        ("unlock", "Ann is unlocked: PIN entry is open again.\n"),
    ],
)
def test_disable_enable_unlock_are_authorised_by_as(command: str, said: str) -> None:
    fake = FakeStaff([OLGA, ANN])
    out = staff_command(fake, [command, "Ann", "--as", "Olga"], "246810\n")
    assert fake.calls == [("authorize", "Olga", "246810", True), (command, "Ann", "Olga")]
    assert out == said


@pytest.mark.parametrize("command", ["disable", "enable", "unlock"])
def test_disable_enable_unlock_need_as(command: str) -> None:
    with pytest.raises(SystemExit) as raised:
        parse("staff", command, "Ann")
    assert raised.value.code == 2


def test_recover_owner_reads_the_code_then_the_new_pin_and_prints_the_new_code() -> None:
    fake = FakeStaff([OLGA])
    out = staff_command(fake, ["recover-owner"], f"{CODE}\n975312\n")
    assert fake.calls == [("recover_owner", CODE, "975312")]
    assert "New recovery code: NEWC-ODE0-0000-0001" in out
    assert "old recovery code no longer works" in out


def test_staff_list_shows_role_and_state_and_json_never_a_hash() -> None:
    locked = Person(3, "Bea", StaffRole.MANAGER, True, 10, NOW + timedelta(minutes=30))
    unlocked = Person(4, "Cid", StaffRole.CASHIER, True, 0, NOW - timedelta(minutes=1))
    gone = Person(5, "Dee", StaffRole.CASHIER, False, 0, None)
    fake = FakeStaff([OLGA, ANN, locked, unlocked, gone])
    out = staff_command(fake, ["list"]).splitlines()
    assert out[0].split() == ["Name", "Role", "State"]
    rows = {line.split()[0]: line.split()[1:] for line in out[1:6]}
    assert out[6:] == ["", cli_staff.RECOVERY_SET_TEXT]
    assert rows["Olga"] == ["owner", "active"]
    assert rows["Bea"][:3] == ["manager", "locked", "until"]
    assert rows["Cid"] == ["cashier", "active"]  # the lock is over
    assert rows["Dee"] == ["cashier", "disabled"]
    objects = [json.loads(line) for line in staff_command(fake, ["list", "--json"]).splitlines()]
    assert [o["name"] for o in objects] == ["Ann", "Bea", "Cid", "Dee", "Olga"]
    assert set(objects[0]) == {
        "name",
        "role",
        "active",
        "can_approve",
        "failed_tries",
        "locked_until",
        "lane_has_recovery_code",
    }
    by_name = {o["name"]: o for o in objects}
    assert by_name["Bea"]["locked_until"] == (NOW + timedelta(minutes=30)).isoformat()
    assert by_name["Cid"]["locked_until"] is None
    assert (by_name["Dee"]["active"], by_name["Olga"]["can_approve"]) == (False, True)


def test_recovery_code_reads_the_owners_pin_and_prints_a_new_code_once() -> None:
    fake = FakeStaff([OLGA, ANN])
    out = staff_command(fake, ["recovery-code", "--as", "olga"], "246810\n")
    assert fake.calls == [
        ("authorize", "olga", "246810", True),
        ("reset_recovery_code", "Olga"),
    ]
    assert out.count("NEWC-ODE0-0000-0002") == 1
    assert "New recovery code: NEWC-ODE0-0000-0002" in out
    assert "The old recovery code no longer works." in out
    assert cli_staff.RECOVERY_CODE_NOTE in out  # the same sentence as the first owner's


def test_recovery_code_on_a_lane_without_one_says_there_was_none() -> None:
    fake = FakeStaff([OLGA], recovery_code=False)
    out = staff_command(fake, ["recovery-code", "--as", "Olga"], "246810\n")
    assert "This lane had no recovery code until now." in out
    assert "no longer works" not in out


def test_recovery_code_needs_as_and_reads_nothing_without_staff() -> None:
    with pytest.raises(SystemExit) as raised:
        parse("staff", "recovery-code")
    assert raised.value.code == 2
    fake = FakeStaff()
    with pytest.raises(NotPermittedError, match="staff add NAME --role owner"):
        staff_command(fake, ["recovery-code", "--as", "Olga"], "246810\n")
    assert fake.calls == []


@pytest.mark.parametrize("has_code", [True, False])
def test_staff_list_says_whether_the_lane_has_a_recovery_code(has_code: bool) -> None:
    fake = FakeStaff([OLGA, ANN], recovery_code=has_code)
    out = staff_command(fake, ["list"])
    last = out.splitlines()[-1]
    if has_code:
        assert last == cli_staff.RECOVERY_SET_TEXT
    else:
        assert last == cli_staff.RECOVERY_NONE_TEXT
        assert "pos-app staff recovery-code --as NAME" in last
    objects = [json.loads(line) for line in staff_command(fake, ["list", "--json"]).splitlines()]
    assert [o["lane_has_recovery_code"] for o in objects] == [has_code, has_code]


@pytest.mark.parametrize(
    ("signed_in", "has_code", "command", "reminded"),
    [
        (OLGA, False, "add", True),
        (OLGA, False, "unlock", True),
        (OLGA, True, "add", False),  # the lane has its code
        (ANN, False, "set-pin", False),  # not an owner: nothing to do about it
        (None, False, "set-pin", False),  # your own PIN: nobody signed in
        (OLGA, False, "recovery-code", False),  # it just made one
        (OLGA, False, "list", False),  # says it on standard output
    ],
)
def test_an_owner_is_reminded_on_stderr_when_the_lane_has_no_recovery_code(
    signed_in: Person | None, has_code: bool, command: str, reminded: bool
) -> None:
    fake = FakeStaff([OLGA, ANN], recovery_code=has_code, signed_in=signed_in)
    err = io.StringIO()
    assert cli_staff.remind_recovery_code(fake, command, err) is reminded  # type: ignore[arg-type]
    assert err.getvalue() == (cli_staff.RECOVERY_NONE_TEXT + "\n" if reminded else "")


def test_staff_list_on_an_empty_lane_says_how_to_start() -> None:
    assert "staff add NAME --role owner" in staff_command(FakeStaff(), ["list"])
    assert staff_command(FakeStaff(), ["list", "--json"]) == ""


# -- refunds, voids, charges: --as --------------------------------------------------------------


def test_a_refund_without_as_says_to_name_a_manager_and_reads_no_pin() -> None:
    fake = FakeStaff([OLGA])
    stdin = io.StringIO("246810\n")
    with pytest.raises(NotPermittedError, match="a refund needs a manager or owner"):
        cli_staff.authorize(fake, None, PinReader(stdin), action="a refund")  # type: ignore[arg-type]
    assert stdin.tell() == 0
    assert fake.calls == []


def test_a_charge_as_a_cashier_needs_no_approver() -> None:
    fake = FakeStaff([OLGA, ANN])
    reader = PinReader(io.StringIO("1357\n"))
    person = cli_staff.authorize(fake, "Ann", reader, action="a sale", need_approver=False)  # type: ignore[arg-type]
    assert person == ANN
    assert fake.calls == [("authorize", "Ann", "1357", False)]


@pytest.mark.parametrize("command", [["refund", "py_1", "--to-card"], ["void", "py_1"]])
def test_refund_and_void_take_as(command: list[str]) -> None:
    assert parse(*command, "--as", "Olga").as_name == "Olga"
    assert parse(*command).as_name is None


def test_history_takes_a_person() -> None:
    assert parse("history", "--person", "Ann").person == "Ann"


# -- audit -------------------------------------------------------------------------------------

HEAD = AuditHead(412, "3f7a" + "0" * 60)


def audit_command(fake: FakeStaff, *argv: str) -> tuple[int, str]:
    args = parse("audit", *argv)
    out = io.StringIO()
    if args.audit_command == "verify":
        code = cli_audit.cmd_verify(args, fake, out)  # type: ignore[arg-type]
    else:
        code = cli_audit.cmd_export(args, fake, out)  # type: ignore[arg-type]
    return code, out.getvalue()


def test_verify_intact_prints_the_head_and_the_key_sentence_exit_0() -> None:
    fake = FakeStaff(check=AuditCheck(True, 412, head=HEAD, key_status=KeyStatus.KEYED))
    code, out = audit_command(fake, "verify", "--head", "400:abc")
    assert code == 0
    assert fake.calls == [("check_audit", "400:abc")]
    assert out.splitlines() == [
        f"Intact: 412 entries. Head: 412:3f7a{'0' * 16}",
        KEY_STATUS_TEXT[KeyStatus.KEYED],
    ]


def test_verify_broken_names_the_entry_exit_1() -> None:
    check = AuditCheck(
        False,
        11,
        broken_seq=12,
        reason=AuditBreak.CONTENT_CHANGED,
        message="entry 12 was changed",
        head=HEAD,
        key_status=KeyStatus.NO_KEYRING,
    )
    fake = FakeStaff(check=check)
    code, out = audit_command(fake, "verify")
    assert code == 1
    assert out.splitlines() == [
        "BROKEN: entry 12 was changed",
        KEY_STATUS_TEXT[KeyStatus.NO_KEYRING],
    ]
    code, out = audit_command(fake, "verify", "--json")
    assert code == 1
    data = json.loads(out)
    assert data == {
        "ok": False,
        "checked": 11,
        "head": HEAD.short,
        "head_hash": HEAD.hash,
        "broken_seq": 12,
        "reason": "content_changed",
        "message": "entry 12 was changed",
        "key_status": "no_keyring",
        "key_status_text": KEY_STATUS_TEXT[KeyStatus.NO_KEYRING],
        "store": None,  # a lane on its own: no store's copy to compare with
    }


def test_verify_of_an_empty_log_says_so() -> None:
    fake = FakeStaff(check=AuditCheck(True, 0, head=AuditHead(0, "0" * 64)))
    code, out = audit_command(fake, "verify")
    assert code == 0
    assert out.splitlines()[0] == cli_audit.EMPTY_TEXT


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_writes_the_format_asked_for(fmt: str, tmp_path: Path) -> None:
    fake = FakeStaff()
    target = tmp_path / f"audit.{fmt}"
    code, out = audit_command(fake, "export", f"--{fmt}", str(target))
    assert code == 0
    assert fake.calls == [("export_audit", target, fmt)]
    assert out == f"12 audit entries written to {target} ({fmt.upper()}).\n"


def test_export_needs_one_file() -> None:
    for argv in (["audit", "export"], ["audit", "export", "--csv", "a", "--json", "b"]):
        with pytest.raises(SystemExit):
            parse(*argv)


def test_export_to_a_file_that_cannot_be_written_is_bad_input(tmp_path: Path) -> None:
    class Refusing(FakeStaff):
        def export_audit(self, target: Path, *, fmt: str = "csv") -> int:
            raise FileNotFoundError(2, "No such file or directory", str(target))

    with pytest.raises(InvalidInputError, match="No such file or directory"):
        audit_command(Refusing(), "export", "--csv", str(tmp_path / "nope" / "a.csv"))


def test_a_head_that_is_not_one_is_bad_input_and_other_value_errors_stay_bugs() -> None:
    class Refusing(FakeStaff):
        def check_audit(self, head: str | None = None) -> AuditCheck:
            raise InvalidInputError("a head is the entry number and hash printed on a report")

    with pytest.raises(InvalidInputError, match=r"^--head: a head is the entry number"):
        audit_command(Refusing(), "verify", "--head", "nonsense")

    class Broken(FakeStaff):
        def check_audit(self, head: str | None = None) -> AuditCheck:
            raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug") as raised:
        audit_command(Broken(), "verify", "--head", "nonsense")
    assert not isinstance(raised.value, InvalidInputError)


def test_a_refund_with_nothing_on_standard_input_says_which_pin_is_missing() -> None:
    fake = FakeStaff([OLGA])
    reader = PinReader(io.StringIO(""), order="the PIN of the person --as names")
    with pytest.raises(InvalidInputError) as raised:
        cli_staff.authorize(fake, "Olga", reader, action="a refund")  # type: ignore[arg-type]
    assert raised.value.message == (
        "standard input ended before the PIN of Olga; give one a line, in this order:"
        " the PIN of the person --as names"
    )
    assert fake.calls == []
