"""OCR server throughput on loopback, each figure beside a baseline measured in the same run.

1. API: ``POST /v1/media`` + ``POST /v1/jobs`` requests per second with small generated
   PNGs (SQLite, one uvicorn process), beside a bare uvicorn ASGI endpoint that only
   writes the body to disk. Ratio target >= 0.5. Also ``POST /v1/captures`` (the file
   and its job in one request, what the desktop client sends) per second, against the
   same baseline.
2. Worker: jobs per minute of one worker (claim, load pages, RapidOCR, extraction,
   result + cost) beside the bare engine call on the same images. Overhead target <= 1.1x.

Run: PYTHONPATH=. python benchmarks/bench_server.py [--requests N] [--images N]
"""

from __future__ import annotations

import argparse
import io
import socket
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ocr_desk.server.api import create_app  # noqa: E402
from ocr_desk.server.config import DEFAULT_PLANS  # noqa: E402
from ocr_desk.server.context import ServerContext  # noqa: E402
from ocr_desk.server.ocr import get_engine, load_pages  # noqa: E402
from ocr_desk.server.worker import Worker  # noqa: E402


def small_png(n: int) -> bytes:
    img = Image.new("RGB", (320, 240), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.text((10, 10), f"receipt {n}", fill="black")
    draw.rectangle((10, 40, 10 + n % 200, 60), fill=(n % 255, 80, 160))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def receipt(n: int) -> bytes:
    img = Image.new("RGB", (620, 520), "white")
    draw = ImageDraw.Draw(img)
    from PIL import ImageFont

    face = ImageFont.load_default(size=26)
    rows = [
        f"SHOP NUMBER {n}",
        "Coffee 3.50",
        "Bagel 2.75",
        f"Item {n} 1.{n % 10}0",
        "TOTAL 7.35",
        "THANK YOU",
    ]
    for i, row in enumerate(rows):
        draw.text((40, 30 + i * 75), row, fill="black", font=face)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    return out.getvalue()


class Served:
    def __init__(self, app: Any) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", access_log=False, lifespan="auto")
        )
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def __enter__(self) -> Served:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join()
        self.sock.close()


def bare_app(folder: Path) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        with (folder / uuid.uuid4().hex).open("wb") as out:
            more = True
            while more:
                message = await receive()
                out.write(message.get("body", b""))
                more = message.get("more_body", False)
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"ok":true}'})

    return app


def bench_api(requests: int, root: Path, rounds: int = 3) -> tuple[float, float, float]:
    """Best rate of each over alternating rounds (the machine is shared: noise only slows)."""
    bare_dir = root / "bare"
    bare_dir.mkdir()
    plans = dict(DEFAULT_PLANS)
    plans["enterprise"] = replace(plans["enterprise"], uploads_per_hour=None)
    ctx = ServerContext.open(root / "srv", plans=plans)
    ctx.accounts.add_company("bench", plan="enterprise")
    _, token = ctx.accounts.add_user("bench@bench.test", company="bench")
    headers = {"Authorization": f"Bearer {token}"}
    bare_best = ours_best = captures_best = 0.0
    seed = 0
    try:
        with (
            Served(bare_app(bare_dir)) as bare,
            Served(create_app(ctx)) as ours,
            httpx.Client(base_url=bare.url) as plain,
            httpx.Client(base_url=ours.url, headers=headers) as client,
        ):
            for n in range(10):  # warm up both
                plain.post("/upload", files={"file": ("w.png", small_png(n))})
                client.post("/v1/media", files={"file": ("w.png", small_png(10_000 + n))})
            for _ in range(rounds):
                images = [small_png(seed + n) for n in range(requests)]
                seed += requests
                start = time.perf_counter()
                for body in images:
                    plain.post("/upload", files={"file": ("r.png", body)})
                bare_best = max(bare_best, requests / (time.perf_counter() - start))
                start = time.perf_counter()
                for body in images:
                    media = client.post("/v1/media", files={"file": ("r.png", body)})
                    assert media.status_code == 201, media.text
                    job = client.post("/v1/jobs", json={"media_id": media.json()["id"]})
                    assert job.status_code == 201, job.text
                ours_best = max(ours_best, 2 * requests / (time.perf_counter() - start))
                images = [small_png(seed + n) for n in range(requests)]
                seed += requests
                start = time.perf_counter()
                for body in images:
                    made = client.post(
                        "/v1/captures",
                        files={"file": ("r.png", body)},
                        headers={"Idempotency-Key": str(uuid.uuid4())},
                    )
                    assert made.status_code == 201, made.text
                captures_best = max(captures_best, requests / (time.perf_counter() - start))
    finally:
        ctx.close()
    return ours_best, captures_best, bare_best


def bench_worker(count: int, root: Path) -> tuple[float, float]:
    engine = get_engine("rapidocr")
    files = [receipt(n) for n in range(count)]
    engine.recognize(load_pages(files[0]))  # warm up both runs alike
    start = time.perf_counter()
    for data in files:
        engine.recognize(load_pages(data))
    bare = time.perf_counter() - start

    ctx = ServerContext.open(root / "wrk")
    ctx.accounts.add_company("w", plan="enterprise")
    ctx.accounts.add_user("w@w.test", company="w")
    try:
        from ocr_desk.server.records import Company, Principal

        company = ctx.accounts.company_by_name("w")
        user = ctx.db.read().one("SELECT id FROM users")
        assert user is not None
        principal = Principal(
            user_id=user["id"],
            email="w@w.test",
            company=Company(id=company.id, name="w", plan="enterprise"),
        )
        for data in files:
            pending = ctx.media.receive(io.BytesIO(data))
            media, _ = ctx.media.store(
                principal, pending, document_type="receipt", captured_at=None, original_name=None
            )
            ctx.jobs.create_job(company.id, media_id=media.id)
        worker = Worker(ctx.db, engine, config=ctx.config, clock=ctx.clock)
        start = time.perf_counter()
        while worker.run_once():
            pass
        ours = time.perf_counter() - start
        assert ctx.jobs.queue_status(company.id).completed24h == count
    finally:
        ctx.close()
    return count / ours * 60, count / bare * 60


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--images", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ours, captures, bare = bench_api(args.requests, root)
        print(
            f"API: {ours:.0f} req/s (media + job POSTs) vs bare uvicorn write-to-disk "
            f"{bare:.0f} req/s -> ratio {ours / bare:.2f} (target >= 0.5)"
        )
        print(
            f"API: {captures:.0f} captures/s (file + job, keyed, one request each) "
            f"-> ratio {captures / bare:.2f} to the same bare endpoint"
        )
        if not args.images:
            return 0
        jobs, engine = bench_worker(args.images, root)
        print(
            f"worker: {jobs:.1f} jobs/min vs bare engine (load + recognize) {engine:.1f}/min "
            f"-> overhead {engine / jobs:.2f}x (target <= 1.1x)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
