"""Workers: claim a job, keep heart-beating while the engine runs, store the outcome.

``process_job`` is the whole life of one job on a worker: claimed -> processing
(``started_at``) -> engine -> completed with results, processing time, cost and
confidence, or failed with the error (transient engine errors retried after 1, 5,
15 s by :meth:`JobService.retry_failed`; a bad image fails at once). A worker that
dies stops heart-beating, and any other worker's housekeeping puts its job back in
the queue (:meth:`JobService.reclaim`). The kill-switch stops claiming, nothing else.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from ocr_desk.core import Clock, JobType, ReceiptResult

from .config import ServerConfig
from .database import Database
from .errors import NotFound
from .extract import extract
from .jobs import JobService
from .media import MediaService
from .ocr import load_pages
from .ocr.base import EngineError, OcrEngine, OcrOutput, TransientEngineError
from .records import JobRecord

__all__ = ["Worker", "processing_enabled", "set_processing"]

log = logging.getLogger(__name__)

Extractor = Callable[[OcrOutput, JobType, str], ReceiptResult]


def processing_enabled(db: Database, config: ServerConfig) -> bool:
    """The kill-switch: the config flag, the environment and the database flag must all allow it."""
    if not config.processing_allowed():
        return False
    flag = db.read().scalar("SELECT value FROM flags WHERE name = 'processing'")
    return bool(flag != "off")


def set_processing(db: Database, *, enabled: bool) -> None:
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO flags (name, value) VALUES ('processing', ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            ("on" if enabled else "off",),
        )
        tx.announce("*")


def default_extract(output: OcrOutput, job_type: JobType, currency: str) -> ReceiptResult:
    """Fields by the extraction rules (engines that read fields themselves keep theirs)."""
    return extract(output, job_type=job_type.value, default_currency=currency)


class Worker:
    """One worker: a loop of claim -> process, waking on changes or every poll interval."""

    def __init__(
        self,
        db: Database,
        engine: OcrEngine,
        *,
        config: ServerConfig,
        clock: Clock,
        worker_id: str | None = None,
        extractor: Extractor | None = None,
    ) -> None:
        self.db = db
        self.engine = engine
        self.config = config
        self.clock = clock
        self.jobs = JobService(db, config=config, clock=clock)
        self.media = MediaService(db, config=config, clock=clock)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.extract = extractor or default_extract
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last_sweep = 0.0

    def _on_change(self, company_id: str) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def housekeeping(self) -> None:
        """Due automatic retries, reclaim of dead workers' jobs, stale cancellation."""
        self.jobs.retry_failed()
        self.jobs.reclaim()
        self.jobs.cancel_stale()

    def run_once(self) -> bool:
        """Process one job if processing is on and one is queued; True if one was taken."""
        if not processing_enabled(self.db, self.config):
            return False
        job = self.jobs.claim(self.worker_id)
        if job is None:
            return False
        self.process_job(job)
        return True

    def run(self) -> None:
        """Loop until :meth:`stop`: housekeeping every poll interval, jobs as they come."""
        self.db.add_listener(self._on_change)
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                if now - self._last_sweep >= self.config.poll_interval:
                    self._last_sweep = now
                    self._guard(self.housekeeping)
                if self._guard(self.run_once):
                    continue
                self._wake.wait(self.config.poll_interval)
                self._wake.clear()
        finally:
            self.db.remove_listener(self._on_change)

    def _guard(self, step: Callable[[], Any]) -> Any:
        try:
            return step()
        except Exception:  # a database hiccup must not kill the worker; log and go on
            log.exception("worker %s: step failed", self.worker_id)
            self._stop.wait(self.config.poll_interval)
            return False

    def process_job(self, job: JobRecord) -> JobRecord | None:
        """Run the engine on a claimed job and record the outcome (heart-beating meanwhile)."""
        beating = threading.Event()
        beat = threading.Thread(target=self._beat, args=(job, beating), daemon=True)
        beat.start()
        started = time.perf_counter()
        try:
            media = self.media.find(job.company_id, job.media_id)
            pages = load_pages(self.media.file_path(media))
            output = self.engine.recognize(pages)
            result = self.extract(output, job.job_type, self.config.default_currency)
        except EngineError as exc:  # a bad image fails at once; a transient error retries
            return self._record(
                self.jobs.fail,
                job,
                self.worker_id,
                code=exc.code,
                message=exc.message,
                transient=isinstance(exc, TransientEngineError),
            )
        except NotFound:
            msg = "the file was deleted before it was read; upload it again and retry"
            return self._record(
                self.jobs.fail,
                job,
                self.worker_id,
                code="MEDIA_NOT_FOUND",
                message=msg,
                transient=False,
            )
        except Exception as exc:  # a bug in an engine: fail visibly, keep the worker alive
            log.exception("engine crashed on job %s", job.id)
            return self._record(
                self.jobs.fail,
                job,
                self.worker_id,
                code="ENGINE_ERROR",
                message=f"the OCR engine failed: {exc}",
                transient=True,
            )
        finally:
            beating.set()
            beat.join()
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        return self._record(
            self.jobs.complete,
            job,
            self.worker_id,
            result=result.to_dict(),
            confidence=_confidence(output, result),
            processing_ms=elapsed_ms,
            pages=max(output.pages, 1),
            engine_seconds=output.seconds,
            engine_cost=output.cost,
        )

    def _record(
        self, step: Callable[..., JobRecord | None], *args: Any, **kw: Any
    ) -> JobRecord | None:
        """Store an outcome, trying again when the database refuses for a passing reason
        (a deadlock victim, a busy file): the engine's work must not be thrown away."""
        for attempt in range(5):
            try:
                return step(*args, **kw)
            except Exception as exc:
                if attempt == 4 or not self.db.is_transient(exc):
                    raise
                log.warning("storing job %s: %s; trying again", args[0].id, exc)
                self._stop.wait(0.05 * (attempt + 1))
        return None

    def _beat(self, job: JobRecord, done: threading.Event) -> None:
        try:
            while not done.wait(self.config.heartbeat_interval):
                try:
                    if not self.jobs.heartbeat(job, self.worker_id):
                        return
                except Exception:
                    log.exception("heartbeat of job %s failed", job.id)
        finally:
            self.db.release()


def _confidence(output: OcrOutput, result: ReceiptResult) -> float | None:
    values = [f.confidence for f in result.fields.values()] or [
        line.confidence for line in output.lines
    ]
    return round(sum(values) / len(values), 4) if values else None
