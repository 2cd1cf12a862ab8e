"""The client secret: OS keyring first, the environment for kiosks and CI.

Never the settings file, never a log line. A machine without a usable keyring
(headless Linux, for one) raises on every call; that is reported, not fatal.

Not every keyring backend is a keyring worth the name. `keyring`'s fail and
null backends keep nothing, and the `keyrings.alt` backends either store
secrets as plain base64 in a file or prompt for a password on a terminal a
GUI does not have: none of them is used for the client secret, and
`keyring_status` says so in a sentence for the settings dialog.

The backend is looked up on every call (PYTHON_KEYRING_BACKEND first, then
keyring's own choice) so a test or a kiosk that sets the variable is obeyed
even after `keyring` picked a backend once.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, NamedTuple

from pos_app.domain.errors import UnavailableError

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

log = logging.getLogger("pos_app.secrets")

SERVICE = "pos-app/justifi"
SECRET_ENV = "JUSTIFI_CLIENT_SECRET"
BACKEND_ENV = "PYTHON_KEYRING_BACKEND"
_PROBE_USER = "pos-app-keyring-check"

#: Backends that keep nothing: "no keyring".
NO_KEYRING_BACKENDS = frozenset({"keyring.backends.fail.Keyring", "keyring.backends.null.Keyring"})
#: Module prefixes of backends not acceptable for a client secret (plain text, or a
#: password prompt on a terminal the GUI does not have).
UNSAFE_BACKEND_PREFIXES = ("keyrings.alt.",)

NO_KEYRING_MESSAGE = (
    "This computer has no keyring; set JUSTIFI_CLIENT_SECRET in the lane's environment instead."
)
UNSAFE_KEYRING_MESSAGE = (
    "This computer's keyring ({backend}) keeps secrets as plain text or cannot be opened"
    " from the app, which is not safe for the client secret; set JUSTIFI_CLIENT_SECRET in"
    " the lane's environment instead."
)
BROKEN_KEYRING_MESSAGE = (
    "This computer's keyring ({backend}) cannot be used right now ({problem}). Unlock or"
    " repair it, or set JUSTIFI_CLIENT_SECRET in the lane's environment instead."
)
KEYRING_READY_MESSAGE = "The client secret is kept in this computer's keyring ({backend})."


class KeyringUnavailableError(UnavailableError, RuntimeError):
    """No usable OS keyring on this machine: `message` says so and points to
    JUSTIFI_CLIENT_SECRET (still a RuntimeError for the settings' secret-store port)."""


class KeyringStatus(NamedTuple):
    """Whether the client secret can be kept in a keyring here, and a sentence saying so."""

    available: bool
    backend: str
    message: str


def _qualified_name(backend: object) -> str:
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


def _backend() -> KeyringBackend:
    """The backend to use now; KeyringUnavailableError if the named one cannot load."""
    import keyring
    import keyring.core

    name = os.environ.get(BACKEND_ENV, "").strip()
    if not name:
        return keyring.get_keyring()
    try:
        return keyring.core.load_keyring(name)
    except (ImportError, AttributeError, ValueError, TypeError) as exc:
        log.warning("the keyring backend named by %s cannot be loaded: %s", BACKEND_ENV, name)
        raise KeyringUnavailableError(
            BROKEN_KEYRING_MESSAGE.format(backend=name, problem=type(exc).__name__)
        ) from None


def _judge(backend: KeyringBackend) -> KeyringStatus:
    """Whether a backend is acceptable, from what it is (no call into it)."""
    from keyring.backends.chainer import ChainerBackend

    name = _qualified_name(backend)
    if isinstance(backend, ChainerBackend):
        members = list(backend.backends)
        if not members:
            return KeyringStatus(False, name, NO_KEYRING_MESSAGE)
        for member in members:
            verdict = _judge(member)
            if not verdict.available:
                return verdict._replace(backend=f"{name} ({verdict.backend})")
        return KeyringStatus(True, name, KEYRING_READY_MESSAGE.format(backend=name))
    if name in NO_KEYRING_BACKENDS:
        return KeyringStatus(False, name, NO_KEYRING_MESSAGE)
    if name.startswith(UNSAFE_BACKEND_PREFIXES):
        return KeyringStatus(False, name, UNSAFE_KEYRING_MESSAGE.format(backend=name))
    return KeyringStatus(True, name, KEYRING_READY_MESSAGE.format(backend=name))


def keyring_status() -> KeyringStatus:
    """Whether the client secret can be kept in this computer's keyring.

    An acceptable backend is also tried once (a read of a name that holds
    nothing), since a locked or unreachable keyring only shows when used.
    """
    from keyring.errors import KeyringError

    try:
        backend = _backend()
    except KeyringUnavailableError as exc:
        return KeyringStatus(False, os.environ.get(BACKEND_ENV, ""), str(exc))
    status = _judge(backend)
    if not status.available:
        return status
    try:
        backend.get_password(SERVICE, _PROBE_USER)
    except KeyringError as exc:
        log.info("the keyring %s cannot be used: %s", status.backend, type(exc).__name__)
        problem = type(exc).__name__
        return KeyringStatus(
            False,
            status.backend,
            BROKEN_KEYRING_MESSAGE.format(backend=status.backend, problem=problem),
        )
    return status


def _usable_backend() -> KeyringBackend:
    """The backend, if it is acceptable for a client secret; else KeyringUnavailableError."""
    backend = _backend()
    status = _judge(backend)
    if not status.available:
        raise KeyringUnavailableError(status.message)
    return backend


def _check_client_id(client_id: str) -> None:
    if not client_id or not client_id.strip():
        raise ValueError("a client id is required to find its secret")


def secret_from_environment() -> str | None:
    """JUSTIFI_CLIENT_SECRET, when set (it overrides the keyring)."""
    return os.environ.get(SECRET_ENV) or None


def read_stored_secret(client_id: str) -> str | None:
    """The secret kept in the keyring for a client id (the environment is not asked)."""
    from keyring.errors import KeyringError

    _check_client_id(client_id)
    try:
        return _usable_backend().get_password(SERVICE, client_id)
    except (KeyringUnavailableError, KeyringError) as exc:
        log.info("no usable keyring: %s", type(exc).__name__)
        return None


def read_client_secret(client_id: str) -> str | None:
    """The secret for a client id, from the environment or the keyring."""
    from_env = secret_from_environment()
    if from_env:
        return from_env
    if not client_id:
        return None
    return read_stored_secret(client_id)


def store_client_secret(client_id: str, secret: str) -> None:
    """Keep the secret in the OS keyring; KeyringUnavailableError if there is none."""
    from keyring.errors import KeyringError

    _check_client_id(client_id)
    if not secret:
        raise ValueError("an empty client secret is not stored")
    backend = _usable_backend()
    try:
        backend.set_password(SERVICE, client_id, secret)
    except KeyringError as exc:
        raise KeyringUnavailableError(
            BROKEN_KEYRING_MESSAGE.format(
                backend=_qualified_name(backend), problem=type(exc).__name__
            )
        ) from None
    log.info("client secret stored in the keyring for client id %s", client_id)


def delete_client_secret(client_id: str) -> bool:
    """Remove the client id's secret from the keyring; False if none was kept.

    KeyringUnavailableError if there is no usable keyring.
    """
    from keyring.errors import KeyringError, PasswordDeleteError

    _check_client_id(client_id)
    backend = _usable_backend()
    try:
        backend.delete_password(SERVICE, client_id)
    except PasswordDeleteError:
        return False
    except KeyringError as exc:
        raise KeyringUnavailableError(
            BROKEN_KEYRING_MESSAGE.format(
                backend=_qualified_name(backend), problem=type(exc).__name__
            )
        ) from None
    log.info("client secret removed from the keyring for client id %s", client_id)
    return True


class KeyringSecretStore:
    """This module as the settings service's `SecretStore` port."""

    def status(self) -> KeyringStatus:
        """See `keyring_status`."""
        return keyring_status()

    def from_environment(self) -> bool:
        """Whether JUSTIFI_CLIENT_SECRET supplies the secret (it wins over the keyring)."""
        return secret_from_environment() is not None

    def stored(self, client_id: str) -> bool:
        """Whether the keyring keeps a secret for this client id."""
        return bool(client_id) and read_stored_secret(client_id) is not None

    def read(self, client_id: str) -> str | None:
        """The secret the app would use for this client id (environment, then keyring)."""
        return read_client_secret(client_id)

    def store(self, client_id: str, secret: str) -> None:
        """See `store_client_secret`."""
        store_client_secret(client_id, secret)

    def delete(self, client_id: str) -> bool:
        """See `delete_client_secret`."""
        return delete_client_secret(client_id)


# -- the audit chain's key -------------------------------------------------------------------

#: The keyring service under which each audit chain's secret is kept (user: the chain id).
CHAIN_SERVICE = "pos-app/audit"
#: The keyring service remembering which chain this computer keyed each audit file as
#: (user: the file's id, a hash of where it is; password: the chain id, not a secret).
#: A service of its own, so no chain id written into a file can name one of these.
CHAIN_FILE_SERVICE = "pos-app/audit-file"
_CHAIN_SECRET_BYTES = 32
_CHAIN_ID_MAX = 64


class KeyringChainKeys:
    """The OS keyring as the audit log's `ChainKeys` port: each chain's secret, and which
    chain this computer keyed each audit file as.

    Judged like the client secret's keyring: the fail and null backends and the
    `keyrings.alt` ones mean "no keyring" (a key kept as plain text next to the
    log would protect nothing). A keyring that fails when used reads as no key;
    the secret itself is never logged.
    """

    def available(self) -> bool:
        """Whether a usable keyring exists here (tried once, as `keyring_status` does)."""
        return keyring_status().available

    def load(self, chain_id: str) -> bytes | None:
        """The chain's 32-byte secret, or None when the keyring does not keep it (a
        blank chain id, as an edited file may hold, names none)."""
        from keyring.errors import KeyringError

        if not chain_id.strip():
            return None
        try:
            stored = _usable_backend().get_password(CHAIN_SERVICE, chain_id)
        except (KeyringUnavailableError, KeyringError) as exc:
            log.info("the audit chain's key cannot be read: %s", type(exc).__name__)
            return None
        return _decode_chain_secret(stored)

    def create(self, chain_id: str) -> bytes | None:
        """Make and keep a new secret for the chain, read back to be sure it was kept;
        the one already kept if there is one (a key is never replaced); None without
        a usable keyring."""
        import base64
        import secrets as random

        from keyring.errors import KeyringError

        _check_chain_id(chain_id)
        existing = self.load(chain_id)
        if existing is not None:
            return existing
        secret = random.token_bytes(_CHAIN_SECRET_BYTES)
        try:
            backend = _usable_backend()
            backend.set_password(CHAIN_SERVICE, chain_id, base64.b64encode(secret).decode())
        except (KeyringUnavailableError, KeyringError) as exc:
            log.info("the audit chain's key cannot be kept: %s", type(exc).__name__)
            return None
        if self.load(chain_id) != secret:
            log.warning("the keyring did not keep the audit chain's key; the chain stays plain")
            return None
        log.info("the audit chain %s is keyed with a key kept in the keyring", chain_id)
        return secret

    def keyed_chain(self, file_id: str) -> str | None:
        """The chain id this computer keyed the audit file as, or None when the keyring
        remembers none (or cannot be read)."""
        from keyring.errors import KeyringError

        _check_file_id(file_id)
        try:
            stored = _usable_backend().get_password(CHAIN_FILE_SERVICE, file_id)
        except (KeyringUnavailableError, KeyringError) as exc:
            log.info("the audit file's chain cannot be read: %s", type(exc).__name__)
            return None
        if stored is None:
            return None
        chain_id = stored.strip()
        if not chain_id or len(chain_id) > _CHAIN_ID_MAX or not chain_id.isprintable():
            log.warning("the keyring holds something unreadable as an audit file's chain")
            return None
        return chain_id

    def remember_keyed_chain(self, file_id: str, chain_id: str) -> bool:
        """Remember the chain this computer keyed the audit file as (replacing what was
        remembered); False without a usable keyring or when it did not keep it."""
        from keyring.errors import KeyringError

        _check_file_id(file_id)
        _check_chain_id(chain_id)
        try:
            _usable_backend().set_password(CHAIN_FILE_SERVICE, file_id, chain_id)
        except (KeyringUnavailableError, KeyringError) as exc:
            log.info("the audit file's chain cannot be remembered: %s", type(exc).__name__)
            return False
        if self.keyed_chain(file_id) != chain_id:
            log.warning("the keyring did not keep which chain the audit file was keyed as")
            return False
        log.info("the audit file %s is remembered as keyed as chain %s", file_id, chain_id)
        return True


def _check_chain_id(chain_id: str) -> None:
    if not chain_id or not chain_id.strip():
        raise ValueError("a chain id is required to find its key")


def _check_file_id(file_id: str) -> None:
    if not file_id or not file_id.strip():
        raise ValueError("a file id is required to find its chain")


def _decode_chain_secret(stored: str | None) -> bytes | None:
    import base64
    import binascii

    if stored is None:
        return None
    try:
        secret = base64.b64decode(stored, validate=True)
    except (binascii.Error, ValueError):
        log.warning("the keyring holds something unreadable as the audit chain's key")
        return None
    return secret if len(secret) == _CHAIN_SECRET_BYTES else None


# -- the store database's password -----------------------------------------------------------

#: The keyring service of the store database's password (user: the store's URL without it).
STORE_SERVICE = "pos-app-store"
STORE_PASSWORD_ENV = "POS_STORE_PASSWORD"
STORE_NO_KEYRING_MESSAGE = (
    "This computer's keyring cannot keep the store database's password ({why}); set"
    " POS_STORE_PASSWORD in the lane's environment instead."
)


def store_password_user(url: str) -> str:
    """The keyring's user name for a store URL: the URL as typed, without any password
    (`postgresql://pos@store-server/pos_store`)."""
    url = url.strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    authority, slash, path = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if at and ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0]
    return f"{scheme}://{userinfo}{at}{host}{slash}{path}"


