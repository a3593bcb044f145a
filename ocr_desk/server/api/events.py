"""``GET /v1/events``: the company's job changes as server-sent events, resumable by cursor.

A stream first replays every change after ``Last-Event-ID`` (or ``?since=``), then
goes live. It wakes when this process commits a change, when PostgreSQL's
``NOTIFY`` reports one from another process, and otherwise looks every poll
interval (how SQLite processes of one machine see each other's changes).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool

from ..database import Database
from ..jobs import JobService

__all__ = ["Broadcaster", "event_stream", "latest_cursor"]


class Broadcaster:
    """Wakes the event streams of a company when its jobs change."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._subs: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}
        db.add_listener(self._on_change)

    def close(self) -> None:
        self._db.remove_listener(self._on_change)

    def _on_change(self, company_id: str) -> None:
        with self._lock:
            if company_id == "*":
                targets = [s for subs in self._subs.values() for s in subs]
            else:
                targets = list(self._subs.get(company_id, ()))
        for loop, event in targets:
            with contextlib.suppress(RuntimeError):  # a closed loop: its stream is gone
                loop.call_soon_threadsafe(event.set)

    def subscribe(self, company_id: str) -> tuple[asyncio.AbstractEventLoop, asyncio.Event]:
        sub = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._subs.setdefault(company_id, set()).add(sub)
        return sub

    def unsubscribe(
        self, company_id: str, sub: tuple[asyncio.AbstractEventLoop, asyncio.Event]
    ) -> None:
        with self._lock:
            subs = self._subs.get(company_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subs[company_id]


async def event_stream(
    jobs: JobService,
    broadcaster: Broadcaster,
    company_id: str,
    *,
    since: int,
    poll_interval: float,
    ping_interval: float,
) -> AsyncIterator[str]:
    """The SSE text of a company's changes after cursor ``since``."""
    sub = broadcaster.subscribe(company_id)
    try:
        yield "retry: 2000\n\n"
        loop = asyncio.get_running_loop()
        last_ping = loop.time()
        while True:
            sub[1].clear()
            page = await run_in_threadpool(jobs.changes, company_id, since=since, limit=100)
            for job in page.jobs:
                data = json.dumps(job.to_dict(), separators=(",", ":"))
                yield f"id: {job.cursor}\nevent: job\ndata: {data}\n\n"
            since = page.cursor
            if page.has_more:
                continue
            if loop.time() - last_ping >= ping_interval:
                last_ping = loop.time()
                yield ": ping\n\n"
            wait = min(poll_interval, max(0.0, ping_interval - (loop.time() - last_ping)))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sub[1].wait(), timeout=max(wait, 0.01))
    finally:
        broadcaster.unsubscribe(company_id, sub)


def latest_cursor(jobs: JobService, company_id: str) -> int:
    """The company's newest change: where a stream without Last-Event-ID starts."""
    value = jobs.db.read().scalar("SELECT change_seq FROM companies WHERE id = ?", (company_id,))
    return int(value or 0)
