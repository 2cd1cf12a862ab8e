"""The shipped sample catalog, which catalog the app loads, and its cache."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from pos_app.domain.cart import Catalog, CatalogError, CatalogItem
from pos_app.resources import CATALOG_FILE_NAME, load_catalog, resource_path
from pos_app.resources.catalog_cache import CACHE_FILE_NAME


def ean13_is_valid(code: str) -> bool:
    if len(code) != 13 or not code.isascii() or not code.isdigit():
        return False
    weighted = sum(int(digit) * (3 if position % 2 else 1) for position, digit in enumerate(code))
    return weighted % 10 == 0


@pytest.mark.parametrize(
    ("code", "valid"),
    [("4006381333931", True), ("4006381333932", False), ("400638133393", False)],
)
def test_the_ean13_check_itself(code: str, valid: bool) -> None:
    assert ean13_is_valid(code) is valid


def test_the_sample_catalog_loads_with_valid_unique_barcodes(tmp_path: Path) -> None:
    catalog = load_catalog(tmp_path)  # no shop file here
    assert 10 <= len(catalog) <= 16
    for item in catalog:
        assert item.price_cents > 0, item
        assert item.barcode is not None, item
        assert ean13_is_valid(item.barcode), item
        assert catalog.by_barcode(item.barcode) is item
    assert catalog.by_code("espresso") is not None


def test_resource_path_finds_files_next_to_the_package() -> None:
    path = resource_path(CATALOG_FILE_NAME)
    assert path.is_file()
    assert path.parent.name == "resources"
    with pytest.raises(ValueError, match="relative"):
        resource_path("../config.py")


def test_resource_path_looks_inside_a_pyinstaller_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = tmp_path / "pos_app" / "resources"
    bundled.mkdir(parents=True)
    monkeypatch.setattr("sys._MEIPASS", str(tmp_path), raising=False)
    assert resource_path(CATALOG_FILE_NAME) == bundled / CATALOG_FILE_NAME


def test_the_shops_own_catalog_is_preferred(tmp_path: Path) -> None:
    (tmp_path / CATALOG_FILE_NAME).write_text(
        '[[item]]\ncode = "pie"\nname = "Apple pie"\nprice = "3.40"\n', encoding="utf-8"
    )
    catalog = load_catalog(tmp_path)
    assert [(item.code, item.price_cents) for item in catalog] == [("pie", 340)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[[item]]\ncode = "pie"\nname = "Apple pie"\nprice = 3.40\n', "price"),
        ("[[item]\n", "TOML"),
        (b"\xff\xfe not text", "cannot be read"),
    ],
)
def test_a_bad_shop_catalog_raises_naming_the_file(
    tmp_path: Path, content: str | bytes, message: str
) -> None:
    shop_file = tmp_path / CATALOG_FILE_NAME
    if isinstance(content, bytes):
        shop_file.write_bytes(content)
    else:
        shop_file.write_text(content, encoding="utf-8")
    with pytest.raises(CatalogError, match=message) as raised:
        load_catalog(tmp_path)
    assert str(shop_file) in str(raised.value)


# -- the catalog's cache -----------------------------------------------------------------

PIE = '[[item]]\ncode = "pie"\nname = "Apple pie"\nprice = "3.40"\n'


def _never_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_text: str) -> Catalog:
        raise AssertionError("the catalog was parsed, not taken from its cache")

    monkeypatch.setattr(Catalog, "from_toml", staticmethod(refuse))


def test_a_second_start_takes_the_parsed_catalog_from_its_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / CATALOG_FILE_NAME).write_text(PIE, encoding="utf-8")
    first = load_catalog(tmp_path)
    assert (tmp_path / CACHE_FILE_NAME).is_file()

    _never_parse(monkeypatch)
    second = load_catalog(tmp_path)
    assert second.items == first.items
    assert second.by_code("pie") == CatalogItem("pie", "Apple pie", 340)


def test_the_sample_catalog_is_cached_too_and_each_file_has_its_own_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sample = load_catalog(tmp_path)
    (tmp_path / CATALOG_FILE_NAME).write_text(PIE, encoding="utf-8")
    shop = load_catalog(tmp_path)  # another file: parsed, not the sample's cache
    assert [item.code for item in shop] == ["pie"]
    (tmp_path / CATALOG_FILE_NAME).unlink()
    assert load_catalog(tmp_path).items == sample.items


@pytest.mark.parametrize(
    "edited",
    [
        PIE.replace("3.40", "3.50"),  # the same size: the content decides
        PIE.replace("Apple pie", "Apple tart"),
        PIE + '\n[[item]]\ncode = "tea"\nname = "Tea"\nprice = "2.00"\n',
    ],
)
def test_an_edited_catalog_is_parsed_again(tmp_path: Path, edited: str) -> None:
    shop_file = tmp_path / CATALOG_FILE_NAME
    shop_file.write_text(PIE, encoding="utf-8")
    load_catalog(tmp_path)
    shop_file.write_text(edited, encoding="utf-8")
    assert load_catalog(tmp_path).items == Catalog.from_toml(edited).items


def test_an_edit_that_breaks_the_catalog_raises_and_the_old_cache_is_not_used(
    tmp_path: Path,
) -> None:
    shop_file = tmp_path / CATALOG_FILE_NAME
    shop_file.write_text(PIE, encoding="utf-8")
    load_catalog(tmp_path)
    kept = (tmp_path / CACHE_FILE_NAME).read_bytes()
    shop_file.write_text(PIE.replace('"3.40"', "3.40"), encoding="utf-8")
    with pytest.raises(CatalogError, match="price"):
        load_catalog(tmp_path)
    assert (tmp_path / CACHE_FILE_NAME).read_bytes() == kept  # nothing kept for a bad file


@pytest.mark.parametrize(
    "cache",
    [
        "not json",
        "[]",
        '{"key": 1}',
        '{"key": null, "items": []}',
        "KEY_WITH_ITEMS [[1, 2, 3, 4]]",
        'KEY_WITH_ITEMS [["pie", "Apple pie", -340, null]]',
        'KEY_WITH_ITEMS [["pie", "Apple pie", 340, null], ["pie", "Pie", 1, null]]',
        'KEY_WITH_ITEMS [["pie", "Apple pie", 340]]',
        'KEY_WITH_ITEMS [["pie", 7, 340, null]]',
        'KEY_WITH_ITEMS [["pie", "Apple pie", 340, 5]]',
        'KEY_WITH_ITEMS [["pie", "Apple pie", "340", null]]',
    ],
)
def test_a_cache_that_is_not_right_is_ignored_and_written_again(tmp_path: Path, cache: str) -> None:
    (tmp_path / CATALOG_FILE_NAME).write_text(PIE, encoding="utf-8")
    load_catalog(tmp_path)
    cache_file = tmp_path / CACHE_FILE_NAME
    key = json.dumps(json.loads(cache_file.read_text(encoding="utf-8"))["key"])
    cache_file.write_text(
        cache.replace("KEY_WITH_ITEMS ", f'{{"key": {key}, "items": ') + "}"
        if cache.startswith("KEY_WITH_ITEMS")
        else cache,
        encoding="utf-8",
    )
    assert [(item.code, item.price_cents) for item in load_catalog(tmp_path)] == [("pie", 340)]
    assert json.loads(cache_file.read_text(encoding="utf-8"))["items"] == [
        ["pie", "Apple pie", 340, None]
    ]


def test_no_cache_is_written_without_a_data_folder_or_where_it_cannot_be(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing = tmp_path / "not-made-yet"
    assert len(load_catalog(missing)) > 0  # the sample
    assert not missing.exists()  # the folder is made with the lane's journal, not here

    (tmp_path / CACHE_FILE_NAME).mkdir()  # the cache's name taken by a folder
    with caplog.at_level(logging.INFO, logger="pos_app.resources.catalog_cache"):
        assert len(load_catalog(tmp_path)) > 0
    assert "not written" in caplog.text
    assert [path.name for path in tmp_path.iterdir()] == [CACHE_FILE_NAME]  # no partial left
