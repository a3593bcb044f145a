"""The server's composition root: config, database, clock and the services on them."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocr_desk.core import Clock, SystemClock

from .accounts import AccountRepository
from .config import ServerConfig
from .database import Database, open_database
from .jobs import JobService
from .media import MediaService
from .ocr import OcrEngine, get_engine

__all__ = ["ServerContext", "load_engine"]


def load_engine(spec: str, config: dict[str, Any] | None = None) -> OcrEngine:
    """An engine by registry name (``rapidocr``) or import path (``package.module:factory``)."""
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        factory = getattr(importlib.import_module(module_name), attr)
        engine: OcrEngine = factory(**(config or {}))
        engine.check()
        return engine
    return get_engine(spec, **(config or {}))


@dataclass(kw_only=True)
class ServerContext:
    config: ServerConfig
    db: Database
    clock: Clock = field(default_factory=SystemClock)

    @classmethod
    def open(
        cls,
        data_dir: Path | str,
        *,
        database_url: str | None = None,
        clock: Clock | None = None,
        **overrides: Any,
    ) -> ServerContext:
        config = ServerConfig.load(data_dir, database_url=database_url, **overrides)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        db = open_database(config.resolved_database_url)
        return cls(config=config, db=db, clock=clock or SystemClock())

    @property
    def accounts(self) -> AccountRepository:
        return AccountRepository(self.db, clock=self.clock)

    @property
    def jobs(self) -> JobService:
        return JobService(self.db, config=self.config, clock=self.clock)

    @property
    def media(self) -> MediaService:
        return MediaService(self.db, config=self.config, clock=self.clock)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> ServerContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
