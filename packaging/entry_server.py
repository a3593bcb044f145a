"""Entry point of the bundled ``ocr-desk-server`` program (the app's local mode starts it).

``freeze_support`` lets ``serve --workers N`` (uvicorn's spawned processes) work frozen.
"""

from __future__ import annotations

import multiprocessing

from ocr_desk.server.cli import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    raise SystemExit(main())
