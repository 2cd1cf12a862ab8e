"""What the till imports before its first window shows, for the bundle (pos_app.spec).

The one-folder bundle keeps these as .pyc files beside the executable instead
of in its compressed Python archive, so the first screen does not wait for
decompressing them through PyInstaller's archive importer (about 13 ms of a
0.22 s start). Everything else stays in the archive, which is smaller.

The app's own are named module by module: a package named here would bring all
its submodules (pos_app.ui has a hundred). The standard library's are named by
top-level package. `tests/packaging/test_startup.py` checks that every pos_app
module the window imports is listed; a module missing here would only load from
the archive. (`python -X importtime -m pos_app` lists what a start imports.)
"""

APP = (
    "pos_app.app",
    "pos_app.domain.cart",
    "pos_app.domain.discount",
    "pos_app.domain.errors",
    "pos_app.domain.money",
    "pos_app.domain.settings_rules",
    "pos_app.domain.store_shared",
    "pos_app.entry",
    "pos_app.first_look",
    "pos_app.folders",
    "pos_app.resources.catalog_cache",
    "pos_app.ui.amount_entry",
    "pos_app.ui.cart_model",
    "pos_app.ui.cart_panel",
    "pos_app.ui.controls",
    "pos_app.ui.main_window",
    "pos_app.ui.quick_items",
    "pos_app.ui.scanner",
    "pos_app.ui.shown",
    "pos_app.ui.style",
    "pos_app.ui.text.cart",
    "pos_app.ui.text.window",
)
#: Packages: their __init__ stays in the archive (naming one would bring every submodule).
APP_PACKAGES = ("pos_app", "pos_app.domain", "pos_app.resources", "pos_app.ui", "pos_app.ui.text")

LIBRARIES = (
    "PySide6",
    "shiboken6",
    "argparse",
    "ast",
    "base64",
    "bisect",
    "bz2",
    "contextlib",
    "copy",
    "ctypes",
    "dataclasses",
    "datetime",
    "dis",
    "fnmatch",
    "gettext",
    "importlib",
    "inspect",
    "ipaddress",
    "json",
    "logging",
    "lzma",
    "opcode",
    "pathlib",
    "random",
    "shutil",
    "string",
    "tempfile",
    "textwrap",
    "threading",
    "token",
    "tokenize",
    "typing",
    "urllib",
    "zipfile",
)

STARTUP_MODULES = APP + LIBRARIES
