"""Local store: durable job creation rate and queue_status() at 1,000,000 jobs.

Figures printed:
- durable job creations per second (job row + event + outbox row, one transaction
  each, WAL + synchronous=FULL), beside a bare sqlite3 loop inserting one row per
  transaction with the same pragmas, in the same run (ratio; target >= 0.8);
- queue_status() time with 1,000,000 jobs, mostly completed (target < 2 ms).

Run: .venv/bin/python benchmarks/bench_store.py [--jobs N] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from ocr_desk.core import ManualClock, format_ts
from ocr_desk.services import JobService
from ocr_desk.store import open_store

COMPANY = "bench"


def bare_insert_rate(folder: Path, n: int) -> float:
    conn = sqlite3.connect(folder / "bare.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, company_id TEXT, status TEXT, at TEXT)")
    start = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO t VALUES (?, ?, 'queued', ?)", (str(uuid.uuid4()), COMPANY, str(i))
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


def job_creation_rate(folder: Path, n: int) -> float:
    clock = ManualClock()
    store = open_store(folder / "jobs.sqlite3")
    now = format_ts(clock.now())
    assets = [str(uuid.uuid4()) for _ in range(n)]
    with store.write():
        store.conn.executemany(
            "INSERT INTO media_assets (id, company_id, sha256, document_type, captured_at,"
            " created_at) VALUES (?, ?, ?, 'receipt', ?, ?)",
            [(a, COMPANY, a, now, now) for a in assets],
        )
    service = JobService(store, company_id=COMPANY, clock=clock)
    start = time.perf_counter()
    for asset in assets:
        service.create_job(media_asset_id=asset)
    elapsed = time.perf_counter() - start
    store.close()
    return n / elapsed


def queue_status_time(folder: Path, rows: int) -> tuple[float, dict[str, int]]:
    clock = ManualClock()
    store = open_store(folder / "big.sqlite3", synchronous="OFF")
    # one job every 5 s, the newest an hour ago: the last 24 h hold ~17,000 completed jobs
    base = clock.now() - timedelta(seconds=rows * 5) - timedelta(hours=1)
    asset = str(uuid.uuid4())
    with store.write():
        store.conn.execute(
            "INSERT INTO media_assets (id, company_id, sha256, document_type, captured_at,"
            " created_at) VALUES (?, ?, ?, 'receipt', ?, ?)",
            (asset, COMPANY, asset, format_ts(base), format_ts(base)),
        )

    def batch(start: int, stop: int) -> list[tuple[str, ...]]:
        out = []
        for i in range(start, stop):
            at = base + timedelta(seconds=i * 5)
            ts = format_ts(at)
            if i % 1000 == 1:
                status = "queued"
            elif i % 1000 == 2:
                status = "processing"
            elif i % 1000 == 3:
                status = "failed"
            else:
                status = "completed"
            done = ts if status == "completed" else None
            out.append((f"job-{i:08d}", COMPANY, asset, status, ts, ts, done))
        return out

    step = 100_000
    for start in range(0, rows, step):
        with store.write():
            store.conn.executemany(
                "INSERT INTO ocr_jobs (id, company_id, media_asset_id, job_type, status,"
                " created_at, updated_at, completed_at) VALUES (?, ?, ?, 'receipt', ?, ?, ?, ?)",
                batch(start, min(rows, start + step)),
            )
    with store.write():
        store.conn.executemany(
            "INSERT INTO outbox (id, company_id, op, job_id, created_at) VALUES (?, ?, ?, ?, ?)",
            [
                (str(uuid.uuid4()), COMPANY, "create_job", f"job-{i:08d}", format_ts(base))
                for i in range(1, rows, 1000)
            ],
        )
    store.conn.execute("ANALYZE")
    service = JobService(store, company_id=COMPANY, clock=clock)
    service.queue_status()  # warm the cache
    times = []
    for _ in range(300):
        t0 = time.perf_counter()
        counts = service.queue_status()
        times.append(time.perf_counter() - t0)
    store.close()
    return statistics.median(times), counts.to_dict()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2000, help="durable creations to time")
    parser.add_argument("--rows", type=int, default=1_000_000, help="jobs for queue_status()")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bare = bare_insert_rate(folder, args.jobs)
        ours = job_creation_rate(folder, args.jobs)
        print(f"durable job creation: {ours:8.0f} jobs/s (job + event + outbox row, FULL sync)")
        print(f"bare sqlite3 insert : {bare:8.0f} rows/s (one row per transaction, FULL sync)")
        print(f"ratio               : {ours / bare:8.2f} (target >= 0.8)")
        median, counts = queue_status_time(folder, args.rows)
        print(f"queue_status() at {args.rows:,} jobs: {median * 1000:.3f} ms median (target < 2)")
        print(f"  counts: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
