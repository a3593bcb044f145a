"""The admin commands: init, companies, users with a token shown once, revoke, the
kill-switch and cleanup, on both databases; and a token from `user add` works over HTTP."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from ocr_desk.server.accounts import hash_token
from ocr_desk.server.cli import main
from ocr_desk.server.context import ServerContext

from ..support import LiveServer, open_ctx


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_admin_commands_from_init_to_revoke(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ("--data-dir", str(tmp_path / "srv"), "--database", db_url)
    assert run(*base, "init")[0] == 0
    assert (tmp_path / "srv" / "server.json").exists()
    code, text = run(*base, "company", "add", "Acme Ltd", "--plan", "premium")
    assert code == 0
    assert "premium" in text
    assert run(*base, "company", "add", "Acme Ltd", "--plan", "free")[0] == 1
    assert "already exists" in capsys.readouterr().err
    code, text = run(
        *base, "user", "add", "Ann@Acme.test", "--company", "Acme Ltd", "--password", "s3cret"
    )
    assert code == 0
    token = re.search(r"(ocd_\S+)", text)
    assert token is not None
    assert run(*base, "user", "add", "x@y.test", "--company", "Nobody")[0] == 1
    assert "no company named" in capsys.readouterr().err

    ctx: ServerContext = open_ctx(tmp_path / "srv", db_url)
    try:
        stored = ctx.db.read().execute("SELECT token_hash FROM tokens")
        assert stored == [{"token_hash": hash_token(token.group(1))}]
        hashes = ctx.db.read().execute("SELECT password_hash FROM users")
        assert hashes[0]["password_hash"].startswith("scrypt$")
        assert "s3cret" not in hashes[0]["password_hash"]
        with LiveServer(ctx) as live, live.client() as client:
            bearer = {"Authorization": f"Bearer {token.group(1)}"}
            me = client.get("/v1/me", headers=bearer).json()
            assert me["user"] == {"email": "ann@acme.test"}
            assert me["company"]["plan"] == "premium"
            login = client.post(
                "/v1/auth/token", json={"email": "ann@acme.test", "password": "s3cret"}
            )
            assert login.status_code == 200
            assert run(*base, "user", "revoke", "ann@acme.test") == (
                0,
                "user ann@acme.test revoked (2 token(s))\n",
            )
            assert client.get("/v1/me", headers=bearer).status_code == 401
    finally:
        ctx.close()

    assert run(*base, "processing", "off") == (0, "processing is off\n")
    assert run(*base, "processing", "status") == (0, "processing is off\n")
    assert run(*base, "processing", "on") == (0, "processing is on\n")
    code, text = run(*base, "cleanup")
    assert code == 0
    assert "Acme Ltd: 0 file(s), 0 bytes" in text


def test_bad_database_url_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("--data-dir", str(tmp_path), "--database", "mysql://x", "init")[0] == 1
    assert "postgresql://" in capsys.readouterr().err
