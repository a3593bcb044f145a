"""Fixtures of the GUI tests: a real data dir, an AppContext and the main window on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from ocr_desk.app import AppContext
from ocr_desk.core import JobType, ManualClock, format_ts
from ocr_desk.store import MediaRepository, Store, new_id


@pytest.fixture
def ctx(tmp_path: Path, clock: ManualClock) -> Iterator[AppContext]:
    with AppContext.open(tmp_path / "data", clock=clock) as opened:
        yield opened


def add_jobs(ctx: AppContext, n: int, *, store: Store | None = None) -> list[str]:
    """``n`` queued jobs, each on its own media asset, captured one second apart."""
    store = store or ctx.store
    service = ctx.job_service(store)
    media = MediaRepository(store, company_id=ctx.company_id)
    base = ctx.clock.now()
    ids: list[str] = []
    with store.write():
        for i in range(n):
            when = base - timedelta(seconds=n - i)
            asset = media.insert(
                sha256=(new_id().replace("-", "") * 2)[:64],
                document_type=JobType.RECEIPT,
                captured_at=when,
                created_at=when,
                size_bytes=1000 + i,
                mime_type="image/jpeg",
                original_name=f"receipt-{i:05d}.jpg",
            )
            job = service.create_job(media_asset_id=asset.id, job_type=JobType.RECEIPT)
            ids.append(job.id)
    return ids


def bulk_jobs(ctx: AppContext, n: int) -> None:
    """Many jobs fast (raw inserts in one transaction) for the list's scale tests."""
    now = ctx.clock.now()
    assets = []
    jobs = []
    for i in range(n):
        ts = format_ts(now - timedelta(seconds=n - i))
        aid, jid = new_id(), new_id()
        assets.append((aid, ctx.company_id, f"{i:064x}", "receipt", f"r{i}.jpg", ts, ts))
        status = ("queued", "completed", "failed", "processing")[i % 4]
        jobs.append((jid, ctx.company_id, aid, "receipt", status, ts, ts, f"Shop {i % 97}", "9.99"))
    with ctx.store.write() as conn:
        conn.executemany(
            "INSERT INTO media_assets (id, company_id, sha256, document_type, original_name,"
            " captured_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            assets,
        )
        conn.executemany(
            "INSERT INTO ocr_jobs (id, company_id, media_asset_id, job_type, status, created_at,"
            " updated_at, merchant, total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            jobs,
        )


@pytest.fixture
def make_window(ctx: AppContext, qtbot):  # type: ignore[no-untyped-def]
    """Builds the main window (without sync unless asked), shown and started."""
    from ocr_desk.ui import build_window

    made = []

    def make(*, sync: bool = False, start: bool = True):  # type: ignore[no-untyped-def]
        window = build_window(ctx, sync=sync)
        qtbot.addWidget(window)
        made.append(window)
        if start:
            with qtbot.waitSignal(window.model.sig_loaded, timeout=10000):
                window.show()
                window.start()
        return window

    yield make
    for window in made:
        window.close()
        window.runner.shutdown()
