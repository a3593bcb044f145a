"""What the client-server sync tests share: the real server on a loopback port, a
deterministic OCR engine, client data dirs with real captures, and a step driver.

The server is the real FastAPI app under uvicorn in a thread, with its own data dir
and SQLite database; it can be stopped and started again on the same port (a
"server restart", or "the network is down" while it is stopped).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from PIL import Image, ImageDraw

from ocr_desk.app import AppContext
from ocr_desk.core import ManualClock
from ocr_desk.server.accounts import hash_token
from ocr_desk.server.api import create_app
from ocr_desk.server.config import CONFIG_FILENAME
from ocr_desk.server.context import ServerContext
from ocr_desk.server.ocr import BadImageError, OcrLine, OcrOutput
from ocr_desk.services import JobService
from ocr_desk.store import OutboxRepository
from ocr_desk.sync import ApiClient, EngineOptions, SyncEngine, SyncEvent

PLANS = {
    "enterprise": {"jobs_per_month": None, "uploads_per_hour": None, "price_per_page": "0.0080"},
    "free": {"jobs_per_month": 5, "uploads_per_hour": None, "price_per_page": "0"},
    "premium": {"jobs_per_month": 50, "uploads_per_hour": None, "price_per_page": "0.0100"},
}
"""No upload rate limit in these tests (the rate-limit answers come from the fault proxy)."""


FLAKY_SIZE = (121, 161)
"""Pages of this size fail the first time they are read (then read fine)."""


class ReceiptEngine:
    """Deterministic and instant: every page reads as the same small receipt.

    A page of :data:`FLAKY_SIZE` fails with a permanent error the first time it is
    seen, so the tests can follow a failed job through the retry button.
    """

    name = "test-receipt"
    version = "1"

    def __init__(self) -> None:
        self._seen: set[bytes] = set()
        self._lock = threading.Lock()

    def check(self) -> None:
        pass

    def recognize(self, pages: list[Image.Image]) -> OcrOutput:
        if pages and pages[0].size == FLAKY_SIZE:
            key = hashlib.sha256(pages[0].tobytes()).digest()
            with self._lock:
                first = key not in self._seen
                self._seen.add(key)
            if first:
                raise BadImageError("the test engine cannot read this page (first try)")
        rows = ["CAFE NORD", "2026-03-09", "TAX 1.10", "TOTAL 12.30 EUR"]
        lines = tuple(
            OcrLine(
                text=text,
                confidence=0.95,
                box=((0, 20 * i), (200, 20 * i), (200, 20 * i + 15), (0, 20 * i + 15)),
            )
            for i, text in enumerate(rows)
        )
        return OcrOutput(
            lines=lines, engine=self.name, engine_version=self.version, seconds=0.01, pages=1
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Account:
    company: str
    email: str
    password: str
    token: str


class LiveServer:
    """The real server on ``127.0.0.1:port``; :meth:`start` / :meth:`stop` any number of times."""

    def __init__(self, data_dir: Path, *, port: int | None = None, workers: int = 2) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        data_dir.mkdir(parents=True, exist_ok=True)
        (data_dir / CONFIG_FILENAME).write_text(json.dumps({"plans": PLANS}), encoding="utf-8")
        self.ctx = ServerContext.open(data_dir, poll_interval=0.2)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> LiveServer:
        app = create_app(self.ctx, engine=ReceiptEngine(), workers=self.workers)
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
            lifespan="on",
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            thread.join(0.01)
        self._server, self._thread, self._sock = server, thread, sock
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=15)
        self._sock.close()
        self._server = self._thread = None

    def close(self) -> None:
        self.stop()
        self.ctx.close()

    # -- accounts and inspection ------------------------------------------------------

    def add_account(self, *, plan: str = "enterprise", name: str = "acme") -> Account:
        self.ctx.accounts.add_company(name, plan=plan)
        email = f"clerk@{name}.test"
        password = f"pw-{name}-123"
        _, token = self.ctx.accounts.add_user(email, company=name, password=password)
        return Account(company=name, email=email, password=password, token=token)

    def revoke_token(self, token: str) -> None:
        """The token expires (the user may sign in again)."""
        with self.ctx.db.transaction() as tx:
            tx.execute(
                "UPDATE tokens SET revoked_at = ? WHERE token_hash = ?",
                ("2026-01-01T00:00:00.000000Z", hash_token(token)),
            )

    def jobs(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.ctx.db.read().execute("SELECT * FROM jobs")]

    def media(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.ctx.db.read().execute("SELECT * FROM media")]


def receipt_png(seed: int | str, *, size: tuple[int, int] = (120, 160)) -> bytes:
    """A small PNG unique to ``seed`` (so every capture is a different document)."""
    digest = hashlib.sha256(str(seed).encode()).digest()
    img = Image.new("RGB", size, (250, 250, 245))
    draw = ImageDraw.Draw(img)
    for i in range(6):
        y = 10 + i * 22
        draw.rectangle((10, y, 30 + digest[i] % 80, y + 8), fill=tuple(digest[i + 6 : i + 9]))
    draw.text((10, 140), str(seed)[:12], fill="black")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def client_context(
    folder: Path, server_url: str, *, clock: ManualClock | None = None
) -> AppContext:
    """A client data dir pointed at the server (the token is not stored here)."""
    ctx = AppContext.open(folder, clock=clock)
    ctx.save_settings(ctx.settings.with_changes(server_url=server_url))
    return ctx


def capture(
    ctx: AppContext, count: int, *, start: int = 0, size: tuple[int, int] = (120, 160)
) -> list[str]:
    """``count`` real captures through the capture service; returns the job ids."""
    service = ctx.capture_service()
    ids = []
    for n in range(start, start + count):
        result = service.capture(receipt_png(n, size=size), name=f"receipt-{n}.png")
        assert result.job is not None, result
        ids.append(result.job.id)
    return ids


def capture_folder(ctx: AppContext, folder: Path, count: int) -> list[str]:
    """``count`` PNG files written to ``folder`` and captured as one batch (parallel)."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        (folder / f"receipt-{n:04d}.png").write_bytes(receipt_png(n))
    batch = ctx.capture_service().capture_batch([folder])
    ids = [r.job.id for r in batch.captured if r.job is not None]
    assert len(ids) == count, batch.to_dict()
    return ids


