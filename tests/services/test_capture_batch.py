"""Batch capture: files and folders, progress n of m, bad files rejected, cancel, no orphans."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from ocr_desk.core import CaptureErrorCode, ManualClock
from ocr_desk.services import CaptureProgress, CaptureService, CaptureStatus, expand_paths
from ocr_desk.store import Store

from .. import imaging
from ..media.helpers import disk_files, make_capture, referenced


@pytest.fixture
def media_root(tmp_path: Path) -> Path:
    return tmp_path / "data" / "media"


@pytest.fixture
def capture(store: Store, clock: ManualClock, media_root: Path) -> CaptureService:
    return make_capture(store, clock, media_root, workers=2)


def mixed_folder(root: Path) -> dict[str, str]:
    """Good photos, a scan, a PDF, a HEIC and junk; returns name -> expected status/code."""
    (root / "sub dir" / "deeper").mkdir(parents=True)
    good = {
        "photo 1.jpg": imaging.jpeg(imaging.upright(640, 480, seed=1), orientation=6),
        "photo-2.JPG": imaging.jpeg(imaging.upright(480, 640, seed=2)),
        "sub dir/scan.png": imaging.png(imaging.upright(620, 877, seed=3)),
        "sub dir/deeper/facture été.pdf": imaging.pdf(pages=2),
        "sub dir/iphone.heic": imaging.heic(imaging.upright(400, 300, seed=4)),
        "sub dir/pages.tif": imaging.tiff(pages=2),
        "web.webp": imaging.webp(imaging.upright(300, 200, seed=5)),
    }
    truncated = imaging.jpeg(imaging.upright(800, 600, seed=6))
    junk = {
        "empty.jpg": (b"", CaptureErrorCode.EMPTY),
        "notes.txt": (b"not an image\n", CaptureErrorCode.UNSUPPORTED),
        "half.jpg": (truncated[: len(truncated) // 2], CaptureErrorCode.CORRUPT),
        "bomb.png": (imaging.png_bomb(), CaptureErrorCode.TOO_MANY_PIXELS),
        "sub dir/long.pdf": (imaging.pdf(pages=51, size=(8, 8)), CaptureErrorCode.TOO_MANY_PAGES),
        "sub dir/fax.tif": (imaging.tiff(pages=51, size=(8, 8)), CaptureErrorCode.TOO_MANY_PAGES),
        "bomb.jpg": (imaging.jpeg_bomb(), CaptureErrorCode.TOO_MANY_PIXELS),
        "garbage.jpg": (imaging.jpeg()[:300] + bytes(range(256)) * 20, CaptureErrorCode.CORRUPT),
        "Привет чек.png": (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, CaptureErrorCode.CORRUPT),
    }
    expected: dict[str, str] = {}
    for name, data in good.items():
        (root / name).write_bytes(data)
        expected[name] = CaptureStatus.CAPTURED.value
    for name, (data, code) in junk.items():
        (root / name).write_bytes(data)
        expected[name] = code.value
    with (root / "huge scan.jpg").open("wb") as handle:  # sparse: 50 MB + 1 byte, no disk
        handle.write(good["photo 1.jpg"])
        handle.truncate(50 * 1024 * 1024 + 1)
    expected["huge scan.jpg"] = CaptureErrorCode.TOO_LARGE.value
    (root / "empty folder").mkdir()
    os.mkfifo(root / "sub dir" / "pipe.jpg")
    expected["sub dir/pipe.jpg"] = CaptureErrorCode.UNREADABLE.value
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # hidden: skipped in folders
    return expected


def outcome(status: CaptureStatus, code: str | None) -> str:
    return code if status is CaptureStatus.REJECTED and code else status.value


def test_mixed_folder_captures_the_good_and_reports_the_junk(
    capture: CaptureService, store: Store, media_root: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    expected = mixed_folder(folder)
    missing = tmp_path / "gone.jpg"
    expected_all = {str(folder / k): v for k, v in expected.items()}
    expected_all[str(missing)] = CaptureErrorCode.NOT_FOUND.value
    seen: list[CaptureProgress] = []

    batch = capture.capture_batch([folder, missing], job_type="receipt", progress=seen.append)

    got = {r.source: outcome(r.status, r.error_code) for r in batch.results}
    assert got == expected_all
    assert [p.done for p in seen] == list(range(1, len(expected_all) + 1))
    assert {p.total for p in seen} == {len(expected_all)}
    assert {p.result.source for p in seen} == set(expected_all)
    for r in batch.rejected:
        assert r.message
        assert os.path.basename(r.source) in r.message
    assert not batch.cancelled
    assert len(batch.captured) == 7
    assert capture.library.assets.count() == 7
    assert len(capture.jobs.list_jobs()) == 7
    # The data dir is consistent: exactly the referenced files are on disk.
    assert set(disk_files(media_root)) == referenced(store)
    assert capture.library.storage_usage().total_bytes == sum(disk_files(media_root).values())


def test_same_file_twice_in_a_batch_is_one_asset(capture: CaptureService, tmp_path: Path) -> None:
    data = imaging.jpeg()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(data)
    (folder / "b.jpg").write_bytes(data)
    batch = capture.capture_batch([folder / "a.jpg", folder / "b.jpg", folder / "a.jpg"])
    statuses = sorted(r.status.value for r in batch.results)
    assert statuses == ["captured", "duplicate", "duplicate"]
    assert capture.library.assets.count() == 1
    assert len(capture.jobs.list_jobs()) == 1
    again = capture.capture_batch([folder], force=True)
    assert [r.forced for r in again.results] == [True, True]
    assert len(capture.jobs.list_jobs()) == 3


def test_cancel_stops_the_batch_and_leaves_no_orphan(
    capture: CaptureService, store: Store, media_root: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(12):
        (folder / f"r{i:02}.png").write_bytes(imaging.png(imaging.upright(200, 100, seed=i)))
    cancel = threading.Event()

    def on_progress(progress: CaptureProgress) -> None:
        if progress.done == 2:
            cancel.set()

    batch = capture.capture_batch([folder], progress=on_progress, cancel=cancel)
    assert batch.cancelled
    done = [r for r in batch.results if r.status is CaptureStatus.CAPTURED]
    cancelled = [r for r in batch.results if r.status is CaptureStatus.CANCELLED]
    assert len(done) == 2
    assert len(cancelled) == 10
    assert capture.library.assets.count() == 2
    assert set(disk_files(media_root)) == referenced(store)


def test_an_exception_in_the_callback_stops_cleanly(
    capture: CaptureService, store: Store, media_root: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(6):
        (folder / f"r{i}.png").write_bytes(imaging.png(imaging.upright(200, 100, seed=i)))

    def explode(progress: CaptureProgress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        capture.capture_batch([folder], progress=explode)
    assert capture.library.assets.count() == 1
    assert set(disk_files(media_root)) == referenced(store)


def test_expand_paths_recurses_sorted_and_skips_hidden(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    for name in ("b/2.jpg", "b/1.jpg", "a.jpg", ".hidden.jpg", ".git/x.jpg"):
        (tmp_path / name).write_bytes(b"x")
    assert expand_paths([tmp_path, tmp_path / "zz.jpg"]) == [
        tmp_path / "a.jpg",
        tmp_path / "b" / "1.jpg",
        tmp_path / "b" / "2.jpg",
        tmp_path / "zz.jpg",
    ]


def test_a_folder_holding_the_data_dir_does_not_capture_our_own_files(
    capture: CaptureService, tmp_path: Path, media_root: Path
) -> None:
    (tmp_path / "receipt.jpg").write_bytes(imaging.jpeg())
    first = capture.capture_batch([tmp_path])
    assert len(first.captured) == 1
    assert any(media_root.rglob("*.webp"))
    again = capture.capture_batch([tmp_path])
    sources = {Path(r.source).name: r.status.value for r in again.results}
    assert sources["receipt.jpg"] == "duplicate"
    assert not [s for s in sources if s.endswith(".webp")]
    assert capture.library.assets.count() == 1


def test_files_are_decoded_in_parallel(
    capture: CaptureService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers decode at the same time: each waits at a barrier the other must reach."""
    from ocr_desk.services import capture as capture_module

    barrier = threading.Barrier(2, timeout=30)
    real_render = capture_module.render
    threads: set[str] = set()

    def render_in_pairs(*args: object, **kwargs: object) -> object:
        threads.add(threading.current_thread().name)
        barrier.wait()
        return real_render(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(capture_module, "render", render_in_pairs)
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(4):
        (folder / f"r{i}.png").write_bytes(imaging.png(imaging.upright(200, 100, seed=i)))
    batch = capture.capture_batch([folder])
    assert len(batch.captured) == 4, [r.message for r in batch.rejected]
    assert len(threads) == 2
    assert threading.current_thread().name not in threads  # the caller only writes


def test_rows_failing_in_a_batch_leave_no_file_behind(
    capture: CaptureService,
    store: Store,
    media_root: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Workers wrote the files; the writer's transaction fails: the files go again."""
    import sqlite3

    from ocr_desk.store import MediaRepository

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(3):
        (folder / f"r{i}.png").write_bytes(imaging.png(imaging.upright(200, 100, seed=i)))
    real_insert = MediaRepository.insert
    calls = 0

    def fail_second(self: MediaRepository, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise sqlite3.OperationalError("database or disk is full (injected)")
        return real_insert(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(MediaRepository, "insert", fail_second)
    batch = capture.capture_batch([folder])
    assert sorted(r.status.value for r in batch.results) == ["captured", "captured", "rejected"]
    assert batch.rejected[0].error_code == "STORE_ERROR"
    assert "disk is full" in (batch.rejected[0].message or "")
    assert capture.library.assets.count() == 2
    assert set(disk_files(media_root)) == referenced(store)
