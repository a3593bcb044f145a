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

Wall clock and this process's CPU time are both printed: on a shared machine the
wall-clock ratios depend on how much CPU the other programs leave us ("cores used"),
while the CPU-time ratios show the pipeline's own cost.

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


class Timer:
    """Wall time and this process's CPU time (all threads) of a block."""

    def __enter__(self) -> Timer:
        self._cpu = _cpu()
        self._wall = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall
        self.cpu = _cpu() - self._cpu


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def bare(paths: list[Path]) -> Timer:
    with Timer() as timer:
        for path in paths:
            with Image.open(path) as image:
                image.load()
    return timer


def single(paths: list[Path], data_dir: Path, workers: int) -> Timer:
    capture = service(data_dir, workers)
    with Timer() as timer:
        for path in paths:
            capture.capture(path)
    capture.store.close()
    return timer


def batch(folder: Path, n: int, data_dir: Path, workers: int) -> Timer:
    capture = service(data_dir, workers)
    with Timer() as timer:
        result = capture.capture_batch([folder])
    capture.store.close()
    if len(result.captured) != n:
        sys.exit(f"batch captured {len(result.captured)} of {n}: {result.rejected[:1]}")
    return timer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="images per kind (default 50)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--kinds", default="photos,scans")
    args = parser.parse_args()
    print(
        f"ingest benchmark: {args.n} images per kind, {args.workers} workers, {os.cpu_count()} CPUs"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        root = Path(tmp)
        for kind in args.kinds.split(","):
            paths = generate(root / kind, kind, args.n)
            bare(paths[:2])  # warm the page cache and the decoder
            n = args.n
            base = bare(paths)
            one = single(paths, root / f"single-{kind}", args.workers)
            many = batch(root / kind, n, root / f"batch-{kind}", args.workers)
            rows.append((kind, n, base, one, many))
    print("wall clock (what a user waits for):")
    print(
        f"  {'kind':<8}{'bare ms/img':>12}{'single ms/img':>14}{'ratio':>7}"
        f"{'single img/s':>13}{'batch img/s':>12}{'batch/single':>13}"
    )
    for kind, n, base, one, many in rows:
        print(
            f"  {kind:<8}{base.wall / n * 1000:>12.1f}{one.wall / n * 1000:>14.1f}"
            f"{one.wall / base.wall:>7.2f}{n / one.wall:>13.2f}{n / many.wall:>12.2f}"
            f"{one.wall / many.wall:>13.2f}"
        )
    print("CPU time of this process (all threads; steady when other programs load the machine):")
    print(
        f"  {'kind':<8}{'bare ms/img':>12}{'single ms/img':>14}{'ratio':>7}{'batch ms/img':>13}"
        f"{'cores used: single':>20}{'batch':>7}"
    )
    for kind, n, base, one, many in rows:
        print(
            f"  {kind:<8}{base.cpu / n * 1000:>12.1f}{one.cpu / n * 1000:>14.1f}"
            f"{one.cpu / base.cpu:>7.2f}{many.cpu / n * 1000:>13.1f}"
            f"{one.cpu / one.wall:>20.2f}{many.cpu / many.wall:>7.2f}"
        )
    print(
        "targets: photos single wall ratio <= 2.5 (vs bare decode); batch/single >= 1.6 "
        "(needs the second core free: see 'cores used')"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
