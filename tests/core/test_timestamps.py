from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from ocr_desk.core import format_ts, parse_ts


def test_format_ts_is_fixed_width_utc_iso_text() -> None:
    cases = [
        datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 6),  # naive: taken as UTC
        datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))),  # converted
    ]
    assert [format_ts(c) for c in cases] == [
        "2026-03-10T09:00:00.000000Z",
        "2026-12-31T23:59:59.999999Z",
        "2026-01-02T03:04:05.000006Z",
        "2025-12-31T22:30:00.000000Z",
    ]
    for c in cases:
        assert parse_ts(format_ts(c)) == (c if c.tzinfo else c.replace(tzinfo=UTC))
