"""The job list's item model: pages fetched lazily off the UI thread, rows updated by id.

The model holds the rows loaded so far; Qt asks for more (``canFetchMore`` /
``fetchMore``) as the user scrolls, and each page is read on the database thread.
Sorting, the status filter and the search run in SQL (a new query reloads the
pages); a change to some jobs re-reads just those ids and updates, inserts or
removes just those rows, never the whole table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor

from ocr_desk.core import JobStatus
from ocr_desk.services.joblist import (
    JobQuery,
    JobRow,
    SortKey,
    count_rows,
    fetch_page,
    fetch_rows,
)
from ocr_desk.store import Store

from .tasks import TaskRunner
from .thumbnails import ThumbnailCache

__all__ = ["STATUS_COLOURS", "Column", "JobTableModel"]

PAGE_SIZE = 200

ModelIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    THUMBNAIL = 0
    CAPTURED_AT = 1
    TYPE = 2
    STATUS = 3
    MERCHANT = 4
    DATE = 5
    TOTAL = 6
    COST = 7
    ERROR = 8


HEADERS = {
    Column.THUMBNAIL: "",
    Column.CAPTURED_AT: "Captured at",
    Column.TYPE: "Type",
    Column.STATUS: "Status",
    Column.MERCHANT: "Merchant",
    Column.DATE: "Date",
    Column.TOTAL: "Total",
    Column.COST: "Cost",
    Column.ERROR: "Last error",
}

SORT_KEYS = {
    Column.THUMBNAIL: SortKey.CAPTURED_AT,
    Column.CAPTURED_AT: SortKey.CAPTURED_AT,
    Column.TYPE: SortKey.JOB_TYPE,
    Column.STATUS: SortKey.STATUS,
    Column.MERCHANT: SortKey.MERCHANT,
    Column.DATE: SortKey.DATE,
    Column.TOTAL: SortKey.TOTAL,
    Column.COST: SortKey.COST,
    Column.ERROR: SortKey.ERROR,
}

STATUS_COLOURS = {
    JobStatus.QUEUED: QColor("#1f5fa8"),
    JobStatus.PROCESSING: QColor("#8a5a00"),
    JobStatus.COMPLETED: QColor("#1e7a34"),
    JobStatus.FAILED: QColor("#b3261e"),
    JobStatus.CANCELLED: QColor("#5f6368"),
}
STATUS_LABELS = {
    JobStatus.QUEUED: "● Queued",
    JobStatus.PROCESSING: "◐ Processing",
    JobStatus.COMPLETED: "✔ Completed",
    JobStatus.FAILED: "✖ Failed",
    JobStatus.CANCELLED: "⊘ Cancelled",
}

JobRowRole = Qt.ItemDataRole.UserRole + 1


class JobTableModel(QAbstractTableModel):
    """Jobs of one company, newest first by default, loaded page by page."""

    sig_loaded = Signal(int)
    """A page (or a query's first page) arrived; carries how many rows are loaded."""
    sig_rows_updated = Signal(object)
    """Rows changed by id; carries the tuple of ids that were applied."""
    sig_total = Signal(int)

    def __init__(
        self,
        *,
        runner: TaskRunner,
        company_id: str,
        thumbnails: ThumbnailCache | None = None,
        page_size: int = PAGE_SIZE,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._company = company_id
        self._thumbs = thumbnails
        self._page_size = page_size
        self._rows: list[JobRow] = []
        self._index: dict[str, int] = {}
        self._query = JobQuery()
        self._total = 0
        self._generation = 0
        self._fetching = False
        self.loaded = False
        """True once a first page (maybe empty) has arrived."""
        if thumbnails is not None:
            thumbnails.sig_ready.connect(self._on_thumbnail)

    # -- Qt model API -----------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[Column(section)]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return "Thumbnail" if section == Column.THUMBNAIL else HEADERS[Column(section)]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        col = Column(index.column())
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            text = _text(row, col)
            if role == Qt.ItemDataRole.AccessibleTextRole and col == Column.THUMBNAIL:
                return f"Thumbnail of {row.original_name or 'the receipt'}"
            return text
        if role == Qt.ItemDataRole.DecorationRole and col == Column.THUMBNAIL:
            if self._thumbs is None or row.thumbnail is None:
                return None
            return self._thumbs.get(row.thumbnail)
        if role == Qt.ItemDataRole.ForegroundRole and col == Column.STATUS:
            return QBrush(STATUS_COLOURS[row.status])
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == Column.ERROR or (col == Column.STATUS and row.last_error):
                return row.last_error
            if col == Column.THUMBNAIL:
                return row.original_name
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (Column.TOTAL, Column.COST):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == JobRowRole:
            return row
        return None

    def canFetchMore(self, parent: ModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._fetching and len(self._rows) < self._total

    def fetchMore(self, parent: ModelIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._fetching:
            return
        self._request_page(offset=len(self._rows))

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.set_query(
            sort=SORT_KEYS[Column(column)],
            descending=order == Qt.SortOrder.DescendingOrder,
        )

    # -- queries ----------------------------------------------------------------------

    @property
    def query(self) -> JobQuery:
        return self._query

    @property
    def total(self) -> int:
        return self._total

    @property
    def requested(self) -> bool:
        """True once a first page has been asked for (it may still be on its way)."""
        return self._generation > 0

    def set_query(self, **changes: Any) -> None:
        """Change the sort, status filter or search and load the first page again."""
        fields = {
            "status": self._query.status,
            "search": self._query.search,
            "sort": self._query.sort,
            "descending": self._query.descending,
            **changes,
        }
        self._query = JobQuery(**fields)
        self.reload()

    def reload(self) -> None:
        """Start over with the current query (after a filter, search or sort change)."""
        self._generation += 1
        self._fetching = False
        generation = self._generation
        query = self._query
        company = self._company
        limit = self._page_size

        def load(store: Store, _progress: Any) -> tuple[int, list[JobRow]]:
            total = count_rows(store, company_id=company, query=query)
            return total, fetch_page(store, company_id=company, query=query, offset=0, limit=limit)

        def done(value: tuple[int, list[JobRow]]) -> None:
            if generation != self._generation:
                return
            total, rows = value
            self._fetching = False
            self.beginResetModel()
            self._rows = list(rows)
            self._total = max(total, len(rows))
            self._reindex()
            self.loaded = True
            self.endResetModel()
            self.sig_total.emit(self._total)
            self.sig_loaded.emit(len(self._rows))

        self._fetching = True
        self._runner.run(load, on_done=done, on_failed=self._on_fetch_failed)

    def _request_page(self, *, offset: int) -> None:
        generation = self._generation
        query = self._query
        company = self._company
        limit = self._page_size

        def load(store: Store, _progress: Any) -> list[JobRow]:
            return fetch_page(store, company_id=company, query=query, offset=offset, limit=limit)

        def done(rows: list[JobRow]) -> None:
            if generation != self._generation:
                return
            self._fetching = False
            fresh = [r for r in rows if r.id not in self._index]
            if not fresh:
                self._total = len(self._rows)
                return
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._rows.extend(fresh)
            for i, r in enumerate(fresh, start=first):
                self._index[r.id] = i
            self.endInsertRows()
            self.sig_loaded.emit(len(self._rows))

        self._fetching = True
        self._runner.run(load, on_done=done, on_failed=self._on_fetch_failed)

    def _on_fetch_failed(self, exc: BaseException) -> None:
        self._fetching = False

    # -- updates by id ----------------------------------------------------------------

    def refresh_ids(self, ids: Iterable[str]) -> None:
        """Re-read these jobs on the database thread and update just their rows."""
        wanted = tuple(dict.fromkeys(ids))
        if not wanted:
            return
        query = self._query
        company = self._company
        generation = self._generation

        def load(store: Store, _progress: Any) -> list[JobRow]:
            return fetch_rows(store, company_id=company, ids=wanted, query=query)

        def done(rows: list[JobRow]) -> None:
            if generation == self._generation:
                self.apply_rows(wanted, rows)

        self._runner.run(load, on_done=done)

    def apply_rows(self, ids: Sequence[str], rows: Sequence[JobRow]) -> None:
        """Apply fresh rows for ``ids``: update in place, insert new ones, drop vanished ones."""
        by_id = {r.id: r for r in rows}
        new: list[JobRow] = []
        changed: list[int] = []
        for job_id in ids:
            row = by_id.get(job_id)
            at = self._index.get(job_id)
            if row is not None and at is not None:
                self._rows[at] = row
                changed.append(at)
            elif row is not None:
                new.append(row)
            elif at is not None:
                self._emit_changed(changed)
                changed = []
                self.beginRemoveRows(QModelIndex(), at, at)
                del self._rows[at]
                self._reindex()
                self._total = max(0, self._total - 1)
                self.endRemoveRows()
        self._emit_changed(changed)
        if new:
            new.sort(key=lambda r: r.captured_at, reverse=True)
            self.beginInsertRows(QModelIndex(), 0, len(new) - 1)
            self._rows[0:0] = new
            self._total += len(new)
            self._reindex()
            self.endInsertRows()
        self.sig_rows_updated.emit(tuple(ids))

    def _emit_changed(self, rows: list[int]) -> None:
        """One dataChanged per run of neighbouring rows (a batch is one or a few calls)."""
        if not rows:
            return
        rows = sorted(set(rows))
        start = prev = rows[0]
        for r in [*rows[1:], None]:
            if r is not None and r == prev + 1:
                prev = r
                continue
            self.dataChanged.emit(self.index(start, 0), self.index(prev, len(Column) - 1))
            if r is not None:
                start = prev = r

    def row_of(self, job_id: str) -> int | None:
        return self._index.get(job_id)

    def job_at(self, row: int) -> JobRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def loaded_ids(self) -> list[str]:
        return [r.id for r in self._rows]

    def _reindex(self) -> None:
        self._index = {r.id: i for i, r in enumerate(self._rows)}

    def _on_thumbnail(self, relpath: str) -> None:
        # The view repaints only the visible cells of the range: cheaper than finding the row.
        if self._rows:
            self.dataChanged.emit(
                self.index(0, Column.THUMBNAIL),
                self.index(len(self._rows) - 1, Column.THUMBNAIL),
                [Qt.ItemDataRole.DecorationRole],
            )


def _money(amount: str | None, currency: str | None) -> str:
    if amount is None:
        return ""
    return f"{amount} {currency}" if currency else amount


def _text(row: JobRow, col: Column) -> str:
    if col == Column.THUMBNAIL:
        return ""
    if col == Column.CAPTURED_AT:
        return row.captured_at.astimezone().strftime("%Y-%m-%d %H:%M")
    if col == Column.TYPE:
        return row.job_type.capitalize()
    if col == Column.STATUS:
        return STATUS_LABELS[row.status]
    if col == Column.MERCHANT:
        return row.merchant or ""
    if col == Column.DATE:
        return row.receipt_date or ""
    if col == Column.TOTAL:
        return _money(row.total, row.currency)
    if col == Column.COST:
        return _money(row.cost, row.cost_currency)
    return (row.last_error or "").splitlines()[0] if row.last_error else ""
