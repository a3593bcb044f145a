"""``cleanup`` (stale and orphaned jobs, 90-day retention, storage usage) and ``processing``."""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import TextIO

from ocr_desk.core import RETENTION

from ..worker import processing_enabled, set_processing
from ._base import open_server

__all__ = ["register"]


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cleanup = sub.add_parser(
        "cleanup",
        help="cancel stale jobs, reclaim dead workers' jobs, delete files past retention",
    )
    cleanup.add_argument("--retention-days", type=int, default=RETENTION.days, metavar="DAYS")
    cleanup.set_defaults(handler=cmd_cleanup)
    processing = sub.add_parser(
        "processing", help="the kill-switch: stop or resume OCR for every worker"
    )
    processing.add_argument("state", choices=["on", "off", "status"])
    processing.set_defaults(handler=cmd_processing)


def cmd_cleanup(args: argparse.Namespace, out: TextIO) -> int:
    with open_server(args) as ctx:
        stale = ctx.jobs.cancel_stale()
        reclaimed = ctx.jobs.reclaim()
        retried = ctx.jobs.retry_failed()
        dropped = ctx.media.apply_retention(timedelta(days=args.retention_days))
        out.write(
            f"cancelled {stale} stale job(s), reclaimed {reclaimed}, retried {retried}, "
            f"deleted {dropped} file(s) past {args.retention_days} days\n"
        )
        for usage in ctx.media.storage_usage():
            out.write(f"{usage.name}: {usage.files} file(s), {usage.bytes} bytes\n")
    return 0


def cmd_processing(args: argparse.Namespace, out: TextIO) -> int:
    with open_server(args) as ctx:
        if args.state != "status":
            set_processing(ctx.db, enabled=args.state == "on")
        state = "on" if processing_enabled(ctx.db, ctx.config) else "off"
    out.write(f"processing is {state}\n")
    return 0
