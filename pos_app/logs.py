"""Logging: a rotating file in the user log dir, with secrets redacted."""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

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


def setup_logging(
    directory: Path, *, secrets: tuple[str, ...] = (), level: int = logging.INFO
) -> Path:
    """Log to `directory/pos-app.log` (5 x 1 MB); returns the path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "pos-app.log"
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=1_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redactor(secrets))
    root = logging.getLogger()
    root.setLevel(level)
    root.addHandler(handler)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return path
