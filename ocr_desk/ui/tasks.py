"""One-off work off the UI thread: a ``QRunnable`` plus a ``QObject`` channel (git-cola).

The UI thread never touches SQLite, httpx, keyring or Pillow. A widget hands a
function to :class:`TaskRunner`; the function runs on a pool thread with that
thread's own :class:`Store` (opened once per thread through
``AppContext.open_thread_store()``) and its result comes back on the UI thread
through the channel's queued signals. Database work goes through a one-thread
pool, so it is serialized like Anki's collection executor; slow work that does
not need the database (image decoding, capture batches) uses a wider pool.
"""

from __future__ import annotations

import os
import sys
import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from ocr_desk.app import AppContext
from ocr_desk.store import Store

__all__ = ["BACKGROUND_NICE", "Task", "TaskChannel", "TaskRunner", "lower_thread_priority"]

BACKGROUND_NICE = 10


def lower_thread_priority() -> None:
    """Give the calling worker thread a lower CPU priority than the UI thread.

    On Linux the nice value is per thread (and threads or processes started from
    this one inherit it), so capture, upload and the local server never take the
    CPU from the UI thread on a busy laptop. Elsewhere this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if current < BACKGROUND_NICE:
            os.setpriority(os.PRIO_PROCESS, tid, BACKGROUND_NICE)
    except OSError:
        pass


class TaskChannel(QObject):
    """Lives on the UI thread; pool threads emit on it, so its slots run on the UI thread."""

    sig_done = Signal(object)
    sig_failed = Signal(object)
    sig_progress = Signal(object)

    def __init__(
        self,
        *,
        on_done: Callable[[Any], None] | None,
        on_failed: Callable[[BaseException], None] | None,
        on_progress: Callable[[Any], None] | None,
        on_finished: Callable[[TaskChannel], None],
    ) -> None:
        super().__init__()
        self._on_done_cb = on_done
        self._on_failed_cb = on_failed
        self._on_progress_cb = on_progress
        self._on_finished_cb = on_finished
        self.sig_done.connect(self._on_done)
        self.sig_failed.connect(self._on_failed)
        self.sig_progress.connect(self._on_progress)
        self.dropped = False
        """Set when the runner shut down: late results are not delivered to dead widgets."""

    @Slot(object)
    def _on_done(self, value: object) -> None:
        try:
            if self._on_done_cb is not None and not self.dropped:
                self._on_done_cb(value)
        finally:
            self._on_finished_cb(self)

    @Slot(object)
    def _on_failed(self, exc: object) -> None:
        try:
            if (
                self._on_failed_cb is not None
                and isinstance(exc, BaseException)
                and not self.dropped
            ):
                self._on_failed_cb(exc)
        finally:
            self._on_finished_cb(self)

    @Slot(object)
    def _on_progress(self, value: object) -> None:
        if self._on_progress_cb is not None and not self.dropped:
            self._on_progress_cb(value)


class Task(QRunnable):
    """Runs ``fn(store, progress)`` on a pool thread and reports through its channel."""

    def __init__(
        self,
        fn: Callable[[Store, Callable[[Any], None]], Any],
        channel: TaskChannel,
        stores: _ThreadStores,
        *,
        background: bool = False,
    ) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._channel = channel
        self._stores = stores
        self._background = background

    def run(self) -> None:
        if self._background:
            lower_thread_priority()
        try:
            value = self._fn(self._stores.get(), self._channel.sig_progress.emit)
        except BaseException as exc:  # reported to the UI, which shows the message
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self._channel.sig_failed.emit(exc)
        else:
            self._channel.sig_done.emit(value)


class _ThreadStores:
    """One SQLite connection per pool thread, closed when the runner shuts down."""

    def __init__(self, ctx: AppContext) -> None:
        self._ctx = ctx
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[Store] = []

    def get(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = self._ctx.open_thread_store()
            self._local.store = store
            with self._lock:
                self._all.append(store)
        return store

    def close_all(self) -> None:
        with self._lock:
            stores, self._all = self._all, []
        for store in stores:
            store.close()


class TaskRunner:
    """Starts tasks and keeps each channel alive until its result has been delivered."""

    def __init__(self, ctx: AppContext, *, workers: int = 2) -> None:
        self._stores = _ThreadStores(ctx)
        self._db_pool = QThreadPool()
        self._db_pool.setMaxThreadCount(1)
        self._db_pool.setExpiryTimeout(-1)  # keep the thread, and its connection, alive
        self._work_pool = QThreadPool()
        self._work_pool.setMaxThreadCount(max(1, workers))
        self._work_pool.setExpiryTimeout(-1)
        self._channels: set[TaskChannel] = set()
        self._closed = False

    def run(
        self,
        fn: Callable[[Store, Callable[[Any], None]], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_failed: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[Any], None] | None = None,
        heavy: bool = False,
    ) -> TaskChannel:
        """Run ``fn(store, progress)`` off the UI thread; callbacks run on the UI thread.

        ``heavy`` work (decoding images, capturing a batch) goes to the wider pool so
        it never holds up the quick database reads the list needs.
        """
        channel = TaskChannel(
            on_done=on_done,
            on_failed=on_failed,
            on_progress=on_progress,
            on_finished=self._channels.discard,
        )
        if self._closed:  # the window is closing: nothing new starts, nothing comes back
            channel.dropped = True
            return channel
        self._channels.add(channel)
        pool = self._work_pool if heavy else self._db_pool
        # Heavy work runs at a lower priority; the database thread's quick reads (the
        # list's pages, what a click asks for) are what the UI waits on, so they keep
        # the UI thread's priority: on a busy laptop a niced thread waits its turn
        # behind every other process, and the first page with it.
        pool.start(Task(fn, channel, self._stores, background=heavy))
        return channel

    @property
    def busy(self) -> bool:
        return bool(self._channels)

    def wait(self, msecs: int = 30000) -> bool:
        """Wait for running tasks (used when the app closes)."""
        ok = self._work_pool.waitForDone(msecs)
        return self._db_pool.waitForDone(msecs) and ok

    def shutdown(self) -> None:
        self._closed = True
        for channel in list(self._channels):
            channel.dropped = True
        self._work_pool.clear()
        self._db_pool.clear()
        self.wait()
        self._stores.close_all()
