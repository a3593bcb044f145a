"""Ingest: capture cost per image and batch rate, against a bare decode in the same run.

Inputs, generated: 12-megapixel phone photos (4000x3000 JPEG, EXIF orientation 1, 3,
6 or 8) and 300-dpi A4 scans (2480x3508 JPEG). Each file gets a unique comment
segment so every capture is new work (no duplicate shortcut).

Figures printed, per kind:
- bare: ``Image.open(f).load()`` of each original, ms per image (the baseline);
- single: ``CaptureService.capture(path)`` one file at a time, durable (files fsync'ed,
  rows committed with synchronous=FULL), ms per image and its ratio to bare
  (target for photos: <= 2.5);
- batch: ``capture_batch`` of the whole folder (thread pool + one writer), images per
  second and its ratio to the single-image rate (target: >= 1.6 on 2 cores).

Run: .venv/bin/python benchmarks/bench_ingest.py [--n 50] [--workers N]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import struct
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image, ImageDraw

from ocr_desk.core import SystemClock
from ocr_desk.media import MediaLibrary
from ocr_desk.services import CaptureService, JobService
from ocr_desk.store import open_store

COMPANY = "bench"
PHOTO = (4000, 3000)
A4_300DPI = (2480, 3508)


def photo(seed: int) -> Image.Image:
    """A photo-like picture: soft noise, paper with text strokes, sensor noise."""
    rnd = random.Random(seed)
    w, h = PHOTO
    base = Image.effect_noise((w // 8, h // 8), 40).convert("RGB").resize((w, h), Image.BICUBIC)
    draw = ImageDraw.Draw(base)
    draw.rectangle((w // 4, h // 10, 3 * w // 4, 9 * h // 10), fill=(236, 232, 225))
    for _ in range(300):
        x, y = rnd.randrange(w // 4, 3 * w // 4 - 300), rnd.randrange(h // 10, 9 * h // 10 - 40)
        draw.text((x, y), "TOTAL 12.30 EUR", fill=(40, 40, 40), font_size=rnd.randrange(24, 60))
    return Image.blend(base, Image.effect_noise((w, h), 14).convert("RGB"), 0.2)


def scan(seed: int) -> Image.Image:
    """A 300-dpi A4 page: white paper, lines of text, a little scanner noise."""
    rnd = random.Random(seed)
    page = Image.new("RGB", A4_300DPI, (250, 250, 248))
    draw = ImageDraw.Draw(page)
    for y in range(250, A4_300DPI[1] - 250, 60):
        words = " ".join(
            rnd.choice(["Invoice", "Qty", "12.30", "VAT", "Total", "EUR", "Item"])
            for _ in range(12)
        )
        draw.text((200, y), words, fill=(20, 20, 20), font_size=34)
    return Image.blend(page, Image.effect_noise(A4_300DPI, 8).convert("RGB"), 0.08)


def with_comment(jpeg: bytes, text: str) -> bytes:
    """The same JPEG with a COM segment after SOI: same pixels, different SHA-256."""
    payload = text.encode()
    return jpeg[:2] + b"\xff\xfe" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def generate(folder: Path, kind: str, n: int) -> list[Path]:
    folder.mkdir(parents=True)
    bases: list[bytes] = []
    for seed, orientation in enumerate((6, 1, 8, 3) if kind == "photos" else (1, 1)):
        image = photo(seed) if kind == "photos" else scan(seed)
        exif = Image.Exif()
        exif[0x0112] = orientation
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=90, exif=exif.tobytes())
        bases.append(buffer.getvalue())
    paths = []
    for i in range(n):
        path = folder / f"{kind}-{i:03}.jpg"
        path.write_bytes(with_comment(bases[i % len(bases)], f"{kind} {i}"))
        paths.append(path)
    return paths


def service(data_dir: Path, workers: int) -> CaptureService:
    store = open_store(data_dir / "ocr-desk.sqlite3")
    clock = SystemClock()
    library = MediaLibrary(store, company_id=COMPANY, root=data_dir / "media", clock=clock)
    jobs = JobService(store, company_id=COMPANY, clock=clock)
    return CaptureService(library=library, jobs=jobs, clock=clock, workers=workers)


def bare(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        with Image.open(path) as image:
            image.load()
    return (time.perf_counter() - start) / len(paths)


def single(paths: list[Path], data_dir: Path, workers: int) -> float:
    capture = service(data_dir, workers)
    start = time.perf_counter()
    for path in paths:
        capture.capture(path)
    elapsed = time.perf_counter() - start
    capture.store.close()
    return elapsed / len(paths)


def batch(folder: Path, n: int, data_dir: Path, workers: int) -> float:
    capture = service(data_dir, workers)
    start = time.perf_counter()
    result = capture.capture_batch([folder])
    elapsed = time.perf_counter() - start
    capture.store.close()
    if len(result.captured) != n:
        sys.exit(f"batch captured {len(result.captured)} of {n}: {result.rejected[:1]}")
    return n / elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="images per kind (default 50)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--kinds", default="photos,scans")
    args = parser.parse_args()
    print(
        f"ingest benchmark: {args.n} images per kind, {args.workers} workers, {os.cpu_count()} CPUs"
    )
    header = (
        f"{'kind':<8}{'bare ms':>9}{'single ms':>11}{'ratio':>7}"
        f"{'single/s':>10}{'batch/s':>9}{'batch/single':>14}"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        root = Path(tmp)
        for kind in args.kinds.split(","):
            paths = generate(root / kind, kind, args.n)
            bare(paths[:2])  # warm the page cache and the decoder
            base = bare(paths)
            one = single(paths, root / f"single-{kind}", args.workers)
            rate = batch(root / kind, args.n, root / f"batch-{kind}", args.workers)
            rows.append(
                f"{kind:<8}{base * 1000:>9.1f}{one * 1000:>11.1f}{one / base:>7.2f}"
                f"{1 / one:>10.2f}{rate:>9.2f}{rate * one:>14.2f}"
            )
    print(header)
    for row in rows:
        print(row)
    print("targets: photos single ratio <= 2.5 (vs bare decode); batch/single >= 1.6")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
