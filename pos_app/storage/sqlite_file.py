"""What the journal and the audit log share: one SQLite file, opened for safety.

Autocommit mode with explicit write transactions (BEGIN IMMEDIATE), so nothing
stays uncommitted by accident and reads see other lanes' latest commits; WAL;
synchronous FULL, so a commit survives a power cut; one connection behind a
lock, usable from any thread.

The file, its -wal and -shm files are readable by their owner only (0600): a
new file is made so, an existing one with looser rights is tightened at open
(`pos_app.file_modes`; SQLite gives the -wal and -shm files the file's mode).

Two ways to write. `_write()` waits for another process's write lock inside
SQLite (the busy timeout): fine off the GUI loop. `_write_soon()` is for the
event loop: each attempt waits at most `attempt_busy_ms` for the lock, and
between attempts the coroutine sleeps (the loop runs on) until the lock is
free or `write_deadline` has passed. Reads never wait on a writer in WAL mode.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Final, Self, TypeVar

from pos_app.file_modes import create_private, tighten

T = TypeVar("T")

BUSY_TIMEOUT_S: Final = 10.0
# The files SQLite keeps beside a database (WAL mode, and a rollback journal).
COMPANION_SUFFIXES: Final = ("-wal", "-shm", "-journal")
# `_write_soon`'s pauses between attempts: short at first (a commit takes a few
# ms), then growing, so a long hold costs a few wake-ups a second.
FIRST_PAUSE_S: Final = 0.002
PAUSE_CAP_S: Final = 0.05


class SqliteFile:
    """A SQLite file with the pragmas every store here wants, and its lifecycle.

    Subclasses name what they store (`what`, for messages), the exception they
    raise (`error`), extra pragmas, and prepare the schema in `_prepare`.
    """

    what: ClassVar[str] = "file"
    error: ClassVar[type[Exception]] = sqlite3.Error
    extra_pragmas: ClassVar[Sequence[str]] = ()
    # After opening, how long one statement may wait for a lock inside SQLite
    # (None: the whole busy timeout). A store written from the event loop sets a
    # few ms, so no call holds the loop longer than a frame.
    attempt_busy_ms: ClassVar[int | None] = None

    def __init__(self, path: Path | str, *, write_deadline: float = BUSY_TIMEOUT_S) -> None:
        self.path = str(path)
        self.write_deadline = write_deadline
        if self.path != ":memory:":
            self._create(Path(self.path))
            # Before SQLite opens it: the -wal and -shm files it makes copy this mode.
            create_private(Path(self.path))
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
            if self.path != ":memory:":
                for suffix in COMPANION_SUFFIXES:  # made by an older version, or copied in
                    tighten(Path(self.path + suffix))
            self._prepare()
            if self.attempt_busy_ms is not None:
                self._conn.execute(f"PRAGMA busy_timeout = {self.attempt_busy_ms:d}")
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
            with self._transaction(conn):
                yield conn

    async def _write_soon(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one write transaction without holding the event loop for the lock.

        While another process holds the write lock, the coroutine sleeps between
        short attempts; past `write_deadline` it raises `error` with a plain
        sentence. `work` runs synchronously once the lock is taken (no await
        inside a transaction), and the commit is synced before this returns.
        """
        deadline = time.monotonic() + self.write_deadline
        pause = FIRST_PAUSE_S
        while True:
            with self._lock:
                conn = self._conn
                try:
                    conn.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as exc:
                    if not is_busy(exc):
                        raise self.error(f"the {self.what} is not writable: {exc}") from exc
                else:
                    with self._transaction(conn):
                        result = work(conn)
                    return result
            left = deadline - time.monotonic()
            if left <= 0:
                raise self.error(
                    f"The {self.what} stayed in use by another program on this computer for "
                    f"{self.write_deadline:g} seconds. Try again in a moment."
                )
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, PAUSE_CAP_S)

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        """The body of a transaction begun on `conn`: commit, or roll back and re-raise."""
        try:
            yield
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error) and not isinstance(exc, CODE_ERRORS):
                raise self.error(f"the {self.what} write failed: {exc}") from exc
            raise


#: What SQLite raises for a mistake in our code (a value it cannot bind, SQL it cannot
#: run): a bug for the funnel, never "try again" for a person.
CODE_ERRORS = (sqlite3.InterfaceError, sqlite3.ProgrammingError, sqlite3.NotSupportedError)


def is_busy(exc: sqlite3.Error) -> bool:
    """Whether SQLite said another connection holds the lock (SQLITE_BUSY or LOCKED)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if isinstance(code, int):
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)
