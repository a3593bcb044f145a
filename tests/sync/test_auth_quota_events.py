"""Sign-in expiry, quota exhaustion, and results coming back by SSE or by polling."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from ocr_desk.core import JobStatus, ManualClock
from ocr_desk.store import OutboxRepository
from ocr_desk.sync import ApiClient, ConnectionState, EngineOptions, StateChanged, SyncEvent

from .faultproxy import PASS, FaultProxy, answer
from .live import FLAKY_SIZE, LiveServer, capture, client_context, make_engine, run_until


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path / "server").start()
    try:
        yield live
    finally:
        live.close()


def _completed(ctx: object, job_ids: list[str]) -> bool:
    service = ctx.job_service()  # type: ignore[attr-defined]
    return all(service.get(j).status is JobStatus.COMPLETED for j in job_ids)


def test_expired_sign_in_pauses_then_resumes_after_login(
    server: LiveServer, tmp_path: Path, clock: ManualClock
) -> None:
    account = server.add_account()
    ctx = client_context(tmp_path / "client", server.url, clock=clock)
    events: list[SyncEvent] = []
    engine = make_engine(ctx, server.url, account.token, clock=clock, events=events)
    outbox = OutboxRepository(ctx.store, company_id=ctx.company_id)
    try:
        first = capture(ctx, 2)
        run_until(engine, lambda: _completed(ctx, first), what="the first captures")
        server.revoke_token(account.token)
        later = capture(ctx, 3, start=100)
        for _ in range(3):
            engine.wait(engine.seconds_until(engine.step()))
        assert engine.state is ConnectionState.SIGNED_OUT
        signed_out = [e for e in events if isinstance(e, StateChanged)][-1]
        assert "sign in again" in signed_out.reason.lower()
        assert outbox.count() == 6  # nothing lost ...
        assert {e.attempts for e in outbox.pending()} == {0}  # ... and nothing spent
        assert len(server.jobs()) == 2

        with ApiClient(base_url=server.url) as login_client:
            token = login_client.login(email=account.email, password=account.password).token
        engine.signed_in(token)
        run_until(engine, lambda: _completed(ctx, later), what="the captures after login")
        assert engine.state is ConnectionState.ONLINE
        assert len(server.jobs()) == 5
    finally:
        engine.close()
        engine.client.close()
        ctx.close()


def test_quota_exceeded_pauses_without_losing_anything(
    server: LiveServer, tmp_path: Path, clock: ManualClock
) -> None:
    account = server.add_account(plan="free")  # 5 jobs a month
    ctx = client_context(tmp_path / "client", server.url, clock=clock)
    events: list[SyncEvent] = []
    engine = make_engine(ctx, server.url, account.token, clock=clock, events=events)
    outbox = OutboxRepository(ctx.store, company_id=ctx.company_id)
    service = ctx.job_service()
    try:
        job_ids = capture(ctx, 7)
        run_until(
            engine,
            lambda: (
                engine.state is ConnectionState.QUOTA_PAUSED
                and sum(service.get(j).status is JobStatus.COMPLETED for j in job_ids) == 5
            ),
            what="five jobs done and the quota pause",
        )
        paused = [e for e in events if isinstance(e, StateChanged)][-1]
        assert paused.state is ConnectionState.QUOTA_PAUSED
        assert "quota" in paused.reason
        waiting = [service.get(j) for j in job_ids if service.get(j).remote_id is None]
        assert len(waiting) == 2
        assert {j.status for j in waiting} == {JobStatus.QUEUED}
        # a refused capture keeps its upload too: the server stored nothing of it
        assert sorted(e.op for e in outbox.pending()) == ["create_job"] * 2 + ["upload_media"] * 2
        assert {e.attempts for e in outbox.pending()} == {0}
        assert len(server.jobs()) == 5

        server.ctx.accounts.set_plan(account.company, plan="premium")
        clock.advance(timedelta(minutes=5))  # the next quota check
        run_until(engine, lambda: _completed(ctx, job_ids), what="the rest after the upgrade")
        assert len(server.jobs()) == 7
        assert outbox.count() == 0
    finally:
        engine.close()
        engine.client.close()
        ctx.close()


def _feed_test(
    server: LiveServer, tmp_path: Path, clock: ManualClock, *, block_sse: bool
) -> FaultProxy:
    account = server.add_account()
    proxy = FaultProxy(server.port)
    proxy.plan = lambda r: answer(502) if block_sse and r.path.startswith("/v1/events") else PASS
    ctx = client_context(tmp_path / "client", proxy.url, clock=clock)
    # Polling only every hour of (injected) time: with SSE up, results must come by SSE.
    poll = timedelta(seconds=5) if block_sse else timedelta(hours=10)
    options = EngineOptions(poll_interval=poll)
    engine = make_engine(ctx, proxy.url, account.token, clock=clock, options=options)
    try:
        engine.start_feed()
        run_until(engine, lambda: block_sse or engine.stream_connected, what="the event stream")
        polls_before = len(proxy.requests("/v1/jobs", kind="pass"))
        job_ids = capture(ctx, 3)
        run_until(engine, lambda: _completed(ctx, job_ids), what="results")
        job = ctx.job_service().get(job_ids[0])
        assert job.merchant
        assert job.cost_amount is not None
        gets = [r for r in proxy.log if r[0] == "GET" and r[1] == "/v1/jobs"]
        if block_sse:
            assert proxy.requests("/v1/events", kind="answer")
            assert len(gets) > polls_before
        else:
            assert not proxy.requests("/v1/events", kind="answer")
            assert len(gets) == polls_before  # no poll after the stream was up
    finally:
        engine.close()
        engine.client.close()
        ctx.close()
        proxy.close()
    return proxy


def test_completed_job_arrives_through_sse(
    server: LiveServer, tmp_path: Path, clock: ManualClock
) -> None:
    _feed_test(server, tmp_path, clock, block_sse=False)


def test_completed_job_arrives_by_polling_when_sse_is_blocked(
    server: LiveServer, tmp_path: Path, clock: ManualClock
) -> None:
    _feed_test(server, tmp_path, clock, block_sse=True)


def test_event_stream_survives_a_server_restart(
    server: LiveServer, tmp_path: Path, clock: ManualClock
) -> None:
    account = server.add_account()
    ctx = client_context(tmp_path / "client", server.url, clock=clock)
    options = EngineOptions(poll_interval=timedelta(hours=10))
    engine = make_engine(ctx, server.url, account.token, clock=clock, options=options)
    try:
        engine.start_feed()
        first = capture(ctx, 2)
        run_until(engine, lambda: _completed(ctx, first), what="before the restart")
        server.stop()
        server.start()
        later = capture(ctx, 2, start=50)
        run_until(engine, lambda: _completed(ctx, later), timeout=40, what="after the restart")
        run_until(engine, lambda: engine.stream_connected, what="the stream back")
    finally:
        engine.close()
        engine.client.close()
        ctx.close()


def test_job_failed_on_the_server_comes_back_failed_and_the_retry_button_sends_it_again(
    server: LiveServer, tmp_path: Path, clock: ManualClock
) -> None:
    account = server.add_account()
    ctx = client_context(tmp_path / "client", server.url, clock=clock)
    engine = make_engine(ctx, server.url, account.token, clock=clock)
    service = ctx.job_service()
    try:
        engine.start_feed()
        [job_id] = capture(ctx, 1, size=FLAKY_SIZE)
        run_until(engine, lambda: service.get(job_id).status is JobStatus.FAILED, what="failed")
        failed = service.get(job_id)
        assert "cannot read this page" in (failed.last_error or "")
        assert failed.remote_id is not None
        service.retry(job_id)  # writes a retry_job outbox row for the server
        run_until(engine, lambda: service.get(job_id).status is JobStatus.COMPLETED, what="retried")
        [remote] = server.jobs()
        assert remote["id"] == failed.remote_id  # the same server job, retried
        assert remote["status"] == "completed"
        steps = [e.to_status for e in service.events(job_id)]
        assert steps.count(JobStatus.FAILED) == 1
        assert steps[-1] is JobStatus.COMPLETED
    finally:
        engine.close()
        engine.client.close()
        ctx.close()
