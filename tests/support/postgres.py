"""A throwaway PostgreSQL server for the tests and the benchmarks.

One server per test run (or per benchmark), in a temporary folder, on a free
loopback port, with `fsync` off: it holds nothing worth keeping. PostgreSQL
refuses to run as root, and CI runs as root: there the server runs as the
`postgres` user that Debian's package creates (or `nobody`), through
subprocess's `user=`; as anyone else it runs as that user.

    with pg_server() as server:
        url = server.create_database()       # a fresh, empty database
        server.stop(); server.start()         # the store going away and coming back

Connections trust loopback (no password): the password path is tested on its
own (the URL and keyring handling), not through this server.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROLE = "pos"  # the superuser initdb creates; the tests connect as it
START_TIMEOUT_SECONDS = 30


class PostgresMissing(RuntimeError):
    """PostgreSQL's server programs are not installed (scripts/setup.sh --dev installs them)."""


def server_bin_dir() -> Path:
    """Where initdb and pg_ctl are: on PATH, else Debian's newest /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not versions:
        raise PostgresMissing(
            "PostgreSQL's server is not installed: run `bash scripts/setup.sh --dev`"
        )
    return versions[-1].parent


def _run_as() -> str | None:
    """The unprivileged user to run the server as when we are root (else None: ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    raise PostgresMissing("running as root and no unprivileged user to run PostgreSQL as")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PgServer:
    """A running throwaway server."""

    folder: Path
    port: int
    bin_dir: Path
    user: str | None

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def log_file(self) -> Path:
        return self.folder / "server.log"

    def url(self, database: str) -> str:
        """The URL a lane joins with (no password: the server trusts loopback)."""
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args],
            check=check,
            capture_output=True,
            text=True,
            user=self.user,
            cwd=self.folder,
            timeout=START_TIMEOUT_SECONDS + 10,
        )

    def start(self) -> None:
        """Start (or restart after `stop`) on the same port and data."""
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port}"
            f" -c unix_socket_directories={self.folder}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=300 -c shared_buffers=128MB"
        )
        try:
            self._ctl(
                "start", "-w", "-t", str(START_TIMEOUT_SECONDS), "-l", str(self.log_file),
                "-o", options,
            )  # fmt: skip
        except subprocess.CalledProcessError as exc:
            log = self.log_file
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {exc.stderr}\n{tail}") from None

    def stop(self) -> None:
        """Stop at once (connections are cut), as a store server that goes away."""
        self._ctl("stop", "-m", "fast", "-w", check=False)

    def is_running(self) -> bool:
        return self._ctl("status", check=False).returncode == 0

    def sql(self, statement: str, database: str = "postgres") -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=10) as conn:
            conn.execute(statement)  # type: ignore[arg-type]  # test-only literal SQL

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        """A new database (empty, or a copy of `template`); returns its URL."""
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        self.sql(f'CREATE DATABASE "{name}"{clause}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, cutting its connections."""
        self.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _start_on_a_free_port(server: PgServer, attempts: int = 3) -> None:
    """Start `server`; if another process (a parallel test worker's server or sandbox) took
    its port between `free_port` and the start, try again on another free port."""
    for attempt in range(attempts):
        try:
            server.start()
            return
        except RuntimeError as exc:
            if attempt == attempts - 1 or "could not bind" not in str(exc):
                raise
            server.port = free_port()


@contextlib.contextmanager
def pg_server() -> Iterator[PgServer]:
    """Start a throwaway server; stopped and removed at the end."""
    bin_dir = server_bin_dir()
    user = _run_as()
    folder = Path(tempfile.mkdtemp(prefix="pos-pg-"))
    try:
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        folder.chmod(0o700)
        subprocess.run(
            [
                str(bin_dir / "initdb"), "-D", str(folder / "data"), "-U", ROLE,
                "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync",
            ],
            check=True, capture_output=True, text=True, user=user, cwd=folder, timeout=120,
        )  # fmt: skip
        server = PgServer(folder, free_port(), bin_dir, user)
        _start_on_a_free_port(server)
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def database_name(url: str) -> str:
    """The database part of a URL made by `PgServer.url`."""
    return url.rsplit("/", 1)[1].split("?", 1)[0]
