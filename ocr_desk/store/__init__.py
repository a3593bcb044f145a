"""Local SQLite store: schema, migrations, company-scoped repositories and the outbox."""

from __future__ import annotations

from .costs import CostRepository
from .database import DB_FILENAME, Store, open_store
from .jobs import JobRepository, result_columns
from .media import MediaNotFoundError, MediaRepository
from .media_files import MediaFile, MediaFileRepository
from .migrations import SCHEMA_VERSION
from .outbox import OutboxOp, OutboxRepository
from .records import (
    CostEntry,
    Job,
    JobEvent,
    MediaAsset,
    MonthlyCost,
    OutboxEntry,
    QueueStatus,
    new_id,
)

__all__ = [
    "result_columns",
    "DB_FILENAME",
    "SCHEMA_VERSION",
    "CostEntry",
    "CostRepository",
    "Job",
    "JobEvent",
    "JobRepository",
    "MediaAsset",
    "MediaFile",
    "MediaFileRepository",
    "MediaNotFoundError",
    "MediaRepository",
    "MonthlyCost",
    "OutboxEntry",
    "OutboxOp",
    "OutboxRepository",
    "QueueStatus",
    "Store",
    "new_id",
    "open_store",
]
