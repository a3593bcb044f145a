"""Local mode: the app's own server as a child process, with an account it made itself."""

from __future__ import annotations

import httpx

from ocr_desk.services.local_server import LocalServer, _parse_token


def test_local_server_sets_up_once_serves_and_stops(tmp_path):
    server = LocalServer(data_dir=tmp_path / "local-server", serve_args=["--ocr-workers", "0"])
    url, token = server.start()
    try:
        assert url.startswith("http://127.0.0.1:")
        answer = httpx.get(f"{url}/v1/usage", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
        usage = answer.json()
        assert usage["jobs"]["limit"] is None  # one person, one laptop: no quota
        assert usage["uploads_hour"]["limit"] is None
    finally:
        server.stop()
    assert server.process is None
    token_file = tmp_path / "local-server" / "local-token"
    assert token_file.stat().st_mode & 0o077 == 0
    assert server.ensure_account() == token  # set up once, reused


def test_token_line_of_user_add():
    out = "user a@b added to Local\nAPI token (shown once, keep it safe): ocd_abcDEF123-xyz\n"
    assert _parse_token(out) == "ocd_abcDEF123-xyz"
