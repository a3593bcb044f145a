"""The ``ocr-desk`` command.

Each feature module registers its sub-commands (``register(subparsers)``) and gives
each a ``handler(args, out) -> int``. Errors derived from ``OcrDeskError`` print as
``error: <message>`` (or a JSON error body with ``--json``) and exit with status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from ocr_desk import __version__
from ocr_desk.core import OcrDeskError

from . import jobs, media, sync
from ._base import print_json

__all__ = ["build_parser", "main"]

COMMAND_MODULES = (jobs, media, sync)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocr-desk",
        description="Capture receipts offline; OCR them when the network is back.",
    )
    parser.add_argument("--version", action="version", version=f"ocr-desk {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where the local database and images live (default: $OCR_DESK_DATA_DIR or the "
        "platform's user data folder)",
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
        return _no_command(parser, args, out)
    try:
        return int(handler(args, out))
    except OcrDeskError as exc:
        if getattr(args, "json", False):
            print_json({"error": exc.to_dict()}, out)
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _no_command(parser: argparse.ArgumentParser, args: argparse.Namespace, out: TextIO) -> int:
    """Without a command, start the GUI when it is installed, else show the help."""
    try:
        from ocr_desk.ui import run_gui
    except ImportError:
        parser.print_help(out)
        return 0
    return run_gui(data_dir=args.data_dir)
