"""A client killed with SIGKILL at random points while syncing, restarted, again and again:
every capture ends up as exactly one server job, and the local store agrees."""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ocr_desk.app import AppContext
from ocr_desk.core import JobStatus
from ocr_desk.store import DB_FILENAME, OutboxRepository, open_store

from .live import LiveServer, capture_folder, client_context

REPO = Path(__file__).resolve().parents[2]
CAPTURES = 200


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path / "server").start()
    try:
        yield live
    finally:
        live.close()


def _sync(data_dir: Path, token: str, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "OCR_DESK_TOKEN": token,
        "OCR_DESK_KEYRING_DIR": str(data_dir / "keyring"),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "ocr_desk.cli", "--data-dir", str(data_dir), "sync", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )


def _outbox_left(data_dir: Path) -> int:
    with AppContext.open(data_dir) as ctx:
        return OutboxRepository(ctx.store, company_id=ctx.company_id).count()


def test_sigkill_at_random_points_never_loses_or_duplicates(
    server: LiveServer, tmp_path: Path
) -> None:
    account = server.add_account()
    data_dir = tmp_path / "client"
    with client_context(data_dir, server.url) as ctx:
        job_ids = capture_folder(ctx, tmp_path / "photos", CAPTURES)
    assert _outbox_left(data_dir) == 2 * CAPTURES

    rng = random.Random(20261123)
    kills = 0
    progress: list[int] = []
    left = 2 * CAPTURES
    with open_store(data_dir / DB_FILENAME) as watcher:
        outbox = OutboxRepository(watcher, company_id="local")
        while left > 0:
            # Kill once a random number of rows more were sent (some rounds right at start).
            target = left - rng.randint(0, 60) if kills < 8 else -1
            proc = _sync(data_dir, account.token, "--no-wait")
            while proc.poll() is None:
                if outbox.count() <= target:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
                    break
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=rng.uniform(0.001, 0.03))
            _, err = proc.communicate()
            if proc.returncode != -signal.SIGKILL:
                assert proc.returncode == 0, err
            left = outbox.count()
            progress.append(left)
            assert len(progress) < 40, progress
    assert kills >= 5, f"only {kills} kills happened: {progress}"

    final = _sync(data_dir, account.token, "--timeout", "60")
    out, err = final.communicate(timeout=90)
    assert final.returncode == 0, err

    remote = server.jobs()
    assert len(remote) == CAPTURES  # exactly one server job per capture
    assert len({r["media_id"] for r in remote}) == CAPTURES
    assert len(server.media()) == CAPTURES
    with AppContext.open(data_dir) as ctx:
        service = ctx.job_service()
        jobs = [service.get(j) for j in job_ids]
        assert OutboxRepository(ctx.store, company_id=ctx.company_id).count() == 0
    assert sorted(j.remote_id or "" for j in jobs) == sorted(r["id"] for r in remote)
    assert {j.status for j in jobs} == {JobStatus.COMPLETED}
    assert {r["status"] for r in remote} == {"completed"}