class FastForward:
    """The engine's sleeper in tests: moves the manual clock instead of sleeping.

    A wait of ``s`` seconds advances the clock by ``s`` at once, and only waits
    (on the wake event, a few ms at most) so the server threads can answer.
    """

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.waited: list[float] = []

    def __call__(self, seconds: float, wake: threading.Event) -> None:
        self.waited.append(seconds)
        if not wake.wait(0.01):
            self.clock.advance(min(seconds, 60.0))


def make_engine(
    ctx: AppContext,
    url: str,
    token: str,
    *,
    clock: ManualClock,
    events: list[SyncEvent] | None = None,
    options: EngineOptions | None = None,
    transport: httpx.BaseTransport | None = None,
) -> SyncEngine:
    client = ApiClient(base_url=url, token=token, transport=transport)
    sink = events if events is not None else []
    return SyncEngine(
        store=ctx.store,
        company_id=ctx.company_id,
        client=client,
        clock=clock,
        listener=sink.append,
        upload_file=ctx.media_library().upload_file,
        delete_after_ocr=ctx.media_library().delete_after_ocr,
        options=options or EngineOptions(),
        sleeper=FastForward(clock),
        stream_wait=lambda wake, seconds: wake.wait(min(seconds, 0.05)),
    )


POLLING_ONLY = EngineOptions(use_events=False, poll_interval=timedelta(hours=1))
"""No event stream and (on the test's clock) hardly any polling: only the outbox moves."""


@dataclass
class SyncedClient:
    """A client data dir with its sync engine, and what the tests look at."""

    ctx: AppContext
    engine: SyncEngine
    outbox: OutboxRepository
    jobs: JobService

    def drain(self, what: str = "the outbox drained") -> None:
        run_until(self.engine, lambda: self.outbox.count() == 0, what=what)


@contextlib.contextmanager
def synced_client(
    folder: Path,
    url: str,
    token: str,
    *,
    clock: ManualClock,
    options: EngineOptions = POLLING_ONLY,
    transport: httpx.BaseTransport | None = None,
) -> Iterator[SyncedClient]:
    """:func:`client_context` plus :func:`make_engine`, all closed at the end."""
    ctx = client_context(folder, url, clock=clock)
    try:
        engine = make_engine(ctx, url, token, clock=clock, options=options, transport=transport)
        try:
            outbox = OutboxRepository(ctx.store, company_id=ctx.company_id)
            yield SyncedClient(ctx, engine, outbox, ctx.job_service())
        finally:
            engine.close()
            engine.client.close()
    finally:
        ctx.close()


def run_until(
    engine: SyncEngine, done: Callable[[], bool], *, timeout: float = 30.0, what: str = "sync"
) -> None:
    """Step the engine (waits fast-forwarded) until ``done()``; bounded in real time."""
    deadline = time.monotonic() + timeout
    while True:
        due = engine.step()
        if done():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what} (state {engine.state})")
        engine.wait(engine.seconds_until(due) if due else 1.0)


def now_utc() -> datetime:
    return datetime.now(UTC)
