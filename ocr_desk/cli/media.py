"""``ocr-desk add`` (capture files and folders) and ``ocr-desk cleanup`` (retention)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any, TextIO

from ocr_desk.core import JobType
from ocr_desk.services import BatchResult, CaptureProgress, CaptureStatus

from ._base import add_json_flag, open_context, print_json

if TYPE_CHECKING:  # Pillow loads with it: `ocr-desk` with no command opens the window first
    from ocr_desk.media import StorageUsage

__all__ = ["ProgressBar", "format_bytes", "register", "storage_lines"]


def register(sub: Any) -> None:
    add = sub.add_parser(
        "add",
        help="capture images and documents (files or folders) into the queue",
        description="Capture JPEG, PNG, TIFF, WebP, HEIC/HEIF and PDF files; folders are "
        "searched recursively. Exits with status 1 when any file was rejected.",
    )
    add.add_argument("paths", nargs="+", metavar="PATH", help="files or folders to capture")
    add.add_argument(
        "--type",
        dest="job_type",
        choices=[t.value for t in JobType],
        default=None,
        help="document type (default: the settings' default, receipt)",
    )
    add.add_argument(
        "--force", action="store_true", help="queue a new OCR job for images already captured"
    )
    add_json_flag(add)
    add.set_defaults(handler=cmd_add)

    cleanup = sub.add_parser(
        "cleanup",
        help="delete captures older than the retention period (90 days by default)",
    )
    add_json_flag(cleanup)
    cleanup.set_defaults(handler=cmd_cleanup)


def cmd_add(args: argparse.Namespace, out: TextIO) -> int:
    with open_context(args) as ctx:
        service = ctx.capture_service()
        job_type = args.job_type or ctx.settings.default_job_type
        bar = ProgressBar(sys.stderr) if not args.json and sys.stderr.isatty() else None
        try:
            batch = service.capture_batch(
                args.paths,
                job_type=job_type,
                force=args.force,
                progress=bar.update if bar else None,
            )
        finally:
            if bar is not None:
                bar.close()
        if args.json:
            print_json(batch.to_dict(), out)
        else:
            write_summary(batch, out)
        return 1 if batch.rejected else 0


def write_summary(batch: BatchResult, out: TextIO) -> None:
    forced = sum(1 for r in batch.duplicates if r.forced)
    line = (
        f"captured {len(batch.captured)}, duplicates {len(batch.duplicates)}"
        f"{f' ({forced} queued again)' if forced else ''}, rejected {len(batch.rejected)}"
    )
    if batch.cancelled:
        cancelled = len(batch.with_status(CaptureStatus.CANCELLED))
        line += f", cancelled {cancelled}"
    out.write(line + "\n")
    if not batch.results:
        out.write("no files found\n")
    for result in batch.rejected:
        out.write(f"  rejected: {result.message} [{result.error_code}]\n")


def cmd_cleanup(args: argparse.Namespace, out: TextIO) -> int:
    with open_context(args) as ctx:
        library = ctx.media_library()
        days = ctx.settings.retention_days
        report = library.cleanup_expired(retention_days=days)
        usage = library.storage_usage()
        if args.json:
            print_json({**report.to_dict(), "storage": usage.to_dict()}, out)
            return 0
        if days is None:
            out.write("retention is off: every capture is kept (set retention_days to change)\n")
        else:
            out.write(
                f"deleted {report.assets_deleted} captures older than {days} days "
                f"({report.files_deleted} files, {format_bytes(report.bytes_freed)})\n"
            )
        if report.orphans_removed:
            out.write(f"removed {report.orphans_removed} leftover files without a capture\n")
        for line in storage_lines(usage):
            out.write(line + "\n")
        return 0


def storage_lines(usage: StorageUsage) -> list[str]:
    """The storage part of ``ocr-desk status`` and ``cleanup``."""
    lines = [f"  {'storage':<20}{format_bytes(usage.total_bytes):>10}  ({usage.total_files} files)"]
    for version, (files, size) in sorted(usage.by_version.items()):
        lines.append(f"    {version:<18}{format_bytes(size):>10}  ({files} files)")
    return lines


def format_bytes(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


class ProgressBar:
    """A one-line progress bar for a terminal: ``[#####.....] 12/50 name``."""

    def __init__(self, stream: TextIO, *, width: int = 30) -> None:
        self.stream = stream
        self.width = width
        self._shown = False

    def update(self, progress: CaptureProgress) -> None:
        filled = self.width * progress.done // max(1, progress.total)
        name = os.path.basename(progress.result.source)[:40]
        mark = "!" if progress.result.status is CaptureStatus.REJECTED else " "
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.width - filled)}] "
            f"{progress.done}/{progress.total}{mark}{name:<40}"
        )
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        if self._shown:
            self.stream.write("\n")
            self.stream.flush()
