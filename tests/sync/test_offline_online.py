"""Captures made while the server is unreachable wait without spending retries, then all go."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ocr_desk.core import JobStatus, ManualClock
from ocr_desk.store import OutboxRepository
from ocr_desk.sync import ConnectionState, StateChanged, SyncEvent

from .live import LiveServer, capture, client_context, make_engine, run_until


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path / "server")
    try:
        yield live
    finally:
        live.close()


def test_twenty_captures_offline_then_all_complete_once(
    server: LiveServer, tmp_path: Path, clock: ManualClock
) -> None:
    account = server.add_account()
    ctx = client_context(tmp_path / "client", server.url, clock=clock)
    events: list[SyncEvent] = []
    engine = make_engine(ctx, server.url, account.token, clock=clock, events=events)
    try:
        job_ids = capture(ctx, 20)
        outbox = OutboxRepository(ctx.store, company_id=ctx.company_id)
        assert outbox.count() == 40  # upload_media + create_job per capture

        # The server is down: a few rounds, with the probe backoff fast-forwarded.
        for _ in range(5):
            engine.wait(engine.seconds_until(engine.step()))
        assert engine.state is ConnectionState.OFFLINE
        assert outbox.count() == 40
        assert all(e.attempts == 0 for e in outbox.pending())  # no retries spent
        service = ctx.job_service()
        assert {service.get(j).status for j in job_ids} == {JobStatus.QUEUED}
        assert all(service.get(j).retry_count == 0 for j in job_ids)
        states = [e.state for e in events if isinstance(e, StateChanged)]
        assert states[0] is ConnectionState.OFFLINE
        assert server.jobs() == []

        server.start()
        run_until(
            engine,
            lambda: all(service.get(j).status is JobStatus.COMPLETED for j in job_ids),
            what="20 completed jobs",
        )
        assert engine.state is ConnectionState.ONLINE
        assert outbox.count() == 0
        remote_jobs = server.jobs()
        assert len(remote_jobs) == 20
        assert len(server.media()) == 20
        assert {service.get(j).remote_id for j in job_ids} == {r["id"] for r in remote_jobs}
        done = service.get(job_ids[0])
        assert done.total is not None
        assert done.merchant
        assert all(service.get(j).retry_count == 0 for j in job_ids)
        assert service.queue_status().completed_24h == 20
    finally:
        engine.close()
        engine.client.close()
        ctx.close()
