"""Receipt and invoice field extraction from OCR output (see ``receipt``)."""

from __future__ import annotations

from ocr_desk.server.extract.receipt import EXTRACTOR_VERSION, JOB_TYPES, extract

__all__ = ["EXTRACTOR_VERSION", "JOB_TYPES", "extract"]
