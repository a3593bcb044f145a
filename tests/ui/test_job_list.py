"""The job list: lazy pages, 10,000 jobs, row updates by id, filter, search, sort."""

from __future__ import annotations

from PySide6.QtCore import Qt

from ocr_desk.core import JobStatus
from ocr_desk.ui.job_model import Column, JobRowRole

from .conftest import add_jobs, bulk_jobs


def test_ten_thousand_jobs_load_lazily_and_scroll_to_the_end(ctx, make_window, qtbot):
    bulk_jobs(ctx, 10_000)
    window = make_window()
    model = window.model
    assert model.total == 10_000
    assert 0 < model.rowCount() < 10_000  # only the first page is loaded
    while model.rowCount() < 10_000:
        with qtbot.waitSignal(model.sig_loaded, timeout=10000):
            window.table.scrollToBottom()
            if model.canFetchMore():
                model.fetchMore()
    ids = model.loaded_ids()
    assert len(set(ids)) == 10_000
    last = model.job_at(9_999)
    first = model.job_at(0)
    assert first is not None
    assert last is not None
    assert first.captured_at > last.captured_at  # newest first


def test_a_changed_job_updates_its_row_only(ctx, make_window, qtbot):
    ids = add_jobs(ctx, 30)
    window = make_window()
    model = window.model
    resets: list[int] = []
    changed: list[tuple[int, int]] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda a, b, _roles=(): changed.append((a.row(), b.row())))
    target = ids[10]
    ctx.job_service().start(target)
    with qtbot.waitSignal(model.sig_rows_updated, timeout=5000):
        model.refresh_ids([target])
    row = model.row_of(target)
    assert row is not None
    assert changed == [(row, row)]
    assert resets == []
    index = model.index(row, Column.STATUS)
    assert "Processing" in model.data(index)
    assert model.data(index, Qt.ItemDataRole.ForegroundRole) is not None  # colour and text


def test_new_and_deleted_jobs_insert_and_remove_rows(ctx, make_window, qtbot):
    ids = add_jobs(ctx, 5)
    window = make_window()
    model = window.model
    new = add_jobs(ctx, 1)[0]
    with ctx.store.write():
        ctx.job_service().jobs.delete(ids[0])
    with qtbot.waitSignal(model.sig_rows_updated, timeout=5000):
        model.refresh_ids([new, ids[0]])
    assert model.rowCount() == 5
    assert model.row_of(ids[0]) is None
    assert model.row_of(new) is not None


def test_filter_by_status_search_and_sort(ctx, make_window, qtbot):
    bulk_jobs(ctx, 400)
    window = make_window()
    model = window.model
    with qtbot.waitSignal(model.sig_loaded, timeout=5000):
        window.filter_box.setCurrentIndex(window.filter_box.findData("failed"))
    assert model.total == 100
    assert {model.job_at(r).status for r in range(model.rowCount())} == {JobStatus.FAILED}

    with qtbot.waitSignal(model.sig_loaded, timeout=5000):
        window.search.setText("Shop 13")
    rows = [model.job_at(r) for r in range(model.rowCount())]
    assert rows
    assert all("Shop 13" in (r.merchant or "") for r in rows)
    assert all(r.status is JobStatus.FAILED for r in rows)

    with qtbot.waitSignal(model.sig_loaded, timeout=5000):
        window.search.clear()
    with qtbot.waitSignal(model.sig_loaded, timeout=5000):
        window.filter_box.setCurrentIndex(0)
    with qtbot.waitSignal(model.sig_loaded, timeout=5000):
        window.table.sortByColumn(Column.MERCHANT, Qt.SortOrder.AscendingOrder)
    merchants = [model.job_at(r).merchant.lower() for r in range(model.rowCount())]
    assert merchants == sorted(merchants)
    assert (
        model.data(model.index(0, Column.MERCHANT), JobRowRole).merchant == model.job_at(0).merchant
    )
