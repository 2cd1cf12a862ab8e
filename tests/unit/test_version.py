"""One version: the package's constant is the one pyproject.toml and the bundle carry."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

import pos_app

ROOT = Path(__file__).resolve().parents[2]


def test_the_package_version_is_pyprojects() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert pos_app.__version__ == project["version"]


def test_the_installed_version_is_the_packages() -> None:
    assert version("pos-app") == pos_app.__version__
