"""Server configuration: where data lives, which database, limits, plans and the kill-switch.

Read from ``<data dir>/server.json`` (written by ``ocr-desk-server init``); every key
is optional. The processing kill-switch has three sources, any of which turns
processing off: ``"processing_enabled": false`` in the file, the environment
variable ``OCR_DESK_PROCESSING_DISABLED=1``, and the database flag that
``ocr-desk-server processing off`` sets for every process at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

__all__ = [
    "CONFIG_FILENAME",
    "DEFAULT_PLANS",
    "PROCESSING_ENV",
    "Plan",
    "ServerConfig",
    "processing_disabled_by_env",
]

CONFIG_FILENAME = "server.json"
PROCESSING_ENV = "OCR_DESK_PROCESSING_DISABLED"
DATABASE_ENV = "OCR_DESK_DATABASE_URL"
SQLITE_FILENAME = "server.sqlite3"


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What a company's plan allows and what a page costs on it."""

    name: str
    jobs_per_month: int | None
    """None is unlimited."""
    uploads_per_hour: int | None = 10
    """Per user; None is unlimited."""
    price_per_page: Decimal = Decimal("0.0100")
    currency: str = "USD"


DEFAULT_PLANS: Mapping[str, Plan] = {
    "free": Plan(name="free", jobs_per_month=5, price_per_page=Decimal("0.0000")),
    "premium": Plan(name="premium", jobs_per_month=50, price_per_page=Decimal("0.0100")),
    "enterprise": Plan(name="enterprise", jobs_per_month=None, price_per_page=Decimal("0.0080")),
}


def processing_disabled_by_env() -> bool:
    """True when the environment switches processing off (``OCR_DESK_PROCESSING_DISABLED=1``)."""
    return os.environ.get(PROCESSING_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerConfig:
    data_dir: Path
    database_url: str = ""
    """Empty: the SQLite file ``server.sqlite3`` in the data dir."""
    max_upload_bytes: int = 50 * 1024 * 1024
    max_json_bytes: int = 1024 * 1024
    heartbeat_interval: float = 5.0
    """Seconds between a busy worker's heartbeats."""
    heartbeat_timeout: float = 60.0
    """A processing job whose worker was silent this long goes back to the queue."""
    poll_interval: float = 1.0
    """How often idle workers and event streams look for changes nobody announced."""
    ping_interval: float = 15.0
    processing_enabled: bool = True
    engine: str = "rapidocr"
    engine_config: Mapping[str, Any] = field(default_factory=dict)
    default_currency: str = "USD"
    plans: Mapping[str, Plan] = field(default_factory=lambda: dict(DEFAULT_PLANS))

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / SQLITE_FILENAME}"

    def plan(self, name: str) -> Plan:
        try:
            return self.plans[name]
        except KeyError:
            raise ValueError(
                f"unknown plan {name!r}; choose one of: {', '.join(sorted(self.plans))}"
            ) from None

    def processing_allowed(self) -> bool:
        """The file flag and the environment; the database flag is asked separately."""
        return self.processing_enabled and not processing_disabled_by_env()

    def with_changes(self, **changes: Any) -> ServerConfig:
        return replace(self, **changes)

    @classmethod
    def load(
        cls, data_dir: Path | str, *, database_url: str | None = None, **overrides: Any
    ) -> ServerConfig:
        """The config of ``data_dir`` (its ``server.json`` if any), with overrides applied."""
        folder = Path(data_dir).expanduser().resolve()
        raw: dict[str, Any] = {}
        path = folder / CONFIG_FILENAME
        if path.exists():
            try:
                raw = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise ValueError(f"cannot read {path}: {exc}; fix or delete the file") from exc
        plans = dict(DEFAULT_PLANS)
        for name, spec in (raw.pop("plans", None) or {}).items():
            base = plans.get(name, Plan(name=name, jobs_per_month=None))
            plans[name] = replace(
                base,
                jobs_per_month=spec.get("jobs_per_month", base.jobs_per_month),
                uploads_per_hour=spec.get("uploads_per_hour", base.uploads_per_hour),
                price_per_page=Decimal(str(spec.get("price_per_page", base.price_per_page))),
                currency=spec.get("currency", base.currency),
            )
        known = {f for f in cls.__dataclass_fields__ if f not in {"data_dir", "plans"}}
        values = {k: v for k, v in raw.items() if k in known}
        url = database_url or os.environ.get(DATABASE_ENV) or values.pop("database_url", "")
        values.pop("database_url", None)
        values.update(overrides)
        plans = values.pop("plans", plans)
        return cls(data_dir=folder, database_url=url, plans=plans, **values)

    def save(self) -> Path:
        """Write the editable part of the config to ``server.json`` (used by ``init``)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        data = {
            "database_url": self.database_url,
            "max_upload_bytes": self.max_upload_bytes,
            "heartbeat_interval": self.heartbeat_interval,
            "heartbeat_timeout": self.heartbeat_timeout,
            "processing_enabled": self.processing_enabled,
            "engine": self.engine,
            "default_currency": self.default_currency,
            "plans": {
                p.name: {
                    "jobs_per_month": p.jobs_per_month,
                    "uploads_per_hour": p.uploads_per_hour,
                    "price_per_page": str(p.price_per_page),
                    "currency": p.currency,
                }
                for p in self.plans.values()
            },
        }
        path = self.data_dir / CONFIG_FILENAME
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        tmp.replace(path)
        return path
