"""The parsed catalog, kept beside the lane's data so a start reads JSON, not TOML.

A shop's catalog.toml of 2,000 items takes about 60 ms to parse and check, at
every start of the till and before its first screen; importing the TOML parser
alone costs a few milliseconds. The items as parsed are kept in
`data_dir/catalog-cache.json`, with the catalog file's path, size and CRC-32:
a start whose catalog file is byte for byte the one parsed last time takes the
items from there (the file is still read, to compare; the items are still
checked by `Catalog`), and any other start parses the TOML and writes the cache
again.

The cache is only ever a copy. A cache that is missing, unreadable, of another
format or for another file is ignored; one that cannot be written (a read-only
data folder, a full disk) is not written. A catalog file that does not parse
raises as it would without a cache, and no cache is written for it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import zlib
from pathlib import Path
from typing import Final

from pos_app.domain.cart import Catalog, CatalogItem

__all__ = ["CACHE_FILE_NAME", "cached_catalog", "keep_catalog"]

CACHE_FILE_NAME: Final = "catalog-cache.json"
_FORMAT: Final = 1

log = logging.getLogger(__name__)


def _key(source: Path, document: bytes) -> dict[str, object]:
    return {
        "format": _FORMAT,
        "source": str(source),
        "size": len(document),
        "crc32": zlib.crc32(document),
    }


def cached_catalog(cache_dir: Path, source: Path, document: bytes) -> Catalog | None:
    """The catalog parsed from `document` (the bytes of `source`) at an earlier start,
    or None when the cache does not hold exactly that file."""
    try:
        kept = json.loads((cache_dir / CACHE_FILE_NAME).read_bytes())
        if not isinstance(kept, dict) or kept.get("key") != _key(source, document):
            return None
        return Catalog(_item(row) for row in kept["items"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError) as error:
        # JSONDecodeError and a bad item are ValueErrors; a wrong shape a TypeError.
        log.info("the catalog cache was not used (%s); reading the catalog file", error)
        return None


def _item(row: object) -> CatalogItem:
    match row:
        case [str(code), str(name), int(price_cents), str() | None as barcode]:
            return CatalogItem(code=code, name=name, price_cents=price_cents, barcode=barcode)
    raise TypeError(f"not a catalog item: {row!r}")


def keep_catalog(cache_dir: Path, source: Path, document: bytes, catalog: Catalog) -> None:
    """Keep `catalog`, parsed from `document` (the bytes of `source`), for the next start.

    Written whole then renamed over the old cache, so a reader sees one or the other.
    Nothing is written when `cache_dir` does not exist (a lane's data folder is made
    with its journal) or cannot be written."""
    if not cache_dir.is_dir():
        return
    kept = {
        "key": _key(source, document),
        "items": [[i.code, i.name, i.price_cents, i.barcode] for i in catalog.items],
    }
    target = cache_dir / CACHE_FILE_NAME
    partial = cache_dir / f".{CACHE_FILE_NAME}.{os.getpid()}.tmp"
    try:
        partial.write_text(json.dumps(kept, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, target)
    except OSError as error:
        log.info("the catalog cache was not written (%s)", error)
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
