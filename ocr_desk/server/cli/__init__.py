"""The ``ocr-desk-server`` command: admin, serve, worker, cleanup.

Each module in :data:`COMMAND_MODULES` registers its sub-commands with
``register(subparsers)`` and gives each a ``handler(args, out) -> int``; add a
module there to add commands. Errors derived from ``OcrDeskError`` (and bad
configuration) print as ``error: <message>`` and exit with status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from ocr_desk import __version__
from ocr_desk.core import OcrDeskError

from .. import extract_cli
from ..database import DatabaseError
from . import admin, maintenance, run

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

COMMAND_MODULES = [admin, run, maintenance, extract_cli]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocr-desk-server",
        description="The OCR Desk server: accounts, the API, OCR workers, maintenance.",
    )
    parser.add_argument("--version", action="version", version=f"ocr-desk-server {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where server.json, the SQLite database and uploaded files live "
        "(default: $OCR_DESK_SERVER_DATA_DIR or ./ocr-desk-server-data)",
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="postgresql://USER@HOST/DB to share the queue between processes "
        "(default: $OCR_DESK_DATABASE_URL, server.json, or SQLite in the data dir)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(out)
        return 2
    try:
        return int(handler(args, out))
    except (OcrDeskError, DatabaseError, ValueError) as exc:
        print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
