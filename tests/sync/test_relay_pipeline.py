"""Several captures in flight at once: per capture one request (``POST /v1/captures``,
the file and its job) keyed by its job row, and exactly one media and one job per
capture on the server; a later job for a file the server has goes as ``POST /v1/jobs``."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from ocr_desk.core import JobStatus, ManualClock
from ocr_desk.store import MediaRepository, OutboxRepository
from ocr_desk.sync import EngineOptions

from .live import (
    LiveServer,
    capture,
    client_context,
    make_engine,
    receipt_png,
    run_until,
    synced_client,
)


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    key: str | None
    body: bytes
    answer: bytes


class Recorder(httpx.BaseTransport):
    """The real HTTP transport, noting each request and its answer, and how many overlap."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self._lock = threading.Lock()
        self.sent: list[Sent] = []
        self.in_flight = 0
        self.most_in_flight = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            response = self._inner.handle_request(request)
            answer = response.read()
        finally:
            with self._lock:
                self.in_flight -= 1
        body = request.content if request.url.path == "/v1/jobs" else b""  # JSON, not a stream
        note = Sent(
            request.method,
            request.url.path,
            request.headers.get("Idempotency-Key"),
            body,
            answer,
        )
        with self._lock:
            self.sent.append(note)
        return httpx.Response(
            response.status_code, headers=response.headers, content=answer, request=request
        )

    def close(self) -> None:
        self._inner.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path / "server", workers=0).start()
    try:
        yield live
    finally:
        live.close()


def test_pooled_captures_keep_order_and_reach_the_server_once(
    server: LiveServer, tmp_path: Path, clock: ManualClock
) -> None:
    account = server.add_account()
    ctx = client_context(tmp_path / "client", server.url, clock=clock)
    recorder = Recorder()
    options = EngineOptions(use_events=False, poll_interval=timedelta(hours=1), pool_size=3)
    engine = make_engine(
        ctx, server.url, account.token, clock=clock, options=options, transport=recorder
    )
    outbox = OutboxRepository(ctx.store, company_id=ctx.company_id)
    try:
        job_ids = capture(ctx, 12)
        rows = outbox.pending()
        assert len(rows) == 24
        job_keys = {r.id for r in rows if r.op == "create_job"}
        run_until(engine, lambda: outbox.count() == 0, what="the outbox drained")

        posts = [s for s in recorder.sent if s.method == "POST"]
        assert [s.path for s in posts] == ["/v1/captures"] * 12  # one request per capture
        assert {s.key for s in posts} == job_keys  # keyed by the job's outbox row, once
        assert not [s for s in recorder.sent if s.path.startswith("/v1/jobs/")]  # no re-reads
        assert 1 <= recorder.most_in_flight <= 3  # never more than the pool
        remote = server.jobs()
        assert len(remote) == 12
        assert len({r["media_id"] for r in remote}) == 12
        assert len(server.media()) == 12
        service = ctx.job_service()
        assert sorted(service.get(j).remote_id or "" for j in job_ids) == sorted(
            r["id"] for r in remote
        )
        assert {service.get(j).status for j in job_ids} == {JobStatus.QUEUED}
        assets = {service.get(j).media_asset_id for j in job_ids}
        media = MediaRepository(ctx.store, company_id=ctx.company_id)
        assert {media.get(a).remote_id for a in assets} == {r["media_id"] for r in remote}

        # a second job for a file the server has: the job alone, for the recorded media
        first = service.get(job_ids[0])
        again = service.create_job(media_asset_id=first.media_asset_id, job_type="invoice")
        [row] = outbox.pending()
        run_until(engine, lambda: outbox.count() == 0, what="the second job sent")
        last = recorder.sent[-1]
        assert (last.method, last.path, last.key) == ("POST", "/v1/jobs", row.id)
        assert json.loads(last.body)["media_id"] == media.get(first.media_asset_id).remote_id
        # the server answers with the file's live job: here it is a duplicate
        assert service.get(again.id).status is JobStatus.CANCELLED
        assert len(server.jobs()) == 12
    finally:
        engine.close()
        engine.client.close()
        ctx.close()


