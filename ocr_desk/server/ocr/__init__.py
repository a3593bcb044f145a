"""OCR engines behind one interface (see ``base``) and the registry that picks one.

``get_engine(name, **config)`` builds the configured engine and checks it can run,
so a server with a missing engine fails at start with what to install, never at
its first job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocr_desk.server.ocr.base import (
    BadImageError,
    EngineError,
    EngineUnavailableError,
    OcrEngine,
    OcrLine,
    OcrOutput,
    TransientEngineError,
)
from ocr_desk.server.ocr.pages import load_pages

__all__ = [
    "ENGINE_NAMES",
    "BadImageError",
    "EngineError",
    "EngineUnavailableError",
    "OcrEngine",
    "OcrLine",
    "OcrOutput",
    "TransientEngineError",
    "get_engine",
    "load_pages",
]


def _rapidocr(**config: Any) -> OcrEngine:
    from ocr_desk.server.ocr.rapid import RapidOcrEngine

    return RapidOcrEngine(**config)


def _tesseract(**config: Any) -> OcrEngine:
    from ocr_desk.server.ocr.tesseract import TesseractEngine

    return TesseractEngine(**config)


def _llm(**config: Any) -> OcrEngine:
    from ocr_desk.server.ocr.llm import VisionLlmEngine

    return VisionLlmEngine(**config)


_FACTORIES: dict[str, Callable[..., OcrEngine]] = {
    "rapidocr": _rapidocr,
    "tesseract": _tesseract,
    "llm": _llm,
}

ENGINE_NAMES = tuple(_FACTORIES)


def get_engine(name: str = "rapidocr", *, check: bool = True, **config: Any) -> OcrEngine:
    """The engine called ``name``, built with ``config`` and checked (models loaded).

    Raises :class:`EngineUnavailableError` for an unknown engine, bad configuration,
    or an engine that cannot run here (the message says what to install or set).
    """
    factory = _FACTORIES.get(name.strip().lower())
    if factory is None:
        raise EngineUnavailableError(
            f"Unknown OCR engine {name!r}; choose one of: {', '.join(ENGINE_NAMES)}."
        )
    try:
        engine = factory(**config)
    except TypeError as exc:
        raise EngineUnavailableError(f"Bad configuration for OCR engine {name!r}: {exc}") from exc
    if check:
        engine.check()
    return engine
