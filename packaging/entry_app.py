"""Entry point of the bundled ``ocr-desk`` program: the GUI with no command, else the CLI."""

from __future__ import annotations

import multiprocessing

from ocr_desk.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    raise SystemExit(main())
