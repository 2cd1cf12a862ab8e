"""Writing the audit log out: CSV for a spreadsheet, JSON for a program.

Both are written oldest first with every entry's seals, so the chain can be
recomputed from a copy. A path is written through a temporary file renamed at
the end, so a failed export never leaves half a file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Final, TextIO

from pos_app.services.audit_log import AuditHead, KeyStatus

__all__ = ["EXPORT_COLUMNS", "to_target", "write_csv", "write_json"]

EXPORT_COLUMNS: Final = (
    "seq", "at", "who", "lane", "action", "subject", "detail", "outcome",
    "prev_hash", "hash", "mac",
)  # fmt: skip
# Cells a spreadsheet would run as a formula (CSV injection).
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")

Batches = Iterable[Sequence[Sequence[Any]]]


def _spreadsheet_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def write_csv(stream: TextIO, batches: Batches) -> int:
    """Rows as CSV under a header; cells a spreadsheet would run as a formula get a
    leading apostrophe (the stored entries and their seals are unchanged)."""
    writer = csv.writer(stream)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for batch in batches:
        writer.writerows([_spreadsheet_safe(value) for value in row] for row in batch)
        count += len(batch)
    return count


def write_json(stream: TextIO, head: AuditHead, status: KeyStatus, batches: Batches) -> int:
    """One JSON object: the head, the key status and the entries (one a line), each with
    its detail text exactly as stored and sealed."""
    about: dict[str, object] = {
        "format": "pos-audit-v2",
        "head": {"seq": head.seq, "hash": head.hash, "short": head.short},
        "key_status": status.value,
    }
    stream.write(json.dumps(about)[:-1] + ',"entries":[')
    count = 0
    for batch in batches:
        for row in batch:
            stream.write(("," if count else "") + "\n")
            stream.write(json.dumps(dict(zip(EXPORT_COLUMNS, row, strict=True))))
            count += 1
    stream.write("\n]}\n")
    return count


def to_target(
    target: Path | TextIO, write: Callable[[TextIO], int], *, newline: str | None = None
) -> int:
    """Write to a stream, or to a path through a temporary file renamed at the end."""
    if not isinstance(target, Path):
        return write(target)
    partial = target.with_name(target.name + ".part")
    try:
        with partial.open("w", encoding="utf-8", newline=newline) as stream:
            count = write(stream)
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return count
