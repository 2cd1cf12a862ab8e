"""`pos-app staff ...`: the lane's people from a command line, and the PINs commands read.

A lane with no screen does all of it here: the first owner (who gets the
recovery code, shown once), more people, disabling, PIN changes, unlocking,
the owner's way back from a forgotten PIN, and a new recovery code (a lane
migrated from the old single manager PIN has none until an owner makes one:
`staff list` says so). `--as NAME` names who
authorises a command (an owner or a manager); refunds, voids and charges in
`pos_app.cli` use the same `authorized` check.

PINs come from standard input when it is not a terminal, one per line, in the
order the command needs them: the `--as` person's PIN first, then the new
PIN (your own PIN change: the old one, then the new one; the owner's
recovery: the code, then the new PIN). At a terminal they are asked without
echo, and a new PIN twice. Every check, refusal and change is decided and
audited by `ManagerService`; this module only asks and shows.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TextIO

from pos_app.domain.errors import InvalidInputError, NotPermittedError
from pos_app.domain.staff import Person, StaffRole

if TYPE_CHECKING:
    from pos_app.config import Settings
    from pos_app.services.manager import ManagerService

NO_STAFF_TEXT: Final = (
    "nobody works this lane yet: add its owner first with"
    " `pos-app staff add NAME --role owner` (the PIN on standard input)"
)
NEEDS_AS_TEXT: Final = (
    "{action} needs {who}: name them with --as NAME and give their PIN on standard input"
)
FIRST_IS_OWNER_TEXT: Final = (
    "the first person on a lane is its owner: `pos-app staff add NAME --role owner`, without --as"
)
NO_INPUT_TEXT: Final = "standard input ended before {what}; give one a line, in this order: {order}"
MISMATCH_TEXT: Final = "the two PINs are different; nothing was changed"
RECOVERY_CODE_NOTE: Final = (
    "Write this recovery code down now and keep it away from the till: it resets the"
    " owner's PIN when it is forgotten (`pos-app staff recover-owner`), and it is not"
    " shown again."
)
APPROVER: Final = "a manager or owner"
RECOVERY_SET_TEXT: Final = (
    "Recovery code: set (it resets the owner's PIN: `pos-app staff recover-owner`)."
)
RECOVERY_NONE_TEXT: Final = (
    "Recovery code: none yet, so a forgotten owner's PIN cannot be reset. An owner makes"
    " one with `pos-app staff recovery-code --as NAME` (their PIN on standard input)."
)
OLD_CODE_GONE_TEXT: Final = "The old recovery code no longer works."
FIRST_CODE_TEXT: Final = "This lane had no recovery code until now."


class PinReader:
    """The PINs (and the recovery code) a command reads, in the order it asks.

    From standard input when it is not a terminal, one a line; at a terminal
    asked without echo (`getpass`), a new PIN twice. The values are handed
    straight to the service and never printed or logged.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        ask: Callable[[str], str] = getpass.getpass,
        *,
        order: str = "the --as person's PIN, then the new PIN",
    ) -> None:
        self._stream = sys.stdin if stream is None else stream
        self._ask = ask
        self.order = order

    @property
    def at_terminal(self) -> bool:
        """Whether the values are typed at a terminal (asked with a prompt)."""
        stream = self._stream
        return stream is not None and not stream.closed and stream.isatty()

    def secret(self, prompt: str, what: str) -> str:
        """One value: `prompt` at a terminal, else the next line of standard input;
        InvalidInputError naming `what` when the input has ended."""
        if self.at_terminal:
            return self._ask(prompt).strip()
        line = self._stream.readline() if self._stream is not None else ""
        if not line:
            raise InvalidInputError(NO_INPUT_TEXT.format(what=what, order=self.order))
        return line.strip()

    def new_pin(self, name: str) -> str:
        """The new PIN for `name`: asked twice at a terminal (they must match)."""
        what = f"the new PIN for {name}"
        pin = self.secret(f"New PIN for {name}: ", what)
        if self.at_terminal and self._ask(f"The new PIN for {name} again: ").strip() != pin:
            raise InvalidInputError(MISMATCH_TEXT)
        return pin

    def pin_of(self, name: str) -> str:
        """The PIN of `name` (who authorises, or your current PIN)."""
        return self.secret(f"PIN of {name}: ", f"the PIN of {name}")


