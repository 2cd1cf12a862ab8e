"""`pos-app store catalog ...` and `pos-app store settings ...`: what every lane of a
store shares, from a command line.

`store catalog import FILE` checks the file with the catalog's own parser, puts
it in the store and takes it on this lane (audited here as a settings change of
the store, by the till: like the lane's own catalog.toml, it takes no PIN); each
other lane takes it at its next pull (within 30 s while its window is open, or at
`pos-app store sync`) and uses it from its next start. `store catalog export
[FILE]` writes the store's catalog (stdout without FILE). `store settings
[--json]` shows the settings the store sets for every lane; `store settings set
KEY=VALUE ... --as NAME` changes them (a manager's or owner's PIN on standard
input, as `refund --as` takes it; each value checked by the settings' own rules;
`KEY=` gives the key back to each lane), audited on this lane. Every lane takes
the change at its next pull; this one at once.

These talk to the store through `PgStoreLink`, built from the lane's `store_url`
and the password (POS_STORE_PASSWORD, else the OS keyring). Exit codes: 0 done,
3 bad input, not permitted, no store or the store refused, 2 the store could not
be reached (nothing was changed).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO, TypeVar

from pos_app.domain.cart import Catalog, CatalogError
from pos_app.domain.errors import ConfigurationError, InvalidInputError
from pos_app.domain.store_shared import STORE_SETTINGS_KEYS

if TYPE_CHECKING:
    from pos_app.config import Settings
    from pos_app.services.store_ports import JsonValue, StoreLink

T = TypeVar("T")

NOT_IN_STORE_TEXT: Final = (
    "This lane is not in a store: set POS_STORE_URL or the Settings dialog's Store database"
)
NO_CATALOG_TEXT: Final = (
    "The store has no catalog yet: put one in with `pos-app store catalog import FILE`."
)
CATALOG_SENT_TEXT: Final = (
    "The catalog of {count} {items} is in the store. This lane has it now; every other lane"
    " takes it at its next pull and uses it from its next start."
)
CATALOG_WRITTEN_TEXT: Final = "The store's catalog (changed {when}) written to {target}."
SETTINGS_SET_TEXT: Final = (
    "Set for the whole store: {changes}. Every lane takes it at its next pull (this one has"
    " it now)."
)
NOT_A_STORE_SETTING: Final = (
    "{key} is not a setting the store shares; it shares {keys} (everything else is set on"
    " each lane)"
)
NOT_KEY_VALUE: Final = "{item}: give each setting as KEY=VALUE (KEY= gives it back to each lane)"
LANE_OWN: Final = "(each lane's own)"
CANNOT_READ_TEXT: Final = "cannot read {path}: {why}"
CANNOT_WRITE_TEXT: Final = "cannot write {path}: {why}"
ACTION_TEXT: Final = "changing the store's settings"


# -- the parser ----------------------------------------------------------------------------


def add_commands(store_subparsers: Any) -> None:
    """`catalog` and `settings` on `pos-app store`'s subparsers."""
    catalog = store_subparsers.add_parser(
        "catalog", help="the catalog every lane of the store sells from"
    )
    catalog_sub = catalog.add_subparsers(dest="catalog_command", required=True, metavar="COMMAND")
    put = catalog_sub.add_parser(
        "import", help="check a catalog file (TOML, as catalog.toml) and put it in the store"
    )
    put.add_argument("file", metavar="FILE", type=Path, help="the catalog (TOML: [[item]] tables)")
    get = catalog_sub.add_parser("export", help="write the store's catalog (stdout without FILE)")
    get.add_argument("file", metavar="FILE", type=Path, nargs="?")

    settings = store_subparsers.add_parser(
        "settings",
        help="the settings the store sets for every lane (" + ", ".join(STORE_SETTINGS_KEYS) + ")",
    )
    settings.add_argument("--json", action="store_true", help="one JSON object")
    settings_sub = settings.add_subparsers(dest="settings_command", metavar="COMMAND")
    change = settings_sub.add_parser(
        "set",
        help="change some (KEY=VALUE ...; KEY= gives it back to each lane); a manager's"
        " or owner's PIN on standard input",
    )
    change.add_argument(
        "items",
        metavar="KEY=VALUE",
        nargs="+",
        help="a shared setting and its value, as the settings file takes it (tax_rate_bps=825"
        " is 8.25 %%; \\n starts a new line of receipt_header); KEY= gives it back to each lane",
    )
    change.add_argument(
        "--as", dest="as_name", metavar="NAME", help="the manager or owner (PIN on stdin)"
    )


def run(args: argparse.Namespace, out: TextIO) -> int:
    """`pos-app store catalog|settings ...` (the store's parser set `store_command`)."""
    from pos_app.config import load_settings

    settings = load_settings()
    if args.store_command == "catalog":
        if args.catalog_command == "import":
            return catalog_import(settings, args.file, out)
        return catalog_export(settings, args.file, out)
    if getattr(args, "settings_command", None) == "set":
        return settings_set(settings, args.items, args.as_name, out)
    return settings_show(settings, bool(args.json), out)


# -- the store's link ------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def store_link(settings: Settings) -> AsyncIterator[StoreLink]:
    """A link to the lane's store (closed at the end of the block); ConfigurationError
    when the lane is not in a store. It connects at its first call."""
    if not settings.store_url:
        raise ConfigurationError(NOT_IN_STORE_TEXT)
    from pos_app.storage.store import open_link
    from pos_app.wiring import store_address_for

    link = open_link(store_address_for(settings))  # the password as the lane's sync task finds it
    try:
        yield link
    finally:
        await link.close()