def _check_store_url(url: str) -> str:
    user = store_password_user(url)
    if not user:
        raise ValueError("a store URL is required to find its password")
    return user


def _store_backend() -> KeyringBackend:
    """The keyring for the store's password, judged as for the client secret; else
    KeyringUnavailableError naming POS_STORE_PASSWORD."""
    try:
        backend = _backend()
    except KeyringUnavailableError:
        raise KeyringUnavailableError(
            STORE_NO_KEYRING_MESSAGE.format(why="its backend cannot be loaded")
        ) from None
    status = _judge(backend)
    if not status.available:
        why = (
            "there is none"
            if status.message == NO_KEYRING_MESSAGE
            else f"{status.backend} keeps secrets as plain text or cannot be opened from the app"
        )
        raise KeyringUnavailableError(STORE_NO_KEYRING_MESSAGE.format(why=why))
    return backend


def read_store_password(url: str) -> str | None:
    """The store database's password: POS_STORE_PASSWORD, else the keyring's for `url`
    (None when neither has one, or the keyring cannot be used: reported in the log)."""
    from keyring.errors import KeyringError

    from_env = os.environ.get(STORE_PASSWORD_ENV)
    if from_env:
        return from_env
    user = store_password_user(url)
    if not user:
        return None
    try:
        return _store_backend().get_password(STORE_SERVICE, user)
    except (KeyringUnavailableError, KeyringError) as exc:
        log.info("the store's password cannot be read from a keyring: %s", type(exc).__name__)
        return None


