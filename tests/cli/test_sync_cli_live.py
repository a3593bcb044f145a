"""The new user's path on the command line, against the real server on a loopback port:
login, capture while the server is down (sync fails with the reason), start it, sync,
export the fields; logout."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from ocr_desk.cli import main
from ocr_desk.sync.credentials import KEYRING_SERVICE, EncryptedFileKeyring

from ..sync.live import LiveServer, capture, client_context


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


@pytest.fixture
def vault(tmp_path: Path) -> Iterator[EncryptedFileKeyring]:
    """The tests choose their keyring: an encrypted file in tmp_path, never the OS one."""
    previous = keyring.get_keyring()
    chosen = EncryptedFileKeyring(folder=tmp_path / "keyring")
    keyring.set_keyring(chosen)
    try:
        yield chosen
    finally:
        keyring.set_keyring(previous)


def test_login_offline_capture_sync_export_logout(
    tmp_path: Path,
    vault: EncryptedFileKeyring,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("OCR_DESK_TOKEN", raising=False)
    server = LiveServer(tmp_path / "server").start()
    data = tmp_path / "client"
    try:
        account = server.add_account()
        monkeypatch.setattr("builtins.input", lambda prompt="": account.email)
        monkeypatch.setattr("getpass.getpass", lambda prompt="": account.password)
        code, text = run("--data-dir", str(data), "login", "--server", server.url)
        assert code == 0, capsys.readouterr().err
        assert account.email in text
        token = vault.get_password(KEYRING_SERVICE, server.url)
        assert token
        assert token not in (data / "settings.json").read_text()
        assert token.encode() not in (data / "ocr-desk.sqlite3").read_bytes()

        server.stop()  # the basement: no network
        with client_context(data, server.url) as ctx:
            capture(ctx, 3)
        code, _ = run("--data-dir", str(data), "sync", "--timeout", "30")
        assert code == 2
        assert "offline" in capsys.readouterr().err

        server.start()
        code, text = run("--data-dir", str(data), "sync", "--timeout", "60")
        assert code == 0, capsys.readouterr().err
        assert "completed 3" in text
        code, text = run("--data-dir", str(data), "export", "--format", "csv")
        assert code == 0
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == 3
        assert all(r["total"] and r["merchant"] and r["cost"] for r in rows)

        code, text = run("--data-dir", str(data), "logout")
        assert code == 0
        assert vault.get_password(KEYRING_SERVICE, server.url) is None
        code, _ = run("--data-dir", str(data), "sync")
        assert code == 1
        assert "ocr-desk login" in capsys.readouterr().err
    finally:
        server.close()


def test_login_with_a_bad_password_is_refused(
    tmp_path: Path, vault: EncryptedFileKeyring, capsys: pytest.CaptureFixture[str]
) -> None:
    server = LiveServer(tmp_path / "server").start()
    try:
        account = server.add_account()
        code, _ = run(
            "--data-dir", str(tmp_path / "c"), "login", "--server", server.url, "--token", "nope"
        )
        assert code == 1
        assert "sign in again" in capsys.readouterr().err.lower()
        assert vault.get_password(KEYRING_SERVICE, server.url) is None
        code, _ = run(
            "--data-dir",
            str(tmp_path / "c"),
            "login",
            "--server",
            server.url,
            "--token",
            account.token,
        )
        assert code == 0
        assert vault.get_password(KEYRING_SERVICE, server.url) == account.token
    finally:
        server.close()