def _with_link(settings: Settings, work: Callable[[StoreLink], Coroutine[Any, Any, T]]) -> T:
    async def main() -> T:
        async with store_link(settings) as link:
            return await work(link)

    return asyncio.run(main())


# -- the catalog -----------------------------------------------------------------------------


def catalog_import(settings: Settings, path: Path, out: TextIO) -> int:
    """Check `path` with the catalog's parser, put it in the store, take it on this lane."""
    from pos_app.folders import data_dir
    from pos_app.services.store_shared import CatalogPull

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InvalidInputError(CANNOT_READ_TEXT.format(path=path, why=why)) from exc
    try:
        catalog = Catalog.from_toml(text)
    except CatalogError as exc:
        raise InvalidInputError(f"{path}: {exc}") from exc

    async def put(link: StoreLink) -> None:
        await link.put_catalog(text, changed_by=settings.lane)
        await CatalogPull(data_dir()).pull(link)

    _with_link(settings, put)
    count = len(catalog)
    from pos_app.services.audit_log import AuditAction, DetailValue
    from pos_app.wiring import manager_service

    with manager_service(settings) as manager:  # who: the till (a file anyone here may edit)
        detail: dict[str, DetailValue] = {
            "scope": "store",
            "catalog_items": count,
            "file": path.name[:80],
        }
        manager.record(AuditAction.SETTINGS_CHANGE, None, detail)
    _say(out, CATALOG_SENT_TEXT.format(count=count, items="item" if count == 1 else "items"))
    return 0


def catalog_export(settings: Settings, path: Path | None, out: TextIO) -> int:
    """The store's catalog to `path`, or to `out` without one."""
    got = _with_link(settings, lambda link: link.catalog())
    if got is None:
        raise InvalidInputError(NO_CATALOG_TEXT)
    text, changed_at = got
    if path is None:
        out.write(text if text.endswith("\n") else text + "\n")
        out.flush()
        return 0
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        why = exc.strerror or type(exc).__name__
        raise InvalidInputError(CANNOT_WRITE_TEXT.format(path=path, why=why)) from exc
    _say(
        out, CATALOG_WRITTEN_TEXT.format(when=changed_at.isoformat(timespec="seconds"), target=path)
    )
    return 0


# -- the settings ----------------------------------------------------------------------------


def settings_show(settings: Settings, as_json: bool, out: TextIO) -> int:
    """The settings the store sets for every lane (the keys it leaves to each lane too)."""
    values = _with_link(settings, lambda link: link.store_settings())
    shared = {key: values.get(key) for key in STORE_SETTINGS_KEYS}
    if as_json:
        _say(out, json.dumps({"settings": shared, "keys": list(STORE_SETTINGS_KEYS)}))
        return 0
    width = max(len(key) for key in STORE_SETTINGS_KEYS)
    for key, value in shared.items():
        shown = LANE_OWN if value is None else _shown(value)
        _say(out, f"{key.ljust(width)}  {shown}")
    return 0


def _shown(value: JsonValue) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if ("\n" in value or not value) else value
    return json.dumps(value)


def parse_store_settings(items: list[str]) -> dict[str, JsonValue]:
    """`KEY=VALUE ...` as the store's values, each checked by the settings' own rules
    (InvalidInputError naming the first one at fault); `KEY=` is None (given back)."""
    from pos_app.config import SettingsError, check_setting

    values: dict[str, JsonValue] = {}
    for item in items:
        key, equals, raw = item.partition("=")
        key = key.strip()
        if not equals or not key:
            raise InvalidInputError(NOT_KEY_VALUE.format(item=item[:40]))
        if key not in STORE_SETTINGS_KEYS:
            raise InvalidInputError(
                NOT_A_STORE_SETTING.format(key=key[:40], keys=", ".join(STORE_SETTINGS_KEYS))
            )
        if raw == "":
            values[key] = None
            continue
        try:
            value = check_setting(key, raw.replace("\\n", "\n"))
        except SettingsError as exc:
            raise InvalidInputError(str(exc)) from None
        values[key] = value if isinstance(value, int | str) else str(value)
    return values


def settings_set(settings: Settings, items: list[str], as_name: str | None, out: TextIO) -> int:
    """Change the store's shared settings as a manager or owner; audited on this lane."""
    from pos_app.cli_staff import authorized
    from pos_app.folders import data_dir
    from pos_app.services.audit_log import AuditAction, DetailValue
    from pos_app.services.store_shared import SettingsPull

    values = parse_store_settings(items)  # first: a typo costs no PIN
    if not settings.store_url:
        raise ConfigurationError(NOT_IN_STORE_TEXT)
    with authorized(settings, as_name, action=ACTION_TEXT) as (manager, person):

        async def put(link: StoreLink) -> None:
            await link.put_store_settings(values, changed_by=f"{person.name} on {settings.lane}")
            await SettingsPull(data_dir()).pull(link)

        _with_link(settings, put)
        detail: dict[str, DetailValue] = {"scope": "store"}
        for key, value in values.items():
            detail[key] = value if isinstance(value, str | int) else None
        manager.record(AuditAction.SETTINGS_CHANGE, None, detail)
    changes = ", ".join(
        f"{key} = {LANE_OWN if value is None else _shown(value)}" for key, value in values.items()
    )
    _say(out, SETTINGS_SET_TEXT.format(changes=changes))
    return 0


def _say(out: TextIO, *lines: str) -> None:
    for line in lines:
        out.write(line + "\n")
    out.flush()


__all__ = [
    "add_commands",
    "catalog_export",
    "catalog_import",
    "parse_store_settings",
    "run",
    "settings_set",
    "settings_show",
    "store_link",
]
