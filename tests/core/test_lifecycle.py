from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ocr_desk.core import (
    MAX_RETRIES,
    TRANSITIONS,
    InvalidStatusError,
    JobStatus,
    ManualClock,
    check_transition,
    format_ts,
    is_past_retention,
    is_stale,
    next_retry_at,
    parse_ts,
    retry_delay,
    transition_path,
)

S = JobStatus


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (S.QUEUED, S.PROCESSING),
        (S.QUEUED, S.CANCELLED),
        (S.PROCESSING, S.COMPLETED),
        (S.PROCESSING, S.FAILED),
        (S.PROCESSING, S.CANCELLED),
        (S.FAILED, S.QUEUED),
        (S.FAILED, S.CANCELLED),
    ],
)
def test_design_transitions_are_allowed(src: JobStatus, dst: JobStatus) -> None:
    assert check_transition(src, dst) is dst


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        (S.COMPLETED, S.QUEUED),
        (S.COMPLETED, S.FAILED),
        (S.CANCELLED, S.QUEUED),
        (S.QUEUED, S.COMPLETED),
        (S.FAILED, S.COMPLETED),
        (S.QUEUED, S.QUEUED),
    ],
)
def test_other_transitions_raise_invalid_status(src: JobStatus, dst: JobStatus) -> None:
    with pytest.raises(InvalidStatusError) as info:
        check_transition(src, dst)
    assert info.value.code == "INVALID_STATUS"
    assert str(src) in info.value.message
    assert str(dst) in info.value.message


def test_unknown_status_is_invalid() -> None:
    with pytest.raises(InvalidStatusError):
        check_transition("queued", "exploded")


def test_final_statuses_have_no_way_out() -> None:
    assert TRANSITIONS[S.COMPLETED] == frozenset()
    assert TRANSITIONS[S.CANCELLED] == frozenset()


def test_transition_path_walks_only_allowed_steps() -> None:
    assert transition_path(S.QUEUED, S.COMPLETED) == [S.PROCESSING, S.COMPLETED]
    assert transition_path(S.FAILED, S.PROCESSING) == [S.QUEUED, S.PROCESSING]
    assert transition_path(S.QUEUED, S.QUEUED) == []
    with pytest.raises(InvalidStatusError):
        transition_path(S.COMPLETED, S.QUEUED)


def test_backoff_is_1_5_15_seconds_then_spent() -> None:
    assert [retry_delay(n) for n in range(4)] == [
        timedelta(seconds=1),
        timedelta(seconds=5),
        timedelta(seconds=15),
        None,
    ]
    assert MAX_RETRIES == 3
    failed = datetime(2026, 1, 1, tzinfo=UTC)
    assert next_retry_at(failed, 1) == failed + timedelta(seconds=5)
    assert next_retry_at(failed, 3) is None


def test_stale_counts_from_submission_not_capture() -> None:
    now = datetime(2026, 1, 2, 12, tzinfo=UTC)
    assert is_stale(S.QUEUED, now - timedelta(hours=25), now)
    assert is_stale(S.PROCESSING, now - timedelta(hours=25), now)
    assert not is_stale(S.QUEUED, now - timedelta(hours=23), now)
    assert not is_stale(S.QUEUED, None, now)  # never submitted: waiting offline
    assert not is_stale(S.FAILED, now - timedelta(days=3), now)


def test_retention_counts_from_capture() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert is_past_retention(now - timedelta(days=91), now)
    assert not is_past_retention(now - timedelta(days=30), now)
    assert not is_past_retention(now - timedelta(days=900), now, retention=None)


def test_manual_clock_moves_only_forward() -> None:
    clock = ManualClock()
    start = clock.now()
    assert clock.advance(5) == start + timedelta(seconds=5)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


def test_timestamps_sort_as_text() -> None:
    early = datetime(2026, 1, 1, 9, 0, 0, 5, tzinfo=UTC)
    late = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert format_ts(early) < format_ts(late)
    assert parse_ts(format_ts(early)) == early