def save_store_password(url: str, password: str) -> None:
    """Keep the store database's password in the keyring under `url` (without its
    password); KeyringUnavailableError (a sentence naming POS_STORE_PASSWORD) if none."""
    from keyring.errors import KeyringError

    user = _check_store_url(url)
    if not password:
        raise ValueError("an empty password is not stored")
    backend = _store_backend()
    try:
        backend.set_password(STORE_SERVICE, user, password)
    except KeyringError as exc:
        raise KeyringUnavailableError(
            STORE_NO_KEYRING_MESSAGE.format(why=f"it failed: {type(exc).__name__}")
        ) from None
    log.info("the store's password is kept in the keyring for %s", user)


def delete_store_password(url: str) -> bool:
    """Forget the store's password kept for `url`; False when none was kept.
    KeyringUnavailableError if there is no usable keyring."""
    from keyring.errors import KeyringError, PasswordDeleteError

    user = _check_store_url(url)
    backend = _store_backend()
    try:
        backend.delete_password(STORE_SERVICE, user)
    except PasswordDeleteError:
        return False
    except KeyringError as exc:
        raise KeyringUnavailableError(
            STORE_NO_KEYRING_MESSAGE.format(why=f"it failed: {type(exc).__name__}")
        ) from None
    log.info("the store's password was removed from the keyring for %s", user)
    return True
