"""Use cases the UI and the CLI call: capture, jobs, cost, maintenance."""

from __future__ import annotations

from .jobs import JobService

__all__ = ["JobService"]
