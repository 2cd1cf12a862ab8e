"""Files shipped with the app (the sample catalog), found the same way from a
source checkout and from a PyInstaller bundle."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

from pos_app.domain.cart import Catalog, CatalogError
from pos_app.domain.store_shared import STORE_CATALOG_FILE
from pos_app.resources.catalog_cache import cached_catalog, keep_catalog

__all__ = ["CATALOG_FILE_NAME", "load_catalog", "resource_path"]

CATALOG_FILE_NAME: Final = "catalog.toml"


def _resource_dir() -> Path:
    # A PyInstaller bundle unpacks data files under sys._MEIPASS, keeping their
    # package path (the spec file must list pos_app/resources as data).
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        bundled = Path(bundle) / "pos_app" / "resources"
        if bundled.is_dir():
            return bundled
    return Path(__file__).resolve().parent


def resource_path(name: str) -> Path:
    """The path of the shipped file `name` (it may not exist; the caller opens it)."""
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts:
        raise ValueError(f"resource names are relative paths inside the resources: {name!r}")
    return _resource_dir() / relative


def load_catalog(data_dir: Path) -> Catalog:
    """The store's catalog as this lane last took it (`data_dir/store-catalog.toml`, on a
    lane in a store), else the shop's (`data_dir/catalog.toml`), else the sample.

    A shop file that cannot be read or parsed raises CatalogError naming the
    file: the caller decides whether to fall back to the sample and say so.
    The items parsed are kept in `data_dir` for the next start
    (`pos_app.resources.catalog_cache`).
    """
    for name in (STORE_CATALOG_FILE, CATALOG_FILE_NAME):
        shop_file = data_dir / name
        if shop_file.is_file():
            return _read_catalog(shop_file, data_dir)
    return _read_catalog(resource_path(CATALOG_FILE_NAME), data_dir)


def _read_catalog(path: Path, cache_dir: Path) -> Catalog:
    try:
        document = path.read_bytes()
    except OSError as error:
        raise CatalogError(f"{path}: the catalog cannot be read ({error})") from error
    catalog = cached_catalog(cache_dir, path, document)
    if catalog is not None:
        return catalog
    try:
        catalog = Catalog.from_toml(document.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise CatalogError(f"{path}: the catalog cannot be read ({error})") from error
    except CatalogError as error:
        raise CatalogError(f"{path}: {error}") from error
    keep_catalog(cache_dir, path, document, catalog)
    return catalog
