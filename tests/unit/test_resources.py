"""The shipped sample catalog, and which catalog the app loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from pos_app.domain.cart import CatalogError
from pos_app.resources import CATALOG_FILE_NAME, load_catalog, resource_path


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
