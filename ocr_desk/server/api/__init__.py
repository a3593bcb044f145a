"""The HTTP API of the OCR server (FastAPI): see docs/api.md."""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
