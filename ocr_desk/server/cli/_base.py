"""Helpers the server command modules share."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..context import ServerContext

__all__ = ["DATA_DIR_ENV", "data_dir_of", "open_server"]

DATA_DIR_ENV = "OCR_DESK_SERVER_DATA_DIR"


def data_dir_of(args: argparse.Namespace) -> Path:
    folder = args.data_dir or os.environ.get(DATA_DIR_ENV) or "ocr-desk-server-data"
    return Path(folder).expanduser().resolve()


def open_server(args: argparse.Namespace, **overrides: Any) -> ServerContext:
    """The server context of the command line's ``--data-dir`` and ``--database``."""
    return ServerContext.open(data_dir_of(args), database_url=args.database, **overrides)
