"""The OCR engine interface the workers call.

An engine turns page images into text lines with boxes and confidences. Engines
that read fields themselves (a vision LLM) also return a ``ReceiptResult``.

Errors::

    EngineError
    ├── EngineUnavailableError   the engine cannot run here (missing library/binary/config):
    │                            raised by ``check()`` at start, not at the first job
    ├── TransientEngineError     may work on a retry (timeout, 5xx/429 of a remote engine)
    └── BadImageError            this input will never work: fail the job at once
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from ocr_desk.core import OcrDeskError, ReceiptResult

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "BadImageError",
    "EngineError",
    "EngineUnavailableError",
    "OcrEngine",
    "OcrLine",
    "OcrOutput",
    "TransientEngineError",
]

Point = tuple[float, float]


class EngineError(OcrDeskError):
    """The OCR engine did not produce a result."""

    code = "ENGINE_ERROR"


class EngineUnavailableError(EngineError):
    """The configured engine cannot run on this server."""

    code = "ENGINE_UNAVAILABLE"


class TransientEngineError(EngineError):
    """A failure a retry may cure."""

    code = "ENGINE_TRANSIENT"


class BadImageError(EngineError):
    """The input cannot be read as an image; retrying will not help."""

    code = "UNSUPPORTED_MEDIA"


@dataclass(frozen=True, slots=True)
class OcrLine:
    """One line of text; ``box`` is its four corners (x, y) clockwise from top-left."""

    text: str
    confidence: float
    box: tuple[Point, Point, Point, Point]
    page: int = 0


@dataclass(frozen=True, slots=True)
class OcrOutput:
    lines: tuple[OcrLine, ...]
    engine: str
    engine_version: str
    seconds: float
    """Engine time (wall clock spent inside the engine)."""
    pages: int = 1
    page_sizes: tuple[tuple[int, int], ...] = ()
    fields: ReceiptResult | None = None
    """Fields read by the engine itself (vision LLMs); None for plain OCR."""
    usage: dict[str, int] = field(default_factory=dict)
    """Token counts and the like, for engines billed by usage."""
    cost: Decimal | None = None
    """What the engine call itself cost, if the engine knows (LLM tokens x price)."""

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class OcrEngine(Protocol):
    """What a worker needs of an engine. Load models once in ``__init__``/``check``."""

    name: str
    version: str

    def check(self) -> None:
        """Raise :class:`EngineUnavailableError` if the engine cannot run here."""

    def recognize(self, pages: list[Image.Image]) -> OcrOutput:
        """Read every page (already oriented, size-bounded RGB images)."""
        ...
