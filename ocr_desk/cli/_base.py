"""Helpers the command modules share."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from ocr_desk.app import AppContext

__all__ = ["add_json_flag", "open_context", "print_json", "print_table"]


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def open_context(args: argparse.Namespace) -> AppContext:
    return AppContext.open(args.data_dir)


def print_json(data: Any, out: TextIO) -> None:
    json.dump(data, out, indent=2, sort_keys=True, default=str)
    out.write("\n")


def print_table(rows: list[list[str]], headers: list[str], out: TextIO) -> None:
    """Rows as left-aligned columns under a header line."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out.write(line.rstrip() + "\n")
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
