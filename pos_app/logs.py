"""Logging: a rotating file in the user log dir, with secrets redacted, readable by
its owner only (0600, the rotated files too)."""

from __future__ import annotations

import logging
import logging.handlers
import re
from io import TextIOWrapper
from pathlib import Path

from pos_app.file_modes import create_private, tighten

BACKUP_COUNT = 5

_PATTERNS = (
    re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE),
    re.compile(
        r"((?:client_secret|access_token|secret)[\"']?\s*[:=]\s*[\"']?)[^\s\"',}]+", re.IGNORECASE
    ),
)


class Redactor(logging.Filter):
    """Masks tokens and secrets in every record, whatever logged them."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s and len(s) >= 4)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        for secret in self.secrets:
            message = message.replace(secret, "[redacted]")
        for pattern in _PATTERNS:
            message = pattern.sub(r"\1[redacted]", message)
        record.msg, record.args = message, None
        return True


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file made with mode 0600, each time rotation starts a new one."""

    def _open(self) -> TextIOWrapper:
        create_private(Path(self.baseFilename))
        return super()._open()


def setup_logging(
    directory: Path, *, secrets: tuple[str, ...] = (), level: int = logging.INFO
) -> Path:
    """Log to `directory/pos-app.log` (5 x 1 MB); returns the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pos-app.log"
    for number in range(1, BACKUP_COUNT + 1):  # rotated by an older version
        tighten(path.with_name(f"{path.name}.{number}"))
    handler = PrivateRotatingFileHandler(
        path, maxBytes=1_000_000, backupCount=BACKUP_COUNT, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redactor(secrets))
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(handler)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path
