"""Health, sign-in, uploads (sniffed, deduplicated, limited) and the job life cycle over HTTP."""

from __future__ import annotations

import io
import random
from collections.abc import Callable

from PIL import Image

from ocr_desk.core import ManualClock
from ocr_desk.server.context import ServerContext
from ocr_desk.server.worker import Worker

from ..engines import FakeEngine
from ..support import Account, LiveServer, png
from .helpers import assert_error, new_job, upload


def test_health_needs_no_token(live: LiveServer) -> None:
    with live.client() as client:
        answer = client.get("/healthz")
    assert answer.json() == {"status": "ok", "version": "0.1.0"}


def test_sign_in_gives_a_working_token_and_the_same_401_for_any_mistake(
    live: LiveServer, alice: Account
) -> None:
    with live.client() as client:
        ok = client.post("/v1/auth/token", json={"email": alice.email, "password": alice.password})
        assert ok.status_code == 200
        body = ok.json()
        assert body["company"] == {
            "id": alice.company_id,
            "name": alice.company,
            "plan": "enterprise",
        }
        me = client.get("/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
        assert me.json()["user"] == {"email": alice.email}
        wrong = client.post("/v1/auth/token", json={"email": alice.email, "password": "nope"})
        unknown = client.post("/v1/auth/token", json={"email": "x@y.z", "password": "nope"})
        assert_error(wrong, 401, "UNAUTHORIZED")
        assert wrong.json() == unknown.json()


def test_missing_bad_and_revoked_tokens_are_401(
    live: LiveServer, alice: Account, ctx: ServerContext
) -> None:
    with live.client() as client:
        assert_error(client.get("/v1/me"), 401, "UNAUTHORIZED")
        assert_error(
            client.get("/v1/me", headers={"Authorization": "Bearer nope"}), 401, "UNAUTHORIZED"
        )
        assert client.get("/v1/me", headers=alice.headers).status_code == 200
        ctx.accounts.revoke_user(alice.email)
        assert_error(client.get("/v1/me", headers=alice.headers), 401, "UNAUTHORIZED")


def test_unknown_route_and_bad_body_answer_the_error_body(live: LiveServer, alice: Account) -> None:
    with live.client(alice) as client:
        assert_error(client.get("/v1/nothing"), 404, "NOT_FOUND")
        assert_error(client.post("/v1/jobs", json={"job_type": "poem"}), 422, "VALIDATION_ERROR")
        assert_error(
            client.get("/v1/jobs", params={"updated_since": "abc"}), 400, "VALIDATION_ERROR"
        )


def test_upload_is_sniffed_not_trusted_and_deduplicated(live: LiveServer, alice: Account) -> None:
    with live.client(alice) as client:
        first = upload(client, 1, name="receipt.pdf", document_type="invoice")
        assert first.status_code == 201, first.text
        media = first.json()
        assert media["mime_type"] == "image/png"
        assert (media["width"], media["height"], media["page_count"]) == (64, 48, 1)
        assert media["document_type"] == "invoice"
        assert media["duplicate"] is False
        again = upload(client, 1)
        assert again.status_code == 200
        assert again.json()["id"] == media["id"]
        assert again.json()["duplicate"] is True
        assert_error(upload(client, b"just some text, not an image"), 415, "UNSUPPORTED_MEDIA")
        assert_error(upload(client, png(2)[:40]), 415, "UNSUPPORTED_MEDIA")
        assert_error(upload(client, 3, sha256="0" * 64), 400, "VALIDATION_ERROR")
        usage = client.get("/v1/usage").json()
    assert usage["storage"] == {"files": 1, "bytes": media["size_bytes"]}
    assert usage["uploads_hour"]["used"] == 1


def test_upload_above_the_limit_is_413_and_leaves_nothing(
    make_ctx: Callable[..., ServerContext], alice: Account
) -> None:
    ctx = make_ctx(max_upload_bytes=20_000)
    with LiveServer(ctx) as server, server.client(alice) as client:
        noise = Image.frombytes("RGB", (100, 100), random.Random(5).randbytes(30_000))
        buffer = io.BytesIO()
        noise.save(buffer, "PNG")
        big = buffer.getvalue()
        assert 20_000 < len(big) < 60_000
        assert_error(upload(client, big), 413, "PAYLOAD_TOO_LARGE")
        huge = b"\x89PNG\r\n\x1a\n" + b"\0" * 200_000
        assert_error(upload(client, huge), 413, "PAYLOAD_TOO_LARGE")
        assert_error(
            client.post(
                "/v1/jobs",
                content=b"{" + b" " * 2_000_000 + b"}",
                headers={"content-type": "application/json"},
            ),
            413,
            "PAYLOAD_TOO_LARGE",
        )
    assert list((ctx.config.media_dir / "tmp").glob("*")) == []
    assert ctx.media.storage_usage(alice.company_id)[0].files == 0


def test_job_goes_from_queued_to_completed_with_result_and_cost(
    live: LiveServer, alice: Account, worker: Worker, engine: FakeEngine
) -> None:
    with live.client(alice) as client:
        job = new_job(client, 10, job_type="receipt", metadata={"note": "lunch"})
        assert job["status"] == "queued"
        assert job["submitted_at"] == job["created_at"]
        assert job["metadata"] == {"note": "lunch"}
        assert client.get("/v1/queue-status").json()["queued"] == 1
        assert worker.run_once()
        done = client.get(f"/v1/jobs/{job['id']}").json()
        assert done["status"] == "completed"
        assert done["started_at"]
        assert done["completed_at"]
        assert "TOTAL 1.00" in done["result"]["text"]
        assert done["confidence"] is not None
        assert done["processing_ms"] >= 0
        assert done["cost"] == {
            "amount": "0.0080",
            "currency": "USD",
            "pages": 1,
            "engine_seconds": "0.010",
        }
        assert int(done["cursor"]) > int(job["cursor"])
        status = client.get("/v1/queue-status").json()
        assert status == {"queued": 0, "processing": 0, "failed": 0, "completed24h": 1}
        assert client.get("/v1/usage").json()["cost_month"] == {
            "amount": "0.0080",
            "currency": "USD",
        }
        # the same media again: the completed job with its result, no new cost or engine call
        media_id = job["media_id"]
        same = client.post("/v1/jobs", json={"media_id": media_id})
        assert same.status_code == 200
        assert same.json()["id"] == job["id"]
        forced = client.post("/v1/jobs", json={"media_id": media_id, "force": True})
        assert forced.status_code == 201
        assert forced.json()["id"] != job["id"]
        assert_error(client.post(f"/v1/jobs/{job['id']}/cancel"), 409, "INVALID_STATUS")
        assert_error(client.post(f"/v1/jobs/{job['id']}/retry"), 409, "INVALID_STATUS")
    assert engine.calls == 1


def test_cancel_and_retry_follow_the_transition_table(
    live: LiveServer, alice: Account, ctx: ServerContext, clock: ManualClock
) -> None:
    bad = Worker(ctx.db, FakeEngine(script=["bad"]), config=ctx.config, clock=clock)
    with live.client(alice) as client:
        job = new_job(client, 20)
        retried = client.post(f"/v1/jobs/{job['id']}/retry")  # queued: answered as it is
        assert retried.status_code == 200
        assert retried.json()["status"] == "queued"
        assert bad.run_once()
        failed = client.get(f"/v1/jobs/{job['id']}").json()
        assert failed["status"] == "failed"
        assert failed["error"]["code"] == "UNSUPPORTED_MEDIA"
        again = client.post(f"/v1/jobs/{job['id']}/retry").json()
        assert again["status"] == "queued" and again["error"] is None or again["retry_count"] == 0
        cancelled = client.post(f"/v1/jobs/{job['id']}/cancel")
        assert cancelled.status_code == 200
        assert cancelled.json()["status"] == "cancelled"
        twice = client.post(f"/v1/jobs/{job['id']}/cancel")
        assert twice.status_code == 200
        assert twice.json()["cancelled_at"]
        assert_error(client.post(f"/v1/jobs/{job['id']}/retry"), 409, "INVALID_STATUS")
        assert_error(client.post("/v1/jobs/nope/cancel"), 404, "JOB_NOT_FOUND")


def test_deleted_media_keeps_its_jobs(live: LiveServer, alice: Account, worker: Worker) -> None:
    with live.client(alice) as client:
        job = new_job(client, 30)
        assert worker.run_once()
        assert client.delete(f"/v1/media/{job['media_id']}").status_code == 204
        assert_error(client.delete(f"/v1/media/{job['media_id']}"), 404, "MEDIA_NOT_FOUND")
        assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "completed"
        assert_error(
            client.post("/v1/jobs", json={"media_id": job["media_id"], "force": True}),
            404,
            "MEDIA_NOT_FOUND",
        )
        assert client.get("/v1/usage").json()["storage"]["files"] == 0


def test_malformed_uploads_are_refused_with_what_to_do(
    live: LiveServer, alice: Account, ctx: ServerContext
) -> None:
    with live.client(alice) as client:
        no_file = client.post(
            "/v1/media", data={"document_type": "receipt"}, files={"other": ("x.png", png(1))}
        )
        assert_error(no_file, 400, "VALIDATION_ERROR")
        assert "file" in no_file.json()["error"]["message"]
        assert_error(client.post("/v1/media", json={"file": "abc"}), 400, "VALIDATION_ERROR")
        cut = b'--XYZ\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
        truncated = client.post(
            "/v1/media",
            content=cut + png(1)[:30],
            headers={"content-type": "multipart/form-data; boundary=XYZ"},
        )
        assert_error(truncated, 400, "VALIDATION_ERROR")
        assert_error(upload(client, 1, document_type="poem"), 400, "VALIDATION_ERROR")
        assert_error(upload(client, 1, captured_at="yesterday"), 400, "VALIDATION_ERROR")
        assert client.get("/v1/usage").json()["storage"]["files"] == 0
    assert list((ctx.config.media_dir / "tmp").glob("*")) == []


def test_a_nul_character_anywhere_is_a_422_on_every_database(
    live: LiveServer, alice: Account
) -> None:
    # PostgreSQL cannot store or compare text with NUL; SQLite could: both refuse it alike.
    with live.client() as client:
        answer = client.post("/v1/auth/token", json={"email": "a\x00@b.c", "password": "x"})
        assert_error(answer, 422, "VALIDATION_ERROR")
        assert "NUL" in answer.json()["error"]["message"]
    with live.client(alice) as client:
        assert_error(client.get("/v1/jobs/abc%00def"), 422, "VALIDATION_ERROR")
        assert_error(client.post("/v1/jobs", json={"media_id": "m\x00"}), 422, "VALIDATION_ERROR")
        assert client.get("/v1/me").status_code == 200  # the server goes on
