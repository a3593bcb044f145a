"""The job list's reads: pages, filter, search, rows by id."""

from __future__ import annotations

from ocr_desk.core import JobStatus
from ocr_desk.services.joblist import JobQuery, SortKey, count_rows, fetch_page, fetch_rows

from ..conftest import COMPANY, add_asset


def test_pages_filter_search_and_rows_by_id(store, clock, service):
    ids = []
    for _ in range(7):
        asset = add_asset(store, clock)
        job = service.create_job(media_asset_id=asset.id)
        ids.append(job.id)
        clock.advance(1)
    service.start(ids[2])
    service.fail(ids[2], error="blurred 100% photo")
    everything = JobQuery()
    assert count_rows(store, company_id=COMPANY, query=everything) == 7
    first = fetch_page(store, company_id=COMPANY, query=everything, offset=0, limit=4)
    rest = fetch_page(store, company_id=COMPANY, query=everything, offset=4, limit=4)
    assert [r.id for r in first + rest] == ids[::-1]  # newest first, no overlap

    failed = JobQuery(status=JobStatus.FAILED)
    assert [
        r.id for r in fetch_page(store, company_id=COMPANY, query=failed, offset=0, limit=9)
    ] == [ids[2]]
    assert count_rows(store, company_id=COMPANY, query=JobQuery(search="100%")) == 1
    assert count_rows(store, company_id=COMPANY, query=JobQuery(search="50%")) == 0  # % escaped

    oldest = JobQuery(sort=SortKey.CAPTURED_AT, descending=False)
    assert fetch_page(store, company_id=COMPANY, query=oldest, offset=0, limit=1)[0].id == ids[0]

    rows = fetch_rows(store, company_id=COMPANY, ids=[ids[2], ids[3], "nope"], query=failed)
    assert [r.id for r in rows] == [ids[2]]
    assert rows[0].last_error == "blurred 100% photo"
    assert fetch_rows(store, company_id="other", ids=ids) == []  # company scoped
