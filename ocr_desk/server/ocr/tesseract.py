"""Tesseract: a lighter, faster, less accurate engine for small servers.

Runs the ``tesseract`` binary (Debian package ``tesseract-ocr``) through
``pytesseract``. Tesseract's OpenMP threads fight each other on small machines, so
the engine runs it with ``OMP_THREAD_LIMIT=1`` (about 3x faster on 2 cores); run
several workers to use more cores.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from typing import Any

from PIL import Image

from ocr_desk.server.ocr.base import (
    EngineError,
    EngineUnavailableError,
    OcrLine,
    OcrOutput,
    TransientEngineError,
)

__all__ = ["TesseractEngine"]

INSTALL_HINT = (
    "install the Tesseract binary (Debian/Ubuntu: apt-get install tesseract-ocr; "
    "macOS: brew install tesseract) and the Python wrapper (pip install pytesseract)"
)


_CALLS = threading.RLock()
"""pytesseract's program path is global state: one engine call at a time sets and uses it."""


def _output_dict() -> Any:
    import pytesseract

    return pytesseract.Output.DICT


class TesseractEngine:
    """Reads text lines with Tesseract, word boxes grouped into its own lines."""

    name = "tesseract"

    def __init__(
        self,
        *,
        lang: str = "eng",
        psm: int = 6,
        timeout: float = 60.0,
        binary: str = "",
        threads: int = 1,
        upscale_below: int = 0,
    ) -> None:
        """``psm`` 6 reads the page as one block of text lines; ``upscale_below``: pages
        whose longer side is shorter are enlarged 2x first (0: never)."""
        self.upscale_below = upscale_below
        self.lang = lang
        self.psm = psm
        self.timeout = timeout
        self.binary = binary
        self.threads = threads
        self.version = "unknown"
        self._checked = False

    def _module(self) -> Any:
        try:
            import pytesseract
        except ImportError as exc:
            raise EngineUnavailableError(
                f"The tesseract engine needs the 'pytesseract' package: {INSTALL_HINT}."
            ) from exc
        # pytesseract keeps the program to run in a module global: set it for every call.
        pytesseract.pytesseract.tesseract_cmd = self.binary or "tesseract"
        return pytesseract

    def check(self) -> None:
        with _CALLS:
            self._check()

    def _check(self) -> None:
        module = self._module()
        command = self.binary or "tesseract"
        if shutil.which(command) is None:
            raise EngineUnavailableError(
                f"The tesseract engine cannot find the '{command}' program: {INSTALL_HINT}."
            )
        # Tesseract's own threads slow each other down on a small machine.
        os.environ["OMP_THREAD_LIMIT"] = str(max(self.threads, 1))
        try:
            self.version = str(module.get_tesseract_version())
            languages = set(module.get_languages(config=""))
        except Exception as exc:  # pytesseract raises its own and OSError
            raise EngineUnavailableError(
                f"Tesseract does not run here ({exc}): {INSTALL_HINT}."
            ) from exc
        missing = [code for code in self.lang.split("+") if code not in languages]
        if missing:
            raise EngineUnavailableError(
                f"Tesseract has no language data for {', '.join(missing)}; install it "
                f"(Debian: apt-get install tesseract-ocr-{missing[0]}) or set lang to one of "
                f"{', '.join(sorted(languages))}."
            )
        self._checked = True

    def recognize(self, pages: list[Image.Image]) -> OcrOutput:
        if not self._checked:
            self.check()
        lines: list[OcrLine] = []
        started = time.perf_counter()
        for index, page in enumerate(pages):
            try:
                if max(page.size) < self.upscale_below:
                    page = page.resize((page.width * 2, page.height * 2), Image.Resampling.LANCZOS)
                with _CALLS:
                    data = self._module().image_to_data(
                        page,
                        lang=self.lang,
                        config=f"--psm {self.psm}",
                        output_type=_output_dict(),
                        timeout=self.timeout,
                    )
            except RuntimeError as exc:  # pytesseract's timeout
                raise TransientEngineError(
                    f"Tesseract took longer than {self.timeout:g} s on page {index + 1}; "
                    "the job will be retried."
                ) from exc
            except Exception as exc:
                raise EngineError(f"Tesseract failed on page {index + 1}: {exc}") from exc
            lines.extend(_lines(data, page=index))
        return OcrOutput(
            lines=tuple(lines),
            engine=self.name,
            engine_version=self.version,
            seconds=time.perf_counter() - started,
            pages=len(pages),
            page_sizes=tuple(page.size for page in pages),
        )


def _lines(data: dict[str, list[Any]], *, page: int) -> list[OcrLine]:
    """Tesseract's words grouped by (block, paragraph, line), in reading order."""
    grouped: dict[tuple[int, int, int], list[int]] = {}
    for i, word in enumerate(data["text"]):
        if not str(word).strip() or float(data["conf"][i]) < 0:
            continue
        key = (int(data["block_num"][i]), int(data["par_num"][i]), int(data["line_num"][i]))
        grouped.setdefault(key, []).append(i)
    lines = []
    for indices in grouped.values():
        left = min(int(data["left"][i]) for i in indices)
        top = min(int(data["top"][i]) for i in indices)
        right = max(int(data["left"][i]) + int(data["width"][i]) for i in indices)
        bottom = max(int(data["top"][i]) + int(data["height"][i]) for i in indices)
        text = " ".join(str(data["text"][i]).strip() for i in indices)
        confidence = sum(float(data["conf"][i]) for i in indices) / len(indices) / 100
        lines.append(
            OcrLine(
                text=text,
                confidence=max(0.0, min(1.0, confidence)),
                box=(
                    (float(left), float(top)),
                    (float(right), float(top)),
                    (float(right), float(bottom)),
                    (float(left), float(bottom)),
                ),
                page=page,
            )
        )
    return lines
