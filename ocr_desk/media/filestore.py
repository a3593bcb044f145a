"""A content-addressed file store: each file lives at ``<root>/<sha[:2]>/<sha><ext>``.

Writes are durable before anyone may point at them: the bytes go to a temporary
file in the target folder, are fsync'ed, renamed over the final name, and the folder
is fsync'ed (once per folder per call). Identical content is stored once, so a file
may be shared by several rows (versions of different assets, or different
companies); only the caller knows the references, so deletion is two-phase:
:meth:`FileStore.trash` moves files aside inside the caller's database transaction,
then :meth:`Trash.purge` (after commit) or :meth:`Trash.restore` (after rollback).
:meth:`FileStore.sweep` removes what a crash left behind.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ocr_desk.core import DataDirError

__all__ = ["MEDIA_DIRNAME", "FileStore", "Trash", "relpath_for"]

_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
MEDIA_DIRNAME = "media"
"""The folder of the data dir that holds the store (``AppContext.media_root``)."""
TRASH_DIR = ".trash"
TEMP_SUFFIX = ".tmp"
STALE_TEMP_SECONDS = 3600.0
"""A temporary file older than this belongs to a crashed writer and is swept."""


def relpath_for(sha256: str, ext: str) -> str:
    """Where a file with this SHA-256 and extension (".jpg") lives, relative to the root."""
    return f"{sha256[:2]}/{sha256}{ext}"


@dataclass
class Trash:
    """Files moved aside by :meth:`FileStore.trash`, waiting for the transaction's outcome."""

    store: FileStore
    moved: list[tuple[str, Path]] = field(default_factory=list)

    def purge(self) -> None:
        """The deleting transaction committed: remove the files for good."""
        for _rel, aside in self.moved:
            with contextlib.suppress(FileNotFoundError):
                aside.unlink()
        self.moved.clear()

    def restore(self) -> None:
        """The deleting transaction rolled back: put every file back where it was."""
        for rel, aside in self.moved:
            with contextlib.suppress(FileNotFoundError):
                os.replace(aside, self.store.path(rel))
        self.moved.clear()


class FileStore:
    """Durable, content-addressed files under ``root`` (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, relpath: str) -> Path:
        return self.root / relpath

    def exists(self, relpath: str, size: int | None = None) -> bool:
        try:
            stat = self.path(relpath).stat()
        except OSError:
            return False
        return size is None or stat.st_size == size

    def put_many(self, blobs: Iterable[tuple[str, bytes]]) -> list[str]:
        """Store each ``(relpath, data)`` durably unless already present; returns those written.

        Raises :class:`DataDirError` when the disk refuses (full, read-only, no permission);
        nothing half-written is left under a final name.
        """
        written: list[str] = []
        folders: set[Path] = set()
        try:
            for rel, data in blobs:
                if self.exists(rel, len(data)):
                    continue
                target = self.path(rel)
                folders |= self._make_dirs(target.parent)
                self._write_file(target, data)
                folders.add(target.parent)
                written.append(rel)
            for folder in folders:
                _fsync_dir(folder)
        except OSError as exc:
            for rel in written:
                with contextlib.suppress(OSError):
                    self.path(rel).unlink()
            raise DataDirError(
                f"cannot write image files under {self.root}: {exc.strerror or exc}. Free some "
                "disk space or check the folder's permissions, then add the files again."
            ) from exc
        return written

    def remove(self, relpaths: Iterable[str]) -> None:
        """Delete files at once (for files this process just wrote and nothing references)."""
        for rel in relpaths:
            with contextlib.suppress(FileNotFoundError):
                self.path(rel).unlink()

    def trash(self, relpaths: Iterable[str]) -> Trash:
        """Move files aside; call inside the transaction that deleted their last reference."""
        trash = Trash(self)
        folder = self.root / TRASH_DIR
        try:
            for rel in relpaths:
                source = self.path(rel)
                if not source.exists():
                    continue
                folder.mkdir(parents=True, exist_ok=True)
                aside = folder / f"{uuid.uuid4().hex}__{rel.replace('/', '__')}"
                os.replace(source, aside)
                trash.moved.append((rel, aside))
        except BaseException:
            trash.restore()  # all or nothing: the caller's transaction rolls back
            raise
        return trash

    def iter_files(self) -> Iterator[tuple[str, int]]:
        """``(relpath, size)`` of every stored file (not temporary or trashed ones)."""
        if not self.root.is_dir():
            return
        for shard in sorted(self.root.iterdir()):
            if shard.name.startswith(".") or not shard.is_dir():
                continue
            for entry in sorted(shard.iterdir()):
                if entry.name.startswith(".") or not entry.is_file():
                    continue
                yield f"{shard.name}/{entry.name}", entry.stat().st_size

    def sweep(self, is_referenced: Callable[[str], bool], *, now: float | None = None) -> int:
        """Remove unreferenced files, stale temporaries and trash; restore referenced trash.

        Call while holding the database's write lock, so no capture commits meanwhile.
        Returns how many files were removed.
        """
        removed = 0
        now = time.time() if now is None else now
        trash = self.root / TRASH_DIR
        if trash.is_dir():
            for aside in trash.iterdir():
                rel = aside.name.split("__", 1)[-1].replace("__", "/")
                if is_referenced(rel) and not self.path(rel).exists():
                    os.replace(aside, self.path(rel))
                else:
                    aside.unlink()
                    removed += 1
        for rel, _size in list(self.iter_files()):
            if not is_referenced(rel):
                self.path(rel).unlink()
                removed += 1
        if self.root.is_dir():
            for shard in self.root.iterdir():
                if not shard.is_dir() or shard.name == TRASH_DIR:
                    continue
                for entry in shard.iterdir():
                    stale = now - entry.stat().st_mtime > STALE_TEMP_SECONDS
                    if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX) and stale:
                        entry.unlink()
                        removed += 1
        return removed

    def _make_dirs(self, folder: Path) -> set[Path]:
        """Create ``folder`` and missing parents; returns the parents whose entries changed."""
        changed: set[Path] = set()
        missing: list[Path] = []
        current = folder
        while not current.is_dir():
            missing.append(current)
            current = current.parent
        for new in reversed(missing):
            new.mkdir(exist_ok=True)
            changed.add(new.parent)
        return changed

    @staticmethod
    def _write_file(target: Path, data: bytes) -> None:
        temp = target.parent / f".{target.name}.{uuid.uuid4().hex}{TEMP_SUFFIX}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o644)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                temp.unlink()
            raise


def _fsync_dir(folder: Path) -> None:
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals the rename
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