def test_a_capture_uploads_the_file_chosen_when_it_was_made(
    server: LiveServer, tmp_path: Path, clock: ManualClock
) -> None:
    """A resend must be the same bytes as the first send (the server fingerprints the
    file): turning on upload_original later does not change what a queued capture sends."""
    account = server.add_account()
    ctx = client_context(tmp_path / "client", server.url, clock=clock)
    try:
        [job_id] = capture(ctx, 1)
        asset_id = ctx.job_service().get(job_id).media_asset_id
        processed, _ = ctx.media_library().upload_file(asset_id)
        ctx.save_settings(ctx.settings.with_changes(upload_original=True))
        original, _ = ctx.media_library().upload_file(asset_id)
        assert original != processed
        options = EngineOptions(use_events=False, poll_interval=timedelta(hours=1))
        engine = make_engine(ctx, server.url, account.token, clock=clock, options=options)
        try:
            outbox = OutboxRepository(ctx.store, company_id=ctx.company_id)
            run_until(engine, lambda: outbox.count() == 0, what="the capture sent")
        finally:
            engine.close()
            engine.client.close()
        [stored] = server.media()
        assert stored["sha256"] == processed.stem  # files are named by their SHA-256
        assert stored["sha256"] != original.stem
    finally:
        ctx.close()


def test_a_file_added_again_with_force_gets_a_new_job_on_the_server(
    server: LiveServer, tmp_path: Path, clock: ManualClock
) -> None:
    """`ocr-desk add --force` asks for a new OCR of a file already captured: the server
    must make a new job, not answer with the file's first one."""
    account = server.add_account()
    with synced_client(tmp_path / "client", server.url, account.token, clock=clock) as client:
        [first] = capture(client.ctx, 1)
        client.drain("the first capture sent")
        again = client.ctx.capture_service().capture(
            receipt_png(0), name="receipt-0.png", force=True
        )
        assert again.job is not None
        assert again.job.id != first
        client.drain("the forced job sent")
        remote = server.jobs()
        assert len(remote) == 2
        assert len({r["media_id"] for r in remote}) == 1  # the same file, stored once
        assert {client.jobs.get(j).remote_id for j in (first, again.job.id)} == {
            r["id"] for r in remote
        }
        assert client.jobs.get(again.job.id).status is JobStatus.QUEUED  # not a duplicate


def test_retry_after_a_refusal_sends_a_new_request(
    server: LiveServer, tmp_path: Path, clock: ManualClock
) -> None:
    """The server keeps a refusal under its key; the retry button must not get it back.
    Here the server lost the file (deleted there) before a second job for it was sent:
    404 MEDIA_NOT_FOUND fails the job; Retry uploads the file again, then makes the job."""
    account = server.add_account()
    with synced_client(tmp_path / "client", server.url, account.token, clock=clock) as client:
        [first] = capture(client.ctx, 1)
        client.drain("the first capture sent")
        [media] = server.media()
        server.ctx.media.delete(media["company_id"], media["id"])
        again = client.ctx.capture_service().capture(
            receipt_png(0), name="receipt-0.png", force=True
        )
        assert again.job is not None
        job_id = again.job.id
        failed = lambda: client.jobs.get(job_id).status is JobStatus.FAILED  # noqa: E731
        run_until(client.engine, failed, what="the refused job")
        assert "no media" in (client.jobs.get(job_id).last_error or "")
        client.jobs.retry(job_id)
        client.drain("the retried job sent")
        retried = client.jobs.get(job_id)
        assert retried.status is JobStatus.QUEUED
        assert retried.remote_id is not None
        assert len(server.jobs()) == 2
        assert [m["deleted_at"] for m in server.media()] == [None]  # stored again
        assert client.jobs.get(first).remote_id != retried.remote_id