# -- authorising a command --------------------------------------------------------------


def authorize(
    manager: ManagerService,
    name: str | None,
    reader: PinReader,
    *,
    action: str,
    need_approver: bool = True,
) -> Person:
    """The person `--as NAME` names, once their PIN (read now) is right.

    Raises NotPermittedError saying what to do on a lane with no staff or
    without `--as`, and the service's ManagerRequiredError (unknown, disabled,
    not a manager, locked, or "wrong PIN for Ann (1 try left); nothing was
    sent") otherwise. Every try is audited by the service.
    """
    if not manager.has_staff():
        raise NotPermittedError(NO_STAFF_TEXT)
    if not name or not name.strip():
        who = APPROVER if need_approver else "a member of staff"
        raise NotPermittedError(NEEDS_AS_TEXT.format(action=action, who=who))
    return manager.authorize(name.strip(), reader.pin_of(name.strip()), need_approver=need_approver)


@contextlib.contextmanager
def authorized(
    settings: Settings,
    name: str | None,
    *,
    action: str,
    need_approver: bool = True,
    reader: PinReader | None = None,
) -> Iterator[tuple[ManagerService, Person]]:
    """The lane's staff service (open for the block) and the person `--as` names, checked
    with their PIN from standard input (see `authorize`)."""
    from pos_app.wiring import manager_service

    with manager_service(settings) as manager:
        try:
            reader = reader or PinReader(order="the PIN of the person --as names")
            person = authorize(manager, name, reader, action=action, need_approver=need_approver)
            yield manager, person
        finally:
            manager.sign_out()  # the command is over: so is their session (audited)


# -- the parser ---------------------------------------------------------------------------


def add_commands(commands: Any) -> None:
    """`staff` and its subcommands on `pos-app`'s subparsers (`commands`)."""
    staff = commands.add_parser("staff", help="the people who work this lane, and their PINs")
    sub = staff.add_subparsers(dest="staff_command", required=True, metavar="COMMAND")
    roles = [role.value for role in StaffRole]

    add = sub.add_parser(
        "add",
        help="add a person (the first one: the owner, who gets the recovery code)",
        description="Add a person. PINs from standard input, one a line: the --as"
        " person's first, then the new person's.",
    )
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=roles)
    _as(add, "the owner or manager who authorises it (not for the first owner)")

    listing = sub.add_parser("list", help="everyone, with role and state")
    listing.add_argument("--json", action="store_true", help="one JSON object per person")

    for name, help_text in (("disable", "disable a person"), ("enable", "enable them again")):
        command = sub.add_parser(name, help=help_text)
        command.add_argument("name")
        _as(command, "the owner or manager who authorises it", required=True)

    set_pin = sub.add_parser(
        "set-pin",
        help="change a PIN (your own: the old one, then the new one)",
        description="Change a PIN. Your own: the old PIN, then the new one on standard"
        " input. Someone else's: --as an owner (or a manager for a cashier), that"
        " person's PIN, then the new one.",
    )
    set_pin.add_argument("name")
    _as(set_pin, "who sets someone else's PIN (leave out for your own)")

    unlock = sub.add_parser("unlock", help="end a person's PIN lockout (an owner)")
    unlock.add_argument("name")
    _as(unlock, "the owner who unlocks", required=True)

    recovery_code = sub.add_parser(
        "recovery-code",
        help="make a new recovery code (an owner; the old one stops working)",
        description="Print a new recovery code once: it resets the owner's PIN when it is"
        " forgotten. The old code, if any, stops working. The owner's PIN on standard input.",
    )
    _as(recovery_code, "the owner who makes it", required=True)

    sub.add_parser(
        "recover-owner",
        help="reset the owner's forgotten PIN with the recovery code",
        description="The recovery code, then the new PIN, on standard input; prints the"
        " new recovery code (the old one no longer works).",
    )


