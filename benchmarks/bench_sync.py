"""Sync: captures per second through the outbox relay, against a bare httpx upload loop.

Figures printed:
- captures synced per second (outbox drained: the processed image and its job sent as
  one ``POST /v1/captures`` with its Idempotency-Key, the answer recorded in the local
  store), for N captures;
- the same processed files uploaded by a bare sequential httpx loop (one client,
  ``POST /v1/media`` only) to the same server in the same run: ratio (target >= 0.8);
- bytes uploaded per receipt (processed file) beside the original's size.

The server runs as its own process (``ocr-desk-server serve``, SQLite, no OCR workers,
no upload rate limit) on a free loopback port; captures are made before timing.

Run: .venv/bin/python benchmarks/bench_sync.py [--captures 500] [--size 900x1200]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from PIL import Image, ImageDraw

from ocr_desk.app import AppContext
from ocr_desk.core import SystemClock
from ocr_desk.server.context import ServerContext
from ocr_desk.store import MediaRepository, OutboxRepository
from ocr_desk.sync import ApiClient, EngineOptions, SyncEngine

REPO = Path(__file__).resolve().parents[1]


def receipt(seed: int, size: tuple[int, int]) -> bytes:
    """A receipt-like photo: paper, text-ish rows, some noise (so JPEG has work to do)."""
    rng = random.Random(seed)
    img = Image.new("RGB", size, (236, 232, 224))
    draw = ImageDraw.Draw(img)
    w, h = size
    for row in range(40, h - 40, 28):
        x = 40
        while x < w - 80:
            word = rng.randint(20, 90)
            shade = rng.randint(20, 70)
            draw.rectangle((x, row, x + word, row + 12), fill=(shade, shade, shade))
            x += word + rng.randint(8, 20)
    for _ in range(2000):
        x, y = rng.randrange(w), rng.randrange(h)
        draw.point((x, y), fill=(rng.randint(150, 255),) * 3)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92)
    return out.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(folder: Path) -> tuple[subprocess.Popen[bytes], str, list[str]]:
    folder.mkdir(parents=True)
    unlimited = {"jobs_per_month": None, "uploads_per_hour": None}
    (folder / "server.json").write_text(json.dumps({"plans": {"enterprise": unlimited}}))
    tokens = []
    with ServerContext.open(folder) as ctx:
        for name in ("relay", "bare"):
            ctx.accounts.add_company(name, plan="enterprise")
            tokens.append(ctx.accounts.add_user(f"bench@{name}.test", company=name)[1])
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ocr_desk.server.cli",
            "--data-dir",
            str(folder),
            "serve",
            "--port",
            str(port),
            "--ocr-workers",
            "0",
            "--log-level",
            "warning",
        ],
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url, tokens
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.1)


def bare_loop(client: httpx.Client, files: list[tuple[Path, str]]) -> float:
    """Seconds a plain sequential httpx loop takes to upload ``files`` (the baseline)."""
    start = time.perf_counter()
    for path, mime in files:
        with path.open("rb") as handle:
            response = client.post("/v1/media", files={"file": (path.name, handle, mime)})
        response.raise_for_status()
    return time.perf_counter() - start


def relay_drain(engine: SyncEngine, outbox: OutboxRepository) -> float:
    """Seconds the sync engine takes to drain the outbox (files + jobs, acknowledged)."""
    start = time.perf_counter()
    while outbox.count():
        due = engine.step()
        if outbox.count():
            engine.wait(engine.seconds_until(due))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captures", type=int, default=500)
    parser.add_argument("--size", default="900x1200", help="photo size WxH")
    parser.add_argument("--pool", type=int, default=4, help="uploads in flight")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        folder = Path(tmp)
        photos = folder / "photos"
        photos.mkdir()
        original_bytes = 0
        for n in range(args.captures):
            data = receipt(n, (size[0], size[1]))
            original_bytes += len(data)
            (photos / f"receipt-{n:04d}.jpg").write_bytes(data)
        proc, url, (relay_token, bare_token) = start_server(folder / "server")
        bare_s = relay_s = 0.0
        uploaded = 0
        try:
            with AppContext.open(folder / "client") as ctx:
                ctx.save_settings(ctx.settings.with_changes(server_url=url))
                client = ApiClient(base_url=url, token=relay_token)
                engine = SyncEngine(
                    store=ctx.store,
                    company_id=ctx.company_id,
                    client=client,
                    clock=SystemClock(),
                    upload_file=ctx.media_library().upload_file,
                    options=EngineOptions(
                        use_events=False, poll_interval=None, pool_size=args.pool
                    ),
                )
                outbox = OutboxRepository(ctx.store, company_id=ctx.company_id)
                library = ctx.media_library()
                bare = httpx.Client(
                    base_url=url, headers={"Authorization": f"Bearer {bare_token}"}, timeout=60
                )
                # Interleaved rounds (capture, bare loop, relay) so load drift on a shared
                # machine hits both sides alike.
                names = sorted(photos.iterdir())
                step = max(1, len(names) // args.rounds)
                for first in range(0, len(names), step):
                    batch = ctx.capture_service().capture_batch(names[first : first + step])
                    files = [library.upload_file(r.asset.id) for r in batch.captured if r.asset]
                    uploaded += sum(path.stat().st_size for path, _ in files)
                    bare_s += bare_loop(bare, files)
                    relay_s += relay_drain(engine, outbox)
                bare.close()
                engine.close()
                client.close()
                assert MediaRepository(ctx.store, company_id=ctx.company_id).count() == len(names)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    ours = args.captures / relay_s
    bare_rate = args.captures / bare_s
    print(f"captures synced: {args.captures} ({size[0]}x{size[1]} photos)")
    print(f"relay (file + job, acked):          {ours:8.1f} captures/s")
    print(f"bare httpx upload loop:             {bare_rate:8.1f} uploads/s")
    print(f"ratio relay / bare:                 {ours / bare_rate:8.2f}  (target >= 0.8)")
    print(
        f"bytes uploaded per receipt:         {uploaded / args.captures:8.0f}"
        f"  (original {original_bytes / args.captures:.0f}, "
        f"{uploaded / original_bytes:.0%} of it)"
    )


if __name__ == "__main__":
    main()
