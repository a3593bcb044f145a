"""Fixtures every test package shares: an injected clock and real SQLite files in tmp_path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ocr_desk.core import JobType, ManualClock
from ocr_desk.services import JobService
from ocr_desk.store import MediaAsset, MediaRepository, Store, open_store

COMPANY = "acme"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 10, 9, 0, tzinfo=UTC))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "ocr-desk.sqlite3"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with open_store(db_path) as opened:
        yield opened


@pytest.fixture
def service(store: Store, clock: ManualClock) -> JobService:
    return JobService(store, company_id=COMPANY, clock=clock)


def add_asset(
    store: Store, clock: ManualClock, *, company_id: str = COMPANY, sha: str | None = None
) -> MediaAsset:
    """A media asset row to hang jobs on (the files are the media package's business)."""
    repo = MediaRepository(store, company_id=company_id)
    now = clock.now()
    with store.write():
        return repo.insert(
            sha256=sha or f"{repo.count():064x}",
            document_type=JobType.RECEIPT,
            captured_at=now,
            created_at=now,
            size_bytes=1234,
            mime_type="image/jpeg",
            original_name="receipt.jpg",
        )


@pytest.fixture
def asset(store: Store, clock: ManualClock) -> MediaAsset:
    return add_asset(store, clock)
