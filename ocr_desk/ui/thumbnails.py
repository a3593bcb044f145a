"""Thumbnails decoded off the UI thread and kept in a bounded cache.

A list cell asks :meth:`ThumbnailCache.get`; a miss returns ``None`` at once and
queues the decode (a ``QImage`` on a pool thread, which Qt allows); when it is
ready the cache turns it into a pixmap on the UI thread and says so, and the
cell repaints.
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap

from ocr_desk.store import Store

from .tasks import TaskRunner

__all__ = ["THUMB_SIZE", "ThumbnailCache", "load_image"]

THUMB_SIZE = QSize(48, 48)


def load_image(path: Path, *, size: QSize | None = None) -> QImage:
    """Decode an image file (on a worker thread), optionally scaled down to ``size``."""
    image = QImage(str(path))
    if image.isNull():
        raise OSError(f"cannot read the image {path}")
    if size is not None:
        image = image.scaled(
            size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return image


class ThumbnailCache(QObject):
    sig_ready = Signal(str)

    def __init__(self, *, runner: TaskRunner, media_root: Path, capacity: int = 1500) -> None:
        super().__init__()
        self._runner = runner
        self._root = media_root
        self._capacity = capacity
        self._cache: OrderedDict[str, QPixmap] = OrderedDict()
        self._pending: set[str] = set()
        self._missing: set[str] = set()

    def get(self, relpath: str) -> QPixmap | None:
        pixmap = self._cache.get(relpath)
        if pixmap is not None:
            self._cache.move_to_end(relpath)
            return pixmap
        if relpath not in self._pending and relpath not in self._missing:
            self._pending.add(relpath)
            path = self._root / relpath

            def load(_store: Store, _progress: Any) -> QImage:
                return load_image(path, size=THUMB_SIZE)

            self._runner.run(
                load,
                on_done=lambda image: self._on_loaded(relpath, image),
                on_failed=lambda _exc: self._on_missing(relpath),
                heavy=True,
            )
        return None

    def _on_loaded(self, relpath: str, image: QImage) -> None:
        self._pending.discard(relpath)
        self._cache[relpath] = QPixmap.fromImage(image)
        while len(self._cache) > self._capacity:
            self._cache.popitem(last=False)
        self.sig_ready.emit(relpath)

    def _on_missing(self, relpath: str) -> None:
        self._pending.discard(relpath)
        self._missing.add(relpath)
