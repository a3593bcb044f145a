"""Plans: the monthly job quota (402) and uploads per user per hour (429 + Retry-After)."""

from __future__ import annotations

from datetime import timedelta

from ocr_desk.core import ManualClock
from ocr_desk.server.context import ServerContext

from ..support import LiveServer, add_account
from .helpers import assert_error, upload


def test_free_plan_gets_five_jobs_a_month(
    live: LiveServer, ctx: ServerContext, clock: ManualClock
) -> None:
    free = add_account(ctx, plan="free")
    with live.client(free) as client:
        media = [upload(client, n).json()["id"] for n in range(6)]
        for media_id in media[:5]:
            assert client.post("/v1/jobs", json={"media_id": media_id}).status_code == 201
        # a resend of an existing job costs no quota
        assert client.post("/v1/jobs", json={"media_id": media[0]}).status_code == 200
        refused = client.post(
            "/v1/jobs", json={"media_id": media[5]}, headers={"Idempotency-Key": "quota"}
        )
        assert_error(refused, 402, "QUOTA_EXCEEDED")
        usage = client.get("/v1/usage").json()
        assert usage["plan"] == "free"
        assert usage["month"] == "2026-03"
        assert usage["jobs"] == {"used": 5, "limit": 5, "left": 0}
        clock.set(clock.now().replace(month=4, day=1, hour=0))
        # a 402 is not remembered: the same key works once the quota renews
        again = client.post(
            "/v1/jobs", json={"media_id": media[5]}, headers={"Idempotency-Key": "quota"}
        )
        assert again.status_code == 201
        assert client.get("/v1/usage").json()["jobs"] == {"used": 1, "limit": 5, "left": 4}


def test_enterprise_has_no_job_limit(live: LiveServer, ctx: ServerContext) -> None:
    big = add_account(ctx, plan="enterprise")
    with live.client(big) as client:
        assert client.get("/v1/usage").json()["jobs"] == {"used": 0, "limit": None, "left": None}


def test_ten_uploads_an_hour_then_429_with_retry_after(
    live: LiveServer, ctx: ServerContext, clock: ManualClock
) -> None:
    user = add_account(ctx, plan="premium")
    start = clock.now()
    with live.client(user) as client:
        for n in range(10):
            assert upload(client, n).status_code == 201
            clock.advance(60)
        assert upload(client, 0).status_code == 200  # a duplicate is free
        refused = upload(client, 99)
        assert_error(refused, 429, "RATE_LIMIT_EXCEEDED")
        expected = (start + timedelta(hours=1) - clock.now()).total_seconds()
        assert int(refused.headers["Retry-After"]) == int(expected)
        hour = client.get("/v1/usage").json()["uploads_hour"]
        assert hour["used"] == 10
        assert hour["limit"] == 10
        assert hour["reset_at"] == "2026-03-10T10:00:00.000000Z"
        clock.advance(int(refused.headers["Retry-After"]) + 1)
        assert upload(client, 99).status_code == 201


def test_uploads_per_hour_is_configurable_per_plan(make_ctx) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    base: ServerContext = make_ctx()
    plans = dict(base.config.plans)
    plans["free"] = replace(plans["free"], uploads_per_hour=2)
    ctx = make_ctx(plans=plans)
    user = add_account(ctx, plan="free")
    with LiveServer(ctx) as server, server.client(user) as client:
        assert upload(client, 1).status_code == 201
        assert upload(client, 2).status_code == 201
        assert_error(upload(client, 3), 429, "RATE_LIMIT_EXCEEDED")
