"""Tenant isolation on every endpoint, and every POST safe to resend with an Idempotency-Key."""

from __future__ import annotations

from ocr_desk.server.context import ServerContext
from ocr_desk.server.worker import Worker

from ..support import Account, LiveServer
from .helpers import assert_error, new_job, upload


def test_a_company_never_sees_another_companys_rows(
    live: LiveServer, alice: Account, bob: Account, worker: Worker
) -> None:
    with live.client(alice) as a, live.client(bob) as b:
        job = new_job(a, 1)
        assert worker.run_once()
        queued = new_job(a, 2)
        jid, mid = job["id"], job["media_id"]
        assert_error(b.get(f"/v1/jobs/{jid}"), 404, "JOB_NOT_FOUND")
        assert_error(b.post(f"/v1/jobs/{queued['id']}/cancel"), 404, "JOB_NOT_FOUND")
        assert_error(b.post(f"/v1/jobs/{jid}/retry"), 404, "JOB_NOT_FOUND")
        assert_error(b.delete(f"/v1/media/{mid}"), 404, "MEDIA_NOT_FOUND")
        assert_error(b.post("/v1/jobs", json={"media_id": mid}), 404, "MEDIA_NOT_FOUND")
        assert b.get("/v1/jobs").json() == {"jobs": [], "next_cursor": None}
        feed = b.get("/v1/jobs", params={"updated_since": "0"}).json()
        assert feed["jobs"] == []
        assert feed["has_more"] is False
        assert b.get("/v1/queue-status").json() == {
            "queued": 0,
            "processing": 0,
            "failed": 0,
            "completed24h": 0,
        }
        usage = b.get("/v1/usage").json()
        assert usage["jobs"]["used"] == 0
        assert usage["storage"]["files"] == 0
        assert usage["cost_month"]["amount"] == "0.0000"
        # the same file uploaded by bob is bob's own media, not alice's
        mine = upload(b, 1)
        assert mine.status_code == 201
        assert mine.json()["id"] != mid
        with b.stream("GET", "/v1/events", params={"since": "0"}) as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("retry:")
            b_job = b.post("/v1/jobs", json={"media_id": mine.json()["id"]}).json()
            seen = [line for line in _until(lines, "data:")]
        assert b_job["id"] in seen[-1]
        assert jid not in "".join(seen)
        # alice still sees hers, unchanged
        assert a.get(f"/v1/jobs/{jid}").json()["status"] == "completed"
        assert a.get(f"/v1/jobs/{queued['id']}").json()["status"] == "queued"


def _until(lines, prefix: str) -> list[str]:  # type: ignore[no-untyped-def]
    seen = []
    for line in lines:
        seen.append(line)
        if line.startswith(prefix):
            return seen
    return seen


def test_every_post_is_safe_to_resend(
    live: LiveServer, alice: Account, bob: Account, ctx: ServerContext, worker: Worker
) -> None:
    with live.client(alice) as client:
        first = upload(client, 7, key="k-media")
        again = upload(client, 7, key="k-media")  # a new multipart boundary, same meaning
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first.headers
        assert_error(upload(client, 8, key="k-media"), 422, "IDEMPOTENCY_KEY_REUSED")
        media_id = first.json()["id"]

        body = {"media_id": media_id, "metadata": {"n": 1}}
        job = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "k-job"})
        same = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": "k-job"})
        assert job.status_code == same.status_code == 201
        assert same.json() == job.json()
        assert same.headers["Idempotent-Replayed"] == "true"
        changed = client.post(
            "/v1/jobs", json={**body, "force": True}, headers={"Idempotency-Key": "k-job"}
        )
        assert_error(changed, 422, "IDEMPOTENCY_KEY_REUSED")
        jid = job.json()["id"]

        cancel = client.post(f"/v1/jobs/{jid}/cancel", headers={"Idempotency-Key": "k-cancel"})
        resent = client.post(f"/v1/jobs/{jid}/cancel", headers={"Idempotency-Key": "k-cancel"})
        assert cancel.json() == resent.json()
        assert resent.headers["Idempotent-Replayed"] == "true"
        retry = client.post(f"/v1/jobs/{jid}/retry", headers={"Idempotency-Key": "k-retry"})
        assert_error(retry, 409, "INVALID_STATUS")
        retry_again = client.post(f"/v1/jobs/{jid}/retry", headers={"Idempotency-Key": "k-retry"})
        assert retry_again.json() == retry.json()
        assert retry_again.status_code == 409
        assert_error(
            client.post(f"/v1/jobs/{jid}/cancel", headers={"Idempotency-Key": "k-retry"}),
            422,
            "IDEMPOTENCY_KEY_REUSED",
        )

        login = {"email": alice.email, "password": alice.password}
        t1 = client.post("/v1/auth/token", json=login, headers={"Idempotency-Key": "k-login"})
        t2 = client.post("/v1/auth/token", json=login, headers={"Idempotency-Key": "k-login"})
        assert t1.status_code == t2.status_code == 200
        for answer in (t1, t2):
            token = answer.json()["token"]
            assert client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).is_success

        usage = client.get("/v1/usage").json()
    assert usage["jobs"]["used"] == 1
    assert usage["uploads_hour"]["used"] == 1
    assert ctx.jobs.list_jobs(alice.company_id).jobs[0].id == jid
    assert len(ctx.jobs.list_jobs(alice.company_id).jobs) == 1
    # keys are per company: bob may use alice's key for his own request
    with live.client(bob) as other:
        own = upload(other, 9, key="k-media")
        assert own.status_code == 201
        assert own.json()["id"] != media_id
