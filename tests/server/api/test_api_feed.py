"""Newest-first paging, the change feed (updated_since), SSE with resume, and the kill-switch."""

from __future__ import annotations

import json

import pytest

from ocr_desk.core import ManualClock
from ocr_desk.server.config import PROCESSING_ENV
from ocr_desk.server.context import ServerContext
from ocr_desk.server.worker import Worker, set_processing

from ..support import Account, LiveServer
from .helpers import new_job


def test_jobs_list_newest_first_with_a_cursor(
    live: LiveServer, alice: Account, clock: ManualClock
) -> None:
    with live.client(alice) as client:
        made = []
        for n in range(25):
            made.append(new_job(client, n)["id"])
            if n % 2:
                clock.advance(1)
        first = client.get("/v1/jobs").json()
        assert len(first["jobs"]) == 20
        assert first["next_cursor"]
        second = client.get("/v1/jobs", params={"cursor": first["next_cursor"]}).json()
        assert second["next_cursor"] is None
        listed = [j["id"] for j in first["jobs"] + second["jobs"]]
        stamps = [j["created_at"] for j in first["jobs"] + second["jobs"]]
        assert sorted(listed) == sorted(made)
        assert stamps == sorted(stamps, reverse=True)
        small = client.get("/v1/jobs", params={"limit": 3, "status": "queued"}).json()
        assert len(small["jobs"]) == 3
        assert client.get("/v1/jobs", params={"status": "failed"}).json()["jobs"] == []


def test_change_feed_returns_changes_after_a_cursor(
    live: LiveServer, alice: Account, worker: Worker
) -> None:
    with live.client(alice) as client:
        jobs = [new_job(client, n) for n in range(3)]
        feed = client.get("/v1/jobs", params={"updated_since": "0", "limit": 2}).json()
        assert [j["id"] for j in feed["jobs"]] == [j["id"] for j in jobs[:2]]
        assert feed["has_more"] is True
        rest = client.get("/v1/jobs", params={"updated_since": feed["cursor"]}).json()
        assert [j["id"] for j in rest["jobs"]] == [jobs[2]["id"]]
        assert not rest["has_more"]
        assert worker.run_once()
        after = client.get("/v1/jobs", params={"updated_since": rest["cursor"]}).json()
        assert [j["status"] for j in after["jobs"]] == ["completed"]
        assert after["jobs"][0]["id"] in {j["id"] for j in jobs}
        idle = client.get("/v1/jobs", params={"updated_since": after["cursor"]}).json()
        assert idle == {"jobs": [], "cursor": after["cursor"], "has_more": False}


def _events(lines, count: int) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    found: list[dict] = []  # type: ignore[type-arg]
    event: dict = {}  # type: ignore[type-arg]
    for line in lines:
        if line.startswith("id: "):
            event["id"] = line[4:]
        elif line.startswith("data: "):
            event["job"] = json.loads(line[6:])
        elif line == "" and event:
            found.append(event)
            event = {}
            if len(found) == count:
                return found
    return found


def test_events_stream_live_and_resume_from_last_event_id(
    live: LiveServer, alice: Account, worker: Worker
) -> None:
    with live.client(alice) as client:
        job = new_job(client, 1)
        with client.stream("GET", "/v1/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            assert worker.run_once()
            live_events = _events(lines, 2)
        statuses = [e["job"]["status"] for e in live_events]
        assert statuses == ["processing", "completed"]
        assert [e["id"] for e in live_events] == [e["job"]["cursor"] for e in live_events]
        second = new_job(client, 2)
        resume = {"Last-Event-ID": live_events[0]["id"]}
        with client.stream("GET", "/v1/events", headers=resume) as stream:
            replay = _events(stream.iter_lines(), 2)
        assert [(e["job"]["id"], e["job"]["status"]) for e in replay] == [
            (live_events[1]["job"]["id"], "completed"),
            (second["id"], "queued"),
        ]
        assert live_events[1]["job"]["id"] == job["id"]


@pytest.mark.parametrize("switch", ["flag", "env"])
def test_kill_switch_keeps_accepting_but_stops_processing(
    live: LiveServer,
    alice: Account,
    ctx: ServerContext,
    worker: Worker,
    monkeypatch: pytest.MonkeyPatch,
    switch: str,
) -> None:
    if switch == "flag":
        set_processing(ctx.db, enabled=False)
    else:
        monkeypatch.setenv(PROCESSING_ENV, "1")
    with live.client(alice) as client:
        job = new_job(client, 1)
        assert worker.run_once() is False
        assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "queued"
        set_processing(ctx.db, enabled=True)
        monkeypatch.delenv(PROCESSING_ENV, raising=False)
        assert worker.run_once() is True
        assert client.get(f"/v1/jobs/{job['id']}").json()["status"] == "completed"
