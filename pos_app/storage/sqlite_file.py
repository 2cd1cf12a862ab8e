"""What the journal and the audit log share: one SQLite file, opened for safety.

Autocommit mode with explicit write transactions (BEGIN IMMEDIATE), so nothing
stays uncommitted by accident and reads see other lanes' latest commits; WAL;
synchronous FULL, so a commit survives a power cut; one connection behind a
lock, usable from any thread.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Final, Self

BUSY_TIMEOUT_S: Final = 10.0


class SqliteFile:
    """A SQLite file with the pragmas every store here wants, and its lifecycle.

    Subclasses name what they store (`what`, for messages), the exception they
    raise (`error`), extra pragmas, and prepare the schema in `_prepare`.
    """

    what: ClassVar[str] = "file"
    error: ClassVar[type[Exception]] = sqlite3.Error
    extra_pragmas: ClassVar[Sequence[str]] = ()

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            self._create(Path(self.path))
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
        try:
            for pragma in (
                f"busy_timeout = {int(BUSY_TIMEOUT_S * 1000):d}",
                "journal_mode = WAL",
                "synchronous = FULL",
                *self.extra_pragmas,
            ):
                self._conn.execute(f"PRAGMA {pragma}")
            self._prepare()
        except sqlite3.Error as exc:
            self._conn.close()
            raise self.error(f"cannot open the {self.what} at {self.path}: {exc}") from exc
        except BaseException:
            self._conn.close()
            raise

    def _create(self, path: Path) -> None:
        """Make sure the file's folder exists (subclasses may create the file itself)."""
        path.parent.mkdir(parents=True, exist_ok=True)

    def _prepare(self) -> None:
        """Create or migrate the schema (on `self._conn`)."""

    @property
    def schema_version(self) -> int:
        """The schema version of the open file (`PRAGMA user_version`)."""
        with self._lock:
            return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            # Closed already, or busy: the planner statistics can wait.
            with suppress(sqlite3.Error):
                self._conn.execute("PRAGMA optimize")
            self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed (and synced) before the caller goes on."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self.error(f"the {self.what} is not writable: {exc}") from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self.error(f"the {self.what} write failed: {exc}") from exc
                raise