def _as(parser: argparse.ArgumentParser, help_text: str, *, required: bool = False) -> None:
    parser.add_argument("--as", dest="as_name", metavar="NAME", required=required, help=help_text)


# -- the commands -------------------------------------------------------------------------


def run(args: argparse.Namespace, out: TextIO) -> int:
    """`pos-app staff ...` on the lane's audit file."""
    from pos_app.config import load_settings
    from pos_app.wiring import manager_service

    with manager_service(load_settings()) as manager:
        try:
            code = COMMANDS[args.staff_command](args, manager, PinReader(), out)
            remind_recovery_code(manager, args.staff_command, sys.stderr)
            return code
        finally:
            manager.sign_out()  # whoever `--as` (or the new owner) signed in, audited


def remind_recovery_code(manager: ManagerService, command: str, err: TextIO) -> bool:
    """After an owner's command on a lane without a recovery code (a lane migrated from
    the old manager PIN), one line on stderr saying how to make one. Whether it did."""
    if command in ("recovery-code", "list"):  # those say it on standard output
        return False
    person = manager.current()  # the `--as` person, signed in for the command
    if person is None or person.role is not StaffRole.OWNER or manager.has_recovery_code():
        return False
    _say(err, RECOVERY_NONE_TEXT)
    return True


def cmd_add(
    args: argparse.Namespace, manager: ManagerService, reader: PinReader, out: TextIO
) -> int:
    role = StaffRole(args.role)
    if not manager.has_staff():
        if role is not StaffRole.OWNER or args.as_name:
            raise InvalidInputError(FIRST_IS_OWNER_TEXT)
        reader.order = "the owner's new PIN"
        code = manager.create_owner(args.name, reader.new_pin(args.name.strip()))
        owner = _find(manager, args.name)
        _say(out, f"Added {owner}, the owner of this lane.", f"Recovery code: {code}")
        _say(out, RECOVERY_CODE_NOTE)
        return 0
    by = authorize(manager, args.as_name, reader, action="adding a person")
    person = manager.add_person(args.name, role, reader.new_pin(args.name.strip()), by=by)
    _say(out, f"Added {person.name} ({person.role.value}).")
    return 0


def cmd_list(
    args: argparse.Namespace, manager: ManagerService, reader: PinReader, out: TextIO
) -> int:
    people = manager.people(include_disabled=True)
    now = datetime.now(UTC)
    has_code = bool(people) and manager.has_recovery_code()
    if args.json:
        for person in people:
            _say(out, json.dumps(person_json(person, now, has_recovery_code=has_code)))
        return 0
    if not people:
        _say(out, NO_STAFF_TEXT[0].upper() + NO_STAFF_TEXT[1:] + ".")
        return 0
    width = max(len("Name"), *(len(p.name) for p in people))
    _say(out, f"{'Name':<{width}}  {'Role':<8} State")
    for person in people:
        _say(out, f"{person.name:<{width}}  {person.role.value:<8} {state_text(person, now)}")
    _say(out, "", RECOVERY_SET_TEXT if has_code else RECOVERY_NONE_TEXT)
    return 0


def cmd_disable(
    args: argparse.Namespace, manager: ManagerService, reader: PinReader, out: TextIO
) -> int:
    by = authorize(manager, args.as_name, reader, action="disabling a person")
    person = manager.disable(args.name, by=by)
    _say(out, f"{person.name} is disabled: their PIN no longer works on any lane.")
    return 0


def cmd_enable(
    args: argparse.Namespace, manager: ManagerService, reader: PinReader, out: TextIO
) -> int:
    by = authorize(manager, args.as_name, reader, action="enabling a person")
    person = manager.enable(args.name, by=by)
    _say(out, f"{person.name} is enabled again.")
    return 0


