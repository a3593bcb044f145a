"""``ocr-desk add``, ``ocr-desk cleanup`` and the storage part of ``ocr-desk status``."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from pathlib import Path

from ocr_desk.cli import main
from ocr_desk.cli.media import ProgressBar
from ocr_desk.core import ManualClock, format_ts
from ocr_desk.services import CaptureProgress, CaptureResult, CaptureStatus
from ocr_desk.store import DB_FILENAME, open_store

from .. import imaging
from ..media.helpers import disk_files, referenced


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def drop_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    (folder / "scans").mkdir(parents=True)
    (folder / "photo 1.jpg").write_bytes(imaging.jpeg(orientation=6))
    (folder / "scans" / "invoice.pdf").write_bytes(imaging.pdf(pages=2))
    (folder / "scans" / "phone.heic").write_bytes(imaging.heic())
    (folder / "scans" / "scan.png").write_bytes(imaging.png(imaging.upright(seed=3)))
    (folder / "junk.jpg").write_bytes(b"")
    (folder / "notes.txt").write_text("shopping list")
    return folder


def test_add_a_mixed_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = drop_folder(tmp_path)
    code, text = run("--data-dir", str(data), "add", str(folder), "--type", "invoice")
    assert code == 1  # something was rejected
    assert text.splitlines()[0] == "captured 4, duplicates 0, rejected 2"
    assert "junk.jpg is empty (0 bytes)" in text
    assert "[EMPTY_FILE]" in text
    assert "notes.txt is not a supported image" in text

    code, text = run("--data-dir", str(data), "add", str(folder / "photo 1.jpg"), "--json")
    assert code == 0
    body = json.loads(text)
    assert body["duplicates"] == 1
    assert body["results"][0]["status"] == "duplicate"

    with open_store(data / DB_FILENAME) as store:
        types = {r["job_type"] for r in store.query("SELECT job_type FROM ocr_jobs")}
        assert types == {"invoice"}
        assert set(disk_files(data / "media")) == referenced(store)

    code, text = run("--data-dir", str(data), "status", "--json")
    storage = json.loads(text)["storage"]
    assert storage["total_bytes"] == sum(disk_files(data / "media").values())
    assert storage["by_version"]["processed"]["files"] == 5  # 3 images + 2 PDF pages
    code, text = run("--data-dir", str(data), "status")
    assert "storage" in text
    assert "thumbnail" in text


def test_add_only_good_files_exits_zero(tmp_path: Path) -> None:
    image = tmp_path / "a.jpg"
    image.write_bytes(imaging.jpeg())
    code, text = run("--data-dir", str(tmp_path / "data"), "add", str(image))
    assert (code, text) == (0, "captured 1, duplicates 0, rejected 0\n")
    code, text = run("--data-dir", str(tmp_path / "data"), "add", str(image), "--force")
    assert (code, text) == (0, "captured 0, duplicates 1 (1 queued again), rejected 0\n")


def test_cleanup_deletes_expired_captures(tmp_path: Path) -> None:
    data = tmp_path / "data"
    image = tmp_path / "a.jpg"
    image.write_bytes(imaging.jpeg())
    run("--data-dir", str(data), "add", str(image))
    old = format_ts(ManualClock().now() - timedelta(days=91))
    with open_store(data / DB_FILENAME) as store, store.write():
        store.conn.execute("UPDATE media_assets SET captured_at = ?", (old,))
    code, text = run("--data-dir", str(data), "cleanup", "--json")
    assert code == 0
    report = json.loads(text)
    assert report["assets_deleted"] == 1
    assert report["files_deleted"] == 4
    assert report["storage"]["total_bytes"] == 0
    assert disk_files(data / "media") == {}
    code, text = run("--data-dir", str(data), "cleanup")
    assert text.startswith("deleted 0 captures older than 90 days")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_n_of_m() -> None:
    screen = Terminal()
    bar = ProgressBar(screen, width=10)
    for done, status in ((1, CaptureStatus.CAPTURED), (2, CaptureStatus.REJECTED)):
        result = CaptureResult(source=f"/in/file{done}.jpg", status=status)
        bar.update(CaptureProgress(done=done, total=4, result=result))
    bar.close()
    frames = screen.getvalue().split("\r")[1:]
    assert frames[0].startswith("[##........] 1/4 file1.jpg")
    assert frames[1].startswith("[#####.....] 2/4!file2.jpg")
    assert screen.getvalue().endswith("\n")
