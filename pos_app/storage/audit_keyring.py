"""One audit file's view of the keyring: its chains' secrets, and which chain this
computer keyed the file as.

Rules worth knowing:

- A chain's secret is asked for once per chain id and log (`secret`); the answer
  is cached, and `ask_again` drops it where another lane may have made it since.
- The keyring remembers, per audit file, the chain this computer keyed it as,
  under `file_id` (a hash of the file's resolved path: never of anything in the
  file, which whoever holds it can rewrite, a chain id or an id of its own).
- A file naming another chain than the remembered one was replaced or rewritten
  (`replaced`), unless it holds the CHAIN_KEYED entry that re-keyed the remembered
  chain as the new one, signed with a key this keyring holds: a re-keying made
  here whose memory the keyring did not keep (the app stopped in between).
"""

from __future__ import annotations

import hmac
import sqlite3
from typing import Final

from pos_app.services.audit_log import AuditAction, ChainKeys
from pos_app.storage.audit_chain import MAC_HMAC, chain_id_of, derive_mac_key, entry_mac, file_id

__all__ = ["FileKeys"]

_KEYINGS: Final = (
    "SELECT seq, at, who, lane, action, subject, detail, outcome, prev_hash, hash"
    " FROM audit_entries WHERE action = ? AND mac = ?"
)


class FileKeys:
    """The `ChainKeys` port as one open audit file uses it.

    `usable` is False without a keyring (or once it failed to keep a new key):
    then every secret is None and nothing is remembered. `remembered` is the chain
    this computer keyed the file as, as last read or written (None: nothing known).
    """

    def __init__(self, keys: ChainKeys | None) -> None:
        self._keys = keys
        self._secrets: dict[str, bytes | None] = {}
        self._file_id: str | None = None
        self.usable = False
        self.remembered: str | None = None

    def open(self, path: str) -> None:
        """Ask whether a keyring exists, and what it remembers of the file at `path`
        (":memory:": nothing, it has no place)."""
        self.usable = self._keys is not None and self._keys.available()
        if self.usable and self._keys is not None and path != ":memory:":
            self._file_id = file_id(path)
            self.remembered = self._keys.keyed_chain(self._file_id)

    def secret(self, chain_id: str) -> bytes | None:
        """The keyring's secret for a chain id (asked once per id)."""
        if not self.usable or self._keys is None:
            return None
        if chain_id not in self._secrets:
            self._secrets[chain_id] = self._keys.load(chain_id)
        return self._secrets[chain_id]

    def ask_again(self, chain_id: str) -> bytes | None:
        """`secret`, asked anew (another lane may have keyed the file since)."""
        self._secrets.pop(chain_id, None)
        return self.secret(chain_id)

    def create(self, chain_id: str) -> bytes | None:
        """A new secret for the chain; None (and no longer `usable`) when the keyring
        cannot keep one."""
        secret = None if self._keys is None else self._keys.create(chain_id)
        if secret is None:
            self.usable = False
        else:
            self._secrets[chain_id] = secret
        return secret

    def remember(self, chain_id: str) -> None:
        """Have the keyring remember that this computer keyed the file as `chain_id`."""
        if self._keys is not None and self._file_id is not None:
            self._keys.remember_keyed_chain(self._file_id, chain_id)
            # Even if the keyring failed to keep it: the next open asks it again, and a
            # re-keying made here is recognised by its signature (`replaced`).
            self.remembered = chain_id

    def replaced(self, conn: sqlite3.Connection, chain_id: str) -> str | None:
        """The chain this computer keyed the file as, when the file (read on `conn`)
        now names another, `chain_id`, that is not a re-keying of it made here; None
        when nothing says so."""
        if self._keys is None or self._file_id is None or self.remembered in (None, chain_id):
            return None
        # Another lane of this computer may have re-keyed the file since: ask again.
        self.remembered = self._keys.keyed_chain(self._file_id)
        remembered = self.remembered
        if remembered is None or remembered == chain_id:
            return None
        return None if self._rekeyed_here(conn, chain_id, remembered) else remembered

    def _rekeyed_here(self, conn: sqlite3.Connection, chain_id: str, replaced: str) -> bool:
        """Whether the file holds the entry that re-keyed `replaced` as `chain_id`, signed
        with a key this keyring holds. Nobody without that key can write it."""
        secret = self.secret(chain_id)
        if secret is None:
            return False
        mac_key = derive_mac_key(secret)
        rows = conn.execute(_KEYINGS, (AuditAction.CHAIN_KEYED.value, MAC_HMAC))
        return any(
            chain_id_of(row[6]) == chain_id
            and chain_id_of(row[6], "replaces") == replaced
            and hmac.compare_digest(entry_mac(mac_key, *row[:9]), str(row[9]))
            for row in rows
        )
