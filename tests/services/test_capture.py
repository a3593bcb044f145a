"""capture(): the media asset first, then its job, with outbox rows, in one transaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ocr_desk.core import CaptureError, CaptureErrorCode, JobStatus, ManualClock, StoreError
from ocr_desk.media import VersionKind
from ocr_desk.services import CaptureService, CaptureStatus
from ocr_desk.store import MediaRepository, OutboxOp, Store

from .. import imaging
from ..media.helpers import disk_files, make_capture, referenced


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    return tmp_path / "data" / "media"


@pytest.fixture
def capture(store: Store, clock: ManualClock, media_root: Path) -> CaptureService:
    return make_capture(store, clock, media_root)


def test_creates_media_asset_for_ocr(
    capture: CaptureService, tmp_path: Path, clock: ManualClock
) -> None:
    path = tmp_path / "lunch.jpg"
    path.write_bytes(imaging.jpeg(imaging.upright(640, 480)))
    result = capture.capture(path, job_type="invoice", metadata={"project": "P-7"})
    assert result.status is CaptureStatus.CAPTURED
    asset, job = result.asset, result.job
    assert asset is not None
    assert job is not None
    assert asset.kind == "ocr_source"
    assert asset.document_type.value == "invoice"
    assert asset.captured_at == clock.now()
    assert asset.original_name == "lunch.jpg"
    assert asset.size_bytes == path.stat().st_size
    assert (asset.width, asset.height, asset.page_count) == (640, 480, 1)
    assert asset.mime_type == "image/jpeg"
    assert job.media_asset_id == asset.id
    assert job.status is JobStatus.QUEUED
    assert job.metadata == {"project": "P-7"}
    ops = [(e.op, e.job_id, e.media_asset_id) for e in capture.outbox.pending()]
    assert ops == [
        (OutboxOp.UPLOAD_MEDIA.value, job.id, asset.id),
        (OutboxOp.CREATE_JOB.value, job.id, asset.id),
    ]
    assert capture.outbox.pending()[0].payload["sha256"] == asset.sha256


def test_stores_multiple_versions(capture: CaptureService, media_root: Path) -> None:
    data = imaging.jpeg(imaging.upright(640, 480))
    asset = capture.capture(data, name="r.jpg").asset
    assert asset is not None
    library = capture.library
    files = {(f.version, f.page): f for f in library.rows.for_asset(asset.id)}
    assert set(files) == {(v.value, 0) for v in VersionKind}
    assert library.path(asset.id, VersionKind.ORIGINAL).read_bytes() == data
    processed = imaging.load(library.path(asset.id, VersionKind.PROCESSED))
    assert (processed.format, processed.size) == ("JPEG", (640, 480))
    assert imaging.load(library.display_path(asset.id)).format == "WEBP"
    thumb = imaging.load(library.thumbnail_path(asset.id))
    assert (thumb.format, thumb.size) == ("JPEG", (150, 150))
    for f in files.values():
        assert (media_root / f.relpath).stat().st_size == f.size_bytes
        assert f.relpath.split("/")[1].startswith(f.sha256)
    assert library.upload_file(asset.id) == (
        library.path(asset.id, VersionKind.PROCESSED),
        "image/jpeg",
    )


def test_multi_page_documents_upload_their_original(capture: CaptureService) -> None:
    asset = capture.capture(imaging.pdf(pages=3), name="invoice.pdf").asset
    assert asset is not None
    assert asset.page_count == 3
    pages = [f.page for f in capture.library.rows.for_asset(asset.id) if f.version == "processed"]
    assert pages == [0, 1, 2]
    path, mime = capture.library.upload_file(asset.id)
    assert mime == "application/pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    capture.library.prefer_original = True
    photo = capture.capture(imaging.jpeg(), name="a.jpg").asset
    assert photo is not None
    assert capture.library.upload_file(photo.id)[0].read_bytes() == imaging.jpeg()


def test_duplicates_return_the_existing_asset_and_job(capture: CaptureService) -> None:
    data = imaging.jpeg()
    first = capture.capture(data, name="a.jpg")
    again = capture.capture(data, name="copy of a.jpg")
    assert again.status is CaptureStatus.DUPLICATE
    assert again.asset is not None
    assert first.asset is not None
    assert first.job is not None
    assert again.asset.id == first.asset.id
    assert again.job is not None
    assert again.job.id == first.job.id
    assert not again.forced
    assert capture.library.assets.count() == 1
    assert len(capture.outbox.pending()) == 2

    forced = capture.capture(data, name="a.jpg", force=True)
    assert forced.status is CaptureStatus.DUPLICATE
    assert forced.forced
    assert forced.asset is not None
    assert forced.asset.id == first.asset.id
    assert forced.job is not None
    assert forced.job.id != first.job.id
    assert [e.op for e in capture.outbox.pending()][-1] == OutboxOp.CREATE_JOB.value
    assert capture.library.assets.count() == 1


def test_names_with_spaces_and_non_ascii(capture: CaptureService, tmp_path: Path) -> None:
    folder = tmp_path / "Reçus été 2026"
    folder.mkdir()
    path = folder / "Café Müller – 12,30 €.JPG"
    path.write_bytes(imaging.png())  # and mislabeled
    result = capture.capture(path)
    assert result.asset is not None
    assert result.asset.original_name == "Café Müller – 12,30 €.JPG"
    assert result.asset.mime_type == "image/png"


@pytest.mark.parametrize(
    "fail_in",
    ["asset", "files", "job"],
)
def test_failure_between_file_write_and_rows_leaves_no_orphan(
    capture: CaptureService,
    store: Store,
    media_root: Path,
    monkeypatch: pytest.MonkeyPatch,
    fail_in: str,
) -> None:
    kept = capture.capture(imaging.jpeg(imaging.upright(seed=1)), name="kept.jpg")
    before_files = disk_files(media_root)
    before_rows = store.query("SELECT COUNT(*) AS n FROM media_files")

    def boom(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error (injected)")

    target = {
        "asset": (MediaRepository, "insert"),
        "files": (type(capture.library), "record_files"),
        "job": (type(capture.jobs), "create_job"),
    }[fail_in]
    monkeypatch.setattr(*target, boom)
    with pytest.raises(sqlite3.OperationalError):
        capture.capture(imaging.jpeg(imaging.upright(seed=2)), name="lost.jpg")
    assert disk_files(media_root) == before_files
    assert store.query("SELECT COUNT(*) AS n FROM media_files") == before_rows
    assert capture.library.assets.count() == 1
    assert len(capture.jobs.list_jobs()) == 1
    assert len(capture.outbox.pending()) == 2
    assert kept.asset is not None
    assert capture.library.thumbnail_path(kept.asset.id).exists()


def test_locked_database_leaves_no_orphan(
    capture: CaptureService, store: Store, media_root: Path, db_path: Path
) -> None:
    store.conn.execute("PRAGMA busy_timeout = 50")
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StoreError, match="locked"):
            capture.capture(imaging.jpeg(), name="a.jpg")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert disk_files(media_root) == {}
    assert capture.library.assets.count() == 0


def test_bad_input_stores_nothing(capture: CaptureService, media_root: Path, store: Store) -> None:
    data = imaging.jpeg(imaging.upright(800, 600))
    with pytest.raises(CaptureError) as info:
        capture.capture(data[: len(data) // 3], name="half.jpg")
    assert info.value.capture_code is CaptureErrorCode.CORRUPT
    assert "half.jpg" in info.value.message
    assert disk_files(media_root) == {}
    assert referenced(store) == set()
    assert capture.outbox.count() == 0


def test_recapture_after_delete_after_ocr_restores_the_files(capture: CaptureService) -> None:
    data = imaging.jpeg()
    first = capture.capture(data, name="a.jpg")
    assert first.asset is not None
    assert first.job is not None
    capture.jobs.start(first.job.id)
    capture.jobs.complete(first.job.id)
    capture.library.delete_after_ocr(first.asset.id)
    again = capture.capture(data, name="a.jpg", force=True)
    assert again.asset is not None
    assert again.asset.files_deleted_at is None
    path, _mime = capture.library.upload_file(first.asset.id)
    assert imaging.load(path).format == "JPEG"


def test_plain_upright_jpeg_is_stored_once_and_uploaded_as_is(
    capture: CaptureService, media_root: Path
) -> None:
    data = imaging.encode(imaging.upright(640, 480), "JPEG", quality=85)  # no metadata at all
    result = capture.capture(data, name="scan.jpg")
    asset, job = result.asset, result.job
    assert asset is not None
    assert job is not None
    library = capture.library
    path, mime = library.upload_file(asset.id)
    assert (path.read_bytes(), mime) == (data, "image/jpeg")  # no second lossy encode
    assert path == library.path(asset.id, VersionKind.ORIGINAL)
    assert len(disk_files(media_root)) == 3  # original = processed, display, thumbnail

    capture.jobs.start(job.id)
    capture.jobs.complete(job.id)
    library.delete_after_ocr(asset.id)
    assert not path.exists()
    assert library.thumbnail_path(asset.id).exists()
    assert set(disk_files(media_root)) == referenced(capture.store)
