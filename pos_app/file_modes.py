"""Files only their owner may read: the journal, the audit database and the logs.

They hold who sold what, PIN hashes and card brands with last fours: no other
account on the shop's computer has any business reading them. A file is made
with mode 0600 whatever the umask, and a file found with looser rights (made
by an older version, or copied in) is tightened when it is opened.

On Windows a file's rights come from its folder's ACL (the user's own profile
folders are private already) and `chmod` only sets the read-only flag, so
nothing is done there.
"""

from __future__ import annotations

import logging
import os
import stat
from contextlib import suppress
from pathlib import Path
from typing import Final

__all__ = ["PRIVATE_MODE", "applies", "create_private", "tighten"]

log = logging.getLogger("pos_app.file_modes")

PRIVATE_MODE: Final = 0o600
_OTHERS: Final = stat.S_IRWXG | stat.S_IRWXO


def applies() -> bool:
    """Whether file modes mean anything here (not on Windows)."""
    return os.name != "nt"


def create_private(path: Path) -> None:
    """Make `path` (an empty file) with mode 0600 unless it exists; tighten it when it does."""
    if not applies():
        return
    with suppress(FileExistsError):
        # O_EXCL: never truncate or follow into someone else's file.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE))
        # The umask may have taken bits away, never added any; set exactly.
        os.chmod(path, PRIVATE_MODE)
        return
    tighten(path)


def tighten(path: Path) -> bool:
    """Take the group's and others' rights off an existing file; True when it changed.

    A missing file is left missing. A file this account may not change (owned by
    another) is logged and left: the app still works, a person can fix the rights.
    """
    if not applies():
        return False
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if not mode & _OTHERS:
            return False
        os.chmod(path, mode & ~_OTHERS)
    except FileNotFoundError:
        return False
    except OSError as exc:
        log.warning("could not make %s private to its owner: %s", path.name, exc.strerror)
        return False
    log.info("made %s readable by its owner only (it was %o)", path.name, mode)
    return True