def cmd_set_pin(
    args: argparse.Namespace, manager: ManagerService, reader: PinReader, out: TextIO
) -> int:
    name = args.name.strip()
    own = args.as_name is None or args.as_name.strip().casefold() == name.casefold()
    if own:
        if not manager.has_staff():
            raise NotPermittedError(NO_STAFF_TEXT)
        reader.order = f"the current PIN of {name}, then the new one"
        old = reader.secret(f"Current PIN of {name}: ", f"the current PIN of {name}")
        manager.set_pin(name, reader.new_pin(name), old=old)
    else:
        by = authorize(manager, args.as_name, reader, action="setting someone else's PIN")
        manager.set_pin(name, reader.new_pin(name), by=by)
    _say(out, f"The PIN of {_find(manager, name)} is changed.")
    return 0


def cmd_unlock(
    args: argparse.Namespace, manager: ManagerService, reader: PinReader, out: TextIO
) -> int:
    by = authorize(manager, args.as_name, reader, action="unlocking a person")
    person = manager.unlock(args.name, by=by)
    _say(out, f"{person.name} is unlocked: PIN entry is open again.")
    return 0


def cmd_recovery_code(
    args: argparse.Namespace, manager: ManagerService, reader: PinReader, out: TextIO
) -> int:
    by = authorize(manager, args.as_name, reader, action="a new recovery code")
    had_code = manager.has_recovery_code()
    code = manager.reset_recovery_code(by=by)  # an owner only: the service refuses others
    _say(
        out,
        f"New recovery code: {code}",
        OLD_CODE_GONE_TEXT if had_code else FIRST_CODE_TEXT,
        RECOVERY_CODE_NOTE,
    )
    return 0


def cmd_recover_owner(
    args: argparse.Namespace, manager: ManagerService, reader: PinReader, out: TextIO
) -> int:
    if not manager.has_staff():
        raise NotPermittedError(NO_STAFF_TEXT)
    reader.order = "the recovery code, then the owner's new PIN"
    code = reader.secret("Recovery code: ", "the recovery code")
    new_code = manager.recover_owner(code, reader.new_pin("the owner"))
    _say(
        out,
        "The owner's PIN is reset. The old recovery code no longer works.",
        f"New recovery code: {new_code}",
        RECOVERY_CODE_NOTE,
    )
    return 0


COMMANDS: Final[
    dict[str, Callable[[argparse.Namespace, ManagerService, PinReader, TextIO], int]]
] = {
    "add": cmd_add,
    "list": cmd_list,
    "disable": cmd_disable,
    "enable": cmd_enable,
    "set-pin": cmd_set_pin,
    "unlock": cmd_unlock,
    "recovery-code": cmd_recovery_code,
    "recover-owner": cmd_recover_owner,
}


# -- output ---------------------------------------------------------------------------------


def person_json(person: Person, now: datetime, *, has_recovery_code: bool) -> dict[str, Any]:
    """The JSON object of one person in `staff list --json` (never a PIN or its hash);
    `lane_has_recovery_code` is the lane's, on every line (a script reads any one)."""
    locked = _locked_until(person, now)
    return {
        "name": person.name,
        "role": person.role.value,
        "active": person.active,
        "can_approve": person.can_approve,
        "failed_tries": person.failed_tries,
        "locked_until": locked.astimezone(UTC).isoformat() if locked else None,
        "lane_has_recovery_code": has_recovery_code,
    }


def state_text(person: Person, now: datetime) -> str:
    """ "active", "disabled" or "locked until 14:05" (local time)."""
    if not person.active:
        return "disabled"
    locked = _locked_until(person, now)
    if locked is not None:
        return f"locked until {locked.astimezone().strftime('%H:%M')}"
    return "active"


def _locked_until(person: Person, now: datetime) -> datetime | None:
    locked = person.locked_until
    return locked if locked is not None and locked > now else None


def _find(manager: ManagerService, name: str) -> str:
    """The name as stored (the service matches any case)."""
    wanted = name.strip().casefold()
    for person in manager.people(include_disabled=True):
        if person.name.casefold() == wanted:
            return person.name
    return name.strip()


def _say(out: TextIO, *lines: str) -> None:
    for line in lines:
        out.write(line + "\n")
    out.flush()
