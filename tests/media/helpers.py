"""Helpers for capture tests: a capture service over real SQLite and a real media folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocr_desk.core import ManualClock
from ocr_desk.media import MediaLibrary
from ocr_desk.services import CaptureService, JobService
from ocr_desk.store import Store

from ..conftest import COMPANY


def make_capture(
    store: Store, clock: ManualClock, root: Path, *, company_id: str = COMPANY, workers: int = 2
) -> CaptureService:
    library = MediaLibrary(store, company_id=company_id, root=root, clock=clock)
    jobs = JobService(store, company_id=company_id, clock=clock)
    return CaptureService(library=library, jobs=jobs, clock=clock, workers=workers)


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    return tmp_path / "data" / "media"


@pytest.fixture
def capture(store: Store, clock: ManualClock, media_root: Path) -> CaptureService:
    return make_capture(store, clock, media_root)


def disk_files(root: Path) -> dict[str, int]:
    """Every file under the media root (temporaries and trash included), with its size."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}


def referenced(store: Store) -> set[str]:
    return {r[0] for r in store.conn.execute("SELECT relpath FROM media_files")}
