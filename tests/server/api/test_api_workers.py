"""Worker processes against one database: no job processed twice, dead workers' jobs
reclaimed, and a worker process's changes reaching another process's SSE stream."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from ocr_desk.server.context import ServerContext

from ..engines import BLOCK_ENV, CALLS_ENV
from ..support import (
    LiveServer,
    add_account,
    open_ctx,
    start_worker,
    stop_worker,
    unlimited_plans,
    wait_until,
)
from .helpers import new_job


@pytest.fixture
def real_ctx(tmp_path: Path, db_url: str, backend: str) -> Iterator[ServerContext]:
    """A context on the wall clock (worker processes have no other); on PostgreSQL the API
    polls so rarely that only LISTEN/NOTIFY can bring other processes' changes in time."""
    poll = 60.0 if backend == "postgresql" else 0.2
    ctx = open_ctx(
        tmp_path / "server",
        db_url,
        None,
        poll_interval=poll,
        ping_interval=0.3,
        plans=unlimited_plans(),
    )
    yield ctx
    ctx.close()


def _calls(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    return [tuple(line.split()) for line in path.read_text().splitlines()]  # type: ignore[misc]


def test_several_worker_processes_never_process_the_same_job(
    real_ctx: ServerContext, db_url: str, tmp_path: Path
) -> None:
    account = add_account(real_ctx, plan="enterprise")
    calls = tmp_path / "calls.txt"
    count = 24
    with LiveServer(real_ctx) as live, live.client(account) as client:
        ids = {new_job(client, n)["id"] for n in range(count)}
        procs = [
            start_worker(
                real_ctx.config.data_dir,
                db_url,
                engine="tests.server.engines:counting",
                env={CALLS_ENV: str(calls)},
            )
            for _ in range(3)
        ]
        try:
            wait_until(
                lambda: client.get("/v1/queue-status").json()["completed24h"] == count,
                timeout=60,
                what="all jobs completed",
            )
        finally:
            for proc in procs:
                stop_worker(proc)
        done = client.get("/v1/jobs", params={"limit": 100}).json()["jobs"]
    assert {j["id"] for j in done} == ids
    assert {j["status"] for j in done} == {"completed"}
    made = _calls(calls)
    assert len(made) == count
    assert len({page for _, page in made}) == count
    for job_id in ids:
        claims = [
            e
            for e in real_ctx.jobs.events_of(account.company_id, job_id)
            if e["to_status"] == "processing"
        ]
        assert len(claims) == 1


def _read_events(
    url: str, token: str, seen: list[dict[str, Any]], stop: threading.Event, ready: threading.Event
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with (
        httpx.Client(base_url=url, headers=headers, timeout=30) as client,
        client.stream("GET", "/v1/events", params={"since": "0"}) as stream,
    ):
        ready.set()
        for line in stream.iter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[6:]))
            if stop.is_set():
                return


def test_killed_worker_job_is_reclaimed_completed_once_and_streamed_to_another_process(
    real_ctx: ServerContext, db_url: str, tmp_path: Path
) -> None:
    account = add_account(real_ctx, plan="enterprise")
    calls = tmp_path / "calls.txt"
    beat = ("--heartbeat-interval", "0.2", "--heartbeat-timeout", "1.5")
    seen: list[dict[str, Any]] = []
    stop, ready = threading.Event(), threading.Event()
    with LiveServer(real_ctx) as live, live.client(account) as client:
        reader = threading.Thread(
            target=_read_events, args=(live.url, account.token, seen, stop, ready)
        )
        reader.start()
        try:
            assert ready.wait(10)
            job = new_job(client, 1)
            doomed = start_worker(
                real_ctx.config.data_dir,
                db_url,
                engine="tests.server.engines:blocking",
                env={CALLS_ENV: str(calls), BLOCK_ENV: "120"},
                extra=beat,
            )
            try:
                wait_until(lambda: len(_calls(calls)) == 1, what="the first worker to start")
            finally:
                doomed.kill()
                doomed.wait()
                stop_worker(doomed)
            assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "processing"
            rescuer = start_worker(
                real_ctx.config.data_dir,
                db_url,
                engine="tests.server.engines:counting",
                env={CALLS_ENV: str(calls)},
                extra=beat,
            )
            try:
                wait_until(
                    lambda: any(e["status"] == "completed" for e in seen),
                    timeout=30,
                    what="the completed event on the API's stream",
                )
            finally:
                stop_worker(rescuer)
        finally:
            stop.set()
            reader.join(timeout=10)
    pids = [pid for pid, _ in _calls(calls)]
    assert len(pids) == 2
    assert pids[0] == str(doomed.pid)
    assert pids[1] == str(rescuer.pid)
    history = [
        (e["from_status"], e["to_status"])
        for e in real_ctx.jobs.events_of(account.company_id, job["id"])
    ]
    assert history == [
        (None, "queued"),
        ("queued", "processing"),
        ("processing", "queued"),
        ("queued", "processing"),
        ("processing", "completed"),
    ]
    statuses = [e["status"] for e in seen if e["id"] == job["id"]]
    assert statuses[-1] == "completed"
    assert statuses.count("completed") == 1
