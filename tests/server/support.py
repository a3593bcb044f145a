"""What the server tests share: a real PostgreSQL (pgserver), live servers on loopback,
companies with tokens, Pillow-made images, and small engines that obey the OcrEngine protocol.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import psycopg
import uvicorn
from PIL import Image, ImageDraw

from ocr_desk.core import Clock
from ocr_desk.server.api import create_app
from ocr_desk.server.config import DEFAULT_PLANS, Plan
from ocr_desk.server.context import ServerContext
from ocr_desk.server.ocr import OcrEngine

REPO = Path(__file__).resolve().parents[2]
_PG: dict[str, Any] = {}
_PG_LOCK = threading.Lock()


def pg_admin_url() -> str:
    """A PostgreSQL server for this test session, started once (pgserver ships the binaries)."""
    with _PG_LOCK:
        if "server" not in _PG:
            folder = tempfile.mkdtemp(prefix="ocr-desk-pg-")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR
                import pgserver

                _PG["server"] = pgserver.get_server(folder, cleanup_mode="delete")
        return str(_PG["server"].get_uri())


@contextlib.contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database of ``backend``, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'server.sqlite3'}"
        return
    admin = pg_admin_url()
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    base, _, query = admin.partition("?")
    try:
        yield f"{base.rsplit('/', 1)[0]}/{name}?{query}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def png(seed: int | str, *, size: tuple[int, int] = (64, 48), text: str | None = None) -> bytes:
    """A small PNG unique to ``seed``."""
    digest = hashlib.sha256(str(seed).encode()).digest()
    img = Image.new("RGB", size, tuple(digest[:3]))
    draw = ImageDraw.Draw(img)
    draw.rectangle((2, 2, 10 + digest[3] % 40, 10 + digest[4] % 30), fill=tuple(digest[5:8]))
    if text:
        draw.text((4, 4), text, fill="black")
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


@dataclass
class Account:
    company_id: str
    company: str
    email: str
    token: str
    password: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def add_account(
    ctx: ServerContext, *, plan: str = "enterprise", name: str | None = None
) -> Account:
    name = name or f"co-{uuid.uuid4().hex[:8]}"
    company = ctx.accounts.add_company(name, plan=plan)
    email = f"{uuid.uuid4().hex[:8]}@{name}.test"
    _, token = ctx.accounts.add_user(email, company=name, password="pw-" + name)
    return Account(company.id, name, email, token, "pw-" + name)


class LiveServer:
    """The real app under uvicorn in a thread, on a free loopback port."""

    def __init__(self, ctx: ServerContext, *, engine: OcrEngine | None = None, workers: int = 0):
        self.ctx = ctx
        app = create_app(ctx, engine=engine, workers=workers)
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, timeout_graceful_shutdown=1, lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()

    def client(self, account: Account | None = None, **kw: Any) -> httpx.Client:
        headers = account.headers if account else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30, **kw)


def wait_until(check: Callable[[], Any], *, timeout: float = 30, what: str = "condition") -> Any:
    """Poll ``check`` until it returns something truthy, for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def start_worker(
    data_dir: Path,
    database_url: str,
    *,
    engine: str,
    env: dict[str, str],
    extra: tuple[str, ...] = (),
) -> subprocess.Popen[str]:
    """An ``ocr-desk-server worker`` process; returns once it says it is ready."""
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **env}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ocr_desk.server.cli",
            "--data-dir",
            str(data_dir),
            "--database",
            database_url,
            "worker",
            "--engine",
            engine,
            "--poll-interval",
            "0.2",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=full_env,
        cwd=REPO,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "worker ready" not in line:
        proc.kill()
        raise AssertionError(
            f"worker did not start: {line} {proc.stderr.read() if proc.stderr else ''}"
        )
    return proc


def stop_worker(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def unlimited_plans() -> dict[str, Plan]:
    """The default plans, except that "enterprise" uploads without an hourly limit."""
    plans = dict(DEFAULT_PLANS)
    plans["enterprise"] = replace(plans["enterprise"], uploads_per_hour=None)
    return plans


def open_ctx(
    data_dir: Path, url: str, clock: Clock | None = None, **overrides: Any
) -> ServerContext:
    return ServerContext.open(data_dir, database_url=url, clock=clock, **overrides)
