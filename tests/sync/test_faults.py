"""Through a proxy that breaks the network on purpose: nothing lost, nothing duplicated,
and retries follow the 1 s / 5 s / 15 s schedule (429: Retry-After) on an injected clock."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from ocr_desk.app import AppContext
from ocr_desk.core import JobStatus, ManualClock
from ocr_desk.store import OutboxRepository
from ocr_desk.sync import ConnectionState, EngineOptions

from .faultproxy import CUT, DROP, PASS, Fault, FaultProxy, Request, answer, delay
from .live import LiveServer, capture, client_context, make_engine, run_until, synced_client


def outbox_empty(ctx: AppContext) -> bool:
    return OutboxRepository(ctx.store, company_id=ctx.company_id).count() == 0


class Script:
    """Faults to hand out in order per (method, path); then everything passes."""

    def __init__(self, faults: dict[tuple[str, str], list[Fault]]) -> None:
        self.faults = {key: list(value) for key, value in faults.items()}
        self._lock = threading.Lock()

    def __call__(self, request: Request) -> Fault:
        key = (request.method, request.path.split("?")[0])
        with self._lock:
            queue = self.faults.get(key)
            return queue.pop(0) if queue else PASS


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path / "server").start()
    try:
        yield live
    finally:
        live.close()


@pytest.fixture
def proxy(server: LiveServer) -> Iterator[FaultProxy]:
    faulty = FaultProxy(server.port)
    try:
        yield faulty
    finally:
        faulty.close()


def test_no_capture_lost_or_duplicated_through_a_faulty_network(
    server: LiveServer, proxy: FaultProxy, tmp_path: Path, clock: ManualClock
) -> None:
    account = server.add_account()
    proxy.plan = Script(
        {
            ("POST", "/v1/captures"): [
                *(DROP, CUT, answer(500), answer(502)),
                *(delay(0.2), CUT, answer(500), CUT, DROP),
            ],
            ("POST", "/v1/jobs"): [CUT, answer(502), DROP],
            ("GET", "/v1/events"): [DROP, answer(502)],
        }
    )
    ctx = client_context(tmp_path / "client", proxy.url, clock=clock)
    engine = make_engine(ctx, proxy.url, account.token, clock=clock)
    try:
        engine.start_feed()
        job_ids = capture(ctx, 12)
        service = ctx.job_service()
        run_until(
            engine,
            lambda: all(service.get(j).status is JobStatus.COMPLETED for j in job_ids),
            what="12 completed jobs",
        )
        assert OutboxRepository(ctx.store, company_id=ctx.company_id).count() == 0
        remote = server.jobs()
        assert len(remote) == 12  # none duplicated, even where the answer was cut
        assert len({r["media_id"] for r in remote}) == 12
        assert len(server.media()) == 12
        assert sorted(service.get(j).remote_id or "" for j in job_ids) == sorted(
            r["id"] for r in remote
        )
        for kind in ("drop", "cut", "answer", "delay"):
            assert proxy.requests("/v1/", kind), f"no {kind} fault was exercised"
        assert engine.state is ConnectionState.ONLINE

        # a second job for a file the server has goes alone (POST /v1/jobs), through
        # the same faults: the server answers with the file's job, once
        first = service.get(job_ids[0])
        again = service.create_job(media_asset_id=first.media_asset_id, job_type="invoice")
        run_until(engine, lambda: outbox_empty(ctx), what="the second job sent")
        posts = [r for r in proxy.log if r[:2] == ("POST", "/v1/jobs")]
        assert [r[2] for r in posts] == ["cut", "answer", "drop", "pass"]
        assert len(server.jobs()) == 12
        assert service.get(again.id).status is JobStatus.CANCELLED  # a duplicate of the first
    finally:
        engine.close()
        engine.client.close()
        ctx.close()


def test_retry_schedule_then_failed_then_manual_retry(
    server: LiveServer, proxy: FaultProxy, tmp_path: Path, clock: ManualClock
) -> None:
    account = server.add_account()
    proxy.plan = Script(
        {
            ("POST", "/v1/captures"): [
                answer(500),
                answer(502),
                answer(429, {"Retry-After": "7"}),
                answer(500),
            ]
        }
    )
    ctx = client_context(tmp_path / "client", proxy.url, clock=clock)
    options = EngineOptions(use_events=False, poll_interval=timedelta(hours=1))
    engine = make_engine(ctx, proxy.url, account.token, clock=clock, options=options)
    outbox = OutboxRepository(ctx.store, company_id=ctx.company_id)
    service = ctx.job_service()

    def uploads() -> int:
        return len(proxy.requests("/v1/captures"))

    try:
        [job_id] = capture(ctx, 1)
        start = clock.now()
        engine.step()
        assert uploads() == 1
        assert outbox.pending()[0].next_attempt_at == start + timedelta(seconds=1)

        for wait, expected in ((0.9, 1), (0.1, 2), (4.9, 2), (0.1, 3)):
            clock.advance(wait)
            engine.step()
            assert uploads() == expected, f"after +{wait}s"
        # the third failure was a 429 with Retry-After: 7 (instead of 15 s)
        assert engine.state is ConnectionState.RATE_LIMITED
        assert engine.connectivity.until == clock.now() + timedelta(seconds=7)
        clock.advance(6.9)
        engine.step()
        assert uploads() == 3
        clock.advance(0.1)
        engine.step()
        assert uploads() == 4
        job = service.get(job_id)
        assert job.status is JobStatus.FAILED  # after the third retry: failed with the reason
        assert "gave up after 3 retries" in (job.last_error or "")
        assert "injected 500" in (job.last_error or "")
        clock.advance(3600)
        engine.step()
        assert uploads() == 4  # a failed job waits for the retry button
        assert outbox.count() == 2  # ... and nothing of it was lost

        service.retry(job_id)  # fresh retry budget
        assert {e.attempts for e in outbox.pending()} == {0}
        run_until(
            engine,
            lambda: service.get(job_id).status is JobStatus.COMPLETED,
            what="the retried job",
        )
        assert uploads() == 5
        assert len(server.jobs()) == 1
    finally:
        engine.close()
        engine.client.close()
        ctx.close()


@pytest.fixture
def idle_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server that runs no OCR: its jobs stay queued until cancelled."""
    live = LiveServer(tmp_path / "idle-server", workers=0).start()
    try:
        yield live
    finally:
        live.close()


