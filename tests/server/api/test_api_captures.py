"""``POST /v1/captures``: a file and its job in one request, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import httpx

from ocr_desk.server.context import ServerContext
from ocr_desk.server.worker import Worker

from ..support import Account, LiveServer, add_account, png
from .helpers import assert_error, upload


def capture(
    client: httpx.Client, seed: int, *, key: str | None = None, **fields: str
) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/v1/captures",
        files={"file": ("receipt.png", png(seed), "image/png")},
        data=fields,
        headers=headers,
    )


def stored_files(ctx: ServerContext, company_id: str) -> list[str]:
    folder = ctx.config.media_dir / company_id
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_capture_stores_the_file_and_queues_its_job(
    live: LiveServer, alice: Account, ctx: ServerContext, worker: Worker
) -> None:
    fields = {
        "document_type": "invoice",
        "captured_at": "2026-03-10T09:00:00Z",
        "original_name": "März.png",
        "metadata": json.dumps({"project": "A-12"}),
    }
    with live.client(alice) as client:
        answer = capture(client, 1, key="cap-1", **fields)
        assert answer.status_code == 201, answer.text
        body: dict[str, Any] = answer.json()
        media, job = body["media"], body["job"]
        assert media["duplicate"] is False
        assert media["document_type"] == "invoice"
        assert media["captured_at"] == "2026-03-10T09:00:00.000000Z"
        assert job["media_id"] == media["id"]
        assert job["job_type"] == "invoice"  # the document type unless job_type says
        assert job["status"] == "queued"
        assert job["metadata"] == {"project": "A-12"}
        # the same key and request: the first answer again, nothing new
        again = capture(client, 1, key="cap-1", **fields)
        assert again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == body
        # the same key for another request is refused
        assert_error(capture(client, 2, key="cap-1"), 422, "IDEMPOTENCY_KEY_REUSED")
        # the same file without a key: the stored media and its live job
        same = capture(client, 1, job_type="receipt")
        assert same.status_code == 200
        assert same.json()["media"]["duplicate"] is True
        assert same.json()["job"]["id"] == job["id"]
        forced = capture(client, 1, force="true")
        assert forced.status_code == 201
        assert forced.json()["job"]["id"] != job["id"]
        assert client.get("/v1/queue-status").json()["queued"] == 2
        assert worker.run_once()
        assert worker.run_once()
        for job_id in (job["id"], forced.json()["job"]["id"]):
            done = client.get(f"/v1/jobs/{job_id}").json()
            assert done["status"] == "completed"
            assert done["result"]["text"]
    assert len(stored_files(ctx, alice.company_id)) == 1


def test_bad_fields_are_refused_and_leave_nothing(
    live: LiveServer, alice: Account, ctx: ServerContext
) -> None:
    with live.client(alice) as client:
        for fields, says in [
            ({"metadata": "[1, 2]"}, "metadata must be a JSON object"),
            ({"metadata": "{not json"}, "metadata must be a JSON object"),
            ({"job_type": "poem"}, "job_type must be one of"),
            ({"document_type": "poem"}, "document_type must be one of"),
            ({"force": "maybe"}, "force must be true or false"),
            ({"captured_at": "yesterday"}, "captured_at must be an ISO 8601 time"),
            ({"sha256": "0" * 64}, "the upload was damaged"),
        ]:
            answer = capture(client, 3, **fields)
            assert_error(answer, 400, "VALIDATION_ERROR")
            assert says in answer.json()["error"]["message"]
        not_an_image = client.post(
            "/v1/captures", files={"file": ("a.jpg", b"hello, not a picture", "image/jpeg")}
        )
        assert_error(not_an_image, 415, "UNSUPPORTED_MEDIA")
        no_file = client.post("/v1/captures", data={"job_type": "receipt"}, files={})
        assert no_file.status_code in (400, 422)
        assert client.get("/v1/jobs").json()["jobs"] == []
    assert stored_files(ctx, alice.company_id) == []
    assert list((ctx.config.media_dir / "tmp").glob("*")) == []


def test_a_full_quota_is_402_and_keeps_no_file_but_answers_an_existing_job(
    live: LiveServer, ctx: ServerContext
) -> None:
    free = add_account(ctx, plan="free")  # five jobs a month, ten uploads an hour
    with live.client(free) as client:
        for seed in range(5):
            assert capture(client, seed, key=f"k{seed}").status_code == 201
        full = capture(client, 5, key="k5")
        assert_error(full, 402, "QUOTA_EXCEEDED")
        assert len(stored_files(ctx, free.company_id)) == 5
        assert client.get("/v1/usage").json()["storage"]["files"] == 5
        # a file whose job exists is answered with that job, no quota needed
        old = capture(client, 0)
        assert old.status_code == 200
        assert old.json()["media"]["duplicate"] is True
        # force asks for a new job: refused like any other
        assert_error(capture(client, 0, force="true"), 402, "QUOTA_EXCEEDED")
        # an upload alone still works, and a capture of it then needs the quota
        assert upload(client, 5).status_code == 201
        assert_error(capture(client, 5, key="k5"), 402, "QUOTA_EXCEEDED")
        assert len(client.get("/v1/jobs").json()["jobs"]) == 5


def test_captures_count_against_the_hourly_upload_limit(
    live: LiveServer, ctx: ServerContext
) -> None:
    premium = add_account(ctx, plan="premium")  # ten uploads an hour
    with live.client(premium) as client:
        for seed in range(10):
            assert capture(client, seed).status_code == 201
        limited = capture(client, 10)
        assert_error(limited, 429, "RATE_LIMIT_EXCEEDED")
        assert int(limited.headers["Retry-After"]) > 0
        assert len(client.get("/v1/jobs", params={"limit": 100}).json()["jobs"]) == 10
    assert len(stored_files(ctx, premium.company_id)) == 10


def test_a_capture_whose_transaction_fails_keeps_no_file(
    live: LiveServer, alice: Account, ctx: ServerContext
) -> None:
    with live.client(alice) as client:
        # the NUL is refused by the database layer, after the media row was written
        assert_error(capture(client, 1, original_name="a\x00b"), 422, "VALIDATION_ERROR")
        # the plan shrinks: a capture past the new quota is refused and keeps nothing
        assert capture(client, 2).status_code == 201
        ctx.accounts.set_plan("alice-co", plan="free")
        for seed in range(3, 7):
            assert capture(client, seed).status_code == 201
        assert_error(capture(client, 7, key="late"), 402, "QUOTA_EXCEEDED")
        assert len(client.get("/v1/jobs").json()["jobs"]) == 5
    assert len(stored_files(ctx, alice.company_id)) == 5
    assert list((ctx.config.media_dir / "tmp").glob("*")) == []


def test_metadata_may_be_as_large_as_a_job_body(live: LiveServer, alice: Account) -> None:
    with live.client(alice) as client:
        note = {"note": "ü" * 9_000}  # 18,000 bytes as UTF-8, 54,000 as \\u escapes
        made = capture(client, 1, metadata=json.dumps(note, ensure_ascii=False))
        assert made.status_code == 201, made.text
        assert made.json()["job"]["metadata"] == note
        huge = json.dumps({"note": "x" * (1024 * 1024)})
        too_big = capture(client, 2, metadata=huge)
        assert_error(too_big, 400, "VALIDATION_ERROR")
        assert "metadata is longer than 1,048,576 bytes" in too_big.json()["error"]["message"]


def test_a_deleted_file_with_a_live_job_is_answered_without_quota(
    live: LiveServer, ctx: ServerContext
) -> None:
    free = add_account(ctx, plan="free")
    with live.client(free) as client:
        first = capture(client, 0).json()
        for seed in range(1, 5):
            assert capture(client, seed).status_code == 201
        assert client.delete(f"/v1/media/{first['media']['id']}").status_code == 204
        again = capture(client, 0)  # the quota is used up, but this file has its job
        assert again.status_code == 200, again.text
        assert again.json()["job"]["id"] == first["job"]["id"]
        assert again.json()["media"]["id"] == first["media"]["id"]
    assert len(stored_files(ctx, free.company_id)) == 5
