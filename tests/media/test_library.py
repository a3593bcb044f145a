"""Retention, delete-after-OCR, refcount-safe deletion and exact storage usage."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from ocr_desk.core import ManualClock
from ocr_desk.media import MediaFileMissingError, NotYetProcessedError, VersionKind
from ocr_desk.services import CaptureService
from ocr_desk.store import MediaNotFoundError, OutboxOp, Store

from .. import imaging
from .helpers import disk_files, make_capture, referenced


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    return tmp_path / "data" / "media"


@pytest.fixture
def capture(store: Store, clock: ManualClock, media_root: Path) -> CaptureService:
    return make_capture(store, clock, media_root)


def usage_matches_disk(capture: CaptureService, media_root: Path) -> None:
    on_disk = disk_files(media_root)
    usage = capture.library.storage_usage()
    assert usage.total_bytes == sum(on_disk.values())
    assert usage.total_files == len(on_disk)
    first_version: dict[str, str] = {}
    for f in capture.store.query("SELECT version, relpath FROM media_files ORDER BY version"):
        first_version.setdefault(f["relpath"], f["version"])
    by_version: dict[str, int] = {}
    for rel, version in first_version.items():
        by_version[version] = by_version.get(version, 0) + on_disk[rel]
    assert {v: usage.bytes_of(v) for v in by_version} == by_version


def test_enforces_retention_policy(
    capture: CaptureService, clock: ManualClock, media_root: Path, store: Store
) -> None:
    old = capture.capture(imaging.jpeg(imaging.upright(seed=1)), name="old.jpg")
    clock.advance(timedelta(days=61))
    recent = capture.capture(imaging.jpeg(imaging.upright(seed=2)), name="recent.jpg")
    clock.advance(timedelta(days=30))  # old: 91 days, recent: 30 days
    assert old.asset is not None
    assert recent.asset is not None
    old_rows = capture.library.rows.for_asset(old.asset.id)
    old_files = [capture.library.files.path(f.relpath) for f in old_rows]
    assert all(p.exists() for p in old_files)

    report = capture.library.cleanup_expired(retention_days=90)

    assert report.assets_deleted == 1
    assert report.files_deleted == 4
    assert report.bytes_freed == sum(f.size_bytes for f in old_rows)
    assert not any(p.exists() for p in old_files)
    with pytest.raises(MediaNotFoundError):
        capture.library.assets.get(old.asset.id)
    assert capture.jobs.jobs.for_media(old.asset.id) == []
    assert capture.outbox.for_media(old.asset.id) == []
    # Preserves recent assets.
    assert capture.library.assets.get(recent.asset.id).original_name == "recent.jpg"
    assert capture.library.thumbnail_path(recent.asset.id).exists()
    assert set(disk_files(media_root)) == referenced(store)
    usage_matches_disk(capture, media_root)


def test_retention_can_be_switched_off(capture: CaptureService, clock: ManualClock) -> None:
    capture.capture(imaging.jpeg(), name="a.jpg")
    clock.advance(timedelta(days=400))
    assert capture.library.cleanup_expired(retention_days=None).assets_deleted == 0
    assert capture.library.assets.count() == 1
    assert capture.library.cleanup_expired(retention_days=365).assets_deleted == 1


def test_storage_usage_equals_bytes_on_disk(
    capture: CaptureService, media_root: Path, clock: ManualClock
) -> None:
    assert capture.library.storage_usage().total_bytes == 0
    results = [
        capture.capture(imaging.jpeg(imaging.upright(seed=i)), name=f"{i}.jpg") for i in range(3)
    ]
    results.append(capture.capture(imaging.pdf(pages=3), name="doc.pdf"))
    usage_matches_disk(capture, media_root)
    usage = capture.library.storage_usage()
    assert usage.by_version[VersionKind.PROCESSED.value][0] == 6  # 3 photos + 3 PDF pages
    assert usage.by_version[VersionKind.THUMBNAIL.value][0] == 4
    first = results[0]
    assert first.asset is not None
    assert first.job is not None
    capture.jobs.start(first.job.id)
    capture.jobs.complete(first.job.id)
    freed = capture.library.delete_after_ocr(first.asset.id)
    assert freed > 0
    assert capture.library.storage_usage().total_bytes == usage.total_bytes - freed
    usage_matches_disk(capture, media_root)
    clock.advance(timedelta(days=100))
    capture.library.cleanup_expired(retention_days=90)
    assert capture.library.storage_usage().total_bytes == 0
    assert disk_files(media_root) == {}


def test_shared_files_are_counted_once(capture: CaptureService, media_root: Path) -> None:
    blank = [Image.new("RGB", (248, 351), "white") for _ in range(3)]
    data = imaging.encode(blank[0], "PDF", save_all=True, append_images=blank[1:], resolution=300.0)
    result = capture.capture(data, name="three blank pages.pdf")
    assert result.asset is not None
    assert result.asset.page_count == 3
    assert len(capture.library.rows.for_asset(result.asset.id)) == 8  # 1 + 3 + 3 + 1 rows
    assert len(disk_files(media_root)) == 4  # identical pages stored once
    usage_matches_disk(capture, media_root)
    capture.library.delete_assets([result.asset.id])
    assert capture.library.storage_usage().total_bytes == 0


def test_delete_after_ocr_keeps_thumbnail_display_and_results(capture: CaptureService) -> None:
    result = capture.capture(imaging.jpeg(), name="a.jpg")
    asset, job = result.asset, result.job
    assert asset is not None
    assert job is not None
    with pytest.raises(NotYetProcessedError):
        capture.library.delete_after_ocr(asset.id)
    capture.jobs.start(job.id)
    capture.jobs.complete(job.id)
    original = capture.library.path(asset.id, VersionKind.ORIGINAL)
    processed = capture.library.path(asset.id, VersionKind.PROCESSED)

    capture.library.delete_after_ocr(asset.id)

    assert not original.exists()
    assert not processed.exists()
    assert capture.library.thumbnail_path(asset.id).exists()
    assert capture.library.display_path(asset.id).exists()
    assert capture.library.assets.get(asset.id).files_deleted_at is not None
    assert capture.jobs.get(job.id).completed_at is not None
    with pytest.raises(MediaFileMissingError, match="deleted after OCR"):
        capture.library.upload_file(asset.id)
    assert capture.library.delete_after_ocr(asset.id) == 0  # idempotent


def test_shared_files_survive_the_deletion_of_one_owner(
    store: Store, clock: ManualClock, media_root: Path
) -> None:
    ours = make_capture(store, clock, media_root, company_id="acme")
    theirs = make_capture(store, clock, media_root, company_id="other")
    data = imaging.jpeg()
    mine = ours.capture(data, name="a.jpg").asset
    shared = theirs.capture(data, name="a.jpg").asset
    assert mine is not None
    assert shared is not None
    assert mine.id != shared.id
    files_before = disk_files(media_root)
    assert len(files_before) == 4  # stored once

    ours.library.delete_assets([mine.id])

    assert disk_files(media_root) == files_before
    assert theirs.library.upload_file(shared.id)[0].exists()
    theirs.library.delete_assets([shared.id])
    assert disk_files(media_root) == {}


def test_sweep_removes_what_a_crash_left_and_keeps_the_rest(
    capture: CaptureService, media_root: Path, store: Store
) -> None:
    kept = capture.capture(imaging.jpeg(), name="kept.jpg")
    assert kept.asset is not None
    # A crash after the files were written but before the rows committed:
    crashed = capture.library.files.put_many([("ab/ab" + "0" * 62 + ".jpg", b"orphan")])
    assert crashed
    temp = media_root / "ab" / ".leftover.tmp"
    temp.write_bytes(b"half")
    os.utime(temp, (0, 0))
    # A deletion that crashed after moving a still-referenced file aside:
    thumb = capture.library.file(kept.asset.id, VersionKind.THUMBNAIL).relpath
    capture.library.files.trash([thumb])
    assert not (media_root / thumb).exists()

    removed = capture.library.sweep()

    assert removed == 2
    assert (media_root / thumb).exists()
    assert set(disk_files(media_root)) == referenced(store)


def test_deleting_assets_drops_their_pending_outbox_rows(capture: CaptureService) -> None:
    result = capture.capture(imaging.jpeg(), name="a.jpg")
    assert result.asset is not None
    capture.outbox.add(
        OutboxOp.DELETE_MEDIA, at=capture.clock.now(), media_asset_id=result.asset.id
    )
    capture.library.delete_assets([result.asset.id])
    assert [e.op for e in capture.outbox.pending()] == [OutboxOp.DELETE_MEDIA.value]
