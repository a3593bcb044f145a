"""Tokens live in a keyring (an encrypted file one where the OS has none), never in plain text."""

from __future__ import annotations

from pathlib import Path

import keyring.errors
import pytest

from ocr_desk.core import AuthError
from ocr_desk.sync.credentials import (
    KEYRING_SERVICE,
    PASSPHRASE_ENV,
    TOKEN_ENV,
    CredentialStore,
    EncryptedFileKeyring,
)

SERVER = "https://ocr.example"


def test_encrypted_file_keyring_round_trip_and_no_plain_text(tmp_path: Path) -> None:
    backend = EncryptedFileKeyring(folder=tmp_path)
    creds = CredentialStore(backend=backend, environ={})
    assert creds.token(SERVER) is None
    creds.save(SERVER + "/", "secret-token-123")
    assert creds.token(SERVER) == "secret-token-123"
    assert backend.get_password(KEYRING_SERVICE, SERVER) == "secret-token-123"
    assert b"secret-token-123" not in backend.path.read_bytes()
    assert (backend.path.stat().st_mode & 0o777) == 0o600
    # a fresh instance (another process) reads it back
    assert CredentialStore(backend=EncryptedFileKeyring(folder=tmp_path), environ={}).token(
        SERVER
    ) == ("secret-token-123")
    assert creds.forget(SERVER) is True
    assert creds.forget(SERVER) is False
    assert creds.token(SERVER) is None


def test_passphrase_protects_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSPHRASE_ENV, "correct horse")
    backend = EncryptedFileKeyring(folder=tmp_path)
    backend.set_password(KEYRING_SERVICE, SERVER, "tok")
    assert not (tmp_path / "keyring.key").exists()
    monkeypatch.setenv(PASSPHRASE_ENV, "wrong")
    with pytest.raises(keyring.errors.KeyringError, match=PASSPHRASE_ENV):
        backend.get_password(KEYRING_SERVICE, SERVER)
    with pytest.raises(AuthError, match="saved sign-in"):
        CredentialStore(backend=backend, environ={}).token(SERVER)


def test_environment_token_wins_and_is_never_saved(tmp_path: Path) -> None:
    backend = EncryptedFileKeyring(folder=tmp_path)
    creds = CredentialStore(backend=backend, environ={TOKEN_ENV: "from-env"})
    assert creds.require_token(SERVER) == "from-env"
    assert not backend.path.exists()


def test_missing_token_says_how_to_sign_in(tmp_path: Path) -> None:
    creds = CredentialStore(backend=EncryptedFileKeyring(folder=tmp_path), environ={})
    with pytest.raises(AuthError, match="ocr-desk login --server"):
        creds.require_token(SERVER)