@pytest.mark.parametrize("fault", [CUT, DROP])
def test_a_job_cancelled_after_its_answer_was_lost_is_cancelled_on_the_server(
    idle_server: LiveServer, tmp_path: Path, clock: ManualClock, fault: Fault
) -> None:
    """CUT: the server made the job and the answer was lost; DROP: the server never saw
    it. Either way the user's cancel holds there too, and nothing is left queued."""
    server = idle_server
    account = server.add_account()
    proxy = FaultProxy(server.port)
    proxy.plan = Script({("POST", "/v1/captures"): [fault]})
    try:
        with synced_client(tmp_path / "client", proxy.url, account.token, clock=clock) as c:
            [job_id] = capture(c.ctx, 1)
            c.engine.step()  # sent, no answer
            assert len(proxy.requests("/v1/captures")) == 1
            assert c.outbox.count() == 2
            c.jobs.cancel(job_id)
            c.drain()
            remote = server.jobs()
            if fault is CUT:
                [made] = remote
                assert made["status"] == "cancelled"
                assert c.jobs.get(job_id).remote_id == made["id"]
            else:
                # sent again (the server cannot be asked whether it has it): made, cancelled
                assert [r["status"] for r in remote] == ["cancelled"]
            assert c.jobs.get(job_id).status is JobStatus.CANCELLED
    finally:
        proxy.close()


def test_a_job_cancelled_before_it_was_ever_sent_never_reaches_the_server(
    server: LiveServer, proxy: FaultProxy, tmp_path: Path, clock: ManualClock
) -> None:
    account = server.add_account()
    with synced_client(tmp_path / "client", proxy.url, account.token, clock=clock) as client:
        [job_id] = capture(client.ctx, 1)
        client.jobs.cancel(job_id)
        client.drain("the rows dropped")
        assert [r for r in proxy.log if r[0] == "POST"] == []  # only the poll went out
        assert server.jobs() == []
