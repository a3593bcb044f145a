"""Several captures in flight at once: per capture one upload then one job create, each
with its own outbox row's key, the create only after its upload was answered, and
exactly one media and one job per capture on the server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from ocr_desk.core import JobStatus, ManualClock
from ocr_desk.store import OutboxRepository
from ocr_desk.sync import EngineOptions

from .live import LiveServer, capture, client_context, make_engine, run_until


@dataclass(frozen=True)
class Sent:
    method: str
    path: str
    key: str | None
    started: float
    answered: float
    body: bytes
    answer: bytes


class Recorder(httpx.BaseTransport):
    """The real HTTP transport, noting each request with when it started and was answered."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self._lock = threading.Lock()
        self.sent: list[Sent] = []
        self.in_flight = 0
        self.most_in_flight = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = time.monotonic()
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
            started,
            time.monotonic(),
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
        keys = {r.id for r in rows}
        assert len(keys) == 24
        run_until(engine, lambda: outbox.count() == 0, what="the outbox drained")
    finally:
        engine.close()
        engine.client.close()

    posts = [s for s in recorder.sent if s.method == "POST"]
    uploads = [s for s in posts if s.path == "/v1/media"]
    creates = [s for s in posts if s.path == "/v1/jobs"]
    assert len(uploads) == len(creates) == 12  # nothing more per capture (no GET after)
    assert {s.key for s in posts} == keys  # each row's own Idempotency-Key, once
    assert not [s for s in recorder.sent if s.method == "GET" and s.path.startswith("/v1/jobs/")]
    assert 1 <= recorder.most_in_flight <= 3
    for create in creates:
        [upload] = [u for u in uploads if u.answer and _media_id(u) in create.body.decode()]
        assert upload.answered <= create.started  # the job only after its upload's answer

    remote = server.jobs()
    assert len(remote) == 12
    assert len({r["media_id"] for r in remote}) == 12
    assert len(server.media()) == 12
    service = ctx.job_service()
    assert sorted(service.get(j).remote_id or "" for j in job_ids) == sorted(
        r["id"] for r in remote
    )
    assert {service.get(j).status for j in job_ids} == {JobStatus.QUEUED}
    ctx.close()


def _media_id(sent: Sent) -> str:
    return str(json.loads(sent.answer)["id"])
