"""The journal, the audit database, their -wal/-shm files and the logs are readable by
their owner only: made 0600 whatever the umask, and tightened when found looser."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pos_app.file_modes import create_private, tighten
from pos_app.logs import setup_logging
from pos_app.storage.audit import SqliteAuditLog
from pos_app.storage.journal import SqliteJournal
from pos_app.storage.sqlite_file import SqliteFile

pytestmark = pytest.mark.skipif(os.name == "nt", reason="Windows files take their folder's ACL")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The loosest umask: whatever is private here was made so on purpose."""
    before = os.umask(0)
    try:
        yield
    finally:
        os.umask(before)


def companions(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]


@pytest.mark.parametrize("store", [SqliteJournal, SqliteAuditLog], ids=["journal", "audit"])
def test_a_new_database_and_its_wal_files_are_private(
    tmp_path: Path, store: type[SqliteFile]
) -> None:
    path = tmp_path / "data" / "store.sqlite3"
    with store(path):
        wal, shm = companions(path)
        assert wal.exists()
        assert shm.exists()
        assert [mode(p) for p in (path, wal, shm)] == [0o600, 0o600, 0o600]


@pytest.mark.parametrize("store", [SqliteJournal, SqliteAuditLog], ids=["journal", "audit"])
def test_an_existing_database_with_looser_rights_is_tightened_at_open(
    tmp_path: Path, store: type[SqliteFile]
) -> None:
    path = tmp_path / "store.sqlite3"
    with store(path):
        pass
    # Left as an older version (or a copy) left it: readable by everyone, its WAL too.
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("CREATE TABLE IF NOT EXISTS leftover (x)")
    wal, shm = companions(path)
    for file in (path, wal, shm):
        os.chmod(file, 0o644)
    reopened = store(path)
    try:
        assert [mode(p) for p in (path, wal, shm)] == [0o600, 0o600, 0o600]
    finally:
        reopened.close()
        raw.close()


def test_the_log_and_its_rotated_files_are_private(tmp_path: Path) -> None:
    old_backup = tmp_path / "pos-app.log.2"
    old_backup.write_text("from an older version\n", encoding="utf-8")
    os.chmod(old_backup, 0o644)
    root = logging.getLogger()
    before = list(root.handlers)
    path = setup_logging(tmp_path)
    handler = next(h for h in root.handlers if h not in before)
    try:
        logging.getLogger("pos_app.test").warning("a line")
        assert mode(path) == 0o600
        assert mode(old_backup) == 0o600
        assert isinstance(handler, logging.handlers.RotatingFileHandler)
        handler.doRollover()  # the new file after a rotation is private too
        logging.getLogger("pos_app.test").warning("another line")
        assert mode(path) == 0o600
        assert mode(tmp_path / "pos-app.log.1") == 0o600
        assert "another line" in path.read_text(encoding="utf-8")
    finally:
        root.removeHandler(handler)
        handler.close()


def test_an_existing_log_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "pos-app.log"
    path.write_text("old\n", encoding="utf-8")
    os.chmod(path, 0o664)
    root = logging.getLogger()
    before = list(root.handlers)
    setup_logging(tmp_path)
    handler = next(h for h in root.handlers if h not in before)
    try:
        assert mode(path) == 0o600
        assert path.read_text(encoding="utf-8").startswith("old\n")  # appended, not replaced
    finally:
        root.removeHandler(handler)
        handler.close()


def test_create_private_never_loosens_or_truncates(tmp_path: Path) -> None:
    path = tmp_path / "file"
    create_private(path)
    assert mode(path) == 0o600
    path.write_text("kept", encoding="utf-8")
    os.chmod(path, 0o400)
    create_private(path)
    assert mode(path) == 0o400
    assert path.read_text(encoding="utf-8") == "kept"
    assert not tighten(tmp_path / "missing")
    assert not (tmp_path / "missing").exists()
