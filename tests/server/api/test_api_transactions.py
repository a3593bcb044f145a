"""One commit per request: nested transactions are savepoints, an answer and its
Idempotency-Key record commit together, and the upload's token checks still hold
although its body is read before the database work."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.responses import Response

from ocr_desk.server.api.idempotency import run_idempotent
from ocr_desk.server.context import ServerContext
from ocr_desk.server.database import Tx

from ..support import Account, LiveServer, png
from .helpers import assert_error, upload


def _flags(ctx: ServerContext) -> dict[str, str]:
    rows = ctx.db.read().execute("SELECT name, value FROM flags WHERE name LIKE 't-%'")
    return {r["name"]: r["value"] for r in rows}


def _failing_inner(ctx: ServerContext, outer: Tx) -> None:
    with ctx.db.transaction() as inner:
        assert inner is outer
        inner.execute("INSERT INTO flags (name, value) VALUES ('t-undone', '1')")
        raise RuntimeError("the inner part fails")


def _failing_outer(ctx: ServerContext) -> None:
    with ctx.db.transaction():
        with ctx.db.transaction() as inner:
            inner.execute("INSERT INTO flags (name, value) VALUES ('t-lost', '1')")
        raise RuntimeError("the outer one fails: the released savepoint goes too")


def test_a_nested_transaction_is_a_savepoint_of_the_outer_one(ctx: ServerContext) -> None:
    with ctx.db.transaction() as outer:
        outer.execute("INSERT INTO flags (name, value) VALUES ('t-outer', '1')")
        with pytest.raises(RuntimeError, match="inner part"):
            _failing_inner(ctx, outer)
        with ctx.db.transaction() as inner:
            inner.execute("INSERT INTO flags (name, value) VALUES ('t-inner', '1')")
    assert _flags(ctx) == {"t-outer": "1", "t-inner": "1"}

    with pytest.raises(RuntimeError, match="outer one"):
        _failing_outer(ctx)
    assert "t-lost" not in _flags(ctx)
    with ctx.db.transaction() as tx:  # the thread is out of any transaction again
        tx.execute("INSERT INTO flags (name, value) VALUES ('t-after', '1')")
    assert _flags(ctx)["t-after"] == "1"


def test_a_refused_action_and_its_recorded_answer_commit_together(
    live: LiveServer, alice: Account, ctx: ServerContext
) -> None:
    with live.client(alice) as client:
        refused = client.post(
            "/v1/jobs", json={"media_id": "no-such-media"}, headers={"Idempotency-Key": "k-404"}
        )
        assert_error(refused, 404, "MEDIA_NOT_FOUND")
        again = client.post(
            "/v1/jobs", json={"media_id": "no-such-media"}, headers={"Idempotency-Key": "k-404"}
        )
        assert again.status_code == 404
        assert again.headers["Idempotent-Replayed"] == "true"
        stored = upload(client, 7, key="k-media")
        assert stored.status_code == 201, stored.text
        created = client.post(
            "/v1/jobs", json={"media_id": stored.json()["id"]}, headers={"Idempotency-Key": "k-j"}
        )
        assert created.status_code == 201, created.text
    keys = ctx.db.read().execute(
        "SELECT key, status_code FROM idempotency WHERE company_id = ? ORDER BY key",
        (alice.company_id,),
    )
    assert [(r["key"], r["status_code"]) for r in keys] == [
        ("k-404", 404),
        ("k-j", 201),
        ("k-media", 201),
    ]
    assert ctx.jobs.get(alice.company_id, created.json()["id"]).media_id == stored.json()["id"]


def test_upload_tokens_are_checked_before_the_body_and_again_with_the_store(
    live: LiveServer, alice: Account, ctx: ServerContext
) -> None:
    tmp = ctx.config.media_dir / "tmp"
    with live.client() as client:
        stranger = client.post(
            "/v1/media",
            files={"file": ("r.png", png(1))},
            headers={"Authorization": "Bearer not-a-token"},
        )
        assert_error(stranger, 401, "UNAUTHORIZED")
        assert not tmp.exists() or list(tmp.iterdir()) == []  # its body was never written
        first = client.post("/v1/media", files={"file": ("r.png", png(2))}, headers=alice.headers)
        assert first.status_code == 201, first.text
        ctx.accounts.revoke_user(alice.email)
        # the token was accepted a moment ago, yet the revocation counts at once
        late = client.post("/v1/media", files={"file": ("r.png", png(3))}, headers=alice.headers)
        assert_error(late, 401, "UNAUTHORIZED")
    assert ctx.media.storage_usage(alice.company_id)[0].files == 1
    assert list(tmp.iterdir()) == []


def test_a_resend_while_the_first_copy_runs_waits_and_replays_it(
    ctx: ServerContext, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that timed out resends the same key while the first request is still
    in its transaction: the copy must not run the action again (a forced job would be
    made twice). Deterministic: the copy's first look finds nothing before A commits."""
    caller = ctx.accounts.authenticate(alice.token)
    ran: list[str] = []
    a_running, copy_looked, release = threading.Event(), threading.Event(), threading.Event()
    answers: dict[str, Response] = {}
    original_read = ctx.db.read

    def watched_read() -> Tx:
        if threading.current_thread().name == "copy":
            copy_looked.set()
        return original_read()

    monkeypatch.setattr(ctx.db, "read", watched_read)

    def send(name: str) -> None:
        def action() -> tuple[int, Any]:
            ran.append(name)
            a_running.set()
            assert release.wait(30)
            return 201, {"made_by": name}

        answers[name] = run_idempotent(
            ctx.db,
            ctx.clock,
            caller,
            "same-key",
            method="POST",
            path="/v1/jobs",
            content={"force": True},
            action=action,
        )

    first = threading.Thread(target=send, args=("first",), name="first")
    first.start()
    assert a_running.wait(30)
    copy = threading.Thread(target=send, args=("copy",), name="copy")
    copy.start()
    assert copy_looked.wait(30)  # its look before the transaction found no answer yet
    release.set()
    first.join(30)
    copy.join(30)
    assert ran == ["first"]
    assert answers["copy"].status_code == 201
    assert answers["copy"].headers["Idempotent-Replayed"] == "true"
    assert bytes(answers["copy"].body) == bytes(answers["first"].body)
