from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from ocr_desk.cli import main
from ocr_desk.core import ManualClock
from ocr_desk.services import JobService
from ocr_desk.store import DB_FILENAME, open_store

from ..conftest import add_asset


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), out=out)
    return code, out.getvalue()


def test_status_json_on_a_new_data_dir(tmp_path: Path) -> None:
    code, text = run("--data-dir", str(tmp_path / "new"), "status", "--json")
    assert code == 0
    data = json.loads(text)
    assert data["queue"] == {
        "queued": 0,
        "processing": 0,
        "failed": 0,
        "completed24h": 0,
        "waiting_upload": 0,
    }
    assert (tmp_path / "new" / DB_FILENAME).exists()


def test_status_and_jobs_show_what_is_stored(tmp_path: Path) -> None:
    clock = ManualClock()
    with open_store(tmp_path / DB_FILENAME) as store:
        service = JobService(store, company_id="local", clock=clock)
        job = service.create_job(media_asset_id=add_asset(store, clock, company_id="local").id)
        other = service.create_job(media_asset_id=add_asset(store, clock, company_id="local").id)
        service.start(other.id)
        service.fail(other.id, error="engine crashed")

    code, text = run("--data-dir", str(tmp_path), "status")
    assert code == 0
    assert "queued" in text
    assert "failed" in text
    code, text = run("--data-dir", str(tmp_path), "jobs", "--status", "queued", "--json")
    assert [j["id"] for j in json.loads(text)] == [job.id]
    code, text = run("--data-dir", str(tmp_path), "jobs")
    assert "engine crashed" in text
    assert job.id[:8] in text


def test_unusable_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = subprocess.run(
        [sys.executable, "-m", "ocr_desk.cli", "--data-dir", str(blocker / "x"), "status"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "error: cannot create the data directory" in done.stderr
    assert "--data-dir" in done.stderr


def test_locked_database_is_a_clear_error(tmp_path: Path) -> None:
    open_store(tmp_path / DB_FILENAME).close()
    holder = open_store(tmp_path / DB_FILENAME)
    holder.conn.execute("BEGIN EXCLUSIVE")
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; import ocr_desk.store.database as d; d.BUSY_TIMEOUT_MS = 200; "
                "from ocr_desk.cli import main; sys.exit(main(sys.argv[1:]))",
                "--data-dir",
                str(tmp_path),
                "status",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        holder.conn.execute("ROLLBACK")
        holder.close()
    assert done.returncode == 1
    assert "locked by another program" in done.stderr
