"""Sign in and out from Settings against the real server: the token lives in the keyring."""

from __future__ import annotations

import keyring

from ocr_desk.services.local_server import LOCAL_COMPANY, LocalServer
from ocr_desk.sync import CredentialStore, EncryptedFileKeyring


def test_sign_in_keeps_the_token_in_the_keyring_and_sign_out_removes_it(
    ctx, make_window, qtbot, tmp_path, monkeypatch
):
    monkeypatch.delenv("OCR_DESK_TOKEN", raising=False)
    previous = keyring.get_keyring()
    backend = EncryptedFileKeyring(folder=tmp_path / "keyring")
    keyring.set_keyring(backend)
    server = LocalServer(data_dir=tmp_path / "server", serve_args=["--ocr-workers", "0"])
    try:
        url, _ = server.start()
        server._admin("user", "add", "ann@example.com", "--company", LOCAL_COMPANY,
                      "--password", "correct horse")  # fmt: skip
        window = make_window()
        dialog = window.open_settings()
        dialog.server_url.setText(url)
        dialog.email.setText("ann@example.com")
        dialog.password.setText("wrong")
        with qtbot.waitSignal(dialog.sig_failed, timeout=20000):
            dialog.sign_in.click()
        assert CredentialStore(backend=backend).token(url) is None

        dialog.password.setText("correct horse")
        with qtbot.waitSignal(dialog.sig_signed_in, timeout=20000):
            dialog.sign_in.click()
        assert CredentialStore(backend=backend).token(url)
        assert dialog.password.text() == ""
        with qtbot.waitSignal(window.sig_action_done, timeout=5000):
            dialog._on_save()
        saved = (ctx.data_dir / "settings.json").read_text()
        assert url in saved
        assert CredentialStore(backend=backend).token(url) not in saved

        again = window.open_settings()
        with qtbot.waitSignal(again.sig_signed_out, timeout=20000):
            again.sign_out.click()
        assert CredentialStore(backend=backend).token(url) is None
    finally:
        server.stop()
        keyring.set_keyring(previous)
