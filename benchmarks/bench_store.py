"""Local store: durable job creation rate and queue_status() at 1,000,000 jobs.

Figures printed:
- durable job creations per second (job row + event + outbox row, one transaction
  each, WAL + synchronous=FULL), beside a bare sqlite3 loop inserting one row per
  transaction with the same pragmas, in the same run (ratio; target >= 0.8);
- queue_status() time with 1,000,000 jobs, mostly completed (target < 2 ms).

The two loops alternate ``--rounds`` times (fresh files each time) and the round
with the median ratio is printed, so one burst of someone else's disk traffic does
not decide the figure. ``--detail`` adds where the time goes: WAL bytes fsync'ed
per commit, CPU per commit with synchronous=OFF, and the bare loop with our page size.

Run: .venv/bin/python benchmarks/bench_store.py [--jobs N] [--rows 1000000] [--detail]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from ocr_desk.core import ManualClock, format_ts
from ocr_desk.services import JobService
from ocr_desk.store import open_store
from ocr_desk.store.database import PAGE_SIZE

COMPANY = "bench"


@dataclass(frozen=True)
class Run:
    """One timed loop: commits per second, CPU seconds per commit, WAL bytes per commit.

    ``wal_bytes`` is only meaningful with ``measure_wal`` (no checkpoint restarting the WAL).
    """

    rate: float
    cpu: float
    wal_bytes: float


def _wal_size(db: Path) -> int:
    wal = Path(f"{db}-wal")
    return wal.stat().st_size if wal.exists() else 0


def bare_insert_rate(
    folder: Path,
    n: int,
    *,
    synchronous: str = "FULL",
    page_size: int | None = None,
    measure_wal: bool = False,
) -> Run:
    """The baseline: plain sqlite3, one row per transaction, WAL, SQLite's default pages."""
    db = folder / f"bare-{uuid.uuid4().hex[:8]}.sqlite3"
    conn = sqlite3.connect(db, isolation_level=None)
    if page_size is not None:
        conn.execute(f"PRAGMA page_size = {page_size}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")
    conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, company_id TEXT, status TEXT, at TEXT)")
    if measure_wal:  # no checkpoint, so the WAL's growth is what the commits wrote
        conn.execute("PRAGMA wal_autocheckpoint = 0")
    rows = [(str(uuid.uuid4()), COMPANY, str(i)) for i in range(n)]
    wal_before = _wal_size(db)
    cpu = time.process_time()
    start = time.perf_counter()
    for row in rows:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?, 'queued', ?)", row)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    wal = _wal_size(db) - wal_before
    conn.close()
    return Run(rate=n / elapsed, cpu=cpu / n, wal_bytes=wal / n)


def job_creation_rate(
    folder: Path, n: int, *, synchronous: str = "FULL", measure_wal: bool = False
) -> Run:
    """JobService.create_job on the real store: job, first event and outbox row per commit."""
    clock = ManualClock()
    db = folder / f"jobs-{uuid.uuid4().hex[:8]}.sqlite3"
    store = open_store(db, synchronous=synchronous)
    now = format_ts(clock.now())
    assets = [str(uuid.uuid4()) for _ in range(n)]
    with store.write():
        store.conn.executemany(
            "INSERT INTO media_assets (id, company_id, sha256, document_type, captured_at,"
            " created_at) VALUES (?, ?, ?, 'receipt', ?, ?)",
            [(a, COMPANY, a, now, now) for a in assets],
        )
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # start from an empty WAL
    if measure_wal:
        store.conn.execute("PRAGMA wal_autocheckpoint = 0")
    service = JobService(store, company_id=COMPANY, clock=clock)
    wal_before = _wal_size(db)
    cpu = time.process_time()
    start = time.perf_counter()
    for asset in assets:
        service.create_job(media_asset_id=asset)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    wal = _wal_size(db) - wal_before
    store.close()
    return Run(rate=n / elapsed, cpu=cpu / n, wal_bytes=wal / n)


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


def creation_figures(folder: Path, n: int, rounds: int, *, detail: bool) -> None:
    """Bare loop and job creation, alternated ``rounds`` times; the median round counts.

    With ``detail`` each round also runs the bare loop with our page size, so the
    effect of the page size on the baseline itself is in plain sight.
    """
    runs = []
    for _ in range(rounds):
        bare = bare_insert_rate(folder, n)
        ours = job_creation_rate(folder, n)
        small = bare_insert_rate(folder, n, page_size=PAGE_SIZE) if detail else bare
        runs.append((bare, ours, small))
    runs.sort(key=lambda r: r[1].rate / r[0].rate)
    bare, ours, _ = runs[len(runs) // 2]
    print(f"durable job creation: {ours.rate:8.0f} jobs/s (job + event + outbox row, FULL sync)")
    print(f"bare sqlite3 insert : {bare.rate:8.0f} rows/s (one row per transaction, FULL sync)")
    print(f"ratio               : {ours.rate / bare.rate:8.2f} (target >= 0.8)")
    if rounds > 1:
        ratios = " ".join(f"{o.rate / b.rate:.2f}" for b, o, _ in runs)
        print(f"  ratio of each round, sorted: {ratios} (the median is shown above)")
    if not detail:
        return
    # Where the time goes: WAL bytes each commit fsyncs, and CPU per commit with the
    # fsync taken away (synchronous=OFF), both loops as above.
    off_ours = [job_creation_rate(folder, n, synchronous="OFF", measure_wal=True) for _ in "abc"]
    off_bare = [bare_insert_rate(folder, n, synchronous="OFF", measure_wal=True) for _ in "abc"]
    small_wal = bare_insert_rate(
        folder, n, synchronous="OFF", page_size=PAGE_SIZE, measure_wal=True
    )
    print(
        f"  WAL per commit: {off_ours[0].wal_bytes / 1024:5.1f} KB ours, "
        f"{off_bare[0].wal_bytes / 1024:5.1f} KB bare"
    )
    print(
        "  CPU per commit (synchronous=OFF, best of 3): "
        f"{min(r.cpu for r in off_ours) * 1e6:5.0f} us ours, "
        f"{min(r.cpu for r in off_bare) * 1e6:5.0f} us bare"
    )
    small = sorted(r[2].rate / r[0].rate for r in runs)[len(runs) // 2]
    print(
        f"  for reference, the bare loop with our {PAGE_SIZE} B pages: {small:.2f} x the bare"
        f" loop's rate ({small_wal.wal_bytes / 1024:.1f} KB WAL per commit)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2000, help="durable creations to time")
    parser.add_argument("--rows", type=int, default=1_000_000, help="jobs for queue_status()")
    parser.add_argument(
        "--rounds", type=int, default=3, help="alternate the two loops this often (median shown)"
    )
    parser.add_argument("--detail", action="store_true", help="WAL bytes and CPU per commit")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        creation_figures(folder, args.jobs, max(1, args.rounds), detail=args.detail)
        if args.rows <= 0:
            return 0
        median, counts = queue_status_time(folder, args.rows)
        print(f"queue_status() at {args.rows:,} jobs: {median * 1000:.3f} ms median (target < 2)")
        print(f"  counts: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
