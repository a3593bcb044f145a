"""The content-addressed store: durable writes, idempotence, two-phase deletion."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from ocr_desk.core import DataDirError
from ocr_desk.media import FileStore, relpath_for


def blob(text: bytes) -> tuple[str, bytes]:
    return relpath_for(hashlib.sha256(text).hexdigest(), ".bin"), text


def test_put_many_writes_once_and_leaves_no_temporary(tmp_path: Path) -> None:
    files = FileStore(tmp_path / "media")
    a, b = blob(b"alpha"), blob(b"beta")
    assert files.put_many([a, b]) == [a[0], b[0]]
    assert files.path(a[0]).read_bytes() == b"alpha"
    assert files.put_many([a, b]) == []  # content-addressed: already there
    assert sorted(files.iter_files()) == sorted([(a[0], 5), (b[0], 4)])
    assert not [p for p in (tmp_path / "media").rglob("*.tmp")]


def test_a_damaged_copy_is_rewritten(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    rel, data = blob(b"gamma" * 10)
    files.put_many([(rel, data)])
    files.path(rel).write_bytes(b"gam")
    assert files.put_many([(rel, data)]) == [rel]
    assert files.path(rel).read_bytes() == data


def test_trash_restores_on_rollback_and_purges_on_commit(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    rel, data = blob(b"delta")
    files.put_many([(rel, data)])
    trash = files.trash([rel, "zz/missing.bin"])
    assert not files.exists(rel)
    trash.restore()
    assert files.path(rel).read_bytes() == data
    files.trash([rel]).purge()
    assert not files.exists(rel)
    assert list(files.iter_files()) == []


def test_unwritable_store_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "media"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(DataDirError, match="cannot write image files"):
        FileStore(blocker).put_many([blob(b"x")])


def test_sweep_keeps_fresh_temporaries(tmp_path: Path) -> None:
    files = FileStore(tmp_path)
    rel, data = blob(b"eps")
    files.put_many([(rel, data)])
    fresh = files.path(rel).parent / ".in-flight.tmp"
    fresh.write_bytes(b"x")
    old = files.path(rel).parent / ".crashed.tmp"
    old.write_bytes(b"x")
    os.utime(old, (0, 0))
    assert files.sweep({rel}.__contains__) == 1
    assert fresh.exists()
    assert not old.exists()
    assert files.exists(rel)
