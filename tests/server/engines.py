"""Small engines for the server tests, each implementing the OcrEngine protocol.

Worker processes load them by import path (``tests.server.engines:counting``). They
record each call in the file named by ``OCR_DESK_TEST_CALLS`` (one line per page,
written with O_APPEND so several processes can share it).
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Any

from PIL import Image

from ocr_desk.server.ocr import BadImageError, OcrLine, OcrOutput, TransientEngineError

CALLS_ENV = "OCR_DESK_TEST_CALLS"
BLOCK_ENV = "OCR_DESK_TEST_BLOCK"


def page_id(page: Image.Image) -> str:
    return hashlib.sha256(page.tobytes()).hexdigest()[:16]


def _record(pages: list[Image.Image]) -> None:
    path = os.environ.get(CALLS_ENV)
    if path:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, ("".join(f"{os.getpid()} {page_id(p)}\n" for p in pages)).encode())
        finally:
            os.close(fd)


class FakeEngine:
    """Deterministic and instant: "TOTAL 1.00" on every page, with a script of failures."""

    name = "fake"
    version = "1"

    def __init__(self, *, script: list[str] | None = None, **_: Any) -> None:
        self.script = list(script or [])
        self.calls = 0
        self._lock = threading.Lock()

    def check(self) -> None:
        pass

    def recognize(self, pages: list[Image.Image]) -> OcrOutput:
        with self._lock:
            self.calls += 1
            step = self.script.pop(0) if self.script else "ok"
        _record(pages)
        if step == "transient":
            raise TransientEngineError("the engine timed out")
        if step == "bad":
            raise BadImageError("cannot read this image")
        lines = (
            OcrLine(text="FAKE SHOP", confidence=0.9, box=((0, 0), (100, 0), (100, 10), (0, 10))),
            OcrLine(
                text="TOTAL 1.00", confidence=0.8, box=((0, 20), (100, 20), (100, 30), (0, 30))
            ),
        )
        return OcrOutput(
            lines=lines, engine="fake", engine_version="1", seconds=0.01, pages=len(pages)
        )


class BlockingEngine(FakeEngine):
    """Records the call, then blocks for a long time (the test kills its process)."""

    def recognize(self, pages: list[Image.Image]) -> OcrOutput:
        _record(pages)
        threading.Event().wait(float(os.environ.get(BLOCK_ENV, "120")))
        return super().recognize(pages)


def counting(**config: Any) -> FakeEngine:
    return FakeEngine(**config)


def blocking(**config: Any) -> BlockingEngine:
    return BlockingEngine(**config)
