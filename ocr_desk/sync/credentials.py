"""Where the API token lives: the OS keyring, never the database or a settings file.

Lookup order for a server's token:

1. ``$OCR_DESK_TOKEN`` (for scripts and CI; never written anywhere);
2. the keyring, service ``ocr-desk``, user name = the server URL.

The keyring is the OS one (Secret Service, macOS Keychain, Windows Credential
Locker) when there is one. A headless Linux box has none: :func:`pick_keyring`
then says so and falls back to :class:`EncryptedFileKeyring`, a Fernet-encrypted
file in the user config folder (key from ``$OCR_DESK_KEYRING_PASSPHRASE`` when set,
else from a random key file readable only by the user), so the token is never plain
text on disk.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ocr_desk.core import AuthError

__all__ = [
    "KEYRING_DIR_ENV",
    "KEYRING_SERVICE",
    "PASSPHRASE_ENV",
    "TOKEN_ENV",
    "CredentialStore",
    "EncryptedFileKeyring",
    "pick_keyring",
]

KEYRING_SERVICE = "ocr-desk"
TOKEN_ENV = "OCR_DESK_TOKEN"
PASSPHRASE_ENV = "OCR_DESK_KEYRING_PASSPHRASE"
KEYRING_DIR_ENV = "OCR_DESK_KEYRING_DIR"
"""Folder of the encrypted file keyring (default: the user config folder of OCR Desk)."""


class EncryptedFileKeyring(keyring.backend.KeyringBackend):
    """A keyring in one encrypted file, for machines without an OS keyring.

    The whole file is one Fernet token (AES-128-CBC + HMAC). The key comes from
    the passphrase in ``$OCR_DESK_KEYRING_PASSPHRASE`` (scrypt with a per-file
    salt) or, without one, from a random key file next to it with mode 0600.
    Writes are atomic (temporary file + rename).
    """

    priority = 0.5  # below every real OS keyring

    def __init__(self, *, folder: Path | None = None) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # keyring is untyped
        if folder is None and os.environ.get(KEYRING_DIR_ENV):
            folder = Path(os.environ[KEYRING_DIR_ENV]).expanduser()
        if folder is None:
            import platformdirs

            folder = Path(platformdirs.user_config_dir("ocr-desk", appauthor=False))
        self.folder = folder
        self.path = folder / "keyring.enc"

    # keyring's backend API --------------------------------------------------------

    def get_password(self, service: str, username: str) -> str | None:
        value = self._load().get(service, {}).get(username)
        return None if value is None else str(value)

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data.setdefault(service, {})[username] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if username not in data.get(service, {}):
            raise keyring.errors.PasswordDeleteError(f"no stored secret for {username}")
        del data[service][username]
        self._save(data)

    # the file --------------------------------------------------------------------

    def _fernet(self, salt: bytes) -> Fernet:
        passphrase = os.environ.get(PASSPHRASE_ENV)
        if passphrase:
            kdf = Scrypt(salt=salt, length=32, n=2**14, r=8, p=1)
            return Fernet(base64.urlsafe_b64encode(kdf.derive(passphrase.encode())))
        key_file = self.folder / "keyring.key"
        if not key_file.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(Fernet.generate_key())
        return Fernet(key_file.read_bytes().strip())

    def _load(self) -> dict[str, dict[str, Any]]:
        try:
            blob = self.path.read_bytes()
        except FileNotFoundError:
            return {}
        salt, _, token = blob.partition(b"\n")
        try:
            data = json.loads(self._fernet(salt).decrypt(token))
        except (InvalidToken, ValueError) as exc:
            raise keyring.errors.KeyringError(
                f"cannot decrypt {self.path}: wrong ${PASSPHRASE_ENV} or a damaged file. "
                "Set the right passphrase, or delete the file and sign in again."
            ) from exc
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict[str, dict[str, Any]]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        salt = base64.urlsafe_b64encode(os.urandom(16))
        blob = salt + b"\n" + self._fernet(salt).encrypt(json.dumps(data).encode())
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
        with os.fdopen(fd, "wb") as handle:
            handle.write(blob)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


# keyring registers every backend subclass for auto-selection; this one must only be
# used when chosen (pick_keyring, tests), never silently instead of the OS keyring.
keyring.backend.KeyringBackend._classes.discard(EncryptedFileKeyring)


def pick_keyring() -> tuple[keyring.backend.KeyringBackend, str | None]:
    """The OS keyring if it works here, else the encrypted file one with a notice why."""
    current = keyring.get_keyring()
    if not _is_null(current):  # an OS keyring, or one chosen with keyring.set_keyring()
        return current, None
    fallback = EncryptedFileKeyring()
    notice = (
        "no OS keyring is available on this machine (no Secret Service / Keychain / Credential "
        f"Locker); the token is kept encrypted in {fallback.path} instead. Set "
        f"${PASSPHRASE_ENV} to encrypt it with your own passphrase, or use ${TOKEN_ENV}."
    )
    return fallback, notice


def _is_null(backend: keyring.backend.KeyringBackend) -> bool:
    module = type(backend).__module__
    return module.startswith(("keyring.backends.fail", "keyring.backends.null")) or (
        module.startswith("keyring.backends.chainer") and not getattr(backend, "backends", None)
    )


class CredentialStore:
    """Reads, saves and forgets the token of each server."""

    def __init__(
        self,
        *,
        backend: keyring.backend.KeyringBackend | None = None,
        environ: dict[str, str] | None = None,
    ) -> None:
        self.notice: str | None = None
        if backend is None:
            backend, self.notice = pick_keyring()
        self.backend = backend
        self._environ = os.environ if environ is None else environ

    def token(self, server_url: str) -> str | None:
        """The token for ``server_url``: ``$OCR_DESK_TOKEN`` first, then the keyring."""
        env = self._environ.get(TOKEN_ENV)
        if env:
            return env
        try:
            return self.backend.get_password(KEYRING_SERVICE, _user(server_url))
        except keyring.errors.KeyringError as exc:
            raise AuthError(f"cannot read the saved sign-in: {exc}") from exc

    def require_token(self, server_url: str) -> str:
        token = self.token(server_url)
        if not token:
            raise AuthError(
                f"not signed in to {server_url}: run `ocr-desk login --server {server_url}`"
            )
        return token

    def save(self, server_url: str, token: str) -> None:
        try:
            self.backend.set_password(KEYRING_SERVICE, _user(server_url), token)
        except keyring.errors.KeyringError as exc:
            raise AuthError(
                f"cannot save the sign-in in the keyring ({exc}); set ${TOKEN_ENV} instead"
            ) from exc

    def forget(self, server_url: str) -> bool:
        """Delete the saved token; False if there was none."""
        try:
            self.backend.delete_password(KEYRING_SERVICE, _user(server_url))
        except keyring.errors.PasswordDeleteError:
            return False
        except keyring.errors.KeyringError as exc:
            raise AuthError(f"cannot remove the saved sign-in: {exc}") from exc
        return True


def _user(server_url: str) -> str:
    return server_url.rstrip("/")
