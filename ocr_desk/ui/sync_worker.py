"""The sync engine on its own thread: ``SyncWorker(QObject)`` moved to a ``QThread``.

The engine itself (``ocr_desk.sync``) knows nothing of Qt; it calls one listener
for every :mod:`ocr_desk.sync.events` value. The worker builds the engine on the
sync thread (so the engine's SQLite connection belongs to that thread), drives
it through queued slot calls and re-emits the events as signals that carry the
frozen event values. :class:`SyncController` is the UI side: it owns the thread
and turns button presses into queued calls.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QMetaObject, QObject, Qt, QThread, Signal, Slot

from ocr_desk.ui.tasks import lower_thread_priority

if TYPE_CHECKING:  # imported on the sync thread (see SyncWorker.start), not at start-up
    from ocr_desk.sync.events import SyncEvent

__all__ = ["EngineFactory", "SyncController", "SyncEngineLike", "SyncWorker"]


class SyncEngineLike(Protocol):
    """What the GUI needs of ``ocr_desk.sync.SyncEngine``."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def sync_now(self) -> None: ...


EngineFactory = Callable[[Callable[["SyncEvent"], None]], SyncEngineLike | None]
"""Builds the engine on the sync thread, given the listener; ``None`` when sync cannot run."""


class SyncWorker(QObject):
    """Lives on the sync thread. Its slots are called through queued connections."""

    sig_state = Signal(object)  # StateChanged
    sig_jobs = Signal(object)  # JobsChanged
    sig_queue = Signal(object)  # QueueChanged
    sig_error = Signal(str)
    sig_stopped = Signal()

    def __init__(self, factory: EngineFactory, *, paused: bool = False) -> None:
        super().__init__()
        self._factory = factory
        self._engine: SyncEngineLike | None = None
        self._paused = paused

    def listener(self, event: SyncEvent) -> None:
        """The engine's callback; may be called from any of the engine's threads."""
        kind = type(event).__name__
        if kind == "StateChanged":
            self.sig_state.emit(event)
        elif kind == "JobsChanged":
            self.sig_jobs.emit(event)
        elif kind == "QueueChanged":
            self.sig_queue.emit(event)

    @Slot()
    def start(self) -> None:
        lower_thread_priority()  # the engine's threads and the local server inherit it
        from ocr_desk.sync.events import ConnectionState, StateChanged

        try:
            self._engine = self._factory(self.listener)
            if self._engine is None:
                return
            if self._paused:
                self._engine.pause()
            self._engine.start()
            snapshot = getattr(self._engine, "snapshot", None)
            state = snapshot() if snapshot is not None else None
            if isinstance(state, StateChanged):
                self.sig_state.emit(state)
        except Exception as exc:  # shown in the status panel, the app keeps capturing
            self._engine = None
            self.sig_error.emit(str(exc))
            self.sig_state.emit(
                StateChanged(
                    state=ConnectionState.OFFLINE,
                    since=datetime.now(UTC),
                    reason=f"sync could not start: {exc}",
                )
            )

    def set_paused_before_start(self, paused: bool) -> None:
        """Before its thread starts (the window starts it after the first paint): whether
        the engine starts paused."""
        self._paused = paused

    @Slot()
    def sync_now(self) -> None:
        self._call("sync_now")

    @Slot()
    def pause(self) -> None:
        self._paused = True
        self._call("pause")

    @Slot()
    def resume(self) -> None:
        self._paused = False
        self._call("resume")

    @Slot()
    def stop(self) -> None:
        engine, self._engine = self._engine, None
        try:
            if engine is not None:
                engine.stop()
        finally:
            self.sig_stopped.emit()

    def _call(self, name: str) -> None:
        if self._engine is None:
            return
        try:
            getattr(self._engine, name)()
        except Exception as exc:
            self.sig_error.emit(str(exc))


class SyncController(QObject):
    """Owns the sync thread; every call returns at once (the work happens over there)."""

    def __init__(self, factory: EngineFactory, *, paused: bool = False) -> None:
        super().__init__()
        self.thread = QThread()
        self.thread.setObjectName("ocr-desk-sync")
        self.worker = SyncWorker(factory, paused=paused)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.start)
        self.worker.sig_stopped.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        self._running = False

    def start(self) -> None:
        if not self._running:
            self._running = True
            self.thread.start()

    def sync_now(self) -> None:
        self._invoke("sync_now")

    def pause(self) -> None:
        if not self._running:
            self.worker.set_paused_before_start(True)
        self._invoke("pause")

    def resume(self) -> None:
        if not self._running:
            self.worker.set_paused_before_start(False)
        self._invoke("resume")

    def stop(self, *, wait_ms: int = 15000) -> None:
        """Stop the engine on its thread and wait for the thread to finish."""
        if not self._running:
            return
        self._running = False
        self._invoke("stop")
        if not self.thread.wait(wait_ms):
            self.thread.quit()
            self.thread.wait(2000)

    def _invoke(self, name: str) -> None:
        if self._running or name == "stop":
            QMetaObject.invokeMethod(self.worker, name, Qt.ConnectionType.QueuedConnection)
