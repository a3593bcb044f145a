"""The watched folder's ledger: each new file once, growing files wait."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ocr_desk.services.watch import WatchedFolder


def _file(path: Path, *, age: float) -> Path:
    path.write_bytes(b"scan")
    when = time.time() - age
    os.utime(path, (when, when))
    return path


def test_each_file_is_handed_out_once_even_after_a_restart(tmp_path):
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    a = _file(inbox / "a.jpg", age=60)
    _file(inbox / ".hidden.jpg", age=60)
    _file(inbox / "b.jpg.part", age=60)
    watch = WatchedFolder(folder=inbox, state_dir=tmp_path / "data")
    assert watch.new_files() == ([a], False)
    assert watch.new_files() == ([], False)
    b = _file(inbox / "b.jpg", age=60)
    a.touch()  # touched again: still not captured twice
    again = WatchedFolder(folder=inbox, state_dir=tmp_path / "data")  # a restart
    files, settling = again.new_files(now=time.time() + 10)
    assert files == [b]
    assert settling is False


def test_a_file_still_being_written_waits_for_the_next_scan(tmp_path):
    inbox = tmp_path / "scanner"
    inbox.mkdir()
    fresh = _file(inbox / "c.jpg", age=0)
    watch = WatchedFolder(folder=inbox, state_dir=tmp_path)
    now = time.time()
    assert watch.new_files(now=now) == ([], True)
    assert watch.new_files(now=now + 5) == ([fresh], False)


def test_a_missing_folder_gives_nothing(tmp_path):
    watch = WatchedFolder(folder=tmp_path / "gone", state_dir=tmp_path)
    assert watch.new_files() == ([], False)
