"""Property test: no sequence of job-service calls escapes the transition table,
loses an outbox row or breaks the counts."""

from __future__ import annotations

import tempfile
from collections import Counter
from datetime import timedelta
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ocr_desk.core import TRANSITIONS, InvalidStatusError, JobStatus, ManualClock
from ocr_desk.services import JobService
from ocr_desk.store import open_store

from ..conftest import add_asset


class JobServiceMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._tmp = tempfile.TemporaryDirectory()
        self.clock = ManualClock()
        self.store = open_store(Path(self._tmp.name) / "db.sqlite3", synchronous="OFF")
        self.service = JobService(self.store, company_id="acme", clock=self.clock)
        self.model: dict[str, JobStatus] = {}
        self.outbox_rows = 0

    def teardown(self) -> None:
        self.store.close()
        self._tmp.cleanup()

    @rule(job_type=st.sampled_from(["receipt", "invoice", "handwritten"]))
    def create(self, job_type: str) -> None:
        asset = add_asset(self.store, self.clock)
        job = self.service.create_job(media_asset_id=asset.id, job_type=job_type)
        self.model[job.id] = JobStatus.QUEUED
        self.outbox_rows += 1

    @precondition(lambda self: self.model)
    @rule(
        data=st.data(),
        action=st.sampled_from(["start", "complete", "fail", "cancel", "retry", "submit"]),
    )
    def act(self, data: st.DataObject, action: str) -> None:
        job_id = data.draw(st.sampled_from(sorted(self.model)))
        before = self.model[job_id]
        target = {
            "start": JobStatus.PROCESSING,
            "complete": JobStatus.COMPLETED,
            "fail": JobStatus.FAILED,
            "cancel": JobStatus.CANCELLED,
            "retry": JobStatus.QUEUED,
        }.get(action)
        rows_before = len(self.service.outbox.for_job(job_id))
        call = {
            "start": lambda: self.service.start(job_id),
            "complete": lambda: self.service.complete(job_id),
            "fail": lambda: self.service.fail(job_id, error="boom"),
            "cancel": lambda: self.service.cancel(job_id),
            "retry": lambda: self.service.retry(job_id),
            "submit": lambda: self.service.mark_submitted(job_id, remote_id=f"r-{job_id}"),
        }[action]
        allowed = target is None or target in TRANSITIONS[before]
        if action == "retry":
            allowed = before is JobStatus.FAILED
        try:
            call()
        except InvalidStatusError:
            assert not allowed, f"{action} from {before} should have worked"
            assert self.service.get(job_id).status is before
            assert len(self.service.outbox.for_job(job_id)) == rows_before
            return
        assert allowed, f"{action} from {before} should have been refused"
        if target is not None:
            self.model[job_id] = target
        job = self.service.get(job_id)
        if action == "cancel" or (action == "retry" and job.remote_id):
            self.outbox_rows += 1

    @rule(seconds=st.integers(min_value=0, max_value=100_000))
    def time_passes(self, seconds: int) -> None:
        self.clock.advance(timedelta(seconds=seconds))

    @rule()
    def automatic_retry(self) -> None:
        before = {k: v for k, v in self.model.items() if v is JobStatus.FAILED}
        requeued = self.service.retry_failed()
        for job_id in before:
            status = self.service.get(job_id).status
            self.model[job_id] = status
            if status is JobStatus.QUEUED and self.service.get(job_id).remote_id:
                self.outbox_rows += 1
        assert requeued == sum(1 for k in before if self.model[k] is JobStatus.QUEUED)

    @rule()
    def stale(self) -> None:
        cancelled = self.service.cancel_stale()
        self.outbox_rows += cancelled
        for job_id in self.model:
            self.model[job_id] = self.service.get(job_id).status

    @invariant()
    def statuses_match_and_counts_add_up(self) -> None:
        jobs = {j.id: j.status for j in self.service.list_jobs()}
        assert jobs == self.model
        counts = self.service.queue_status()
        tally = Counter(self.model.values())
        assert counts.queued == tally[JobStatus.QUEUED]
        assert counts.processing == tally[JobStatus.PROCESSING]
        assert counts.failed == tally[JobStatus.FAILED]
        assert len(self.service.outbox.pending()) == self.outbox_rows

    @invariant()
    def every_event_is_an_allowed_step(self) -> None:
        for job_id, status in self.model.items():
            events = self.service.events(job_id)
            assert events[0].from_status is None
            for event in events[1:]:
                assert event.from_status is not None
                assert event.to_status in TRANSITIONS[event.from_status]
            assert events[-1].to_status is status


JobServiceMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None
)
TestJobServiceMachine = JobServiceMachine.TestCase
